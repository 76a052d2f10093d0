"""Every configuration option of Moorage, declared once.

Section and option names follow Magnum's wherever Magnum has the option, so an
operator's knowledge (and much of an existing magnum.conf) carries over. Every
default lets ``moorage serve`` run with no configuration file at all.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterable, Sequence

from oslo_config import cfg
from oslo_policy import opts as policy_opts

CONF = cfg.CONF

_STATE_DEFAULT = os.path.join(os.path.expanduser("~"), ".local", "share", "moorage")


class _SharedStrOpt(cfg.StrOpt):
    """A string option oslo.messaging declares too, with its own default and help.

    oslo.config refuses a second, different declaration of a registered name, and
    the library registers its declaration whenever it creates a transport. This one
    counts as equal to any same-named string option, so that registration is a
    no-op and Moorage's default (unset: embedded mode) and help stay in force.
    """

    def __eq__(self, other: object) -> bool:
        return isinstance(other, cfg.StrOpt) and other.dest == self.dest

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = cfg.StrOpt.__hash__


default_opts = [
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level instead of INFO."),
    cfg.StrOpt(
        "host",
        default=socket.gethostname(),
        sample_default="<hostname>",
        help="Name of this node; identifies the conductor in mservices and notifications.",
    ),
    cfg.StrOpt(
        "state_path",
        default=_STATE_DEFAULT,
        sample_default="~/.local/share/moorage",
        help="Directory for the embedded SQLite database, generated secrets and caches.",
    ),
    cfg.StrOpt(
        "auth_strategy",
        default="noauth",
        choices=[
            ("noauth", "every request acts as an admin of [noauth] project_id"),
            ("http_basic", "htpasswd users mapped to projects and roles"),
            ("keystone", "Keystone tokens through keystonemiddleware"),
        ],
        help="How API requests are authenticated.",
    ),
    _SharedStrOpt(
        "transport_url",
        secret=True,
        help="Message bus URL. Unset means the in-process bus (embedded mode); "
        "rabbit://... selects AMQP.",
    ),
    cfg.BoolOpt(
        "periodic_enable",
        default=True,
        help="Run the conductor's periodic tasks (status sync, health, heartbeat).",
    ),
    cfg.IntOpt(
        "periodic_interval_max",
        default=60,
        min=1,
        help="Longest idle time, in seconds, between two runs of the periodic tasks.",
    ),
    cfg.IntOpt(
        "service_down_time",
        default=180,
        min=1,
        help="Seconds without a heartbeat after which a conductor is shown as down.",
    ),
    cfg.IntOpt(
        "status_sync_interval",
        default=10,
        min=1,
        help="Seconds between two polls of clusters whose operation is in progress.",
    ),
    cfg.IntOpt(
        "rpc_send_retries",
        default=2,
        min=0,
        help="Reconnections a cast or call to the conductors tries while the message bus "
        "is unreachable before the API answers 503. Each waits "
        "[oslo_messaging_rabbit] rabbit_retry_interval (growing by rabbit_retry_backoff) "
        "plus up to 5 seconds to connect. Calls also wait up to rpc_response_timeout "
        "seconds for the answer.",
    ),
]

api_opts = [
    cfg.HostAddressOpt("host", default="127.0.0.1", help="Address the API listens on."),
    cfg.PortOpt("port", default=9511, help="Port the API listens on."),
    cfg.IntOpt("max_limit", default=1000, min=1, help="Largest page a collection returns."),
    cfg.IntOpt("workers", default=1, min=1, help="Number of API worker processes."),
    cfg.IntOpt(
        "threads",
        default=8,
        min=1,
        help="Requests one API process works on at the same time (the thread pool its "
        "routes run in); the others wait their turn. One thread at a time runs Python, so "
        "more threads only contend for it: 8 kept 64 clients at 16 clients' throughput, "
        "40 lost a third. A request waiting on a conductor holds its thread. Keep "
        "[database] max_pool_size at or above it.",
    ),
    cfg.IntOpt(
        "policy_decisions",
        default=4096,
        min=0,
        help="Policy decisions an API process remembers (least recently used out first). "
        "Each is keyed by the rule, the target and every credential of the caller, and "
        "all are forgotten when oslo.policy reloads its rules; none are kept while a "
        "rule has an http: or https: check. 0 works every decision out again.",
    ),
    cfg.IntOpt(
        "shutdown_timeout",
        default=30,
        min=1,
        help="Seconds a stopping moorage-api lets the requests in progress finish before "
        "it cancels them. A worker process still running 5 seconds after that is killed.",
    ),
    cfg.StrOpt(
        "healthcheck_disable_file",
        default="/etc/moorage/healthcheck_disable",
        help="While this file exists /healthcheck answers 503, to drain a node from a load balancer.",
    ),
    cfg.BoolOpt(
        "allow_remote_noauth",
        default=False,
        help="Let the API listen on a non-loopback address while auth_strategy is noauth. "
        "Off by default because noauth makes every caller an admin.",
    ),
]

database_opts = [
    cfg.StrOpt(
        "connection",
        secret=True,
        help="SQLAlchemy URL of the database. Unset means a SQLite file under state_path.",
    ),
    cfg.IntOpt("max_pool_size", default=10, min=1, help="Connections kept in the pool."),
    cfg.IntOpt("pool_timeout", default=10, min=1, help="Seconds to wait for a free connection."),
]

noauth_opts = [
    cfg.StrOpt("project_id", default="default", help="Project that noauth requests act in."),
    cfg.StrOpt("user_id", default="admin", help="User that noauth requests act as."),
]

http_basic_opts = [
    cfg.StrOpt(
        "auth_file",
        default="/etc/moorage/htpasswd",
        help="htpasswd file with bcrypt password hashes (htpasswd -B).",
    ),
    cfg.StrOpt(
        "projects_file",
        default="/etc/moorage/users.yaml",
        help="YAML file mapping each user to its project_id and roles.",
    ),
]

conductor_opts = [
    cfg.StrOpt("topic", default="magnum-conductor", help="RPC topic the conductors listen on."),
    cfg.IntOpt(
        "workers",
        default=4,
        min=1,
        help="Operations one conductor runs at the same time (thread pool size).",
    ),
    cfg.IntOpt(
        "lease_time",
        default=60,
        min=3,
        help="Seconds a conductor's lease on a cluster lasts unless renewed. A conductor "
        "that dies releases its clusters after this long.",
    ),
    cfg.IntOpt(
        "reconcile_interval",
        default=30,
        min=1,
        help="Seconds between two runs of the reconcile loop that takes over operations "
        "whose conductor died or whose message was lost.",
    ),
    cfg.PortOpt(
        "metrics_port",
        default=0,
        help="Port of the conductor's Prometheus listener (GET /metrics: operation durations "
        "by outcome, operations in progress, lease takeovers, the conductor topic's queue "
        "depth). 0, the default, runs no listener: each conductor on a host needs a port of "
        "its own. The API serves its own metrics at /metrics on [api] port.",
    ),
    cfg.HostAddressOpt(
        "metrics_host",
        default="127.0.0.1",
        help="Address of the conductor's Prometheus listener (see metrics_port); it has no "
        "authentication.",
    ),
]

drivers_opts = [
    cfg.ListOpt("disabled_drivers", default=[], help="Driver entry point names to hide."),
    cfg.ListOpt(
        "enabled_beta_drivers", default=[], help="Beta drivers that may nevertheless be used."
    ),
    cfg.StrOpt("default_driver", help="Driver given to templates that name none."),
]

cluster_template_opts = [
    cfg.ListOpt(
        "kubernetes_allowed_network_drivers",
        default=["flannel", "calico"],
        help="Network drivers allowed for Kubernetes templates; 'all' allows every supported one.",
    ),
    cfg.StrOpt(
        "kubernetes_default_network_driver",
        default="flannel",
        help="Network driver of a Kubernetes template that names none.",
    ),
    cfg.ListOpt(
        "swarm_allowed_network_drivers",
        default=["all"],
        help="Network drivers allowed for swarm-mode templates; 'all' allows every supported one.",
    ),
    cfg.StrOpt(
        "swarm_default_network_driver",
        default="docker",
        help="Network driver of a swarm-mode template that names none.",
    ),
]

cluster_opts = [
    cfg.IntOpt(
        "max_nodes_per_cluster",
        default=50,
        min=1,
        help="Most nodes one cluster may have: masters and workers of every node group "
        "together. Sized for one host, where every node is a container with an engine of "
        "its own. A driver may allow fewer (swarm-mode on one /24 bridge network: 245); "
        "the lower limit applies. Creates, resizes and node groups beyond it are refused "
        "with 400; shrinking a cluster is always allowed.",
    ),
]

oslo_middleware_opts = [
    cfg.IntOpt(
        "max_request_body_size",
        default=114688,
        min=1,
        help="The maximum body size for each request, in bytes (oslo.middleware's name "
        "and default). A larger body is refused with 413 before it is parsed.",
    ),
]

quotas_opts = [
    cfg.IntOpt(
        "max_clusters_per_project",
        default=20,
        min=0,
        help="Clusters a project may own when it has no quota row of its own.",
    ),
]

cinder_opts = [
    cfg.IntOpt(
        "default_boot_volume_size",
        default=0,
        min=0,
        help="Boot volume size in GB; 0 means nodes boot from the flavor's root disk.",
    ),
]

x509_opts = [
    cfg.IntOpt("rsa_key_size", default=2048, min=1024, help="Size of generated RSA keys."),
    cfg.IntOpt(
        "term_of_validity", default=1825, min=1, help="Days a generated certificate is valid."
    ),
    cfg.BoolOpt("allow_ca", default=False, help="Whether a signed CSR may ask to be a CA."),
    cfg.ListOpt(
        "allowed_extensions",
        default=[
            "keyUsage",
            "extendedKeyUsage",
            "subjectAltName",
            "basicConstraints",
            "subjectKeyIdentifier",
        ],
        help="CSR extensions copied into signed certificates.",
    ),
    cfg.ListOpt(
        "allowed_key_usage",
        default=["Digital Signature", "Key Encipherment", "Non Repudiation"],
        help="Key usages a signed certificate may carry.",
    ),
]

certificates_opts = [
    cfg.StrOpt(
        "encryption_key_file",
        help="File holding the Fernet key that encrypts CA private keys at rest. Unset means "
        "<state_path>/ca-encryption.key, generated on first use (mode 0600).",
    ),
]

kubernetes_opts = [
    cfg.IntOpt(
        "health_polling_interval",
        default=60,
        help="Seconds between two health polls of every cluster; negative disables polling.",
    ),
]

docker_opts = [
    cfg.StrOpt(
        "build_cache",
        default="/var/cache/moorage",
        help="Directory of the Kubernetes node image build's caches (Go modules and build "
        "cache, the built binaries, the node root file system, logs), kept across builds so "
        "that a second `moorage image build --coe kubernetes` does nothing. The environment "
        "variable MOORAGE_CACHE, which the build scripts read, takes precedence.",
    ),
]

catalog_opts = [
    cfg.ListOpt(
        "flavors",
        default=[
            "m1.tiny:1:512:1",
            "m1.small:1:1024:10",
            "m1.medium:2:2048:20",
            "m1.large:2:4096:40",
        ],
        help="Node flavors as name:cpus:memory_mb:root_disk_gb. They take the place of "
        "Nova flavors in template and cluster validation and size node containers.",
    ),
    cfg.ListOpt(
        "images",
        default=["moorage-node:debian", "moorage-k8s-node:debian"],
        help="Node images as name:os_distro[:driver]. They take the place of Glance images; "
        "os_distro selects the driver like Glance's os_distro property.",
    ),
    cfg.ListOpt(
        "external_networks",
        default=["public"],
        help="Names accepted as external_network_id (the host network nodes publish on).",
    ),
    cfg.ListOpt(
        "networks",
        default=[],
        help="Pre-existing networks a template may name as fixed_network.",
    ),
    cfg.ListOpt(
        "subnets",
        default=[],
        help="Pre-existing subnets a template may name as fixed_subnet.",
    ),
    cfg.ListOpt(
        "keypairs",
        default=[],
        help="Key pair names a cluster may name; any other name is refused like Nova's.",
    ),
]

dashboard_opts = [
    cfg.BoolOpt(
        "enabled",
        default=True,
        help="Serve the web dashboard at /dashboard/ (moorage serve and moorage-api).",
    ),
    cfg.URIOpt(
        "api_url",
        schemes=["http", "https"],
        help="URL the dashboard calls the v1 API at. Unset means the address and port the "
        "browser's request arrived on, over plain HTTP: the same process.",
    ),
    cfg.StrOpt(
        "secret_key",
        secret=True,
        help="Secret that encrypts and signs the dashboard's session cookies; every API "
        "process serving the same users needs the same one. Unset means "
        "<state_path>/dashboard-secret.key, generated on first use (mode 0600).",
    ),
    cfg.IntOpt(
        "session_lifetime",
        default=43200,
        min=60,
        help="Seconds a dashboard sign-in lasts (a Keystone token that ends earlier ends it "
        "earlier).",
    ),
    cfg.URIOpt(
        "keystone_url",
        schemes=["http", "https"],
        help="Keystone's public URL for the dashboard's sign-in with auth_strategy = "
        "keystone. Unset means the URL the API names in its WWW-Authenticate answer "
        "([keystone_authtoken] www_authenticate_uri).",
    ),
    cfg.FloatOpt(
        "poll_interval",
        default=2.0,
        min=0.2,
        help="Seconds between two refreshes of a page that shows an operation in progress.",
    ),
]

_GROUPS: dict[str | None, Sequence[cfg.Opt]] = {
    None: default_opts,
    "api": api_opts,
    "database": database_opts,
    "noauth": noauth_opts,
    "http_basic": http_basic_opts,
    "conductor": conductor_opts,
    "drivers": drivers_opts,
    "cluster": cluster_opts,
    "cluster_template": cluster_template_opts,
    "quotas": quotas_opts,
    "cinder": cinder_opts,
    "x509": x509_opts,
    "certificates": certificates_opts,
    "kubernetes": kubernetes_opts,
    "catalog": catalog_opts,
    "docker": docker_opts,
    "oslo_middleware": oslo_middleware_opts,
    "dashboard": dashboard_opts,
}

for _group, _opts in _GROUPS.items():
    CONF.register_opts(list(_opts), group=_group)
# oslo.policy's own [oslo_policy] options (policy_file, enforce_new_defaults, ...).
policy_opts._register(CONF)


# oslo.messaging's options that Moorage defaults differently from the library: the
# control exchange is Magnum's, and a notification never waits forever for a broker.
MESSAGING_DEFAULTS: dict[tuple[str | None, str], object] = {
    (None, "control_exchange"): "magnum",
    ("oslo_messaging_notifications", "retry"): 3,
}
# How the sample shows a library option whose default does not read back from a file.
MESSAGING_SAMPLES: dict[tuple[str | None, str], str] = {
    ("oslo_messaging_notifications", "driver"): "<unset: to the log; messagingv2: to the bus>",
}
# The library's groups Moorage uses ([oslo_messaging_kafka] is left out: untested here).
MESSAGING_GROUPS = (None, "oslo_messaging_notifications", "oslo_messaging_rabbit")


def _messaging_opts() -> list[tuple[str | None, list[cfg.Opt]]]:
    """oslo.messaging's own declarations (copies), less the transport_url declared above.

    Imported on demand: only the AMQP bus, the notifier and the sample need the
    library, and importing it costs a few hundred milliseconds.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library pulls in eventlet, which warns on import
        from oslo_messaging import opts as messaging_opts

    return [
        (group, [o for o in opts if (group, o.dest) != (None, "transport_url")])
        for group, opts in messaging_opts.list_opts()
        if group in MESSAGING_GROUPS
    ]


