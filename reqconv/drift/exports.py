"""Drift kind 3: uv.lock against its exports (E3xx): ``requirements.lock``,
``requirements-<group>.lock`` and ``pylock.toml`` read (``parse_export``) and compared with what
uv.lock holds for their group: the same versions and hashes, nothing missing, nothing extra.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from reqconv.drift.codes import Finding, finding
from reqconv.drift.requirements import same_version
from reqconv.frozen import frozen

if TYPE_CHECKING:
    from reqconv.model import LockSummary, Pin

__all__ = ["Export", "ExportEntry", "compare_exports", "parse_export"]


@frozen(kw_only=True)
class ExportEntry:
    name: NormalizedName
    version: str | None
    hashes: frozenset[str]
    line: int


@frozen(kw_only=True)
class Export:
    """An export as read: its path, the group it is for (``None``: production), its entries."""

    path: Path
    group: str | None
    entries: tuple[ExportEntry, ...]
    pylock: bool = False
    # ``name @ git+...`` / ``name @ file:...`` lines: no version to compare, but the package is there.
    direct: frozenset[NormalizedName] = frozenset()


_PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)")


_HASH_RE = re.compile(r"--hash[=\s]+(\S+)")


_DIRECT_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@")


def parse_export(path: Path, text: str, group: str | None) -> Export:
    """The ``name==version --hash ...`` entries of a requirements export (logical lines)."""
    entries = []
    direct = set()
    start_line = 0
    logical = ""
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        if not logical:
            start_line = number
        stripped = raw.strip()
        if stripped.endswith("\\"):
            logical += " " + stripped[:-1]
            continue
        logical += " " + stripped
        line, logical = logical.strip(), ""
        if not line or line.startswith(("#", "-")):
            continue
        match = _PIN_RE.match(line)
        if match is None:
            if (named := _DIRECT_RE.match(line)) is not None:
                direct.add(canonicalize_name(named.group(1)))
            continue
        entries.append(
            ExportEntry(
                name=canonicalize_name(match.group(1)),
                version=match.group(2),
                hashes=frozenset(_HASH_RE.findall(line)),
                line=start_line,
            )
        )
    return Export(path=path, group=group, entries=tuple(entries), direct=frozenset(direct))


def _reachable(lock: LockSummary, group: str | None) -> set[NormalizedName]:
    """Names an export installs: the root's dependencies (and the group's), transitively."""
    from reqconv.model import LockedPackage

    by_name: dict[NormalizedName, list[LockedPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    roots = [p for p in lock.packages if p.root]
    todo: list[tuple[NormalizedName, tuple[str, ...]]] = []
    for root in roots:
        todo += list(root.dependencies)
        if group is not None:
            todo += list(dict(root.dev).get(group, ()))
            todo += list(dict(root.optional).get(group, ()))
    seen: set[tuple[NormalizedName, tuple[str, ...]]] = set()
    names: set[NormalizedName] = set()
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        name, extras = item
        names.add(name)
        for package in by_name.get(name, []):
            todo += list(package.dependencies)
            for extra in extras:
                todo += list(dict(package.optional).get(extra, ()))
    root_names = {p.name for p in roots}
    installable = {
        p.name
        for p in lock.packages
        if p.source not in ("virtual", "editable", "directory", "path")
    }
    return (names - root_names) & installable


def compare_exports(exports: Sequence[Export], lock: LockSummary, lock_path: Path) -> list[Finding]:
    """Kind 3: each export holds exactly the locked versions and hashes it should."""
    findings = []
    versions: dict[NormalizedName, dict[str, frozenset[str]]] = {}
    for package in lock.packages:
        if package.version is not None:
            versions.setdefault(package.name, {})[package.version] = frozenset(package.hashes)
    for export in exports:
        for entry in export.entries:
            locked = versions.get(entry.name)
            if locked is None:
                findings.append(
                    finding(
                        "E303",
                        export.path,
                        entry.line,
                        f"{entry.name} is not in {lock_path.name}",
                    )
                )
                continue
            version = next(
                (v for v in locked if entry.version and same_version(v, entry.version)), None
            )
            if version is None:
                findings.append(
                    finding(
                        "E301",
                        export.path,
                        entry.line,
                        f"{entry.name}=={entry.version} but {lock_path.name} holds "
                        f"{entry.name} {', '.join(sorted(locked))}",
                    )
                )
            elif entry.hashes != locked[version]:
                findings.append(
                    finding(
                        "E302",
                        export.path,
                        entry.line,
                        f"{entry.name}=={entry.version}: the hashes are not {lock_path.name}'s",
                    )
                )
        if export.pylock:
            continue
        exported = {e.name for e in export.entries} | export.direct
        for name in sorted(_reachable(lock, export.group) - exported):
            findings.append(
                finding(
                    "E303",
                    export.path,
                    1,
                    f"{lock_path.name} installs {name}, which the export lacks",
                )
            )
    return findings


def compare_set_exports(pins: Sequence[Pin], exports: Mapping[str, Export]) -> list[Finding]:
    """Kind 3 for alternative sets: each set's export (``exports``: set -> its export) holds the
    version of every ``==`` line of the set's file, and of every shared one (group ``None``).
    Compiled pins are left to R104: the lock may move those, and says why."""
    findings = []
    for pin in pins:
        if pin.compiled or pin.marker is not None:
            continue
        sets = [pin.group] if pin.group is not None else list(exports)
        for name in sets:
            export = exports.get(name)
            if export is None:
                continue
            entry = next((e for e in export.entries if e.name == pin.name), None)
            if entry is not None and entry.version and same_version(entry.version, pin.version):
                continue
            if entry is None and pin.name in export.direct:
                continue
            held = f"{pin.name}=={entry.version}" if entry is not None else f"no {pin.name}"
            findings.append(
                finding(
                    "E305",
                    export.path,
                    entry.line if entry is not None else 1,
                    f"{held}, but {pin.origin} ("
                    + (f"set {name!r}" if pin.group is not None else "every set")
                    + f") pins {pin.name}=={pin.version}",
                )
            )
    return findings
