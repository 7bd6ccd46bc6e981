"""Edits: carry a ``Decision`` out as text changes, then apply them to the file.

``Editor.apply`` turns one decision into ``Edit``s (offset ranges of the original text and their
replacement), all or nothing: the sync command, the uv binary, its ``ENV`` and the venv once per
stage, uv and the lock mounted into the RUN (or the bind mount that brought the requirements file
edited), uv's cache mount,
and the removal of pip self-upgrades. ``apply_edits`` then builds the new text; everything outside
the edits stays byte for byte.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker.decide import Decision, lock_for
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import DIRECTIVE_RE, Stage, before
from reqconv.docker.model import (
    UV_CACHE_MOUNT,
    UV_CACHE_TARGET,
    UV_ENV,
    UV_IMAGE,
    DockerPlan,
    DockerResult,
    default_lock_name,
    norm,
)
from reqconv.docker.pip import is_setup_upgrade, pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import Cmd
from reqconv.redact import strip_credentials

__all__ = ["Edit", "Editor", "apply_edits"]


@dataclass(frozen=True, slots=True)
class Edit:
    start: int
    end: int
    text: str


def _quote(word: str) -> str:
    """``word`` for the shell; ``$VAR`` in it (an ``ARG`` of the build) keeps expanding."""
    if "$" in word and not any(c in word for c in '"\\`') and "$(" not in word:
        return f'"{word}"'
    return shlex.quote(word)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _with_name(path: str, name: str) -> str:
    head, sep, _tail = path.rpartition("/")
    return f"{head}{sep}{name}"


def _find_word(text: str, word: str, start: int) -> int:
    """Where ``word`` stands as a whole whitespace-separated word in ``text`` from ``start``."""
    at = start
    while True:
        at = text.find(word, at)
        if at < 0:
            return -1
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(word)] if at + len(word) < len(text) else " "
        if before.isspace() and after.isspace():
            return at
        at += 1


def _mount_options(flag: str) -> dict[str, str]:
    """``--mount=type=bind,source=a,target=b`` -> ``{"type": "bind", "source": "a", ...}``."""
    return dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))


def comment_top(lines: Sequence[str], line: int) -> int:
    """The first line of the comment block right above ``line`` (1-based), or ``line``."""
    top = line
    while (
        top > 1
        and lines[top - 2].lstrip().startswith("#")
        and not DIRECTIVE_RE.match(lines[top - 2].strip())
    ):
        top -= 1
    # a block that starts the file is the header; keep inserts below directives only
    return top


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int, str]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        return line_start, line_end, ""
    return start, end, ""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    # stable: insertions at one offset keep the order they were made in
    ordered = sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end))
    out: list[str] = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            continue  # overlapping edit: the first one wins
        out.append(text[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


class Editor:
    """The edits of one rewrite so far, and what they copied and installed."""

    def __init__(self, doc: Dockerfile, plan: DockerPlan, findings: Findings) -> None:
        self.doc = doc
        self.plan = plan
        self.findings = findings
        self.edits: list[Edit] = []
        self.rewritten: set[int] = set()
        self.requirement_files: list[str] = []
        self.locks: list[str] = []
        self.copies_done: set[tuple[int, str]] = set()
        self.applied: list[Decision] = []
        self.uv_stages: set[str] = set()  # names of the uv stages added (one per platform)
        self.mounted: list[int] = []  # RUN lines that got a --mount (BuildKit only)

    def add_uv_stage(self, stage: Stage, platform: str) -> str:
        """Insert ``FROM --platform=<platform> <uv image> AS uv-…`` before the stage (once per
        platform); returns its name."""
        name = "uv-" + (re.sub(r"[^a-z0-9]+", "-", platform.lower()).strip("-") or "platform")
        if name in self.uv_stages:
            return name
        self.uv_stages.add(name)
        first = stage.chain()[-1].commands[0].start_line
        at = self.doc.src.line_start(comment_top(self.doc.src.lines, first))
        text = f"FROM --platform={platform} {UV_IMAGE}:{self.plan.uv_version} AS {name}\n"
        self.edits.append(Edit(at, at, text))
        return name

    def follow_copy(self, stage: Stage, copy: Any) -> None:
        logical = self.doc.logical(copy)
        if logical is None:
            return
        venv = self.plan.venv
        source, dest = copy.value[-2], copy.value[-1]
        at = logical.text.find(" " + source, len(copy.cmd))
        if at < 0:
            return
        start, _ = logical.span(at + 1, at + 1 + len(source))
        _, end = logical.span(logical.text.find(dest, at + 1 + len(source)), len(logical.text))
        self.edits.append(Edit(start, end, f"{venv} {venv}"))
        self.rewritten.add(copy.start_line)
        if not self.doc.has_virtual_env(stage, copy.start_line + 1, venv):
            indent = _indent(self.doc.src.lines[copy.start_line - 1])
            at_line = self.doc.src.line_end(copy.end_line)
            env = f'{indent}ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"\n'
            if at_line == len(self.doc.src.text) and not self.doc.src.text.endswith("\n"):
                env = "\n" + env.rstrip("\n")
            self.edits.append(Edit(at_line, at_line, env))

    # edits
    def apply(self, decision: Decision, kept_refs: set[str]) -> bool:
        """Edit for one decision, all or nothing (a lock that cannot be placed undoes the rest)."""
        edits, rewritten, done = list(self.edits), set(self.rewritten), set(self.copies_done)
        uv_stages, mounted = set(self.uv_stages), list(self.mounted)
        if self._apply(decision, kept_refs):
            self.applied.append(decision)
            return True
        self.edits, self.rewritten, self.copies_done = edits, rewritten, done
        self.uv_stages, self.mounted = uv_stages, mounted
        return False

    def _apply(self, decision: Decision, kept_refs: set[str]) -> bool:
        command = decision.command
        stage = decision.stage
        line = command.start_line
        pip = decision.pip
        pre_lines: list[str] = []
        indent = _indent(self.doc.src.lines[line - 1])
        lock_mounts: list[str] = []
        tail: list[str] = []  # where the sync finds each lock
        whole = self.move_before(decision)  # the ``COPY . .`` the install can go before
        for ref, lock, image_path in decision.locks:
            if whole is not None:  # before the COPY: the lock is mounted from the context
                source = self.doc.copied_from(stage, line, ref) or lock
                placed: tuple[str, str] | None = self.lock_mount(
                    decision, self.context_lock(source, lock), PurePosixPath(lock).name
                )
            else:
                placed = self.place_lock(decision, ref, lock, image_path, kept_refs)
            if placed is None:
                return False
            mount, path = placed
            if mount:
                lock_mounts.append(mount)
            tail.append(path)
        # uv is mounted into each RUN that runs it, never copied into the image (38 MB)
        uv_mount = self.uv_mount(stage, line)
        if not self.doc.has_uv_env(stage, line) and not self.block_done(stage, "env"):
            tls = self.doc.tls_env(stage, line, self.plan.uv_version)
            pre_lines.append(f"ENV {' '.join([UV_ENV, *(tls.env if tls else ())])}")
            if tls is not None and tls.message:
                self.findings.advise(line, "tls-certificates", tls.message)
        python_opt: list[str] = []
        if decision.new_venv:
            if not self.block_done(stage, "venv"):
                venv = decision.venv
                options = "--seed " if decision.seed else ""
                options += "--system-site-packages " if decision.system_site else ""
                mount = f"{uv_mount} " if uv_mount else ""
                pre_lines.append(f"RUN {mount}uv venv {options}{shlex.quote(venv)}")
                pre_lines.append(f'ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"')
        elif decision.system or decision.target is not None:
            python_opt = [*self.own_python(decision)]
        elif not self.doc.has_virtual_env(stage, line, decision.venv):
            python_opt = ["--python", decision.venv]
        prefixes = [w.word for w in pip.cmd.words[: pip.start_word]]
        if (
            decision.venv
            and not python_opt
            and any(PurePosixPath(w).name == "sudo" for w in prefixes)
        ):
            python_opt = ["--python", decision.venv]  # sudo drops VIRTUAL_ENV (env_reset)
        unhashed = [lock for _ref, lock, _path in decision.locks if lock in self.plan.unhashed]
        hashes = [] if unhashed else ["--require-hashes"]
        if unhashed:
            self.findings.advise(
                line,
                "no-require-hashes",
                f"{', '.join(unhashed)} holds entries without hashes (git sources, local folders), "
                "which `uv pip sync --require-hashes` refuses: the sync runs without it, and uv "
                "still checks every hash the lock lists (entries without one are not checked)",
            )
        mode = "install" if self.adds_to_earlier_sync(decision) else decision.mode
        head = ["uv", "pip", mode, *hashes, *python_opt]
        head += [strip_credentials(p) if "://" in p else p for p in pip.passthrough]
        if mode == "install":  # -r per lock; nothing the earlier sync installed is removed
            tail = [word for path in tail for word in ("-r", path)]
        project = next(
            (
                self.plan.projects[lock]
                for _r, lock, _p in decision.locks
                if lock in self.plan.projects
            ),
            None,
        )
        # ``-e .`` in the requirements: the export leaves the project out, so it is installed
        # from its source after the sync (``--no-deps``: its dependencies are the lock's).
        own = (
            None
            if project is None
            else ["uv", "pip", "install", "--no-deps", *python_opt, *project]
        )
        if whole is not None:
            mounts = [uv_mount, *lock_mounts]
            return self.moved_run(decision, whole, pre_lines, mounts, head + tail, own)
        script = decision.pip.cmd.script
        words = pip.cmd.words
        start, _ = script.span(words[pip.start_word].pos[0], words[pip.start_word].pos[1])
        _, end = script.span(pip.cmd.node.pos[0], pip.cmd.node.pos[1])
        replacement = " ".join(_quote(w) for w in [*head, *tail])
        if own is not None:
            tail = [*tail, "&&", *own]
            replacement += " && " + " ".join(_quote(w) for w in own)
        comments = [] if script.heredoc else self.comment_lines(start, end)
        if comments:
            # keep the comment lines of the pip command's own continuation: the command goes on
            # its first line, the lock on its last one
            last_line = self.doc.src.text.rfind("\n", 0, end) + 1
            replacement = (
                " ".join(_quote(w) for w in head)
                + f" {self.doc.src.escape}\n"
                + "".join(f"{comment}\n" for comment in comments)
                + _indent(self.doc.src.text[last_line:end])
                + " ".join(w if w == "&&" else _quote(w) for w in tail)
            )
        self.edits.append(Edit(start, end, replacement))
        mounted = False
        if uv_mount:
            if not self.add_mount(command, uv_mount):
                return False
            mounted = True
        mounted = self.mount_cache(command, decision) or mounted
        for mount in lock_mounts:
            if not self.add_mount(command, mount):
                return False
            mounted = True
        if mounted:  # RUN --mount: BuildKit only
            self.mounted.append(line)
        self.rewritten.add(line)
        for ref, lock, _path in decision.locks:
            self.requirement_files.append(ref)
            self.locks.append(lock)
        if pre_lines:
            at = self.doc.src.line_start(comment_top(self.doc.src.lines, line))
            block = "".join(f"{indent}{text}\n" for text in pre_lines)
            self.edits.append(Edit(at, at, block))
        for later, copy in decision.follow:
            self.follow_copy(later, copy)
        for run, install in decision.drop:  # ``pip install /wheels/*``: the venv came instead
            self.remove(run, install, [install.node])
        return True

    def move_before(self, decision: Decision) -> Any | None:
        """The ``COPY . <dest>`` of the stage that the install can run before, so that a source
        edit no longer reinstalls every package: the RUN is this install alone (and pip
        self-upgrades), it needs nothing else of the context (no ``--find-links``, no lock entry
        from a folder), and between the COPY and the RUN stand only COPY/ADD of the context,
        EXPOSE and LABEL (nothing that could change what pip sees)."""
        command, pip = decision.command, decision.pip
        if command.heredocs or not pip.cmd.top or "--find-links" in pip.passthrough:
            return None
        if any(lock in self.plan.unhashed for _ref, lock, _path in decision.locks):
            return None
        if any(not (f.startswith("--mount=") and "type=cache" in f) for f in command.flags):
            return None
        for cmd in self.doc.cmds_in(command):
            other = pip_install(cmd)
            if cmd is not pip.cmd and (other is None or not is_setup_upgrade(other)):
                return None
        between: list[Any] = []
        for earlier in reversed(
            [c for c in decision.stage.commands if c.start_line < command.start_line]
        ):
            kind = earlier.cmd.upper()
            from_flag = any(f.lower().startswith("--from=") for f in earlier.flags)
            if kind in ("COPY", "ADD") and not from_flag and len(earlier.value) >= 2:
                if any(norm(source.lstrip("/")) == "" for source in earlier.value[:-1]):
                    names = {PurePosixPath(ref).name for ref, _lock, _path in decision.locks}
                    if any(PurePosixPath(s).name in names for c in between for s in c.value[:-1]):
                        return None  # a later COPY brings the file: it is not the whole copy's
                    return earlier
                between.append(earlier)
            elif kind not in ("EXPOSE", "LABEL"):
                return None
        return None

    def moved_run(
        self,
        decision: Decision,
        copy: Any,
        pre_lines: list[str],
        mounts: list[str | None],
        words: list[str],
        own: list[str] | None = None,
    ) -> bool:
        """The install as a RUN of its own before ``copy`` (with its comment lines), the RUN
        where it stood removed (or, for ``own``, the project's install from the source the COPY
        brings), and a note that it moved."""
        command = decision.command
        line = command.start_line
        flags = [m for m in mounts[:1] if m]
        if self.doc.removes(decision.stage, command, UV_CACHE_TARGET) is None:
            flags.append(UV_CACHE_MOUNT)
        flags += [m for m in mounts[1:] if m]
        indent = _indent(self.doc.src.lines[copy.start_line - 1])
        separator = f" {self.doc.src.escape}\n{indent}    "
        comments = self.doc.src.lines[comment_top(self.doc.src.lines, line) - 1 : line - 1]
        block = "".join(f"{indent}{text}\n" for text in pre_lines)
        block += "".join(f"{comment}\n" for comment in comments)
        block += f"{indent}RUN " + separator.join([*flags, " ".join(_quote(w) for w in words)])
        block += "\n"
        at = self.doc.src.line_start(comment_top(self.doc.src.lines, copy.start_line))
        self.edits.append(Edit(at, at, block))
        start = self.doc.src.line_start(comment_top(self.doc.src.lines, line))
        stays = ""
        if own is not None:
            flags = [m for m in mounts[:1] if m]
            stays = f"{_indent(self.doc.src.lines[line - 1])}RUN " + separator.join(
                [*flags, " ".join(_quote(w) for w in own)]
            )
            stays += "\n"
        self.edits.append(Edit(start, self.doc.src.line_end(command.end_line), stays))
        self.rewritten.add(line)
        self.mounted.append(line)
        for ref, lock, _path in decision.locks:
            self.requirement_files.append(ref)
            self.locks.append(lock)
        self.findings.advise(
            line,
            "moved-before-copy",
            f"the install now runs before line {copy.start_line}'s {copy.original.strip()}, "
            "with the lock mounted: an edit of the source no longer installs every package again",
        )
        for later, follow in decision.follow:
            self.follow_copy(later, follow)
        return True

    def own_python(self, decision: Decision) -> list[str]:
        """Where a ``--system`` or ``--target`` install goes, as pip had it: the interpreter pip
        ran from (``python3.11 -m pip``, ``/usr/bin/pip3``), ``--break-system-packages`` when
        pip was given it, and the folder of ``--target``/``--prefix``."""
        pip = decision.pip
        words = [w.word for w in pip.cmd.words]
        first = words[pip.start_word]
        name = PurePosixPath(first).name
        options: list[str] = []
        if decision.target is not None:
            options += decision.target.split(" ", 1)
        else:
            options.append("--system")
        if name.startswith("python"):
            options += ["--python", first]
        elif "/" in first:  # /usr/local/bin/pip3: the python beside it
            options += ["--python", str(PurePosixPath(first).parent / "python3")]
        if "--break-system-packages" in words:
            options.append("--break-system-packages")
        return options

    def adds_to_earlier_sync(self, decision: Decision) -> bool:
        """Whether an earlier sync filled the venv this decision installs into, with what a sync
        of its locks would remove (pip added to it), so that this install adds instead (``uv pip
        install -r``): a sync of a stage this one is built FROM (the venv comes with all that
        stage put there: the project, other installs), or one of this stage that installed a lock
        (or the project) this decision's locks do not hold. A group's lock holds the main one
        (``requirements-dev.lock`` = main + dev)."""
        mine = {lock for _ref, lock, _path in decision.locks}
        chain = decision.stage.chain()
        for earlier in self.applied:
            if earlier.venv != decision.venv or earlier.stage not in chain:
                continue
            if earlier.stage is not decision.stage:
                return True
            for _ref, lock, _path in earlier.locks:
                if lock in self.plan.projects and not mine & set(self.plan.projects):
                    return True  # the project installed after that sync
                main_in_mine = lock == default_lock_name("requirements.txt") and any(
                    PurePosixPath(m).name.startswith("requirements-") for m in mine
                )
                if lock not in mine and not main_in_mine:
                    return True
        return False

    def comment_lines(self, start: int, end: int) -> list[str]:
        """Comment lines lying wholly inside ``[start, end)`` (inside a continuation)."""
        found = []
        for number, line_start in enumerate(self.doc.src.starts, 1):
            line_end = line_start + len(self.doc.src.lines[number - 1])
            if line_start > start and line_end < end:
                if self.doc.src.lines[number - 1].lstrip().startswith("#"):
                    found.append(self.doc.src.lines[number - 1])
            elif line_start >= end:
                break
        return found

    def block_done(self, stage: Stage, what: str) -> bool:
        key = (-1 - stage.index, what)
        for ancestor in stage.chain():
            if (-1 - ancestor.index, what) in self.copies_done:
                return True
        self.copies_done.add(key)
        return False

    def uv_mount(self, stage: Stage, line: int) -> str | None:
        """The ``--mount`` that puts uv at ``/bin/uv`` for one RUN (from the uv image, or from an
        added uv stage of the stage's ``--platform``); None when the stage has uv already."""
        if self.doc.has_uv(stage, line):
            return None
        platform = self.doc.uv_stage_platform(stage)
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
        indent = _indent(self.doc.src.lines[command.start_line - 1])
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
        if edit not in self.edits:
            self.edits.append(edit)
        return True

    def mount_cache(self, command: Any, decision: Decision) -> bool:
        """Swap the RUN's pip cache mount for uv's, or add uv's; True when a mount was added.
        Never where the RUN removes the cache folder: removing a mount point fails the step."""
        logical = self.doc.logical(command)
        if logical is None:
            return False
        removed = self.doc.removes(decision.stage, command, UV_CACHE_TARGET)
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
                    self.edits.append(Edit(start, end, flag.replace(".cache/pip", ".cache/uv")))
                    return False  # a mount was there: BuildKit already
        return self.add_mount(command, UV_CACHE_MOUNT)

    def place_lock(
        self, decision: Decision, ref: str, lock: str, image_path: str, kept_refs: set[str]
    ) -> tuple[str, str] | None:
        """Make the lock reach the sync: a bind mount of it from the build context, so that it
        stays out of the image (the COPY that brought ``ref`` goes when nothing else reads it), or
        the bind mount or wildcard COPY that brought ``ref`` edited or left to bring it.

        Returns ``(mount, path)``: a ``--mount`` flag to add to the RUN (or ``""``) and where the
        sync finds the lock; None (after a finding) when the lock cannot be placed.
        """
        command = decision.command
        line = command.start_line
        ref_name = PurePosixPath(ref).name
        lock_name = PurePosixPath(lock).name
        logical = self.doc.logical(command)
        for flag in command.flags:
            if not flag.startswith("--mount=") or "type=bind" not in flag:
                continue
            options = _mount_options(flag)
            source = options.get("source") or options.get("src") or ""
            if PurePosixPath(source).name != ref_name or logical is None:
                continue
            new_flag = flag
            for key in ("source", "src", "target", "dst", "destination"):
                value = options.get(key)
                if value and PurePosixPath(value).name == ref_name:
                    new_value = (
                        _with_name(value, lock_name)
                        if key not in ("source", "src")
                        else self.context_lock(value, lock)
                    )
                    new_flag = new_flag.replace(f"{key}={value}", f"{key}={new_value}")
            at = logical.text.find(flag)
            if at >= 0:
                start, end = logical.span(at, at + len(flag))
                edit = Edit(start, end, new_flag)
                if edit not in self.edits:
                    self.edits.append(edit)
            return "", image_path
        copies = [
            c
            for c in reversed(before(decision.stage, line))
            if c.cmd.upper() in ("COPY", "ADD")
            and len(c.value) >= 2
            and not any(f.lower().startswith("--from=") for f in c.flags)
        ]
        # first a COPY naming the file, then one bringing its folder (or the whole context)
        for copy in copies:
            sources = list(copy.value[:-1])
            dest = copy.value[-1]
            single_file = (
                len(sources) == 1
                and PurePosixPath(dest).name == ref_name
                and not dest.endswith("/")
            )
            matches = [s for s in sources if PurePosixPath(s).name == ref_name]
            if single_file and not matches:
                matches = sources
            if matches:
                if len(sources) == 1 and self.only_for_install(copy, decision, ref, kept_refs):
                    self.delete_instruction(copy)
                    self.rewritten.add(copy.start_line)
                return self.lock_mount(decision, self.context_lock(matches[0], lock), lock_name)
        ref_dir = self.doc.image_path(decision.stage, line, posixpath.dirname(ref))
        for copy in copies:  # a wildcard COPY (requirements*.txt) into the -r file's folder
            dest_dir = self.doc.image_path(decision.stage, copy.start_line, copy.value[-1])
            for source in copy.value[:-1]:
                pattern = PurePosixPath(source)
                if (
                    any(c in source for c in "*?[")
                    and fnmatch.fnmatchcase(ref_name, pattern.name)
                    and ref_dir is not None
                    and ref_dir == dest_dir
                ):
                    brings_lock = fnmatch.fnmatchcase(lock_name, pattern.name) and norm(
                        str(pattern.parent)
                    ) == norm(posixpath.dirname(lock))
                    if brings_lock:
                        return "", image_path
                    ref_source = posixpath.join(str(pattern.parent), ref_name)
                    return self.lock_mount(decision, self.context_lock(ref_source, lock), lock_name)
        for copy in copies:
            sources = list(copy.value[:-1])
            dest_norm = norm(copy.value[-1])
            dest_dir = self.doc.image_path(decision.stage, copy.start_line, copy.value[-1])
            for source in sources:
                if norm(source) == "":  # COPY . <dest>: the whole context, locks included
                    found = lock_for(self.plan, ref)
                    if found and posixpath.dirname(found[0]) == posixpath.dirname(lock):
                        return "", image_path
                    return self.lock_mount(decision, self.context_lock(lock, lock), lock_name)
                if PurePosixPath(source).suffix != "":
                    continue
                ref_source = posixpath.join(source, ref_name)
                if ref_dir is not None and dest_dir is not None:
                    # a folder copy: the -r file's folder in the image is the COPY's destination
                    if ref_dir == dest_dir:
                        return self.lock_mount(
                            decision, self.context_lock(ref_source, lock), lock_name
                        )
                elif dest_norm and norm(posixpath.dirname(ref)).endswith(dest_norm.lstrip("/")):
                    return self.lock_mount(decision, self.context_lock(ref_source, lock), lock_name)
        for flag in command.flags:
            if not flag.startswith("--mount=") or "type=bind" not in flag:
                continue
            options = _mount_options(flag)
            target = options.get("target") or options.get("dst") or options.get("destination")
            target_dir = (
                None if target is None else self.doc.image_path(decision.stage, line, target)
            )
            if (
                target_dir is not None
                and ref_dir is not None
                and (ref_dir == target_dir or ref_dir.startswith(target_dir + "/"))
            ):
                # a folder bind mount: the lock comes from beside the file in the context
                folder = options.get("source") or options.get("src") or "."
                inside = posixpath.relpath(ref_dir, target_dir)
                ref_source = norm(posixpath.join(folder, inside, ref_name))
                return self.lock_mount(decision, self.context_lock(ref_source, lock), lock_name)
        self.findings.kept(
            line,
            "requirements-not-copied",
            f"no COPY brings {ref} from the build context, so its lock cannot follow",
        )
        return None

    def lock_mount(self, decision: Decision, source: str, lock_name: str) -> tuple[str, str]:
        """A read-only bind mount of the lock at ``source`` in the build context, at
        ``/tmp/<lock>`` for the sync step only: the image never holds it. ``/mnt/<lock>`` when
        the RUN removes ``/tmp/*`` (removing a mount point fails the step)."""
        target = f"/tmp/{lock_name}"
        if self.doc.removes(decision.stage, decision.command, target) is not None:
            target = f"/mnt/{lock_name}"
        return f"--mount=type=bind,source={norm(source) or source},target={target}", target

    def only_for_install(
        self, copy: Any, decision: Decision, ref: str, kept_refs: set[str]
    ) -> bool:
        """Whether the COPY of ``ref`` serves only pip installs that become syncs: no kept command
        reads a file of that name, and nothing else that sees the COPY (its stage and the stages
        built FROM it, a ``COPY --from`` of them) names the file."""
        names = {PurePosixPath(ref).name, *(PurePosixPath(s).name for s in copy.value)}
        names -= {"", "."}
        if any(PurePosixPath(kept).name in names for kept in kept_refs):
            return False
        home = next(s for s in self.doc.stages if any(c is copy for c in s.commands))
        visible = [s for s in self.doc.stages if home in s.chain()]
        for stage in self.doc.stages:
            for command in stage.commands:
                kind = command.cmd.upper()
                if command is copy or kind == "FROM":
                    continue
                if stage not in visible and not (
                    kind == "COPY" and any(self.doc.copies_from(command, s) for s in visible)
                ):
                    continue
                if kind == "RUN" and not command.json:
                    # pip installs of the file are syncs now, or kept (then in kept_refs)
                    texts = [
                        c.script.text[c.node.pos[0] : c.node.pos[1]]
                        for c in self.doc.cmds_in(command)
                        if (pip := pip_install(c)) is None or not pip.requirements
                    ]
                else:
                    texts = [command.original]
                if any(name in text for text in texts for name in names):
                    return False
        return True

    def context_lock(self, source: str, lock: str) -> str:
        """The lock's path in the build context: in the service folder when the context is known,
        else next to where ``source`` came from."""
        if self.plan.context is not None:
            return posixpath.join(self.plan.context, lock) if self.plan.context else lock
        key = lock_for(self.plan, source)
        normed = norm(source)
        prefix = ""
        if key is not None and normed.endswith(key[0]):
            prefix = normed[: len(normed) - len(key[0])]
        dotted = "./" if source.startswith("./") else ""
        return dotted + prefix + lock

    def remove(self, command: Any, cmd: Cmd, nodes: Sequence[Any]) -> None:
        """Drop ``nodes`` (pip self-upgrades) from ``cmd``'s chain, or the whole RUN when nothing
        else is left in it."""
        script = cmd.script
        start_line = command.start_line
        if cmd.chain is None:
            if script.heredoc:
                start, end = script.span(cmd.node.pos[0], cmd.node.pos[1])
                self.edits.append(Edit(*_whole_lines(self.doc.src.text, start, end)))
            else:
                self.delete_instruction(command)
            self.rewritten.add(start_line)
            return
        parts = list(cmd.chain.parts)
        if any(p.op not in ("&&", ";") for p in parts if p.kind == "operator"):
            return  # ``||`` or ``|``: dropping a command would change what runs
        items = [p for p in parts if p.kind != "operator"]
        drop = [any(item is node for node in nodes) for item in items]
        if all(drop):
            if script.heredoc:
                start, end = script.span(cmd.chain.pos[0], cmd.chain.pos[1])
                self.edits.append(Edit(*_whole_lines(self.doc.src.text, start, end)))
            else:
                self.delete_instruction(command)
            self.rewritten.add(start_line)
            return
        index = 0
        while index < len(items):
            if not drop[index]:
                index += 1
                continue
            last = index
            while last + 1 < len(items) and drop[last + 1]:
                last += 1
            if index == 0:  # up to the next kept command
                start, _ = script.span(items[0].pos[0], items[0].pos[1])
                end, _ = script.span(items[last + 1].pos[0], items[last + 1].pos[1])
            else:  # from the end of the previous kept command
                _, start = script.span(items[index - 1].pos[0], items[index - 1].pos[1])
                _, end = script.span(items[last].pos[0], items[last].pos[1])
            self.edits.append(Edit(start, end, ""))
            index = last + 1
        self.rewritten.add(start_line)

    def delete_instruction(self, command: Any) -> None:
        self.edits.append(
            Edit(
                self.doc.src.line_start(command.start_line),
                self.doc.src.line_end(command.end_line),
                "",
            )
        )

    def result(self) -> DockerResult:
        text = apply_edits(self.doc.src.text, self.edits)
        return DockerResult(
            text=text,
            buildkit_line=self.mounted[0]
            if self.mounted and not self.doc.uses_buildkit()
            else None,
            findings=self.findings.sorted(),
            rewritten=tuple(sorted(self.rewritten)),
            requirement_files=tuple(dict.fromkeys(self.requirement_files)),
            locks=tuple(dict.fromkeys(self.locks)),
        )
