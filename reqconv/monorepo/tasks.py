"""One service's ``convert``, ``lock`` or ``docker`` as a task of ``run.run_all`` (``--all``).

Each task takes the service folder's own lock (``fs.folder_lock``), plans, and writes in its own
``fs.Transaction``: a failure restores that service and leaves the others as their own tasks left
them. It writes only inside its folder, and never in a service nested in it: a Dockerfile or
``.dockerignore`` elsewhere that builds the service is kept, with a warning naming the command that
rewrites it. Errors become the report's (``failed``, with ``file:line``), so a task never raises
but for Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import difflib
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from reqconv import fs, uv
from reqconv.errors import Location, ReqconvError
from reqconv.frozen import frozen
from reqconv.model import Diagnostic, FileChange
from reqconv.monorepo import run
from reqconv.monorepo.report import Detail, ServiceReport, failed_report, mark_failed
from reqconv.service import PlanOptions, ServiceConversion

if TYPE_CHECKING:
    from reqconv.docker.plan import ServicePlan

__all__ = [
    "ConvertSettings",
    "DockerSettings",
    "Job",
    "LockRunSettings",
    "LockSettings",
    "TaskSettings",
    "convert_service",
    "docker_service",
    "jobs",
    "lock_service",
]


class _Mode(Protocol):
    @property
    def writes(self) -> bool: ...
    @property
    def check(self) -> bool: ...


class TaskSettings(Protocol):
    """What every task reads of its command's options."""

    @property
    def mode(self) -> _Mode: ...


class DockerSettings(TaskSettings, Protocol):
    """What ``docker_service`` reads of ``docker``'s options (``convert`` has them too)."""

    @property
    def multi_stage(self) -> bool: ...
    @property
    def verify(self) -> bool: ...
    @property
    def build_args(self) -> tuple[str, ...]: ...  # NAME=VALUE for --verify's builds


class LockSettings(TaskSettings, Protocol):
    """What ``lock_service`` reads of ``lock``'s options."""

    @property
    def export_groups(self) -> tuple[str, ...]: ...
    @property
    def offline(self) -> bool: ...


class LockRunSettings(LockSettings, Protocol):
    """What ``lock_service`` reads of ``lock``'s options beyond what ``convert`` has too."""

    @property
    def pylock(self) -> bool: ...
    @property
    def upgrade(self) -> bool: ...
    @property
    def upgrade_packages(self) -> tuple[str, ...]: ...


class ConvertSettings(PlanOptions, LockSettings, DockerSettings, Protocol):
    """What ``convert_service`` reads of ``convert``'s options."""

    @property
    def docker(self) -> bool: ...


OptionsT = TypeVar("OptionsT", bound=TaskSettings)


@frozen(kw_only=True)
class Job(Generic[OptionsT]):
    """One service of the run: its folder (as the walk shows it), why the walk took it, and the
    services nested in it (absolute)."""

    root: Path
    options: OptionsT
    why: str = ""
    nested: tuple[Path, ...] = ()  # their files are theirs, never this service's to write


def jobs(services: Sequence[tuple[Path, str]], options: OptionsT) -> list[Job[OptionsT]]:
    """A job per ``(folder, why)``, each knowing the other services inside its folder."""
    roots = [path.absolute() for path, _ in services]
    return [
        Job(
            root=path,
            options=options,
            why=why,
            nested=tuple(other for other in roots if other != root and other.is_relative_to(root)),
        )
        for (path, why), root in zip(services, roots, strict=True)
    ]


@contextmanager
def _measured(report: ServiceReport) -> Iterator[None]:
    started = time.monotonic()
    with uv.observed(lambda argv, seconds: report.uv_runs.append((" ".join(argv), seconds))):
        try:
            yield
        except ReqconvError as e:
            failed_report(report, e)
        except Exception as e:  # a bug: this service fails (exit 4), the others go on
            mark_failed(report, 4)
            report.details.append(
                Detail(
                    severity="error",
                    message=f"internal error ({e!r}); please report it with this traceback:\n"
                    + traceback.format_exc(),
                )
            )
        finally:
            report.seconds = time.monotonic() - started


def _run(job: Job[OptionsT], work: Callable[[Job[OptionsT], ServiceReport], None]) -> ServiceReport:
    report = ServiceReport(path=job.root, why=job.why)
    with _measured(report), fs.folder_lock(job.root, timeout=fs.FOLDER_WAIT):
        work(job, report)
    return report


def _own(job: Job[OptionsT], path: Path) -> bool:
    path = path.absolute()
    inside = path.is_relative_to(job.root.absolute())
    return inside and not any(path.is_relative_to(n) for n in job.nested)


