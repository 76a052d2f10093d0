"""The node containers' seccomp profile as Docker receives it."""

from __future__ import annotations

import json
from typing import Any

from moorage.drivers.providers.docker import confinement


def errno_of(profile: dict[str, Any]) -> dict[str, int]:
    return {name: rule["errnoRet"] for rule in profile["syscalls"] for name in rule["names"]}


def test_host_wide_calls_are_refused_and_keyrings_look_absent() -> None:
    profile = json.loads(confinement.seccomp_profile("1"))
    assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
    refused = errno_of(profile)
    for name in (
        "init_module",
        "finit_module",
        "kexec_load",
        "syslog",
        "settimeofday",
        "clock_settime",
        "open_by_handle_at",
        "bpf",
        "perf_event_open",
        "reboot",
    ):
        assert refused[name] == 1, name  # EPERM
    for name in ("add_key", "keyctl", "request_key"):
        assert refused[name] == 38, name  # ENOSYS: runc goes on without a session keyring
    for name in ("mount", "unshare", "setns", "clone", "pivot_root", "seccomp"):
        assert name not in refused  # what nested runtimes use


def test_compat_architectures_are_filtered_too() -> None:
    # a filter without the 32-bit ABIs would let int 0x80 calls through its default action
    (x86,) = [
        a
        for a in json.loads(confinement.seccomp_profile("1"))["archMap"]
        if a["architecture"] == "SCMP_ARCH_X86_64"
    ]
    assert set(x86["subArchitectures"]) == {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}


def test_cgroup_v2_hosts_keep_bpf_for_nested_device_rules() -> None:
    refused = errno_of(json.loads(confinement.seccomp_profile("2")))
    assert "bpf" not in refused and "init_module" in refused
