"""Drift between a service's requirements files, pyproject.toml, uv.lock, exports and Dockerfiles.

Pure comparisons of texts and models the caller has read (``commands/check.py`` reads them): each
returns a list of ``Finding``. Nothing here reads, writes, resolves or runs uv. ``CODES`` is the one
registry of finding codes; docs/check.md lists it and a test keeps the two equal.

Markers are compared by meaning, not by spelling: uv rewrites ``python_version`` as
``python_full_version``, ``~=`` as a pair of bounds, an extra as ``extra == '...'`` and reorders
``or``/``and`` terms. Two markers are the same when they agree on every environment of a grid built
from the values either of them names (bounds and their neighbours), within ``requires-python``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from reqconv.errors import Location

if TYPE_CHECKING:
    from reqconv.model import Conversion, DependencySpec, LockedRequirement, LockSummary, ReqFile

__all__ = [
    "CODES",
    "Code",
    "Export",
    "Finding",
    "codes_table",
    "compare_compiled",
    "compare_copy_sources",
    "compare_dockerfile_locks",
    "compare_exports",
    "compare_hashes",
    "compare_lock",
    "compare_pip_left",
    "compare_requirements",
    "compare_uv_image",
    "parse_export",
    "same_marker",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Code:
    """One kind of finding: its stable code, a short name, the command that fixes it, an example."""

    code: str
    name: str
    kind: str  # requirements, lock, exports, dockerfiles, missing, strict
    fix: str
    summary: str
    example: str


#: Every finding code reqconv check reports (docs/check.md lists exactly these).
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            code="R101",
            name="requirement-not-in-pyproject",
            kind="requirements",
            fix="reqconv convert",
            summary="A requirements line whose dependency pyproject.toml does not list.",
            example="requirements.txt:4: R101: 'httpx>=0.27' is not in [project] dependencies",
        ),
        Code(
            code="R102",
            name="requirement-differs",
            kind="requirements",
            fix="reqconv convert",
            summary="A requirements line that pyproject.toml lists with other specifiers, extras "
            "or markers.",
            example="requirements.txt:2: R102: 'beta==2.0' is 'beta==1.5' in [project] dependencies",
        ),
        Code(
            code="R103",
            name="options-differ",
            kind="requirements",
            fix="reqconv convert",
            summary="An index, find-links, constraint, source or other option of the requirements "
            "files that pyproject.toml does not hold.",
            example="requirements.txt:1: R103: '--extra-index-url https://pypi.example.com/simple' "
            "is not in [[tool.uv.index]]",
        ),
        Code(
            code="R104",
            name="compiled-pin-differs",
            kind="requirements",
            fix="reqconv lock --upgrade-package NAME (or re-run pip-compile)",
            summary="A pin of a pip-compile output (the .txt beside its .in) that uv.lock holds "
            "at another version.",
            example="requirements.txt:12: R104: alpha==1.0 is locked at 2.0 in uv.lock",
        ),
        Code(
            code="R105",
            name="hash-not-in-lock",
            kind="requirements",
            fix="reqconv lock (then re-run pip-compile --generate-hashes)",
            summary="A --hash in a requirements file that matches nothing uv.lock records for "
            "the package: pip would refuse the file.",
            example="requirements.txt:3: R105: beta==1.5: none of its 1 --hash values is one "
            "uv.lock records for beta",
        ),
        Code(
            code="L201",
            name="not-in-lock",
            kind="lock",
            fix="reqconv lock",
            summary="A requirement of pyproject.toml that uv.lock did not lock (pyproject was "
            "edited after the last lock).",
            example="pyproject.toml:8: L201: 'zeta>=1' ([project] dependencies) is not in uv.lock",
        ),
        Code(
            code="L202",
            name="only-in-lock",
            kind="lock",
            fix="reqconv lock",
            summary="A requirement uv.lock recorded that pyproject.toml no longer lists.",
            example="uv.lock:40: L202: 'eta ; extra == \"dev\"' is in uv.lock but not in "
            "pyproject.toml",
        ),
        Code(
            code="L203",
            name="requires-python-differs",
            kind="lock",
            fix="reqconv lock",
            summary="[project] requires-python is not the range uv.lock was made for.",
            example="pyproject.toml:4: L203: requires-python '>=3.12' but uv.lock was locked "
            "for '>=3.11'",
        ),
        Code(
            code="L204",
            name="constraints-differ",
            kind="lock",
            fix="reqconv lock",
            summary="[tool.uv] constraint-dependencies or override-dependencies that are not "
            "the ones uv.lock's [manifest] recorded.",
            example="pyproject.toml:15: L204: constraint 'alpha<2' is not in uv.lock's [manifest]",
        ),
        Code(
            code="E301",
            name="export-version-differs",
            kind="exports",
            fix="reqconv lock",
            summary="An export (requirements*.lock, pylock.toml) that pins a version uv.lock "
            "does not hold.",
            example="requirements.lock:9: E301: beta==1.0 but uv.lock holds beta 1.5",
        ),
        Code(
            code="E302",
            name="export-hash-differs",
            kind="exports",
            fix="reqconv lock",
            summary="An export whose hashes for a package are not the ones uv.lock records.",
            example="requirements.lock:9: E302: beta==1.5: the hashes are not uv.lock's",
        ),
        Code(
            code="E303",
            name="export-packages-differ",
            kind="exports",
            fix="reqconv lock",
            summary="An export that lacks a package the lock installs for it, or holds one the "
            "lock does not.",
            example="requirements.lock:1: E303: uv.lock installs delta, which the export lacks",
        ),
        Code(
            code="E304",
            name="export-not-written",
            kind="exports",
            fix="reqconv lock (delete the file, or add the group back)",
            summary="A requirements-NAME.lock for a group or extra pyproject.toml no longer has: "
            "the lock step does not write it any more.",
            example="requirements-docs.lock:1: E304: no group or extra 'docs' in pyproject.toml",
        ),
        Code(
            code="D401",
            name="pip-install-left",
            kind="dockerfiles",
            fix="reqconv docker",
            summary="In a locked service (uv.lock), a `pip install -r` that `reqconv docker` "
            "would rewrite to a sync of the exported lock.",
            example="Dockerfile:5: D401: pip install -r requirements.txt is left (a lock exports it)",
        ),
        Code(
            code="D402",
            name="copy-source-missing",
            kind="dockerfiles",
            fix="reqconv docker (or fix the COPY)",
            summary="A COPY/ADD of a file that is not in the Dockerfile's build context (found "
            "as `reqconv docker` finds it: compose files, or where the sources exist).",
            example="Dockerfile:4: D402: COPY requirements-dev.lock: no such file in the build "
            "context .",
        ),
        Code(
            code="D403",
            name="sync-of-unexported-lock",
            kind="dockerfiles",
            fix="reqconv lock --export-group NAME",
            summary="A Dockerfile that syncs a requirements-NAME.lock the lock step does not "
            "export.",
            example="Dockerfile:9: D403: uses requirements-test.lock, which reqconv lock does "
            "not export",
        ),
        Code(
            code="D404",
            name="uv-image-older",
            kind="dockerfiles",
            fix="reqconv docker",
            summary="A pinned ghcr.io/astral-sh/uv image older than the uv that made the lock "
            "(as the lock step recorded it in .reqconv-fingerprint).",
            example="Dockerfile:3: D404: uv image 0.5.1 is older than uv 0.9.2, which made uv.lock",
        ),
        Code(
            code="M501",
            name="lock-without-pyproject",
            kind="missing",
            fix="reqconv convert",
            summary="A uv.lock with no pyproject.toml beside it.",
            example="uv.lock:1: M501: no pyproject.toml beside uv.lock",
        ),
        Code(
            code="M502",
            name="export-without-lock",
            kind="missing",
            fix="reqconv lock",
            summary="An export reqconv wrote with no uv.lock beside it.",
            example="requirements.lock:1: M502: no uv.lock beside this export",
        ),
        Code(
            code="M503",
            name="synced-lock-missing",
            kind="missing",
            fix="reqconv lock",
            summary="A Dockerfile that copies or syncs a lock file that is not there.",
            example="Dockerfile:6: M503: requirements.lock does not exist",
        ),
        Code(
            code="M505",
            name="lock-outside-context",
            kind="missing",
            fix="reqconv docker --context DIR",
            summary="A Dockerfile that mounts or copies a lock from a path its build context "
            "(found as `reqconv docker` finds it) does not hold, while the service's lock exists: "
            "the image would fail with `not found`.",
            example="svc/a/Dockerfile:6: M505: mounts requirements.lock, which the build "
            "context . does not hold (the lock is svc/a/requirements.lock)",
        ),
        Code(
            code="S601",
            name="uv-lock-check-failed",
            kind="strict",
            fix="reqconv lock",
            summary="--strict: `uv lock --check --offline` says uv.lock is out of date.",
            example="uv.lock:1: S601: uv lock --check --offline: The lockfile at uv.lock needs "
            "to be updated",
        ),
    )
}


@dataclass(frozen=True, kw_only=True, slots=True, order=True)
class Finding:
    """One drift: where (``path:line``), which code, what, and the command that fixes it."""

    path: Path
    line: int
    code: str
    message: str

    @property
    def fix(self) -> str:
        return CODES[self.code].fix

    @property
    def location(self) -> Location:
        return Location(self.path, self.line)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code}: {self.message} (fix: {self.fix})"


def codes_table() -> str:
    """The Markdown table of ``CODES`` that docs/check.md holds (a test keeps them equal)."""
    rows = ["| code | name | fix | what | example |", "|---|---|---|---|---|"]
    for c in CODES.values():
        rows.append(f"| `{c.code}` | {c.name} | `{c.fix}` | {c.summary} | `{c.example}` |")
    return "\n".join(rows) + "\n"


def _finding(code: str, path: Path, line: int, message: str) -> Finding:
    assert code in CODES, code
    return Finding(path=path, line=max(line, 1), code=code, message=message)


def line_of(text: str, needle: str, start: int = 0) -> int:
    """The 1-based line of the first ``needle`` in ``text`` at or after offset ``start`` (0: none)."""
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


# --------------------------------------------------------------------------------------------
# Markers and specifiers by meaning


_VERSION_VARS = frozenset({"python_version", "python_full_version"})


_MARKER_VAR = (
    r"(?:python_full_version|python_version|os_name|sys_platform|platform_release|platform_system"
    r"|platform_version|platform_machine|platform_python_implementation|implementation_name"
    r"|implementation_version|extras|extra|dependency_groups)"
)
_MARKER_OP = r"(?:===|==|!=|<=|>=|~=|<|>|not\s+in|in)"
_MARKER_VALUE = r"(?:\"[^\"]*\"|'[^']*')"
_COMPARISON = re.compile(
    rf"(?P<var>{_MARKER_VAR})\s*(?P<op>{_MARKER_OP})\s*(?P<value>{_MARKER_VALUE})"
    rf"|(?P<rvalue>{_MARKER_VALUE})\s*(?P<rop>{_MARKER_OP})\s*(?P<rvar>{_MARKER_VAR})"
)


def _walk(marker: Marker) -> Iterator[tuple[str, str, str]]:
    """``(variable, op, value)`` of every comparison in ``marker``.

    Read from the marker's normalized text (``str(marker)``: variables spelt with underscores,
    values quoted): packaging parses markers into a private list (``Marker._markers``) and has no
    public API for the comparisons in it.
    """
    for match in _COMPARISON.finditer(str(marker)):
        if match.group("var") is not None:
            var, op, value = match.group("var", "op", "value")
        else:
            var, op, value = match.group("rvar", "rop", "rvalue")
        yield var, " ".join(op.split()), value[1:-1]


def _release(text: str) -> tuple[int, ...] | None:
    try:
        return Version(text.rstrip(".*")).release
    except InvalidVersion:
        return None


def _python_candidates(values: Iterable[str]) -> list[str]:
    found: set[tuple[int, int, int]] = {(2, 7, 18), (3, 0, 0), (4, 0, 0)}
    for value in values:
        release = _release(value)
        if release is None:
            continue
        major = release[0]
        minor = release[1] if len(release) > 1 else 0
        patch = release[2] if len(release) > 2 else 0
        for candidate in (
            (major, minor, 0),
            (major, minor, patch),
            (major, minor, patch + 1),
            (major, minor, max(patch - 1, 0)),
            (major, minor, 99),
            (major, max(minor - 1, 0), 99),
            (major, minor + 1, 0),
            (major + 1, 0, 0),
            (max(major - 1, 0), 99, 0),
        ):
            found.add(candidate)
    return [".".join(map(str, c)) for c in sorted(found)]


# uv knows that these move together (it writes ``platform_system == 'Windows'`` as
# ``sys_platform == 'win32'``): the grid holds only consistent triples, plus any other value named.
_PLATFORMS = (
    {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
)
_PLATFORM_VARS = frozenset(_PLATFORMS[0])


def _platform_axis(by_var: dict[str, set[str]]) -> list[tuple[tuple[str, str], ...]]:
    named = {var: by_var.pop(var) for var in _PLATFORM_VARS & by_var.keys()}
    other = "\x00other"
    choices = [dict(p) for p in _PLATFORMS] + [
        {**dict.fromkeys(_PLATFORM_VARS, other), var: value}
        for var, values in named.items()
        for value in values
        if value not in {p[var] for p in _PLATFORMS}
    ]
    choices.append(dict.fromkeys(_PLATFORM_VARS, other))
    return [tuple(sorted(c.items())) for c in choices]


def _environments(markers: Sequence[Marker], requires_python: str | None) -> list[dict[str, str]]:
    by_var: dict[str, set[str]] = {}
    for marker in markers:
        for var, op, value in _walk(marker):
            # ``python_version in '3.10 3.11'``: uv reads a list of versions
            values = value.split() if op in ("in", "not in") and var in _VERSION_VARS else [value]
            by_var.setdefault(var, set()).update(values)
    pythons: list[str] | None = None
    if by_var.keys() & _VERSION_VARS:
        named = by_var.pop("python_version", set()) | by_var.pop("python_full_version", set())
        pythons = _python_candidates(named)
        allowed = _specifier(requires_python) if requires_python else None
        if allowed is not None:
            pythons = [p for p in pythons if allowed.contains(p, prereleases=True)] or pythons
    axes: list[list[tuple[tuple[str, str], ...]]] = []
    if pythons is not None:
        axes.append([(("python_full_version", p),) for p in pythons])
    if by_var.keys() & _PLATFORM_VARS:
        axes.append(_platform_axis(by_var))
    for var, seen in sorted(by_var.items()):
        choices = sorted(seen) + ([""] if var == "extra" else ["\x00other"])
        axes.append([((var, v),) for v in choices])
    envs = []
    for combo in itertools.product(*axes):
        env = dict(pair for pairs in combo for pair in pairs)
        if "python_full_version" in env:
            full = env["python_full_version"]
            env["python_version"] = ".".join(full.split(".")[:2])
        env.setdefault("extra", "")
        envs.append(env)
    return envs or [{"extra": ""}]


def _evaluate(marker: Marker | None, env: dict[str, str]) -> bool:
    if marker is None:
        return True
    try:
        return marker.evaluate(env)
    except Exception:  # an undefined comparison (a version op on a non-version): not equal
        return False


def same_marker(a: str | None, b: str | None, requires_python: str | None = None) -> bool:
    """True when markers ``a`` and ``b`` select the same environments (within requires-python)."""
    if a == b:
        return True
    ma = Marker(a) if a else None
    mb = Marker(b) if b else None
    present = [m for m in (ma, mb) if m is not None]
    return all(
        _evaluate(ma, env) == _evaluate(mb, env) for env in _environments(present, requires_python)
    )


def _specifier(text: str | None) -> SpecifierSet | None:
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        return None


def _same_python_range(a: str | None, b: str | None) -> bool:
    """Two requires-python ranges that admit the same Python versions (3.0 to 4.0)."""
    sa, sb = _specifier(a), _specifier(b)
    if sa is None or sb is None:
        return a == b
    bounds = {s.version for s in (*sa, *sb)}
    candidates = _python_candidates(bounds) + [f"3.{m}.{p}" for m in range(16) for p in (0, 5)]
    return all(
        sa.contains(c, prereleases=True) == sb.contains(c, prereleases=True) for c in candidates
    )


# --------------------------------------------------------------------------------------------
# Requirements as compared (name, extras, specifier, marker)


@dataclass(frozen=True, kw_only=True, slots=True)
class _Req:
    name: NormalizedName
    extras: frozenset[str]
    specifier: SpecifierSet
    marker: str | None
    text: str  # as shown in a message
    line: int = 0
    loose: bool = False  # a source (git/path/url) in the lock: its specifier is not compared


def _from_pep508(text: str, line: int = 0, extra: str | None = None) -> _Req | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    marker = str(req.marker) if req.marker is not None else None
    if extra is not None:
        condition = f'extra == "{extra}"'
        marker = f"({marker}) and {condition}" if marker else condition
    return _Req(
        name=canonicalize_name(req.name),
        extras=frozenset(str(canonicalize_name(e)) for e in req.extras),
        specifier=req.specifier,
        marker=marker,
        text=text,
        line=line,
    )


def _from_lock(entry: LockedRequirement, line: int) -> _Req:
    spec = _specifier(entry.specifier) or SpecifierSet()
    text = entry.name + (f"[{','.join(entry.extras)}]" if entry.extras else "") + entry.specifier
    if entry.marker:
        text += f" ; {entry.marker}"
    return _Req(
        name=entry.name,
        extras=frozenset(entry.extras),
        specifier=spec,
        marker=entry.marker,
        text=text,
        line=line,
        loose=bool(entry.source),
    )


def _matches(a: _Req, b: _Req, requires_python: str | None) -> bool:
    if a.name != b.name or a.extras != b.extras:
        return False
    if not (a.loose or b.loose) and a.specifier != b.specifier:
        return False
    return same_marker(a.marker, b.marker, requires_python)


def _pair(
    wanted: Sequence[_Req], have: Sequence[_Req], requires_python: str | None
) -> tuple[list[_Req], list[_Req]]:
    """(wanted without a match in have, have without a match in wanted), as multisets."""
    left = list(have)
    missing = []
    for req in wanted:
        match = next((i for i, h in enumerate(left) if _matches(req, h, requires_python)), None)
        if match is None:
            missing.append(req)
        else:
            del left[match]
    return missing, left


# --------------------------------------------------------------------------------------------
# 1. requirements files <-> pyproject


_NAME_AT_START_RE = re.compile(r"\s*(?:-e\s+|--editable[=\s]+)?([A-Za-z0-9][A-Za-z0-9._-]*)")


def _table_name(group: str | None) -> str:
    return "[project] dependencies" if group is None else f"group '{group}'"


def _origin(conversion: Conversion, name: str, keys: Sequence[str]) -> Location | None:
    for outcome in conversion.outcomes:
        if outcome.key not in keys or outcome.outcome not in ("converted", "merged", "mapped"):
            continue
        match = _NAME_AT_START_RE.match(outcome.text)
        if match and canonicalize_name(match.group(1)) == name:
            return outcome.location
        if outcome.key.startswith("tool.uv.sources.") and outcome.key.endswith(f".{name}"):
            return outcome.location
    return None


def _mapped_origin(conversion: Conversion, prefix: str) -> Location | None:
    for outcome in conversion.outcomes:
        if outcome.outcome == "mapped" and outcome.key.startswith(prefix):
            return outcome.location
    return None


def _adds_extras(have: str, wanted: str) -> bool:
    """Whether pyproject's ``have`` is the requirements' ``wanted`` with more extras: a pin
    without extras (an export lists each extra's dependencies instead) does not drop them."""
    try:
        h, w = Requirement(have), Requirement(wanted)
    except InvalidRequirement:
        return False
    if not h.extras > w.extras or canonicalize_name(h.name) != canonicalize_name(w.name):
        return False
    h.extras, h.name = w.extras, w.name
    return str(h) == str(w)


def compare_requirements(
    conversion: Conversion,
    pyproject: DependencySpec,
    *,
    pyproject_path: Path,
    pyproject_text: str,
    planned_text: str | None,
) -> list[Finding]:
    """Kind 1: every table and option the requirements give is in pyproject as convert writes it.

    ``planned_text`` is what ``reqconv convert`` would write: when it differs from the file and no
    dependency explains it, an option does (R103). A dependency only pyproject lists is no drift:
    convert keeps what a pyproject held before (``reqconv remove`` drops both).
    """
    from reqconv.model import Dependency

    findings: list[Finding] = []
    wanted_tables: list[tuple[str | None, Sequence[object]]] = [
        (None, conversion.spec.dependencies)
    ]
    wanted_tables += [(name, items) for name, items in conversion.spec.groups]
    have_tables: dict[str | None, list[Dependency]] = {None: list(pyproject.dependencies)}
    for name, group_items in pyproject.groups:
        have_tables[name] = [i for i in group_items if isinstance(i, Dependency)]
    from reqconv.convert.ledger import table_key

    for group, items in wanted_tables:
        have = have_tables.get(group, [])
        have_texts = {d.requirement for d in have}
        for item in items:
            if not isinstance(item, Dependency) or item.requirement in have_texts:
                continue
            if any(_adds_extras(d.requirement, item.requirement) for d in have):
                continue  # convert keeps the extras pyproject names (pyproject._with_extras_of)
            keys = (table_key(group), f"tool.uv.sources.{item.name}")
            origin = _origin(conversion, item.name, keys)
            path, line = (origin.path, origin.line) if origin else (pyproject_path, 0)
            same_name = [d.requirement for d in have if d.name == item.name]
            if same_name:
                findings.append(
                    _finding(
                        "R102",
                        path,
                        line,
                        f"{item.requirement!r} is {same_name[0]!r} in {_table_name(group)} of "
                        f"{pyproject_path.name}",
                    )
                )
            else:
                findings.append(
                    _finding(
                        "R101",
                        path,
                        line,
                        f"{item.requirement!r} is not in {_table_name(group)} of "
                        f"{pyproject_path.name}",
                    )
                )
    findings += _compare_options(conversion, pyproject, pyproject_path)
    if not findings and planned_text is not None and planned_text != pyproject_text:
        line = _first_difference(pyproject_text, planned_text)
        findings.append(
            _finding(
                "R103",
                pyproject_path,
                line,
                "`reqconv convert` would change this line to follow the requirements files",
            )
        )
    return findings


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return i
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def _compare_options(
    conversion: Conversion, pyproject: DependencySpec, pyproject_path: Path
) -> list[Finding]:
    want, have = conversion.spec.uv, pyproject.uv
    findings = []

    def report(prefix: str, what: str, table: str) -> None:
        origin = _mapped_origin(conversion, prefix)
        path, line = (origin.path, origin.line) if origin else (pyproject_path, 0)
        findings.append(_finding("R103", path, line, f"{what} is not in {table}"))

    have_urls = {index.url.rstrip("/") for index in have.indexes}
    for index in want.indexes:
        if index.url.rstrip("/") not in have_urls:
            origin = index.origin
            path, line = (origin.path, origin.line) if origin else (pyproject_path, 0)
            findings.append(
                _finding("R103", path, line, f"index {index.url} is not in [[tool.uv.index]]")
            )
    for link in want.find_links:
        if link not in have.find_links:
            report("tool.uv.find-links", f"find-links {link}", "[tool.uv] find-links")
    for constraint in want.constraints:
        if constraint not in have.constraints:
            report("tool.uv.constraint", f"constraint {constraint!r}", "[tool.uv] constraints")
    if want.prerelease and not have.prerelease:
        report("tool.uv.prerelease", "--pre", "[tool.uv] prerelease")
    if want.no_index and not have.no_index:
        report("tool.uv.no-index", "--no-index", "[tool.uv] no-index")
    for values, key, label in (
        (want.no_binary, "tool.uv.no-binary", "no-binary"),
        (want.no_build, "tool.uv.no-build", "no-build"),
    ):
        have_values = have.no_binary if label == "no-binary" else have.no_build
        for value in values:
            if value not in have_values and ":all:" not in have_values:
                report(key, f"--{label} {value}", f"[tool.uv] {label}")
    have_sources = dict(have.sources)
    for name, source in want.sources:
        other = have_sources.get(name)
        same = other is not None and (
            other.kind,
            other.url,
            other.tag,
            other.rev,
            other.branch,
        ) == (
            source.kind,
            source.url,
            source.tag,
            source.rev,
            source.branch,
        )
        if other is not None and source.kind == "path":
            same = other.kind == "path"
        if not same:
            origin = _origin(conversion, name, (f"tool.uv.sources.{name}",))
            path, line = (origin.path, origin.line) if origin else (pyproject_path, 0)
            findings.append(
                _finding("R103", path, line, f"the source of {name} is not in [tool.uv.sources]")
            )
    return findings


def compare_compiled(
    files: Mapping[Path, ReqFile], compiled: Iterable[Path], lock: LockSummary, lock_path: Path
) -> list[Finding]:
    """Kind 1, pip-compile: each pin of a compiled ``.txt`` is the version uv.lock holds."""
    findings = []
    for path in compiled:
        reqfile = files.get(path)
        if reqfile is None:
            continue
        for req in reqfile.requirements:
            version = _pinned(req.requirement.specifier)
            if version is None or req.source is not None:
                continue
            locked = [p.version for p in lock.packages if p.name == req.name and p.version]
            if not locked or any(_same_version(version, v) for v in locked):
                continue
            findings.append(
                _finding(
                    "R104",
                    req.origin.path,
                    req.origin.line,
                    f"{req.name}=={version} is locked at {', '.join(locked)} in {lock_path.name}",
                )
            )
    return findings


def compare_hashes(files: Mapping[Path, ReqFile], lock: LockSummary) -> list[Finding]:
    """Kind 3: a ``--hash`` set that matches nothing uv.lock records for that package."""
    findings = []
    for reqfile in files.values():
        for req in reqfile.requirements:
            if not req.hashes:
                continue
            recorded = {h for p in lock.packages if p.name == req.name for h in p.hashes}
            if not recorded or recorded & set(req.hashes):
                continue  # a package uv.lock records no hashes for (git, path) cannot match
            findings.append(
                _finding(
                    "R105",
                    req.origin.path,
                    req.origin.line,
                    f"{req.text.split()[0] if req.text else req.name}: none of its "
                    f"{len(req.hashes)} --hash values is one uv.lock records for {req.name}",
                )
            )
    return findings


def _pinned(specifier: SpecifierSet) -> str | None:
    specs = list(specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


# --------------------------------------------------------------------------------------------
# 2. pyproject <-> uv.lock


@dataclass(frozen=True, kw_only=True, slots=True)
class _PyprojectInputs:
    name: NormalizedName | None
    requires_python: str | None
    dist: list[_Req]
    groups: dict[str, list[_Req]]
    constraints: list[_Req]
    overrides: list[_Req]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _flatten_group(
    groups: Mapping[str, object], name: str, text: str, seen: frozenset[str] = frozenset()
) -> list[_Req]:
    out: list[_Req] = []
    values = groups.get(name)
    for value in values if isinstance(values, list) else ():
        if isinstance(value, str):
            req = _from_pep508(value, line_of(text, _toml_needle(value)))
            if req is not None:
                out.append(req)
        elif isinstance(value, dict) and isinstance(value.get("include-group"), str):
            target = value["include-group"]
            key = next(
                (k for k in groups if canonicalize_name(k) == canonicalize_name(target)), None
            )
            if key is not None and key not in seen:
                out += _flatten_group(groups, key, text, seen | {name})
    return out


def _toml_needle(value: str) -> str:
    return value


def _pyproject_inputs(data: Mapping[str, object], text: str) -> _PyprojectInputs:
    project = data.get("project")
    project = project if isinstance(project, dict) else {}
    name = project.get("name")
    dist = [
        r
        for v in _strings(project.get("dependencies"))
        if (r := _from_pep508(v, line_of(text, v))) is not None
    ]
    optional = project.get("optional-dependencies")
    for extra, values in optional.items() if isinstance(optional, dict) else ():
        extra_name = str(canonicalize_name(extra))
        for v in _strings(values):
            req = _from_pep508(v, line_of(text, v), extra=extra_name)
            if req is not None:
                dist.append(req)
    groups: dict[str, list[_Req]] = {}
    raw_groups = data.get("dependency-groups")
    if isinstance(raw_groups, dict):
        for group in raw_groups:
            groups[str(canonicalize_name(group))] = _flatten_group(raw_groups, group, text)
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    uv = uv if isinstance(uv, dict) else {}
    legacy_dev = _strings(uv.get("dev-dependencies"))
    if legacy_dev:
        groups.setdefault("dev", [])
        groups["dev"] += [r for v in legacy_dev if (r := _from_pep508(v, line_of(text, v)))]

    def reqs(key: str) -> list[_Req]:
        return [r for v in _strings(uv.get(key)) if (r := _from_pep508(v, line_of(text, v)))]

    requires_python = project.get("requires-python")
    return _PyprojectInputs(
        name=canonicalize_name(name) if isinstance(name, str) else None,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        dist=dist,
        groups=groups,
        constraints=reqs("constraint-dependencies"),
        overrides=reqs("override-dependencies"),
    )


def _lock_line(lock_text: str, anchor: int, name: str) -> int:
    return line_of(lock_text, f'{{ name = "{name}"', anchor) or line_of(lock_text, "[[package]]")


def compare_lock(
    data: Mapping[str, object],
    *,
    pyproject_path: Path,
    pyproject_text: str,
    lock: LockSummary,
    lock_path: Path,
    lock_text: str,
) -> list[Finding]:
    """Kind 2: the root package's recorded inputs in uv.lock are pyproject's, by meaning."""
    inputs = _pyproject_inputs(data, pyproject_text)
    findings: list[Finding] = []
    python = inputs.requires_python or lock.requires_python
    if (
        inputs.requires_python is not None
        and lock.requires_python is not None
        and not _same_python_range(inputs.requires_python, lock.requires_python)
    ):
        findings.append(
            _finding(
                "L203",
                pyproject_path,
                line_of(pyproject_text, "requires-python"),
                f"requires-python {inputs.requires_python!r} but {lock_path.name} was locked "
                f"for {lock.requires_python!r}",
            )
        )
    root = next(
        (p for p in lock.packages if inputs.name is not None and p.name == inputs.name and p.root),
        None,
    ) or next((p for p in lock.packages if p.root), None)
    if root is None:
        findings.append(
            _finding(
                "L201",
                lock_path,
                1,
                f"{lock_path.name} holds no package for the project "
                f"{inputs.name or '(unnamed)'} of {pyproject_path.name}",
            )
        )
        return findings
    anchor = lock_text.find("[package.metadata]", lock_text.find(f'name = "{root.name}"'))
    anchor = max(anchor, 0)

    def locked(entries: Iterable[LockedRequirement]) -> list[_Req]:
        return [_from_lock(e, _lock_line(lock_text, anchor, e.name)) for e in entries]

    tables: list[tuple[str, list[_Req], list[_Req]]] = [
        ("[project] dependencies", inputs.dist, locked(root.requires_dist))
    ]
    lock_groups = dict(root.requires_dev)
    for group in sorted(set(inputs.groups) | set(lock_groups)):
        tables.append(
            (f"group '{group}'", inputs.groups.get(group, []), locked(lock_groups.get(group, ())))
        )
    for table, wanted, have in tables:
        missing, extra = _pair(wanted, have, python)
        for req in missing:
            findings.append(
                _finding(
                    "L201",
                    pyproject_path,
                    req.line,
                    f"{req.text!r} ({table}) is not in {lock_path.name}",
                )
            )
        for req in extra:
            findings.append(
                _finding(
                    "L202",
                    lock_path,
                    req.line,
                    f"{req.text!r} ({table}) is in {lock_path.name} but not in "
                    f"{pyproject_path.name}",
                )
            )
    manifest = lock_text.find("[manifest]")
    for label, asked, recorded in (
        ("constraint", inputs.constraints, lock.constraints),
        ("override", inputs.overrides, lock.overrides),
    ):
        have_reqs = [
            _from_lock(e, line_of(lock_text, f'{{ name = "{e.name}"', max(manifest, 0)))
            for e in recorded
        ]
        missing, extra = _pair(asked, have_reqs, python)
        for req in missing:
            findings.append(
                _finding(
                    "L204",
                    pyproject_path,
                    req.line,
                    f"{label} {req.text!r} is not in {lock_path.name}'s [manifest]",
                )
            )
        for req in extra:
            findings.append(
                _finding(
                    "L204",
                    lock_path,
                    req.line,
                    f"{label} {req.text!r} of {lock_path.name}'s [manifest] is not in "
                    f"{pyproject_path.name}",
                )
            )
    return findings


# --------------------------------------------------------------------------------------------
# 3. uv.lock <-> exports


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportEntry:
    name: NormalizedName
    version: str | None
    hashes: frozenset[str]
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Export:
    """An export as read: its path, the group it is for (``None``: production), its entries."""

    path: Path
    group: str | None
    entries: tuple[ExportEntry, ...]
    pylock: bool = False
    # ``name @ git+...`` / ``name @ file:...`` lines: no version to compare, but the package is there.
    direct: frozenset[NormalizedName] = frozenset()


_PIN_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)")
_HASH_RE = re.compile(r"--hash[=\s]+(\S+)")
_DIRECT_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*@")


def parse_export(path: Path, text: str, group: str | None) -> Export:
    """The ``name==version --hash ...`` entries of a requirements export (logical lines)."""
    entries = []
    direct = set()
    start_line = 0
    logical = ""
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        if not logical:
            start_line = number
        stripped = raw.strip()
        if stripped.endswith("\\"):
            logical += " " + stripped[:-1]
            continue
        logical += " " + stripped
        line, logical = logical.strip(), ""
        if not line or line.startswith(("#", "-")):
            continue
        match = _PIN_RE.match(line)
        if match is None:
            if (named := _DIRECT_RE.match(line)) is not None:
                direct.add(canonicalize_name(named.group(1)))
            continue
        entries.append(
            ExportEntry(
                name=canonicalize_name(match.group(1)),
                version=match.group(2),
                hashes=frozenset(_HASH_RE.findall(line)),
                line=start_line,
            )
        )
    return Export(path=path, group=group, entries=tuple(entries), direct=frozenset(direct))


def _reachable(lock: LockSummary, group: str | None) -> set[NormalizedName]:
    """Names an export installs: the root's dependencies (and the group's), transitively."""
    from reqconv.model import LockedPackage

    by_name: dict[NormalizedName, list[LockedPackage]] = {}
    for package in lock.packages:
        by_name.setdefault(package.name, []).append(package)
    roots = [p for p in lock.packages if p.root]
    todo: list[tuple[NormalizedName, tuple[str, ...]]] = []
    for root in roots:
        todo += list(root.dependencies)
        if group is not None:
            todo += list(dict(root.dev).get(group, ()))
            todo += list(dict(root.optional).get(group, ()))
    seen: set[tuple[NormalizedName, tuple[str, ...]]] = set()
    names: set[NormalizedName] = set()
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        name, extras = item
        names.add(name)
        for package in by_name.get(name, []):
            todo += list(package.dependencies)
            for extra in extras:
                todo += list(dict(package.optional).get(extra, ()))
    root_names = {p.name for p in roots}
    installable = {
        p.name
        for p in lock.packages
        if p.source not in ("virtual", "editable", "directory", "path")
    }
    return (names - root_names) & installable


def compare_exports(exports: Sequence[Export], lock: LockSummary, lock_path: Path) -> list[Finding]:
    """Kind 3: each export holds exactly the locked versions and hashes it should."""
    findings = []
    versions: dict[NormalizedName, dict[str, frozenset[str]]] = {}
    for package in lock.packages:
        if package.version is not None:
            versions.setdefault(package.name, {})[package.version] = frozenset(package.hashes)
    for export in exports:
        for entry in export.entries:
            locked = versions.get(entry.name)
            if locked is None:
                findings.append(
                    _finding(
                        "E303",
                        export.path,
                        entry.line,
                        f"{entry.name} is not in {lock_path.name}",
                    )
                )
                continue
            version = next(
                (v for v in locked if entry.version and _same_version(v, entry.version)), None
            )
            if version is None:
                findings.append(
                    _finding(
                        "E301",
                        export.path,
                        entry.line,
                        f"{entry.name}=={entry.version} but {lock_path.name} holds "
                        f"{entry.name} {', '.join(sorted(locked))}",
                    )
                )
            elif entry.hashes != locked[version]:
                findings.append(
                    _finding(
                        "E302",
                        export.path,
                        entry.line,
                        f"{entry.name}=={entry.version}: the hashes are not {lock_path.name}'s",
                    )
                )
        if export.pylock:
            continue
        exported = {e.name for e in export.entries} | export.direct
        for name in sorted(_reachable(lock, export.group) - exported):
            findings.append(
                _finding(
                    "E303",
                    export.path,
                    1,
                    f"{lock_path.name} installs {name}, which the export lacks",
                )
            )
    return findings


# --------------------------------------------------------------------------------------------
# 4. and 5. Dockerfiles

LOCK_REF_RE = re.compile(
    r"(?<![\w./-])((?:[\w./-]*/)?(?:requirements(?:-[\w.-]+)?\.lock|pylock\.toml))\b"
)
GROUP_LOCK_RE = re.compile(r"^requirements-(?P<name>.+)\.lock$")
_UV_IMAGE_RE = re.compile(r"ghcr\.io/astral-sh/uv:(?P<version>\d+(?:\.\d+)*)")
_GLOB_CHARS = frozenset("*?[")


def compare_dockerfile_locks(
    path: Path, text: str, known_groups: frozenset[str], exists: Callable[[str], bool]
) -> list[Finding]:
    """D403 and M503: each lock a Dockerfile names is one the lock step exports, and is there.

    ``exists(ref)`` says whether the lock named ``ref`` (as the Dockerfile writes it) exists.
    """
    findings = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip().startswith("#"):
            continue
        for match in LOCK_REF_RE.finditer(line):
            ref = match.group(1)
            name = ref.rsplit("/", 1)[-1]
            group_match = GROUP_LOCK_RE.match(name)
            if group_match and str(canonicalize_name(group_match["name"])) not in known_groups:
                group = canonicalize_name(group_match["name"])
                findings.append(
                    _finding(
                        "D403",
                        path,
                        number,
                        f"uses {name}, which `reqconv lock` does not export (no group or extra "
                        f"{group!r} in pyproject.toml)",
                    )
                )
            elif not exists(ref):
                findings.append(_finding("M503", path, number, f"{name} does not exist"))
    return findings


def compare_lock_sources(
    path: Path,
    sources: Sequence[tuple[str, int]],
    exists: Callable[[str], bool],
    shown_context: str,
    service_lock: Callable[[str], str | None],
) -> list[Finding]:
    """M505: each lock a ``COPY``/``ADD`` or bind mount reads from the context is there, when the
    service's lock of that name exists (else M503 says it is missing altogether).

    ``exists(source)`` answers for a path relative to the context; ``service_lock(name)`` is the
    service's lock of that name as shown, or None when there is none.
    """
    findings = []
    for source, line in sources:
        name = source.rstrip("/").rsplit("/", 1)[-1]
        if not LOCK_REF_RE.fullmatch(name) or exists(source):
            continue
        lock = service_lock(name)
        if lock is not None:
            findings.append(
                _finding(
                    "M505",
                    path,
                    line,
                    f"mounts {source}, which the build context {shown_context} does not hold "
                    f"(the lock is {lock})",
                )
            )
    return findings


def compare_copy_sources(
    path: Path,
    sources: Sequence[tuple[str, int]],
    exists: Callable[[str], bool],
    shown_context: str,
) -> list[Finding]:
    """D402: each ``COPY``/``ADD`` source (not a lock: M503 says those) exists in the context.

    ``exists(source)`` answers for a path relative to the context (a glob: whether it matches).
    """
    findings = []
    for source, line in sources:
        name = source.rstrip("/").rsplit("/", 1)[-1]
        if LOCK_REF_RE.fullmatch(name) or not source.strip() or source.strip() in (".", "./"):
            continue
        if not exists(source):
            what = "nothing matches" if _GLOB_CHARS & set(source) else "no such file"
            findings.append(
                _finding(
                    "D402",
                    path,
                    line,
                    f"COPY {source}: {what} in the build context {shown_context}",
                )
            )
    return findings


def compare_pip_left(path: Path, before: str, after: str) -> list[Finding]:
    """D401: the lines ``reqconv docker`` would rewrite that run ``pip install``."""
    import difflib

    old = before.split("\n")
    new = after.split("\n")
    findings = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag not in ("replace", "delete"):
            continue
        for number in range(i1, i2):
            line = old[number]
            if re.search(r"\bpip3?\b.*\binstall\b", line):
                findings.append(
                    _finding(
                        "D401",
                        path,
                        number + 1,
                        f"{line.strip().rstrip(chr(92)).strip()} is left: uv.lock exports what "
                        "it installs",
                    )
                )
                break  # one finding per rewritten step
    return findings


def compare_uv_image(path: Path, text: str, made_by: str | None) -> list[Finding]:
    """D404: a pinned uv image older than the uv that made uv.lock (``made_by``)."""
    if made_by is None:
        return []
    try:
        lock_uv = Version(made_by)
    except InvalidVersion:
        return []
    findings = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _UV_IMAGE_RE.finditer(line):
            try:
                older = Version(match["version"]) < lock_uv
            except InvalidVersion:
                continue
            if older:
                findings.append(
                    _finding(
                        "D404",
                        path,
                        number,
                        f"uv image {match['version']} is older than uv {made_by}, which made "
                        "uv.lock",
                    )
                )
    return findings
