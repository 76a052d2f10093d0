"""What a cluster can be asked to do, by stable name, and where each request stands.

The names are stored in the ``cluster_request`` table and travel on the bus, so
they are part of the data, not of the code: renaming a Python function must not
change them (they are Magnum's conductor method names).
"""

from __future__ import annotations

from enum import StrEnum


class Operation(StrEnum):
    CLUSTER_CREATE = "cluster_create"
    CLUSTER_UPDATE = "cluster_update"
    CLUSTER_RESIZE = "cluster_resize"
    CLUSTER_UPGRADE = "cluster_upgrade"
    CLUSTER_DELETE = "cluster_delete"
    CLUSTER_HEAL = "cluster_heal"
    NODEGROUP_CREATE = "nodegroup_create"
    NODEGROUP_UPDATE = "nodegroup_update"
    NODEGROUP_DELETE = "nodegroup_delete"
    ROTATE_CA_CERTIFICATE = "rotate_ca_certificate"


class RequestState(StrEnum):
    PENDING = "PENDING"  # recorded, waiting for its turn
    RUNNING = "RUNNING"  # begun under the cluster's lease; resumed if its conductor dies
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"  # the driver work failed (the cluster says why)
    REFUSED = "REFUSED"  # the cluster's state did not allow it when its turn came


UNFINISHED = (RequestState.PENDING, RequestState.RUNNING)
