"""Pins against the lock: which the lock step applies, and why each one that moved did.

Pure: pins and demands (``model.Pin``/``model.Demand``, from normalize) and a ``LockSummary`` in,
decisions and reasons out. Every reason names the input (``file:line``) that forced the move, or
is uv's own explanation; none is a guess (docs/lock.md, "What happens to every moved version").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from packaging.utils import NormalizedName

from reqconv.errors import Location
from reqconv.frozen import frozen
from reqconv.model import Demand, LockSummary, Pin

__all__ = [
    "CarriedPin",
    "HashMismatch",
    "PinKey",
    "Settled",
    "VersionChange",
    "check",
    "constraint",
    "excluding",
    "held",
    "key",
    "locked_version",
    "narrowing",
    "same_version",
    "settle",
    "table_name",
]

PinKey = tuple[NormalizedName, str]


@frozen(kw_only=True)
class VersionChange:
    """A pinned package the lock holds at another version (``locked is None``: not locked at all)."""

    name: NormalizedName
    pinned: str
    locked: str | None
    origin: Location
    reason: str

    def __str__(self) -> str:
        now = self.locked if self.locked is not None else "(not in the lock)"
        return f"{self.name} {self.pinned} -> {now}: {self.reason}"


@frozen(kw_only=True)
class CarriedPin:
    """A pin changed in the requirements after uv.lock was written, now carried into it."""

    name: NormalizedName
    before: str | None  # the version uv.lock held (``None``: it held none)
    version: str
    origin: Location

    def __str__(self) -> str:
        was = self.before if self.before is not None else "(not in the lock)"
        return (
            f"{self.name} {was} -> {self.version}: {self.origin} pins {self.name}=={self.version} "
            "(changed since uv.lock was written); the lock follows it"
        )


@frozen(kw_only=True)
class HashMismatch:
    """The requirements file's hashes for a version that uv.lock records with other hashes."""

    name: NormalizedName
    version: str
    origin: Location
    pinned: tuple[str, ...]
    locked: tuple[str, ...]


@frozen(kw_only=True)
class Settled:
    """The pins to apply as constraints, and the reason for each one left out (by ``key``)."""

    applied: tuple[Pin, ...] = ()
    dropped: dict[PinKey, str] = field(default_factory=dict)


def key(pin: Pin) -> PinKey:
    return (pin.name, pin.version)


def same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def table_name(group: str | None) -> str:
    return "production" if group is None else f"group {group!r}"


def constraint(pin: Pin) -> str:
    """The ``constraint-dependencies`` entry of a pin, under its marker (``x==1 ; <marker>``)."""
    text = f"{pin.name}=={pin.version}"
    return f"{text} ; {pin.marker}" if pin.marker else text


def excluding(pin: Pin, demands: Iterable[Demand]) -> list[Demand]:
    """The requirement lines whose specifier leaves ``pin``'s version out (a line under a marker
    only when the pin has the same marker)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    found = []
    for demand in demands:
        if demand.name != pin.name or not demand.specifier:
            continue
        if demand.marker is not None and demand.marker != pin.marker:
            continue  # it asks only where its marker holds: uv may need both (it forks)
        try:
            specifier = SpecifierSet(demand.specifier)
        except InvalidSpecifier:
            continue
        if not specifier.contains(pin.version, prereleases=True):
            found.append(demand)
    return found


def _demand_reason(pin: Pin, demands: Sequence[Demand]) -> str:
    parts = [
        f"{demand.origin} ({table_name(demand.group)}) asks for {demand.name}{demand.specifier}"
        for demand in demands
    ]
    reason = "; ".join(parts)
    if any(demand.group != pin.group for demand in demands):
        reason += (
            f"; uv locks every group together with production, so {table_name(pin.group)} "
            "gets that version too"
        )
    return reason


def _listing(pins: Sequence[Pin]) -> str:
    return ", ".join(f"{pin.version} ({pin.origin}, {table_name(pin.group)})" for pin in pins)


def _distinct(pins: Sequence[Pin]) -> list[Pin]:
    """One pin per version (1.0 and 1.0.0 are one), first seen first."""
    found: list[Pin] = []
    for pin in pins:
        if not any(same_version(pin.version, other.version) for other in found):
            found.append(pin)
    return found


def settle(pins: Sequence[Pin], demands: Sequence[Demand] = ()) -> Settled:
    """Decide, before uv runs, the pins that cannot hold together with the requirements.

    1. A pin that a requirement line excludes (``.in`` ``django>=4.2``, compiled ``django==4.1``;
       a test file's ``urllib3==1.26.20`` against production's compiled ``urllib3==2.2.0``) is
       dropped: the line that excludes it is the reason.
    2. Several versions of one name left: under distinct markers they all hold (each constraint
       keeps its marker); else production's pin wins over a group's (uv locks every group with
       production into one version); else none is kept and the pins are listed.
    """
    dropped: dict[PinKey, str] = {}
    remaining: list[Pin] = []
    for pin in pins:
        against = excluding(pin, demands)
        if against:
            dropped[key(pin)] = _demand_reason(pin, against)
        else:
            remaining.append(pin)
    by_name: dict[NormalizedName, list[Pin]] = {}
    for pin in remaining:
        by_name.setdefault(pin.name, []).append(pin)
    for found in by_name.values():
        versions = _distinct(found)
        if len(versions) < 2:
            continue
        markers = [pin.marker for pin in versions]
        if all(markers) and len(set(markers)) == len(markers):
            continue  # x==1 ; python_version < "3.9" and x==2 ; python_version >= "3.9"
        production = _distinct([pin for pin in found if pin.group is None])
        if len(production) == 1:
            winner = production[0]
            for pin in found:
                if not same_version(pin.version, winner.version):
                    dropped[key(pin)] = (
                        f"{winner.origin} (production) pins {pin.name}=={winner.version}, and uv "
                        f"locks every group together with production into one version, so "
                        f"production's pin is kept"
                    )
            continue
        for pin in found:
            others = [other for other in versions if not same_version(other.version, pin.version)]
            dropped[key(pin)] = (
                f"also pinned to {_listing(others)}; uv locks every group into one version, "
                "and no pin was kept over the others"
            )
    applied = tuple(pin for pin in pins if key(pin) not in dropped)
    return Settled(applied=applied, dropped=dropped)


def _locked_versions(summary: LockSummary, name: str) -> list[str]:
    return [p.version for p in summary.packages if p.name == name and p.version is not None]


def held(pin: Pin, summary: LockSummary) -> bool:
    """True when the lock holds ``pin``'s version."""
    return any(same_version(pin.version, v) for v in _locked_versions(summary, pin.name))


