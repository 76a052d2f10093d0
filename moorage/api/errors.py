"""The one place where errors become HTTP responses, in Magnum's error format."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from moorage import exceptions

LOG = logging.getLogger(__name__)

# Marks a response as a framework error so the middleware adds no version headers.
FRAMEWORK_MARKER = "x-moorage-framework-error"

STATUS_BY_FAMILY: tuple[tuple[type[exceptions.MoorageError], int], ...] = (
    (exceptions.Invalid, 400),
    (exceptions.Unauthenticated, 401),
    (exceptions.NotAuthorized, 403),
    (exceptions.NotFound, 404),
    (exceptions.NotAcceptable, 406),
    (exceptions.Conflict, 409),
    (exceptions.RequestTooLarge, 413),
    (exceptions.UnsupportedMediaType, 415),
    (exceptions.NotImplementedFeature, 501),
    # The provider (Docker) failed a synchronous operation: the message says how.
    (exceptions.DriverError, 502),
    (exceptions.ServiceUnavailable, 503),
)


class FrameworkError(Exception):
    """An error Magnum's web framework (not a handler) would give: empty title and detail.

    Such responses also carry no microversion headers.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def status_of(exc: exceptions.MoorageError) -> int:
    for family, status in STATUS_BY_FAMILY:
        if isinstance(exc, family):
            return status
    return 500


def error_body(
    status: int, detail: str, code: str | None = None, *, request_id: str = ""
) -> dict[str, object]:
    """Magnum's body: one error, title = detail cut at the first full stop.

    Magnum leaves ``request_id`` empty; Moorage repeats the ``X-OpenStack-Request-Id``
    header there so that a pasted error body is enough to find the request in the log.
    """
    return {
        "errors": [
            {
                "request_id": request_id,
                "code": code if code is not None else ("client" if status < 500 else "server"),
                "status": status,
                "title": detail.split(".")[0] if detail else "",
                "detail": detail,
                "links": [],
            }
        ]
    }


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def framework_response(request: Request, status: int) -> JSONResponse:
    body = error_body(status, "", code="", request_id=request_id_of(request))
    response = JSONResponse(body, status_code=status)
    response.headers[FRAMEWORK_MARKER] = "1"
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(exceptions.MoorageError)
    async def _moorage(request: Request, exc: exceptions.MoorageError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            LOG.error("%s %s failed: %s", request.method, request.url.path, exc)
        headers = {"WWW-Authenticate": 'Basic realm="moorage"'} if status == 401 else None
        body = error_body(status, exc.text, request_id=request_id_of(request))
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(FrameworkError)
    async def _framework(request: Request, exc: FrameworkError) -> JSONResponse:
        return framework_response(request, exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return framework_response(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        name = str(first.get("loc", ("", "value"))[-1])
        value = first.get("input")
        detail = (
            f"Invalid input for field/attribute {name}. Value: '{value}'. {first.get('msg', '')}"
        )
        return JSONResponse(
            error_body(400, detail, request_id=request_id_of(request)), status_code=400
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        LOG.exception("Unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(
                500,
                "An unexpected error prevented the server from fulfilling your request.",
                request_id=request_id_of(request),
            ),
            status_code=500,
        )
