"""The fingerprint of a service's inputs that the last successful lock found in sync.

``reqconv lock`` (and ``convert``) run the full check after locking; when it finds nothing they
write ``.reqconv-fingerprint`` beside uv.lock: the sha256 of every file the check read, and of the
names in the folders where a new file would matter. ``reqconv check`` then hashes the same files:
all equal means the same bytes, hence the same (empty) result, without parsing anything. Anything
different, missing or unknown falls back to the full comparison.

Start-up matters here more than anywhere (``reqconv check`` in pre-commit and CI runs on every
commit): this module imports only ``os`` and ``hashlib``, and takes ``str`` paths (no pathlib).
"""

from __future__ import annotations

import hashlib
import os

from reqconv import __version__

__all__ = ["FILE_NAME", "matches", "relevant", "render"]

FILE_NAME = ".reqconv-fingerprint"
_HEADER = (
    "# reqconv check: the inputs the last `reqconv lock` found in sync (sha256). Commit it;\n"
    "# `reqconv check` compares everything again when any of them changes.\n"
)
_LISTED = (".", "requirements")  # folders whose file names decide the inputs


def relevant(name: str) -> bool:
    """A file name that could become an input of the check (a superset of what it reads)."""
    lower = name.lower()
    return lower.endswith((".txt", ".in", ".lock", ".toml")) or "dockerfile" in lower


def _digest(path: str) -> str:
    """sha256 of the file with CRLF read as LF: the check decodes both alike, and a Windows
    checkout (``core.autocrlf``) of a committed fingerprint must still match."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read().replace(b"\r\n", b"\n")).hexdigest()
    except FileNotFoundError:
        return "absent"
    except OSError:
        return "unreadable"


def _listing(folder: str) -> str:
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(folder)
            if relevant(entry.name) and entry.name != FILE_NAME
        )
    except FileNotFoundError:
        return "absent"
    except OSError:
        return "unreadable"
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def render(root: str, inputs: list[str]) -> str:
    """The fingerprint text for ``inputs`` (paths relative to ``root``), sorted, LF, stable."""
    lines = [_HEADER, f"reqconv {__version__}\n"]
    for relative in sorted({p.replace(os.sep, "/") for p in inputs}):
        lines.append(f"file {_digest(os.path.join(root, relative))} {relative}\n")
    for folder in _LISTED:
        lines.append(f"list {_listing(os.path.join(root, folder))} {folder}\n")
    return "".join(lines)


def matches(root: str) -> bool:
    """True when ``root``'s fingerprint exists and every hash in it is still the file's."""
    try:
        with open(os.path.join(root, FILE_NAME), encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return False
    seen_version = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        if kind == "reqconv":
            if rest != __version__:
                return False
            seen_version = True
            continue
        digest, _, relative = rest.partition(" ")
        if kind == "file":
            now = _digest(os.path.join(root, relative))
        elif kind == "list":
            now = _listing(os.path.join(root, relative))
        else:
            return False
        if now != digest:
            return False
    return seen_version
