"""uv.lock read into a ``LockSummary``: the packages (name, version, source kind, hashes, edges)
and the root's recorded inputs.

Apart from ``uv.py`` (which re-exports ``read_lock``) so that reading a lock needs neither
``subprocess`` nor the signal handling around it: ``reqconv check`` reads uv.lock and runs no uv.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from packaging.utils import canonicalize_name

from reqconv.errors import UvError
from reqconv.model import Edge, LockedPackage, LockedRequirement, LockSummary

__all__ = ["read_lock"]


def _hashes(package: Mapping[str, object]) -> tuple[str, ...]:
    artifacts: list[object] = []
    sdist = package.get("sdist")
    if isinstance(sdist, dict):
        artifacts.append(sdist)
    wheels = package.get("wheels")
    if isinstance(wheels, list):
        artifacts.extend(wheels)
    found = [a["hash"] for a in artifacts if isinstance(a, dict) and isinstance(a.get("hash"), str)]
    return tuple(found)


_SOURCE_KEYS = ("git", "path", "url", "editable", "directory", "index")


def _requirement(raw: object) -> LockedRequirement | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    extras = raw.get("extras")
    specifier = raw.get("specifier")
    marker = raw.get("marker")
    return LockedRequirement(
        name=canonicalize_name(raw["name"]),
        extras=tuple(str(canonicalize_name(e)) for e in extras if isinstance(e, str))
        if isinstance(extras, list)
        else (),
        specifier=specifier if isinstance(specifier, str) else "",
        marker=marker if isinstance(marker, str) else None,
        source=next((key for key in _SOURCE_KEYS if key in raw), ""),
    )


def _requirements(raw: object) -> tuple[LockedRequirement, ...]:
    found = (_requirement(item) for item in raw) if isinstance(raw, list) else ()
    return tuple(item for item in found if item is not None)


def _edges(raw: object) -> tuple[Edge, ...]:
    edges: list[Edge] = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            extra = item.get("extra")
            extras = (
                tuple(e for e in extra if isinstance(e, str)) if isinstance(extra, list) else ()
            )
            edges.append((canonicalize_name(item["name"]), extras))
    return tuple(edges)


def _tables(raw: object, read: Callable[[object], tuple[object, ...]]) -> tuple[Any, ...]:
    if not isinstance(raw, dict):
        return ()
    return tuple((str(canonicalize_name(key)), read(value)) for key, value in raw.items())


def read_lock(text: str) -> LockSummary:
    """The packages (name, version, source kind, artifact hashes) of a uv.lock text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UvError(f"uv.lock is not valid TOML: {e}") from e
    packages: list[LockedPackage] = []
    raw_packages = data.get("package", [])
    for raw in raw_packages if isinstance(raw_packages, list) else ():
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            continue
        version = raw.get("version")
        source = raw.get("source")
        kind = next(iter(source), "") if isinstance(source, dict) else ""
        root = isinstance(source, dict) and source.get(kind) == "."
        metadata = raw.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        packages.append(
            LockedPackage(
                name=canonicalize_name(raw["name"]),
                version=version if isinstance(version, str) else None,
                source=kind,
                hashes=_hashes(raw),
                root=root,
                dependencies=_edges(raw.get("dependencies")),
                optional=_tables(raw.get("optional-dependencies"), _edges),
                dev=_tables(raw.get("dev-dependencies"), _edges),
                requires_dist=_requirements(metadata.get("requires-dist")),
                requires_dev=_tables(metadata.get("requires-dev"), _requirements),
            )
        )
    requires_python = data.get("requires-python")
    manifest = data.get("manifest")
    manifest = manifest if isinstance(manifest, dict) else {}
    return LockSummary(
        requires_python=requires_python if isinstance(requires_python, str) else None,
        packages=tuple(packages),
        constraints=_requirements(manifest.get("constraints")),
        overrides=_requirements(manifest.get("overrides")),
    )
