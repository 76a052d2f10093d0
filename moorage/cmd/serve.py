"""``moorage serve``: the embedded default, API and conductor in one process."""

from __future__ import annotations

import ipaddress
import logging
import socket

import uvicorn

from moorage import config
from moorage.api.app import create_app
from moorage.cmd import startup
from moorage.conductor.service import Conductor
from moorage.config import CONF
from moorage.dashboard.mount import mount as mount_dashboard
from moorage.db import migrate, session
from moorage.rpc import api as rpc_api
from moorage.rpc.local import LocalTransport

LOG = logging.getLogger(__name__)


def check_noauth_exposure() -> None:
    """noauth makes every caller an admin: refuse to listen beyond loopback with it."""
    if CONF.auth_strategy != "noauth" or CONF.api.allow_remote_noauth:
        return
    host = CONF.api.host
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        addresses = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(host, None)}
    if not all(a.is_loopback for a in addresses):
        raise SystemExit(
            f"Refusing to serve noauth on {host}: every caller would be an admin. Use "
            "auth_strategy = http_basic or keystone, or set [api] allow_remote_noauth = true."
        )


def start_embedded() -> Conductor:
    """Database (migrated), in-process bus and a conductor, ready for the API."""
    engine = session.configure()
    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine)
    migrate.check(engine)
    conductor = Conductor()
    rpc_api.set_transport(LocalTransport(conductor.manager, CONF.conductor.workers))
    conductor.start()
    return conductor


def setup_logging() -> None:
    logging.basicConfig(
        level=logging.DEBUG if CONF.debug else logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s",
    )


def run(argv: list[str] | None = None) -> None:
    """Serve until interrupted; arguments are oslo.config's (--config-file ...)."""
    config.load(argv, prog="moorage serve")
    setup_logging()
    check_noauth_exposure()
    conductor = start_embedded()
    try:
        app = create_app()
        mount_dashboard(app)
        server = uvicorn.Server(
            uvicorn.Config(app, host=CONF.api.host, port=CONF.api.port, log_level="warning")
        )
        sock = server.config.bind_socket()  # a port in use ends here, with uvicorn's message
        LOG.info(
            "Moorage API listening on %s (auth_strategy %s; state in %s)",
            listen_url(CONF.api.host, CONF.api.port),
            CONF.auth_strategy,
            CONF.state_path,
        )
        startup.freeze_heap()
        server.run(sockets=[sock])
    finally:
        conductor.stop()


def listen_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
