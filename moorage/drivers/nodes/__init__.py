"""What every COE needs of its nodes, whatever the provider: names, addresses,
provisioning, TLS credentials, the operation's session and its result.

A COE driver (Swarm today, Kubernetes next) says *what* runs on a node (a
``Recipe``); this layer makes the nodes through the provider and finds them again.
"""
