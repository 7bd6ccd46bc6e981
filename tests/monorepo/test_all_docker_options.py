"""``--multi-stage`` and ``--verify`` with ``--all``, without an engine: the split is the one a
single-service run writes, no engine is exit 3 before anything is written, and the verify hook
(builds faked) fails one service only, one service at a time. The real builds run in
tests/builds/test_verify.py (marker ``docker``)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from reqconv.docker.engine import Engine
from reqconv.docker.plan import ServicePlan
from reqconv.docker.verify import Failure, Measured, Verification
from tests._builders import fake_uv
from tests.integration.test_lock import exit_code_of, snapshot

CEXT = Path(__file__).resolve().parents[2] / "fixtures" / "verify" / "cext"


def _services(parent: Path) -> Path:
    """Two services below ``parent``: ``a`` (the cext fixture) and ``b`` (on Python 3.12)."""
    shutil.copytree(CEXT, parent / "a")
    shutil.copytree(CEXT, parent / "b")
    dockerfile = parent / "b" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("python:3.11", "python:3.12"))
    return parent


@pytest.fixture
def fake_uv_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv answers ``--version`` only (the pin of the rewritten files); nothing here locks."""
    monkeypatch.setenv("UV", str(fake_uv(tmp_path / "uv", "exit 9\n")))


@pytest.mark.usefixtures("fake_uv_env")
@pytest.mark.parametrize(("command", "jobs"), [("convert", "1"), ("convert", "2"), ("docker", "2")])
def test_multi_stage_all_writes_what_a_single_service_run_writes(
    tmp_path: Path, command: str, jobs: str
) -> None:
    single = _services(tmp_path / "single")
    repo = _services(tmp_path / "repo")
    no_lock = ["--no-lock"] if command == "convert" else []
    for name in ("a", "b"):
        argv = [command, "--multi-stage", *no_lock, "--quiet", str(single / name)]
        assert exit_code_of(argv) == 0
    argv = [command, "--all", "--multi-stage", *no_lock, "-j", jobs, "--quiet", str(repo)]
    assert exit_code_of(argv) == 0
    for name, base in (("a", "python:3.11"), ("b", "python:3.12")):
        text = (repo / name / "Dockerfile").read_text()
        assert f"FROM {base} AS builder" in text
        assert "COPY --from=builder /opt/venv /opt/venv" in text
        assert text == (single / name / "Dockerfile").read_text()
        assert snapshot(repo / name) == snapshot(single / name)  # every other file too


@pytest.mark.usefixtures("fake_uv_env")
@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "--all", "--verify", "--no-lock"],
        ["convert", "--all", "--verify", "--multi-stage", "-j", "2"],
        ["docker", "--all", "--verify", "-j", "2"],
        ["docker", "--all", "--verify", "--dry-run"],  # docker builds whatever the mode
    ],
)
def test_verify_all_without_an_engine_exits_3_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    repo = _services(tmp_path / "repo")
    before = snapshot(repo)
    monkeypatch.setenv("REQCONV_DOCKER", str(tmp_path / "no-docker"))
    capsys.readouterr()
    assert exit_code_of([*argv, str(repo)]) == 3
    assert "no docker client was found" in capsys.readouterr().err
    assert snapshot(repo) == before


@pytest.mark.usefixtures("fake_uv_env")
def test_convert_verify_all_dry_run_needs_no_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # as `convert --verify --dry-run` of one service: its builds need the lock it would write
    repo = _services(tmp_path / "repo")
    before = snapshot(repo)
    monkeypatch.setenv("REQCONV_DOCKER", str(tmp_path / "no-docker"))
    argv = ["convert", "--all", "--verify", "--dry-run", "--no-lock", "-j", "1", str(repo)]
    assert exit_code_of(argv) == 0
    assert snapshot(repo) == before


def _measured(*, failed: bool = False) -> Measured:
    if failed:
        failure = Failure(what="cold build", step="[3/4] RUN uv pip sync /tmp/r.lock", tail="bad")
        return Measured(build_seconds=1.0, failure=failure)
    return Measured(build_seconds=2.0, install_cached=True, imports_ok=True, imported=2)


