"""One module per subcommand; each exposes ``run(options, out) -> int`` (0 ok, 1 would change).

Commands read through ``fs``, call the pure core, compute every new file's content, and only then
write (through ``fs``). They never print: they hand text to an ``Output``, which cli.py provides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from reqconv.frozen import frozen

if TYPE_CHECKING:
    from collections.abc import Callable

    from reqconv.lock.locking import LockResult
    from reqconv.model import Diagnostic, FileChange


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


@frozen(kw_only=True)
class WriteMode:
    """How a writing command treats its results."""

    dry_run: bool = False  # print a unified diff, write nothing, exit 0
    check: bool = False  # print a unified diff, write nothing, exit 1 when something would change
    json: bool = False  # a machine report on stdout instead of text
    quiet: bool = False

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.check)


def wait_notice(out: Output, timeout: float) -> Callable[[Path], None]:
    """What a run says when another reqconv run holds a service it is about to change."""

    def notice(folder: Path) -> None:
        out.err(
            f"{display_path(folder)}: another reqconv run is changing this service; waiting for "
            f"it (up to {timeout:g} s)"
        )

    return notice


def display_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it, else as given (POSIX)."""
    try:
        return path.absolute().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()


def diagnostic_json(diag: Diagnostic) -> dict[str, str | None]:
    """The JSON form of a diagnostic, as every command's ``--json`` report gives it."""
    return {
        "code": diag.code,
        "severity": diag.severity,
        "location": str(diag.location) if diag.location else None,
        "message": diag.message,
    }


def unified_diff(change: FileChange) -> str:
    """A unified diff of one planned change (``/dev/null`` for a new file), git-style names."""
    import difflib  # only a command that shows a diff needs it (not `reqconv check`)

    name = display_path(change.path)
    prefix_a, prefix_b = ("a/", "b/") if not name.startswith("/") else ("", "")
    return "".join(
        difflib.unified_diff(
            change.before_text.splitlines(keepends=True),
            change.after_text.splitlines(keepends=True),
            fromfile=f"{prefix_a}{name}" if change.before is not None else "/dev/null",
            tofile=f"{prefix_b}{name}",
        )
    )


def lock_result_json(result: LockResult) -> dict[str, object]:
    """The JSON form of a lock result (`reqconv lock --json`, and `convert --json` per service)."""
    return {
        "path": result.root.as_posix(),
        "written": [path.as_posix() for path in result.written],
        "kept": [{"name": pin.name, "version": pin.version} for pin in result.kept],
        "changed": [
            {
                "name": change.name,
                "pinned": change.pinned,
                "locked": change.locked,
                "origin": str(change.origin),
                "reason": change.reason,
            }
            for change in result.changed
        ],
        "carried": [
            {
                "name": carry.name,
                "before": carry.before,
                "version": carry.version,
                "origin": str(carry.origin),
            }
            for carry in result.carried
        ],
        "hash_mismatches": [
            {"name": m.name, "version": m.version, "origin": str(m.origin)}
            for m in result.hash_mismatches
        ],
        "diagnostics": [diagnostic_json(diag) for diag in result.diagnostics],
    }
