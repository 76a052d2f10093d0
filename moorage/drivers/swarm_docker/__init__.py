"""Docker Swarm (swarm mode) on node containers of the local Docker engine."""
