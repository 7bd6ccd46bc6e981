"""Real uv against a local package index: no network, no real caches, no developer settings.

``wheel_index`` builds the index once per session (``tests/_builders.py``). ``uv_env`` points uv at
it through its flat ``index.html`` page (``UV_NO_INDEX=1`` + ``UV_FIND_LINKS``; offline mode still
reads find-links, and a ``file://`` page gives uv the sha256 of each archive, so exports carry
hashes). uv is found in nox's order; the tests skip when it is absent, unless ``REQCONV_REQUIRE_UV``
is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from reqconv import uv
from reqconv.errors import UvNotFoundError
from tests._builders import build_index


@pytest.fixture(scope="session")
def uv_bin() -> Path:
    """The uv binary under test (``$UV``, the ``uv`` package, PATH), at least ``MIN_UV_VERSION``."""
    try:
        path = uv.find_uv()
        uv.uv_version(path)
    except UvNotFoundError as e:
        if os.environ.get("REQCONV_REQUIRE_UV"):
            pytest.fail(f"REQCONV_REQUIRE_UV is set but no usable uv: {e}")
        pytest.skip(f"no usable uv: {e}")
    return path


@pytest.fixture(scope="session")
def wheel_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the session's package index (with its ``index.html`` page)."""
    return build_index(tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def scratch_python(uv_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter uv sees (``UV_PYTHON``): a throwaway venv of this Python, never the dev venv.

    ``UV_PYTHON`` also picks the environment ``uv pip sync``/``install`` change when a test forgets
    ``--python``; pointing it at ``sys.executable`` would let such a test wipe the developer's venv.
    """
    venv = tmp_path_factory.mktemp("scratch") / "venv"
    uv.run(
        [str(uv_bin), "venv", "--python", sys.executable, "--no-project", str(venv)],
        cwd=venv.parent,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"},
        timeout=120,
    )
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


@dataclass(frozen=True)
class UvEnv:
    """What a test needs to run uv itself: the binary and the environment reqconv's uv sees."""

    uv: Path
    index: Path
    env: Mapping[str, str]

    def run(self, *args: str, cwd: Path) -> str:
        """Run uv itself (not ``reqconv lock``) and return its stdout; ``UvError`` on failure."""
        return uv.run([str(self.uv), *args], cwd=cwd, env=self.env, timeout=300)


@pytest.fixture
def uv_env(
    uv_bin: Path,
    wheel_index: Path,
    scratch_python: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> UvEnv:
    """Point every uv run of the test (reqconv's and the test's own) at the local index, offline."""
    monkeypatch.setenv("UV", str(uv_bin))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_FIND_LINKS", (wheel_index / "index.html").as_uri())
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.setenv("UV_PYTHON", str(scratch_python))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("UV_NO_PROGRESS", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    # Git sources: commits made by the tests, no system or global git configuration.
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "reqconv tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tests@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "reqconv tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tests@example.invalid")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    return UvEnv(uv=uv_bin, index=wheel_index, env=dict(os.environ))
