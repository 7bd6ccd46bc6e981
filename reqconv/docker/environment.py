"""What is true at a line of a stage: which venv pip installs into, whether uv is on PATH, the
USER, the SHELL, what uv must be told to trust (TLS), and what the base image is (its Python, its
CMD, whether it is the official python image).

Functions of a parsed ``facts.Dockerfile``, a stage and a line; ``decide`` asks them whether and
how an install can be rewritten, ``edit`` and ``mounts`` what the rewrite must add. Pure.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import PurePosixPath
from typing import NamedTuple

from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import (
    PLAIN_PYTHON_IMAGE_RE,
    PYTHON_IMAGE_RE,
    Stage,
    before,
    env_pairs,
    expand,
    global_args,
)
from reqconv.docker.model import UV_IMAGE, norm
from reqconv.docker.shell import POSIX_SHELLS, Cmd, venv_created

__all__ = [
    "Tls",
    "activated",
    "created_before",
    "existing_venv",
    "has_uv",
    "has_uv_env",
    "has_virtual_env",
    "inherited_cmd",
    "non_root",
    "plain_python",
    "python_too_old",
    "root_image",
    "shell",
    "system_python_cmd",
    "tls_env",
    "uv_cache_dir",
    "uv_stage_platform",
]

_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
# Debian/Ubuntu/Alpine/RHEL package names of Python 2 (``python-pip`` is Python 2's pip there).
_PYTHON2_PACKAGES_RE = re.compile(
    r"\b(?:apt-get|apt|apk|yum|dnf)\b[^;&|]*\s(?:python2(?:\.\d+)?|python-pip|python-dev)"
    r"(?=[\s;&|]|$)"
)


_WINDOWS_IMAGE_RE = re.compile(r"windowsservercore|nanoserver|mcr\.microsoft\.com/windows", re.I)


_SYSTEM_PYTHON_EXE_RE = re.compile(r"(?:^|[\s;&|(])/usr(?:/local)?/bin/python[0-9.]*(?=$|[\s;&|)])")


_CERT_VARIABLES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


_CA_UPDATE_RE = re.compile(r"\bupdate-ca-(?:certificates|trust)\b")


_CA_FOLDERS = (
    "/usr/local/share/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/pki/ca-trust/source/anchors",
)


class Tls(NamedTuple):
    """ENV assignments that make uv trust the stage's certificates, and why."""

    env: tuple[str, ...]
    message: str


def _version(text: str) -> tuple[int, ...]:
    """``"0.9.5"`` -> ``(0, 9, 5)``; an unreadable version counts as the newest."""
    try:
        return tuple(int(part) for part in text.split(".")[:3])
    except ValueError:
        return (999,)


def existing_venv(doc: Dockerfile, stage: Stage, line: int, cmd: Cmd | None = None) -> str | None:
    """The venv pip installs into at ``line``: ``VIRTUAL_ENV``, else a venv the stage creates
    whose ``bin`` is on ``PATH`` (or activated earlier in ``cmd``'s chain). A venv created
    but not used is none: pip installed into the system Python there."""
    venv: str | None = None
    created: list[str] = []
    paths: list[str] = []
    for command in before(stage, line):
        kind = command.cmd.upper()
        if kind == "RUN":
            for run_cmd in doc.cmds_in(command):
                made = venv_created(run_cmd)
                if made is not None:
                    created.append(made)
        elif kind == "ENV":
            for name, value in env_pairs(command):
                if name == "VIRTUAL_ENV":
                    venv = value
                elif name == "PATH":
                    paths.append(value)
    if venv is not None:
        return venv
    if cmd is not None:  # ``python -m venv venv && . venv/bin/activate && pip install …``
        created += [made for made, _at in created_before(doc, stage, line, cmd)]
    sourced = activated(doc, cmd) if cmd is not None else []
    for made in reversed(created):
        bin_dir = posixpath.join(made, "bin")
        if norm(made) in sourced or any(
            norm(part) == norm(bin_dir) for value in paths for part in value.split(":")
        ):
            return made
    return None


def created_before(doc: Dockerfile, stage: Stage, line: int, cmd: Cmd) -> list[tuple[str, int]]:
    """``(folder, offset)`` of each venv made earlier in ``cmd``'s own ``&&``/``;`` chain."""
    if cmd.chain is None:
        return []
    run = next((c for c in stage.commands if c.start_line == line), None)
    if run is None:
        return []
    found = []
    for other in doc.cmds_in(run):
        if other.chain is cmd.chain and other.node.pos[0] < cmd.node.pos[0]:
            made = venv_created(other)
            if made is not None:
                found.append((made, other.node.pos[0]))
    return found


