"""One dependency added or removed in every file that lists it, re-locked, or nothing changed.

``plan_add``/``plan_remove`` read the service and compute every new file content, writing nothing:
a requirement that is not valid, already listed, or contradicts a constraint or another table's
entry is an ``InputError`` (exit 2) before a byte changes. ``apply`` then writes pyproject.toml and
the requirements file that feeds the group inside one ``fs.Transaction``, re-locks with
``locking.lock_service`` (uv keeps every locked version it can: only what the change needs moves),
re-exports every lock file, and brings a pip-compile ``.txt`` in step with the new lock; a failure
anywhere restores every file byte for byte.

The requirement is read as convert reads a requirements line (``requirements_txt`` then
``normalize``): PEP 508, ``name @ URL``, ``git+``, archive URLs, local paths and ``-e``; its source
goes to ``[tool.uv.sources]`` and credentials in a URL are stripped and reported, as convert does.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from reqconv import fs, uv
from reqconv.commands import FileChange
from reqconv.errors import ConflictError, InputError, Location, ParseError, UvError
from reqconv.model import Dependency, Diagnostic, Include, Req, ReqFile, Role, Source
from reqconv.redact import redact_text

if TYPE_CHECKING:
    from reqconv.pyproject import Listed

__all__ = [
    "Compiled",
    "LockMove",
    "Plan",
    "Result",
    "apply",
    "plan_add",
    "plan_remove",
]

Runner = Callable[..., str]

# PEP 735 / PEP 508 name syntax.
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
# scheme://userinfo@ in a requirement; an SSH login name (ssh://git@host) is no secret.
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s\"']+)@")
# Parser diagnostics an added requirement may carry; any other means it cannot be added as is.
_ACCEPTED = frozenset({"credentials-removed", "path-from-parent"})
# uv export flags of reqconv's own run that a person regenerating the file by hand does not need.
_NOT_SHOWN = frozenset({"--no-header", "--offline"})
_INDEX_LINE_RE = re.compile(r"^(?:-i|--index-url|--extra-index-url)\b", re.MULTILINE)


@dataclass(frozen=True, kw_only=True, slots=True)
class _New:
    """One requirement to add, read as convert reads a requirements line."""

    argument: str  # as given, credentials redacted (for messages)
    name: NormalizedName
    requirement: Requirement  # no URL: a direct reference lives in ``source``
    dependency: str  # the normalized PEP 508 string pyproject gets
    source: Source | None  # relative to the service root
    text: str  # the line as given, credentials stripped, for a requirements file
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Compiled:
    """A pip-compile ``.txt`` that ``apply`` regenerates from the new lock (``uv export``)."""

    path: Path
    source: Path  # the ``.in`` it is compiled from
    group: str | None
    extra: bool = False  # the group is an extra ([project.optional-dependencies])
    with_main: bool = False  # the ``.in`` includes the main file: the ``.txt`` holds both
    hashes: bool = True
    index_url: bool = False
    pinned: frozenset[NormalizedName] = frozenset()  # the names it pins now
    edited: bool = False  # its ``.in`` changed

    def stale(self, group: str | None, moved: set[NormalizedName]) -> bool:
        """Whether the lock change of a ``group`` edit reaches this file."""
        if self.edited or (group is None and self.with_main):
            return True
        return bool(self.pinned & moved)


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """Every new file content of one change, computed before anything is written."""

    root: Path
    action: Literal["add", "remove"]
    group: str | None
    names: tuple[NormalizedName, ...]
    changes: tuple[FileChange, ...] = ()
    compiled: tuple[Compiled, ...] = ()
    lines: tuple[str, ...] = ()  # what changed where, one line each, for the report
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def pending(self) -> bool:
        return any(change.changed for change in self.changes)


@dataclass(frozen=True, kw_only=True, slots=True)
class LockMove:
    """A package that entered (``before is None``), left (``after is None``) or moved in uv.lock."""

    name: NormalizedName
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"+ {self.name} {self.after}"
        if self.after is None:
            return f"- {self.name} {self.before}"
        return f"~ {self.name} {self.before} -> {self.after}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Result:
    """What ``apply`` did."""

    plan: Plan
    written: tuple[Path, ...] = ()
    moves: tuple[LockMove, ...] = ()
    locked: bool = False
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------------
# The service as it is


@dataclass(frozen=True, kw_only=True, slots=True)
class _Entry:
    """A requirement line of a requirements file and the table (role group) it feeds."""

    req: Req
    group: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class _Service:
    root: Path
    pyproject: Path
    file: fs.TextFile
    data: bytes
    toml: dict[str, object]
    listed: tuple[Listed, ...]
    roles: tuple[Role, ...]
    files: Mapping[Path, ReqFile]
    entries: tuple[_Entry, ...]
    feeds: Mapping[Path, frozenset[str | None]]  # requirements file -> the tables it feeds

    def role_of(self, group: str | None) -> Role | None:
        return next((role for role in self.roles if role.group == group), None)


def _table_name(group: str | None) -> str:
    return "[project] dependencies" if group is None else f"group {group!r}"


def _read_service(root: Path) -> _Service:
    from reqconv import discover, pyproject, requirements_txt

    if not root.is_dir():
        raise InputError("not a folder: give the service's folder", Location(root))
    path = root / "pyproject.toml"
    if not path.is_file():
        raise InputError("no pyproject.toml: run `reqconv convert` first", Location(root))
    data = fs.read_bytes(path)
    file = fs.decode(path, data)
    listed = pyproject.listed(file.text, path=path)  # shape-checked: a PyprojectError names it
    toml = tomllib.loads(file.text)
    roles = discover.discover(root)
    paths = [role.path for role in roles]
    files = requirements_txt.parse_tree(paths) if paths else {}
    role_paths = {role.path for role in roles} | {r.compiled for r in roles if r.compiled}
    entries: list[_Entry] = []
    feeds: dict[Path, set[str | None]] = {}

    def walk(path: Path, group: str | None, seen: set[Path]) -> None:
        reqfile = files.get(path)
        if reqfile is None or path in seen:
            return
        seen.add(path)
        feeds.setdefault(path, set()).add(group)
        entries.extend(_Entry(req=req, group=group) for req in reqfile.requirements)
        for include in reqfile.includes:
            # Another role's file feeds its own table; a group holds only its own additions.
            if include.kind == "requirement" and include.path not in role_paths:
                walk(include.path, group, seen)

    for role in roles:
        walk(role.path, role.group, set())
    return _Service(
        root=root,
        pyproject=path,
        file=file,
        data=data,
        toml=toml,
        listed=listed,
        roles=roles,
        files=files,
        entries=tuple(entries),
        feeds={path: frozenset(groups) for path, groups in feeds.items()},
    )


def _group(name: str | None) -> str | None:
    if name is None:
        return None
    if not _NAME_RE.match(name):
        raise InputError(f"--group {name}: not a valid group name (letters, digits, -_. inside)")
    return str(canonicalize_name(name))


def _where(service: _Service, name: NormalizedName, group: str | None) -> list[str]:
    """``file:line`` of every place ``name`` is listed for ``group``: requirements, then pyproject."""
    places = [
        str(entry.req.origin)
        for entry in service.entries
        if entry.group == group and entry.req.name == name
    ]
    places += [
        str(Location(service.pyproject, item.line))
        for item in service.listed
        if item.group == group and item.name == name
    ]
    return places


# --------------------------------------------------------------------------------------------
# Reading a requirement


def _strip_credentials(text: str) -> str:
    def strip(match: re.Match[str]) -> str:
        userinfo = match["userinfo"]
        ssh_user = match["scheme"].lower().endswith("ssh://") and not set(":$") & set(userinfo)
        return match.group(0) if ssh_user else match["scheme"]

    return _USERINFO_RE.sub(strip, text)


def _parse(
    argument: str, *, root: Path, group: str | None, cwd: Path, offline: bool = False
) -> _New:
    from reqconv import names, normalize, requirements_txt

    shown = redact_text(argument.strip())
    text = argument.strip()
    if not text or "\n" in text or text.startswith("#"):
        raise InputError(f"{shown!r} is not a requirement")
    # Read as a one-line requirements file in the current folder: a relative path is the user's.
    virtual = cwd / "reqconv-add-argument"
    try:
        reqfile = requirements_txt.parse_text(text, virtual)
        if reqfile.unnamed:  # named as convert names it: its metadata, read by uv
            reqfile = names.name_requirements(
                {virtual: reqfile}, root, given={}, learn=names.UvNamer(offline=offline)
            )[virtual]
    except (ParseError, InputError) as e:
        raise InputError(f"{shown!r}: {e.message}") from e
    if reqfile.options or reqfile.includes:
        raise InputError(
            f"{shown!r} is an option line, not a requirement: give options such as an index in "
            "pyproject.toml ([[tool.uv.index]]) instead"
        )
    problems = [d for d in reqfile.diagnostics if d.code not in _ACCEPTED]
    if problems or len(reqfile.requirements) != 1:
        why = problems[0].message if problems else "not a requirement"
        raise InputError(f"{shown!r}: {why}")
    (req,) = reqfile.requirements
    if req.hashes or req.options:
        raise InputError(
            f"{shown!r}: per-requirement options (--hash, --config-settings) are not taken; "
            "uv.lock records the hashes"
        )
    conversion = normalize.convert({virtual: reqfile}, [Role(path=virtual, group=group)], root)
    spec = conversion.spec
    items = spec.dependencies if group is None else spec.group(group)
    dependencies = [item for item in items if isinstance(item, Dependency)]
    diagnostics = tuple(
        replace(d, message=f"{shown!r}: {d.message}", location=None)
        for d in conversion.diagnostics
        if d.code != "path-from-parent"
    )
    if not dependencies:
        why = next((d.message for d in diagnostics), f"{shown!r} adds nothing")
        raise InputError(why)
    sources = dict(spec.uv.sources)
    return _New(
        argument=shown,
        name=req.name,
        requirement=req.requirement,
        dependency=dependencies[0].requirement,
        source=sources.get(req.name),
        text=_strip_credentials(text),
        diagnostics=diagnostics,
    )


def _joined(arguments: Sequence[str]) -> list[str]:
    """``-e PATH`` given as two arguments (``reqconv add -- -e ../lib``) is one requirement."""
    joined: list[str] = []
    for argument in arguments:
        if joined and joined[-1] in ("-e", "--editable"):
            joined[-1] = f"{joined[-1]} {argument}"
        else:
            joined.append(argument)
    return joined


def _line_for(new: _New, folder: Path, root: Path) -> str:
    """The requirements-file line of ``new`` for a file in ``folder``: as given, but a local path
    rebased from the service root to the file's folder (pip and reqconv read it beside the file)."""
    import os

    source = new.source
    if source is None or source.kind != "path" or Path(source.path).is_absolute():
        return new.text
    relative = Path(os.path.relpath(root / source.path, folder)).as_posix()
    relative = relative if relative.startswith(".") else f"./{relative}"
    extras = f"[{','.join(sorted(new.requirement.extras))}]" if new.requirement.extras else ""
    marker = f" ; {new.requirement.marker}" if new.requirement.marker is not None else ""
    return f"{'-e ' if source.editable else ''}{relative}{extras}{marker}"


