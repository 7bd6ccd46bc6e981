"""The planning of one service's Dockerfiles: each Dockerfile that builds it (``builds``), for its
build context, rewritten (``rewrite``) to install the service's locks, and the ``.dockerignore`` of
each context that got a rewrite; every new content computed, nothing written.

``reqconv docker`` writes the plan; ``convert`` plans with the spec it is about to write (the locks
that will lack hashes are foreseen from it); ``reqconv check`` plans to find a ``pip install -r``
that a rewrite would change. The locks a Dockerfile installs are the lock step's exports
(``lock.exports.export_name``); which have entries without a hash is ``lock.hashmode``'s.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path

from reqconv import fs, uv
from reqconv.docker.builds import Build, find_dockerfiles, missing_sources, scan
from reqconv.docker.dockerignore import dockerignore_check
from reqconv.docker.instructions import context_sources, copied_files
from reqconv.docker.model import DockerPlan, DockerResult, service_relative
from reqconv.docker.multistage import split
from reqconv.docker.reasons import RULES
from reqconv.docker.rewrite import rewrite
from reqconv.errors import DockerfileError, Location
from reqconv.frozen import frozen
from reqconv.lock import hashmode
from reqconv.lock.exports import export_name
from reqconv.model import DependencySpec, Diagnostic, FileChange, Role
from reqconv.requirements.discover import discover

__all__ = [
    "ServicePlan",
    "buildkit_diagnostic",
    "installed_roles",
    "lock_table",
    "missing_locks",
    "plan_service",
    "resolve_uv_version",
]


@frozen(kw_only=True)
class ServicePlan:
    """New contents for one service's Dockerfiles and ``.dockerignore``; nothing written yet.

    ``locks`` are the lock files (service-relative) the new Dockerfiles copy, and ``lock_groups``
    the dependency groups among them, whose ``requirements-<group>.lock`` the lock step must export.
    """

    root: Path
    changes: tuple[FileChange, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    locks: tuple[str, ...] = ()
    lock_groups: tuple[str, ...] = ()
    #: Dockerfile -> the builds ``--verify`` makes of it: its context, and each distinct pair of
    #: compose args and target
    builds: Mapping[Path, tuple[Build, ...]] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return any(change.changed for change in self.changes)


def resolve_uv_version(env: Mapping[str, str] | None = None) -> str:
    """The version of the uv that locks (the Dockerfiles pin the same one)."""
    return uv.uv_version(uv.find_uv(env))


def lock_table(
    root: Path, roles: Sequence[Role] | None = None
) -> tuple[dict[str, str], dict[str, str | None]]:
    """``(lock_for, group_of_lock)``: service-relative requirements file -> lock, lock -> group."""
    lock_for: dict[str, str] = {}
    groups: dict[str, str | None] = {}
    if roles is None:
        roles = discover(root)
    for role in roles:
        lock = export_name(role.group)
        groups[lock] = role.group
        for path in (role.path, role.compiled):
            if path is None:
                continue
            try:
                relative = path.relative_to(root)
            except ValueError:
                relative = Path(os.path.relpath(path, root))  # --main ../requirements.txt
            lock_for[relative.as_posix()] = lock
    return lock_for, groups


def _change(path: Path, before: fs.TextFile | None, after_text: str) -> FileChange:
    if before is None:
        return FileChange(
            path=path, before=None, after=after_text.encode(), before_text="", after_text=after_text
        )
    return FileChange(
        path=path,
        before=before.encode(before.text),
        after=before.encode(after_text),
        before_text=before.text,
        after_text=after_text,
    )


def _unlocked(root: Path, copied: Sequence[str], lock_for: Mapping[str, str]) -> frozenset[str]:
    """Copied files of the service folder that no lock covers. With no requirements file found
    at all, that is every copied one: the exports go to the service folder, never beside them."""
    known = {posixpath.normpath(key) for key in lock_for}
    unlocked = set()
    for source in copied:
        relative = posixpath.normpath(source.lstrip("/"))
        wildcard = any(c in relative for c in "*?[$")
        if relative.startswith("../"):
            continue  # another folder's file: the rewrite says so itself
        if relative not in known and not wildcard and (root / relative).is_file():
            unlocked.add(relative)
    return frozenset(unlocked)


def _why_unchanged(result: DockerResult) -> str:
    """Why a Dockerfile that builds the service is left: what its findings (above) say."""
    if result.kept_requirements:
        return "every pip install -r in it is kept (the lines above say why)"
    kept = {f.code for f in result.findings if f.code in RULES and RULES[f.code].kind == "kept"} - {
        "already-uv"
    }
    why = (
        "name packages inline or a local project, no requirements file, and are kept for that"
        if kept <= {"inline-packages", "local-project"}
        else "are kept"
    ) + " (the lines above say why)"
    if result.uv_installs:
        return "it already installs with uv (rewritten before)" + (
            f"; the other installs in it {why}" if kept else ""
        )
    return "it runs no pip install -r" + (f"; the installs in it {why}" if kept else "")


def buildkit_diagnostic(path: Path, line: int) -> Diagnostic:
    return Diagnostic(
        code="buildkit",
        message="the rewritten Dockerfile mounts uv, the lock and uv's cache (RUN --mount), "
        "which needs BuildKit: the default builder of Docker 23.0 and later and of `docker "
        "buildx build` (DOCKER_BUILDKIT=1 on Docker 20.10); the legacy builder fails on it",
        location=Location(path, line),
        severity="info",
    )


def _targets(
    root: Path,
    dockerfiles: Sequence[Path],
    builds: Sequence[Build] | None,
    context: Path | None = None,
) -> tuple[dict[Path, list[Build]], tuple[Diagnostic, ...]]:
    """Each Dockerfile to plan and the builds of it (``builds``): every Dockerfile that
    builds the service, or the ones given, built from the service folder when no build names
    them. Also what the scan could not read."""
    diagnostics: tuple[Diagnostic, ...] = ()
    if builds is None:
        found = scan(root, context)
        builds, diagnostics = found.builds, found.diagnostics
    by_file: dict[Path, list[Build]] = {}
    for build in builds:
        by_file.setdefault(build.dockerfile, []).append(build)
    if not dockerfiles:
        for path in find_dockerfiles(root):  # one the scan skipped: its parse error stops the run
            if not any(f.resolve() == path.resolve() for f in by_file):
                by_file[path] = [Build(dockerfile=path, context=root, how="folder")]
        return by_file, diagnostics
    targets: dict[Path, list[Build]] = {}
    for path in dockerfiles:
        same = [b for f, bs in by_file.items() if f.resolve() == path.resolve() for b in bs]
        default = Build(
            dockerfile=path, context=context or root, how="given" if context else "folder"
        )
        targets[path] = same or [default]
    return targets, diagnostics


def _context_of(
    root: Path, path: Path, builds: Sequence[Build]
) -> tuple[str | None, Path | None, list[Diagnostic]]:
    """The service folder relative to the one build context of ``path`` (POSIX, ``""`` for the
    context itself) and that context; None (with a warning) when the lock cannot be placed for
    every build: several contexts, or one that does not hold the service folder."""
    contexts = list(dict.fromkeys(Path(os.path.normpath(b.context.absolute())) for b in builds))
    notes: list[Diagnostic] = []
    if len(contexts) > 1:
        how = "; ".join(
            f"{b.context.as_posix()} ({b.how}{f', {b.origin}' if b.origin else ''})" for b in builds
        )
        notes.append(
            Diagnostic(
                code="build-contexts-differ",
                message=f"built from more than one context ({how}): a lock path cannot be right "
                "in all of them; left as it is",
                location=Location(path),
            )
        )
        return None, None, notes
    build = builds[0]
    relative = os.path.relpath(Path(os.path.normpath(root.absolute())), contexts[0])
    if relative == ".." or relative.startswith(".." + os.sep):
        notes.append(
            Diagnostic(
                code="build-context-outside",
                message=f"its build context {build.context.as_posix()} ({build.how}) does not "
                "hold the service folder, where the lock is exported; left as it is",
                location=Location(path),
            )
        )
        return None, None, notes
    context = "" if relative == "." else Path(relative).as_posix()
    return context, contexts[0], notes


def _absent_mounts(text: str, result: DockerResult, build: Build, root: Path) -> list[str]:
    """The paths the rewrite adds to mount or copy from the build context that the context does
    not hold, but for the locks the lock step writes into the service folder."""
    args = dict(build.args)
    before = {s for s, _line in context_sources(text, args)}
    context = Path(os.path.normpath(build.context.absolute()))
    service = Path(os.path.normpath(root.absolute()))
    written = {service / lock for lock in result.locks}
    absent = []
    for added, _line in context_sources(result.text, args):
        if added in before:
            continue
        path = Path(os.path.normpath(context / added.lstrip("/")))
        if path not in written and not path.exists():
            absent.append(added)
    return list(dict.fromkeys(absent))


def _chosen_context(path: Path, build: Build) -> Diagnostic | None:
    """Which context a Dockerfile is rewritten for, and why: said where it is not the
    Dockerfile's own folder, or where a file or ``--context`` named it."""
    own = Path(os.path.normpath(path.absolute())).parent
    if build.how == "inferred" and Path(os.path.normpath(build.context.absolute())) == own:
        return None
    if build.how == "folder" and not build.note:
        return None
    why = {
        "compose": f"the compose file {build.origin} builds it so",
        "declared": f"{build.origin} builds it so",
        "given": "--context",
        "inferred": "its COPY/ADD sources exist there",
        "folder": build.note,
    }[build.how]
    if build.how == "inferred" and build.note:
        why += f" ({build.note})"
    return Diagnostic(
        code="build-context",
        message=f"built from the context {build.context.as_posix()}: {why}",
        location=Location(path),
        severity="info",
    )


