"""Label keys on everything Moorage creates on the engine.

The labels are how a driver finds its own nodes again: the engine, not a file
or the database, is the source of truth for which node containers exist, so a
conductor that restarts (or another conductor) sees exactly what is there.
"""

CLUSTER = "moorage.cluster"
NODEGROUP = "moorage.nodegroup"
ROLE = "moorage.role"
HOST_PORT = "moorage.host_port"  # the host port a node's API is published on, if any
NODE = "moorage.node"  # on volumes: the node container the volume belongs to