# --------------------------------------------------------------------------------------------
# Checks before anything is written


def _declared_apart(toml: Mapping[str, object], a: str | None, b: str | None) -> bool:
    """True when ``[tool.uv] conflicts`` keeps groups/extras ``a`` and ``b`` apart."""
    if a is None or b is None:
        return False
    tool = toml.get("tool")
    uv_table = tool.get("uv") if isinstance(tool, dict) else None
    sets = uv_table.get("conflicts") if isinstance(uv_table, dict) else None
    for items in sets if isinstance(sets, list) else ():
        members = items if isinstance(items, list) else []
        names = {
            str(canonicalize_name(str(item.get("group") or item.get("extra") or "")))
            for item in members
            if isinstance(item, dict)
        }
        if {a, b} <= names:
            return True
    return False


def _markers_meet(a: str | None, b: str | None) -> bool:
    """Whether two entries can apply to one environment (no marker, or the same one)."""
    return a is None or b is None or a == b


def _constraints(service: _Service) -> list[tuple[Requirement, int]]:
    tool = service.toml.get("tool")
    uv_table = tool.get("uv") if isinstance(tool, dict) else None
    values = uv_table.get("constraint-dependencies") if isinstance(uv_table, dict) else None
    lines = service.file.text.splitlines()
    found = []
    for value in values if isinstance(values, list) else ():
        if not isinstance(value, str):
            continue
        try:
            requirement = Requirement(value)
        except ValueError:
            continue  # uv reports it when it locks
        line = next((n for n, raw in enumerate(lines, start=1) if value in raw), 0)
        found.append((requirement, line))
    return found