def register_messaging_opts() -> None:
    """Register oslo.messaging's options on CONF, with Moorage's defaults.

    The library registers the same declarations itself when it creates a transport
    or a notifier; they are registered unchanged (oslo.config accepts only an
    identical duplicate) and Moorage's defaults are set on CONF instead.
    """
    for group, opts in _messaging_opts():
        CONF.register_opts(opts, group=group)
    for (group, name), value in MESSAGING_DEFAULTS.items():
        CONF.set_default(name, value, group=group)


def list_opts() -> list[tuple[str | None, Iterable[cfg.Opt]]]:
    """Entry point for oslo-config-generator and ``moorage config sample``.

    Includes keystonemiddleware's [keystone_authtoken], oslo.policy's and oslo.messaging's options (bus, [oslo_messaging_rabbit],
    [oslo_messaging_notifications]) with Moorage's defaults, less those the
    library deprecated for removal.
    """
    groups: dict[str | None, list[cfg.Opt]] = {g: list(o) for g, o in _GROUPS.items()}
    for group, opts in _messaging_opts():
        for opt in opts:
            opt.default = MESSAGING_DEFAULTS.get((group, opt.dest), opt.default)
            opt.sample_default = MESSAGING_SAMPLES.get((group, opt.dest), opt.sample_default)
        groups.setdefault(group, []).extend(o for o in opts if not o.deprecated_for_removal)
    ours: list[tuple[str | None, Iterable[cfg.Opt]]] = [
        (group or "DEFAULT", opts) for group, opts in groups.items()
    ]
    from keystonemiddleware import auth_token  # heavy; only the sample needs it

    return ours + list(policy_opts.list_opts()) + [(g, list(o)) for g, o in auth_token.list_opts()]


def load(args: Sequence[str] | None = None, prog: str = "moorage") -> None:
    """Parse ``--config-file``/``--config-dir`` arguments and the files into CONF.

    With no ``--config-file`` the usual locations (/etc/moorage/moorage.conf, ...)
    are searched; none is required.
    """
    CONF(list(args or []), project="moorage", prog=prog)


def state_path(*parts: str) -> str:
    """Return a path below state_path, creating the directory on the way.

    The directory is the owner's only (0700), also when it was made beforehand:
    it holds the database and the key that encrypts every cluster's CA key.
    """
    base = os.path.expanduser(CONF.state_path)
    os.makedirs(base, mode=0o700, exist_ok=True)
    if stat.S_IMODE(os.stat(base).st_mode) != 0o700:
        os.chmod(base, 0o700)
    return os.path.join(base, *parts)


def database_url() -> str:
    return CONF.database.connection or "sqlite:///" + state_path("moorage.sqlite")
