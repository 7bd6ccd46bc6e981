"""Parsed requirements files + roles -> one ``Conversion`` (spec, pins, diagnostics, line outcomes).

Pure: no I/O, no tomlkit, no printing. Follows PEP 503 (names), PEP 440 (specifiers), PEP 508
(markers), PEP 685 (extras) and PEP 735 (groups); pip options map to uv settings
(https://docs.astral.sh/uv/reference/settings/). Raises ``ConflictError`` for requirements that
cannot all hold; everything else it cannot carry over becomes a ``Diagnostic``.

Decisions:

- Order is first appearance (roles in the given order, lines in file order, an ``-r`` inlined where
  it stands); nothing is sorted, because a team's order is meaningful.
- Duplicates of a package within one table merge per distinct marker: specifiers intersect, extras
  union; an exact ``==`` pin absorbs the specifiers it satisfies, and a bound another implies goes
  (``>=2.0`` and ``>=2.5`` give ``>=2.5``). Conflicts are found by probing
  candidate versions built from the specifiers' own versions (``specifiers.satisfiable``). A group entry
  that cannot hold with the main table's is a ``ConflictError`` too (uv installs and locks a group
  with the project's dependencies); two groups that cannot hold together are reported
  (``group-conflict``), since ``[tool.uv] conflicts`` can keep them apart. A ``-c`` constraint that
  excludes every version a requirement allows (same marker, or none) is a ``ConflictError``.
- Alternative sets (roles with ``variant``, docs/variants.md): each set is the group of its name;
  what every set holds alike goes to ``[project]`` dependencies (its lines' outcomes, pins and
  demands then say production); the sets are declared apart in ``[tool.uv] conflicts`` and
  recorded (``DependencySpec.variants``) for later runs. Two sets never conflict with each other.
- Index names: the host, lower case, ``.``/other runs as ``-`` (``pypi.example.com`` ->
  ``pypi-example-com``); when two URLs share a host, the later gets ``-<path>`` then ``-2``, ``-3``.
- A ``-c`` of a file that is a role's compiled ``.txt`` is folded into the lock pins, not written as
  constraints: one uv lock already resolves every group together, as pip-tools' layering meant.
- Outcomes: one per line and destination (a shared file inlined into two tables has two). A
  requirement with a source is ``mapped`` to ``tool.uv.sources.<name>`` (its name also goes to the
  table); a line known only by a parser diagnostic is ``reported`` under that diagnostic's code.
- ``${VAR}`` in a requirement's URL or path: uv expands it in a dependency's own PEP 508 URL, not in
  ``[tool.uv.sources]``, so the entry is written as ``name @ URL`` (``url-from-env`` warning).
- Not written, reported instead: ``${VAR}`` index and find-links URLs (uv expands no variables in
  those pyproject.toml settings; the message names ``UV_INDEX``/``UV_DEFAULT_INDEX``/
  ``UV_FIND_LINKS``) and ``-e .`` (the project itself, which ``uv sync`` installs).
- A diagnostic of severity ``error`` (an ``-r`` not followed) is a requirement the result would
  lack: convert refuses the run at its line.

This module walks the files and hands each line to its step, one module each: ``tables`` (merging
duplicates, conflicts), ``sources`` (``[tool.uv.sources]``, ``${VAR}`` URLs), ``settings`` (options
routed to uv settings, index names), ``pins`` (``==`` lines and compiled files), ``specifiers``
(canonical strings, satisfiability); every step records each line's fate in one ``ledger``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from reqconv.convert.ledger import CONSTRAINTS_KEY, MAIN_KEY, PINS_KEY, Ledger, table_key
from reqconv.convert.pins import Pins
from reqconv.convert.settings import Settings, index_name, rename_indexes
from reqconv.convert.sources import Sources, env_reference_url
from reqconv.convert.specifiers import canonical, canonical_extras, compatible, format_requirement
from reqconv.convert.tables import Table, Tables
from reqconv.model import (
    Conversion,
    Demand,
    DependencySpec,
    Include,
    IncludeGroup,
    Option,
    Req,
    ReqFile,
    Role,
)

__all__ = [
    "MAIN_KEY",
    "canonical",
    "compatible",
    "convert",
    "format_requirement",
    "index_name",
    "rename_indexes",
    "table_key",
]

_PER_LINE_REASONS = {
    "--config-settings": "pip refuses a value that is not KEY=VALUE",
    "--global-option": "deprecated in pip; uv has no equivalent",
    "--install-option": "removed from pip; uv has no equivalent",
}


@dataclass
class _Walk:
    """The files of each role walked in order (includes followed where they stand), each line
    handed to the step it belongs to; all of them record into one ``Ledger``."""

    root: Path
    files: Mapping[Path, ReqFile]
    roles: Sequence[Role]
    ledger: Ledger = field(default_factory=Ledger)
    tables: Tables = field(init=False)
    sources: Sources = field(init=False)
    settings: Settings = field(init=False)
    pins: Pins = field(init=False)
    used_files: list[Path] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    constraint_lines: list[Req] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tables = Tables(
            self.ledger,
            variants=frozenset(r.group for r in self.roles if r.variant and r.group is not None),
        )
        self.sources = Sources(self.root, self.ledger)
        self.settings = Settings(self.root, self.ledger)
        self.pins = Pins(self.ledger)

    def use(self, path: Path) -> ReqFile | None:
        reqfile = self.files.get(path)
        if reqfile is not None and path not in self.used_files:
            self.used_files.append(path)
        return reqfile

    def role_of(self, path: Path) -> Role | None:
        for role in self.roles:
            if role.path == path:
                return role
        return None

    def compiled_role_of(self, path: Path) -> Role | None:
        for role in self.roles:
            if role.compiled == path:
                return role
        return None

    def missing(self, include: Include) -> None:
        self.ledger.report(
            "include-not-found",
            f"{_include_text(include)}: the file was not read; its requirements are not converted",
            include.origin,
            _include_text(include),
            severity="error" if include.kind == "requirement" else "warning",
        )

    def walk(self, path: Path, table: Table, visiting: set[Path]) -> None:
        """Every line of ``path`` (includes followed) into ``table``."""
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                self.requirement(table, line, reqfile)
            elif isinstance(line, Option):
                self.settings.option(line, reqfile)
            elif line.kind == "constraint":
                self.constraint_include(line, reqfile, visiting)
            else:
                self.requirement_include(line, table, visiting)

    def requirement_include(self, include: Include, table: Table, visiting: set[Path]) -> None:
        text = _include_text(include)
        target = include.path
        role = self.role_of(target) or self.compiled_role_of(target)
        if role is not None and (role.group is None or role.group == table.group):
            # Another role feeds that table itself: a group holds only its own additions.
            self.ledger.outcome(include.origin, text, "merged", table_key(role.group))
            return
        if role is not None and table.group is not None:
            assert role.group is not None
            item = IncludeGroup(group=role.group)
            if item not in table.items:
                table.items.append(item)
            self.ledger.outcome(include.origin, text, "converted", table.key)
            return
        if target in visiting:
            # A cycle: the parser has reported it.
            self.ledger.outcome(include.origin, text, "merged", table.key)
            return
        if target not in self.files:
            self.missing(include)
            return
        self.ledger.outcome(include.origin, text, "merged", table.key)
        self.walk(target, table, visiting)

    def constraint_include(self, include: Include, reqfile: ReqFile, visiting: set[Path]) -> None:
        text = _include_text(include)
        target = include.path
        if self.compiled_role_of(target) is not None:
            self.ledger.outcome(include.origin, text, "merged", PINS_KEY)
            return
        if target in visiting:
            self.ledger.outcome(include.origin, text, "merged", CONSTRAINTS_KEY)
            return
        if target not in self.files:
            self.missing(include)
            return
        self.ledger.outcome(include.origin, text, "mapped", CONSTRAINTS_KEY)
        self.constraints_from(target, visiting | {reqfile.path})

    def constraints_from(self, path: Path, visiting: set[Path]) -> None:
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                if line.source is not None:
                    self.ledger.report(
                        "unsupported-constraint",
                        f"constraint {line.name} has a direct reference; uv constraints are "
                        "version ranges, so it was not carried over",
                        line.origin,
                        line.text,
                    )
                    continue
                text = canonical(line.requirement)
                if text not in self.constraints:
                    self.constraints.append(text)
                    self.constraint_lines.append(line)
                self.ledger.outcome(line.origin, line.text, "mapped", CONSTRAINTS_KEY)
            elif isinstance(line, Option):
                self.settings.option(line, reqfile)
            elif line.path in visiting:
                self.ledger.outcome(line.origin, _include_text(line), "merged", CONSTRAINTS_KEY)
            elif line.path not in self.files:
                self.missing(line)
            else:
                self.ledger.outcome(line.origin, _include_text(line), "mapped", CONSTRAINTS_KEY)
                self.constraints_from(line.path, visiting)

    def compiled(self, path: Path, group: str | None, visiting: set[Path]) -> None:
        """A compiled ``.txt``: its pins feed the lock; its options still map to uv settings."""
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                self.pins.hashes(line, reqfile)
                if canonicalize_name(line.name) in self.sources.sources:
                    # Its version comes from the source the ``.in`` gives it.
                    self.sources.compiled_differs(line, reqfile)
                    self.ledger.outcome(
                        line.origin, line.text, "merged", f"tool.uv.sources.{line.name}"
                    )
                    continue
                if canonicalize_name(line.name) in self.sources.direct:
                    # the .in's `name @ ${VAR}` URL
                    self.ledger.outcome(line.origin, line.text, "merged", PINS_KEY)
                    continue
                self.pins.check_compiled(line, group, self.demands)
                self.pins.add(line, group, compiled=True)
                self.ledger.outcome(line.origin, line.text, "mapped", PINS_KEY)
            elif isinstance(line, Option):
                self.settings.option(line, reqfile)
            else:
                self.ledger.outcome(line.origin, _include_text(line), "merged", PINS_KEY)
                if line.kind == "requirement" and line.path in self.files:
                    self.compiled(line.path, group, visiting)

    def requirement(self, table: Table, req: Req, reqfile: ReqFile) -> None:
        """One requirement line of ``reqfile`` into ``table``: its options, pin, source and entry."""
        if self.sources.is_project_itself(req, reqfile):
            # ``-e .``: uv sync installs the project itself; a self-dependency is an error in uv.
            extras = canonical_extras(req.requirement.extras)
            with_extras = (
                f"; for its extras run `uv sync {' '.join(f'--extra {e}' for e in extras)}`"
                if extras
                else ""
            )
            self.ledger.report(
                "project-itself",
                f"{req.text!r} installs the project itself: `uv sync` does that when "
                f"[tool.uv] package = true (or a [build-system] is present){with_extras}",
                req.origin,
                req.text,
                severity="info",
            )
            return
        for option in req.options:
            flag = option.split("=", 1)[0].split()[0]
            if flag == "--config-settings" and self.settings.config_setting(req, option):
                continue
            reason = _PER_LINE_REASONS.get(flag, "pyproject has no per-requirement pip options")
            # The line's fate says it: its requirement is converted, its option is not.
            self.ledger.report(
                "per-line-option",
                f"per-line option {option!r} of {req.name} was not carried over: {reason}",
                req.origin,
                req.text,
            )
        self.pins.hashes(req, reqfile)
        self.pins.add(req, table.group)
        url = env_reference_url(req.source) if req.source is not None else None
        if url is not None:
            self.sources.env_reference(req, url, table.group)
        elif req.source is not None:
            self.sources.add(req, reqfile)
        requirement = req.requirement
        name = canonicalize_name(req.name)
        marker = str(requirement.marker) if requirement.marker is not None else None
        self.demands.append(
            Demand(
                name=name,
                specifier=str(requirement.specifier),
                origin=req.origin,
                group=table.group,
                marker=marker,
            )
        )
        self.tables.add(table, req, url)

    def spec(self) -> DependencySpec:
        sources = [(name, source) for name, (source, _) in self.sources.sources.items()]
        uv = self.settings.uv_settings(sources, self.constraints)
        variants = [role for role in self.roles if role.variant and role.group is not None]
        if len(variants) < 2:
            return DependencySpec(
                dependencies=self.tables.dependencies(), groups=self.tables.groups(), uv=uv
            )
        names = tuple(sorted({role.group for role in variants if role.group is not None}))
        return DependencySpec(
            dependencies=self.tables.dependencies(),
            groups=self.tables.groups(),
            uv=replace(uv, conflicts=(names,)),
            variants=tuple(
                (role.group, _relative(role.path, self.root))
                for role in variants
                if role.group is not None
            ),
        )

    def share(self) -> None:
        """What every alternative set holds alike becomes production's: outcomes, pins, demands."""
        moved = self.tables.share()
        if not moved:
            return
        self.ledger.outcomes = [
            replace(o, key=MAIN_KEY) if moved.get(o.location) == o.key else o
            for o in self.ledger.outcomes
        ]
        self.demands = [replace(d, group=None) if d.origin in moved else d for d in self.demands]
        self.pins.to_production(frozenset(moved))


