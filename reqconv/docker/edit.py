"""Edits: carry a ``Decision`` out as text changes.

``Editor.apply`` turns one decision into ``Edit``s, all or nothing: the sync command, its ``ENV``
and the venv once per stage, uv and the lock mounted into the RUN (``mounts``, ``locks``), uv's
cache mount, an install moved before the ``COPY . .`` that would otherwise reinstall every package
on each source edit, and the removal of pip self-upgrades. ``result`` then builds the new text
(``text.apply_edits``): everything outside the edits stays byte for byte.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker import environment
from reqconv.docker.decide import Decision
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import Source, Stage
from reqconv.docker.locks import LockPlacer
from reqconv.docker.model import (
    UV_CACHE_ENV,
    UV_CACHE_TARGET,
    UV_ENV,
    DockerPlan,
    DockerResult,
    default_lock_name,
    norm,
    uv_cache_mount,
)
from reqconv.docker.mounts import Mounts
from reqconv.docker.pip import is_setup_upgrade, pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import Cmd
from reqconv.docker.text import (
    Edit,
    EditLog,
    apply_edits,
    comment_top,
    deletion,
    indent_of,
    quote,
    whole_lines,
)
from reqconv.redact import strip_credentials

__all__ = ["Editor"]


class Editor:
    """The edits of one rewrite so far, and what they copied and installed."""

    def __init__(self, doc: Dockerfile, plan: DockerPlan, findings: Findings) -> None:
        self.doc = doc
        self.plan = plan
        self.findings = findings
        self.log = EditLog()
        self.mounts = Mounts(doc, plan, findings, self.log)
        self.placer = LockPlacer(doc, plan, findings, self.log)
        self.requirement_files: list[str] = []
        self.locks: list[str] = []
        self.applied: list[Decision] = []

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
        self.log.edits.append(Edit(start, end, f"{venv} {venv}"))
        self.log.rewritten.add(copy.start_line)
        if not environment.has_virtual_env(self.doc, stage, copy.start_line + 1, venv):
            indent = indent_of(self.doc.src.lines[copy.start_line - 1])
            at_line = self.doc.src.line_end(copy.end_line)
            env = f'{indent}ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"\n'
            if at_line == len(self.doc.src.text) and not self.doc.src.text.endswith("\n"):
                env = "\n" + env.rstrip("\n")
            self.log.edits.append(Edit(at_line, at_line, env))

    # edits
    def apply(self, decision: Decision, kept_refs: set[str]) -> bool:
        """Edit for one decision, all or nothing (a lock that cannot be placed undoes the rest)."""
        saved = self.log.saved()
        if self._apply(decision, kept_refs):
            self.applied.append(decision)
            return True
        self.log.restore(saved)
        return False

    def _apply(self, decision: Decision, kept_refs: set[str]) -> bool:
        command = decision.command
        stage = decision.stage
        line = command.start_line
        pip = decision.pip
        pre_lines: list[str] = []
        indent = indent_of(self.doc.src.lines[line - 1])
        lock_mounts: list[str] = []
        tail: list[str] = []  # where the sync finds each lock
        whole = _move_before(
            self.doc, self.plan, decision
        )  # the ``COPY . .`` the install can go before
        for ref, lock, image_path in decision.locks:
            if whole is not None:  # before the COPY: the lock is mounted from the context
                source = self.doc.copied_from(stage, line, ref) or lock
                placed: tuple[str, str] | None = self.placer.lock_mount(
                    decision, self.placer.context_lock(source, lock), PurePosixPath(lock).name
                )
            else:
                placed = self.placer.place(decision, ref, lock, image_path, kept_refs)
            if placed is None:
                return False
            mount, path = placed
            if mount:
                lock_mounts.append(mount)
            tail.append(path)
        # uv is mounted into each RUN that runs it, never copied into the image (38 MB)
        uv_mount = self.mounts.uv_mount(stage, line)
        # uv's cache goes where the stage's own UV_CACHE_DIR says, else to the mount's target,
        # pinned by the ENV whatever HOME or XDG_CACHE_HOME the stage sets (docs/docker.md)
        own_cache = environment.uv_cache_dir(self.doc, stage, line)
        cache_env = [] if own_cache else [UV_CACHE_ENV]
        cache_dir = own_cache or UV_CACHE_TARGET
        has_env = environment.has_uv_env(self.doc, stage, line)
        if not has_env and not self.block_done(stage, "env"):
            tls = environment.tls_env(self.doc, stage, line, self.plan.uv_version)
            pre_lines.append(f"ENV {' '.join([UV_ENV, *cache_env, *(tls.env if tls else ())])}")
            if tls is not None and tls.message:
                self.findings.advise(line, "tls-certificates", tls.message)
        elif has_env and cache_env and not self.block_done(stage, "cache-env"):
            pre_lines.append(f"ENV {UV_CACHE_ENV}")  # the stage's own uv ENV does not pin it
        python_opt: list[str] = []
        if decision.new_venv:
            if not self.block_done(stage, "venv"):
                venv = decision.venv
                options = "--seed " if decision.seed else ""
                options += "--system-site-packages " if decision.system_site else ""
                # with the cache mounted: `uv venv` caches the interpreter's metadata (and
                # pip's wheels for --seed), which would otherwise stay in this layer
                mount = "".join(f"{m} " for m in (uv_mount, uv_cache_mount(cache_dir)) if m)
                pre_lines.append(f"RUN {mount}uv venv {options}{shlex.quote(venv)}")
                pre_lines.append(f'ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"')
        elif decision.system or decision.target is not None:
            python_opt = [*_own_python(decision)]
        elif not environment.has_virtual_env(self.doc, stage, line, decision.venv):
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
            return self.moved_run(
                decision, whole, pre_lines, mounts, head + tail, own, cache_dir=cache_dir
            )
        script = decision.pip.cmd.script
        words = pip.cmd.words
        start, _ = script.span(words[pip.start_word].pos[0], words[pip.start_word].pos[1])
        _, end = script.span(pip.cmd.node.pos[0], pip.cmd.node.pos[1])
        replacement = " ".join(quote(w) for w in [*head, *tail])
        if own is not None:
            tail = [*tail, "&&", *own]
            replacement += " && " + " ".join(quote(w) for w in own)
        comments = [] if script.heredoc else _comment_lines(self.doc.src, start, end)
        if comments:
            # keep the comment lines of the pip command's own continuation: the command goes on
            # its first line, the lock on its last one
            last_line = self.doc.src.text.rfind("\n", 0, end) + 1
            replacement = (
                " ".join(quote(w) for w in head)
                + f" {self.doc.src.escape}\n"
                + "".join(f"{comment}\n" for comment in comments)
                + indent_of(self.doc.src.text[last_line:end])
                + " ".join(w if w == "&&" else quote(w) for w in tail)
            )
        self.log.edits.append(Edit(start, end, replacement))
        mounted = False
        if uv_mount:
            if not self.mounts.add_mount(command, uv_mount):
                return False
            mounted = True
        mounted = self.mounts.mount_cache(command, decision, cache_dir) or mounted
        for mount in lock_mounts:
            if not self.mounts.add_mount(command, mount):
                return False
            mounted = True
        if mounted:  # RUN --mount: BuildKit only
            self.log.mounted.append(line)
        self.log.rewritten.add(line)
        for ref, lock, _path in decision.locks:
            self.requirement_files.append(ref)
            self.locks.append(lock)
        if pre_lines:
            at = self.doc.src.line_start(comment_top(self.doc.src.lines, line))
            block = "".join(f"{indent}{text}\n" for text in pre_lines)
            self.log.edits.append(Edit(at, at, block))
        for later, copy in decision.follow:
            self.follow_copy(later, copy)
        for run, install in decision.drop:  # ``pip install /wheels/*``: the venv came instead
            self.remove(run, install, [install.node])
        return True

    def moved_run(
        self,
        decision: Decision,
        copy: Any,
        pre_lines: list[str],
        mounts: list[str | None],
        words: list[str],
        own: list[str] | None = None,
        *,
        cache_dir: str = UV_CACHE_TARGET,
    ) -> bool:
        """The install as a RUN of its own before ``copy`` (with its comment lines), the RUN
        where it stood removed (or, for ``own``, the project's install from the source the COPY
        brings), and a note that it moved."""
        command = decision.command
        line = command.start_line
        flags = [m for m in mounts[:1] if m]
        cached = self.doc.removes(decision.stage, command, cache_dir) is None
        if cached:
            flags.append(uv_cache_mount(cache_dir))
        flags += [m for m in mounts[1:] if m]
        indent = indent_of(self.doc.src.lines[copy.start_line - 1])
        separator = f" {self.doc.src.escape}\n{indent}    "
        comments = self.doc.src.lines[comment_top(self.doc.src.lines, line) - 1 : line - 1]
        block = "".join(f"{indent}{text}\n" for text in pre_lines)
        block += "".join(f"{comment}\n" for comment in comments)
        block += f"{indent}RUN " + separator.join([*flags, " ".join(quote(w) for w in words)])
        block += "\n"
        at = self.doc.src.line_start(comment_top(self.doc.src.lines, copy.start_line))
        self.log.edits.append(Edit(at, at, block))
        start = self.doc.src.line_start(comment_top(self.doc.src.lines, line))
        stays = ""
        if own is not None:  # it builds the project: uv's cache mounted, or it stays in the layer
            flags = [m for m in mounts[:1] if m] + ([uv_cache_mount(cache_dir)] if cached else [])
            stays = f"{indent_of(self.doc.src.lines[line - 1])}RUN " + separator.join(
                [*flags, " ".join(quote(w) for w in own)]
            )
            stays += "\n"
        self.log.edits.append(Edit(start, self.doc.src.line_end(command.end_line), stays))
        self.log.rewritten.add(line)
        self.log.mounted.append(line)
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

    def uv_install(self, stage: Stage, command: Any, cmd: Cmd, args: list[str]) -> None:
        """A later ``pip install`` into the venv a sync made becomes ``uv pip install <args>``,
        with uv (and its cache) mounted into its RUN: the venv then needs no pip of its own."""
        pip = pip_install(cmd)
        assert pip is not None
        script = cmd.script
        words = cmd.words
        start, _ = script.span(words[pip.start_word].pos[0], words[pip.start_word].pos[1])
        _, end = script.span(cmd.node.pos[0], cmd.node.pos[1])
        edit = Edit(start, end, " ".join(quote(w) for w in ["uv", "pip", "install", *args]))
        if edit in self.log.edits:
            return
        self.log.edits.append(edit)
        uv_mount = self.mounts.uv_mount(stage, command.start_line)
        if uv_mount is not None:
            self.mounts.add_mount(command, uv_mount)
        cache_dir = environment.uv_cache_dir(self.doc, stage, command.start_line) or UV_CACHE_TARGET
        if self.doc.removes(stage, command, cache_dir) is None and not any(
            f.startswith("--mount=") and "type=cache" in f and f"target={cache_dir}" in f
            for f in command.flags
        ):
            self.mounts.add_mount(command, uv_cache_mount(cache_dir))
        self.log.mounted.append(command.start_line)
        self.log.rewritten.add(command.start_line)

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

    def block_done(self, stage: Stage, what: str) -> bool:
        key = (-1 - stage.index, what)
        for ancestor in stage.chain():
            if (-1 - ancestor.index, what) in self.log.copies_done:
                return True
        self.log.copies_done.add(key)
        return False

    def remove(self, command: Any, cmd: Cmd, nodes: Sequence[Any]) -> None:
        """Drop ``nodes`` (pip self-upgrades) from ``cmd``'s chain, or the whole RUN when nothing
        else is left in it."""
        _remove(self.doc.src, self.log, command, cmd, nodes)

    def result(self) -> DockerResult:
        text = apply_edits(self.doc.src.text, self.log.edits)
        return DockerResult(
            text=text,
            buildkit_line=self.log.mounted[0]
            if self.log.mounted and not self.doc.uses_buildkit()
            else None,
            findings=self.findings.sorted(),
            rewritten=tuple(sorted(self.log.rewritten)),
            requirement_files=tuple(dict.fromkeys(self.requirement_files)),
            locks=tuple(dict.fromkeys(self.locks)),
        )


def _move_before(doc: Dockerfile, plan: DockerPlan, decision: Decision) -> Any | None:
    """The ``COPY . <dest>`` of the stage that the install can run before, so that a source
    edit no longer reinstalls every package: the RUN is this install alone (and pip
    self-upgrades), it needs nothing else of the context (no ``--find-links``, no lock entry
    from a folder), and between the COPY and the RUN stand only COPY/ADD of the context,
    EXPOSE and LABEL (nothing that could change what pip sees)."""
    command, pip = decision.command, decision.pip
    if command.heredocs or not pip.cmd.top or "--find-links" in pip.passthrough:
        return None
    if any(lock in plan.unhashed for _ref, lock, _path in decision.locks):
        return None
    if any(not (f.startswith("--mount=") and "type=cache" in f) for f in command.flags):
        return None
    for cmd in doc.cmds_in(command):
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


def _own_python(decision: Decision) -> list[str]:
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


def _comment_lines(src: Source, start: int, end: int) -> list[str]:
    """Comment lines lying wholly inside ``[start, end)`` (inside a continuation)."""
    found = []
    for number, line_start in enumerate(src.starts, 1):
        line_end = line_start + len(src.lines[number - 1])
        if line_start > start and line_end < end:
            if src.lines[number - 1].lstrip().startswith("#"):
                found.append(src.lines[number - 1])
        elif line_start >= end:
            break
    return found


def _remove(src: Source, log: EditLog, command: Any, cmd: Cmd, nodes: Sequence[Any]) -> None:
    """Drop ``nodes`` (pip self-upgrades) from ``cmd``'s chain, or the whole RUN when nothing
    else is left in it."""
    script = cmd.script
    start_line = command.start_line
    if cmd.chain is None:
        if script.heredoc:
            start, end = script.span(cmd.node.pos[0], cmd.node.pos[1])
            log.edits.append(Edit(*whole_lines(src.text, start, end)))
        else:
            log.edits.append(deletion(src, command))
        log.rewritten.add(start_line)
        return
    parts = list(cmd.chain.parts)
    if any(p.op not in ("&&", ";") for p in parts if p.kind == "operator"):
        return  # ``||`` or ``|``: dropping a command would change what runs
    items = [p for p in parts if p.kind != "operator"]
    drop = [any(item is node for node in nodes) for item in items]
    if all(drop):
        if script.heredoc:
            start, end = script.span(cmd.chain.pos[0], cmd.chain.pos[1])
            log.edits.append(Edit(*whole_lines(src.text, start, end)))
        else:
            log.edits.append(deletion(src, command))
        log.rewritten.add(start_line)
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
        log.edits.append(Edit(start, end, ""))
        index = last + 1
    log.rewritten.add(start_line)
