"""The Docker engine, as ``--verify`` uses it: the only module besides ``reqconv.uv`` that starts
processes (``docker build``, ``image inspect``, ``run``, ``image rm``).

Builds use BuildKit: ``docker buildx build --load`` when the client has buildx, else ``docker
build`` with ``DOCKER_BUILDKIT=1`` (Docker 20.10's built-in BuildKit). The client is
``$REQCONV_DOCKER`` or ``docker`` on PATH. Nothing here reads or writes the user's files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from reqconv.errors import DockerEngineError
from reqconv.frozen import frozen
from reqconv.redact import redact_text

__all__ = ["Done", "Engine", "find_engine"]

_NO_BUILDX = "buildx component is missing"


@frozen(kw_only=True)
class Done:
    """A finished docker command: exit status, output, wall time."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@frozen(kw_only=True)
class Engine:
    """A docker client whose daemon answered; ``buildx``: builds go through ``buildx build``."""

    client: str
    version: str
    buildx: bool

    def run(self, *args: str, timeout: float = 1800) -> Done:
        """``docker args...`` (BuildKit on); a failure is a ``Done`` with its status, not an error."""
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [self.client, *args],
                check=False,
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                env=env,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            return Done(
                returncode=124,
                stdout="",
                stderr=f"timed out after {timeout:g} s\n{_text(e.stderr)}",
                seconds=time.perf_counter() - start,
            )
        except OSError as e:
            raise DockerEngineError(f"cannot run {self.client}: {e}") from e
        return Done(
            returncode=done.returncode,
            stdout=redact_text(done.stdout),
            stderr=redact_text(done.stderr),
            seconds=time.perf_counter() - start,
        )

    def build_argv(
        self,
        *,
        context: Path,
        dockerfile: Path,
        tag: str,
        options: Sequence[str] = (),
    ) -> list[str]:
        """The argv (after the client) of a BuildKit build with a plain progress log (pure)."""
        head = ["buildx", "build", "--load"] if self.buildx else ["build"]
        return [
            *head,
            "--progress=plain",
            "-f",
            str(dockerfile),
            "-t",
            tag,
            *options,
            str(context),
        ]

    def build(
        self, *, context: Path, dockerfile: Path, tag: str, options: Sequence[str] = ()
    ) -> Done:
        """Build ``dockerfile`` from ``context``; the log is in ``stderr`` either way."""
        done = self.run(
            *self.build_argv(context=context, dockerfile=dockerfile, tag=tag, options=options)
        )
        if not done.ok and _NO_BUILDX in done.stderr:
            raise DockerEngineError(_NO_BUILDKIT.format(client=self.client))
        return Done(
            returncode=done.returncode,
            stdout="",
            stderr=done.stderr + done.stdout,
            seconds=done.seconds,
        )

    def image_bytes(self, tag: str) -> int | None:
        done = self.run("image", "inspect", "--format", "{{.Size}}", tag, timeout=60)
        return int(done.stdout.strip()) if done.ok and done.stdout.strip().isdigit() else None

    def image_config(self, tag: str) -> str | None:
        """The image's ``Config`` as JSON text (its Entrypoint, Cmd, Env), or None."""
        done = self.run("image", "inspect", "--format", "{{json .Config}}", tag, timeout=60)
        return done.stdout if done.ok else None

    def run_in(self, tag: str, entrypoint: str, *args: str) -> Done:
        """``entrypoint args...`` in a throw-away container of ``tag`` with no network."""
        return self.run(
            "run", "--rm", "--network", "none", "--entrypoint", entrypoint, tag, *args, timeout=300
        )

    def remove(self, tags: Sequence[str]) -> None:
        if tags:
            self.run("image", "rm", "--force", *tags, timeout=120)


_NO_BUILDKIT = (
    "{client} has no BuildKit builder (its buildx plugin is missing): install docker-buildx "
    "(or Docker 23.0+ with buildx), or set REQCONV_DOCKER to a client that builds with "
    "BuildKit (Docker 20.10's own `docker build` does, with DOCKER_BUILDKIT=1)"
)


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def find_engine(env: Mapping[str, str] | None = None) -> Engine:
    """The client and a daemon that answers it, or ``DockerEngineError`` saying what to do."""
    env = os.environ if env is None else env
    client = env.get("REQCONV_DOCKER") or shutil.which("docker", path=env.get("PATH"))
    if not client or not Path(client).is_file():
        raise DockerEngineError(
            "--verify builds images with Docker, and no docker client was found: install "
            "Docker (https://docs.docker.com/engine/install/) or set REQCONV_DOCKER to the "
            "client's path; nothing was written"
        )
    probe = Engine(client=client, version="", buildx=False)
    info = probe.run("version", "--format", "{{.Server.Version}}", timeout=60)
    if not info.ok or not info.stdout.strip():
        detail = (info.stderr or info.stdout).strip().splitlines()
        why = detail[-1] if detail else f"exit status {info.returncode}"
        hint = (
            "add your user to the docker group (`sudo usermod -aG docker $USER`, then log in "
            "again) or run with sudo"
            if "permission denied" in why.lower()
            else "start the Docker daemon (`sudo systemctl start docker`) or point DOCKER_HOST "
            "at a running one"
        )
        raise DockerEngineError(
            f"--verify needs a Docker engine, and {client} got none: {why}; {hint}; "
            "nothing was written"
        )
    buildx = probe.run("buildx", "version", timeout=60).ok
    return Engine(client=client, version=info.stdout.strip(), buildx=buildx)