def _lines(reqfile: ReqFile) -> list[Req | Option | Include]:
    """A file's lines in file order (the parser lists each kind apart)."""
    lines: list[Req | Option | Include] = [
        *reqfile.requirements,
        *reqfile.options,
        *reqfile.includes,
    ]
    return sorted(lines, key=lambda line: line.origin.line)


def _relative(path: Path, root: Path) -> str:
    import os

    return Path(os.path.relpath(path, root)).as_posix()


def _include_text(include: Include) -> str:
    return f"{'-r' if include.kind == 'requirement' else '-c'} {include.target}"


def convert(files: Mapping[Path, ReqFile], roles: Sequence[Role], root: Path) -> Conversion:
    """Normalize the role files (includes followed) into what pyproject and the lock step need."""
    state = _Walk(root=root, files=files, roles=roles)
    for role in roles:
        if role.path in files:
            state.walk(role.path, state.tables.table(role.group), set())
    for role in roles:
        if role.compiled is not None:
            state.compiled(role.compiled, role.group, set())
    state.share()
    state.tables.check_constraints(state.constraint_lines)
    # The parser's diagnostics of every file used, then ours; each once, in order.
    diagnostics = list(
        dict.fromkeys(
            [
                *(d for path in state.used_files for d in files[path].diagnostics),
                *state.ledger.diagnostics,
            ]
        )
    )
    # A line the parser could not turn into an entry (an unnamed URL, a cut cycle) is accounted
    # for by its diagnostic.
    # A line whose option the parser dropped (pip ignores it) says so even when its requirement
    # was converted.
    accounted = {outcome.location for outcome in state.ledger.outcomes}
    for diagnostic in diagnostics:
        location = diagnostic.location
        if location is None or not location.line:
            continue
        if location not in accounted or diagnostic.code == "ignored-option":
            state.ledger.outcome(location, diagnostic.message, "reported", diagnostic.code)
            accounted.add(location)
    return Conversion(
        spec=state.spec(),
        pins=state.pins.kept(state.sources.sources),
        diagnostics=tuple(diagnostics),
        outcomes=tuple(state.ledger.outcomes),
        roles=tuple(roles),
        demands=tuple(state.demands),
    )
