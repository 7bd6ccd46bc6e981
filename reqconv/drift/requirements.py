"""Drift kind 1: requirements files against pyproject.toml (R1xx), and the pins and hashes of
compiled files against uv.lock.

The requirements are converted as ``convert`` converts them; every dependency must be in its
table in the same normalized form, and every option must have its uv setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from reqconv.drift.codes import Finding, finding
from reqconv.errors import Location

if TYPE_CHECKING:
    from reqconv.model import Conversion, DependencySpec, LockSummary, ReqFile

__all__ = ["compare_compiled", "compare_hashes", "compare_requirements", "same_version"]


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
                    finding(
                        "R102",
                        path,
                        line,
                        f"{item.requirement!r} is {same_name[0]!r} in {_table_name(group)} of "
                        f"{pyproject_path.name}",
                    )
                )
            else:
                findings.append(
                    finding(
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
            finding(
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
        findings.append(finding("R103", path, line, f"{what} is not in {table}"))

    have_urls = {index.url.rstrip("/") for index in have.indexes}
    for index in want.indexes:
        if index.url.rstrip("/") not in have_urls:
            origin = index.origin
            path, line = (origin.path, origin.line) if origin else (pyproject_path, 0)
            findings.append(
                finding("R103", path, line, f"index {index.url} is not in [[tool.uv.index]]")
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
                finding("R103", path, line, f"the source of {name} is not in [tool.uv.sources]")
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
            if not locked or any(same_version(version, v) for v in locked):
                continue
            findings.append(
                finding(
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
                finding(
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


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b
