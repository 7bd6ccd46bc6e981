"""Which folders are services, and the services ``reqconv check`` answers without comparing them.

At a monorepo root, most services are answered here: one whose ``.reqconv-fingerprint`` matches
(``lock.fingerprint``), and one that was never migrated (requirements files, no uv.lock, no
pyproject.toml ``[project]``: M504, told from file names and one look at pyproject's text). Only the
others need the full comparison (``check.check_service``), and pay for its imports. ``render`` turns
answers into text, GitHub annotations or JSON, for both paths alike.

Start-up matters here as in ``fingerprint``: this module imports ``os`` and the fingerprint only;
the naming rule (``requirements.filenames``, which needs no ``re``) when a folder has neither
pyproject.toml nor uv.lock, ``json`` for ``--format json``. It takes ``str`` paths and never prints
(``render`` returns lines).
"""

from __future__ import annotations

import os

from reqconv import fingerprint

__all__ = [
    "JSON_VERSION",
    "NOT_MIGRATED",
    "Answer",
    "Item",
    "ListError",
    "answer",
    "answer_all",
    "display",
    "export_names",
    "find_services",
    "is_service",
    "not_migrated",
    "render",
    "requirements_files",
]

#: ``--format json`` schema version (docs/check.md describes the schema).
JSON_VERSION = 1

#: The finding code of a service not migrated yet; its row of ``compare.CODES`` uses these.
NOT_MIGRATED = "M504"
NOT_MIGRATED_NAME = "not-migrated"
NOT_MIGRATED_FIX = "reqconv convert PATH"

_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".nox"})
_GROUP_LOCK = ("requirements-", ".lock")


