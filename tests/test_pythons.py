"""pythons: where requires-python comes from (Dockerfiles, .python-version, runtime.txt, ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reqconv import pythons
from reqconv.errors import InputError, Location


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_lowest_python_of_any_stage_of_any_dockerfile(tmp_path: Path) -> None:
    prod = _write(
        tmp_path / "Dockerfile.prod",
        "FROM python:3.13-slim AS build\nRUN true\nFROM python:3.12-slim\n",
    )
    dev = _write(tmp_path / "docker" / "dev.Dockerfile", "FROM node:22\nFROM python:3.14\n")
    choice = pythons.choose(tmp_path, dockerfiles=[prod, dev])
    assert (choice.requires_python, choice.how) == (">=3.12", "dockerfile")
    assert choice.location == Location(prod, 3)
    assert choice.describe() == f'requires-python = ">=3.12" from {prod}:3 (Python 3.12 image)'


def test_dockerfile_beats_python_version_file(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    _write(tmp_path / ".python-version", "3.10\n")
    assert pythons.choose(tmp_path, dockerfiles=[dockerfile]).how == "dockerfile"


def test_python_version_file_above_the_service_up_to_the_top(tmp_path: Path) -> None:
    _write(tmp_path / ".python-version", "# pinned\n3.10.13\n")
    service = tmp_path / "backend"
    service.mkdir()
    choice = pythons.choose(service, dockerfiles=[], top=tmp_path)
    assert (choice.requires_python, choice.how) == (">=3.10", "python-version")
    assert choice.location == Location(tmp_path / ".python-version", 2)
    # Not above the top.
    assert pythons.choose(service, dockerfiles=[], top=service).how == "interpreter"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("python-3.11.4\n", ">=3.11", id="heroku"),
        pytest.param("\npython-3.9\n", ">=3.9", id="leading-blank"),
    ],
)
def test_runtime_txt(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path / "runtime.txt", text)
    choice = pythons.choose(tmp_path, dockerfiles=[])
    assert (choice.requires_python, choice.how, choice.location) == (
        expected,
        "runtime-txt",
        Location(path, text.count("\n", 0, text.index("python")) + 1),
    )


def test_existing_requires_python_is_kept_with_its_line(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    text = '[project]\nname = "x"\nrequires-python = ">=3.9,<4"\n'
    choice = pythons.choose(
        tmp_path, dockerfiles=[dockerfile], existing=">=3.9,<4", pyproject_text=text
    )
    assert (choice.requires_python, choice.how) == (">=3.9,<4", "pyproject")
    assert choice.location == Location(tmp_path / "pyproject.toml", 3)


def test_option_overrides_everything(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    choice = pythons.choose(tmp_path, dockerfiles=[dockerfile], option="3.13", existing=">=3.9")
    assert (choice.requires_python, choice.how) == (">=3.13", "option")
    assert choice.describe() == 'requires-python = ">=3.13" from --python (3.13)'


@pytest.mark.parametrize("value", ["3", "three", "2.7", ""])
def test_bad_option_is_input_error(value: str) -> None:
    with pytest.raises(InputError, match="--python"):
        pythons.parse_option(value)


def test_interpreter_fallback_says_so(tmp_path: Path) -> None:
    _write(tmp_path / "Dockerfile", "FROM ubuntu:24.04\n")
    choice = pythons.choose(tmp_path, dockerfiles=[tmp_path / "Dockerfile"])
    assert choice.how == "interpreter"
    assert choice.requires_python == f">={sys.version_info.major}.{sys.version_info.minor}"
    assert "the Python running reqconv" in choice.describe()
