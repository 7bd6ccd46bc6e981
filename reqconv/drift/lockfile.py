"""Drift kind 2: pyproject.toml against uv.lock (L2xx): every requirement of the tables uv
resolves is in uv.lock's manifest as uv recorded it (markers and specifiers by meaning), and
requires-python is the lock's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from reqconv.drift.codes import Finding, finding, line_of
from reqconv.drift.markers import same_marker, same_python_range, specifier
from reqconv.frozen import frozen

if TYPE_CHECKING:
    from reqconv.model import LockedRequirement, LockSummary

__all__ = ["compare_lock"]


@frozen(kw_only=True)
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
    spec = specifier(entry.specifier) or SpecifierSet()
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


@frozen(kw_only=True)
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


def _group_anchor(lock_text: str, anchor: int, group: str) -> int:
    """Where the root's ``[package.metadata.requires-dev]`` lists ``group`` (its key's line), so
    that an entry is looked for in its own group's array, not in an earlier group naming the same
    package; ``anchor`` (the root's ``[package.metadata]``) when it cannot be found."""
    table = lock_text.find("[package.metadata.requires-dev]", anchor)
    if table < 0:
        return anchor
    for key in (f"\n{group} = [", f'\n"{group}" = ['):
        found = lock_text.find(key, table)
        if found >= 0:
            return found + 1
    return table


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
        and not same_python_range(inputs.requires_python, lock.requires_python)
    ):
        findings.append(
            finding(
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
            finding(
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

    def locked(entries: Iterable[LockedRequirement], start: int = anchor) -> list[_Req]:
        return [_from_lock(e, _lock_line(lock_text, start, e.name)) for e in entries]

    tables: list[tuple[str, list[_Req], list[_Req]]] = [
        ("[project] dependencies", inputs.dist, locked(root.requires_dist))
    ]
    lock_groups = dict(root.requires_dev)
    for group in sorted(set(inputs.groups) | set(lock_groups)):
        start = _group_anchor(lock_text, anchor, group)
        tables.append(
            (
                f"group '{group}'",
                inputs.groups.get(group, []),
                locked(lock_groups.get(group, ()), start),
            )
        )
    for table, wanted, have in tables:
        missing, extra = _pair(wanted, have, python)
        for req in missing:
            findings.append(
                finding(
                    "L201",
                    pyproject_path,
                    req.line,
                    f"{req.text!r} ({table}) is not in {lock_path.name}",
                )
            )
        for req in extra:
            findings.append(
                finding(
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
                finding(
                    "L204",
                    pyproject_path,
                    req.line,
                    f"{label} {req.text!r} is not in {lock_path.name}'s [manifest]",
                )
            )
        for req in extra:
            findings.append(
                finding(
                    "L204",
                    lock_path,
                    req.line,
                    f"{label} {req.text!r} of {lock_path.name}'s [manifest] is not in "
                    f"{pyproject_path.name}",
                )
            )
    return findings
