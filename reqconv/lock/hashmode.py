"""Which exported locks a Dockerfile cannot install in hash-checking mode.

``uv pip sync --require-hashes`` refuses a whole file when one entry has no hash, and uv exports a
git repository or a local folder without one (an archive, by URL or path, is hashed in uv.lock and
in its export). An export that exists is read; one not yet written (convert plans the Dockerfile
before the lock step runs) is foreseen from the dependencies' sources. Pure but for reading files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from reqconv import fs
from reqconv.lock.exports import unhashed_entries
from reqconv.model import Dependency, DependencySpec, Source

__all__ = ["unhashed_locks"]

_ARCHIVE_RE = re.compile(r"\.(?:whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz)$", re.I)


def _unhashed_source(source: Source) -> bool:
    """Whether uv exports the source without a hash: a git repository or a local folder (an
    archive, by URL or path, is hashed in uv.lock and in its export)."""
    if source.kind == "git":
        return True
    return source.kind == "path" and not _ARCHIVE_RE.search(source.path or source.url)


def _unhashed_url(requirement: str) -> bool:
    """``name @ git+https://…`` or ``name @ file:///folder``: exported without a hash."""
    _name, at, url = requirement.partition("@")
    url = url.split(";", 1)[0].strip()
    return bool(at) and (url.startswith("git+") or not _ARCHIVE_RE.search(url))


def _unhashed_sources(root: Path, spec: DependencySpec | None) -> tuple[bool, frozenset[str]]:
    """Whether the main dependencies, and which groups, have a package from a git repository or
    a local folder (its export entry has no hash). ``spec`` defaults to the service's
    pyproject.toml."""
    if spec is None:
        from reqconv.errors import ReqconvError
        from reqconv.project import pyproject_read

        path = root / "pyproject.toml"
        if not path.is_file():
            return False, frozenset()
        try:
            spec = pyproject_read.read(fs.read_text(path).text, path=path)
        except ReqconvError:
            return False, frozenset()  # the lock step reports it
    sourced = {name for name, source in spec.uv.sources if _unhashed_source(source)}
    sourced |= {d.name for d in spec.dependencies if _unhashed_url(d.requirement)}
    main = {d.name for d in spec.dependencies}
    groups: set[str] = set()
    for group, items in spec.groups:
        for item in items:
            if isinstance(item, Dependency) and (
                item.name in sourced or _unhashed_url(item.requirement)
            ):
                groups.add(group)
    in_groups = {
        item.name for _group, items in spec.groups for item in items if isinstance(item, Dependency)
    }
    unplaced = sourced - main - in_groups  # a source for a package named elsewhere: assume main
    return bool(sourced & main or unplaced), frozenset(groups)


def unhashed_locks(
    root: Path, groups: Mapping[str, str | None], spec: DependencySpec | None = None
) -> frozenset[str]:
    """The locks (service-relative) with an entry that has no hash: read from the export when it
    exists, else foreseen from the dependencies' sources (a git repository or a local folder exports
    without a hash, and ``uv pip sync --require-hashes`` refuses the whole file then)."""
    found: set[str] = set()
    foreseen: tuple[bool, frozenset[str]] | None = None
    for lock, group in groups.items():
        path = root / lock
        if path.is_file():
            if unhashed_entries(fs.read_text(path).text):
                found.add(lock)
            continue
        if foreseen is None:
            foreseen = _unhashed_sources(root, spec)
        main, in_groups = foreseen
        if main or group in in_groups:
            found.add(lock)
    return frozenset(found)
