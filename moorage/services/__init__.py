"""The domain operations the API's routes and the conductor share.

One module per resource (clusters, node groups, templates, quotas, federations):
finding rows, Magnum's rules for them, creating and changing the rows and
recording the request the conductor runs. Routes parse, authorise and present
around these; the conductor loads what it works on through them. A service imports
only the layers below it (db, objects, rpc, the driver registry), never api/ or
conductor/.

``transaction`` is the unit of work a route runs services in: the route opens one,
calls services (and its policy checks) inside it, and presents the rows they
return; it does not reach the database itself. ``reading`` is its counterpart for
routes that only read (lists, shows): no transaction around the statements.
"""

from moorage.db.session import reading, transaction

__all__ = ["reading", "transaction"]
