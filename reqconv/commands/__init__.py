"""One module per subcommand. Each exposes ``run(options, out) -> int`` (0 ok, 1 would change/drift).

Commands read through ``fs``, call the pure core, compute every new file's content, and only then
write (through ``fs``). They never print: they hand text to an ``Output``, which cli.py provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Output(Protocol):
    def out(self, text: str) -> None:
        """Results: summaries, diffs, JSON (stdout)."""

    def err(self, text: str) -> None:
        """Diagnostics: warnings, progress (stderr)."""


@dataclass
class CollectedOutput:
    """An ``Output`` that keeps what it is given (tests, and callers that post-process)."""

    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    def out(self, text: str) -> None:
        self.stdout.append(text)

    def err(self, text: str) -> None:
        self.stderr.append(text)


@dataclass(frozen=True, kw_only=True, slots=True)
class WriteMode:
    """How a writing command treats its results."""

    dry_run: bool = False  # print a unified diff, write nothing, exit 0
    check: bool = False  # print a unified diff, write nothing, exit 1 when something would change
    json: bool = False  # a machine report on stdout instead of text
    quiet: bool = False

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.check)
