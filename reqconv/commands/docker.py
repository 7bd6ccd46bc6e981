"""`reqconv docker`: rewrite ``pip install -r`` in a service's Dockerfiles to ``uv pip sync``.

A thin shell over ``reqconv.docker.plan``, which computes the new Dockerfile and ``.dockerignore``
contents and the findings of each service and writes nothing: ``run`` writes them in one
``fs.Transaction`` (``convert`` plans them the same way, inside its own).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reqconv import fs
from reqconv.commands import Output, WriteMode, diagnostic_json, unified_diff
from reqconv.commands._verify import verify_plans
from reqconv.docker.plan import ServicePlan, missing_locks, plan_service, resolve_uv_version
from reqconv.errors import InputError
from reqconv.frozen import frozen

if TYPE_CHECKING:
    from reqconv.commands._all import AllOptions

if TYPE_CHECKING:
    from reqconv.docker.verify import Verification

__all__ = ["DockerOptions", "run"]


@frozen(kw_only=True)
class DockerOptions:
    paths: tuple[Path, ...]
    dockerfiles: tuple[Path, ...] = ()
    multi_stage: bool = False  # builder + runtime stages (docker/multistage.py)
    verify: bool = False  # build both files on the user's engine before writing (docker/verify.py)
    build_args: tuple[str, ...] = ()  # NAME=VALUE for --verify's builds
    context: Path | None = None  # --context DIR: the build context of the Dockerfiles
    mode: WriteMode = WriteMode()
    every: AllOptions | None = None  # --all: every service below the paths, in parallel


def _report(
    plans: Sequence[ServicePlan],
    *,
    pending: bool,
    written: Sequence[Path],
    verified: Sequence[Verification] | None = None,
) -> str:
    from reqconv.docker.verify import to_json

    return json.dumps(
        {
            "would_change": pending,
            "services": [
                {
                    "path": plan.root.as_posix(),
                    "changed": [c.path.as_posix() for c in plan.changes if c.changed],
                    "locks": list(plan.locks),
                    "lock_groups": list(plan.lock_groups),
                    "diagnostics": [diagnostic_json(d) for d in plan.diagnostics],
                    "dockerfiles": [
                        to_json(v) for v in verified or () if v.dockerfile in plan.builds
                    ],
                }
                for plan in plans
            ],
            "written": [path.as_posix() for path in written],
        },
        indent=2,
    )


def run(options: DockerOptions, out: Output, *, uv_version: str | None = None) -> int:
    """Rewrite every service's Dockerfiles; 0, or 1 when ``--check`` finds a pending rewrite.

    ``uv_version`` (the pin for the uv image) defaults to the version of the uv reqconv finds.
    """
    mode = options.mode
    if options.every is not None:
        from reqconv.commands._all import run_all

        if options.dockerfiles:
            raise InputError("--dockerfile names one service's files: not with --all")

        each = dataclasses.replace(options, every=None)  # what a worker process gets
        return run_all("docker", options.paths, each, out, options.every, mode=mode)
    if uv_version is None:
        uv_version = resolve_uv_version()
    plans = [
        plan_service(
            root,
            uv_version=uv_version,
            dockerfiles=options.dockerfiles,
            multi_stage=options.multi_stage,
            build_context=options.context,
        )
        for root in options.paths
    ]
    pending = any(plan.pending for plan in plans)
    if not mode.json:
        for plan in plans:
            if not plan.changes and not mode.quiet:
                out.err(f"{plan.root.as_posix()}: no Dockerfile found")
            for diagnostic in (*plan.diagnostics, *missing_locks(plan)):
                out.err(str(diagnostic))
    written: list[Path] = []
    verified: list[Verification] | None = None
    if options.verify:
        verified = verify_plans(plans, options.build_args, out, quiet=mode.quiet or mode.json)
        if not all(v.ok for v in verified):  # nothing written, whatever the mode
            if mode.json:
                out.out(_report(plans, pending=pending, written=written, verified=verified))
            return 1
    if not mode.writes:
        if mode.json:
            out.out(_report(plans, pending=pending, written=written, verified=verified))
        else:
            for plan in plans:
                for change in plan.changes:
                    if change.changed:
                        out.out(unified_diff(change).rstrip("\n"))
        return 1 if (mode.check and pending) else 0
    with fs.Transaction() as tx:
        for plan in plans:
            for change in plan.changes:
                if change.changed and tx.write(change.path, change.after):
                    written.append(change.path)
    if mode.json:
        out.out(_report(plans, pending=pending, written=written, verified=verified))
    elif not mode.quiet:
        for path in written:
            out.out(f"wrote {path.as_posix()}")
        if plans and not written:
            out.err("Dockerfiles: nothing to rewrite")
    return 0