def _check_conflicts(service: _Service, new: _New, group: str | None) -> None:
    """A requirement no version of which can meet a constraint, or an entry of another table that
    uv locks and installs with it, is refused (``ConflictError``, exit 2)."""
    from reqconv import normalize

    marker = str(new.requirement.marker) if new.requirement.marker is not None else None
    wanted: SpecifierSet = new.requirement.specifier
    for constraint, line in _constraints(service):
        if canonicalize_name(constraint.name) != new.name:
            continue
        theirs = str(constraint.marker) if constraint.marker is not None else None
        if _markers_meet(marker, theirs) and not normalize.compatible(wanted, constraint.specifier):
            raise ConflictError(
                f"{new.argument!r} contradicts the constraint {str(constraint)!r} "
                f"([tool.uv] constraint-dependencies): no version can satisfy both; change the "
                "requirement or the constraint",
                Location(service.pyproject, line),
            )
    others: list[tuple[str | None, str, SpecifierSet, str | None, str]] = []
    for item in service.listed:
        if item.name == new.name and item.group != group:
            where = str(Location(service.pyproject, item.line))
            specifier = Requirement(item.requirement).specifier
            others.append((item.group, item.requirement, specifier, item.marker, where))
    for entry in service.entries:
        if entry.req.name == new.name and entry.group != group:
            requirement = entry.req.requirement
            theirs = str(requirement.marker) if requirement.marker is not None else None
            others.append(
                (entry.group, entry.req.text, requirement.specifier, theirs, str(entry.req.origin))
            )
    for other_group, text, specifier, theirs, where in others:
        if _declared_apart(service.toml, group, other_group) or not _markers_meet(marker, theirs):
            continue
        if not normalize.compatible(wanted, specifier):
            raise ConflictError(
                f"{new.argument!r} for {_table_name(group)} contradicts {text!r} in "
                f"{_table_name(other_group)} ({where}): uv locks every group with the project's "
                "dependencies, and no version satisfies both; align them",
                _location(where),
            )