def activated(doc: Dockerfile, cmd: Cmd) -> list[str]:
    """Venvs sourced (``. /venv/bin/activate``) before ``cmd`` in its ``&&``/``;`` chain."""
    if cmd.chain is None:
        return []
    found: list[str] = []
    for part in cmd.chain.parts:
        if part is cmd.node:
            break
        if part.kind != "command":
            continue
        words = [w.word for w in part.parts if w.kind == "word"]
        if len(words) == 2 and words[0] in (".", "source") and words[1].endswith("/activate"):
            found.append(norm(posixpath.dirname(posixpath.dirname(words[1]))))
    return found


def has_virtual_env(doc: Dockerfile, stage: Stage, line: int, venv: str) -> bool:
    return any(
        name == "VIRTUAL_ENV" and norm(value) == norm(venv)
        for command in before(stage, line)
        if command.cmd.upper() == "ENV"
        for name, value in env_pairs(command)
    )


def has_uv(doc: Dockerfile, stage: Stage, line: int) -> bool:
    if stage.chain()[-1].image.startswith(UV_IMAGE + ":"):
        return True  # the uv images ship /usr/local/bin/uv
    return any(
        command.cmd.upper() == "COPY"
        and any(f.startswith("--from=") for f in command.flags)
        and (
            any(f.startswith(f"--from={UV_IMAGE}") for f in command.flags)
            or any(PurePosixPath(src).name == "uv" for src in command.value[:-1])
        )
        for command in before(stage, line)
    )


def uv_stage_platform(doc: Dockerfile, stage: Stage) -> str | None:
    """The ``FROM --platform`` of the stage when it is not the target platform."""
    platform = stage.chain()[-1].platform
    if platform is None or platform.strip("${}") == "TARGETPLATFORM":
        return None
    return platform


def tls_env(doc: Dockerfile, stage: Stage, line: int, uv_version: str) -> Tls | None:
    """What uv must be told to trust the certificates the stage set up before ``line``: pip
    (truststore), requests and curl read the system store or their variables; uv reads
    neither, only ``SSL_CERT_FILE`` or, when asked, the system store. None when the stage
    sets ``SSL_CERT_FILE`` itself; else the system store, which pip read."""
    variable: tuple[str, str, int] | None = None
    store: int | None = None
    for command in before(stage, line):
        kind = command.cmd.upper()
        if kind == "ENV":
            for name, value in env_pairs(command):
                if name == "SSL_CERT_FILE":
                    return None  # uv reads it
                if name in _CERT_VARIABLES:
                    variable = (name, value, command.start_line)
        elif kind == "RUN" and _CA_UPDATE_RE.search(command.original):
            store = command.start_line
        elif kind in ("COPY", "ADD") and len(command.value) >= 2:
            dest = doc.image_path(stage, command.start_line, command.value[-1]) or ""
            if dest.startswith(_CA_FOLDERS):
                store = command.start_line
    if variable is not None:
        name, value, at = variable
        quoted = f'"{value}"' if re.search(r"[\s\"']", value) else value
        return Tls(
            (f"SSL_CERT_FILE={quoted}",),
            f"line {at} sets {name}, which uv does not read: the ENV added sets "
            "SSL_CERT_FILE to the same bundle, which uv reads",
        )
    # pip (truststore, pip >= 24.2; Debian's pip too) trusts the system store, so a CA that
    # the base image carries (a corporate proxy's) is trusted by the pip it replaces: uv is
    # told to read that store too, whether this file or its base image put the CA there
    setting = "UV_SYSTEM_CERTS" if _version(uv_version) >= (0, 11) else "UV_NATIVE_TLS"
    message = ""
    if store is not None:
        message = (
            f"line {store} adds CA certificates to the system store, which uv does not read "
            f"by default (it trusts its bundled Mozilla roots): the ENV added sets {setting}=1"
        )
    return Tls((f"{setting}=1",), message)


def has_uv_env(doc: Dockerfile, stage: Stage, line: int) -> bool:
    return any(
        name == "UV_COMPILE_BYTECODE"
        for command in before(stage, line)
        if command.cmd.upper() == "ENV"
        for name, _value in env_pairs(command)
    )


