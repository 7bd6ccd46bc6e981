"""A lock that fails for want of a Python: reqconv says so in its own words (real uv, no network)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reqconv import fs
from reqconv.errors import UvError
from reqconv.lock.locking import lock_service
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of

pytestmark = pytest.mark.uv


@pytest.mark.parametrize(
    ("uv_python", "uv_says"),
    [
        pytest.param(True, "incompatible with the project's Python requirement", id="UV_PYTHON"),
        pytest.param(False, "No interpreter found for Python >=3.99", id="search"),
    ],
)
def test_no_python_for_requires_python_is_explained(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uv_python: bool, uv_says: str
) -> None:
    if not uv_python:
        monkeypatch.delenv("UV_PYTHON")
    service = tmp_path / "svc"
    service.mkdir()
    text = (
        '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.99"\n'
        'dependencies = ["alpha"]\n\n[tool.uv]\npackage = false\n'
    )
    (service / "pyproject.toml").write_text(text)
    with pytest.raises(UvError) as excinfo, fs.Transaction() as tx:
        lock_service(service, tx=tx)
    message = str(excinfo.value)
    assert message.startswith(
        f"no Python for requires-python = '>=3.99' (in {service / 'pyproject.toml'}:4): "
    )
    if uv_python:  # the real cause is named, not a guess
        assert "uv uses the Python UV_PYTHON (set in the environment) names, " in message
        assert "unset UV_PYTHON or point it at a Python that requires-python admits" in message
    else:
        assert "`uv python install 3.99`" in message
    assert "--python X.Y" in message
    assert uv_says in message  # uv's own words follow
    assert (service / "pyproject.toml").read_text() == text
    assert not (service / "uv.lock").exists()


def test_a_python_download_that_fails_is_explained(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only managed Pythons count, none is installed, and the download mirror refuses on loopback:
    # what a machine without network sees when uv goes to fetch the Python requires-python asks.
    monkeypatch.delenv("UV_PYTHON")
    monkeypatch.delenv("UV_OFFLINE")
    monkeypatch.setenv("UV_PYTHON_PREFERENCE", "only-managed")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "automatic")
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "pythons"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_MIRROR", "http://127.0.0.1:9")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    service = tmp_path / "svc"
    service.mkdir()
    (service / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = ["alpha"]\n\n[tool.uv]\npackage = false\n'
    )
    with pytest.raises(UvError) as excinfo, fs.Transaction() as tx:
        lock_service(service, tx=tx)
    message = str(excinfo.value)
    assert message.startswith(
        f"no Python for requires-python = '>=3.11' (in {service / 'pyproject.toml'}:4): no "
        "installed Python satisfies it, and uv could not download one (cpython-3."
    )
    assert "`uv python install 3.11`" in message
    assert "Failed to download" in message  # uv's own words follow
    assert not (service / "uv.lock").exists()


def _convert_service(root: Path, python: str) -> Path:
    service = root / "svc"
    service.mkdir()
    (service / "requirements.txt").write_text("alpha\n")
    (service / "Dockerfile").write_text(
        f"FROM python:{python}-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    return service


def test_convert_names_where_requires_python_came_from_when_uv_has_none(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Seen: a service got >=3.12 from its image and uv went to download a Python it could not
    # reach; only uv's DNS error was shown. Here downloads are off (UV_PYTHON_DOWNLOADS=never).
    monkeypatch.delenv("UV_PYTHON")
    service = _convert_service(tmp_path, "3.99")
    before = {p.name: p.read_bytes() for p in service.iterdir()}
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", str(service)]) == 3
    err = capsys.readouterr().err
    first = next(line for line in err.splitlines() if line.startswith("reqconv: error:"))
    assert first.startswith("reqconv: error: no Python for requires-python = '>=3.99' (")
    assert f"'>=3.99' (from {service / 'Dockerfile'}:1 (Python 3.99 image)): " in first
    assert "uv may not download one (offline, or UV_PYTHON_DOWNLOADS=never)" in first
    assert "`uv python install 3.99`" in first
    assert {p.name: p.read_bytes() for p in service.iterdir()} == before  # all restored


def test_a_broken_interpreter_on_path_is_named(tmp_path: Path) -> None:
    stderr = (
        "error: Failed to inspect Python interpreter from search path at "
        "`/root/.pyenv/shims/python3.13`\n  cause: Querying Python at "
        "`/root/.pyenv/shims/python3.13` failed with exit status exit status: 127\n"
    )

    def runner(argv: list[str], **_: object) -> str:
        raise UvError("`uv lock` failed", argv=tuple(argv), returncode=2, stderr=stderr)

    service = tmp_path / "svc"
    service.mkdir()
    (service / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.13"\n'
    )
    with pytest.raises(UvError) as excinfo, fs.Transaction() as tx:
        lock_service(service, tx=tx, runner=runner, uv_path=Path("/fake/uv"))
    assert "uv stopped at an interpreter it could not run, /root/.pyenv/shims/python3.13" in (
        excinfo.value.message
    )


@pytest.mark.parametrize(
    ("version_file", "requires", "uv_says", "what"),
    [
        pytest.param(
            f"{sys.version_info.major}.{sys.version_info.minor}",
            f">={sys.version_info.major}.{sys.version_info.minor + 1}",
            "The Python request from `.python-version` resolved to",
            "which does not satisfy it",
            id="excluded",
        ),
        pytest.param(
            "3.99",
            f">={sys.version_info.major}.{sys.version_info.minor}",
            "No interpreter found for Python 3.99",
            "which is not installed",
            id="missing",
        ),
    ],
)
def test_a_python_version_file_that_uv_follows_is_named(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    version_file: str,
    requires: str,
    uv_says: str,
    what: str,
) -> None:
    # issue 15: uv selects its interpreter from .python-version; reqconv blamed "UV_PYTHON or
    # --python", which nobody had set
    monkeypatch.delenv("UV_PYTHON")
    # the Python that runs the tests on PATH, and no pyenv shim (which reads .python-version too)
    monkeypatch.setenv("PATH", str(Path(sys.executable).resolve().parent))
    service = tmp_path / "svc"
    service.mkdir()
    (service / ".python-version").write_text(f"# local development\n{version_file}\n")
    (service / "pyproject.toml").write_text(
        f'[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = "{requires}"\n'
        'dependencies = ["alpha"]\n\n[tool.uv]\npackage = false\n'
    )
    with pytest.raises(UvError) as excinfo, fs.Transaction() as tx:
        lock_service(service, tx=tx)
    message = str(excinfo.value)
    assert f"uv uses the Python {service / '.python-version'}:2 names, {version_file}, {what}" in (
        message
    )
    assert f"change {service / '.python-version'}:2 to a Python that requires-python admits" in (
        message
    )
    assert "UV_PYTHON or" not in message
    assert "UV_PYTHON (set" not in message
    assert uv_says in message