def _check_source(service: _Service, new: _New, group: str | None, *, upgrade: bool) -> None:
    """A different source for a name another table still lists would change that table too."""
    from reqconv import pyproject

    if upgrade:
        return
    current = dict(pyproject.read(service.file.text, path=service.pyproject).uv.sources)
    existing = current.get(new.name)
    if existing is None or new.source is None:
        return
    if replace(existing, base=None) == replace(new.source, base=None):
        return
    elsewhere = [item for item in service.listed if item.name == new.name and item.group != group]
    if elsewhere:
        raise ConflictError(
            f"{new.argument!r}: {new.name} already comes from another source in "
            f"[tool.uv.sources], which {_table_name(elsewhere[0].group)} uses too; uv has one "
            "source per package: pass --upgrade-spec to replace it for every table",
            Location(service.pyproject, elsewhere[0].line),
        )


# --------------------------------------------------------------------------------------------
# Planning


def _change(path: Path, before: bytes, tf: fs.TextFile, new_text: str) -> FileChange:
    # Unchanged text keeps the original bytes (a file with mixed line endings stays as it is).
    after = before if new_text == tf.text else tf.encode(new_text)
    return FileChange(
        path=path,
        before=before,
        after=after,
        before_text=tf.text,
        after_text=new_text,
    )


