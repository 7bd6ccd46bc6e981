"""The lock step: ``uv lock``, then the hashed exports that production installs.

``lock_service`` is what ``reqconv lock``, ``convert`` (and ``add``/``remove``) run; its read-only
twin, for ``--check``, is ``stale.check_service``. Every file ``lock_service`` may touch (uv.lock,
pyproject.toml, the exports) is tracked in the caller's ``fs.Transaction`` before uv or reqconv
changes it, so a failure at any point (uv error, timeout, Ctrl-C, SIGTERM) leaves every file as it
was. What would fail half-way is refused first: a folder it cannot write, a member of a uv
workspace (uv would lock the workspace's uv.lock instead: ``project``).

Pins (``==`` lines, a compiled ``.txt`` beside its ``.in``) are kept on the first lock: they go to
uv as temporary ``[tool.uv] constraint-dependencies``, then pyproject.toml is restored byte for byte
and uv locks again, keeping the locked versions as preferences, so pyproject keeps only the real
direct specifiers. Pins that cannot hold together are dropped (uv names them in its explanation) and
reported, as is every package whose version differs from its pin, and every hash mismatch
(``pins``). uv's failures are explained by ``explain``; the exports are rendered by ``exports``.

This module never prints and never exits; the command modules render its results.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar

from packaging.utils import NormalizedName, canonicalize_name

from reqconv import fs, uv
from reqconv.errors import InputError, Location, UvError
from reqconv.frozen import frozen
from reqconv.lock import pins as pins_
from reqconv.lock.explain import AUTH_FAILURE_RE, NO_SOLUTION, run_lock
from reqconv.lock.exports import (
    PYLOCK,
    encoded,
    export_name,
    refuse_credentials,
    render_exports,
    targets_with_copied,
    unhashed_diagnostics,
)
from reqconv.lock.pins import CarriedPin, HashMismatch, VersionChange
from reqconv.lock.project import Project, check_docker_python, read_project, refuse_workspace_member
from reqconv.model import Demand, Diagnostic, Pin
from reqconv.redact import redact_text
from reqconv.uv import Runner

__all__ = [
    "LockInputs",
    "LockResult",
    "derive_inputs",
    "derive_pins",
    "lock_service",
    "record_fingerprint",
]

# https://packaging.python.org/en/latest/specifications/name-normalization/
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


@frozen(kw_only=True)
class LockResult:
    """What one service's lock step did."""

    root: Path
    written: tuple[Path, ...] = ()
    kept: tuple[Pin, ...] = ()
    changed: tuple[VersionChange, ...] = ()
    carried: tuple[CarriedPin, ...] = ()
    hash_mismatches: tuple[HashMismatch, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def _require_writable(root: Path) -> None:
    """A folder reqconv (or uv) cannot write in is refused before anything changes."""
    # uv would fail half-way through (and a rollback could not remove what it created there):
    # a read-only mount, a folder of another user, a checkout the CI mounted read-only.
    if not os.access(root, os.W_OK):
        raise InputError(
            "cannot write in this folder (read-only?): uv.lock and the exports are written here",
            Location(root),
        )


def _write(tx: fs.Transaction, path: Path, data: bytes) -> bool:
    """``tx.write``, with an ``OSError`` reading the old file (no permission, a folder in its
    place) reported against ``path``; ``fs`` reports a failed write (disk full, read-only) itself."""
    try:
        return tx.write(path, data)
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror or e}", Location(path)) from e


