"""``reqconv check`` at a monorepo root (issue 19): services converted and locked with the real uv
against the local index, beside one never migrated. Which way each service was answered
(fingerprint, full comparison, layout) is read from the JSON report, never from timings."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import UvEnv
from tests.integration.test_check import PY, _converted
from tests.integration.test_lock import exit_code_of

pytestmark = pytest.mark.uv

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "check.md").read_text()  # shows these runs


def _unmigrated(folder: Path) -> Path:
    """A plugin nobody converted yet: requirements files, a pip Dockerfile, a tool-only pyproject."""
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text("beta==1.5\n")
    (folder / "requirements-dev.txt").write_text("-r requirements.txt\neta==1.0\n")
    (folder / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    (folder / "Dockerfile").write_text(
        textwrap.dedent(
            f"""\
            FROM python:{PY}-slim
            COPY requirements.txt .
            RUN pip install -r requirements.txt
            """
        )
    )
    return folder


@pytest.fixture
def monorepo(uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """apps/backend/svc and apps/worker/svc converted; plugins/acme never migrated."""
    for app in ("backend", "worker"):
        (tmp_path / "apps" / app).mkdir(parents=True)
        _converted(tmp_path / "apps" / app)
    _unmigrated(tmp_path / "plugins" / "acme")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _report(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = exit_code_of(["check", "--format", "json", *argv])
    return code, json.loads(capsys.readouterr().out)


def _services(report: Any) -> dict[str, Any]:
    return {s["path"]: s for s in report["services"]}


def test_unmigrated_service_is_a_note_and_named(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert exit_code_of(["check"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "plugins/acme/requirements.txt:1: M504: plugins/acme is not migrated yet: requirements "
        "files, no pyproject.toml [project] and no uv.lock (fix: reqconv convert PATH)\n"
    )
    assert captured.err == (
        "check: 2 service(s) in sync (fingerprint); 1 not migrated yet "
        "(a note: --require-migrated makes it an error)\n"
    )
    assert f"```\n$ reqconv check\n{captured.out}{captured.err}```" in DOCS

    capsys.readouterr()
    assert exit_code_of(["check", "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert f"```json\n{out}```" in DOCS
    code, report = _report(capsys)
    assert code == 0
    assert report["migrated"] is False
    services = _services(report)
    assert set(services) == {"apps/backend/svc", "apps/worker/svc", "plugins/acme"}
    acme = services["plugins/acme"]
    assert acme["migrated"] is False
    assert acme["checked_by"] == "layout"
    assert [(f["code"], f["severity"]) for f in acme["findings"]] == [("M504", "note")]
    for path in ("apps/backend/svc", "apps/worker/svc"):
        assert services[path]["migrated"] is True
        assert services[path]["checked_by"] == "fingerprint"


def test_require_migrated_fails_naming_the_folder(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert exit_code_of(["check", "--require-migrated"]) == 1
    captured = capsys.readouterr()
    assert "plugins/acme is not migrated yet" in captured.out
    assert captured.err == "check: 1 finding(s) in 3 service(s); 1 not migrated yet\n"
    assert f"```\n$ reqconv check --require-migrated\n{captured.out}{captured.err}```" in DOCS

    assert exit_code_of(["check", "--require-migrated", "--format", "github"]) == 1
    assert capsys.readouterr().out.startswith(
        "::error file=plugins/acme/requirements.txt,line=1,title=M504::plugins/acme is not"
    )
    assert exit_code_of(["check", "--format", "github"]) == 0
    assert capsys.readouterr().out.startswith("::notice file=plugins/acme/requirements.txt,")

    # Once converted, the plugin is a service like the others.
    assert exit_code_of(["convert", "plugins/acme"]) == 0
    code, report = _report(capsys, "--require-migrated")
    assert code == 0
    assert report["migrated"] is True
    assert {s["checked_by"] for s in _services(report).values()} == {"fingerprint"}


def test_only_the_drifted_service_is_compared_and_reported(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (monorepo / "apps" / "worker" / "svc" / "requirements.txt").open("a") as f:
        f.write("zeta>=1.0\n")
    code, report = _report(capsys)
    assert code == 1
    services = _services(report)
    worker = services["apps/worker/svc"]
    assert worker["checked_by"] == "full"
    assert [(f["code"], f["path"]) for f in worker["findings"]] == [
        ("R101", "apps/worker/svc/requirements.txt")
    ]
    backend = services["apps/backend/svc"]
    assert (backend["checked_by"], backend["in_sync"], backend["findings"]) == (
        "fingerprint",
        True,
        [],
    )
    assert services["plugins/acme"]["checked_by"] == "layout"

    capsys.readouterr()
    assert exit_code_of(["check"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("apps/worker/svc/requirements.txt:5: R101:")
    assert "apps/backend" not in captured.out
