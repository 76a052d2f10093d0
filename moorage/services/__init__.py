"""The domain operations the API's routes and the conductor share.

One module per resource: finding a cluster and its node groups, creating the rows
and recording the request the conductor runs. Routes parse, authorise and present
around these; the conductor loads what it works on through them. A service imports
only the layers below it (db, objects, rpc, the driver registry), never api/ or
conductor/.
"""
