"""What a node container may do to the host kernel it shares: capabilities and seccomp.

A node runs its own dockerd (next, a kubelet and containerd), and whoever holds the
cluster's Docker API can start workloads with any capability the node has. So the
node keeps what nested runtimes need (SYS_ADMIN for mounts and namespaces,
NET_ADMIN for bridges and iptables, the defaults Docker gives workloads) and loses
what acts on the host as a whole: modules, the clock, the kernel log, raw I/O,
reboot, MAC policy, audit. The seccomp profile (``node-seccomp.json``) refuses the
same things again by system call, as Docker's default profile does, so a workload
cannot get them back by asking its node's engine for ``seccomp=unconfined``:
filters stack, and the node's applies to everything below it.
"""

from __future__ import annotations

import json
from importlib import resources

import docker

from moorage.drivers import dockerapi

# Docker 20.10's "ALL" covers capabilities up to AUDIT_READ; newer ones (BPF,
# PERFMON, CHECKPOINT_RESTORE) are then never granted and it refuses their names.
DROPPED_CAPABILITIES = [
    "SYS_RESOURCE",  # outside this kind of host's bounding set: asking for it fails
    "SYS_MODULE",  # load kernel modules
    "SYS_TIME",  # set the host's clock
    "SYSLOG",  # read the host's kernel log (other clusters' bridge events)
    "SYS_RAWIO",  # iopl/ioperm, /dev/mem, /proc/kcore
    "SYS_BOOT",  # reboot, kexec
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_CONTROL",  # the host's audit rules
    "AUDIT_READ",  # the host's audit log
    "DAC_READ_SEARCH",  # open_by_handle_at: open host files by handle ("shocker")
    "SYS_PACCT",  # process accounting to a file, host-wide
    "SYS_TTY_CONFIG",  # vhangup, host consoles
]

PROFILE = "node-seccomp.json"
# Nested runc on cgroup v2 enforces its containers' device rules with eBPF programs.
_CGROUP_V2_NEEDS = {"bpf"}


def seccomp_profile(cgroup_version: str) -> str:
    """The node profile as the JSON text Docker takes in ``seccomp=<json>``."""
    profile = json.loads(resources.files(__package__).joinpath(PROFILE).read_text())
    if cgroup_version == "2":
        for rule in profile["syscalls"]:
            rule["names"] = [n for n in rule["names"] if n not in _CGROUP_V2_NEEDS]
    return json.dumps(profile, separators=(",", ":"))


def host_seccomp_profile(client: docker.DockerClient) -> str:
    """The node profile for this host engine's cgroup version."""
    info = dockerapi.call("read the host engine's cgroup version", client.info)
    return seccomp_profile(str(info.get("CgroupVersion", "1")))


def security_options(client: docker.DockerClient) -> list[str]:
    """``security_opt`` of a node container on this host engine."""
    return [f"seccomp={host_seccomp_profile(client)}", "apparmor=unconfined"]
