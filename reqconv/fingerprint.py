"""The fingerprint of a service's inputs that the last successful lock found in sync.

``reqconv lock`` (and ``convert``) run the full check after locking and write
``.reqconv-fingerprint`` beside uv.lock: the uv that made the lock and, when the check found
nothing, what it looked at (the sha256 of each file it read, whether each path it probed exists,
the names in the folders where a new file would matter). ``reqconv check`` then repeats exactly
those looks: all equal means the same inputs, hence the same (empty) result, without parsing
anything. Anything different, missing or unknown falls back to the full comparison.

Start-up matters here more than anywhere (``reqconv check`` in pre-commit and CI runs on every
commit): this module imports only ``os`` and CPython's sha256 module, and takes ``str`` paths (no
pathlib, no typing).
"""

from __future__ import annotations

import os

from reqconv import __version__

# CPython's own sha256 module: hashlib's import loads OpenSSL first (~10 ms, as long as Python's
# whole start-up). The digest is the same.
TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha2 import sha256  # CPython 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # CPython 3.11
        except ImportError:  # another implementation
            from hashlib import sha256

__all__ = ["FILE_NAME", "made_by", "matches", "relevant", "render"]

FILE_NAME = ".reqconv-fingerprint"
_HEADER = (
    "# reqconv check: what the last `reqconv lock` found in sync (sha256 of each input). Commit\n"
    "# it with uv.lock; `reqconv check` compares everything again when any of them changes.\n"
)
_NOT_IN_SYNC = "# the last lock was not in sync: `reqconv check` compares everything\n"
_LISTED = (".", "requirements")  # folders whose file names decide the inputs


def relevant(name: str) -> bool:
    """A file name that could become an input of the check (a superset of what it reads)."""
    lower = name.lower()
    return lower.endswith((".txt", ".in", ".lock", ".toml", ".yml", ".yaml")) or (
        "dockerfile" in lower
    )


def _digest(path: str) -> str:
    """sha256 of the file with CRLF read as LF: the check decodes both alike, and a Windows
    checkout (``core.autocrlf``) of a committed fingerprint must still match."""
    try:
        with open(path, "rb") as f:
            return sha256(f.read().replace(b"\r\n", b"\n")).hexdigest()
    except FileNotFoundError:
        return "absent"
    except OSError:
        return "unreadable"


def _names(folder: str, only_relevant: bool) -> str:
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(folder)
            if entry.name != FILE_NAME and (not only_relevant or relevant(entry.name))
        )
    except FileNotFoundError:
        return "absent"
    except OSError:
        return "unreadable"
    return sha256("\n".join(names).encode()).hexdigest()


def _exists(path: str) -> str:
    return "yes" if os.path.exists(path) else "no"


def _posix(path: str) -> str:
    return path.replace(os.sep, "/")


def render(
    root: str,
    *,
    files: list[str],
    probed: list[str],
    folders: list[str],
    uv_version: str | None,
    in_sync: bool,
) -> str:
    """The fingerprint text (paths relative to ``root``): sorted, LF, the same for the same inputs."""
    lines = [_HEADER, f"reqconv {__version__}\n"]
    if uv_version:
        lines.append(f"uv {uv_version}\n")
    if not in_sync:
        return "".join([*lines, _NOT_IN_SYNC])
    for relative in sorted(set(map(_posix, files))):
        lines.append(f"file {_digest(os.path.join(root, relative))} {relative}\n")
    for relative in sorted(set(map(_posix, probed))):
        lines.append(f"exists {_exists(os.path.join(root, relative))} {relative}\n")
    for relative in sorted(set(map(_posix, folders))):
        lines.append(f"names {_names(os.path.join(root, relative), False)} {relative}\n")
    for folder in _LISTED:
        lines.append(f"list {_names(os.path.join(root, folder), True)} {folder}\n")
    return "".join(lines)


def _read(root: str) -> list[str] | None:
    try:
        with open(os.path.join(root, FILE_NAME), encoding="utf-8") as f:
            return f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def made_by(root: str) -> str | None:
    """The uv version the last lock of ``root`` recorded, if any."""
    for line in _read(root) or ():
        if line.startswith("uv "):
            return line[3:].strip() or None
    return None


def matches(root: str) -> bool:
    """True when ``root``'s fingerprint holds the inputs' looks and each is still the same."""
    lines = _read(root)
    if lines is None:
        return False
    version = looks = False
    for line in lines:
        if not line or line.startswith("#"):
            continue
        kind, _, rest = line.partition(" ")
        if kind == "reqconv":
            if rest != __version__:
                return False
            version = True
            continue
        if kind == "uv":
            continue
        recorded, _, relative = rest.partition(" ")
        path = os.path.join(root, relative)
        if kind == "file":
            now = _digest(path)
        elif kind == "exists":
            now = _exists(path)
        elif kind == "names":
            now = _names(path, False)
        elif kind == "list":
            now = _names(path, True)
        else:
            return False
        if now != recorded:
            return False
        looks = True
    return version and looks
