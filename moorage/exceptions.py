"""Typed errors shared by every layer.

Each error belongs to one family (Invalid, NotFound, Conflict, ...). The API maps
families to HTTP statuses in one place (``moorage.api.errors``); the lower layers
only say what went wrong, never which status it is. Message texts are Magnum's
where clients or tests compare them.
"""

from __future__ import annotations


class MoorageError(Exception):
    """Base of every error Moorage raises on purpose."""

    message = "An unknown error occurred."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(self.message if message is None else message)

    @property
    def text(self) -> str:
        return str(self.args[0])


# --- families -------------------------------------------------------------------


class Invalid(MoorageError):
    """The request is malformed or breaks a rule (HTTP 400)."""

    message = "Unacceptable parameters."


class NotAuthorized(MoorageError):
    """Authenticated, but not allowed (HTTP 403)."""

    message = "Not authorized."


class Unauthenticated(MoorageError):
    """No valid credentials (HTTP 401)."""

    message = "The request you have made requires authentication."


class NotFound(MoorageError):
    """The resource does not exist or is not visible to the caller (HTTP 404)."""

    message = "Resource could not be found."


class Conflict(MoorageError):
    """The request conflicts with the current state (HTTP 409)."""

    message = "Conflict."


class NotAcceptable(MoorageError):
    """The requested representation or version cannot be served (HTTP 406)."""

    message = "Request not acceptable."


class RequestTooLarge(MoorageError):
    """The request body is larger than the API accepts (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"Request is too large. The body may be at most {limit} bytes "
            "([oslo_middleware] max_request_body_size)."
        )


class UnsupportedMediaType(MoorageError):
    """The body is in a format the API does not read (HTTP 415)."""


class ServiceUnavailable(MoorageError):
    """A backing service (database, bus) is unreachable right now (HTTP 503)."""

    message = "The service is temporarily unavailable, please retry later."


class NotImplementedFeature(MoorageError):
    """Part of Magnum's API that Moorage deliberately does not implement (HTTP 501)."""


# --- specific errors with Magnum's messages --------------------------------------


class InvalidInput(Invalid):
    """A field failed its type or constraint check."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        super().__init__(f"Invalid input for field/attribute {field}. Value: '{value}'. {reason}")


class PolicyNotAuthorized(NotAuthorized):
    def __init__(self, action: str) -> None:
        super().__init__(f"Policy doesn't allow {action} to be performed.")


class ResourceNotFound(NotFound):
    """``<Kind> <ident> could not be found.`` for any resource kind."""

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} could not be found.")


class AmbiguousName(Conflict):
    def __init__(self, kind: str, name: str) -> None:
        super().__init__(
            f"Multiple {kind}s exist with same name '{name}'. Please use the {kind} UUID instead."
        )


class DuplicateUuid(Conflict):
    def __init__(self, kind: str, uuid: str) -> None:
        super().__init__(f"A {kind} with UUID {uuid} already exists.")


class NotSupported(Invalid):
    """An operation the cluster's state or driver refuses."""


class AlreadyCarriedOut(Conflict):
    """A request delivered again after it was carried out (e.g. by a conductor that took over).

    Not a failure: the conductor drops it quietly, with no failure notification.
    """


class ClusterTypeNotSupported(Invalid):
    def __init__(self, server_type: str, os: str | None, coe: str) -> None:
        super().__init__(f"Cluster type ({server_type}, {os}, {coe}) not supported.")


class ClusterDriverNotSupported(Invalid):
    def __init__(self, driver: str) -> None:
        super().__init__(f"Cluster driver ({driver}) not supported.")


class ProviderNotSupported(Invalid):
    def __init__(self, provider: str, known: list[str]) -> None:
        super().__init__(
            f"Provider ({provider}) not supported; the known providers are: {', '.join(known)}."
        )


class TemplateReferenced(Invalid):
    def __init__(self, ident: str) -> None:
        super().__init__(f"ClusterTemplate {ident} is referenced by one or multiple clusters.")


class QuotaExceeded(NotAuthorized):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "Resource limit exceeded: You have reached the maximum clusters per project, "
            f"{limit}. You may delete a cluster to make room for a new one."
        )


class TooManyNodes(Invalid):
    """A cluster would pass its node limit; ``source`` names the limit (option or driver)."""

    def __init__(self, total: int, limit: int, source: str) -> None:
        super().__init__(
            f"Too many nodes: the cluster would have {total}, the limit is {limit} ({source})."
        )


class UnknownNodes(Invalid):
    """``nodes_to_remove`` names nodes the node group does not have (or several at once)."""

    def __init__(self, nodegroup: str, unknown: list[str], nodes: list[str]) -> None:
        super().__init__(
            f"Nodes to remove not found in nodegroup {nodegroup}: {', '.join(unknown)}. "
            f"Its nodes: {', '.join(nodes) or 'none'} (name a node by its name, its id "
            "or an unambiguous id prefix of 6 or more characters, or its address)."
        )


class DriverError(MoorageError):
    """A driver step failed; the text says which command and why, for the operator."""


class OperationTimedOut(DriverError):
    """The operation outlived its time (``create_timeout``); names the step then running."""

    def __init__(self, minutes: int, step: str, cause: str | None = None) -> None:
        text = f"create_timeout of {minutes} minute(s) ran out during {step}"
        super().__init__(f"{text}: {cause}" if cause else text)
