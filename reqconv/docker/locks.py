"""How the lock reaches a rewritten install: a read-only bind mount of it from the build context
(``/tmp/<lock>``, for that step only), so that the image never holds it; or the bind mount or the
``COPY`` that brought the requirements file, edited or left to bring the lock too. The ``COPY`` of
a requirements file that only the rewritten installs read goes.
"""

from __future__ import annotations

import fnmatch
import posixpath
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker.decide import Decision, lock_for
from reqconv.docker.facts import Dockerfile
from reqconv.docker.instructions import before
from reqconv.docker.model import DockerPlan, norm
from reqconv.docker.pip import pip_install
from reqconv.docker.reasons import Findings
from reqconv.docker.text import Edit, EditLog, deletion, mount_options, with_name

__all__ = ["LockPlacer"]


class LockPlacer:
    """Places the locks of one rewrite (edits into ``log``)."""

    def __init__(self, doc: Dockerfile, plan: DockerPlan, findings: Findings, log: EditLog) -> None:
        self.doc = doc
        self.plan = plan
        self.findings = findings
        self.log = log

    def place(
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
            options = mount_options(flag)
            source = options.get("source") or options.get("src") or ""
            if PurePosixPath(source).name != ref_name or logical is None:
                continue
            new_flag = flag
            for key in ("source", "src", "target", "dst", "destination"):
                value = options.get(key)
                if value and PurePosixPath(value).name == ref_name:
                    new_value = (
                        with_name(value, lock_name)
                        if key not in ("source", "src")
                        else self.context_lock(value, lock)
                    )
                    new_flag = new_flag.replace(f"{key}={value}", f"{key}={new_value}")
            at = logical.text.find(flag)
            if at >= 0:
                start, end = logical.span(at, at + len(flag))
                edit = Edit(start, end, new_flag)
                if edit not in self.log.edits:
                    self.log.edits.append(edit)
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
                    self.log.edits.append(deletion(self.doc.src, copy))
                    self.log.rewritten.add(copy.start_line)
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
            options = mount_options(flag)
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
