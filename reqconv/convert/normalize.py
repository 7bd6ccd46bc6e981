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
  candidate versions built from the specifiers' own versions (``_satisfiable``). A group entry
  that cannot hold with the main table's is a ``ConflictError`` too (uv installs and locks a group
  with the project's dependencies); two groups that cannot hold together are reported
  (``group-conflict``), since ``[tool.uv] conflicts`` can keep them apart. A ``-c`` constraint that
  excludes every version a requirement allows (same marker, or none) is a ``ConflictError``.
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
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from packaging.requirements import Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from reqconv import redact
from reqconv.errors import ConflictError, Location
from reqconv.model import (
    Conversion,
    Demand,
    Dependency,
    DependencySpec,
    Diagnostic,
    GroupItem,
    Include,
    IncludeGroup,
    Index,
    LineOutcome,
    Option,
    Pin,
    Req,
    ReqFile,
    Role,
    Source,
    UvSettings,
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

MAIN_KEY = "project.dependencies"
_PINS_KEY = "lock.pins"
_CONSTRAINTS_KEY = "tool.uv.constraint-dependencies"

# Options with no uv form, and why (https://docs.astral.sh/uv/pip/compatibility/).
_NO_UV_EQUIVALENT = {
    "prefer-binary": "uv has no --prefer-binary; pin a version with wheels or use no-build-package",
    "require-hashes": "uv.lock records hashes and `uv sync` verifies them; exports add --hash",
    "use-feature": "pip feature flags have no uv meaning",
    "use-deprecated": "pip feature flags have no uv meaning",
    "process-dependency-links": "removed from pip; use [tool.uv.sources]",
    "no-deps": "uv resolves dependencies of every package",
}
_PER_LINE_REASONS = {
    "--config-settings": "pip refuses a value that is not KEY=VALUE",
    "--global-option": "deprecated in pip; uv has no equivalent",
    "--install-option": "removed from pip; uv has no equivalent",
}


# --------------------------------------------------------------------------------------------
# Canonical strings


def format_requirement(
    name: str, extras: Sequence[str], specifier: SpecifierSet | str, marker: str | None
) -> str:
    """``name[extras]specifiers; marker`` with every part already normalized."""
    text = name
    if extras:
        text += "[" + ",".join(extras) + "]"
    text += _specifier_text(specifier)
    if marker:
        text += "; " + marker
    return text


# Lower bounds, then upper bounds, then exclusions: ">=2.6,<3,!=2.7.1", as people write them.
# (packaging's str(SpecifierSet) sorts by text, which gives "<3,>=2.6".)
_OPERATOR_RANK = {"===": 0, "==": 0, "~=": 1, ">=": 2, ">": 2, "<=": 3, "<": 3, "!=": 4}


def _specifier_text(specifier: SpecifierSet | str) -> str:
    if isinstance(specifier, str):
        return specifier
    ordered = sorted(specifier, key=lambda s: (_OPERATOR_RANK.get(s.operator, 5), str(s)))
    return ",".join(str(s) for s in ordered)


def _extras(extras: Iterable[str]) -> list[str]:
    return sorted({canonicalize_name(extra) for extra in extras})


def canonical(req: Requirement) -> str:
    """The normalized PEP 508 string of ``req``; a URL is kept (``name @ URL ; marker``: one
    uv must expand, as parsed requirements carry theirs in sources)."""
    marker = str(req.marker) if req.marker is not None else None
    if req.url:
        text = str(canonicalize_name(req.name))
        if req.extras:
            text += "[" + ",".join(_extras(req.extras)) + "]"
        return text + f" @ {req.url}" + (f" ; {marker}" if marker else "")
    return format_requirement(
        canonicalize_name(req.name), _extras(req.extras), req.specifier, marker
    )


def table_key(group: str | None) -> str:
    """The ``LineOutcome.key`` of a table: ``project.dependencies`` or ``dependency-groups.<g>``."""
    return MAIN_KEY if group is None else f"dependency-groups.{group}"


# --------------------------------------------------------------------------------------------
# Specifier merging and conflict detection


def _exact(spec: Specifier) -> Version | None:
    if spec.operator != "==" or spec.version.endswith(".*"):
        return None
    try:
        return Version(spec.version)
    except InvalidVersion:
        return None


def _candidates(specifiers: SpecifierSet) -> Iterator[Version]:
    yield Version("0")
    for spec in specifiers:
        text = spec.version.removesuffix(".*")
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        yield version
        base = version.base_version
        # Just above: 1.0 -> 1.0.1, 1.0.0.1 (``>1.0,<1.0.1``), 1.0.post1; just below: 0.9.
        for suffix in (".1", ".0.1", ".0.0.1", ".post1", ".dev0", "rc1"):
            yield Version(base + suffix)
        release = list(version.release)
        # The next release at each level: 1.4.5 -> 2, 1.5, 1.4.6 (``>=1,!=1.*`` holds for 2).
        for i in range(len(release)):
            yield Version(".".join(map(str, [*release[:i], release[i] + 1])))
        if release[-1] > 0:
            release[-1] -= 1
            yield Version(".".join(map(str, release)))
            yield Version(".".join(map(str, release)) + ".999")


def _satisfiable(specifiers: SpecifierSet) -> bool:
    """True unless no version can match (``==1`` with ``==2``, ``>=2`` with ``<1``).

    Probes the specifiers' own versions and their neighbours; ``===`` is never judged.
    """
    if not len(specifiers) or any(spec.operator == "===" for spec in specifiers):
        return True
    return any(specifiers.contains(v, prereleases=True) for v in _candidates(specifiers))


def compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    """True unless no version satisfies both ``a`` and ``b`` (as the merge of duplicates judges)."""
    return _satisfiable(a & b)


def _tighten(specifiers: SpecifierSet) -> SpecifierSet:
    """An exact pin absorbs every specifier it satisfies (``==1.2,>=1`` -> ``==1.2``); a bound
    another bound implies goes (``>=2.0,>=2.5`` -> ``>=2.5``)."""
    for spec in specifiers:
        version = _exact(spec)
        if version is not None and specifiers.contains(version, prereleases=True):
            return SpecifierSet(str(spec))
    kept = [s for s in specifiers if not any(_implies(t, s) for t in specifiers if t != s)]
    return specifiers if len(kept) == len(specifiers) else SpecifierSet(",".join(map(str, kept)))


def _bound(spec: Specifier) -> Version | None:
    """The version of a plain release bound (pre, post, dev and local releases are not judged)."""
    if spec.operator not in {">", ">=", "<", "<="}:
        return None
    try:
        version = Version(spec.version)
    except InvalidVersion:
        return None
    plain = not (version.pre or version.post is not None or version.dev is not None)
    return version if plain and version.local is None else None


def _implies(tighter: Specifier, looser: Specifier) -> bool:
    """Every version ``tighter`` allows, ``looser`` allows too (both bounds on the same side)."""
    t, s = _bound(tighter), _bound(looser)
    if t is None or s is None or tighter.operator[0] != looser.operator[0]:
        return False
    if t == s:
        return looser.operator.endswith("=") and not tighter.operator.endswith("=")
    return t > s if tighter.operator[0] == ">" else t < s


# --------------------------------------------------------------------------------------------
# Accumulators


@dataclass
class _Entry:
    name: NormalizedName
    marker: str | None
    specifier: SpecifierSet
    extras: set[str]
    origins: list[tuple[Location, str]]
    url: str | None = None  # a PEP 508 direct reference written in the entry itself (``${VAR}``)

    def dependency(self) -> Dependency:
        if self.url is not None:
            text = self.name + (f"[{','.join(sorted(self.extras))}]" if self.extras else "")
            text += f" @ {self.url}" + (f" ; {self.marker}" if self.marker else "")
            return Dependency(name=self.name, requirement=text)
        # Only a merge is tightened: a single line keeps the specifiers it was written with.
        specifier = _tighten(self.specifier) if len(self.origins) > 1 else self.specifier
        text = format_requirement(self.name, sorted(self.extras), specifier, self.marker)
        return Dependency(name=self.name, requirement=text)


@dataclass
class _Table:
    group: str | None
    items: list[_Entry | IncludeGroup] = field(default_factory=list)
    entries: dict[tuple[str, str | None], _Entry] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return table_key(self.group)


def _describe(origins: Sequence[tuple[Location, str]]) -> str:
    return ", ".join(f"{text!r} ({loc})" for loc, text in origins)


def _culprit(entry: _Entry, requirement: Requirement) -> list[tuple[Location, str]]:
    """The first line of ``entry`` that ``requirement`` cannot hold with."""
    culprits = [
        origin
        for origin in entry.origins
        if not _satisfiable(Requirement(origin[1]).specifier & requirement.specifier)
    ]
    return (culprits or entry.origins)[:1]


@dataclass
class _State:
    root: Path
    files: Mapping[Path, ReqFile]
    roles: Sequence[Role]
    tables: dict[str | None, _Table] = field(default_factory=dict)
    outcomes: list[LineOutcome] = field(default_factory=list)
    seen_outcomes: set[tuple[Location, str]] = field(default_factory=set)
    diagnostics: dict[Diagnostic, None] = field(default_factory=dict)  # an ordered set
    used_files: list[Path] = field(default_factory=list)
    hashed_files: set[Path] = field(default_factory=set)
    pins: dict[tuple[str, str], Pin] = field(default_factory=dict)
    demands: list[Demand] = field(default_factory=list)
    sources: dict[NormalizedName, tuple[Source, Location]] = field(default_factory=dict)
    direct: dict[NormalizedName, tuple[str, Location]] = field(default_factory=dict)  # ${VAR} URLs
    config_settings: dict[NormalizedName, dict[str, list[str]]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    index_names: dict[str, str] = field(default_factory=dict)  # url -> name
    find_links: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    constraint_lines: list[Req] = field(default_factory=list)
    prerelease: Literal["allow"] | None = None
    no_binary: list[str] = field(default_factory=list)
    no_build: list[str] = field(default_factory=list)
    insecure_hosts: list[str] = field(default_factory=list)
    no_index: bool = False
    options_seen: set[Location] = field(default_factory=set)

    # ---------------------------------------------------------------- bookkeeping

    def use(self, path: Path) -> ReqFile | None:
        reqfile = self.files.get(path)
        if reqfile is not None and path not in self.used_files:
            self.used_files.append(path)
        return reqfile

    def outcome(
        self,
        location: Location,
        text: str,
        outcome: Literal["converted", "mapped", "merged", "reported"],
        key: str,
    ) -> None:
        if (location, key) in self.seen_outcomes:
            return
        self.seen_outcomes.add((location, key))
        self.outcomes.append(
            LineOutcome(location=location, text=redact.redact_text(text), outcome=outcome, key=key)
        )

    def report(
        self,
        code: str,
        message: str,
        location: Location | None,
        text: str | None = None,
        severity: Literal["error", "warning", "info"] = "warning",
    ) -> None:
        diagnostic = Diagnostic(
            code=code, message=redact.redact_text(message), location=location, severity=severity
        )
        self.diagnostics.setdefault(diagnostic)
        if text is not None and location is not None:
            self.outcome(location, text, "reported", code)

    def table(self, group: str | None) -> _Table:
        if group not in self.tables:
            self.tables[group] = _Table(group=group)
        return self.tables[group]

    # ---------------------------------------------------------------- requirements

    def pin(self, req: Req, group: str | None, *, compiled: bool = False) -> None:
        specs = list(req.requirement.specifier)
        if req.source is not None or len(specs) != 1:
            return
        version = _exact(specs[0])
        if version is None:
            return
        key = (req.name, str(version))
        if key not in self.pins:
            marker = req.requirement.marker
            self.pins[key] = Pin(
                name=canonicalize_name(req.name),
                version=specs[0].version,
                origin=req.origin,
                hashes=req.hashes,
                group=group,
                marker=str(marker) if marker is not None else None,
                compiled=compiled,
            )

    def hashes(self, req: Req, reqfile: ReqFile) -> None:
        if req.hashes and reqfile.path not in self.hashed_files:
            self.hashed_files.add(reqfile.path)
            self.report(
                "hash-left-to-lock",
                f"per-line --hash values in {reqfile.path} have no pyproject form; "
                "they are kept as lock pins and uv.lock records hashes",
                Location(reqfile.path),
                severity="info",
            )

    def source(self, req: Req, reqfile: ReqFile) -> None:
        assert req.source is not None
        source = _rebase_source(req.source, reqfile.path.parent, self.root)
        if source.editable and source.kind != "path":
            # ``-e git+...``: uv installs git and URL sources as regular packages.
            self.report(
                "editable-vcs",
                f"{req.name} is installed from git as a regular package; uv makes only "
                "local path sources editable",
                req.origin,
                severity="info",
            )
            source = replace(source, editable=False)
        if _secret_userinfo(source.url):
            # The parser strips these; a second guard costs nothing (issue 2, item 6).
            self.report(
                "credentials-removed",
                f"credentials removed from the source URL of {req.name}; uv reads them from "
                "netrc, the keyring or UV_INDEX_* variables",
                req.origin,
            )
            source = replace(source, url=redact.strip_credentials(source.url))
        name = canonicalize_name(req.name)
        known = self.sources.get(name)
        if known is None and name in self.direct:  # a `name @ ${VAR}` URL elsewhere
            raise ConflictError(
                f"{name} comes from two different sources: {self.direct[name][1]} and "
                f"{req.origin}; "
                "keep one (uv has one [tool.uv.sources] entry per package)",
                req.origin,
            )
        if known is None:
            self.sources[name] = (source, req.origin)
        elif known[0] != source and (kept := _refined(known[0], source)) is not None:
            # One line names the repository's default branch, the other a ref of it: pip's
            # later install of the ref replaced the first (a different direct URL reinstalls),
            # and the ref is the one that says what is installed.
            first, second = (known[1], req.origin) if kept is source else (req.origin, known[1])
            self.report(
                "source-ref-kept",
                f"{name}: {second} names a ref of the repository that {first} takes at its default "
                "branch; the ref is kept for [tool.uv.sources]",
                req.origin,
                severity="info",
            )
            if kept is source:
                self.sources[name] = (source, req.origin)
        elif known[0] != source:
            raise ConflictError(
                f"{name} comes from two different sources: {known[1]} and {req.origin}; "
                "keep one (uv has one [tool.uv.sources] entry per package)",
                req.origin,
            )

    def config_setting(self, req: Req, option: str) -> bool:
        """``-C KEY=VALUE`` -> ``[tool.uv] config-settings-package``; False when not KEY=VALUE."""
        raw = option.split("=", 1)[1] if "=" in option else ""
        try:
            (value,) = shlex.split(raw)
        except ValueError:
            return False
        key, sep, setting = value.partition("=")
        if not sep or not key:
            return False
        name = canonicalize_name(req.name)
        values = self.config_settings.setdefault(name, {}).setdefault(key, [])
        if setting not in values:
            values.append(setting)  # pip makes a list of a key given twice
        self.outcome(req.origin, req.text, "mapped", f"tool.uv.config-settings-package.{name}")
        return True

    def env_reference(self, req: Req, url: str, table: _Table) -> None:
        """A source whose URL holds ``${VAR}``: uv expands it in a dependency's own URL only."""
        assert req.source is not None
        name = canonicalize_name(req.name)
        known = self.direct.get(name)
        if name in self.sources or (known is not None and known[0] != url):
            first = known[1] if known is not None else self.sources[name][1]
            raise ConflictError(
                f"{name} comes from two different sources: {first} and {req.origin}; keep one",
                req.origin,
            )
        self.direct[name] = (url, req.origin)
        variables = ", ".join(f"${{{v}}}" for v in dict.fromkeys(_ENV_RE.findall(url)))
        where = "[project] dependencies" if table.group is None else f"group {table.group!r}"
        editable = (
            "; it is installed as a regular package (uv makes only [tool.uv.sources] paths "
            "editable): write the path itself to keep it editable"
            if req.source.editable
            else ""
        )
        self.report(
            "url-from-env",
            f"{name}: uv expands {variables} in a dependency's own URL when it locks, not in "
            f"[tool.uv.sources]: written as '{name} @ {url}' in {where}; set {variables} where "
            f"`uv lock` runs (uv.lock records the value it had then){editable}",
            req.origin,
        )

    def is_project_itself(self, req: Req, reqfile: ReqFile) -> bool:
        source = req.source
        if source is None or source.kind != "path":
            return False
        return _rebase_source(source, reqfile.path.parent, self.root).path in {".", ""}

    def add_requirement(self, table: _Table, req: Req, reqfile: ReqFile) -> None:
        if self.is_project_itself(req, reqfile):
            # ``-e .``: uv sync installs the project itself; a self-dependency is an error in uv.
            extras = _extras(req.requirement.extras)
            with_extras = (
                f"; for its extras run `uv sync {' '.join(f'--extra {e}' for e in extras)}`"
                if extras
                else ""
            )
            self.report(
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
            if flag == "--config-settings" and self.config_setting(req, option):
                continue
            reason = _PER_LINE_REASONS.get(flag, "pyproject has no per-requirement pip options")
            # The line's fate says it: its requirement is converted, its option is not.
            self.report(
                "per-line-option",
                f"per-line option {option!r} of {req.name} was not carried over: {reason}",
                req.origin,
                req.text,
            )
        self.hashes(req, reqfile)
        self.pin(req, table.group)
        url = _env_reference(req.source) if req.source is not None else None
        if url is not None:
            self.env_reference(req, url, table)
        elif req.source is not None:
            self.source(req, reqfile)
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
        written = canonical(requirement)
        entry = table.entries.get((name, marker))
        if entry is None and self.restates_main(table, req, name, marker, url):
            # A group line that only restates a [project] entry: uv installs a group with the
            # project's dependencies, so writing it again would say nothing.
            self.outcome(req.origin, req.text, "merged", MAIN_KEY)
            return
        if entry is None:
            self.check_other_tables(table, req, name, marker, written)
            entry = _Entry(
                name=name,
                marker=marker,
                specifier=SpecifierSet(str(requirement.specifier)),
                extras={canonicalize_name(e) for e in requirement.extras},
                origins=[(req.origin, written)],
                url=url,
            )
            table.entries[(name, marker)] = entry
            table.items.append(entry)
            if req.source is None or url is not None:
                # A ${VAR} URL is the entry itself: `name @ URL` in the table.
                self.outcome(req.origin, req.text, "converted", table.key)
            else:
                # The name goes to the table; what the line is about, the URL, to the source.
                self.outcome(req.origin, req.text, "mapped", f"tool.uv.sources.{name}")
            return
        merged = entry.specifier & requirement.specifier
        if not _satisfiable(merged):
            raise ConflictError(
                f"conflicting requirements for {name}: {_describe(_culprit(entry, requirement))} "
                f"and {written!r} ({req.origin}) cannot both hold; keep one",
                req.origin,
            )
        entry.specifier = SpecifierSet(str(merged))
        entry.url = entry.url or url
        entry.extras |= {canonicalize_name(e) for e in requirement.extras}
        entry.origins.append((req.origin, written))
        self.outcome(req.origin, req.text, "merged", table.key)

    def restates_main(
        self, table: _Table, req: Req, name: NormalizedName, marker: str | None, url: str | None
    ) -> bool:
        """A group entry with the name, specifiers and marker of a [project] entry (its extras
        among the entry's), and no source of its own."""
        main = self.tables.get(None)
        if table.group is None or main is None or req.options:
            return False
        entry = main.entries.get((name, marker))
        if entry is None or entry.url != url or (req.source is not None and url is None):
            return False
        extras = {canonicalize_name(e) for e in req.requirement.extras}
        return entry.specifier == req.requirement.specifier and extras <= entry.extras

    def check_other_tables(
        self, table: _Table, req: Req, name: NormalizedName, marker: str | None, written: str
    ) -> None:
        """A group entry must hold with the main table (uv locks and installs them together)."""
        requirement = req.requirement
        if table.group is None or not _satisfiable(requirement.specifier):
            return  # a line that cannot hold by itself is written as it is
        main = self.tables.get(None)
        entry = main.entries.get((name, marker)) if main is not None else None
        if (
            entry is not None
            and _satisfiable(entry.specifier)
            and not _satisfiable(entry.specifier & requirement.specifier)
        ):
            raise ConflictError(
                f"conflicting requirements for {name}: {_describe(_culprit(entry, requirement))} "
                f"in [project] dependencies and {written!r} ({req.origin}) in group "
                f"{table.group!r} cannot both hold (uv installs a group with the project's "
                "dependencies, and locks them together); keep one",
                req.origin,
            )
        for other in self.tables.values():
            if other.group is None or other is table:
                continue
            entry = other.entries.get((name, marker))
            if (
                entry is None
                or not _satisfiable(entry.specifier)
                or _satisfiable(entry.specifier & requirement.specifier)
            ):
                continue
            pair = " }, { ".join(f'group = "{g}"' for g in sorted((other.group, table.group)))
            self.report(
                "group-conflict",
                f"{written!r} in group {table.group!r} and "
                f"{_describe(_culprit(entry, requirement))} in group {other.group!r} cannot both "
                "hold, and uv locks every group together: align them, or declare the groups "
                f"apart in pyproject.toml: [tool.uv] conflicts = [[{{ {pair} }}]]",
                req.origin,
            )
            return

    # ---------------------------------------------------------------- options

    def index(self, option: Option, default: bool) -> None:
        assert option.value is not None
        url = redact.strip_credentials(option.value.strip())
        credentials = redact.has_credentials(option.value)
        if url not in self.index_names:
            if default and any(ix.default for ix in self.indexes):
                # pip keeps the last --index-url; uv allows one default, so the first wins.
                self.report(
                    "second-index-url",
                    f"a second --index-url {redact.redact_text(option.value)} is written as an "
                    "extra index; uv allows one default index",
                    option.origin,
                )
                default = False
            name = index_name(url, set(self.index_names.values()))
            self.index_names[url] = name
            self.indexes.append(Index(name=name, url=url, default=default, origin=option.origin))
        # The same URL again (from another file, or with credentials this time) is one index.
        position = next(i for i, ix in enumerate(self.indexes) if ix.url == url)
        index = self.indexes[position]
        if default and not any(ix.default for ix in self.indexes):
            index = replace(index, default=True)
        if credentials:
            index = replace(index, needs_credentials=True)
            self.report("credentials-removed", _credentials_message(index), option.origin)
        self.indexes[position] = index

    def option(self, option: Option, reqfile: ReqFile) -> None:
        origin = option.origin
        text = f"--{option.name}" + (f" {option.value}" if option.value is not None else "")
        if origin in self.options_seen:
            return
        self.options_seen.add(origin)
        name = option.name
        value = option.value.strip() if option.value is not None else None
        needs_value = name in {
            "index-url",
            "extra-index-url",
            "find-links",
            "no-binary",
            "only-binary",
            "trusted-host",
        }
        if needs_value and not value:
            self.report("no-uv-equivalent", f"--{name} has no value; ignored", origin, text)
            return
        assert value is not None or not needs_value
        if value is not None and "${" in redact.strip_credentials(value):
            # uv does not expand variables in pyproject.toml settings; its environment does.
            variable = {
                "index-url": "UV_DEFAULT_INDEX",
                "extra-index-url": "UV_INDEX",
                "find-links": "UV_FIND_LINKS",
            }.get(name)
            hint = f"set {variable}={value} where uv runs" if variable else "set it by hand"
            self.report(
                "url-from-env",
                f"--{name} {value}: uv does not expand variables in pyproject.toml; {hint}",
                origin,
                text,
            )
            return
        if name in {"index-url", "extra-index-url"}:
            self.index(option, default=name == "index-url")
            self.outcome(origin, text, "mapped", "tool.uv.index")
        elif name == "find-links":
            assert value is not None
            if "://" in value:
                link = redact.strip_credentials(value)
                if redact.has_credentials(value):
                    self.report(
                        "credentials-removed",
                        f"credentials removed from find-links {link}; uv reads them from "
                        "netrc or the keyring",
                        origin,
                    )
            else:
                link = _rebase(value, reqfile.path.parent, self.root)
            if link not in self.find_links:
                self.find_links.append(link)
            self.outcome(origin, text, "mapped", "tool.uv.find-links")
        elif name == "pre":
            self.prerelease = "allow"
            self.outcome(origin, text, "mapped", "tool.uv.prerelease")
        elif name in {"no-binary", "only-binary"}:
            assert value is not None
            target, other = (
                (self.no_binary, self.no_build)
                if name == "no-binary"
                else (self.no_build, self.no_binary)
            )
            key = "tool.uv.no-binary" if name == "no-binary" else "tool.uv.no-build"
            _binary_option(target, other, value)
            self.outcome(origin, text, "mapped", key)
        elif name == "trusted-host":
            assert value is not None
            if value not in self.insecure_hosts:
                self.insecure_hosts.append(value)
            self.outcome(origin, text, "mapped", "tool.uv.allow-insecure-host")
        elif name == "no-index":
            self.no_index = True
            self.outcome(origin, text, "mapped", "tool.uv.no-index")
        else:
            reason = _NO_UV_EQUIVALENT.get(name, "uv has no equivalent setting")
            severity: Literal["warning", "info"] = "info" if name == "require-hashes" else "warning"
            self.report(
                "no-uv-equivalent",
                f"--{name} was not carried over: {reason}",
                origin,
                text,
                severity=severity,
            )

    # ---------------------------------------------------------------- files

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
        self.report(
            "include-not-found",
            f"{_include_text(include)}: the file was not read; its requirements are not converted",
            include.origin,
            _include_text(include),
            severity="error" if include.kind == "requirement" else "warning",
        )

    def walk(self, path: Path, table: _Table, visiting: set[Path]) -> None:
        """Every line of ``path`` (includes followed) into ``table``."""
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                self.add_requirement(table, line, reqfile)
            elif isinstance(line, Option):
                self.option(line, reqfile)
            elif line.kind == "constraint":
                self.constraint_include(line, reqfile, visiting)
            else:
                self.requirement_include(line, table, visiting)

    def requirement_include(self, include: Include, table: _Table, visiting: set[Path]) -> None:
        text = _include_text(include)
        target = include.path
        role = self.role_of(target) or self.compiled_role_of(target)
        if role is not None and (role.group is None or role.group == table.group):
            # Another role feeds that table itself: a group holds only its own additions.
            self.outcome(include.origin, text, "merged", table_key(role.group))
            return
        if role is not None and table.group is not None:
            assert role.group is not None
            item = IncludeGroup(group=role.group)
            if item not in table.items:
                table.items.append(item)
            self.outcome(include.origin, text, "converted", table.key)
            return
        if target in visiting:
            # A cycle: the parser has reported it.
            self.outcome(include.origin, text, "merged", table.key)
            return
        if target not in self.files:
            self.missing(include)
            return
        self.outcome(include.origin, text, "merged", table.key)
        self.walk(target, table, visiting)

    def constraint_include(self, include: Include, reqfile: ReqFile, visiting: set[Path]) -> None:
        text = _include_text(include)
        target = include.path
        if self.compiled_role_of(target) is not None:
            self.outcome(include.origin, text, "merged", _PINS_KEY)
            return
        if target in visiting:
            self.outcome(include.origin, text, "merged", _CONSTRAINTS_KEY)
            return
        if target not in self.files:
            self.missing(include)
            return
        self.outcome(include.origin, text, "mapped", _CONSTRAINTS_KEY)
        self.constraints_from(target, visiting | {reqfile.path})

    def constraints_from(self, path: Path, visiting: set[Path]) -> None:
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                if line.source is not None:
                    self.report(
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
                self.outcome(line.origin, line.text, "mapped", _CONSTRAINTS_KEY)
            elif isinstance(line, Option):
                self.option(line, reqfile)
            elif line.path in visiting:
                self.outcome(line.origin, _include_text(line), "merged", _CONSTRAINTS_KEY)
            elif line.path not in self.files:
                self.missing(line)
            else:
                self.outcome(line.origin, _include_text(line), "mapped", _CONSTRAINTS_KEY)
                self.constraints_from(line.path, visiting)

    def compiled(self, path: Path, group: str | None, visiting: set[Path]) -> None:
        """A compiled ``.txt``: its pins feed the lock; its options still map to uv settings."""
        reqfile = self.use(path)
        if reqfile is None or path in visiting:
            return
        visiting = visiting | {path}
        for line in _lines(reqfile):
            if isinstance(line, Req):
                self.hashes(line, reqfile)
                if canonicalize_name(line.name) in self.sources:
                    # Its version comes from the source the ``.in`` gives it.
                    self.compiled_source(line, reqfile)
                    self.outcome(line.origin, line.text, "merged", f"tool.uv.sources.{line.name}")
                    continue
                if canonicalize_name(line.name) in self.direct:  # the .in's `name @ ${VAR}` URL
                    self.outcome(line.origin, line.text, "merged", _PINS_KEY)
                    continue
                self.compiled_pin_outside(line, group)
                self.pin(line, group, compiled=True)
                self.outcome(line.origin, line.text, "mapped", _PINS_KEY)
            elif isinstance(line, Option):
                self.option(line, reqfile)
            else:
                self.outcome(line.origin, _include_text(line), "merged", _PINS_KEY)
                if line.kind == "requirement" and line.path in self.files:
                    self.compiled(line.path, group, visiting)

    def compiled_source(self, line: Req, reqfile: ReqFile) -> None:
        """A compiled line installed another source (a git tag, a URL) than the ``.in`` asks for:
        the lock follows the ``.in``; what production ran is said, with both lines."""
        name = canonicalize_name(line.name)
        wanted, where = self.sources[name]
        installed = (
            _rebase_source(line.source, reqfile.path.parent, self.root) if line.source else None
        )
        if installed is not None and _source_text(installed) == _source_text(wanted):
            return
        was = _source_text(installed) if installed is not None else str(line.requirement)
        now = _source_text(wanted)
        self.report(
            "compiled-source-differs",
            f"{name}: the compiled file installed {was}, but {where} asks for {now}; the lock "
            f"follows {where}. To keep what production runs, write {was} there; else re-run "
            "pip-compile so that both files agree",
            line.origin,
            line.text,
        )

    def compiled_pin_outside(self, line: Req, group: str | None) -> None:
        """A compiled pin that its own ``.in`` excludes (the ``.txt`` is older than the ``.in``)."""
        specs = list(line.requirement.specifier)
        if len(specs) != 1 or _exact(specs[0]) is None:
            return
        version = specs[0].version
        name = canonicalize_name(line.name)
        for demand in self.demands:
            if demand.name != name or demand.group != group or not demand.specifier:
                continue
            if not SpecifierSet(demand.specifier).contains(version, prereleases=True):
                self.report(
                    "compiled-pin-differs",
                    f"{name}: the compiled file installed {name}=={version}, but "
                    f"{demand.origin} asks for {name}{demand.specifier}; the lock follows "
                    f"{demand.origin} (re-run pip-compile so that both files agree)",
                    line.origin,
                    line.text,
                )
                return

    def check_constraints(self) -> None:
        """A constraint must leave room for the requirements it applies to (uv lock would fail)."""
        if not self.constraint_lines:
            return
        by_name: dict[str, list[tuple[_Table, _Entry]]] = {}
        for table in self.tables.values():
            for (name, _), entry in table.entries.items():
                by_name.setdefault(name, []).append((table, entry))
        for line in self.constraint_lines:
            constraint = line.requirement
            marker = str(constraint.marker) if constraint.marker is not None else None
            if not _satisfiable(constraint.specifier):
                continue
            for table, entry in by_name.get(line.name, []):
                if marker is not None and marker != entry.marker:
                    continue  # applies elsewhere; not judged
                if _satisfiable(entry.specifier) and not _satisfiable(
                    entry.specifier & constraint.specifier
                ):
                    where = (
                        "[project] dependencies"
                        if table.group is None
                        else f"group {table.group!r}"
                    )
                    raise ConflictError(
                        f"conflicting requirements for {line.name}: "
                        f"{_describe(_culprit(entry, constraint))} in {where} and the constraint "
                        f"{canonical(constraint)!r} ({line.origin}) cannot both hold; keep one",
                        line.origin,
                    )

    # ---------------------------------------------------------------- result

    def spec(self) -> DependencySpec:
        main = self.tables.get(None)
        dependencies = tuple(
            item.dependency() for item in (main.items if main else []) if isinstance(item, _Entry)
        )
        groups: list[tuple[str, tuple[GroupItem, ...]]] = []
        for group, table in self.tables.items():
            if group is None:
                continue
            items: tuple[GroupItem, ...] = tuple(
                item.dependency() if isinstance(item, _Entry) else item for item in table.items
            )
            groups.append((group, items))
        uv = UvSettings(
            indexes=tuple(self.indexes),
            sources=tuple((name, source) for name, (source, _) in self.sources.items()),
            find_links=tuple(self.find_links),
            constraints=tuple(self.constraints),
            prerelease=self.prerelease,
            no_binary=tuple(self.no_binary),
            no_build=tuple(self.no_build),
            allow_insecure_host=tuple(self.insecure_hosts),
            no_index=self.no_index,
            config_settings_package=tuple(
                (
                    name,
                    tuple(
                        (key, values[0] if len(values) == 1 else tuple(values))
                        for key, values in settings.items()
                    ),
                )
                for name, settings in self.config_settings.items()
            ),
        )
        return DependencySpec(dependencies=dependencies, groups=tuple(groups), uv=uv)


# --------------------------------------------------------------------------------------------
# Helpers


def _source_text(source: Source) -> str:
    """A source as one comparable, redacted text: ``git+URL@REF#subdirectory=...``, a URL, a path."""
    if source.kind == "path":
        return source.path
    ref = source.tag or source.rev or source.branch
    text = ("git+" if source.kind == "git" else "") + source.url + (f"@{ref}" if ref else "")
    if source.subdirectory:
        text += f"#subdirectory={source.subdirectory}"
    return redact.redact_text(text)


def _lines(reqfile: ReqFile) -> list[Req | Option | Include]:
    """A file's lines in file order (the parser lists each kind apart)."""
    lines: list[Req | Option | Include] = [
        *reqfile.requirements,
        *reqfile.options,
        *reqfile.includes,
    ]
    return sorted(lines, key=lambda line: line.origin.line)


_ENV_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")  # what pip and uv expand: ${NAME}, upper case


def _env_reference(source: Source) -> str | None:
    """``source`` as a PEP 508 URL when it holds ``${VAR}`` (uv expands it there, not in
    ``[tool.uv.sources]``); None when it holds none."""
    ref = source.tag or source.rev or source.branch
    if source.kind == "git":
        text = f"git+{source.url}" + (f"@{ref}" if ref else "")
    elif source.kind == "url":
        text = source.url
    else:
        text = source.path
    if source.subdirectory:
        text += f"#subdirectory={source.subdirectory}"
    return text if _ENV_RE.search(text) else None


def _secret_userinfo(url: str) -> bool:
    """Userinfo that is a secret: not the login name of ``ssh://git@host`` (as the parser keeps)."""
    if not redact.has_credentials(url):
        return False
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return not (parts.scheme.lower() == "ssh" and ":" not in userinfo and "$" not in userinfo)


def _credentials_message(index: Index) -> str:
    prefix = index.env_prefix
    return (
        f"credentials removed from index {index.name!r} ({index.url}); set {prefix}_USERNAME "
        f"and {prefix}_PASSWORD for uv"
    )


def rename_indexes(conversion: Conversion, names: Mapping[str, str]) -> Conversion:
    """``conversion`` with its credentials messages naming each index as the written pyproject
    does (``names``: URL without trailing ``/`` -> name): uv reads ``UV_INDEX_<NAME>_...`` by the
    name in the file, which may be an existing index's or carry a ``-2``."""
    messages: dict[str, str] = {}
    for index in conversion.spec.uv.indexes:
        name = names.get(index.url.rstrip("/"))
        if index.needs_credentials and name is not None and name != index.name:
            old = redact.redact_text(_credentials_message(index))
            messages[old] = redact.redact_text(_credentials_message(replace(index, name=name)))
    if not messages:
        return conversion
    diagnostics = tuple(
        replace(d, message=messages[d.message])
        if d.code == "credentials-removed" and d.message in messages
        else d
        for d in conversion.diagnostics
    )
    return replace(conversion, diagnostics=diagnostics)


def _include_text(include: Include) -> str:
    return f"{'-r' if include.kind == 'requirement' else '-c'} {include.target}"


def _binary_option(target: list[str], other: list[str], value: str) -> None:
    """pip's ``--no-binary``/``--only-binary`` value: names, ``:all:`` or ``:none:`` (clears).

    As pip's ``handle_mutual_excludes``: ``:all:`` clears the other option too, and a name leaves
    the other option's list (``--no-binary x`` then ``--only-binary x``: x is binary only).
    """
    for raw in value.split(","):
        part = raw.strip()
        if not part:
            continue
        if part == ":none:":
            target.clear()
        elif part == ":all:":
            other.clear()
            target[:] = [":all:"]
        else:
            name = canonicalize_name(part)
            if name in other:
                other.remove(name)
            if target != [":all:"] and name not in target:
                target.append(name)


def _rebase(path: str, base: Path, root: Path) -> str:
    """``path`` (relative to ``base``) as a POSIX path relative to ``root``; absolute stays."""
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute() or re.match(r"^[A-Za-z]:/", posix):
        return posix
    if "://" in posix or posix.startswith("${"):
        return path
    joined = posixpath.normpath((base / posix).as_posix())
    relative = posixpath.relpath(joined, root.as_posix())
    return relative


def _refined(a: Source, b: Source) -> Source | None:
    """Of two git sources of one repository where exactly one names a ref (tag, rev or branch), that
    one; else None (a real conflict)."""
    if a.kind != "git" or b.kind != "git" or a.url.rstrip("/") != b.url.rstrip("/"):
        return None
    if a.subdirectory != b.subdirectory:
        return None
    a_ref = a.tag or a.rev or a.branch
    b_ref = b.tag or b.rev or b.branch
    if (a_ref is None) == (b_ref is None):
        return None
    return a if a_ref is not None else b


def _rebase_source(source: Source, base: Path, root: Path) -> Source:
    if source.kind != "path":
        return replace(source, base=None) if source.base is not None else source
    folder = source.base if source.base is not None else base
    return replace(source, path=_rebase(source.path, folder, root), base=root)


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG_RE.sub("-", text.lower()).strip("-")


def index_name(url: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A stable ``[[tool.uv.index]]`` name for ``url`` (no credentials), unique among ``taken``.

    The host slug (``pypi.example.com`` -> ``pypi-example-com``); when taken, the slug of host and
    path without a trailing ``simple``; when that is taken too, ``-2``, ``-3``...
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        path = parts.path
    except ValueError:
        host, path = "", url
    base = _slug(host) or "index"
    if base not in taken:
        return base
    path_slug = _slug(re.sub(r"/simple/?$", "", path))
    if path_slug:
        base = f"{base}-{path_slug}"
        if base not in taken:
            return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# --------------------------------------------------------------------------------------------
# Entry point


def convert(files: Mapping[Path, ReqFile], roles: Sequence[Role], root: Path) -> Conversion:
    """Normalize the role files (includes followed) into what pyproject and the lock step need."""
    state = _State(root=root, files=files, roles=roles)
    for role in roles:
        if role.path in files:
            state.walk(role.path, state.table(role.group), set())
    for role in roles:
        if role.compiled is not None:
            state.compiled(role.compiled, role.group, set())
    state.check_constraints()
    # The parser's diagnostics of every file used, then ours; each once, in order.
    diagnostics = list(
        dict.fromkeys(
            [*(d for path in state.used_files for d in files[path].diagnostics), *state.diagnostics]
        )
    )
    # A line the parser could not turn into an entry (an unnamed URL, a cut cycle) is accounted
    # for by its diagnostic.
    # A line whose option the parser dropped (pip ignores it) says so even when its requirement
    # was converted.
    accounted = {outcome.location for outcome in state.outcomes}
    for diagnostic in diagnostics:
        location = diagnostic.location
        if location is None or not location.line:
            continue
        if location not in accounted or diagnostic.code == "ignored-option":
            state.outcome(location, diagnostic.message, "reported", diagnostic.code)
            accounted.add(location)
    return Conversion(
        spec=state.spec(),
        # A package with a source takes its version from there, not from a pin.
        pins=tuple(pin for pin in state.pins.values() if pin.name not in state.sources),
        diagnostics=tuple(diagnostics),
        outcomes=tuple(state.outcomes),
        roles=tuple(roles),
        demands=tuple(state.demands),
    )
