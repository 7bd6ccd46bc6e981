"""Requirements files edited one line at a time, in their own style (``reqconv add``/``remove``).

Pure: a file's decoded text (``\\n`` newlines; ``fs`` restores its newline style and BOM) and its
parsed ``ReqFile`` in, text out; it never reads or writes a file. A file whose requirements are
sorted by name (pip-compile's ``.in`` files, most hand-kept ones) gets a new line at its place in
that order; any other file gets it appended. Comments, blank lines, options and the other lines
stay byte for byte. A logical line is the physical line an entry starts on plus the lines its
trailing ``\\`` continues, as pip joins them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reqconv.model import ReqFile
from reqconv.requirements.lines import COMMENT_RE

__all__ = ["add_line", "is_sorted", "remove_lines", "replace_line"]


def _end(lines: Sequence[str], start: int) -> int:
    """The index after the logical line that starts at index ``start``."""
    index = start
    while (
        index < len(lines) - 1
        and lines[index].endswith("\\")
        and COMMENT_RE.match(lines[index]) is None
    ):
        index += 1
    return index + 1


def _entries(reqfile: ReqFile) -> list[tuple[int, str]]:
    """(0-based start index, normalized name) of each requirement, in file order."""
    return sorted((req.origin.line - 1, str(req.name)) for req in reqfile.requirements)


def is_sorted(reqfile: ReqFile) -> bool:
    """True when the file lists two or more requirements, in name order (PEP 503 names)."""
    names = [name for _, name in _entries(reqfile)]
    return len(names) >= 2 and names == sorted(names)


def add_line(text: str, reqfile: ReqFile, line: str, name: str) -> str:
    """``text`` with ``line`` (the requirement of ``name``) at its sorted place, or appended."""
    entries = _entries(reqfile)
    lines = text.split("\n")
    if is_sorted(reqfile):
        before = [start for start, other in entries if other < name]
        at = _end(lines, before[-1]) if before else entries[0][0]
        return "\n".join([*lines[:at], line, *lines[at:]])
    if not text:
        return line + "\n"
    body = text if text.endswith("\n") else text + "\n"
    return body + line + "\n"


def replace_line(text: str, number: int, line: str) -> str:
    """``text`` with the logical line that starts on line ``number`` (1-based) replaced by
    ``line``; a comment at the end of a one-line entry stays."""
    lines = text.split("\n")
    start = number - 1
    end = _end(lines, start)
    comment = ""
    if end == start + 1:
        found = COMMENT_RE.search(lines[start])
        comment = found.group(0) if found is not None else ""
    return "\n".join([*lines[:start], line + comment, *lines[end:]])


def remove_lines(text: str, numbers: Iterable[int]) -> str:
    """``text`` without the logical lines that start on lines ``numbers`` (1-based)."""
    lines = text.split("\n")
    for number in sorted(set(numbers), reverse=True):
        start = number - 1
        del lines[start : _end(lines, start)]
    return "\n".join(lines)
