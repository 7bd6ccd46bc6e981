"""Which Python a service runs, and so its ``requires-python``: where the value comes from.

Reads (never writes) the service's Dockerfiles (those ``builds.find_builds`` finds), its
``.python-version`` and ``runtime.txt``. The first that answers wins (docs/convert.md, "Where
requires-python comes from"):

1. ``--python X.Y`` (``option``);
2. an existing ``pyproject.toml``'s ``[project] requires-python``: kept as it is (``pyproject``);
3. every Dockerfile that builds the service: the lowest ``X.Y`` of the ``FROM python:X.Y…`` lines
   of any of its stages (a lock must install in each image that installs it; a builder stage on
   another Python than the final one still runs pip) (``dockerfile``);
4. ``.python-version`` in the service folder, then the folders above it up to the repository top
   (uv reads it the same way) (``python-version``);
5. ``runtime.txt`` in the service folder (``python-3.11.4``, the Heroku/Cloud Foundry form)
   (``runtime-txt``);
6. the Python running reqconv (``interpreter``): said as a warning, never silently.

Each answer is ``>=X.Y`` and names the ``file:line`` that gave it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reqconv import fs
from reqconv.errors import InputError, Location

__all__ = ["PythonChoice", "choose", "from_dockerfiles", "parse_option"]

How = Literal["option", "pyproject", "dockerfile", "python-version", "runtime-txt", "interpreter"]

_VERSION_RE = re.compile(
    r"^(?:python|cpython|py)?[-@]?(?P<major>\d+)\.(?P<minor>\d+)(?:[.\-+].*)?$"
)
_REQUIRES_PYTHON_LINE_RE = re.compile(r"^\s*requires-python\s*=", re.MULTILINE)


@dataclass(frozen=True, kw_only=True, slots=True)
class PythonChoice:
    """``requires_python`` (a PEP 440 specifier) and where it came from."""

    requires_python: str
    how: How
    location: Location | None = None
    detail: str = ""  # what at ``location`` said it ("FROM python:3.12-slim", "3.11.4")

    def describe(self) -> str:
        """``requires-python = ">=3.12" from docker/Dockerfile:1 (python:3.12 image)``."""
        where = {
            "option": "from --python",
            "pyproject": f"kept from {self.location}" if self.location else "kept",
            "interpreter": "from the Python running reqconv (nothing in the service says which "
            "Python it runs; give --python X.Y)",
        }.get(self.how, f"from {self.location}")
        detail = f" ({self.detail})" if self.detail and self.how != "interpreter" else ""
        return f'requires-python = "{self.requires_python}" {where}{detail}'


def _x_y(text: str) -> str | None:
    match = _VERSION_RE.match(text.strip())
    if match is None:
        return None
    return f"{int(match['major'])}.{int(match['minor'])}"


def parse_option(value: str) -> str:
    """``--python 3.12`` (or ``3.12.4``, ``python3.12``) as ``X.Y``; anything else is an InputError."""
    version = _x_y(value)
    if version is None or not version.startswith("3."):
        raise InputError(f"--python takes a Python version such as 3.12, got {value!r}")
    return version


def _key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def from_dockerfiles(paths: Sequence[Path]) -> PythonChoice | None:
    """The lowest ``FROM python:X.Y`` among ``paths`` (the first such line on a tie)."""
    # not on the start-up path of a service without Dockerfiles
    from reqconv.docker import base_python_versions
    from reqconv.errors import DockerfileError

    best: tuple[tuple[int, int], Location, str] | None = None
    for path in paths:
        text = fs.read_text(path).text
        try:
            found = base_python_versions(text)
        except DockerfileError:
            continue  # the Docker step reports a Dockerfile BuildKit refuses
        for version, line in found:
            key = _key(version)
            if best is None or key < best[0]:
                best = (key, Location(path, line), f"Python {version} image")
    if best is None:
        return None
    (major, minor), location, detail = best
    return PythonChoice(
        requires_python=f">={major}.{minor}", how="dockerfile", location=location, detail=detail
    )


def _from_version_file(root: Path, top: Path) -> PythonChoice | None:
    absolute = Path(os.path.normpath(root.absolute()))
    for folder in (absolute, *absolute.parents):
        path = Path(os.path.normpath(root / os.path.relpath(folder, absolute) / ".python-version"))
        if path.is_file():
            for number, raw in enumerate(fs.read_text(path).text.splitlines(), start=1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                version = _x_y(line)
                if version is not None:
                    return PythonChoice(
                        requires_python=f">={version}",
                        how="python-version",
                        location=Location(path, number),
                        detail=line,
                    )
                break  # the first entry is the one uv and pyenv use
        if folder == top or not folder.is_relative_to(top):
            break
    return None


def _from_runtime_txt(root: Path) -> PythonChoice | None:
    path = root / "runtime.txt"
    if not path.is_file():
        return None
    for number, raw in enumerate(fs.read_text(path).text.splitlines(), start=1):
        line = raw.strip()
        if line:
            version = _x_y(line)
            if version is None:
                return None
            return PythonChoice(
                requires_python=f">={version}",
                how="runtime-txt",
                location=Location(path, number),
                detail=line,
            )
    return None


def _existing(pyproject: Path, text: str, value: str) -> PythonChoice:
    match = _REQUIRES_PYTHON_LINE_RE.search(text)
    line = text.count("\n", 0, match.start()) + 1 if match else 0
    return PythonChoice(
        requires_python=value, how="pyproject", location=Location(pyproject, line), detail=""
    )


def choose(
    root: Path,
    *,
    dockerfiles: Sequence[Path],
    option: str | None = None,
    existing: str | None = None,
    pyproject_text: str = "",
    top: Path | None = None,
) -> PythonChoice:
    """Where ``root``'s ``requires-python`` comes from (the module's order); ``existing`` is the
    value already in its ``pyproject.toml`` (kept), ``top`` the repository top (default ``root``)."""
    if option is not None:
        version = parse_option(option)
        return PythonChoice(requires_python=f">={version}", how="option", detail=option)
    if existing is not None:
        return _existing(root / "pyproject.toml", pyproject_text, existing)
    choice = (
        from_dockerfiles(dockerfiles)
        or _from_version_file(root, top or root)
        or _from_runtime_txt(root)
    )
    if choice is not None:
        return choice
    return PythonChoice(
        requires_python=f">={sys.version_info.major}.{sys.version_info.minor}",
        how="interpreter",
        detail=sys.executable,
    )