def _named_in(stderr: str, pins: Iterable[Pin]) -> list[Pin]:
    """The pins whose package uv's explanation names (``-``, ``_`` and ``.`` alike)."""
    words = {canonicalize_name(w) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", stderr)}
    return [pin for pin in pins if pin.name in words]


def _why(stderr: str) -> str:
    """uv's explanation (its ``cause:`` paragraph, unwrapped), redacted."""
    text = stderr
    for marker in ("cause:", "╰─▶"):
        if marker in text:
            text = text.split(marker, 1)[1]
            break
    text = re.split(r"\n\s*\n|\bhint:", text, maxsplit=1)[0]
    return redact_text(" ".join(text.split())) or "uv could not resolve them together"


def _add_constraints(project: Project, pins: Sequence[Pin]) -> bytes:
    from reqconv.project import pyproject

    requirements = [pins_.constraint(pin) for pin in pins]
    text = pyproject.add_constraints(project.file.text, requirements, path=project.path)
    return project.file.encode(text)


def _upgrade_names(packages: Sequence[str]) -> frozenset[NormalizedName]:
    """The names ``--upgrade-package`` frees; uv takes a name or a requirement (``'ruff<0.5'``)."""
    from packaging.requirements import InvalidRequirement, Requirement

    names = set()
    for item in packages:
        try:
            name = Requirement(item).name
        except InvalidRequirement as e:
            raise InputError(f"--upgrade-package {item!r} is not a name or requirement: {e}") from e
        if not _NAME_RE.match(name):  # packaging lets `beta_` through; uv does not
            raise InputError(f"--upgrade-package {item!r}: {name!r} is not a valid package name")
        names.add(canonicalize_name(name))
    return frozenset(names)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _terminable(function: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with fs.terminate_as_interrupt():
            return function(*args, **kwargs)

    return wrapper


@_terminable
def lock_service(
    root: Path,
    *,
    tx: fs.Transaction,
    pins: Sequence[Pin] = (),
    demands: Sequence[Demand] = (),
    export_groups: Sequence[str] = (),
    pylock: bool = False,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    offline: bool = False,
    runner: Runner = uv.run,
    uv_path: Path | None = None,
    python_origin: str | None = None,
) -> LockResult:
    """Lock ``root`` with uv and write its exports; the lock holds ``pins`` or says why not.

    On a first lock every pin goes to uv; on an existing one, the pins uv.lock does not hold yet
    (a pin changed in the requirements since, a new pip-compile run): the requirements files are
    what the team edits while they exist. ``demands`` (every requirement line) name the reason
    when a pin cannot hold. ``python_origin`` says where requires-python came from (convert
    knows: ``FROM python:3.12 at Dockerfile:1``), for the message when uv has no such Python.
    """
    if uv_path is None:
        uv_path = uv.find_uv()
        uv.uv_version(uv_path)
    project = read_project(root)
    refuse_workspace_member(root, project)
    check_docker_python(root, project.requires_python, project.path)
    targets, notes = targets_with_copied(root, project, export_groups, pylock)
    _require_writable(root)
    lock_path = root / "uv.lock"
    lock_before = lock_path.read_bytes() if lock_path.is_file() else None

    # Snapshot everything before uv or reqconv touches it: the caller's rollback restores it all.
    tx.track(lock_path)
    tx.track(project.path)
    for group, is_pylock in targets:
        tx.track(root / (PYLOCK if is_pylock else export_name(group)))

    diagnostics: list[Diagnostic] = list(notes)
    upgrading = _upgrade_names(upgrade_packages)
    candidates = [] if upgrade else [pin for pin in pins if pin.name not in upgrading]
    settled = pins_.settle(candidates, demands)
    dropped = dict(settled.dropped)
    applied = list(settled.applied)
    # Read only when there are pins: parsing a large uv.lock with tomllib costs more than the
    # rest of reqconv's work.
    summary_before = uv.read_lock(lock_before.decode()) if lock_before and applied else None
    unheld = applied
    if summary_before is not None:
        unheld = [pin for pin in applied if not pins_.held(pin, summary_before)]
        if not unheld:
            applied = []  # uv.lock holds every pin: a plain lock keeps them as preferences
        # else every pin goes to uv, the held ones too: else uv could move one to fit another

    # Each requirement's first line: a package that needs a newer Python than requires-python
    # lets in is named there (exit 2), once no pin is left to drop.
    origins: dict[str, Location] = {}
    for demand in demands:
        origins.setdefault(demand.name, demand.origin)

    def lock(*, from_cache: bool = False, pinned: bool = False) -> None:
        argv = uv.build_lock_argv(
            uv_path,
            root.absolute(),
            upgrade=upgrade,
            upgrade_packages=upgrade_packages,
            offline=offline or from_cache,
        )
        run_lock(
            runner,
            argv,
            root,
            project,
            python_origin=python_origin,
            origins=None if pinned else origins,
        )

    if applied:
        remaining = list(applied)
        retried = False
        while remaining:
            _write(tx, project.path, _add_constraints(project, remaining))
            try:
                lock(pinned=True)
                break
            except UvError as e:
                unwrapped = " ".join(e.stderr.split())
                if NO_SOLUTION not in unwrapped or AUTH_FAILURE_RE.search(unwrapped):
                    raise  # an index that refused uv is no conflict of the pins
                why = f"uv could not keep the pin: {_why(e.stderr)}"
                named = _named_in(e.stderr, remaining)
                # uv names the conflicting packages; drop those pins and retry once. When it names
                # none, or the retry fails too, lock without pins and report what moved.
                culprits = (
                    named if named and len(named) < len(remaining) and not retried else remaining
                )
                retried = True
                for pin in culprits:
                    dropped[pins_.key(pin)] = why
                remaining = [pin for pin in remaining if pins_.key(pin) not in dropped]
        # Back to the user's pyproject, byte for byte; uv keeps the locked versions as preferences.
        _write(tx, project.path, project.data)
        try:
            # The pinned lock just fetched every piece of metadata this one needs: from uv's cache
            # it takes a third of the time of a networked lock. Without a cache, lock as usual.
            lock(from_cache=True)
        except UvError:
            lock()
    else:
        lock()

    lock_text = fs.read_text(lock_path).text
    refuse_credentials(lock_path, lock_text)
    summary = uv.read_lock(lock_text) if pins else None

    kept: list[Pin] = []
    changed: list[VersionChange] = []
    carried: list[CarriedPin] = []
    mismatches: list[HashMismatch] = []
    if summary is not None:
        kept, changed, mismatches = pins_.check(
            pins, summary, dropped, upgrade=upgrade, upgrade_packages=upgrading
        )
    if summary is not None and summary_before is not None:
        for pin in unheld:
            if pins_.held(pin, summary):
                before = pins_.locked_version(pin, summary_before)
                carried.append(
                    CarriedPin(name=pin.name, before=before, version=pin.version, origin=pin.origin)
                )
    for change in changed:
        diagnostics.append(
            Diagnostic(code="version-changed", message=str(change), location=change.origin)
        )
    if summary is not None:
        for pin, line in pins_.narrowing(pins, demands, summary):
            diagnostics.append(
                Diagnostic(
                    code="group-pin-narrows-production",
                    message=f"{pin.name}=={pin.version} ({pins_.table_name(pin.group)}) is what "
                    f"production gets too: uv locks every group with production, and "
                    f"{line.origin} asks only {pin.name}{line.specifier or ' (any version)'}; "
                    "pip install -r of production's file would have taken another version",
                    location=pin.origin,
                )
            )
    for carry in carried:
        diagnostics.append(
            Diagnostic(
                code="pin-carried", message=str(carry), location=carry.origin, severity="info"
            )
        )
    for mismatch in mismatches:
        diagnostics.append(
            Diagnostic(
                code="hash-mismatch",
                message=f"{mismatch.name}=={mismatch.version}: none of the hashes the requirements "
                "carried is one uv.lock records for that version; the artifact on the index is not "
                "the one that was pinned. Check the index before you deploy this lock",
                location=mismatch.origin,
            )
        )

    written: list[Path] = []
    if lock_path.read_bytes() != lock_before:
        written.append(lock_path)
    for path, text in render_exports(
        root, project, targets, runner=runner, uv_path=uv_path, offline=offline
    ):
        if _write(tx, path, encoded(path, text)):
            written.append(path)
        if path.name != PYLOCK:
            diagnostics.extend(unhashed_diagnostics(path, text))
    written.extend(record_fingerprint(root, tx, uv_path))
    return LockResult(
        root=root,
        written=tuple(written),
        kept=tuple(kept),
        changed=tuple(changed),
        carried=tuple(carried),
        hash_mismatches=tuple(mismatches),
        diagnostics=tuple(diagnostics),
    )


def record_fingerprint(root: Path, tx: fs.Transaction, uv_path: Path) -> list[Path]:
    """``reqconv check``'s fast path and the uv that made the lock (see fingerprint.py).

    Returns the fingerprint's path when it was written (the run lists every file it wrote).
    """
    from reqconv import fingerprint
    from reqconv.drift import check
    from reqconv.errors import ReqconvError

    # An input the check cannot read, a uv that does not say its version: `reqconv check` will
    # compare everything (and say what it cannot read); the lock stands.
    with contextlib.suppress(ReqconvError):
        if check.record(root, tx, uv_version=uv.uv_version(uv_path)):
            return [root / fingerprint.FILE_NAME]
    return []


@frozen(kw_only=True)
class LockInputs:
    """What the service's requirements files ask of the lock: pins, and every requirement line."""

    pins: tuple[Pin, ...] = ()
    demands: tuple[Demand, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def derive_inputs(root: Path) -> LockInputs:
    """Pins and demands from the service's requirements files, while it keeps them."""
    from reqconv.requirements import discover

    try:
        roles = discover.discover(root)
        if not roles:
            return LockInputs()
        from reqconv.convert import normalize
        from reqconv.requirements import parse

        paths = [role.path for role in roles]
        paths += [role.compiled for role in roles if role.compiled is not None]
        conversion = normalize.convert(parse.parse_tree(paths), roles, root)
    except InputError as e:
        return LockInputs(
            diagnostics=(
                Diagnostic(
                    code="pins-not-read",
                    message=f"the requirements' pins could not be read, so the lock does not "
                    f"follow them: {e}",
                    location=e.location,
                ),
            )
        )
    return LockInputs(pins=conversion.pins, demands=conversion.demands)


def derive_pins(root: Path) -> tuple[tuple[Pin, ...], tuple[Diagnostic, ...]]:
    """``derive_inputs`` without the demands."""
    inputs = derive_inputs(root)
    return inputs.pins, inputs.diagnostics