def _compiled(service: _Service, role: Role, new_text: str, *, edited: bool) -> Compiled:
    from reqconv import pyproject, requirements_txt

    assert role.compiled is not None
    text = fs.read_text(role.compiled).text
    old = requirements_txt.parse_text(text, role.compiled)
    source = service.files.get(role.path)
    main = {r.path for r in service.roles if r.group is None}
    main |= {r.compiled for r in service.roles if r.group is None and r.compiled}
    includes: tuple[Include, ...] = source.includes if source is not None else ()
    with_main = any(i.kind == "requirement" and i.path in main for i in includes)
    extra = (
        role.group is not None
        and pyproject.group_style(new_text, role.group, path=service.pyproject) == "extras"
    )
    return Compiled(
        path=role.compiled,
        source=role.path,
        group=role.group,
        extra=extra,
        with_main=with_main or extra,
        hashes=any(req.hashes for req in old.requirements),
        index_url=_INDEX_LINE_RE.search(text) is not None,
        pinned=frozenset(req.name for req in old.requirements),
        edited=edited,
    )


def _refuse_shared(service: _Service, path: Path, group: str | None) -> None:
    tables = service.feeds.get(path, frozenset({group}))
    if tables - {group}:
        others = ", ".join(_table_name(g) for g in sorted(tables - {group}, key=str))
        raise InputError(
            f"this file feeds {_table_name(group)} and {others} too; a change here would change "
            "them all: edit it by hand",
            Location(path),
        )


def _text_of(service: _Service, edits: dict[Path, str], path: Path) -> str:
    return edits[path] if path in edits else fs.read_text(path).text


def plan_add(
    root: Path,
    arguments: Sequence[str],
    *,
    group: str | None = None,
    upgrade_spec: bool = False,
    offline: bool = False,
    cwd: Path | None = None,
) -> Plan:
    """Every file content after adding ``arguments`` to ``group`` (``None``: main); no writes."""
    from reqconv import pyproject, requirements_edit, requirements_txt

    group = _group(group)
    service = _read_service(root)
    news = [
        _parse(a, root=root, group=group, cwd=cwd or Path.cwd(), offline=offline)
        for a in _joined(arguments)
    ]
    seen: dict[str, str] = {}
    for new in news:
        if new.name in seen:
            raise InputError(f"{seen[new.name]!r} and {new.argument!r} name the same package")
        seen[new.name] = new.argument
    for new in news:
        places = _where(service, new.name, group)
        if places and not upgrade_spec:
            raise InputError(
                f"{new.name} is already listed in {_table_name(group)} (also at "
                f"{', '.join(places[1:])}); pass --upgrade-spec to replace its specifier"
                if len(places) > 1
                else f"{new.name} is already listed in {_table_name(group)}; pass --upgrade-spec "
                "to replace its specifier",
                _location(places[0]),
            )
        _check_conflicts(service, new, group)
        _check_source(service, new, group, upgrade=upgrade_spec)

    text = service.file.text
    for new in news:
        text = pyproject.add_requirement(
            text,
            new.dependency,
            path=service.pyproject,
            group=group,
            source=new.source,
            replace=upgrade_spec,
        )
    where = pyproject.listed(text, path=service.pyproject)
    lines = []
    edits: dict[Path, str] = {}
    diagnostics = [d for new in news for d in new.diagnostics]
    role = service.role_of(group)
    for new in news:
        table = next(
            (i.table for i in where if i.name == new.name and i.group == group),
            _table_name(group),
        )
        done = f"{new.dependency!r} to {table} ({service.pyproject.name})"
        present = [e.req for e in service.entries if e.group == group and e.req.name == new.name]
        if present:
            first, *rest = present
            for req in present:
                _refuse_shared(service, req.origin.path, group)
            path = first.origin.path
            line = _line_for(new, path.parent, root)
            edits[path] = requirements_edit.replace_line(
                _text_of(service, edits, path), first.origin.line, line
            )
            for req in rest:  # further lines of the name in the same table go
                edits[req.origin.path] = requirements_edit.remove_lines(
                    _text_of(service, edits, req.origin.path), [req.origin.line]
                )
            done += f" and {first.origin}"
        elif role is not None:
            path = role.path
            current = _text_of(service, edits, path)
            line = _line_for(new, path.parent, root)
            reqfile = requirements_txt.parse_text(current, path)
            edits[path] = requirements_edit.add_line(current, reqfile, line, new.name)
            if any(req.hashes for req in reqfile.requirements):
                diagnostics.append(
                    Diagnostic(
                        code="unhashed-line",
                        message=f"the other lines carry --hash, the new {new.name} line does not: "
                        f"`pip install -r {path.name}` refuses the file in hash-checking mode",
                        location=Location(path),
                    )
                )
            done += f" and {path}"
        lines.append(f"added {done}")
    if role is None and service.roles:
        diagnostics.append(
            Diagnostic(
                code="no-requirements-file",
                message=f"no requirements file feeds {_table_name(group)}; only pyproject.toml "
                "lists it",
                location=Location(root),
                severity="info",
            )
        )
    _verify(service, edits, group, {n.name for n in news}, present=True)
    return _plan(
        service, "add", group, tuple(n.name for n in news), text, edits, lines, diagnostics
    )