class ListError(Exception):
    """A PATH that is not a folder, or a folder that cannot be listed (check reports it, exit 2)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


# --------------------------------------------------------------------------------------------
# Which folders are services


def _file_names(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entry.name for entry in entries if entry.is_file())
    except OSError:
        return []


def requirements_files(folder: str) -> list[str]:
    """The requirements files ``discover`` would find by name (POSIX, relative), main ones first."""
    from reqconv.requirements import filenames

    names = [name for name in _file_names(folder) if filenames.label(name) is not None]
    subdir = filenames.SUBDIR
    names += [
        f"{subdir}/{name}"
        for name in _file_names(os.path.join(folder, subdir))
        if filenames.label(f"{subdir}/{name}") is not None
    ]
    return sorted(names, key=lambda name: (filenames.label(name) != "", name.count("/"), name))


def export_names(folder: str) -> list[str]:
    """The exports reqconv may have written in ``folder`` (requirements*.lock, pylock.toml)."""
    return [
        name
        for name in _file_names(folder)
        if name in ("requirements.lock", "pylock.toml")
        or (
            name.startswith(_GROUP_LOCK[0])
            and name.endswith(_GROUP_LOCK[1])
            and len(name) > len(_GROUP_LOCK[0]) + len(_GROUP_LOCK[1])
        )
    ]


def is_service(folder: str) -> bool:
    """A folder with pyproject.toml, uv.lock, a requirements file or an export."""
    if os.path.isfile(os.path.join(folder, "pyproject.toml")):
        return True
    if os.path.isfile(os.path.join(folder, "uv.lock")):
        return True
    return bool(requirements_files(folder)) or bool(export_names(folder))


def _skipped(entry: os.DirEntry[str]) -> bool:
    if entry.name in _SKIPPED_DIRS or entry.name.startswith("."):
        return True
    return os.path.isfile(os.path.join(entry.path, "pyvenv.cfg"))  # a virtualenv


def _walk(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        raise ListError(folder, f"cannot list: {e.strerror or e}") from e
    found: list[str] = []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not _skipped(entry):
            if is_service(entry.path):
                found.append(entry.path)
            else:
                found += _walk(entry.path)
    return found


def find_services(paths: list[str]) -> list[str]:
    """Each PATH that is a service, else every service folder below it (no .git, venvs,
    node_modules), in order, once each."""
    services: list[str] = []
    for path in paths:
        if not os.path.isdir(path):
            raise ListError(path, "not a folder")
        if is_service(path):
            services.append(path)
        else:
            services += _walk(path)
    return list(dict.fromkeys(services))


# --------------------------------------------------------------------------------------------
# What is answered here


def display(path: str) -> str:
    """``path`` relative to the current folder when inside it, POSIX (as messages show paths)."""
    full = os.path.abspath(path)
    here = os.getcwd()
    if full == here:
        return "."
    if full.startswith(here.rstrip(os.sep) + os.sep):
        return full[len(here.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    posix = path.replace(os.sep, "/")  # as pathlib spells it: no "." parts, no trailing "/"
    shown = "/".join(part for part in posix.split("/") if part not in (".", ""))
    return ("/" + shown if posix.startswith("/") else shown) or "."


class Item:
    """One finding as shown: code, name, where, what, the fix, and whether it fails the run."""

    __slots__ = ("code", "fix", "line", "message", "name", "path", "severity")

    def __init__(
        self,
        *,
        code: str,
        name: str,
        path: str,
        line: int,
        message: str,
        fix: str,
        severity: str = "error",
    ) -> None:
        self.code = code
        self.name = name
        self.path = path  # as shown (``display``)
        self.line = line
        self.message = message
        self.fix = fix
        self.severity = severity  # "error" (exit 1) or "note"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
            "severity": self.severity,
        }


class Answer:
    """One service's result and how it was reached: ``checked_by`` is ``"fingerprint"``, ``"full"``
    (the comparison) or ``"layout"`` (not migrated: told from its file names)."""

    __slots__ = ("checked_by", "findings", "migrated", "path")

    def __init__(
        self,
        *,
        path: str,
        checked_by: str,
        migrated: bool = True,
        findings: list[Item] | None = None,
    ) -> None:
        self.path = path  # as shown
        self.checked_by = checked_by
        self.migrated = migrated
        self.findings = findings or []

    @property
    def in_sync(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "in_sync": self.in_sync,
            "migrated": self.migrated,
            "fingerprint": self.checked_by == "fingerprint",
            "checked_by": self.checked_by,
            "findings": [item.to_json() for item in self.findings],
        }


def _opens_project_table(line: str) -> bool:
    """A line opening ``[project]`` or ``[project.x]`` (blanks allowed around the name): convert
    wrote it, or the project was on it already."""
    rest = line.lstrip(" \t")
    if not rest.startswith("["):
        return False
    rest = rest[1:].lstrip(" \t")
    return rest.startswith("project") and rest[7:].lstrip(" \t")[:1] in ("]", ".")


def _has_project_table(root: str) -> bool:
    try:
        with open(os.path.join(root, "pyproject.toml"), encoding="utf-8", errors="replace") as f:
            return any(_opens_project_table(line) for line in f)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: the full comparison reports it


def not_migrated(root: str, *, required: bool = False) -> Answer | None:
    """M504 for a service never migrated: requirements files, no uv.lock and no pyproject.toml
    ``[project]`` (a pyproject holding only tool settings counts as none); else ``None``."""
    if os.path.isfile(os.path.join(root, "uv.lock")) or _has_project_table(root):
        return None
    files = requirements_files(root)
    if not files:
        return None
    shown = display(root)
    item = Item(
        code=NOT_MIGRATED,
        name=NOT_MIGRATED_NAME,
        path=display(os.path.join(root, *files[0].split("/"))),
        line=1,
        message=f"{shown} is not migrated yet: requirements files, no pyproject.toml "
        "[project] and no uv.lock",
        fix=NOT_MIGRATED_FIX,
        severity="error" if required else "note",
    )
    return Answer(path=shown, checked_by="layout", migrated=False, findings=[item])


def answer(root: str, *, fingerprints: bool = True, required: bool = False) -> Answer | None:
    """A service answered without the comparison (its fingerprint matches, or it is not migrated
    yet); ``None`` when it needs the full comparison."""
    if fingerprints and fingerprint.matches(root):
        return Answer(path=display(root), checked_by="fingerprint")
    return not_migrated(root, required=required)


def answer_all(
    paths: list[str], *, format: str, quiet: bool, required: bool
) -> tuple[list[str], list[str], int] | None:
    """``render`` of every service below ``paths`` when each is answered here; ``None`` when one
    needs the full comparison (or a PATH is not a folder: the full path reports it)."""
    try:
        roots = find_services(paths)
    except ListError:
        return None
    answers = []
    for root in roots:
        found = answer(root, required=required)
        if found is None:
            return None
        answers.append(found)
    return render(answers, format, quiet=quiet)


# --------------------------------------------------------------------------------------------
# Output


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _summary(answers: list[Answer], errors: int) -> str:
    unmigrated = [a for a in answers if not a.migrated]
    if errors:
        head = f"check: {errors} finding(s) in {len(answers)} service(s)"
    else:
        synced = [a for a in answers if a.migrated and a.in_sync]
        by_fingerprint = sum(a.checked_by == "fingerprint" for a in synced)
        how = ""
        if synced and by_fingerprint == len(synced):
            how = " (fingerprint)"
        elif by_fingerprint:
            how = f" ({by_fingerprint} by fingerprint)"
        head = f"check: {len(synced)} service(s) in sync{how}"
    if not unmigrated:
        return head
    notes = all(f.severity == "note" for a in unmigrated for f in a.findings)
    why = " (a note: --require-migrated makes it an error)" if notes else ""
    return f"{head}; {len(unmigrated)} not migrated yet{why}"


def render(
    answers: list[Answer], format: str, *, quiet: bool = False
) -> tuple[list[str], list[str], int]:
    """(stdout lines, stderr lines, exit code: 1 when a finding is an error) for ``--format``."""
    items = [item for a in answers for item in a.findings]
    errors = sum(item.severity == "error" for item in items)
    code = 1 if errors else 0
    if format == "json":
        import json

        report = {
            "version": JSON_VERSION,
            "in_sync": not items,
            "migrated": all(a.migrated for a in answers),
            "services": [a.to_json() for a in answers],
        }
        return [json.dumps(report, indent=2)], [], code
    out = []
    for item in items:
        if format == "github":
            level = "error" if item.severity == "error" else "notice"
            out.append(
                f"::{level} file={_github_escape(item.path, property_value=True)},"
                f"line={item.line},title={item.code}::"
                + _github_escape(f"{item.message} (fix: {item.fix})")
            )
        else:
            out.append(f"{item.path}:{item.line}: {item.code}: {item.message} (fix: {item.fix})")
    return out, [] if quiet else [_summary(answers, errors)], code
