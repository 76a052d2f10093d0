"""What the API's two clients, ``moorage.cli`` and ``moorage.dashboard``, share.

Pure code only (no HTTP, no files): reading Magnum's error bodies, making a client
key and CSR, and the contents of the files that reach a cluster. Both clients
talk to the service over HTTP and import nothing of the server's layers.
"""
