"""What a rewritten RUN mounts: uv at ``/bin/uv`` (from the uv image, or from a uv stage added for
the stage's ``--platform``) and uv's cache (swapped for pip's cache mount, or added; never where
the RUN removes that folder). Flags go right after ``RUN``; a mount the RUN has already is not
added again.
"""

from __future__ import annotations

import re
from typing import Any

from reqconv.docker import environment
from reqconv.docker.decide import Decision
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import Stage
from reqconv.docker.model import UV_CACHE_TARGET, UV_IMAGE, DockerPlan, uv_cache_mount
from reqconv.docker.pip import pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.text import Edit, EditLog, comment_top, indent_of

__all__ = ["Mounts"]


class Mounts:
    """Adds ``--mount`` flags to the RUNs of one rewrite (edits into ``log``)."""

    def __init__(self, doc: Dockerfile, plan: DockerPlan, findings: Findings, log: EditLog) -> None:
        self.doc = doc
        self.plan = plan
        self.findings = findings
        self.log = log

    def add_uv_stage(self, stage: Stage, platform: str) -> str:
        """Insert ``FROM --platform=<platform> <uv image> AS uv-…`` before the stage (once per
        platform); returns its name."""
        name = "uv-" + (re.sub(r"[^a-z0-9]+", "-", platform.lower()).strip("-") or "platform")
        if name in self.log.uv_stages:
            return name
        self.log.uv_stages.add(name)
        first = stage.chain()[-1].commands[0].start_line
        at = self.doc.src.line_start(comment_top(self.doc.src.lines, first))
        text = f"FROM --platform={platform} {UV_IMAGE}:{self.plan.uv_version} AS {name}\n"
        self.log.edits.append(Edit(at, at, text))
        return name

    def uv_mount(self, stage: Stage, line: int) -> str | None:
        """The ``--mount`` that puts uv at ``/bin/uv`` for one RUN (from the uv image, or from an
        added uv stage of the stage's ``--platform``); None when the stage has uv already."""
        if environment.has_uv(self.doc, stage, line):
            return None
        platform = environment.uv_stage_platform(self.doc, stage)
        if platform is None:
            source = f"{UV_IMAGE}:{self.plan.uv_version}"
        else:  # an image mount would take the target platform's uv
            source = self.add_uv_stage(stage, platform)
        return f"--mount=from={source},source=/uv,target=/bin/uv"

    def mount_separator(self, command: Any) -> str:
        """What follows a ``--mount`` flag added to ``command``: a continuation onto an indented
        line, or a space on a heredoc RUN's first line."""
        if command.heredocs:
            return " "
        indent = indent_of(self.doc.src.lines[command.start_line - 1])
        return f" {self.doc.src.escape}\n{indent}    "

    def mount_at(self, command: Any) -> int | None:
        """The file offset right after ``RUN`` and its blanks, where added flags go."""
        logical = self.doc.logical(command)
        if logical is None:
            return None
        at = len(command.cmd)
        while at < len(logical.text) and logical.text[at] in " \t":
            at += 1
        start, _ = logical.span(at, at + 1)
        return start

    def add_mount(self, command: Any, mount: str) -> bool:
        """Add the ``--mount`` flag ``mount`` to the RUN (once); False when it cannot be placed."""
        if mount in command.flags:
            return True
        at = self.mount_at(command)
        if at is None:
            return False
        edit = Edit(at, at, mount + self.mount_separator(command))
        if edit not in self.log.edits:
            self.log.edits.append(edit)
        return True

    def mount_cache(self, command: Any, decision: Decision, target: str = UV_CACHE_TARGET) -> bool:
        """Swap the RUN's pip cache mount for uv's at ``target`` (where ``UV_CACHE_DIR``
        points), or add uv's; True when a mount was added. Never where the RUN removes the
        cache folder: removing a mount point fails the step."""
        logical = self.doc.logical(command)
        if logical is None:
            return False
        removed = self.doc.removes(decision.stage, command, target)
        if removed is not None:
            self.findings.advise(
                command.start_line,
                "no-cache-mount",
                f"this RUN removes {removed}, where uv's cache mount would stand (removing a "
                "mount point fails the step): no cache mount added; drop the rm to get one",
            )
            return False
        others = [
            c
            for c in self.doc.cmds_in(command)
            if c is not decision.pip.cmd and (p := pip_install(c)) is not None and p.subcommand
        ]
        for flag in command.flags:
            if flag.startswith("--mount=") and "type=cache" in flag and ".cache/uv" in flag:
                return False
        for flag in command.flags:
            if (
                flag.startswith("--mount=")
                and "type=cache" in flag
                and ".cache/pip" in flag
                and not others
            ):
                at = logical.text.find(flag)
                if at >= 0:
                    start, end = logical.span(at, at + len(flag))
                    # its target becomes uv's (pip's ``/home/app/.cache/pip`` would not be
                    # where UV_CACHE_DIR points); id, sharing and the like stay
                    swapped = _TARGET_RE.sub(lambda m: f"{m[1]}target={target}", flag, count=1)
                    self.log.edits.append(Edit(start, end, swapped))
                    return False  # a mount was there: BuildKit already
        return self.add_mount(command, uv_cache_mount(target))


# The target of a ``--mount=type=cache,…`` flag (BuildKit also reads ``dst``, ``destination``).
_TARGET_RE = re.compile(r"(^--mount=|,)(?:target|dst|destination)=[^,]*")
