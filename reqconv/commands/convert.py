"""`reqconv convert`: requirements files -> pyproject.toml, then lock, then Dockerfiles.

A thin shell over ``reqconv.service``: every service is planned first (parse, normalize, the new
pyproject and Dockerfile texts), so bad input in any of them stops the run before a single byte is
written; then ``service.write`` writes the pyproject files, runs the lock step and writes the
Dockerfiles in one ``fs.Transaction``: a failure at any step restores every file it touched and
removes the files it created. This module reads the options and renders what happened.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reqconv import fs, service
from reqconv.commands import (
    Output,
    WriteMode,
    diagnostic_json,
    lock_result_json,
    unified_diff,
    wait_notice,
)
from reqconv.commands._verify import reported_on_failure, require_engine, service_verifier
from reqconv.errors import InputError
from reqconv.frozen import frozen
from reqconv.service import ServiceConversion

if TYPE_CHECKING:
    from reqconv.commands._all import AllOptions
    from reqconv.lock.locking import LockResult
    from reqconv.lock.stale import StaleFile
    from reqconv.project.pythons import PythonChoice

__all__ = ["ConvertOptions", "run"]


@frozen(kw_only=True)
class ConvertOptions:
    paths: tuple[Path, ...]
    main: Path | None = None
    groups: tuple[str, ...] = ()  # NAME=FILE
    variants: tuple[str, ...] = ()  # --variant NAME=FILE: an alternative requirement set
    dev_style: Literal["groups", "extras"] | None = None
    lock: bool = True
    docker: bool = True
    export_groups: tuple[str, ...] = ()
    offline: bool = False
    name_urls: tuple[str, ...] = ()  # NAME=URL: the package of an unnamed URL or path line
    python: str | None = None  # --python X.Y: requires-python = ">=X.Y"
    name: str | None = None  # --name: the project name of a new pyproject.toml
    multi_stage: bool = False  # --multi-stage: builder and runtime stages (docker/multistage.py)
    verify: bool = False  # --verify: build each rewrite after the lock, before it is written
    build_args: tuple[str, ...] = ()  # --build-arg NAME=VALUE for --verify's builds
    context: Path | None = None  # --context DIR: the build context of the Dockerfiles
    mode: WriteMode = WriteMode()
    every: AllOptions | None = None  # --all: every service below the paths, in parallel


ON_UV = "pyproject.toml and uv.lock are its source, nothing to convert"


def _role_lines(service: ServiceConversion) -> list[str]:
    lines = []
    for role in service.conversion.roles:
        target = "[project] dependencies" if role.group is None else f"group '{role.group}'"
        if role.variant:
            target += " (an alternative set: docs/variants.md)"
        line = f"  {role.path.as_posix()} -> {target}"
        if role.compiled is not None:
            line += f" (pins from {role.compiled.as_posix()} kept for the lock)"
        lines.append(line)
    return lines


def _python_json(choice: PythonChoice | None) -> dict[str, Any] | None:
    if choice is None:
        return None
    excluded = choice.excluded()
    return {
        "value": choice.requires_python,
        "from": choice.how,
        "location": str(choice.location) if choice.location is not None else None,
        "detail": choice.detail or None,
        # every Python the service's files name, and whether the value admits it
        "sources": [
            {
                "version": source.version,
                "from": source.how,
                "location": str(source.location) if source.location is not None else None,
                "detail": source.detail or None,
                "admitted": source not in excluded,
            }
            for source in choice.sources
        ],
    }


def _report(services: Sequence[ServiceConversion], *, pending: bool) -> str:
    from reqconv.docker.verify import to_json

    data: dict[str, Any] = {"would_change": pending, "services": []}
    for planned in services:
        data["services"].append(
            {
                "path": planned.root.as_posix(),
                "on_uv": planned.on_uv,
                "files": [
                    {
                        "path": role.path.as_posix(),
                        "group": role.group,
                        "compiled": role.compiled.as_posix() if role.compiled else None,
                        "variant": role.variant,
                    }
                    for role in planned.conversion.roles
                ],
                "changed": [change.path.as_posix() for change in planned.changes if change.changed],
                "written": [path.as_posix() for path in planned.written],
                "requires_python": _python_json(planned.python),
                "lock": lock_result_json(planned.lock) if planned.lock is not None else None,
                "diagnostics": [diagnostic_json(diag) for diag in planned.diagnostics],
                "dockerfiles": [to_json(v) for v in planned.verified],
                "lines": [
                    {
                        "location": str(outcome.location),
                        "text": outcome.text,
                        "outcome": outcome.outcome,
                        "key": outcome.key,
                    }
                    for outcome in planned.conversion.outcomes
                ],
            }
        )
    return json.dumps(data, indent=2)


def run(options: ConvertOptions, out: Output) -> int:
    """Convert every service in ``options.paths``; returns 0, or 1 when ``--check`` finds work."""
    if options.every is not None:
        from reqconv.commands._all import run_all

        if options.main is not None or options.groups or options.name is not None:
            raise InputError("--main, --group and --name name one service's files: not with --all")

        each = dataclasses.replace(options, every=None)  # what a worker process gets
        mode = options.mode
        return run_all("convert", options.paths, each, out, options.every, mode=mode)
    if not options.mode.writes:
        return _run(options, out)
    # Held from before the first read to the last write: another reqconv run on one of these
    # services (an `add`, a `lock`) waits, and plans from what this one wrote.
    with fs.folder_locks(options.paths, on_wait=wait_notice(out, fs.FOLDER_WAIT)):
        return _run(options, out)


def _run(options: ConvertOptions, out: Output) -> int:
    mode = options.mode
    require_engine(options.verify and mode.writes)  # none: exit 3 before anything is done
    services = service.plan_services(options.paths, options)
    if options.docker:
        service.plan_docker(services, lock=options.lock, multi_stage=options.multi_stage)
    pending = any(change.changed for planned in services for change in planned.changes)
    if not mode.json:
        for planned in services:
            if not mode.quiet:
                out.err(f"{planned.root.as_posix()}:")
                if planned.on_uv:
                    out.err(f"  already on uv: {ON_UV}")
                for line in _role_lines(planned):
                    out.err(line)
                if planned.python is not None:
                    out.err(f"  {planned.python.describe()}")
            for diag in planned.diagnostics:
                out.err(str(diag))

    if not mode.writes:
        if mode.check and options.lock and not pending:
            # pyproject and the Dockerfiles are current: are uv.lock and the exports? (a pin
            # changed in the requirements since the last lock, an export a Dockerfile copies)
            pending = _lock_pending(services, options, out)
        if not mode.json:
            for planned in services:
                for change in planned.changes:
                    if change.changed:
                        out.out(unified_diff(change).rstrip("\n"))
            if options.lock and not mode.quiet and not mode.check:
                out.err("lock: skipped (nothing is written with --dry-run)")
            if options.verify and not mode.quiet:
                out.err("verify: skipped (the builds need the lock --dry-run does not write)")
        else:
            out.out(_report(services, pending=pending))
        return 1 if (mode.check and pending) else 0

    with reported_on_failure(lambda: out.out(_report(services, pending=pending)), mode.json):
        _write(services, options, out)
    if mode.json:  # written: nothing is pending any more
        out.out(_report(services, pending=False))
    return 0


def _lock_pending(
    services: Sequence[ServiceConversion], options: ConvertOptions, out: Output
) -> bool:
    """``--check``: would the lock step change uv.lock or an export of a service? (Writes none.)"""

    def said(item: StaleFile) -> None:
        if not options.mode.json:
            out.err(f"{item.path.as_posix()}: {item.reason} (run `reqconv convert`)")

    pending = service.lock_pending(
        services, export_groups=options.export_groups, offline=options.offline, on_stale=said
    )
    checked = any(not planned.on_uv for planned in services)
    if checked and not pending and not options.mode.json and not options.mode.quiet:
        out.err("lock: uv.lock and its exports are up to date")
    return pending


def _write(services: Sequence[ServiceConversion], options: ConvertOptions, out: Output) -> None:
    mode = options.mode

    def locked(planned: ServiceConversion, result: LockResult) -> None:
        if mode.json:
            return
        for diag in result.diagnostics:
            out.err(str(diag))
        if result.kept and not mode.quiet:
            out.err(f"{planned.root.as_posix()}: kept {len(result.kept)} pinned versions")

    service.write(
        services,
        lock=options.lock,
        export_groups=options.export_groups,
        offline=options.offline,
        on_locked=locked,
        verify=service_verifier(options.verify, options.build_args, out, mode.quiet or mode.json),
    )
    if mode.json or mode.quiet:
        return
    for planned in services:
        if planned.written:
            for path in planned.written:
                out.out(f"wrote {path.as_posix()}")
        elif planned.on_uv:
            out.out(f"{planned.root.as_posix()}: already on uv ({ON_UV})")
        else:
            out.out(f"{planned.root.as_posix()}: nothing to change")
