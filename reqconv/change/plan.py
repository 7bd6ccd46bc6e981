"""One dependency added or removed in every file that lists it, re-locked, or nothing changed.

``plan_add``/``plan_remove`` read the service and compute every new file content, writing nothing:
a requirement that is not valid, already listed, or contradicts a constraint or another table's
entry is an ``InputError`` (exit 2) before a byte changes. ``write.apply`` then writes pyproject.toml and
the requirements file that feeds the group inside one ``fs.Transaction``, re-locks with
``locking.lock_service`` (uv keeps every locked version it can: only what the change needs moves),
re-exports every lock file, and brings a pip-compile ``.txt`` in step with the new lock; a failure
anywhere restores every file byte for byte.

The requirement is read as convert reads a requirements line (``requirements.parse`` then
``convert.normalize``): PEP 508, ``name @ URL``, ``git+``, archive URLs, local paths and ``-e``;
its source goes to ``[tool.uv.sources]`` and credentials in a URL are stripped and reported, as
convert does.

Three modules: ``read`` reads the service and the argument and runs the checks, this one plans,
``write`` writes, locks and exports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

from reqconv import fs
from reqconv.change import read
from reqconv.errors import InputError, Location
from reqconv.frozen import frozen
from reqconv.model import Diagnostic, FileChange, Include, Req, Role

__all__ = ["Compiled", "Plan", "plan_add", "plan_remove"]


_INDEX_LINE_RE = re.compile(r"^(?:-i|--index-url|--extra-index-url)\b", re.MULTILINE)


@frozen(kw_only=True)
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


@frozen(kw_only=True)
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


def _compiled(service: read.Service, role: Role, new_text: str, *, edited: bool) -> Compiled:
    from reqconv.project import pyproject
    from reqconv.requirements import parse

    assert role.compiled is not None
    text = fs.read_text(role.compiled).text
    old = parse.parse_text(text, role.compiled)
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


def _refuse_shared(service: read.Service, path: Path, group: str | None) -> None:
    tables = service.feeds.get(path, frozenset({group}))
    if tables - {group}:
        others = ", ".join(read.table_name(g) for g in sorted(tables - {group}, key=str))
        raise InputError(
            f"this file feeds {read.table_name(group)} and {others} too; a change here would change "
            "them all: edit it by hand",
            Location(path),
        )


def _targets(service: read.Service, group: str | None) -> list[Role]:
    """The roles whose files a change of ``group`` edits: the group's own; for ``[project]``
    dependencies of a service with alternative sets (docs/variants.md), which no file feeds,
    every set's file (what every set holds alike is ``[project]``'s)."""
    role = service.role_of(group)
    if role is not None:
        return [role]
    if group is None:
        sets = [r for r in service.roles if r.variant]
        if len(sets) >= 2:
            return sets
    return []


def _text_of(service: read.Service, edits: dict[Path, str], path: Path) -> str:
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
    from reqconv.project import pyproject
    from reqconv.requirements import edit, parse

    group = read.group_name(group)
    service = read.read_service(root)
    news = [
        read.parse_argument(a, root=root, group=group, cwd=cwd or Path.cwd(), offline=offline)
        for a in read.joined_arguments(arguments)
    ]
    seen: dict[str, str] = {}
    for new in news:
        if new.name in seen:
            raise InputError(f"{seen[new.name]!r} and {new.argument!r} name the same package")
        seen[new.name] = new.argument
    for new in news:
        places = read.where_listed(service, new.name, group)
        if places and not upgrade_spec:
            raise InputError(
                f"{new.name} is already listed in {read.table_name(group)} (also at "
                f"{', '.join(places[1:])}); pass --upgrade-spec to replace its specifier"
                if len(places) > 1
                else f"{new.name} is already listed in {read.table_name(group)}; pass --upgrade-spec "
                "to replace its specifier",
                read.location(places[0]),
            )
        read.check_conflicts(service, new, group)
        read.check_source(service, new, group, upgrade=upgrade_spec)

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
    targets = _targets(service, group)
    tables = {target.group for target in targets}
    for new in news:
        table = next(
            (i.table for i in where if i.name == new.name and i.group == group),
            read.table_name(group),
        )
        done = f"{new.dependency!r} to {table} ({service.pyproject.name})"
        by_table: dict[str | None, list[Req]] = {}
        for e in service.entries:
            if e.group in tables and e.req.name == new.name:
                by_table.setdefault(e.group, []).append(e.req)
        written: list[str] = []
        for target in targets:
            present = by_table.get(target.group, [])
            if present:
                first, *rest = present
                for req in present:
                    _refuse_shared(service, req.origin.path, target.group)
                path = first.origin.path
                line = read.line_for(new, path.parent, root)
                edits[path] = edit.replace_line(
                    _text_of(service, edits, path), first.origin.line, line
                )
                for req in rest:  # further lines of the name in the same table go
                    edits[req.origin.path] = edit.remove_lines(
                        _text_of(service, edits, req.origin.path), [req.origin.line]
                    )
                written.append(str(first.origin))
                continue
            path = target.path
            current = _text_of(service, edits, path)
            line = read.line_for(new, path.parent, root)
            reqfile = parse.parse_text(current, path)
            edits[path] = edit.add_line(current, reqfile, line, new.name)
            if any(req.hashes for req in reqfile.requirements):
                diagnostics.append(
                    Diagnostic(
                        code="unhashed-line",
                        message=f"the other lines carry --hash, the new {new.name} line does not: "
                        f"`pip install -r {path.name}` refuses the file in hash-checking mode",
                        location=Location(path),
                    )
                )
            written.append(str(path))
        if written:
            done += f" and {', '.join(written)}"
        lines.append(f"added {done}")
    if not targets and service.roles:
        diagnostics.append(
            Diagnostic(
                code="no-requirements-file",
                message=f"no requirements file feeds {read.table_name(group)}; only pyproject.toml "
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
    from reqconv.project import pyproject
    from reqconv.requirements import edit

    group = read.group_name(group)
    service = read.read_service(root)
    wanted = []
    for name in names:
        if not read.NAME_RE.match(name.strip()):
            raise InputError(f"{name!r} is not a package name (give the name only)")
        wanted.append(canonicalize_name(name.strip()))
    for name in wanted:
        if read.where_listed(service, name, group):
            continue
        elsewhere = sorted(
            {
                f"{read.table_name(g)} ({place})"
                for g in {i.group for i in service.listed} | {e.group for e in service.entries}
                if g != group
                for place in read.where_listed(service, name, g)
            }
        )
        hint = f"; it is listed in {', '.join(elsewhere)}" if elsewhere else ""
        flag = "" if not elsewhere else " (use --group NAME for a group)"
        raise InputError(f"{name} is not listed in {read.table_name(group)}{hint}{flag}")

    text = service.file.text
    for name in wanted:
        text = pyproject.remove_requirement(text, name, path=service.pyproject, group=group)
    edits: dict[Path, str] = {}
    lines = []
    tables = {target.group for target in _targets(service, group)} or {group}
    for name in wanted:
        entries = [e for e in service.entries if e.group in tables and e.req.name == name]
        present = [e.req for e in entries]
        by_file: dict[Path, list[int]] = {}
        for e in entries:
            _refuse_shared(service, e.req.origin.path, e.group)
            by_file.setdefault(e.req.origin.path, []).append(e.req.origin.line)
        for path, numbers in by_file.items():
            edits[path] = edit.remove_lines(_text_of(service, edits, path), numbers)
        places = [service.pyproject.name, *(str(req.origin) for req in present)]
        lines.append(f"removed {name} from {read.table_name(group)} ({', '.join(places)})")
    _verify(service, edits, group, set(wanted), present=False)
    return _plan(service, "remove", group, tuple(wanted), text, edits, lines, [])


def _verify(
    service: read.Service,
    edits: Mapping[Path, str],
    group: str | None,
    names: set[NormalizedName],
    *,
    present: bool,
) -> None:
    """Each edited file, parsed again, lists (or no longer lists) ``names``: a wrong edit stops
    here, before anything is written."""
    from reqconv.requirements import parse

    for path, text in edits.items():
        found = {req.name for req in parse.parse_text(text, path).requirements}
        wrong = names - found if present else names & found
        if wrong and (present is False or path == getattr(service.role_of(group), "path", None)):
            raise InputError(  # pragma: no cover - a defect of requirements.edit
                f"the edit would leave the file wrong for {', '.join(sorted(wrong))}; "
                "nothing was written",
                Location(path),
            )


def _plan(
    service: read.Service,
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
