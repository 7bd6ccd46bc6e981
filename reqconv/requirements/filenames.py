"""Which file names are requirements files, and which table each feeds: the naming rule alone.

``discover`` builds roles on it; ``reqconv check``'s fast path (``drift.survey``) uses it to tell a
service that was never migrated without importing the parser. So it imports nothing: no pathlib,
no packaging, not even ``re`` (whose import and compiles cost a root's whole check again); the
patterns are spelt out as string tests below. The rule itself is documented in ``discover``'s
docstring and docs/convert.md.
"""

from __future__ import annotations

__all__ = ["IGNORED_NAMES", "MAIN_NAMES", "SUBDIR", "SUFFIXES", "is_name", "label", "normalize"]

#: Labels whose requirements are the application's own runtime dependencies.
MAIN_NAMES = frozenset(
    {"base", "common", "prod", "production", "main", "runtime", "core", "default"}
)

#: File stems that are never a role (constraint files, exported locks).
IGNORED_NAMES = frozenset({"constraints", "constraint", "lock", "locked", "frozen", "pinned"})

SUFFIXES = (".txt", ".in")
SUBDIR = "requirements"
_SEPARATORS = "-_."
_STEM = "requirements"
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_NAME_CHARS = _ALNUM | frozenset(_SEPARATORS)


def normalize(label: str) -> str:
    """A PEP 735 group name as written: lower case, runs of ``-_.`` as one ``-`` (PEP 503's rule:
    ``re.sub(r"[-_.]+", "-", label).lower()``, what ``packaging.utils.canonicalize_name`` does)."""
    out: list[str] = []
    for ch in label:
        if ch not in _SEPARATORS:
            out.append(ch)
        elif not out or out[-1] != "\0":
            out.append("\0")  # one mark per run; a label holds no NUL (a file name cannot)
    return "".join(out).replace("\0", "-").lower()


def is_name(name: str) -> bool:
    """PEP 508 / PEP 735 name syntax: ASCII letters and digits, ``-_.`` inside
    (``^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$``, any case)."""
    return (
        bool(name)
        and name[0] in _ALNUM
        and name[-1] in _ALNUM
        and all(ch in _NAME_CHARS for ch in name)
    )


def _affixed(stem: str) -> str | None:
    """The label of ``requirements-X`` / ``requirements_X`` / ``requirements.X`` (tried first) or
    ``X-requirements`` / ``X_requirements`` / ``X.requirements``, any case; ``None`` otherwise."""
    size = len(_STEM)
    if len(stem) > size + 1:
        if stem[:size].lower() == _STEM and stem[size] in _SEPARATORS:
            return stem[size + 1 :]
        if stem[-size:].lower() == _STEM and stem[-size - 1] in _SEPARATORS:
            return stem[: -size - 1]
    return None


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
    found = _affixed(stem)  # requirements/test_requirements.txt is "test" too
    if found is None:
        if len(parts) != 2:
            return None
        found = stem
    normalized = normalize(found)
    if not is_name(normalized) or normalized in IGNORED_NAMES:
        return None
    return "" if normalized in MAIN_NAMES else normalized
