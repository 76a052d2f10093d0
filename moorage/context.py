"""The request context: who is asking, in which project, with which roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    """Travels with a request from the API through the bus to the conductor.

    ``all_projects`` widens DB queries to every project; it is set only after the
    matching ``*_all_projects`` policy passed for an admin. ``system_scope`` ("all")
    and ``domain_scope`` (a domain id) are set for Keystone tokens scoped to the
    system or a domain instead of a project; project-scoped policy rules refuse them
    (they stay in the API: the bus form leaves them out).
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: tuple[str, ...] = ()
    is_admin: bool = False
    request_id: str = field(default_factory=new_request_id)
    user_name: str | None = None
    project_name: str | None = None
    domain_id: str | None = None
    auth_token: str | None = None
    all_projects: bool = False
    system_scope: str | None = None
    domain_scope: str | None = None

    def scoped_to_all_projects(self) -> RequestContext:
        return replace(self, all_projects=True)

    def to_dict(self) -> dict[str, object]:
        """Serialisable form for the bus (the token stays behind)."""
        return {
            "user_id": self.user_id,
            "project_id": self.project_id,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "request_id": self.request_id,
            "user_name": self.user_name,
            "project_name": self.project_name,
            "domain_id": self.domain_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RequestContext:
        roles = data.get("roles") or []
        assert isinstance(roles, list)
        return cls(
            user_id=_opt_str(data.get("user_id")),
            project_id=_opt_str(data.get("project_id")),
            roles=tuple(str(r) for r in roles),
            is_admin=bool(data.get("is_admin")),
            request_id=str(data.get("request_id") or new_request_id()),
            user_name=_opt_str(data.get("user_name")),
            project_name=_opt_str(data.get("project_name")),
            domain_id=_opt_str(data.get("domain_id")),
        )


def admin_context() -> RequestContext:
    """Context of the service itself (periodic tasks): admin over all projects."""
    return RequestContext(
        user_id=None, project_id=None, roles=("admin",), is_admin=True, all_projects=True
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