def _ambiguous(path: Path, text: str, result: DockerResult, build: Build) -> list[Diagnostic]:
    """Each install the rewrite would change, kept: its inferred context fits several folders,
    where the lock's path differs."""
    folders = [build.context, *build.others]
    named = " or ".join(folder.as_posix() for folder in folders)
    lines = text.split("\n")
    installs = [n for n in result.rewritten if "pip" in lines[n - 1]] or [0]  # 0: the file
    return [
        Diagnostic(
            code="build-context-ambiguous",
            message=f"its build context could be {named} (no compose file, CI workflow or script "
            "names it, and its COPY/ADD sources exist in each), where the lock's path differs; "
            f"kept: choose with --context DIR (e.g. --context {build.context.as_posix()})",
            location=Location(path, line),
        )
        for line in installs
    ]


def _context_mismatch(path: Path, build: Build, absent: Sequence[str]) -> Diagnostic:
    return Diagnostic(
        code="build-context-missing",
        message=f"the rewrite would mount {', '.join(absent)} from the build context "
        f"{build.context.as_posix()} ({build.how}{f', {build.origin}' if build.origin else ''}), "
        "which does not hold it: left as it is; name the context with --context DIR",
        location=Location(path),
    )


def plan_service(
    root: Path,
    *,
    uv_version: str,
    dockerfiles: Sequence[Path] = (),
    roles: Sequence[Role] | None = None,
    spec: DependencySpec | None = None,
    builds: Sequence[Build] | None = None,
    projects: Mapping[str, tuple[str, ...]] | None = None,
    multi_stage: bool = False,
    build_context: Path | None = None,
) -> ServicePlan:
    """Plan the rewrite of every Dockerfile that builds ``root`` (or of ``dockerfiles``), each
    for its build context (``builds``, default ``builds.scan``); write nothing.

    ``spec`` (convert's, before pyproject.toml is written) foresees which exports will have
    entries without hashes when they do not exist yet. ``projects``: lock -> the project's own
    folder its requirements install (convert's ``project_locks``), installed after the sync.
    ``multi_stage``: a rewritten single-stage file is split into builder and runtime stages
    (``multistage.split``), or says why not.
    ``build_context`` (``--context DIR``): the context of every Dockerfile no compose file builds."""
    lock_for, groups = lock_table(root, roles)
    unhashed = hashmode.unhashed_locks(root, groups, spec)
    changes: list[FileChange] = []
    targets, scanned = _targets(root, dockerfiles, builds, build_context)
    diagnostics: list[Diagnostic] = list(scanned)
    locks: list[str] = []
    # per build context that got a rewrite: (service folder in it, its locks)
    touched: dict[Path, tuple[str, list[str]]] = {}
    verify_builds: dict[Path, tuple[Build, ...]] = {}
    for path, its_builds in targets.items():
        context, context_dir, notes = _context_of(root, path, its_builds)
        diagnostics.extend(notes)
        chosen = _chosen_context(path, its_builds[0]) if context_dir is not None else None
        if chosen is not None:
            diagnostics.append(chosen)
        if context is None or context_dir is None:
            continue
        distinct: dict[tuple[str | None, tuple[tuple[str, str], ...]], Build] = {}
        for build in its_builds:
            distinct.setdefault((build.target, build.args), build)
        verify_builds[path] = tuple(distinct.values())
        source = fs.read_text(path)
        try:
            copied = [service_relative(s, context) for s in copied_files(source.text)]
            plan = DockerPlan(
                uv_version=uv_version,
                lock_for=lock_for,
                context=context,
                unlocked=_unlocked(root, copied, lock_for),
                unhashed=unhashed,
                projects=projects or {},
                missing=missing_sources(source.text, its_builds[0]),
            )
            result = rewrite(source.text, plan)
            absent = _absent_mounts(source.text, result, its_builds[0], root)
            if multi_stage and not absent:
                result = split(source.text, result, plan)
        except DockerfileError as e:
            raise DockerfileError(e.message, Location(path)) from e
        if absent:
            diagnostics.append(_context_mismatch(path, its_builds[0], absent))
            changes.append(_change(path, source, source.text))
            continue
        if its_builds[0].ambiguous and result.changed:
            diagnostics.extend(_ambiguous(path, source.text, result, its_builds[0]))
            changes.append(_change(path, source, source.text))
            continue
        for finding in result.findings:
            diagnostics.append(
                Diagnostic(
                    code=finding.code,
                    message=finding.message,
                    location=Location(path, finding.line),
                    severity=finding.severity,
                )
            )
        if result.buildkit_line is not None:
            diagnostics.append(buildkit_diagnostic(path, result.buildkit_line))
        if not result.changed:
            diagnostics.append(
                Diagnostic(
                    code="dockerfile-unchanged",
                    message="builds this service and is left as it is: " + _why_unchanged(result),
                    location=Location(path),
                    severity="info",
                )
            )
        changes.append(_change(path, source, result.text))
        locks.extend(result.locks)
        if result.changed:
            touched.setdefault(context_dir, (context, []))[1].extend(result.locks)
    locks = list(dict.fromkeys(locks))
    for context_dir, (context, context_locks) in touched.items():
        ignore_path = context_dir / ".dockerignore"
        if not context:
            ignore_path = root / ".dockerignore"  # as the caller spelled the service folder
        before = fs.read_text(ignore_path) if ignore_path.is_file() else None
        text, findings = dockerignore_check(
            None if before is None else before.text,
            copied=tuple(posixpath.join(context, lock) for lock in dict.fromkeys(context_locks)),
            venv=posixpath.join(context, ".venv"),
        )
        for finding in findings:
            diagnostics.append(
                Diagnostic(
                    code=finding.code,
                    message=finding.message,
                    location=Location(ignore_path, finding.line),
                    severity=finding.severity,
                )
            )
        changes.append(_change(ignore_path, before, text))
    lock_groups = tuple(group for lock in locks if (group := groups.get(lock)) is not None)
    return ServicePlan(
        root=root,
        changes=tuple(changes),
        diagnostics=tuple(diagnostics),
        locks=tuple(locks),
        lock_groups=tuple(dict.fromkeys(lock_groups)),
        builds=verify_builds,
    )


