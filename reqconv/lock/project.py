"""What the lock step reads of the project before uv runs, and what it refuses.

``read_project`` reads pyproject.toml once (tomllib; groups and extras normalized). Refused before a
file changes: a member of a uv workspace (uv would lock the workspace's uv.lock, not this
service's), and a ``requires-python`` that the Python of an image building the service does not
satisfy (the lock could not install there).
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name

from reqconv import fs
from reqconv.errors import InputError, Location, PyprojectError
from reqconv.frozen import frozen

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

__all__ = ["Project", "check_docker_python", "read_project", "refuse_workspace_member"]


@frozen(kw_only=True)
class Project:
    """What the lock step reads from pyproject.toml."""

    path: Path
    file: fs.TextFile
    data: bytes
    toml: dict[str, object]  # ``file.text`` parsed once, for every check that reads a table
    requires_python: str | None
    # Normalized (PEP 735 groups, PEP 685 extras): uv takes any spelling of a name.
    groups: frozenset[NormalizedName]
    extras: frozenset[NormalizedName]
    has_indexes: bool = False  # [[tool.uv.index]] entries: the exports name them


def _names(table: object) -> frozenset[NormalizedName]:
    return frozenset(map(canonicalize_name, table)) if isinstance(table, dict) else frozenset()


def read_project(root: Path) -> Project:
    if not root.is_dir():
        raise InputError(
            "not a folder: give the service's folder (where pyproject.toml is)", Location(root)
        )
    path = root / "pyproject.toml"
    if not path.is_file():
        raise InputError("no pyproject.toml to lock: run `reqconv convert` first", Location(root))
    raw = fs.read_bytes(path)
    file = fs.decode(path, raw)
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as e:
        raise PyprojectError(f"not valid TOML: {e}", Location(path)) from e
    project = data.get("project", {})
    project = project if isinstance(project, dict) else {}
    requires_python = project.get("requires-python")
    groups = data.get("dependency-groups", {})
    extras = project.get("optional-dependencies", {})
    tool = data.get("tool", {})
    uv_table = tool.get("uv", {}) if isinstance(tool, dict) else {}
    indexes = uv_table.get("index", []) if isinstance(uv_table, dict) else []
    return Project(
        path=path,
        file=file,
        data=raw,
        toml=data,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        groups=_names(groups),
        extras=_names(extras),
        has_indexes=bool(indexes),
    )


def _in_globs(service: Path, folder: Path, globs: object) -> bool:
    """True when one of ``globs`` (relative to ``folder``, as uv reads them) names ``service``."""
    relative = service.relative_to(folder).parts
    for pattern in globs if isinstance(globs, list) else ():
        parts = [part for part in str(pattern).split("/") if part not in ("", ".")]
        if "**" in parts:  # rare: let pathlib walk it
            if service in {match.resolve() for match in folder.glob(str(pattern))}:
                return True
        elif len(parts) == len(relative) and all(map(fnmatchcase, relative, parts)):
            return True
    return False


def _workspace_of(root: Path) -> Path | None:
    """The pyproject.toml of the uv workspace ``root`` is a member of, found as uv finds it.

    uv takes the nearest ancestor with ``[tool.uv.workspace]``: a member when one of its
    ``members`` globs matches ``root`` and no ``exclude`` glob does; otherwise ``root`` is a
    project of its own.
    """
    service = root.resolve()
    for folder in service.parents:
        path = folder / "pyproject.toml"
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        if "workspace" not in text:  # the common case, without parsing TOML
            continue
        try:
            tool = tomllib.loads(text).get("tool")
        except tomllib.TOMLDecodeError:
            continue
        uv_table = tool.get("uv") if isinstance(tool, dict) else None
        workspace = uv_table.get("workspace") if isinstance(uv_table, dict) else None
        if not isinstance(workspace, dict):
            continue
        member = _in_globs(service, folder, workspace.get("members"))
        return path if member and not _in_globs(service, folder, workspace.get("exclude")) else None
    return None


def refuse_workspace_member(root: Path, project: Project) -> None:
    tool = project.toml.get("tool", {})
    if isinstance(tool, dict) and isinstance(tool.get("uv"), dict) and "workspace" in tool["uv"]:
        return  # its own workspace root: uv looks no further up
    workspace = _workspace_of(root)
    if workspace is not None:
        raise InputError(
            f"a member of the uv workspace of {workspace}: uv locks the whole workspace into "
            f"{workspace.parent / 'uv.lock'}, not a uv.lock of this service; lock the workspace "
            "with uv there, or add this folder to its [tool.uv.workspace] exclude",
            Location(project.path),
        )


def _admits(specifier: SpecifierSet, python: str) -> bool:
    """True when some ``X.Y.z`` release satisfies ``specifier`` (the image's patch is unknown)."""
    return any(specifier.contains(f"{python}.{patch}") for patch in range(100))


def check_docker_python(root: Path, requires_python: str | None, pyproject: Path) -> None:
    """An image Python that ``requires-python`` excludes is an ``InputError`` (before locking)."""
    if requires_python is None:
        return
    from reqconv.docker.builds import find_builds

    # Every Dockerfile that builds the service (docker/builds.py): the images this lock must install in.
    paths = list(dict.fromkeys(build.dockerfile for build in find_builds(root)))
    if not paths:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    from reqconv.docker import base_python_versions

    try:
        specifier = SpecifierSet(requires_python)
    except InvalidSpecifier as e:
        raise PyprojectError(
            f"[project].requires-python {requires_python!r} is not a version specifier",
            Location(pyproject),
        ) from e

    for path in paths:
        for python, line in base_python_versions(fs.read_text(path).text):
            if not _admits(specifier, python):
                raise InputError(
                    f"the image runs Python {python}, but {pyproject.name} has requires-python = "
                    f"{requires_python!r}: a lock for it could not install there; change the FROM "
                    "line or requires-python so that they agree",
                    Location(path, line),
                )
