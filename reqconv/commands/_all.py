"""``--all``: ``convert``, ``lock`` or ``docker`` of every service below the paths given.

No subcommand of its own: the shell those three share. It walks (``monorepo.walk``), runs one task
per service in parallel (``monorepo.run``, ``monorepo.tasks``: each service in its own
transaction under its own folder lock), shows progress (``monorepo.terminal``), then one summary:
the table, the folders taken or left and why, the details per service and file, each
``--verify`` table; or, with ``--json``, the list of service reports. Exit code: the worst of the
services'. With ``--verify`` the services run one at a time (``-j`` aside), so that no two
services' image builds overlap on the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import field
from pathlib import Path
from typing import Literal, TypeVar, cast

from reqconv.commands import Output, WriteMode
from reqconv.commands._verify import require_engine
from reqconv.errors import InputError, Location
from reqconv.frozen import frozen
from reqconv.monorepo import report, run, tasks, walk
from reqconv.monorepo.terminal import Terminal, table

__all__ = ["AllOptions", "run_all"]

OptionsT = TypeVar("OptionsT", bound=tasks.TaskSettings)

# Each task takes the options of its own command (the job carries them).
_TASKS: dict[str, Callable[..., report.ServiceReport]] = {
    "convert": tasks.convert_service,
    "lock": tasks.lock_service,
    "docker": tasks.docker_service,
}


@frozen(kw_only=True)
class AllOptions:
    """How a run over many services runs and shows itself (``--all``, ``-j``, ``--color``...)."""

    jobs: int | None = None  # -j N (default: the core count)
    verbose: bool = False
    terminal: Terminal = field(default_factory=Terminal)


def run_all(
    command: Literal["convert", "lock", "docker"],
    paths: Sequence[Path],
    options: OptionsT,
    out: Output,
    how: AllOptions,
    *,
    mode: WriteMode,
) -> int:
    """``command`` on every service below ``paths``; the worst exit code of them."""
    found = walk.find_services(paths)
    if not found.services:
        shown = ", ".join(p.as_posix() for p in paths)
        raise InputError(
            "no service found below (a folder with requirements files or a pyproject.toml "
            "reqconv wrote)",
            Location(Path(shown)),
        )
    jobs = tasks.jobs([(f.path, f.why) for f in found.services], options)
    workers = run.workers_for(how.jobs, len(jobs))
    builds = command == "docker" or mode.writes  # convert's builds need the lock it writes
    if command != "lock" and cast(tasks.DockerSettings, options).verify and builds:
        workers = _one_build_at_a_time(workers, out, quiet=mode.quiet)
    finished: list[str] = []  # what an interrupt leaves done

    def heard(event: run.Event) -> None:
        progress.event(event)
        if event.report is not None and event.report.written:
            finished.append(event.path.as_posix())

    with how.terminal.progress_for(len(jobs)) as progress:
        try:
            reports = run.run_all(
                _TASKS[command], jobs, workers=workers, on_event=heard, tick=progress.tick
            )
        except KeyboardInterrupt:
            if finished:
                out.err(
                    f"reqconv: stopped; these services had finished and keep their changes: "
                    f"{', '.join(finished)}; every other one is as it was"
                )
            raise
    if mode.json:
        out.out(json.dumps(report.reports_json(reports), indent=2))
        return report.worst(reports)
    out.out(table(report.rows(reports), color=how.terminal.color))
    details = report.details_text(
        reports,
        quiet=mode.quiet,
        verbose=how.verbose,
        left=[(f.path, f.why) for f in found.left],
    )
    if details:
        out.out("")
        out.out(details)
    for service in reports:
        if not mode.quiet:
            for verify_table in service.verify_tables:
                out.out(verify_table)
        for diff in service.diffs:
            out.out(diff.rstrip("\n"))
    if how.verbose:
        out.err(f"{len(reports)} service(s), {workers} process(es)")
    return report.worst(reports)


def _one_build_at_a_time(workers: int, out: Output, *, quiet: bool) -> int:
    """``--verify``: no engine is ``DockerEngineError`` (exit 3) before any service is touched;
    else one worker, the services one after another, so that no two services' builds run at once
    on the engine (they would share its cores and cache and skew each other's timings)."""
    require_engine(True)
    if workers > 1 and not quiet:
        out.err(f"--verify: one service at a time (not {workers}): its builds run alone")
    return 1
