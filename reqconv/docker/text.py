"""Edits as offset ranges of the original text with their replacement, applied all at once
(``apply_edits``: everything outside the edits stays byte for byte), the ``EditLog`` of one
rewrite, and the small text helpers the edits share (quoting, indentation, comment blocks).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reqconv.docker.instructions import DIRECTIVE_RE, Source
from reqconv.frozen import frozen

__all__ = [
    "Edit",
    "EditLog",
    "apply_edits",
    "comment_top",
    "deletion",
    "indent_of",
    "mount_options",
    "quote",
    "whole_lines",
    "with_name",
]


@frozen
class Edit:
    start: int
    end: int
    text: str


def quote(word: str) -> str:
    """``word`` for the shell; ``$VAR`` in it (an ``ARG`` of the build) keeps expanding."""
    if "$" in word and not any(c in word for c in '"\\`') and "$(" not in word:
        return f'"{word}"'
    return shlex.quote(word)


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def with_name(path: str, name: str) -> str:
    head, sep, _tail = path.rpartition("/")
    return f"{head}{sep}{name}"


def mount_options(flag: str) -> dict[str, str]:
    """``--mount=type=bind,source=a,target=b`` -> ``{"type": "bind", "source": "a", ...}``."""
    return dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))


def comment_top(lines: Sequence[str], line: int) -> int:
    """The first line of the comment block right above ``line`` (1-based), or ``line``."""
    top = line
    while (
        top > 1
        and lines[top - 2].lstrip().startswith("#")
        and not DIRECTIVE_RE.match(lines[top - 2].strip())
    ):
        top -= 1
    # a block that starts the file is the header; keep inserts below directives only
    return top


def whole_lines(text: str, start: int, end: int) -> tuple[int, int, str]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        return line_start, line_end, ""
    return start, end, ""


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    # stable: insertions at one offset keep the order they were made in
    ordered = sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end))
    out: list[str] = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            continue  # overlapping edit: the first one wins
        out.append(text[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


def deletion(src: Source, command: Any) -> Edit:
    """The edit that removes the instruction ``command`` (all its lines)."""
    return Edit(src.line_start(command.start_line), src.line_end(command.end_line), "")


@dataclass
class EditLog:
    """The edits of one rewrite so far and what they touched; a decision that cannot be carried
    out whole is undone with ``saved``/``restore``."""

    edits: list[Edit] = field(default_factory=list)
    rewritten: set[int] = field(default_factory=set)
    copies_done: set[tuple[int, str]] = field(default_factory=set)
    uv_stages: set[str] = field(default_factory=set)  # names of the uv stages added (per platform)
    mounted: list[int] = field(default_factory=list)  # RUN lines that got a --mount (BuildKit only)

    def saved(self) -> EditLog:
        return EditLog(
            edits=list(self.edits),
            rewritten=set(self.rewritten),
            copies_done=set(self.copies_done),
            uv_stages=set(self.uv_stages),
            mounted=list(self.mounted),
        )

    def restore(self, saved: EditLog) -> None:
        self.edits, self.rewritten, self.copies_done = (
            saved.edits,
            saved.rewritten,
            saved.copies_done,
        )
        self.uv_stages, self.mounted = saved.uv_stages, saved.mounted
