"""Canonical requirement strings, and specifiers merged and judged.

``canonical`` is the normalized PEP 508 form (PEP 503 names, PEP 685 extras, bounds ordered as
people write them). Two specifier sets ``compatible`` unless no version satisfies both, judged by
probing the specifiers' own versions and their neighbours (``satisfiable``); a merge is
``tighten``ed: an exact pin absorbs what it satisfies, and a bound another implies goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "canonical",
    "canonical_extras",
    "compatible",
    "exact",
    "format_requirement",
    "satisfiable",
    "tighten",
]


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


def canonical_extras(extras: Iterable[str]) -> list[str]:
    return sorted({canonicalize_name(extra) for extra in extras})


def canonical(req: Requirement) -> str:
    """The normalized PEP 508 string of ``req``; a URL is kept (``name @ URL ; marker``: one
    uv must expand, as parsed requirements carry theirs in sources)."""
    marker = str(req.marker) if req.marker is not None else None
    if req.url:
        text = str(canonicalize_name(req.name))
        if req.extras:
            text += "[" + ",".join(canonical_extras(req.extras)) + "]"
        return text + f" @ {req.url}" + (f" ; {marker}" if marker else "")
    return format_requirement(
        canonicalize_name(req.name), canonical_extras(req.extras), req.specifier, marker
    )


def exact(spec: Specifier) -> Version | None:
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


def satisfiable(specifiers: SpecifierSet) -> bool:
    """True unless no version can match (``==1`` with ``==2``, ``>=2`` with ``<1``).

    Probes the specifiers' own versions and their neighbours; ``===`` is never judged.
    """
    if not len(specifiers) or any(spec.operator == "===" for spec in specifiers):
        return True
    return any(specifiers.contains(v, prereleases=True) for v in _candidates(specifiers))


def compatible(a: SpecifierSet, b: SpecifierSet) -> bool:
    """True unless no version satisfies both ``a`` and ``b`` (as the merge of duplicates judges)."""
    return satisfiable(a & b)


def tighten(specifiers: SpecifierSet) -> SpecifierSet:
    """An exact pin absorbs every specifier it satisfies (``==1.2,>=1`` -> ``==1.2``); a bound
    another bound implies goes (``>=2.0,>=2.5`` -> ``>=2.5``)."""
    for spec in specifiers:
        version = exact(spec)
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
