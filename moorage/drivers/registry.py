"""Finding drivers: Python entry points in the ``moorage.drivers`` group.

Selection follows Magnum: by explicit name, or by the (server_type, os, coe)
tuple a driver declares in ``provides``. Operators add drivers by installing a
package that declares an entry point; ``[drivers] disabled_drivers`` hides one.
The driver that runs an operation is that COE driver composed with the
template's provider (``moorage.drivers.providers``); with a provider whose nodes
are records only, the composition is a ``RecordsDriver`` keeping the COE's rules.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points

from moorage import exceptions
from moorage.config import CONF
from moorage.drivers import providers
from moorage.drivers.base import Driver, Provides
from moorage.drivers.records import RecordsDriver

GROUP = "moorage.drivers"

_lock = threading.Lock()
# One driver per COE class and provider; keyed by class so that a reinstalled or
# replaced entry point gets a fresh instance.
_instances: dict[tuple[type[Driver], str], Driver] = {}


def _classes() -> dict[str, type[Driver]]:
    found: dict[str, type[Driver]] = {}
    for ep in entry_points(group=GROUP):
        if ep.name not in CONF.drivers.disabled_drivers:
            found[ep.name] = ep.load()
    return found


def names() -> list[str]:
    return sorted(_classes())


def get_by_name(name: str, provider: str = providers.DEFAULT) -> Driver:
    """The COE driver ``name`` composed with the named provider."""
    classes = _classes()
    if name not in classes:
        raise exceptions.ClusterDriverNotSupported(name)
    key = (classes[name], provider)
    with _lock:
        if key not in _instances:
            found = providers.get(provider)
            driver = classes[name](found)
            _instances[key] = driver if found.runs_nodes else RecordsDriver(driver)
        return _instances[key]


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


def get(server_type: str, os: str | None, coe: str, provider: str = providers.DEFAULT) -> Driver:
    return get_by_name(find_name(server_type, os, coe), provider)


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
