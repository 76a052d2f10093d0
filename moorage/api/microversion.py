"""``OpenStack-API-Version: container-infra X.Y`` negotiation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from fastapi import Request

from moorage.api.errors import FrameworkError

MIN = (1, 1)
MAX = (1, 14)
SERVICE_WORDS = (
    "container-infrastructure-management",
    "container-infrastructure",
    "container-infra",
)
HEADER_SERVICE = "container-infrastructure-management"
MIN_STR = "%d.%d" % MIN  # noqa: UP031
MAX_STR = "%d.%d" % MAX  # noqa: UP031


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int

    def __lt__(self, other: object) -> bool:
        assert isinstance(other, Version)
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, minor: int) -> bool:
        return (self.major, self.minor) >= (1, minor)


class OutOfRange(Exception):
    """Well-formed but unsupported version: 406 with the microversion body."""

    def __init__(self, requested: str) -> None:
        super().__init__(requested)
        self.requested = requested


def parse(header: str | None) -> Version:
    """The requested version; no header means 1.1, ``latest`` the maximum."""
    if header is None:
        return Version(*MIN)
    parts = header.strip().split()
    if len(parts) != 2:
        raise FrameworkError(406)
    service, number = parts
    if number.lower() == "latest":
        return Version(*MAX)
    # Bounded: int() refuses thousands of digits, and no version needs ten.
    if service.lower() not in SERVICE_WORDS or not re.fullmatch(r"\d{1,9}\.\d{1,9}", number):
        raise FrameworkError(406)
    major, minor = (int(p) for p in number.split("."))
    if major != MAX[0] or not MIN[1] <= minor <= MAX[1]:
        raise OutOfRange(number)
    return Version(major, minor)


def out_of_range_body() -> dict[str, object]:
    return {
        "errors": [
            {
                "max_version": MAX_STR,
                "min_version": MIN_STR,
                "code": "magnum.microversion-unsupported",
                "links": [
                    {
                        "rel": "help",
                        "href": "http://docs.openstack.org/api-guide/compute/microversions.html",
                    }
                ],
                "title": "Requested microversion is unsupported",
            }
        ]
    }


def headers(version: str) -> dict[str, str]:
    return {
        "OpenStack-API-Minimum-Version": f"{HEADER_SERVICE} {MIN_STR}",
        "OpenStack-API-Maximum-Version": f"{HEADER_SERVICE} {MAX_STR}",
        "OpenStack-API-Version": f"{HEADER_SERVICE} {version}",
        "Vary": "OpenStack-API-Version",
    }


def of(request: Request) -> Version:
    version: Version = request.state.version
    return version


def require(minor: int):  # type: ignore[no-untyped-def]
    """Dependency: the route exists from 1.<minor> on; below it, a framework 406."""

    def _check(request: Request) -> Version:
        version = of(request)
        if not version.at_least(minor):
            raise FrameworkError(406)
        return version

    return _check