def _keep_own(
    job: Job[OptionsT], changes: Sequence[FileChange]
) -> tuple[list[FileChange], list[Diagnostic]]:
    """The changes inside the service's own folder, and a warning for each other changed file."""
    own: list[FileChange] = []
    notes: list[Diagnostic] = []
    for change in changes:
        if _own(job, change.path):
            own.append(change)
        elif change.changed:
            notes.append(
                Diagnostic(
                    code="outside-service",
                    message=f"builds {job.root.name} but lies outside its folder (or in a service "
                    f"nested in it): not rewritten by --all; run `reqconv docker` on the folder "
                    f"that holds it",
                    location=Location(change.path),
                )
            )
    return own, notes


def _dockerfile_counts(report: ServiceReport, changes: Sequence[FileChange]) -> None:
    from reqconv.docker.builds import is_dockerfile

    for change in changes:
        if is_dockerfile(change.path.name):
            if change.changed:
                report.dockerfiles_rewritten += 1
            else:
                report.dockerfiles_kept += 1


def _diff(change: FileChange) -> str:
    name = change.path.as_posix()
    return "".join(
        difflib.unified_diff(
            change.before_text.splitlines(keepends=True),
            change.after_text.splitlines(keepends=True),
            fromfile=f"a/{name}" if change.before is not None else "/dev/null",
            tofile=f"b/{name}",
        )
    )


def _packages(root: Path) -> int | None:
    try:
        summary = uv.read_lock((root / "uv.lock").read_text(encoding="utf-8"))
    except (OSError, ReqconvError):
        return None
    return sum(1 for package in summary.packages if not package.root)


def _groups(root: Path) -> tuple[str, ...]:
    """The groups (and extras) of the service's pyproject.toml, for ``lock``'s summary."""
    import tomllib

    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    project = data.get("project")
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    groups = data.get("dependency-groups")
    return tuple(
        str(name) for table in (groups, extras) if isinstance(table, dict) for name in table
    )


def _convert(job: Job[ConvertSettings], report: ServiceReport) -> None:
    from reqconv import service

    options = job.options
    run.stage(job.root, "planning")
    planned = service.plan_service(job.root, options)
    report.groups = tuple(
        dict.fromkeys(r.group for r in planned.conversion.roles if r.group is not None)
    )
    if planned.on_uv:
        report.status = "on uv"
        report.details = [Detail.of(d) for d in planned.diagnostics]
        return
    if options.docker:
        service.plan_docker([planned], lock=options.lock, multi_stage=options.multi_stage)
        if planned.docker is not None:
            own, notes = _keep_own(job, planned.docker.changes)
            planned.docker = dataclasses.replace(planned.docker, changes=tuple(own))
            planned.diagnostics.extend(notes)
            _dockerfile_counts(report, own)
    changed = [change for change in planned.changes if change.changed]
    if not options.mode.writes:
        pending = bool(changed)
        if options.mode.check and options.lock and not pending:
            run.stage(job.root, "checking the lock")
            pending = service.lock_pending(
                [planned],
                export_groups=options.export_groups,
                offline=options.offline,
                on_stale=lambda item: None,
            )
        report.diffs = [_diff(change) for change in changed]
        report.status = "would change" if pending else "up to date"
        report.exit_code = 1 if options.mode.check and pending else 0
        if options.verify:
            planned.diagnostics.append(_VERIFY_SKIPPED)
    else:
        run.stage(job.root, "locking" if options.lock else "writing")

        def verify(planned: ServiceConversion) -> bool:
            # after the service's lock, before its Dockerfiles: a no raises VerifyError, and the
            # service's transaction restores every file of it (as `convert --verify` does)
            if planned.docker is None:
                return True
            return _verified(job.root, planned.docker, options.build_args, report)

        service.write(
            [planned],
            lock=options.lock,
            export_groups=options.export_groups,
            offline=options.offline,
            on_locked=lambda planned, result: None,
            verify=verify if options.verify else None,
        )
        _finish(report, planned)
    report.details = [Detail.of(d) for d in planned.diagnostics]


_VERIFY_SKIPPED = Diagnostic(
    code="verify-skipped",
    message="--verify: skipped (the builds need the lock --dry-run and --check do not write)",
    severity="info",
)


