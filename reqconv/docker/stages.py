"""What later stages do with a stage: copy its wheels and install only them (``pip wheel`` then
``pip install /wheels/*``: the venv can be copied instead), copy its system site-packages or its
``--user`` site (a venv would leave them empty, or they must follow it), run after it.

Functions of a parsed ``facts.Dockerfile``; ``decide`` asks them. Pure.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker import environment
from reqconv.docker.facts import SYSTEM_PYTHON_PATH_RE, Dockerfile
from reqconv.docker.instructions import Stage
from reqconv.docker.model import norm
from reqconv.docker.pip import PipInstall, pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import Cmd

__all__ = [
    "copied_later",
    "runs_after",
    "system_copied",
    "user_copies_follow",
    "wheel_install_runs",
    "wheel_installs",
]


def wheel_installs(
    doc: Dockerfile, stage: Stage, command: Any, pip: PipInstall
) -> list[tuple[Stage, Any, Any, Cmd]] | None:
    """For ``pip wheel -r … -w DIR`` in ``stage``: each later stage that copies ``DIR`` from
    it and installs only those wheels (``pip install /wheels/*``), as (stage, COPY, RUN,
    install). None when the pattern is not all there: then the wheels stay."""
    if pip.wheel_dir is None or not pip.cmd.top:
        return None
    wheel_dir = doc.image_path(stage, command.start_line, pip.wheel_dir)
    image = environment.root_image(doc, stage)
    if wheel_dir is None or image is None or not environment.plain_python(doc, stage):
        return None
    found: list[tuple[Stage, Any, Any, Cmd]] = []
    for later in doc.stages[stage.index + 1 :]:
        for copy in later.commands:
            if copy.cmd.upper() != "COPY" or not doc.copies_from(copy, stage):
                continue
            sources = [norm("/" + s.lstrip("/")) for s in copy.value[:-1]]
            if wheel_dir not in sources:
                continue
            dest = doc.image_path(later, copy.start_line, copy.value[-1])
            if (
                len(sources) != 1
                or copy.json
                or dest is None
                or stage in later.chain()
                or environment.root_image(doc, later) != image
            ):
                return None  # the venv could not stand in for the wheels there
            installs = wheel_install_runs(doc, later, copy, dest)
            if not installs:
                return None
            found += [(later, copy, run, install) for run, install in installs]
    return found or None


def wheel_install_runs(
    doc: Dockerfile, stage: Stage, copy: Any, dest: str
) -> list[tuple[Any, Cmd]]:
    """The top-level ``pip install DEST/*`` after ``copy`` in ``stage`` (nothing else named)."""
    found: list[tuple[Any, Cmd]] = []
    for run in stage.commands:
        if run.cmd.upper() != "RUN" or run.start_line < copy.start_line:
            continue
        for cmd in doc.cmds_in(run):
            pip = pip_install(cmd)
            if pip is None or pip.subcommand != "install" or not pip.packages:
                continue
            paths = [doc.image_path(stage, run.start_line, p) or "" for p in pip.packages]
            if all(path.startswith(dest + "/") for path in paths):
                if not cmd.top or pip.requirements or pip.editables or pip.unknown:
                    return []
                found.append((run, cmd))
    return found


def runs_after(doc: Dockerfile, stage: Stage, command: Any) -> bool:
    """Whether a RUN follows ``command`` in ``stage`` or in a stage built FROM it."""
    return any(
        c.cmd.upper() == "RUN" and (s is not stage or c.start_line > command.start_line)
        for s in doc.stages
        if stage in s.chain()
        for c in s.commands
    )


def copied_later(doc: Dockerfile, stage: Stage, ref: str) -> bool:
    """Whether a later stage copies a file named like ``ref`` from ``stage``."""
    name = PurePosixPath(ref).name
    return any(
        copy.cmd.upper() == "COPY"
        and doc.copies_from(copy, stage)
        and any(PurePosixPath(s).name == name for s in copy.value[:-1])
        for later in doc.stages[stage.index + 1 :]
        for copy in later.commands
    )


def system_copied(doc: Dockerfile, stage: Stage, venv: str) -> str | None:
    """Why a venv would not do, when a later stage copies, from this stage (or one built FROM
    it), where the system Python keeps packages and scripts: they would stay empty."""
    built_from = [s for s in doc.stages if stage in s.chain()]
    for later in doc.stages[stage.index + 1 :]:
        for copy in later.commands:
            if copy.cmd.upper() != "COPY" or not any(doc.copies_from(copy, s) for s in built_from):
                continue
            sources = [posixpath.normpath("/" + s.lstrip("/")) for s in copy.value[:-1]]
            system = [s for s in sources if SYSTEM_PYTHON_PATH_RE.search(s)]
            if system:
                return (
                    f"line {copy.start_line} copies {system[0]} from this stage, which a "
                    f"new venv {venv} would leave empty"
                )
    return None


def user_copies_follow(
    doc: Dockerfile, stage: Stage, line: int, findings: Findings
) -> list[tuple[Stage, Any]] | None:
    """For ``--user``: later ``COPY --from=<stage> …/.local …`` that can move to the venv
    (None, after a finding, when one cannot)."""
    follow: list[tuple[Stage, Any]] = []
    for later in doc.stages[stage.index + 1 :]:
        for copy in later.commands:
            if copy.cmd.upper() != "COPY" or not doc.copies_from(copy, stage):
                continue
            sources = list(copy.value[:-1])
            if not any(".local" in s for s in sources):
                continue
            if copy.json or len(sources) != 1 or not norm(sources[0]).endswith("/.local"):
                findings.kept(
                    line,
                    "user-install",
                    f"pip install --user: line {copy.start_line} copies the user site "
                    f"({' '.join(sources)}) into another stage",
                )
                return None
            follow.append((later, copy))
    return follow
