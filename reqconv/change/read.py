"""What ``reqconv add``/``remove`` read before planning: the service as it is (pyproject.toml, its
requirements files and the tables each feeds), the requirement argument (read as convert reads a
requirements line), and the checks that refuse a change before a byte is written. Pure but for
reading files; uv is asked only to name an unnamed URL (``names.UvNamer``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from reqconv import fs
from reqconv.errors import ConflictError, InputError, Location, ParseError
from reqconv.frozen import frozen
from reqconv.model import Dependency, Diagnostic, Req, ReqFile, Role, Source
from reqconv.redact import redact_text

if TYPE_CHECKING:
    from reqconv.project.pyproject import Listed

# PEP 735 / PEP 508 name syntax.
NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
# scheme://userinfo@ in a requirement; an SSH login name (ssh://git@host) is no secret.
_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s\"']+)@")
# Parser diagnostics an added requirement may carry; any other means it cannot be added as is.
_ACCEPTED = frozenset({"credentials-removed", "path-from-parent"})


@frozen(kw_only=True)
class New:
    """One requirement to add, read as convert reads a requirements line."""

    argument: str  # as given, credentials redacted (for messages)
    name: NormalizedName
    requirement: Requirement  # no URL: a direct reference lives in ``source``
    dependency: str  # the normalized PEP 508 string pyproject gets
    source: Source | None  # relative to the service root
    text: str  # the line as given, credentials stripped, for a requirements file
    diagnostics: tuple[Diagnostic, ...] = ()


# --------------------------------------------------------------------------------------------
# The service as it is


@frozen(kw_only=True)
class _Entry:
    """A requirement line of a requirements file and the table (role group) it feeds."""

    req: Req
    group: str | None


@frozen(kw_only=True)
class Service:
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


def table_name(group: str | None) -> str:
    return "[project] dependencies" if group is None else f"group {group!r}"


def read_service(root: Path) -> Service:
    from reqconv.project import pyproject
    from reqconv.requirements import discover, parse

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
    files = parse.parse_tree(paths) if paths else {}
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
    return Service(
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


def group_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not NAME_RE.match(name):
        raise InputError(f"--group {name}: not a valid group name (letters, digits, -_. inside)")
    return str(canonicalize_name(name))


def variant_group(root: Path, name: str) -> str:
    """The group of the alternative set ``name`` (``--variant NAME``, docs/variants.md), which
    must be one ``[tool.reqconv] variants`` records."""
    from reqconv.requirements import discover

    sets = sorted({discover.group_name(n) for n, _ in discover.recorded_variants(root)})
    wanted = discover.group_name(name)
    if wanted not in sets:
        known = (
            f"its sets are {', '.join(sets)}"
            if sets
            else "it has none (no [tool.reqconv] variants in pyproject.toml); use --group NAME"
        )
        raise InputError(f"--variant {name}: no such alternative set of the service; {known}")
    return wanted


def where_listed(service: Service, name: NormalizedName, group: str | None) -> list[str]:
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


def location(place: str) -> Location:
    path, _, line = place.rpartition(":")
    return Location(Path(path), int(line)) if line.isdigit() else Location(Path(place))


# --------------------------------------------------------------------------------------------
# Reading a requirement


def strip_credentials(text: str) -> str:
    def strip(match: re.Match[str]) -> str:
        userinfo = match["userinfo"]
        ssh_user = match["scheme"].lower().endswith("ssh://") and not set(":$") & set(userinfo)
        return match.group(0) if ssh_user else match["scheme"]

    return _USERINFO_RE.sub(strip, text)


def parse_argument(
    argument: str, *, root: Path, group: str | None, cwd: Path, offline: bool = False
) -> New:
    from reqconv.convert import names, normalize
    from reqconv.requirements import parse

    shown = redact_text(argument.strip())
    text = argument.strip()
    if not text or "\n" in text or text.startswith("#"):
        raise InputError(f"{shown!r} is not a requirement")
    # Read as a one-line requirements file in the current folder: a relative path is the user's.
    virtual = cwd / "reqconv-add-argument"
    try:
        reqfile = parse.parse_text(text, virtual)
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
    return New(
        argument=shown,
        name=req.name,
        requirement=req.requirement,
        dependency=dependencies[0].requirement,
        source=sources.get(req.name),
        text=strip_credentials(text),
        diagnostics=diagnostics,
    )


def joined_arguments(arguments: Sequence[str]) -> list[str]:
    """``-e PATH`` given as two arguments (``reqconv add -- -e ../lib``) is one requirement."""
    joined: list[str] = []
    for argument in arguments:
        if joined and joined[-1] in ("-e", "--editable"):
            joined[-1] = f"{joined[-1]} {argument}"
        else:
            joined.append(argument)
    return joined


def line_for(new: New, folder: Path, root: Path) -> str:
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


def _constraints(service: Service) -> list[tuple[Requirement, int]]:
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


def check_conflicts(service: Service, new: New, group: str | None) -> None:
    """A requirement no version of which can meet a constraint, or an entry of another table that
    uv locks and installs with it, is refused (``ConflictError``, exit 2)."""
    from reqconv.convert import normalize

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
                f"{new.argument!r} for {table_name(group)} contradicts {text!r} in "
                f"{table_name(other_group)} ({where}): uv locks every group with the project's "
                "dependencies, and no version satisfies both; align them",
                location(where),
            )


def check_source(service: Service, new: New, group: str | None, *, upgrade: bool) -> None:
    """A different source for a name another table still lists would change that table too."""
    from reqconv.project import pyproject

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
            f"[tool.uv.sources], which {table_name(elsewhere[0].group)} uses too; uv has one "
            "source per package: pass --upgrade-spec to replace it for every table",
            Location(service.pyproject, elsewhere[0].line),
        )
