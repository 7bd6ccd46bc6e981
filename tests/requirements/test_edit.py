"""``requirements.edit``: one line added, replaced or removed, the rest of the file untouched."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reqconv.requirements import edit
from reqconv.requirements.parse import parse_text


def _add(text: str, line: str, name: str) -> str:
    return edit.add_line(text, parse_text(text, Path("r.txt")), line, name)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "alpha\nbeta>=1\nzeta\n",
            "alpha\nbeta>=1\ngamma>=1\nzeta\n",
            id="sorted-middle",
        ),
        pytest.param("beta\nzeta\n", "beta\ngamma>=1\nzeta\n", id="sorted-two"),
        pytest.param("hotel\nzeta\n", "gamma>=1\nhotel\nzeta\n", id="sorted-first"),
        pytest.param("alpha\nbeta\n", "alpha\nbeta\ngamma>=1\n", id="sorted-last"),
        pytest.param("zeta\nalpha\n", "zeta\nalpha\ngamma>=1\n", id="unsorted-appends"),
        pytest.param("zeta\nalpha", "zeta\nalpha\ngamma>=1\n", id="no-final-newline"),
        pytest.param("", "gamma>=1\n", id="empty"),
        pytest.param("# only a comment\n", "# only a comment\ngamma>=1\n", id="no-entries"),
        pytest.param(
            "# header\n-i https://example.com/simple\n\nalpha  # why\nbeta \\\n    >=1\nzeta\n",
            "# header\n-i https://example.com/simple\n\nalpha  # why\nbeta \\\n    >=1\n"
            "gamma>=1\nzeta\n",
            id="sorted-after-a-continued-line",
        ),
        pytest.param(
            "Alpha\nbeta_lib\nZeta\n",
            "Alpha\nbeta_lib\ngamma>=1\nZeta\n",
            id="sorted-by-normalized-name",
        ),
    ],
)
def test_add_line_keeps_a_sorted_file_sorted_else_appends(before: str, after: str) -> None:
    assert _add(before, "gamma>=1", "gamma") == after


def test_replace_keeps_the_comment_and_every_other_byte() -> None:
    text = "alpha>=1  # needed by x\nbeta\n"
    assert edit.replace_line(text, 1, "alpha>=2") == "alpha>=2  # needed by x\nbeta\n"


def test_replace_takes_the_continuation_lines_too() -> None:
    text = "alpha==1.0 \\\n    --hash=sha256:aa\nbeta\n"
    assert edit.replace_line(text, 1, "alpha==2.0") == "alpha==2.0\nbeta\n"


def test_remove_lines_removes_whole_logical_lines() -> None:
    text = textwrap.dedent(
        """\
        # keep me
        alpha==1.0 \\
            --hash=sha256:aa
        beta  # why
        zeta
        """
    )
    assert edit.remove_lines(text, [2, 5]) == "# keep me\nbeta  # why\n"


def test_is_sorted_needs_two_entries() -> None:
    assert not edit.is_sorted(parse_text("alpha\n", Path("r.txt")))
    assert edit.is_sorted(parse_text("alpha\nbeta\n", Path("r.txt")))
