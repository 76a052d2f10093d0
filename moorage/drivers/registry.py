"""Finding drivers: Python entry points in the ``moorage.drivers`` group.

Selection follows Magnum: by explicit name, or by the (server_type, os, coe)
tuple a driver declares in ``provides``. Operators add drivers by installing a
package that declares an entry point; ``[drivers] disabled_drivers`` hides one.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points

from moorage import exceptions
from moorage.config import CONF
from moorage.drivers.base import Driver, Provides

GROUP = "moorage.drivers"

_lock = threading.Lock()
_extra: dict[str, type[Driver]] = {}
_instances: dict[str, Driver] = {}


def register(name: str, driver_cls: type[Driver]) -> None:
    """Add a driver without an entry point (used by the test suite's own driver)."""
    with _lock:
        _extra[name] = driver_cls
        _instances.pop(name, None)


def unregister(name: str) -> None:
    with _lock:
        _extra.pop(name, None)
        _instances.pop(name, None)


def _classes() -> dict[str, type[Driver]]:
    found: dict[str, type[Driver]] = {}
    for ep in entry_points(group=GROUP):
        if ep.name not in CONF.drivers.disabled_drivers:
            found[ep.name] = ep.load()
    found.update({k: v for k, v in _extra.items() if k not in CONF.drivers.disabled_drivers})
    return found


def names() -> list[str]:
    return sorted(_classes())


def get_by_name(name: str) -> Driver:
    with _lock:
        if name in _instances:
            return _instances[name]
    classes = _classes()
    if name not in classes:
        raise exceptions.ClusterDriverNotSupported(name)
    driver = classes[name]()
    with _lock:
        _instances[name] = driver
    return driver


def find_name(server_type: str, os: str | None, coe: str) -> str:
    """Name of the driver that provides the tuple (the last one loaded wins)."""
    match = None
    wanted = Provides(server_type, os or "", coe)
    for name, cls in sorted(_classes().items()):
        if wanted in cls.provides and (not cls.beta or name in CONF.drivers.enabled_beta_drivers):
            match = name
    if match is None:
        raise exceptions.ClusterTypeNotSupported(server_type, os, coe)
    return match


def get(server_type: str, os: str | None, coe: str) -> Driver:
    return get_by_name(find_name(server_type, os, coe))


def resolve(name: str | None, server_type: str, os: str | None, coe: str) -> str:
    """The driver a template will use.

    Unlike Magnum, a named driver must also provide the template's
    (server_type, os, coe): a template no installed driver can build is refused
    when it is written, not when a cluster fails.
    """
    if name is None:
        return find_name(server_type, os, coe)
    driver = get_by_name(name)
    if Provides(server_type, os or "", coe) not in type(driver).provides:
        raise exceptions.ClusterTypeNotSupported(server_type, os, coe)
    return name
