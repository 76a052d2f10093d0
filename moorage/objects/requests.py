"""The conductor's RPC methods and recorded requests, by stable name: declared here only.

The names are stored in the ``cluster_request`` table and travel on the bus, so
they are part of the data, not of the code: renaming a Python function must not
change them (they are Magnum's conductor method names). The API's client
(``moorage.rpc.api``), the bus's server (``moorage.rpc.amqp``), the conductor's
dispatch (``moorage.conductor.manager``) and its cast queue
(``moorage.conductor.service``) all derive what they accept from ``CAST``,
``CALLED`` and ``Query``.
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


class Query(StrEnum):
    """RPC calls that record nothing: answered at once, the cluster's queue aside."""

    GET_CA_CERTIFICATE = "get_ca_certificate"
    SIGN_CERTIFICATE = "sign_certificate"
    CREDENTIAL_ROTATE = "credential_rotate"
    CLUSTER_LOAD_IMAGE = "cluster_load_image"


CAST = frozenset(
    {
        Operation.CLUSTER_CREATE,
        Operation.CLUSTER_UPDATE,
        Operation.CLUSTER_RESIZE,
        Operation.CLUSTER_DELETE,
        Operation.NODEGROUP_CREATE,
        Operation.NODEGROUP_UPDATE,
        Operation.NODEGROUP_DELETE,
    }
)
"""Recorded by the API, then cast: the message only says "a request is recorded"."""

CALLED = frozenset({Operation.CLUSTER_UPGRADE, Operation.ROTATE_CA_CERTIFICATE})
"""Called: the conductor records and begins the request while the caller waits."""

RPC_METHODS: tuple[str, ...] = tuple(sorted({*CAST, *CALLED, *Query}))
"""Every method the bus carries; cluster_heal is the conductor's own request."""


class RequestState(StrEnum):
    PENDING = "PENDING"  # recorded, waiting for its turn
    RUNNING = "RUNNING"  # begun under the cluster's lease; resumed if its conductor dies
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"  # the driver work failed (the cluster says why)
    REFUSED = "REFUSED"  # the cluster's state did not allow it when its turn came


UNFINISHED = (RequestState.PENDING, RequestState.RUNNING)
