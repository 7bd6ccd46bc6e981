"""Which file names are requirements files, and which table each feeds: the naming rule alone.

``discover`` builds roles on it; ``reqconv check``'s fast path (``drift.survey``) uses it to tell a
service that was never migrated without importing the parser. So it imports only ``re``: no
pathlib, no packaging (``canonicalize_name`` is one ``re.sub``, spelt out below). The rule itself
is documented in ``discover``'s docstring and docs/convert.md.
"""

from __future__ import annotations

import re

__all__ = ["IGNORED_NAMES", "MAIN_NAMES", "SUBDIR", "SUFFIXES", "label", "normalize"]

#: Labels whose requirements are the application's own runtime dependencies.
MAIN_NAMES = frozenset(
    {"base", "common", "prod", "production", "main", "runtime", "core", "default"}
)

#: File stems that are never a role (constraint files, exported locks).
IGNORED_NAMES = frozenset({"constraints", "constraint", "lock", "locked", "frozen", "pinned"})

SUFFIXES = (".txt", ".in")
SUBDIR = "requirements"
# requirements-dev, requirements_dev, requirements.dev
_PREFIX_RE = re.compile(r"^requirements[-_.](?P<label>.+)$", re.IGNORECASE)
# dev-requirements, dev_requirements
_SUFFIX_RE = re.compile(r"^(?P<label>.+?)[-_.]requirements$", re.IGNORECASE)
# PEP 735 / PEP 508 name syntax.
VALID_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_SEPARATORS_RE = re.compile(r"[-_.]+")


def normalize(label: str) -> str:
    """A PEP 735 group name as written: lower case, runs of ``-_.`` as one ``-`` (PEP 503's rule,
    what ``packaging.utils.canonicalize_name`` does)."""
    return _SEPARATORS_RE.sub("-", label).lower()


def _split(name: str) -> tuple[str, str]:
    """``(stem, suffix)`` as ``PurePosixPath`` gives them (``a.b.txt`` -> ``a.b``, ``.txt``)."""
    base = name.rpartition("/")[2]
    at = base.rfind(".")
    if 0 < at < len(base) - 1:
        return base[:at], base[at:]
    return base, ""


def label(name: str) -> str | None:
    """The label of a candidate file (a POSIX path relative to the service folder): ``""`` for
    main, a normalized group name otherwise; ``None`` when the name is no requirements file."""
    stem, suffix = _split(name)
    if suffix.lower() not in SUFFIXES:
        return None
    parts = name.split("/")
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != SUBDIR):
        return None
    if stem.lower() == "requirements":
        return ""
    match = _PREFIX_RE.match(stem) or _SUFFIX_RE.match(stem)
    if match is not None:
        found = match["label"]  # requirements/test_requirements.txt is "test" too
    elif len(parts) == 2:
        found = stem
    else:
        return None
    normalized = normalize(found)
    if not VALID_NAME_RE.match(normalized) or normalized in IGNORED_NAMES:
        return None
    return "" if normalized in MAIN_NAMES else normalized
