"""The service as its own dependency: ``-e .`` in a requirements file installs the folder itself.

pip built and installed the folder (its package, entry points and the dependencies its own
metadata declares). uv does the same for a project that is a package: one with a
``[build-system]``, or ``[tool.uv] package = true`` (then uv builds it with setuptools' legacy
backend, which reads ``setup.py``/``setup.cfg``). This module says which build system the folder
has, and which of the dependencies its ``setup.py``/``setup.cfg`` declare setuptools would stop
reading once ``pyproject.toml`` has a ``[project]`` table (setuptools then takes the metadata from
there, and ``install_requires`` given elsewhere is ignored).
"""

from __future__ import annotations

import ast
import configparser
import tomllib
from pathlib import Path

from reqconv.errors import Location
from reqconv.frozen import frozen

# setup.py/setup.cfg metadata that setuptools keeps when pyproject.toml names it in
# [project].dynamic (without it, a [project] table resets them: setup.py's version and entry
# points would be lost).
SETUPTOOLS_DYNAMIC = ("version", "scripts", "gui-scripts", "entry-points")


@frozen(kw_only=True)
class BuildSystem:
    """How the folder builds: ``pyproject`` (a ``[build-system]`` table) or ``setuptools``."""

    kind: str  # "pyproject" | "setuptools"
    origin: Location


@frozen(kw_only=True)
class Declared:
    """A requirement the folder's own setuptools metadata declares, where it is written."""

    requirement: str
    origin: Location


def build_system(root: Path, pyproject_text: str) -> BuildSystem | None:
    """The folder's build system; ``None`` when it has none (nothing for pip or uv to build)."""
    if pyproject_text.strip():
        try:
            data = tomllib.loads(pyproject_text)
        except tomllib.TOMLDecodeError:
            data = {}  # pyproject.py reports the bad TOML with its path
        if isinstance(data.get("build-system"), dict):
            return BuildSystem(kind="pyproject", origin=Location(root / "pyproject.toml"))
    for name in ("setup.py", "setup.cfg"):
        if (root / name).is_file():
            return BuildSystem(kind="setuptools", origin=Location(root / name))
    return None


def declared(root: Path) -> tuple[list[Declared], list[Location]]:
    """``install_requires`` of ``setup.py`` (literal lists only) and ``setup.cfg``.

    The second list holds the places whose value cannot be read without running setup.py.
    """
    found: list[Declared] = []
    unreadable: list[Location] = []
    setup_py = root / "setup.py"
    if setup_py.is_file():
        _from_setup_py(setup_py, found, unreadable)
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        _from_setup_cfg(setup_cfg, found, unreadable)
    return found, unreadable


def _from_setup_py(path: Path, found: list[Declared], unreadable: list[Location]) -> None:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        unreadable.append(Location(path))
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg != "install_requires":
                continue
            where = Location(path, keyword.value.lineno)
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                unreadable.append(where)
                continue
            if isinstance(value, str):
                value = value.splitlines()
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                unreadable.append(where)
                continue
            found += [Declared(requirement=v.strip(), origin=where) for v in value if v.strip()]


def _from_setup_cfg(path: Path, found: list[Declared], unreadable: list[Location]) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8-sig")
        parser.read_string(text, source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error):
        unreadable.append(Location(path))
        return
    if not parser.has_option("options", "install_requires"):
        return
    line = next(
        (n for n, t in enumerate(text.splitlines(), 1) if t.strip().startswith("install_requires")),
        None,
    )
    where = Location(path, line or 0)
    value = parser.get("options", "install_requires")
    if value.strip().startswith(("file:", "attr:")):
        unreadable.append(where)
        return
    for line_text in value.splitlines():
        item = line_text.split("#", 1)[0].strip()
        if item:
            found.append(Declared(requirement=item, origin=where))


def setuptools_name(root: Path) -> str | None:
    """The project name ``setup.py`` (a literal ``name=``) or ``setup.cfg`` (``[metadata] name``)
    gives: setuptools takes ``[project] name`` instead once pyproject.toml has one."""
    setup_py = root / "setup.py"
    if setup_py.is_file():
        try:
            tree = ast.parse(setup_py.read_bytes(), filename=str(setup_py))
        except (OSError, SyntaxError, ValueError):
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if (
                        keyword.arg == "name"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                        and value.value.strip()
                    ):
                        return value.value.strip()
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg.read_text(encoding="utf-8-sig"), source=str(setup_cfg))
        except (OSError, UnicodeDecodeError, configparser.Error):
            return None
        name = parser.get("metadata", "name", fallback="").strip()
        return name or None
    return None
