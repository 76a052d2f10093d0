"""The Docker provider: node containers, networks, ports and the node image on the local engine.

This layer knows how to run a "node" (a container with its own Docker engine) on
the host's Docker engine, and nothing about what the nodes are for: the COE
drivers (``moorage.drivers.swarm_docker``) decide which nodes exist and what
they run.
"""
