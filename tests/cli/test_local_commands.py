"""Commands that need no server: ``config sample``, ``image build`` and ``image workload``."""

from __future__ import annotations

import re
import sys
import types
import uuid
from pathlib import Path

import docker
import pytest
from oslo_config import cfg

from moorage.cli import main
from moorage.config import list_opts
from tests.real.conftest import docker_host  # noqa: F401  (the fixture, re-used)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^\[([^\]]+)\]$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_sample_has_every_option_with_help_and_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "sample")
    assert code == 0
    found = sections(out)
    for group, opts in list_opts():
        body = found[group or "DEFAULT"]
        for opt in opts:
            assert re.search(rf"^#{opt.dest} = ", body, re.M), (group, opt.dest)
            first_words = " ".join((opt.help or "").split()[:4])
            assert first_words in " ".join(body.replace("#", " ").split()), opt.dest
    assert "#port = 9511" in found["api"]
    assert "#debug = false" in found["DEFAULT"]
    assert "#flavors = m1.tiny:1:512:1,m1.small:1:1024:10," in found["catalog"]
    assert "# noauth - every request acts as an admin" in found["DEFAULT"]


def test_sample_uncommented_loads_back_to_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "moorage.conf"
    assert main.run(["config", "sample", "--output", str(sample)]) == 0
    assert capsys.readouterr().out == ""
    # Uncomment every option that has a real default (not <None>, not a placeholder).
    text = re.sub(r"^#(\w+ = (?!<).*)$", r"\1", sample.read_text(), flags=re.M)
    conf = cfg.ConfigOpts()
    for group, opts in list_opts():
        conf.register_opts(list(opts), group=None if group == "DEFAULT" else group)
    live = tmp_path / "live.conf"
    live.write_text(text)
    conf([], default_config_files=[str(live)])
    for group, opts in list_opts():
        for opt in opts:
            if opt.sample_default is not None or opt.default is None:
                continue
            value = getattr(conf if group == "DEFAULT" else conf[str(group)], opt.dest)
            assert value == opt.default, (group, opt.dest)


def test_image_build_calls_the_driver_builder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []

    def build_node_image(method: str = "hostbin", force: bool = False) -> str:
        calls.append({"method": method, "force": force})
        return "moorage-node:latest"

    fake = types.ModuleType("moorage.drivers.providers.docker.image")
    fake.build_node_image = build_node_image  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "moorage.drivers.providers.docker.image", fake)
    code, out, err = run(capsys, "image", "build", "--method", "debootstrap", "--force")
    assert code == 0
    assert calls == [{"method": "debootstrap", "force": True}]
    assert out == "Node image ready: moorage-node:latest\n"
    assert "Building the node image" in err


def test_image_build_without_the_driver_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moorage.drivers.providers.docker.image", None)
    code, out, err = run(capsys, "image", "build")
    assert code == 1
    assert out == ""
    assert err.startswith(
        "ERROR: the Docker node image builder "
        "(moorage.drivers.providers.docker.image.build_node_image) is not available"
    )


def test_image_build_failure_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def build_node_image(method: str = "hostbin", force: bool = False) -> str:
        raise RuntimeError("docker engine unreachable")

    fake = types.ModuleType("moorage.drivers.providers.docker.image")
    fake.build_node_image = build_node_image  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "moorage.drivers.providers.docker.image", fake)
    code, _, err = run(capsys, "image", "build")
    assert code == 1
    assert "ERROR: building the node image failed: docker engine unreachable" in err


def test_image_workload_defaults_to_the_name_the_readme_uses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tags: list[str] = []
    fake = types.ModuleType("moorage.drivers.providers.docker.image")
    fake.build_busybox_image = lambda tag: tags.append(tag) or tag  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "moorage.drivers.providers.docker.image", fake)
    code, out, _ = run(capsys, "image", "workload")
    assert (code, tags, out) == (0, ["busybox:latest"], "Workload image ready: busybox:latest\n")


@pytest.mark.real
def test_image_workload_builds_a_runnable_busybox_image(
    docker_host: docker.DockerClient,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    tag = f"moorage-test-workload:{uuid.uuid4().hex[:8]}"  # never a tag someone uses
    try:
        code, out, err = run(capsys, "image", "workload", tag)
        assert code == 0, err
        assert out == f"Workload image ready: {tag}\n"
        built = docker_host.images.get(tag).id
        assert run(capsys, "image", "workload", tag)[0] == 0
        assert docker_host.images.get(tag).id == built  # cached, not rebuilt
        served = docker_host.containers.run(  # the README's workload: httpd, reached locally
            tag,
            [
                "sh",
                "-c",
                "echo hello > /tmp/index.html && httpd -p 8080 -h /tmp && "
                "wget -q -O - http://127.0.0.1:8080/",
            ],
            remove=True,
        )
        assert served == b"hello\n"
    finally:
        docker_host.images.remove(tag, force=True)


def test_sample_merges_a_group_declared_twice() -> None:
    from moorage.cli import sample

    text = sample.render(
        [
            (None, [cfg.IntOpt("a", default=1, help="First.")]),
            ("DEFAULT", [cfg.ListOpt("b", default=["x", "y"], help="Second.")]),
        ]
    )
    assert text.count("[DEFAULT]") == 1
    assert "# First. (integer value)\n#a = 1\n" in text
    assert "# Second. (list value)\n#b = x,y\n" in text


def test_image_build_kubernetes_refuses_an_unknown_kube_tag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "image", "build", "--coe", "kubernetes", "--kube-tag", "v1.2.3")
    assert code == 1 and out == ""
    assert "ERROR: building the Kubernetes node image failed: Kubernetes v1.2.3 is not a " in err
    assert "supported kube_tag (supported: v1.34.12, v1.35.8)" in err


def test_image_build_kube_tag_needs_coe_kubernetes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "image", "build", "--kube-tag", "v1.34.12")
    assert (code, out) == (1, "")
    assert err == "ERROR: --kube-tag applies to --coe kubernetes only\n"
