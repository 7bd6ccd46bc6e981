"""Drift kinds 4 and 5: Dockerfiles against the locks (D4xx): locks they install that are not
exported or not there, ``COPY`` sources missing from the build context, a ``pip install -r`` that
``reqconv docker`` would rewrite, a uv image older than the uv that made the lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from reqconv.drift.codes import Finding, finding

__all__ = [
    "GROUP_LOCK_RE",
    "LOCK_REF_RE",
    "compare_copy_sources",
    "compare_dockerfile_locks",
    "compare_pip_left",
    "compare_uv_image",
]

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
                    finding(
                        "D403",
                        path,
                        number,
                        f"uses {name}, which `reqconv lock` does not export (no group or extra "
                        f"{group!r} in pyproject.toml)",
                    )
                )
            elif not exists(ref):
                findings.append(finding("M503", path, number, f"{name} does not exist"))
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
                finding(
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
                finding(
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
                    finding(
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
                    finding(
                        "D404",
                        path,
                        number,
                        f"uv image {match['version']} is older than uv {made_by}, which made "
                        "uv.lock",
                    )
                )
    return findings