def plan_remove(root: Path, names: Sequence[str], *, group: str | None = None) -> Plan:
    """Every file content after removing ``names`` from ``group`` (``None``: main); no writes."""
    from reqconv import pyproject, requirements_edit

    group = _group(group)
    service = _read_service(root)
    wanted = []
    for name in names:
        if not _NAME_RE.match(name.strip()):
            raise InputError(f"{name!r} is not a package name (give the name only)")
        wanted.append(canonicalize_name(name.strip()))
    for name in wanted:
        if _where(service, name, group):
            continue
        elsewhere = sorted(
            {
                f"{_table_name(g)} ({place})"
                for g in {i.group for i in service.listed} | {e.group for e in service.entries}
                if g != group
                for place in _where(service, name, g)
            }
        )
        hint = f"; it is listed in {', '.join(elsewhere)}" if elsewhere else ""
        flag = "" if not elsewhere else " (use --group NAME for a group)"
        raise InputError(f"{name} is not listed in {_table_name(group)}{hint}{flag}")

    text = service.file.text
    for name in wanted:
        text = pyproject.remove_requirement(text, name, path=service.pyproject, group=group)
    edits: dict[Path, str] = {}
    lines = []
    for name in wanted:
        present = [e.req for e in service.entries if e.group == group and e.req.name == name]
        by_file: dict[Path, list[int]] = {}
        for req in present:
            _refuse_shared(service, req.origin.path, group)
            by_file.setdefault(req.origin.path, []).append(req.origin.line)
        for path, numbers in by_file.items():
            edits[path] = requirements_edit.remove_lines(_text_of(service, edits, path), numbers)
        places = [service.pyproject.name, *(str(req.origin) for req in present)]
        lines.append(f"removed {name} from {_table_name(group)} ({', '.join(places)})")
    _verify(service, edits, group, set(wanted), present=False)
    return _plan(service, "remove", group, tuple(wanted), text, edits, lines, [])


def _location(place: str) -> Location:
    path, _, line = place.rpartition(":")
    return Location(Path(path), int(line)) if line.isdigit() else Location(Path(place))


