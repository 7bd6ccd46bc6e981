"""Which folders below a root are services (``--all``): the only importer of ``pathspec``.

Lists folders and reads ``.gitignore`` files; never writes. A folder is a service when it has
requirements files (``requirements.discover``: roles, or uv exports) or a ``pyproject.toml`` that
reqconv wrote (a ``.reqconv-fingerprint`` beside it). The walk skips ``.git`` and every other
hidden folder, virtualenvs (a ``pyvenv.cfg``), ``node_modules``, ``__pycache__``,
``site-packages``, build output (``build``, ``dist``, ``*.egg-info``) and whatever a
``.gitignore`` ignores (gitignore semantics through ``pathspec``, imported only when there is a
``.gitignore``: the files from the repository top down to each folder, the deepest that matches
decides). A folder inside another service's folder is its own service only when it has
its own Dockerfile or a compose file builds from it; otherwise it is part of the outer service,
and the walk says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reqconv.errors import InputError, Location
from reqconv.frozen import frozen

__all__ = ["Folder", "Walk", "find_services", "is_service"]

_SKIPPED = frozenset({"node_modules", "__pycache__", "build", "dist", "site-packages"})
_FINGERPRINT = ".reqconv-fingerprint"  # lock.fingerprint.FILE_NAME (not imported: a light walk)


@frozen(kw_only=True)
class Folder:
    """A folder the walk took as a service, or left out, and why."""

    path: Path
    why: str


@frozen(kw_only=True)
class Walk:
    services: tuple[Folder, ...] = ()
    left: tuple[Folder, ...] = ()  # service-like folders that are part of an outer service


def _service_why(folder: Path) -> str | None:
    """Why ``folder`` is a service on its own terms (``None``: it is not one)."""
    from reqconv.requirements import discover

    try:
        roles, exports = discover.discover_exports(folder)
    except InputError:
        roles, exports = (), ()
    if roles:
        paths = [p for r in roles for p in (r.path, r.compiled) if p is not None]
        names = ", ".join(dict.fromkeys(p.relative_to(folder).as_posix() for p in paths))
        return f"requirements files: {names}"
    if exports:
        return "uv exports of its uv.lock (already on uv)"
    if (folder / "pyproject.toml").is_file() and (folder / _FINGERPRINT).is_file():
        return f"a pyproject.toml reqconv wrote ({_FINGERPRINT})"
    return None


def is_service(folder: Path) -> bool:
    """Does ``folder`` hold requirements files or a pyproject.toml reqconv wrote?"""
    return _service_why(folder) is not None


class _Ignores:
    """The ``.gitignore`` files that apply to a folder, nearest last."""

    def __init__(self, specs: tuple[tuple[Path, object], ...] = ()) -> None:
        self._specs = specs

    def below(self, folder: Path) -> _Ignores:
        path = folder / ".gitignore"
        if not path.is_file():
            return self
        import pathspec

        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return self
        return _Ignores((*self._specs, (folder, pathspec.GitIgnoreSpec.from_lines(lines))))

    def ignored(self, folder: Path) -> bool:
        if not self._specs:
            return False
        import pathspec

        for base, spec in reversed(self._specs):
            assert isinstance(spec, pathspec.GitIgnoreSpec)
            result = spec.check_file(folder.relative_to(base).as_posix() + "/")
            if result.include is not None:
                return bool(result.include)
        return False


def _top(root: Path) -> Path:
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def _ignores_for(root: Path) -> _Ignores:
    """The ``.gitignore`` files from the repository top down to ``root`` itself."""
    top = _top(root)
    ignores = _Ignores()
    for folder in [*reversed(root.parents), root]:
        if folder == top or top in folder.parents:
            ignores = ignores.below(folder)
    return ignores


def _skipped(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    if name.startswith(".") or name in _SKIPPED or name.endswith(".egg-info"):
        return True
    return os.path.isfile(os.path.join(entry.path, "pyvenv.cfg"))  # a virtualenv


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        raise InputError(f"cannot list: {e.strerror or e}", Location(folder)) from e
    return [
        Path(entry.path)
        for entry in entries
        if entry.is_dir(follow_symlinks=False) and not _skipped(entry)
    ]


@dataclass
class _State:
    composed: dict[Path, Location]
    services: list[Folder] = field(default_factory=list)
    left: list[Folder] = field(default_factory=list)


def _own_build(folder: Path, composed: dict[Path, Location]) -> str | None:
    """Why a folder inside a service is built on its own (its Dockerfile, a compose entry)."""
    from reqconv.docker.builds import find_dockerfiles

    dockerfiles = find_dockerfiles(folder)
    if dockerfiles:
        return f"its own {dockerfiles[0].name}"
    origin = composed.get(folder.absolute())
    if origin is not None:
        return f"a compose entry of its own ({origin})"
    return None


def _visit(
    folder: Path, outer: Path | None, ignores: _Ignores, state: _State, display: Path
) -> None:
    why = _service_why(folder)
    if why is not None:
        if outer is None:
            state.services.append(Folder(path=display, why=why))
            outer = folder
        elif folder.parent == outer and folder.name == "requirements":
            pass  # the outer service's own requirements/ folder (discovery reads it)
        else:
            built = _own_build(folder, state.composed)
            if built is not None:
                inside = _shown(outer, folder, display)
                state.services.append(
                    Folder(path=display, why=f"{why}; inside {inside}, but {built}")
                )
                outer = folder
            else:
                inside = _shown(outer, folder, display)
                state.left.append(
                    Folder(
                        path=display,
                        why=f"{why}, but inside {inside} with no Dockerfile or compose entry of "
                        f"its own: part of {inside}",
                    )
                )
    for sub in _subfolders(folder):
        if ignores.ignored(sub):
            continue
        _visit(sub, outer, ignores.below(sub), state, display / sub.name)


def _shown(outer: Path, folder: Path, display: Path) -> str:
    """``outer`` written as the walk's paths are (relative to the root given, like ``display``)."""
    up = len(folder.relative_to(outer).parts)
    shown = display
    for _ in range(up):
        shown = shown.parent
    return shown.as_posix()


def find_services(roots: Sequence[Path]) -> Walk:
    """Every service folder below each of ``roots`` (each root itself included), in walk order."""
    from reqconv.docker.builds import compose_folders

    services: list[Folder] = []
    left: list[Folder] = []
    seen: set[Path] = set()
    for root in roots:
        if not root.is_dir():
            raise InputError("not a folder", Location(root))
        absolute = root.absolute()
        state = _State(composed=compose_folders(_top(absolute)))
        _visit(absolute, None, _ignores_for(absolute), state, root)
        for found in state.services:
            key = found.path.resolve()
            if key not in seen:
                seen.add(key)
                services.append(found)
        left += state.left
    return Walk(services=tuple(services), left=tuple(left))
