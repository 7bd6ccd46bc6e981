"""What ``reqconv add`` and ``reqconv remove`` share: hold the service, plan, write, report.

Not a subcommand. The service folder is held with ``fs.folder_lock`` from before it is read until
the last file is written, so a second run on the same service waits and then plans from what the
first one wrote; neither can interleave with the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reqconv import fs
from reqconv.commands import Output, WriteMode, diagnostic_json, unified_diff, wait_notice
from reqconv.frozen import frozen

if TYPE_CHECKING:
    from reqconv.change import Plan, Result


@frozen(kw_only=True)
class ChangeOptions:
    project: Path = Path()
    group: str | None = None
    variant: str | None = None  # --variant NAME: an alternative set's group (docs/variants.md)

    def table(self) -> str | None:
        """The group to change: ``--variant``'s set (checked against the recorded sets), else
        ``--group``'s, else ``None`` (``[project]``)."""
        if self.variant is None:
            return self.group
        from reqconv.change.read import variant_group

        return variant_group(self.project, self.variant)

    lock: bool = True
    offline: bool = False
    wait: float = fs.FOLDER_WAIT
    mode: WriteMode = WriteMode()


def _json(plan: Plan, result: Result | None) -> str:
    moves = result.moves if result is not None else ()
    data = {
        "action": plan.action,
        "path": plan.root.as_posix(),
        "group": plan.group,
        "names": list(plan.names),
        "would_change": plan.pending,
        "changed": [c.path.as_posix() for c in plan.changes if c.changed],
        "written": [p.as_posix() for p in result.written] if result is not None else [],
        "lock": {
            "entered": [{"name": m.name, "version": m.after} for m in moves if m.before is None],
            "left": [{"name": m.name, "version": m.before} for m in moves if m.after is None],
            "moved": [
                {"name": m.name, "before": m.before, "after": m.after}
                for m in moves
                if m.before is not None and m.after is not None
            ],
        },
        "diagnostics": [
            diagnostic_json(d)
            for d in (*plan.diagnostics, *(result.diagnostics if result is not None else ()))
        ],
    }
    return json.dumps(data, indent=2)


def execute(make_plan: Callable[[], Plan], options: ChangeOptions, out: Output) -> int:
    """Plan and apply one change while holding the service; 1 when ``--check`` finds work."""
    from reqconv import change

    mode = options.mode
    root = options.project
    notice = wait_notice(out, options.wait)
    with fs.folder_lock(root, timeout=options.wait, on_wait=lambda: notice(root)):
        plan = make_plan()
        if not mode.json:
            for diag in plan.diagnostics:
                out.err(str(diag))
        if not mode.writes:
            if mode.json:
                out.out(_json(plan, None))
            else:
                for item in plan.changes:
                    if item.changed:
                        out.out(unified_diff(item).rstrip("\n"))
                if options.lock and not mode.quiet:
                    out.err("lock: skipped (nothing is written with --dry-run/--check)")
            return 1 if (mode.check and plan.pending) else 0
        result = change.apply(plan, lock=options.lock, offline=options.offline)
    if mode.json:
        out.out(_json(plan, result))
        return 0
    for diag in result.diagnostics:
        if diag.severity == "warning" or not mode.quiet:
            out.err(str(diag))
    if mode.quiet:
        return 0
    for line in plan.lines:
        out.out(line)
    if result.locked:
        lock = (plan.root / "uv.lock").as_posix()
        for move in result.moves:
            out.out(f"{lock}: {move}")
        if not result.moves:
            out.out(f"{lock}: no package entered, left or moved")
    for path in result.written:
        out.out(f"wrote {path.as_posix()}")
    return 0