def _verify(
    service: _Service,
    edits: Mapping[Path, str],
    group: str | None,
    names: set[NormalizedName],
    *,
    present: bool,
) -> None:
    """Each edited file, parsed again, lists (or no longer lists) ``names``: a wrong edit stops
    here, before anything is written."""
    from reqconv import requirements_txt

    for path, text in edits.items():
        found = {req.name for req in requirements_txt.parse_text(text, path).requirements}
        wrong = names - found if present else names & found
        if wrong and (present is False or path == getattr(service.role_of(group), "path", None)):
            raise InputError(  # pragma: no cover - a defect of requirements_edit
                f"the edit would leave the file wrong for {', '.join(sorted(wrong))}; "
                "nothing was written",
                Location(path),
            )


def _plan(
    service: _Service,
    action: Literal["add", "remove"],
    group: str | None,
    names: tuple[NormalizedName, ...],
    text: str,
    edits: Mapping[Path, str],
    lines: Sequence[str],
    diagnostics: Sequence[Diagnostic],
) -> Plan:
    changes = [_change(service.pyproject, service.data, service.file, text)]
    for path, new_text in edits.items():
        data = fs.read_bytes(path)
        changes.append(_change(path, data, fs.decode(path, data), new_text))
    compiled = [
        _compiled(service, role, text, edited=role.path in edits)
        for role in service.roles
        if role.compiled is not None
    ]
    return Plan(
        root=service.root,
        action=action,
        group=group,
        names=names,
        changes=tuple(changes),
        compiled=tuple(compiled),
        lines=tuple(lines),
        diagnostics=tuple(diagnostics),
    )


# --------------------------------------------------------------------------------------------
# Writing, locking, exporting


def _versions(text: str | None) -> dict[NormalizedName, tuple[str, ...]]:
    if text is None:
        return {}
    versions: dict[NormalizedName, list[str]] = {}
    for package in uv.read_lock(text).packages:
        versions.setdefault(package.name, []).append(package.version or "")
    return {name: tuple(sorted(found)) for name, found in versions.items()}


def _moves(before: str | None, after: str) -> tuple[LockMove, ...]:
    old, new = _versions(before), _versions(after)
    moves = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        moves.append(
            LockMove(
                name=name,
                before=", ".join(a) if a is not None else None,
                after=", ".join(b) if b is not None else None,
            )
        )
    return tuple(moves)


def _explain(stderr: str) -> str:
    """uv's explanation (its ``╰─▶`` or ``cause:`` paragraph), unwrapped and redacted."""
    text = stderr
    for marker in ("╰─▶", "cause:", "error:"):
        if marker in text:
            text = text.split(marker, 1)[1]
            break
    text = re.split(r"\n\s*\n|\bhint:", text, maxsplit=1)[0]
    return redact_text(" ".join(text.split())) or "uv gave no reason"


def _lock_failure(plan: Plan, error: UvError) -> UvError:
    names = ", ".join(plan.names)
    why = _explain(error.stderr) if error.stderr.strip() else error.message
    missing = [n for n in plan.names if f"{n} was not found" in " ".join(error.stderr.split())]
    if missing:
        why = (
            f"{', '.join(missing)} was not found on the package index (a typo, or a private "
            f"package from an index this service does not name?). uv: {why}"
        )
    verb = "adding" if plan.action == "add" else "removing"
    return UvError(
        f"uv could not lock the service after {verb} {names}: {why.rstrip('.')}. Nothing was "
        "changed: every "
        "file is as it was",
        argv=error.argv,
        returncode=error.returncode,
        stderr=error.stderr,
    )


def _export_compiled(
    root: Path, compiled: Compiled, *, runner: Runner, uv_path: Path, offline: bool
) -> str:
    groups: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    if compiled.group is not None:
        if compiled.extra:
            extras = (compiled.group,)
        elif compiled.with_main:
            groups = (compiled.group,)
        else:
            only = (compiled.group,)
    argv = uv.build_export_argv(
        uv_path,
        root.absolute(),
        output=None,
        groups=groups,
        extras=extras,
        only_groups=only,
        offline=offline,
        emit_index_url=compiled.index_url,
        hashes=compiled.hashes,
    )
    body = runner(argv, cwd=root, timeout=uv.DEFAULT_TIMEOUT)
    project = argv.index("--project")
    shown = [a for a in argv[1:project] + argv[project + 2 :] if a not in _NOT_SHOWN]

    source = compiled.source.name
    header = (
        f"# This file is autogenerated by uv from uv.lock, in step with {source}\n"
        "# (`reqconv add` and `reqconv remove` keep it so). To regenerate it, run:\n"
        f"#    uv {' '.join(shown)} --output-file {compiled.path.name}\n"
    )
    return header + _strip_credentials(body)


