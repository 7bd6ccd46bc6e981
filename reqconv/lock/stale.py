"""What the lock step would change, nothing written: ``reqconv lock --check`` and ``convert --check``.

``uv lock --locked`` tells a stale uv.lock; a pin of the requirements that uv.lock does not hold
needs a trial lock whose every file is then restored; each export is rendered and compared.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from reqconv import fs, uv
from reqconv.errors import InputError, Location, UvError
from reqconv.frozen import frozen
from reqconv.lock import pins as pins_
from reqconv.lock.explain import run_lock
from reqconv.lock.exports import PYLOCK, encoded, render_exports, targets_with_copied
from reqconv.lock.locking import lock_service
from reqconv.lock.project import check_docker_python, read_project, refuse_workspace_member
from reqconv.model import Demand, Pin
from reqconv.uv import Runner

__all__ = ["StaleFile", "check_service"]


@frozen(kw_only=True)
class StaleFile:
    """A file the lock step would change: uv.lock (``after is None``: uv decides) or an export."""

    path: Path
    before: bytes | None
    after: bytes | None
    after_text: str = ""
    reason: str = ""


def check_service(
    root: Path,
    *,
    pins: Sequence[Pin] = (),
    demands: Sequence[Demand] = (),
    export_groups: Sequence[str] = (),
    pylock: bool = False,
    offline: bool = False,
    runner: Runner = uv.run,
    uv_path: Path,
) -> list[StaleFile]:
    """What ``lock_service`` would change in ``root``; every file is left as it was.

    ``uv lock --locked`` tells a stale uv.lock. A pin of the requirements that uv.lock does not
    hold (and that no other input excludes) needs a trial: the lock step runs and every file is
    restored byte for byte, so a pin uv cannot hold is not reported as pending for ever. Then each
    export (those asked, those that exist, those a Dockerfile copies) is rendered and compared.
    """
    project = read_project(root)
    refuse_workspace_member(root, project)
    check_docker_python(root, project.requires_python, project.path)
    argv = uv.build_lock_argv(uv_path, root.absolute(), offline=offline, locked=True)
    lock_path = root / "uv.lock"
    try:
        run_lock(runner, argv, root, project)
    except UvError as e:
        if not uv.is_stale_lock_error(e):
            raise
        before = lock_path.read_bytes() if lock_path.is_file() else None
        reason = "missing" if before is None else "out of date"
        return [StaleFile(path=lock_path, before=before, after=None, reason=reason)]
    unheld = _unheld_pins(lock_path, pins, demands)
    if unheld and os.access(root, os.W_OK):
        return _trial(
            root,
            pins=pins,
            demands=demands,
            export_groups=export_groups,
            pylock=pylock,
            offline=offline,
            runner=runner,
            uv_path=uv_path,
        )
    stale = []
    if unheld:  # a read-only checkout: no trial, the pins are the finding
        listed = ", ".join(f"{pin.origin} pins {pin.name}=={pin.version}" for pin in unheld)
        stale.append(
            StaleFile(
                path=lock_path,
                before=lock_path.read_bytes(),
                after=None,
                reason=f"does not hold the requirements' pins ({listed})",
            )
        )
    targets, _ = targets_with_copied(root, project, export_groups, pylock)
    for path, text in render_exports(
        root, project, targets, runner=runner, uv_path=uv_path, offline=offline
    ):
        before = path.read_bytes() if path.is_file() else None
        after = encoded(path, text)
        if before != after:
            reason = "missing" if before is None else "out of date"
            stale.append(
                StaleFile(path=path, before=before, after=after, after_text=text, reason=reason)
            )
    return stale


def _unheld_pins(lock_path: Path, pins: Sequence[Pin], demands: Sequence[Demand]) -> list[Pin]:
    """The pins ``lock_service`` would carry into uv.lock (those it does not hold yet)."""
    settled = pins_.settle(pins, demands)
    if not settled.applied:
        return []
    summary = uv.read_lock(fs.read_text(lock_path).text)
    return [pin for pin in settled.applied if not pins_.held(pin, summary)]


def _trial(
    root: Path,
    *,
    pins: Sequence[Pin],
    demands: Sequence[Demand],
    export_groups: Sequence[str],
    pylock: bool,
    offline: bool,
    runner: Runner,
    uv_path: Path,
) -> list[StaleFile]:
    """Run the lock step, note what it changed, restore every file."""

    def read(path: Path) -> bytes | None:
        return path.read_bytes() if path.is_file() else None

    # What lock_service may write: uv.lock and the exports (tx restores them; this says what was).
    candidates = [root / "uv.lock", root / PYLOCK, *root.glob("requirements*.lock")]
    snapshot = {path.name: read(path) for path in candidates}
    stale = []
    with fs.Transaction() as tx:
        try:
            result = lock_service(
                root,
                tx=tx,
                pins=pins,
                demands=demands,
                export_groups=export_groups,
                pylock=pylock,
                offline=offline,
                runner=runner,
                uv_path=uv_path,
            )
            carried = "; ".join(str(carry) for carry in result.carried)
            for path in result.written:
                before = snapshot.get(path.name)
                after = path.read_bytes()
                is_lock = path.name == "uv.lock"
                stale.append(
                    StaleFile(
                        path=path,
                        before=before,
                        after=None if is_lock else after,
                        after_text="" if is_lock else after.decode("utf-8", "replace"),
                        reason=(carried or "out of date") if is_lock else "out of date",
                    )
                )
        finally:
            failed = tx.rollback()
    if failed:
        raise InputError(
            "--check could not restore these files after its trial lock: "
            + ", ".join(path.as_posix() for path in failed),
            Location(root),
        )
    return stale