def _verified(
    root: Path, plan: ServicePlan, build_args: Sequence[str], report: ServiceReport
) -> bool:
    """``--verify`` of the service's rewritten Dockerfiles, as the single-service run builds them
    (``docker.verify.verify_plan``): each table and its JSON kept on ``report``, each failure (the
    failing step, the log's tail) an error of it; True when every rewrite passed. The run calls
    the tasks of a ``--verify`` run one at a time (``commands/_all.py``): no two build at once."""
    from reqconv.docker.engine import find_engine
    from reqconv.docker.verify import failure_text, render, to_json, verify_plan

    engine = find_engine()
    run.stage(root, f"verifying: building the original and the rewrite ({engine.client})")
    passed = True
    for verification in verify_plan(engine, plan, build_args=build_args):
        report.verify_tables.append(render(verification))
        report.verified.append(to_json(verification))
        if not verification.ok:
            passed = False
            where = verification.dockerfile.as_posix()
            report.details.append(
                Detail(
                    severity="error",
                    message=failure_text(verification).removeprefix(f"{where}: "),
                    path=where,
                    code="verify",
                )
            )
    return passed


def _finish(report: ServiceReport, planned: ServiceConversion) -> None:
    report.written = [path.as_posix() for path in planned.written]
    report.status = "converted" if planned.written else "unchanged"
    if planned.lock is not None:
        report.moved = tuple(change.reason for change in planned.lock.changed)
        report.packages = _packages(planned.root)


def convert_service(job: Job[ConvertSettings]) -> ServiceReport:
    """``reqconv convert`` of one service, in its own transaction (a ``run_all`` task)."""
    return _run(job, _convert)


def _lock(job: Job[LockRunSettings], report: ServiceReport) -> None:
    from reqconv.lock import locking

    options = job.options
    run.stage(job.root, "locking")
    inputs = locking.derive_inputs(job.root)
    if not options.mode.writes:
        from reqconv.lock.stale import check_service

        uv_path = uv.find_uv()
        uv.uv_version(uv_path)
        stale = check_service(
            job.root,
            pins=inputs.pins,
            demands=inputs.demands,
            export_groups=options.export_groups,
            pylock=options.pylock,
            offline=options.offline,
            uv_path=uv_path,
        )
        report.details = [Detail.of(d) for d in inputs.diagnostics]
        report.details += [
            Detail(severity="warning", message=item.reason, path=item.path.as_posix())
            for item in stale
        ]
        report.status = "would change" if stale else "up to date"
        report.exit_code = 1 if options.mode.check and stale else 0
        return
    with fs.Transaction() as tx:
        result = locking.lock_service(
            job.root,
            tx=tx,
            pins=inputs.pins,
            demands=inputs.demands,
            export_groups=options.export_groups,
            pylock=options.pylock,
            upgrade=options.upgrade,
            upgrade_packages=options.upgrade_packages,
            offline=options.offline,
        )
    report.groups = _groups(job.root)
    report.written = [path.as_posix() for path in result.written]
    report.status = "locked" if result.written else "up to date"
    report.moved = tuple(change.reason for change in result.changed)
    report.packages = _packages(job.root)
    report.details = [Detail.of(d) for d in (*inputs.diagnostics, *result.diagnostics)]


def lock_service(job: Job[LockRunSettings]) -> ServiceReport:
    """``reqconv lock`` of one service, in its own transaction (a ``run_all`` task)."""
    return _run(job, _lock)


def _docker(job: Job[DockerSettings], report: ServiceReport) -> None:
    from reqconv.docker import plan

    options = job.options
    run.stage(job.root, "rewriting Dockerfiles")
    planned = plan.plan_service(
        job.root, uv_version=plan.resolve_uv_version(), multi_stage=options.multi_stage
    )
    own, notes = _keep_own(job, planned.changes)
    _dockerfile_counts(report, own)
    report.details = [Detail.of(d) for d in (*planned.diagnostics, *notes)]
    changed = [change for change in own if change.changed]
    if options.verify:  # whatever the mode, as `reqconv docker --verify` builds
        mine = dataclasses.replace(planned, changes=tuple(own))
        if not _verified(job.root, mine, options.build_args, report):
            mark_failed(report, 1)  # nothing of the service written, whatever the mode
            report.details.append(
                Detail(
                    severity="error",
                    message="--verify: a rewritten image failed (above); nothing of this service "
                    "is written",
                    code="verify",
                )
            )
            return
    if not job.options.mode.writes:
        report.diffs = [_diff(change) for change in changed]
        report.status = "would change" if changed else "up to date"
        report.exit_code = 1 if job.options.mode.check and changed else 0
        return
    with fs.Transaction() as tx:
        report.written = [c.path.as_posix() for c in changed if tx.write(c.path, c.after)]
    report.status = "rewritten" if report.written else "unchanged"


def docker_service(job: Job[DockerSettings]) -> ServiceReport:
    """``reqconv docker`` of one service, in its own transaction (a ``run_all`` task)."""
    return _run(job, _docker)
