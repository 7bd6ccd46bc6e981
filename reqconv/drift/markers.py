"""Markers and specifiers compared by meaning, not by spelling.

uv rewrites ``python_version`` as ``python_full_version``, ``~=`` as a pair of bounds, an extra as
``extra == '...'`` and reorders ``or``/``and`` terms. Two markers are the same when they agree on
every environment of a grid built from the values either of them names (bounds and their
neighbours), within ``requires-python``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["same_marker", "same_python_range", "specifier"]

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
        allowed = specifier(requires_python) if requires_python else None
        # requires-python's own bounds go into the grid too: with none of the markers' bounds
        # inside it (`python_version >= '3.9'` under `>=3.11`), the grid would hold no version
        # requires-python admits, and markers that agree on all of them would compare unequal
        bounds = {s.version for s in allowed} if allowed is not None else set()
        pythons = _python_candidates(named | bounds)
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


def specifier(text: str | None) -> SpecifierSet | None:
    try:
        return SpecifierSet(text or "")
    except InvalidSpecifier:
        return None


def same_python_range(a: str | None, b: str | None) -> bool:
    """Two requires-python ranges that admit the same Python versions (3.0 to 4.0)."""
    sa, sb = specifier(a), specifier(b)
    if sa is None or sb is None:
        return a == b
    bounds = {s.version for s in (*sa, *sb)}
    candidates = _python_candidates(bounds) + [f"3.{m}.{p}" for m in range(16) for p in (0, 5)]
    return all(
        sa.contains(c, prereleases=True) == sb.contains(c, prereleases=True) for c in candidates
    )
