"""`reqconv lock`: ``uv lock``, then the hashed exports that production installs.

A thin shell over ``reqconv.lock``: the options, one ``fs.Transaction`` over every service, and
the text, ``--check`` diff and ``--json`` forms of what the lock step did or would do.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from reqconv import fs, uv
from reqconv.commands import (
    Output,
    WriteMode,
    lock_result_json,
    unified_diff,
    wait_notice,
)
from reqconv.frozen import frozen
from reqconv.lock import locking
from reqconv.lock.stale import check_service
from reqconv.model import FileChange

if TYPE_CHECKING:
    from reqconv.commands._all import AllOptions

__all__ = ["LockOptions", "run"]


@frozen(kw_only=True)
class LockOptions:
    paths: tuple[Path, ...]
    export_groups: tuple[str, ...] = ()
    pylock: bool = False
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    offline: bool = False
    mode: WriteMode = WriteMode()
    every: AllOptions | None = None  # --all: every service below the paths, in parallel


def _check(options: LockOptions, out: Output, uv_path: Path) -> int:
    """``--check``: exit 1 when uv.lock or an export is out of date; write nothing."""
    stale: list[str] = []
    for root in options.paths:
        inputs = locking.derive_inputs(root)
        for item in check_service(
            root,
            pins=inputs.pins,
            demands=inputs.demands,
            export_groups=options.export_groups,
            pylock=options.pylock,
            offline=options.offline,
            uv_path=uv_path,
        ):
            stale.append(item.path.as_posix())
            if options.mode.json:
                continue
            if item.after is None:
                out.err(f"{item.path.as_posix()}: {item.reason} (run `reqconv lock`)")
                continue
            if item.before is None:
                out.err(f"{item.path.as_posix()}: missing (run `reqconv lock`)")
            before = item.before
            change = FileChange(
                path=item.path,
                before=before,
                after=item.after,
                before_text=before.decode("utf-8", "replace") if before is not None else "",
                after_text=item.after_text,
            )
            out.out(unified_diff(change).rstrip("\n"))
    if options.mode.json:
        out.out(json.dumps({"would_change": bool(stale), "stale": stale}, indent=2))
    elif not stale and not options.mode.quiet:
        out.err("lock: uv.lock and its exports are up to date")
    return 1 if stale else 0


def run(options: LockOptions, out: Output) -> int:
    """Lock every service in ``options.paths`` in one transaction; 1 when ``--check`` finds work."""
    if options.every is not None:
        from reqconv.commands._all import run_all

        each = dataclasses.replace(options, every=None)  # what a worker process gets
        return run_all("lock", options.paths, each, out, options.every, mode=options.mode)
    uv_path = uv.find_uv()
    uv.uv_version(uv_path)
    if options.mode.check:
        return _check(options, out, uv_path)
    results: list[locking.LockResult] = []
    # Held from before the first read to the last write: another reqconv run on one of these
    # services (an `add`, a second `lock`) waits, and neither interleaves with the other.
    with (
        fs.folder_locks(options.paths, on_wait=wait_notice(out, fs.FOLDER_WAIT)),
        fs.Transaction() as tx,
    ):
        for root in options.paths:
            inputs = locking.derive_inputs(root)
            result = locking.lock_service(
                root,
                tx=tx,
                pins=inputs.pins,
                demands=inputs.demands,
                export_groups=options.export_groups,
                pylock=options.pylock,
                upgrade=options.upgrade,
                upgrade_packages=options.upgrade_packages,
                offline=options.offline,
                uv_path=uv_path,
            )
            results.append(result)
            for diag in inputs.diagnostics:
                out.err(str(diag))
    if options.mode.json:
        out.out(json.dumps({"services": [lock_result_json(r) for r in results]}, indent=2))
        return 0
    for result in results:
        for diag in result.diagnostics:
            if diag.severity == "warning" or not options.mode.quiet:
                out.err(str(diag))
        if options.mode.quiet:
            continue
        if result.kept:
            out.err(f"{result.root.as_posix()}: kept {len(result.kept)} pinned versions")
        for path in result.written:
            out.out(f"wrote {path.as_posix()}")
        if not result.written:
            out.out(f"{result.root.as_posix()}: lock up to date")
    return 0