def _normal(path: Path) -> Path:
    import os

    return Path(os.path.normpath(path.absolute()))


def _record_fingerprint(root: Path, tx: fs.Transaction, uv_path: Path) -> None:
    """What the lock step records for ``reqconv check``, again once the compiled files changed."""
    import contextlib

    from reqconv import checking
    from reqconv.errors import ReqconvError

    with contextlib.suppress(ReqconvError):  # an unreadable input: `reqconv check` says so
        checking.record(root, tx, uv_version=uv.uv_version(uv_path))


def apply(
    plan: Plan,
    *,
    lock: bool = True,
    offline: bool = False,
    runner: Runner = uv.run,
    uv_path: Path | None = None,
) -> Result:
    """Write the plan, re-lock and re-export in one transaction; any failure restores every file."""
    from reqconv import locking

    root = plan.root
    written: list[Path] = []
    diagnostics: list[Diagnostic] = []
    moves: tuple[LockMove, ...] = ()
    with fs.Transaction() as tx:
        for change in plan.changes:
            if tx.write(change.path, change.after):
                written.append(change.path)
        if not lock:
            for compiled in (c for c in plan.compiled if c.edited):
                diagnostics.append(
                    Diagnostic(
                        code="compiled-not-updated",
                        message=f"not brought in step with {compiled.source.name} (--no-lock): "
                        "run `reqconv add`/`remove` without --no-lock, or recompile it",
                        location=Location(compiled.path),
                    )
                )
            return Result(plan=plan, written=tuple(written), diagnostics=tuple(diagnostics))
        if uv_path is None:
            uv_path = uv.find_uv()
            uv.uv_version(uv_path)
        lock_path = root / "uv.lock"
        before = lock_path.read_text(encoding="utf-8") if lock_path.is_file() else None
        # What `reqconv lock` gives the lock step, read from the files as they now are; but not
        # the pins of a compiled .txt whose .in changed: that file is written from the new lock.
        inputs = locking.derive_inputs(root)
        diagnostics.extend(inputs.diagnostics)
        regenerated = {
            _normal(c.path)
            for c in plan.compiled
            if c.edited or (c.with_main and plan.group is None)
        }
        pins = [
            p for p in inputs.pins if not (p.compiled and _normal(p.origin.path) in regenerated)
        ]
        try:
            result = locking.lock_service(
                root,
                tx=tx,
                pins=pins,
                demands=inputs.demands,
                offline=offline,
                runner=runner,
                uv_path=uv_path,
            )
            moved = {move.name for move in _moves(before, lock_path.read_text(encoding="utf-8"))}
            rewritten = False
            for compiled in plan.compiled:
                if not compiled.stale(plan.group, moved):
                    continue
                text = _export_compiled(
                    root, compiled, runner=runner, uv_path=uv_path, offline=offline
                )
                if tx.write(compiled.path, locking.encoded(compiled.path, text)):
                    written.append(compiled.path)
                    rewritten = True
            if rewritten:  # the lock step's `reqconv check` fingerprint predates these files
                _record_fingerprint(root, tx, uv_path)
        except UvError as e:
            raise _lock_failure(plan, e) from e
        written += [path for path in result.written if path not in written]
        diagnostics.extend(result.diagnostics)
        moves = _moves(before, lock_path.read_text(encoding="utf-8"))
    return Result(
        plan=plan, written=tuple(written), moves=moves, locked=True, diagnostics=tuple(diagnostics)
    )
