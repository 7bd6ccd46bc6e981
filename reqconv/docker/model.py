"""What goes into a Dockerfile rewrite and what comes out: the plan, the findings, the result.

Frozen dataclasses and a few constants only; no parsing, no I/O.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import PurePosixPath
from typing import Literal

from reqconv.frozen import frozen

__all__ = [
    "DEFAULT_VENV",
    "UV_CACHE_ENV",
    "UV_CACHE_MOUNT",
    "UV_CACHE_TARGET",
    "UV_ENV",
    "UV_IMAGE",
    "DockerFinding",
    "DockerPlan",
    "DockerResult",
    "default_lock_name",
    "norm",
    "service_relative",
    "uv_cache_mount",
]

DEFAULT_VENV = "/opt/venv"
UV_IMAGE = "ghcr.io/astral-sh/uv"
UV_CACHE_TARGET = "/root/.cache/uv"
UV_CACHE_MOUNT = f"--mount=type=cache,target={UV_CACHE_TARGET}"
# uv's cache follows $HOME (and XDG_CACHE_HOME): a stage that sets HOME=/app would cache into
# /app/.cache/uv, inside the layer, beside an idle mount at /root/.cache/uv (issue 15: +525 MB).
# UV_CACHE_DIR wins over both, so every stage reqconv moves to uv pins it to the mount's target.
UV_CACHE_ENV = f"UV_CACHE_DIR={UV_CACHE_TARGET}"
UV_ENV = "UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0"


@frozen(kw_only=True)
class DockerPlan:
    """What ``rewrite`` needs to know besides the Dockerfile.

    ``lock_for`` maps a requirements file (POSIX path relative to the service folder, which is
    taken to be the build context) to its exported lock (same base): ``requirements.txt`` ->
    ``requirements.lock``, ``requirements/dev.txt`` -> ``requirements-dev.lock``. When it is empty,
    ``default_lock_name`` decides. ``unlocked``: files of the service folder that no lock covers
    (a ``deploy/requirements.txt`` the conversion did not take): a ``-r`` of one is kept.
    ``unhashed``: locks with an entry that has no hash (a git source, a local folder), which ``uv pip
    sync --require-hashes`` refuses; they are synced without it.
    """

    uv_version: str
    lock_for: Mapping[str, str] = field(default_factory=dict)
    #: The service folder relative to the build context (POSIX; ``""`` when it is the context,
    #: ``"backend"`` for ``context: ..``), from ``reqconv.docker.builds``; None when unknown (then the
    #: COPY sources are taken to be service-relative and a lock sits beside its file).
    context: str | None = None
    unlocked: frozenset[str] = frozenset()
    venv: str = DEFAULT_VENV
    unhashed: frozenset[str] = frozenset()  # locks with an entry without hashes (git, folders)
    #: lock -> the project's own folder as its requirements file installed it (``-e .``, ``.``):
    #: the exports leave the project out, so the sync is followed by ``uv pip install --no-deps``
    #: of it (the source is where pip found it, at the RUN's working directory).
    projects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``COPY``/``ADD`` sources (context-relative, ``ARG``/``ENV`` expanded, no ``./`` or trailing
    #: ``/``) that do not exist in the build context: a ``-r`` file brought by one of them tells
    #: that the context is another folder, so its install is kept (``not-in-context``).
    missing: frozenset[str] = frozenset()


@frozen(kw_only=True)
class DockerFinding:
    """Something kept as it was (or changed) that the user must hear about. ``line`` is 1-based;
    ``code`` is one of ``reqconv.docker.reasons.RULES``."""

    line: int
    code: str
    message: str
    severity: Literal["warning", "info"] = "warning"


@frozen(kw_only=True)
class DockerResult:
    """``text`` is the new Dockerfile (``\\n`` newlines). ``rewritten`` holds the original lines of
    the instructions that changed; ``requirement_files`` the ``-r`` files now installed from a lock,
    as written; ``locks`` the locks the new text copies (service-relative). ``buildkit_line``: the
    first RUN given a ``--mount`` when the original needed no BuildKit (now it does).
    ``kept_requirements``: the RUN lines of the ``pip install -r`` (or ``pip download``/``wheel
    -r``) left as they are; ``uv_installs`` the RUN lines that install with uv already;
    ``stage_locks`` the locks of each stage's rewritten installs."""

    text: str
    findings: tuple[DockerFinding, ...] = ()
    rewritten: tuple[int, ...] = ()
    requirement_files: tuple[str, ...] = ()
    locks: tuple[str, ...] = ()
    buildkit_line: int | None = None
    kept_requirements: tuple[int, ...] = ()
    uv_installs: tuple[int, ...] = ()
    #: each stage (by index in the file) with the locks its rewritten installs use
    stage_locks: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.rewritten)


def uv_cache_mount(target: str = UV_CACHE_TARGET) -> str:
    """The ``--mount`` of uv's cache at ``target`` (where ``UV_CACHE_DIR`` points)."""
    return f"--mount=type=cache,target={target}"


def norm(path: str) -> str:
    """A POSIX path without ``./`` prefixes or doubled slashes (trailing slash dropped)."""
    if not path:
        return path
    normed = posixpath.normpath(path)
    return "" if normed == "." else normed


def service_relative(source: str, context: str | None) -> str:
    """A build-context path (a COPY source) as a path of the service folder, which is
    ``context`` inside the build context: ``backend/requirements.txt`` with ``backend`` ->
    ``requirements.txt``; ``requirements.txt`` with ``backend`` -> ``../requirements.txt``."""
    path = norm(source).lstrip("/")
    if not context:
        return path
    if path == context:
        return ""
    if path.startswith(context + "/"):
        return path[len(context) + 1 :]
    return posixpath.relpath(path or ".", context)


def default_lock_name(requirements: str) -> str:
    """``requirements.txt`` -> ``requirements.lock``; ``requirements-dev.txt`` and
    ``requirements/dev.txt`` -> ``requirements-dev.lock``; ``docs.txt`` -> ``requirements-docs.lock``."""
    path = PurePosixPath(norm(requirements))
    stem = path.stem
    if stem.lower() == "requirements" and path.parent.name.lower() != "requirements":
        return "requirements.lock"
    match = re.match(r"^requirements[-_.](?P<label>.+)$", stem, re.I)
    label = match["label"] if match else stem
    return f"requirements-{label}.lock"
