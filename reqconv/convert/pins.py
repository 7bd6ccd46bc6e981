"""The pins a conversion hands the lock step: each ``==`` line of a requirements file, and every
line of a role's compiled ``.txt`` (pip-compile's output beside its ``.in``).

A pin is kept once per name and version, with its hashes and where it came from. A compiled pin
that its own ``.in`` excludes is reported (the ``.txt`` is older than the ``.in``); per-line
``--hash`` values have no pyproject form and are kept with the pins (uv.lock records hashes).
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from reqconv.convert.ledger import Ledger
from reqconv.convert.specifiers import exact
from reqconv.errors import Location
from reqconv.model import Demand, Pin, Req, ReqFile

__all__ = ["Pins"]


@dataclass
class Pins:
    """The pins of one conversion, by (name, version), in first-seen order."""

    ledger: Ledger
    pins: dict[tuple[str, str], Pin] = field(default_factory=dict)
    hashed_files: set[Path] = field(default_factory=set)

    def add(self, req: Req, group: str | None, *, compiled: bool = False) -> None:
        """``req`` as a pin of ``group`` when it names one exact version and no source."""
        specs = list(req.requirement.specifier)
        if req.source is not None or len(specs) != 1:
            return
        version = exact(specs[0])
        if version is None:
            return
        key = (req.name, str(version))
        if key not in self.pins:
            marker = req.requirement.marker
            self.pins[key] = Pin(
                name=canonicalize_name(req.name),
                version=specs[0].version,
                origin=req.origin,
                hashes=req.hashes,
                group=group,
                marker=str(marker) if marker is not None else None,
                compiled=compiled,
            )

    def hashes(self, req: Req, reqfile: ReqFile) -> None:
        if req.hashes and reqfile.path not in self.hashed_files:
            self.hashed_files.add(reqfile.path)
            self.ledger.report(
                "hash-left-to-lock",
                f"per-line --hash values in {reqfile.path} have no pyproject form; "
                "they are kept as lock pins and uv.lock records hashes",
                Location(reqfile.path),
                severity="info",
            )

    def check_compiled(self, line: Req, group: str | None, demands: Sequence[Demand]) -> None:
        """A compiled pin that its own ``.in`` excludes (the ``.txt`` is older than the ``.in``)."""
        specs = list(line.requirement.specifier)
        if len(specs) != 1 or exact(specs[0]) is None:
            return
        version = specs[0].version
        name = canonicalize_name(line.name)
        for demand in demands:
            if demand.name != name or demand.group != group or not demand.specifier:
                continue
            if not SpecifierSet(demand.specifier).contains(version, prereleases=True):
                self.ledger.report(
                    "compiled-pin-differs",
                    f"{name}: the compiled file installed {name}=={version}, but "
                    f"{demand.origin} asks for {name}{demand.specifier}; the lock follows "
                    f"{demand.origin} (re-run pip-compile so that both files agree)",
                    line.origin,
                    line.text,
                )
                return

    def to_production(self, origins: Container[Location]) -> None:
        """The pins of lines whose entry every alternative set shares are production's."""
        for key, pin in self.pins.items():
            if pin.origin in origins:
                self.pins[key] = replace(pin, group=None)

    def kept(self, sourced: Container[str]) -> tuple[Pin, ...]:
        """The pins for the lock: a package with a source takes its version from there."""
        return tuple(pin for pin in self.pins.values() if pin.name not in sourced)
