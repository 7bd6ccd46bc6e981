"""requirements/parse.py's include tree: cycles reported and cut, unreadable files reported once at
the line that names them, a diamond parsed once. Written to kill the mutants of ``_Tree.visit``
that survived tests/test_requirements_txt.py (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv.errors import InputError, InputErrors, Location, ParseError
from reqconv.requirements.parse import parse_tree


def _files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def test_a_cycle_is_reported_in_the_file_that_closes_it_and_the_rest_is_followed(
    tmp_path: Path,
) -> None:
    root = _files(
        tmp_path,
        {
            "a.txt": "-r b.txt\nalpha\n",
            "b.txt": "-r a.txt\n-c a.txt\n-r c.txt\nbeta\n",
            "c.txt": "gamma\n",
        },
    )
    tree = parse_tree([root / "a.txt"])
    assert sorted(path.name for path in tree) == ["a.txt", "b.txt", "c.txt"]
    b = tree[root / "b.txt"]
    assert [include.path.name for include in b.includes] == ["c.txt"]
    assert [(d.code, d.message, d.location) for d in b.diagnostics] == [
        (
            "include-cycle",
            f"{flag} a.txt includes a file that includes this one; not followed again",
            Location(root / "b.txt", line),
        )
        for flag, line in (("-r", 1), ("-c", 2))
    ]


def test_an_unreadable_include_is_reported_once_where_it_is_named(tmp_path: Path) -> None:
    root = _files(tmp_path, {"a.txt": "-r missing.txt\nalpha\n-r missing.txt\n"})
    with pytest.raises(ParseError) as info:
        parse_tree([root / "a.txt"])
    error = info.value
    assert str(error) == (
        f"{root / 'a.txt'}:1: cannot read included file missing.txt: No such file or directory"
    )
    assert isinstance(error.__cause__, InputError)


def test_a_missing_file_named_on_the_command_line_is_its_own_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        parse_tree([tmp_path / "missing.txt"])
    assert "missing.txt" in str(info.value)
    assert "cannot read included file" not in str(info.value)


def test_a_file_two_others_include_is_parsed_once(tmp_path: Path) -> None:
    root = _files(
        tmp_path,
        {"a.txt": "-r b.txt\n-r c.txt\n", "b.txt": "-r d.txt\n", "c.txt": "-r d.txt\n"}
        | {"d.txt": "delta\nnot a requirement!\n"},
    )
    with pytest.raises(InputError) as info:
        parse_tree([root / "a.txt"])
    assert not isinstance(info.value, InputErrors)  # the bad line of d.txt, once
    assert str(info.value).startswith(f"{root / 'd.txt'}:2: invalid requirement")