def installed_roles(
    root: Path, builds: Sequence[Build], roles: Sequence[Role]
) -> dict[tuple[Path, str | None], tuple[Role, ...]]:
    """What each image installs: for every Dockerfile of ``builds``, and every stage of it that
    installs a role's file with ``pip install -r`` (as ``rewrite`` reads them: through the COPY
    that brought the file in, for the build context), the roles that stage holds, with those of
    the stages it is built FROM. Keyed by ``(Dockerfile, stage)``; the stage is ``None`` when only
    one stage of the file installs any (its name, else ``stage N``, otherwise)."""
    from reqconv.docker.instructions import parse_dockerfile, split_stages

    # One lock per role, so that the locks a rewrite installs name the roles.
    marked = [
        Role(path=r.path, group=f"role-{i}", compiled=r.compiled) for i, r in enumerate(roles)
    ]
    lock_for, _ = lock_table(root, marked)
    by_lock = {export_name(role.group): roles[i] for i, role in enumerate(marked)}
    targets, _ = _targets(root, (), builds)
    found: dict[tuple[Path, str | None], tuple[Role, ...]] = {}
    for path, its_builds in targets.items():
        context, _, _ = _context_of(root, path, its_builds)
        if context is None:
            continue
        text = fs.read_text(path).text
        try:
            copied = [service_relative(s, context) for s in copied_files(text)]
            plan = DockerPlan(
                uv_version=uv.MIN_UV_VERSION,
                lock_for=lock_for,
                context=context,
                unlocked=_unlocked(root, copied, lock_for),
            )
            result = rewrite(text, plan)
            stages = split_stages(parse_dockerfile(text))
        except DockerfileError:
            continue  # the Docker step reports it
        own = {
            index: [by_lock[lock] for lock in locks if lock in by_lock]
            for index, locks in result.stage_locks
        }
        own = {index: installed for index, installed in own.items() if installed}
        for index in own:
            held = [
                role
                for stage in reversed(stages[index].chain())
                for role in own.get(stage.index, [])
            ]
            name = stages[index].name or f"stage {index}"
            found[(path, name if len(own) > 1 else None)] = tuple(dict.fromkeys(held))
    return found


def missing_locks(plan: ServicePlan) -> tuple[Diagnostic, ...]:
    """A warning for each lock the new Dockerfiles install that does not exist yet (the image would
    not build until ``reqconv lock`` writes it)."""
    return tuple(
        Diagnostic(
            code="lock-missing",
            message=f"the rewritten Dockerfile installs {lock}, which does not exist yet: "
            "run `reqconv lock` before you build the image",
            location=Location(plan.root / lock),
        )
        for lock in plan.locks
        if plan.pending and not (plan.root / lock).exists()
    )
