"""Real uv against a local package index: no network, no real caches, no developer settings.

``wheel_index`` builds the index once per session (``tests/_builders.py``). ``uv_env`` points uv at
it through its flat ``index.html`` page (``UV_NO_INDEX=1`` + ``UV_FIND_LINKS``; offline mode still
reads find-links, and a ``file://`` page gives uv the sha256 of each archive, so exports carry
hashes). uv is found in nox's order; the tests skip when it is absent, unless ``REQCONV_REQUIRE_UV``
is set (CI sets it), in which case they fail.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


@dataclass(frozen=True)
class AuthIndex:
    """A PEP 503 simple index of ``wheel_index`` on loopback HTTP that requires basic auth."""

    url: str  # http://127.0.0.1:PORT/simple/
    username: str
    password: str
    # The Authorization header of each request, in order (None: the request had none).
    seen: list[str | None] = field(default_factory=list)


def _simple_index_handler(index: Path, auth: AuthIndex) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        timeout = 10  # a stuck client cannot hold a server thread for longer

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", content_type: str = "text/html") -> None:
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="test index"')
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:  # no range requests: uv then downloads whole wheels
            self._send(405)

        def do_GET(self) -> None:
            header = self.headers.get("Authorization")
            auth.seen.append(header)
            if header != expected:
                self._send(401)
                return
            project = re.fullmatch(r"/simple/([a-z0-9-]+)/", self.path)
            if project is not None:
                prefix = project.group(1).replace("-", "_") + "-"
                links = [
                    f'<a href="/files/{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}">'
                    f"{p.name}</a><br>"
                    for p in sorted(index.iterdir())
                    if p.name.startswith(prefix) and p.name.endswith((".whl", ".tar.gz"))
                ]
                page = "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
                self._send(200 if links else 404, page.encode() if links else b"")
                return
            archive = re.fullmatch(r"/files/([A-Za-z0-9_.-]+)", self.path)
            if archive is not None and (index / archive.group(1)).is_file():
                data = (index / archive.group(1)).read_bytes()
                self._send(200, data, "application/octet-stream")
                return
            self._send(404)

    return Handler


@pytest.fixture
def auth_index(wheel_index: Path) -> Iterator[AuthIndex]:
    """The local index served on 127.0.0.1 (an ephemeral port) behind basic auth, for one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    auth = AuthIndex(
        url=f"http://127.0.0.1:{server.server_address[1]}/simple/",
        username="ci-bot",
        password="s3cr3t-Pa55w0rd",
    )
    server.RequestHandlerClass = _simple_index_handler(wheel_index, auth)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield auth
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