def uv_cache_dir(doc: Dockerfile, stage: Stage, line: int) -> str | None:
    """The ``UV_CACHE_DIR`` the stage itself sets before ``line``, when it is a plain absolute
    path (the cache mount then goes there); None when it sets none, or one that names a variable
    (``$HOME/.cache/uv``: the rewrite pins its own)."""
    value: str | None = None
    for command in before(stage, line):
        if command.cmd.upper() == "ENV":
            for name, val in env_pairs(command):
                if name == "UV_CACHE_DIR":
                    value = val
    if value is None or not value.startswith("/") or "$" in value:
        return None
    return norm(value)


def non_root(doc: Dockerfile, stage: Stage, line: int) -> bool:
    user = "root"
    for command in before(stage, line):
        if command.cmd.upper() == "USER" and command.value:
            user = command.value[0]
    return user.lower() not in _ROOT_USERS


def shell(doc: Dockerfile, stage: Stage, line: int) -> str | None:
    """The shell of RUN when it is not a POSIX shell (a ``SHELL`` such as PowerShell, or a
    Windows base image's cmd), else None."""
    image = stage.chain()[-1].image
    current: str | None = None
    if _WINDOWS_IMAGE_RE.search(image):
        current = f"cmd (Windows base image {image})"
    for command in before(stage, line):
        if command.cmd.upper() == "SHELL" and command.value:
            name = PurePosixPath(command.value[0].replace("\\", "/")).name.lower()
            posix = name in POSIX_SHELLS
            current = None if posix else f"SHELL {command.value[0]}"
    return current


def system_python_cmd(doc: Dockerfile, stage: Stage) -> int | None:
    """The line of a CMD/ENTRYPOINT/HEALTHCHECK, in ``stage`` or a stage built FROM it, that
    runs ``/usr/local/bin/python…`` or ``/usr/bin/python…`` by its path."""
    for later in doc.stages[stage.index :]:
        if stage not in later.chain():
            continue
        for command in later.commands:
            if command.cmd.upper() in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and any(
                _SYSTEM_PYTHON_EXE_RE.search(str(word)) for word in command.value
            ):
                return int(command.start_line)
    return None


def root_image(doc: Dockerfile, stage: Stage) -> str | None:
    """The image the stage's chain starts ``FROM`` (global ``ARG`` defaults expanded)."""
    return expand(stage.chain()[-1].image, global_args(doc.commands))


def plain_python(doc: Dockerfile, stage: Stage) -> bool:
    """Whether the stage's base image is the official python image or a uv image."""
    image = expand(stage.chain()[-1].image, global_args(doc.commands))
    return image is not None and PLAIN_PYTHON_IMAGE_RE.match(image) is not None


def inherited_cmd(doc: Dockerfile, stage: Stage) -> str | None:
    """The base image, when an image built from ``stage`` (itself or a later stage ``FROM``
    it, not only copied from) runs with that image's own CMD/ENTRYPOINT."""
    parents = {id(s.parent) for s in doc.stages if s.parent is not None}
    for later in doc.stages[stage.index :]:
        if stage not in later.chain() or id(later) in parents:
            continue
        copied = any(
            c.cmd.upper() == "COPY" and doc.copies_from(c, later)
            for s in doc.stages
            for c in s.commands
        )
        if copied and later is not doc.stages[-1]:
            continue  # a build stage: only files are taken from it
        if not any(
            c.cmd.upper() in ("CMD", "ENTRYPOINT") for s in later.chain() for c in s.commands
        ):
            return str(stage.chain()[-1].image)
    return None


def python_too_old(doc: Dockerfile, stage: Stage, line: int) -> str | None:
    """The ``X.Y`` of an official python base image older than 3.8, or Python 2 from the
    system packages of another image (``apt-get install python-pip``), else None."""
    root = stage.chain()[-1]
    image = expand(root.image, global_args(doc.commands))
    match = PYTHON_IMAGE_RE.match(image or "")
    if match is None:
        for command in before(stage, line):
            if command.cmd.upper() == "RUN" and _PYTHON2_PACKAGES_RE.search(command.original):
                return f"2 (the system packages installed at line {command.start_line})"
        return None
    if (int(match["major"]), int(match["minor"])) < (3, 8):
        return f"{match['major']}.{match['minor']}"
    return None