def fake_verify(
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
    seen: Callable[[ServicePlan, Sequence[str]], None] = lambda plan, build_args: None,
) -> None:
    """The engine answers; the builds of the service folder named ``failing`` fail, every other
    one passes; ``seen`` hears each ``verify_plan`` call. Faked in this process only, so a run
    whose tasks went to worker processes would reach for the real engine."""
    from reqconv.docker import engine, verify

    def verify_plan(
        engine: Engine, plan: ServicePlan, *, build_args: Sequence[str] = (), **kwargs: object
    ) -> list[Verification]:
        seen(plan, build_args)
        return [
            Verification(
                dockerfile=change.path,
                context=plan.root,
                target=None,
                edited="app.py",
                original=_measured(),
                rewritten=_measured(failed=plan.root.name == failing),
            )
            for change in plan.changes
            if change.changed and change.path in plan.builds
        ]

    monkeypatch.setattr(verify, "verify_plan", verify_plan)
    monkeypatch.setattr(
        engine, "find_engine", lambda: Engine(client="docker", version="27.0", buildx=True)
    )


@pytest.fixture
def fake_builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """``fake_verify`` with service ``b`` failing; each call recorded (service name, build
    args)."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    fake_verify(monkeypatch, "b", lambda plan, args: calls.append((plan.root.name, tuple(args))))
    return calls


@pytest.mark.usefixtures("fake_uv_env")
@pytest.mark.parametrize("command", ["convert", "docker"])
def test_verify_all_writes_the_service_that_passed_and_keeps_the_one_that_failed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_builds: list[tuple[str, tuple[str, ...]]],
    command: str,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)  # -j 2 would run two processes
    repo = _services(tmp_path / "repo")
    before = snapshot(repo / "b")
    no_lock = ["--no-lock"] if command == "convert" else []
    argv = [command, "--all", "--verify", *no_lock, "--build-arg", "X=1", "-j", "2", str(repo)]
    capsys.readouterr()
    assert exit_code_of(argv) == 1
    out, err = capsys.readouterr()
    assert fake_builds == [("a", ("X=1",)), ("b", ("X=1",))]  # in this process, one at a time
    assert "--verify: one service at a time (not 2)" in err
    assert "uv pip sync" in (repo / "a" / "Dockerfile").read_text()
    assert snapshot(repo / "b") == before  # its Dockerfile, and no pyproject.toml left either
    if command == "convert":
        assert (repo / "a" / "pyproject.toml").is_file()
    assert f"{(repo / 'a' / 'Dockerfile').as_posix()}: verified" in out
    assert f"{(repo / 'b' / 'Dockerfile').as_posix()}: FAILED" in out
    # the failing step named, as the single-service run names it
    assert (
        "error: the rewritten image failed its cold build at step [3/4] RUN uv pip sync "
        "/tmp/r.lock; the Dockerfile is left as it was:\nbad"
    ) in out
    assert f"\n{(repo / 'b').as_posix()}: failed\n" in out


@pytest.mark.usefixtures("fake_uv_env")
def test_verify_all_json_carries_each_services_verify_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_builds: list[object]
) -> None:
    repo = _services(tmp_path / "repo")
    capsys.readouterr()
    assert exit_code_of(["docker", "--all", "--verify", "--json", str(repo)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [(item["status"], item["exit_code"]) for item in data] == [
        ("rewritten", 0),
        ("failed", 1),
    ]
    (passed,), (failed,) = (item["verified"] for item in data)
    assert passed["ok"] is True
    assert passed["path"] == (repo / "a" / "Dockerfile").as_posix()
    assert passed["verify"]["rewritten"]["imports_ok"] is True
    assert failed["ok"] is False
    assert failed["verify"]["rewritten"]["failure"] == {
        "what": "cold build",
        "step": "[3/4] RUN uv pip sync /tmp/r.lock",
        "log_tail": "bad",
    }
    assert data[1]["written"] == []
