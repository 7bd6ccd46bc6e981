"""Typed data passed between the pure core modules (parse -> normalize -> pyproject/uv/dockerfile).

Frozen, keyword-only, slotted dataclasses in the style of packaging's ``pylock.py``. No I/O here and no
third-party import except ``packaging``. Behaviour lives in plain functions in the core modules.
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Literal

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from reqconv.errors import Location
from reqconv.frozen import frozen

__all__ = [
    "Conversion",
    "Demand",
    "Dependency",
    "DependencySpec",
    "Diagnostic",
    "FileChange",
    "GroupItem",
    "Include",
    "IncludeGroup",
    "Index",
    "LineOutcome",
    "LockSummary",
    "LockedPackage",
    "LockedRequirement",
    "Option",
    "Pin",
    "ProjectMeta",
    "Req",
    "ReqFile",
    "Role",
    "Source",
    "Unnamed",
    "UvSettings",
]


# --------------------------------------------------------------------------------------------
# Diagnostics


@frozen(kw_only=True)
class Diagnostic:
    """Something reqconv could not carry over, or changed, and tells the user about.

    ``code`` is a short stable id (``hash-left-to-lock``, ``unsupported-option``, ``credentials-removed``,
    ``build-machine-path``, ``include-cycle``, ...) used by tests and the JSON report.
    """

    code: str
    message: str
    location: Location | None = None
    # "error": a requirement the result would lack (an ``-r`` not followed): convert refuses the
    # run at it, as it does bad input, rather than write a result without it.
    severity: Literal["error", "warning", "info"] = "warning"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location is not None else ""
        return f"{where}{self.severity}: {self.message}"


# --------------------------------------------------------------------------------------------
# Parsed requirements files (requirements/parse.py produces these)


@frozen(kw_only=True)
class Source:
    """Where a requirement comes from when it is not an index: ``[tool.uv.sources]`` material.

    ``url`` never holds credentials (the parser strips them and reports it). For ``git`` it is the
    repository URL without ``git+``, ``@ref`` or fragment; for ``url`` the archive URL; for ``path``
    ``path`` is the location as written, relative to ``base`` (the folder of the requirements file).
    """

    kind: Literal["git", "url", "path"]
    url: str = ""
    path: str = ""
    base: Path | None = None
    tag: str | None = None
    rev: str | None = None
    branch: str | None = None
    subdirectory: str | None = None
    editable: bool = False


@frozen(kw_only=True)
class Req:
    """One requirement line.

    ``requirement`` has the name, extras, specifier and marker; its ``url`` is always ``None`` (a
    direct reference lives in ``source``). ``text`` is the logical line as written (continuations
    joined, comment dropped, credentials redacted).
    """

    name: NormalizedName
    requirement: Requirement
    origin: Location
    text: str
    source: Source | None = None
    hashes: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # per-line options other than --hash, as written


@frozen(kw_only=True)
class Unnamed:
    """A URL or path requirement whose line gives no package name (no ``#egg=``, no ``name @``).

    ``requirements.parse.name_unnamed`` turns it into a ``Req`` once the name is known
    (``--name-url``, or uv reading the URL's metadata; see ``convert/names.py``); until then it is
    carried by nothing.
    ``location`` is the URL or path as written with credentials redacted (what messages show and
    ``--name-url`` matches); ``target`` is the same as written, the text uv is given (it may hold
    credentials: never print it). ``askable``: a git or archive URL whose metadata uv can read.
    ``why``: why the line's own files give no name (empty for a URL).
    """

    origin: Location
    text: str
    location: str
    target: str
    source: Source | None
    extras: str = ""  # "[a,b]" as written, or ""
    marker: str = ""
    editable: bool = False
    hashes: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    askable: bool = False
    why: str = ""


@frozen(kw_only=True)
class Option:
    """A global option line (``--index-url URL``, ``--pre``, ``--only-binary :all:`` ...).

    ``name`` is pip's long option name without dashes (``index-url``, ``extra-index-url``,
    ``find-links``, ``no-index``, ``pre``, ``only-binary``, ``no-binary``, ``prefer-binary``,
    ``trusted-host``, ``require-hashes``, ``use-feature``, ...). ``value`` is as written, ``${VAR}``
    references kept; it may hold credentials, so never print it unredacted.
    """

    name: str
    value: str | None
    origin: Location


@frozen(kw_only=True)
class Include:
    """A ``-r``/``-c`` line. ``path`` is resolved relative to the including file's folder."""

    kind: Literal["requirement", "constraint"]
    target: str
    path: Path
    origin: Location


@frozen(kw_only=True)
class ReqFile:
    """One requirements file, its own lines only (includes are listed, not inlined)."""

    path: Path
    requirements: tuple[Req, ...] = ()
    options: tuple[Option, ...] = ()
    includes: tuple[Include, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    compiled: bool = False  # pip-compile / uv pip compile header or ``# via`` annotations seen
    line_count: int = 0
    unnamed: tuple[Unnamed, ...] = ()  # URL and path lines without a name, still to be named


# --------------------------------------------------------------------------------------------
# Discovery (which file feeds which table)


@frozen(kw_only=True)
class Role:
    """A requirements file and where its direct dependencies go.

    ``group is None`` means ``[project] dependencies``. ``compiled`` is the pinned ``.txt`` beside an
    ``.in`` file: its pins feed the lock step, not pyproject. ``variant``: the file is one of the
    service's alternative requirement sets (docs/variants.md): ``group`` is the set's name, what
    every set shares goes to ``[project] dependencies``, and the sets are declared apart with
    ``[tool.uv] conflicts``.
    """

    path: Path
    group: str | None = None
    compiled: Path | None = None
    variant: bool = False


# --------------------------------------------------------------------------------------------
# What gets written (convert/normalize.py produces these; project/pyproject.py writes and reads them)


@frozen(kw_only=True)
class Dependency:
    """A normalized PEP 508 string as written to pyproject (no URL: sources carry those)."""

    name: NormalizedName
    requirement: str


@frozen(kw_only=True)
class IncludeGroup:
    """PEP 735 ``{include-group = "name"}``."""

    group: str


GroupItem = Dependency | IncludeGroup


@frozen(kw_only=True)
class Index:
    """A ``[[tool.uv.index]]`` entry. ``url`` has no credentials and no ``${VAR}`` userinfo."""

    name: str
    url: str
    default: bool = False
    origin: Location | None = None
    needs_credentials: bool = False

    @property
    def env_prefix(self) -> str:
        """uv reads ``UV_INDEX_<NAME>_USERNAME`` / ``_PASSWORD`` (name upper-cased, ``-`` -> ``_``)."""
        return "UV_INDEX_" + self.name.upper().replace("-", "_").replace(".", "_")


@frozen(kw_only=True)
class UvSettings:
    """``[tool.uv]`` material that has no PEP 621 form."""

    indexes: tuple[Index, ...] = ()
    sources: tuple[tuple[NormalizedName, Source], ...] = ()
    find_links: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    prerelease: Literal["allow"] | None = None
    no_binary: tuple[str, ...] = ()  # (":all:",) for all packages
    no_build: tuple[str, ...] = ()
    allow_insecure_host: tuple[str, ...] = ()
    no_index: bool = False
    # ``-C KEY=VALUE`` of a requirement line: package -> ((key, value or values), ...)
    config_settings_package: tuple[
        tuple[NormalizedName, tuple[tuple[str, str | tuple[str, ...]], ...]], ...
    ] = ()
    # ``[tool.uv] conflicts``: each tuple names groups uv must never install together
    conflicts: tuple[tuple[str, ...], ...] = ()


@frozen(kw_only=True)
class DependencySpec:
    """Everything reqconv manages in a pyproject.toml."""

    dependencies: tuple[Dependency, ...] = ()
    groups: tuple[tuple[str, tuple[GroupItem, ...]], ...] = ()
    uv: UvSettings = field(default_factory=UvSettings)
    # ``[tool.reqconv] variants``: each alternative set's group and its requirements file
    # (service-relative POSIX path), so that later runs (lock, check, add) read the sets again
    variants: tuple[tuple[str, str], ...] = ()

    def group(self, name: str) -> tuple[GroupItem, ...]:
        for group_name, items in self.groups:
            if group_name == name:
                return items
        return ()


@frozen(kw_only=True)
class ProjectMeta:
    """What a new pyproject.toml gets besides dependencies."""

    name: str
    version: str = "0.1.0"
    requires_python: str | None = None
    # False -> ``[tool.uv] package = false`` (an application, not installed itself); True ->
    # ``package = true`` (``-e .`` of a setup.py folder: uv builds it); None -> no key (a
    # ``[build-system]`` makes it a package).
    package: bool | None = False
    dynamic: tuple[str, ...] = ()  # [project].dynamic: metadata setup.py/setup.cfg keeps giving


@frozen(kw_only=True)
class Pin:
    """An exact version the requirements pinned: the lock must keep it, or say why not.

    ``group`` is the table of the file it came from (``None``: production); ``compiled`` is true
    for a compiled ``.txt`` line (what was installed, not a requirement of pyproject.toml).
    """

    name: NormalizedName
    version: str
    origin: Location
    hashes: tuple[str, ...] = ()
    group: str | None = None
    marker: str | None = None
    compiled: bool = False


@frozen(kw_only=True)
class Demand:
    """A requirement line as the lock step sees it: what it asks of one package, from where.

    When a pinned version cannot hold, the demands whose specifier excludes it are the reason.
    """

    name: NormalizedName
    specifier: str
    origin: Location
    group: str | None = None
    marker: str | None = None


@frozen(kw_only=True)
class LineOutcome:
    """What happened to one input line, for the JSON report: nothing is dropped in silence.

    ``outcome`` is ``converted`` (a dependency entry; ``key`` is the table, e.g.
    ``project.dependencies`` or ``dependency-groups.dev``), ``mapped`` (a uv setting; ``key`` e.g.
    ``tool.uv.index``), ``merged`` (an include or a duplicate folded into another entry) or
    ``reported`` (``key`` is the diagnostic code).
    """

    location: Location
    text: str
    outcome: Literal["converted", "mapped", "merged", "reported"]
    key: str


@frozen(kw_only=True)
class Conversion:
    """The result of normalizing a service's requirements files."""

    spec: DependencySpec
    pins: tuple[Pin, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    outcomes: tuple[LineOutcome, ...] = ()
    roles: tuple[Role, ...] = ()
    demands: tuple[Demand, ...] = ()  # every requirement line of a table, for the lock's reasons


# --------------------------------------------------------------------------------------------
# Locking (uv.py reads uv.lock into these)


@frozen(kw_only=True)
class LockedRequirement:
    """One entry of ``requires-dist``, ``requires-dev`` or ``[manifest]`` as uv.lock records it.

    ``marker`` is uv's rewriting (``python_full_version``, ``extra == '...'``); ``source`` names a
    ``git``/``path``/``url``/``editable``/``directory``/``index`` key when the entry has one.
    """

    name: NormalizedName
    extras: tuple[str, ...] = ()
    specifier: str = ""
    marker: str | None = None
    source: str = ""


Edge = tuple[NormalizedName, tuple[str, ...]]  # a dependency edge: (name, extras it pulls in)


@frozen(kw_only=True)
class LockedPackage:
    """One ``[[package]]`` of uv.lock. ``hashes`` are ``sha256:...`` of its wheels and sdist.

    ``root`` is the project itself (source ``"."``); only a root has ``requires_dist`` and
    ``requires_dev`` (its recorded inputs, ``[package.metadata]``).
    """

    name: NormalizedName
    version: str | None
    source: str = ""  # "registry", "git", "path", "url", "editable", "virtual", "directory"
    hashes: tuple[str, ...] = ()
    root: bool = False
    dependencies: tuple[Edge, ...] = ()
    optional: tuple[tuple[str, tuple[Edge, ...]], ...] = ()
    dev: tuple[tuple[str, tuple[Edge, ...]], ...] = ()
    requires_dist: tuple[LockedRequirement, ...] = ()
    requires_dev: tuple[tuple[str, tuple[LockedRequirement, ...]], ...] = ()


@frozen(kw_only=True)
class LockSummary:
    """What reqconv needs to know of a uv.lock (read with tomllib, never written by reqconv)."""

    requires_python: str | None = None
    packages: tuple[LockedPackage, ...] = ()
    constraints: tuple[LockedRequirement, ...] = ()  # [manifest] constraints
    overrides: tuple[LockedRequirement, ...] = ()  # [manifest] overrides

    def version_of(self, name: str) -> str | None:
        for package in self.packages:
            if package.name == name:
                return package.version
        return None


@frozen(kw_only=True)
class FileChange:
    """The planned content of one file (``before is None``: the file does not exist yet)."""

    path: Path
    before: bytes | None
    after: bytes
    before_text: str
    after_text: str

    @property
    def changed(self) -> bool:
        return self.before != self.after
