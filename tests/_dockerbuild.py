"""Real ``docker build`` runs against a package index served on loopback (tests/builds/, bench/).

The stand-in base images that ``scripts/docker-setup.sh`` makes point pip and uv at
``INDEX_URL``, a host name that never resolves. ``IndexProxy`` serves a folder of archives as that
index: builds run with ``--network host`` and ``HTTP_PROXY`` set to the proxy (a build argument
Docker passes to every ``RUN`` without an ``ARG`` line and keeps out of the image), so a build
reaches this index and nothing else; the proxy refuses any other host and every ``CONNECT``, and
records what it refused. Host-side uv (the lock of ``reqconv convert``) goes through it the same
way, so the lock names the same index as the image.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shlex
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests._builders import metadata_text

__all__ = [
    "DOCKER",
    "INDEX_HOST",
    "INDEX_URL",
    "Build",
    "DockerError",
    "IndexProxy",
    "build",
    "canonical",
    "docker",
    "engine_problem",
    "final_interpreter",
    "make_app_wheel",
    "reqconv_env",
    "serve_index",
]

DOCKER = os.environ.get("REQCONV_DOCKER", "/usr/bin/docker")  # the 20.10 client: BuildKit built in
INDEX_HOST = "reqconv-index.invalid"
INDEX_URL = f"http://{INDEX_HOST}/simple/"
_EPOCH = (1980, 1, 1, 0, 0, 0)


class DockerError(RuntimeError):
    """A docker command failed; the message holds its argv and output."""


def canonical(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _archive_project(filename: str) -> str | None:
    if filename.endswith(".whl"):
        return canonical(filename.split("-", 1)[0])
    if filename.endswith((".tar.gz", ".zip")):
        stem = filename.removesuffix(".tar.gz").removesuffix(".zip")
        return canonical(stem.rsplit("-", 1)[0])
    return None


@dataclass
class IndexProxy:
    """A PEP 503 index of ``folder`` for ``INDEX_HOST``, answering as an HTTP proxy on loopback."""

    folder: Path
    port: int = 0
    refused: list[str] = field(default_factory=list)  # requests for anything but the index
    served: list[str] = field(default_factory=list)  # archive names sent

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Proxy variables for a process (host uv) that should reach the index and nothing else."""
        return {
            "HTTP_PROXY": self.proxy_url,
            "http_proxy": self.proxy_url,
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "NO_PROXY": "",
            "no_proxy": "",
        }

    def build_args(self) -> list[str]:
        """``docker build`` arguments: host network, proxy variables for every RUN."""
        args = ["--network", "host"]
        for name, value in self.env().items():
            if value:
                args += ["--build-arg", f"{name}={value}"]
        return args

    def _page(self, project: str) -> bytes | None:
        links = []
        for path in sorted(self.folder.iterdir()):
            if _archive_project(path.name) == project:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                links.append(f'<a href="/files/{path.name}#sha256={digest}">{path.name}</a><br>')
        if not links:
            return None
        return (
            "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
        ).encode()


