"""convert/names.py: unnamed URL and path lines get a name from --name-url, uv, or are refused at file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv.convert import names
from reqconv.errors import InputError, InputErrors, UvError, UvNotFoundError
from reqconv.model import Source
from reqconv.requirements.parse import parse_text


def test_uv_names_a_git_url_and_the_file_options_reach_it(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    text = (
        "--index-url https://u:p@pypi.example.com/simple\n-f ./wheels\n--pre\n"
        "git+https://github.com/org/lib.git@v1.2#subdirectory=py\n"
    )
    files = {path: parse_text(text, path)}
    asked: list[tuple[str, Path]] = []

    def learn(given: str, cwd: Path) -> str:
        asked.append((given, cwd))
        return "lib"

    named = names.name_requirements(files, tmp_path, given={}, learn=learn)
    # The index (credentials too: stdin, not argv) but not a relative find-links or --pre.
    assert asked == [
        (
            "--index-url https://u:p@pypi.example.com/simple\n"
            "git+https://github.com/org/lib.git@v1.2#subdirectory=py\n",
            tmp_path,
        )
    ]
    (req,) = named[path].requirements
    assert (req.name, req.origin.line) == ("lib", 4)
    assert req.source == Source(
        kind="git", url="https://github.com/org/lib.git", tag="v1.2", subdirectory="py"
    )
    assert named[path].unnamed == ()


def test_name_url_option_names_without_asking_uv(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    files = {path: parse_text("https://h.example/archive/main.zip\n", path)}
    given = names.parse_name_urls(("tool=https://h.example/archive/main.zip",))
    named = names.name_requirements(files, tmp_path, given=given, learn=None)
    assert [r.name for r in named[path].requirements] == ["tool"]


def test_bad_name_url_value_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--name-url takes NAME=URL"):
        names.parse_name_urls(("git+https://h/r.git",))
    with pytest.raises(InputError, match="--name-url takes NAME=URL"):
        names.parse_name_urls(("not a name=git+https://h/r.git",))


def test_every_line_that_cannot_be_named_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    text = "git+https://unreachable.invalid/a.git\nhg+https://hg.example/b\n./nowhere\nalpha\n"
    files = {path: parse_text(text, path)}

    def learn(given: str, cwd: Path) -> str:
        raise UvError(
            "`uv pip` failed",
            stderr="error: Git operation failed\n  cause: failed to fetch\n"
            "         fatal: unable to access 'https://unreachable.invalid/a.git/'\n",
        )

    with pytest.raises(InputErrors) as info:
        names.name_requirements(files, tmp_path, given={}, learn=learn)
    first, second, third = info.value.errors
    assert str(first).startswith(
        f"{path}:1: cannot tell the package name of 'git+https://unreachable.invalid/a.git' "
        "(uv could not read it: fatal: unable to access"
    )
    assert str(first).endswith(
        "write it as 'NAME @ git+https://unreachable.invalid/a.git' in the file, or pass "
        "--name-url NAME=git+https://unreachable.invalid/a.git"
    )
    assert str(second).startswith(f"{path}:2: ")
    assert "uv has no hg sources" in str(second)
    assert str(third).startswith(f"{path}:3: ")
    assert "does not exist" in str(third)


def test_missing_uv_is_not_turned_into_a_naming_error(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    files = {path: parse_text("git+https://github.com/org/lib.git\n", path)}

    def learn(given: str, cwd: Path) -> str:
        raise UvNotFoundError("uv not found")

    with pytest.raises(UvNotFoundError):
        names.name_requirements(files, tmp_path, given={}, learn=learn)


def test_the_project_itself_is_reported_not_refused(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    path = tmp_path / "requirements.txt"
    files = {path: parse_text("-e .\n", path)}
    named = names.name_requirements(files, tmp_path, given={}, learn=None)
    assert named[path].requirements == ()
    (info,) = named[path].diagnostics
    assert (info.code, info.severity, info.location) == (
        "project-itself",
        "info",
        named[path].unnamed[0].origin,
    )