def locked_version(pin: Pin, summary: LockSummary) -> str | None:
    versions = _locked_versions(summary, pin.name)
    return versions[0] if versions else None


def check(
    pins: Sequence[Pin],
    summary: LockSummary,
    dropped: Mapping[PinKey, str],
    *,
    upgrade: bool,
    upgrade_packages: frozenset[NormalizedName],
) -> tuple[list[Pin], list[VersionChange], list[HashMismatch]]:
    """Each pin against the lock: kept (hashes compared), or moved with its reason."""
    kept: list[Pin] = []
    changed: list[VersionChange] = []
    mismatches: list[HashMismatch] = []
    for pin in pins:
        versions = _locked_versions(summary, pin.name)
        if any(same_version(pin.version, v) for v in versions):
            kept.append(pin)
            if pin.hashes:
                locked = {
                    h
                    for p in summary.packages
                    if p.name == pin.name and p.version and same_version(p.version, pin.version)
                    for h in p.hashes
                }
                if locked and not locked & set(pin.hashes):
                    mismatches.append(
                        HashMismatch(
                            name=pin.name,
                            version=pin.version,
                            origin=pin.origin,
                            pinned=pin.hashes,
                            locked=tuple(sorted(locked)),
                        )
                    )
            continue
        if key(pin) in dropped:
            reason = dropped[key(pin)]
        elif upgrade or pin.name in upgrade_packages:
            reason = (
                f"upgraded as asked (--upgrade / --upgrade-package); {pin.origin} still pins "
                f"{pin.version}, and the next lock follows it back: change the pin there too"
            )
        elif not versions:
            where = f" under its marker `{pin.marker}`" if pin.marker else ""
            reason = (
                "not in the lock: nothing in the project needs it for the Pythons and platforms "
                f"uv locks for{where}"
            )
        else:
            reason = (
                f"uv locked {versions[0]} although the pin was given to it as a constraint "
                "(uv gave no reason)"
            )
        changed.append(
            VersionChange(
                name=pin.name,
                pinned=pin.version,
                locked=versions[0] if versions else None,
                origin=pin.origin,
                reason=reason,
            )
        )
    return kept, changed, mismatches


def narrowing(
    pins: Sequence[Pin], demands: Sequence[Demand], summary: LockSummary
) -> list[tuple[Pin, Demand]]:
    """A group's pin that production's own line asks more loosely of (``urllib3>=1.26`` against
    a test file's ``urllib3==1.26.20``): uv locks every group with production, so production's
    lock holds the group's version. Each (pin, production line) whose pin the lock holds."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    found = []
    for pin in pins:
        if pin.group is None or not held(pin, summary):
            continue
        for demand in demands:
            if demand.name != pin.name or demand.group is not None:
                continue
            try:
                specifier = SpecifierSet(demand.specifier)
            except InvalidSpecifier:
                continue
            exact = [s for s in specifier if s.operator in ("==", "===") and "*" not in s.version]
            if not exact:
                found.append((pin, demand))
                break
    return found