def _handler(index: IndexProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 30
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", content_type: str = "text/html") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (uv cancels racing downloads)

        def do_CONNECT(self) -> None:  # HTTPS to anywhere: never
            index.refused.append(f"CONNECT {self.path}")
            self._send(403)
            self.close_connection = True

        def do_HEAD(self) -> None:  # no range requests: clients then download whole archives
            self._send(405)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            host = url.hostname or INDEX_HOST  # origin form: a client that talks to us directly
            if host not in (INDEX_HOST, "127.0.0.1"):
                index.refused.append(f"GET {self.path}")
                self._send(403)
                return
            path = url.path
            project = re.fullmatch(r"/simple/([^/]+)/?", path)
            if project is not None:
                page = index._page(canonical(project.group(1)))
                self._send(200, page) if page is not None else self._send(404)
                return
            archive = re.fullmatch(r"/files/([A-Za-z0-9_.+!-]+)", path)
            if archive is not None and (index.folder / archive.group(1)).is_file():
                index.served.append(archive.group(1))
                data = (index.folder / archive.group(1)).read_bytes()
                self._send(200, data, "application/octet-stream")
                return
            self._send(404)

    return Handler


def reqconv_env(index: IndexProxy, home: Path) -> dict[str, str]:
    """The environment a test runs ``python -m reqconv`` in: no UV_/PIP_ settings or venv of the
    caller, the local index served by ``index``, uv's cache and config under ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.update(index.env())
    env.update(
        UV_DEFAULT_INDEX=INDEX_URL,
        UV_CACHE_DIR=str(home / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        XDG_CONFIG_HOME=str(home / "config"),
    )
    env.pop("VIRTUAL_ENV", None)
    return env


@contextmanager
def serve_index(folder: Path) -> Iterator[IndexProxy]:
    """Serve ``folder`` as the stand-in images' index on 127.0.0.1 (an ephemeral port)."""
    index = IndexProxy(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    server.daemon_threads = True
    index.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def docker(
    *args: str, timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the Debian docker client with BuildKit; ``DockerError`` with its output on failure."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    done = subprocess.run(
        [DOCKER, *args],
        check=False,
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise DockerError(
            f"{shlex.join(done.args)} exited {done.returncode}\n{done.stdout}{done.stderr}"
        )
    return done


def engine_problem(images: Iterable[str]) -> str | None:
    """Why builds cannot run here (no client, no engine, a missing image), or None."""
    if not Path(DOCKER).is_file():
        return (
            f"{DOCKER} not found: run `bash scripts/docker-setup.sh` (installs Debian's docker.io)"
        )
    try:
        info = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return "the docker engine did not answer within 30 s"
    if info.returncode != 0:
        return (
            f"no docker engine answers ({info.stderr.strip()}): run `bash scripts/docker-setup.sh`"
        )
    missing = [
        image
        for image in images
        if docker("image", "inspect", image, timeout=30, check=False).returncode != 0
    ]
    if missing:
        return f"missing image(s) {', '.join(missing)}: run `bash scripts/docker-setup.sh`"
    return None


def _drop_syntax_line(text: str) -> str:
    # `# syntax=docker/dockerfile:1` makes BuildKit fetch that frontend from Docker Hub.
    lines = text.splitlines(keepends=True)
    if lines and re.match(r"#\s*syntax\s*=", lines[0], re.IGNORECASE):
        return "".join(lines[1:])
    return text


@dataclass(frozen=True)
class Build:
    """One finished ``docker build``: wall time, the plain progress log, per-step times."""

    tag: str
    seconds: float
    log: str

    def step_seconds(self, needle: str) -> float | None:
        """Seconds of the step whose instruction contains ``needle``; 0.0 if CACHED; None if absent."""
        steps: dict[str, str] = {}
        for line in self.log.splitlines():
            head = re.match(r"#(\d+) \[[^\]]*\] (.*)", line)
            if head is not None:
                steps.setdefault(head.group(1), head.group(2))
        for number, instruction in steps.items():
            if needle not in instruction:
                continue
            for line in self.log.splitlines():
                if line == f"#{number} CACHED":
                    return 0.0
                done = re.fullmatch(rf"#{number} DONE (\d+(?:\.\d+)?)s", line)
                if done is not None:
                    return float(done.group(1))
        return None


def build(
    context: Path,
    dockerfile_text: str,
    tag: str,
    index: IndexProxy | None,
    scratch: Path,
    *,
    target: str | None = None,
    extra: Iterable[str] = (),
) -> Build:
    """``docker build`` of ``dockerfile_text`` (written under ``scratch``, outside the context).

    ``index`` None: no proxy and Docker's default network (bench/docker_bench.py ``--index pypi``,
    whose base image points pip and uv at the real PyPI)."""
    scratch.mkdir(parents=True, exist_ok=True)
    dockerfile = scratch / f"{tag.replace('/', '_').replace(':', '_')}.Dockerfile"
    dockerfile.write_text(_drop_syntax_line(dockerfile_text), encoding="utf-8")
    index_args = index.build_args() if index is not None else []
    args = ["build", "--progress=plain", "-f", str(dockerfile), "-t", tag, *index_args]
    if target is not None:
        args += ["--target", target]
    args += [*extra, str(context)]
    start = time.perf_counter()
    done = docker(*args)
    return Build(tag=tag, seconds=time.perf_counter() - start, log=done.stderr + done.stdout)


def image_command(tag: str) -> list[str]:
    """What the image runs: its ENTRYPOINT followed by its CMD."""
    import json

    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", tag).stdout)
    return [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]


def _in_image(tag: str, script: str, *args: str) -> str:
    done = docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        tag,
        "-c",
        script,
        "sh",
        *args,
    )
    return done.stdout.strip()


def uv_cache_paths(tag: str) -> list[str]:
    """Every ``.cache/uv`` folder of the image, and everything inside one (as root, whatever the
    image's USER: ``/root`` is not readable by another user)."""
    done = docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "0",
        "--entrypoint",
        "/bin/sh",
        tag,
        "-c",
        "find / -xdev \\( -path '*/.cache/uv' -o -path '*/.cache/uv/*' \\) -print",
    )
    return done.stdout.split()


def final_interpreter(tag: str) -> str:
    """The Python the image's command runs with: the command itself, or its script's shebang."""
    command = image_command(tag)
    if not command:
        raise AssertionError(f"{tag} has no CMD or ENTRYPOINT")
    if len(command) >= 3 and command[0] in ("/bin/sh", "sh") and command[1] == "-c":
        command = shlex.split(command[2])
    program = command[0]
    if "/" not in program:
        program = _in_image(tag, 'command -v "$1"', program)
        if not program:
            raise AssertionError(f"{tag}: {command[0]!r} of the CMD is not on the image's PATH")
    if re.fullmatch(r"python[0-9.]*", Path(program).name):
        return program
    first = _in_image(tag, 'head -n 1 "$1"', program)
    if not first.startswith("#!"):
        raise AssertionError(
            f"{tag}: {program} (the CMD) is neither Python nor a script: {first!r}"
        )
    words = first[2:].split()
    if Path(words[0]).name == "env":
        resolved = _in_image(tag, 'command -v "$1"', words[1])
        return resolved or words[1]
    return words[0]


def run_python(tag: str, interpreter: str, code: str) -> str:
    """``interpreter -c code`` in a container of ``tag`` (no network); its stdout."""
    done = docker("run", "--rm", "--network", "none", "--entrypoint", interpreter, tag, "-c", code)
    return done.stdout


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def module_name(name: str) -> str:
    """The top-level module a generated wheel of ``name`` holds."""
    return re.sub(r"[-.]+", "_", name).lower()


def make_app_wheel(
    directory: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
) -> Path:
    """A reproducible ``py3-none-any`` wheel: module ``module_name(name)`` and a console script.

    The script (named like the project) is what a ``CMD ["uvicorn", ...]`` finds on PATH: its
    shebang names the environment's Python, which the build tests check.
    """
    directory.mkdir(parents=True, exist_ok=True)
    dist = module_name(name)
    info = f"{dist}-{version}.dist-info"
    script = canonical(name)
    files = [
        (
            f"{dist}/__init__.py",
            f'__version__ = "{version}"\n\n\ndef main() -> None:\n    print("{name}", __version__)\n'.encode(),
        ),
        (f"{info}/METADATA", metadata_text(name, version, requires, extras).encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: reqconv-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
        (f"{info}/entry_points.txt", f"[console_scripts]\n{script} = {dist}:main\n".encode()),
    ]
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files)
    files.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    path = directory / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files:
            entry = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return path
