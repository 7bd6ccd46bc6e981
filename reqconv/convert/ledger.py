"""Each line's fate, and what is said about it.

Every step of ``normalize`` records into one ``Ledger``: the ``LineOutcome`` of each line per
destination (converted, mapped, merged or reported, and under which key), each once, and the
``Diagnostic``s, each once, in the order they arose. A line known only by a diagnostic is reported
under that diagnostic's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from reqconv import redact
from reqconv.errors import Location
from reqconv.model import Diagnostic, LineOutcome

__all__ = ["CONSTRAINTS_KEY", "MAIN_KEY", "PINS_KEY", "Ledger", "table_key"]

MAIN_KEY = "project.dependencies"
PINS_KEY = "lock.pins"
CONSTRAINTS_KEY = "tool.uv.constraint-dependencies"


def table_key(group: str | None) -> str:
    """The ``LineOutcome.key`` of a table: ``project.dependencies`` or ``dependency-groups.<g>``."""
    return MAIN_KEY if group is None else f"dependency-groups.{group}"


@dataclass
class Ledger:
    """Outcomes and diagnostics of one conversion, in order."""

    outcomes: list[LineOutcome] = field(default_factory=list)
    seen_outcomes: set[tuple[Location, str]] = field(default_factory=set)
    diagnostics: dict[Diagnostic, None] = field(default_factory=dict)  # an ordered set

    def outcome(
        self,
        location: Location,
        text: str,
        outcome: Literal["converted", "mapped", "merged", "reported"],
        key: str,
    ) -> None:
        if (location, key) in self.seen_outcomes:
            return
        self.seen_outcomes.add((location, key))
        self.outcomes.append(
            LineOutcome(location=location, text=redact.redact_text(text), outcome=outcome, key=key)
        )

    def report(
        self,
        code: str,
        message: str,
        location: Location | None,
        text: str | None = None,
        severity: Literal["error", "warning", "info"] = "warning",
    ) -> None:
        diagnostic = Diagnostic(
            code=code, message=redact.redact_text(message), location=location, severity=severity
        )
        self.diagnostics.setdefault(diagnostic)
        if text is not None and location is not None:
            self.outcome(location, text, "reported", code)
