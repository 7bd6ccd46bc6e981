"""``-e .`` in a requirements file: the service is a package that uv locks and installs, as pip did.

Real uv and the local index; the service builds with the in-tree test backend (tests/_builders.py),
which has ``build_wheel`` only, so the project is installed non-editable here (``--no-editable``,
and ``uv pip install --no-deps .`` as an image does after copying the source).
"""

from __future__ import annotations

import json
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests._builders import make_source_tree
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of, pins_of, snapshot

pytestmark = pytest.mark.uv


def _service(root: Path) -> Path:
    service = make_source_tree(root / "svc", "svc", "1.0", requires=["beta==1.5"])
    (service / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["_backend"]

            [project]
            name = "svc"
            version = "1.0"
            dependencies = []
            """
        )
    )
    (service / "requirements.txt").write_text("beta==1.5\n-e .\n")
    return service


def _installed(uv_env: UvEnv, python: Path, cwd: Path) -> dict[str, str]:
    listed = uv_env.run("pip", "list", "--format", "json", "--python", str(python), cwd=cwd)
    return {item["name"]: item["version"] for item in json.loads(listed)}


def test_editable_project_itself_is_locked_and_installed(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "svc"]) == 0

    pyproject = tomllib.loads((service / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == ["beta==1.5"]
    assert "package" not in pyproject.get("tool", {}).get("uv", {})
    lock = tomllib.loads((service / "uv.lock").read_text())
    (own,) = [p for p in lock["package"] if p["name"] == "svc"]
    assert own["source"] == {"editable": "."}
    production = (service / "requirements.lock").read_text()
    assert pins_of(production) == {"alpha": "2.0", "beta": "1.5"}  # the project is not in it

    # What an image does: the export, then the project from its source without dependencies.
    venv = tmp_path / "venv"
    uv_env.run("venv", "--python", sys.executable, str(venv), cwd=tmp_path)
    uv_env.run(
        "pip", "sync", "--require-hashes", "--python", str(venv), "requirements.lock", cwd=service
    )
    uv_env.run("pip", "install", "--no-deps", "--python", str(venv), ".", cwd=service)
    assert _installed(uv_env, venv / "bin" / "python", service) == {
        "alpha": "2.0",
        "beta": "1.5",
        "svc": "1.0",
    }

    # uv sync installs the project too (the package the requirements' -e . installed).
    uv_env.run("sync", "--frozen", "--no-editable", cwd=service)
    synced = service / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    assert _installed(uv_env, synced, service) == {"alpha": "2.0", "beta": "1.5", "svc": "1.0"}

    before = snapshot(service)
    assert exit_code_of(["convert", "--check", "svc"]) == 0
    assert snapshot(service) == before


def test_project_without_build_system_is_said_at_the_line(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = tmp_path / "app"
    service.mkdir()
    (service / "requirements.txt").write_text("beta==1.5\n-e .\n")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", "app"]) == 0
    err = capsys.readouterr().err
    assert "requirements.txt:2" in err
    assert "no build system" in err
    assert "package = false" in (service / "pyproject.toml").read_text()
