"""The bus seam: how the API reaches a conductor.

Two transports implement it: in-process (``moorage serve``) and AMQP over
oslo.messaging (distributed mode). Both carry the same method names as Magnum's
conductor API, a serialisable request context and plain keyword arguments.
"""

from __future__ import annotations

from typing import Any, Protocol

from moorage.context import RequestContext


class Transport(Protocol):
    def cast(self, ctx: RequestContext, method: str, **kwargs: Any) -> None:
        """Fire and forget: the DB row already records the intent."""

    def call(self, ctx: RequestContext, method: str, **kwargs: Any) -> Any:
        """Wait for the answer; errors come back as the same typed exceptions."""
