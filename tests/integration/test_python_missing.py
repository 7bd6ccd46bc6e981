"""A lock that fails for want of a Python: reqconv says so in its own words (real uv, no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv import fs
from reqconv.errors import UvError
from reqconv.locking import lock_service
from tests.integration.conftest import UvEnv

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
    assert message.startswith("uv has no Python that satisfies requires-python = '>=3.99'")
    assert "uv python install" in message
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
    assert message.startswith("uv has no Python that satisfies requires-python = '>=3.11'")
    assert "Failed to download" in message
    assert not (service / "uv.lock").exists()
