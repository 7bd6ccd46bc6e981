""".dockerignore: keep the local ``.venv`` out of the build context, and the locks in it."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from reqconv.docker.model import DockerFinding, norm

__all__ = ["dockerignore_check", "dockerignore_update"]


def _ignore_matches(pattern: str, path: str) -> bool:
    pattern = pattern.strip().lstrip("/")
    if pattern.startswith("**/"):
        return _ignore_matches(pattern[3:], path) or fnmatch.fnmatchcase(path, pattern)
    pattern = norm(pattern)
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/")


def dockerignore_check(
    text: str | None, copied: Sequence[str] = ("requirements.lock",), venv: str = ".venv"
) -> tuple[str, tuple[DockerFinding, ...]]:
    """``.dockerignore`` with ``venv`` (the service's ``.venv``, relative to the build context)
    added, and ``!<lock>`` for each ``copied`` lock (context-relative) a pattern excludes (a bind
    mount reads the context through it too: the build would fail), each with a finding."""
    lines = [] if text is None else text.split("\n")
    findings: list[DockerFinding] = []
    patterns = [(n, line.strip()) for n, line in enumerate(lines, 1)]
    patterns = [(n, p) for n, p in patterns if p and not p.startswith("#")]
    added: list[str] = []
    for copied_path in copied:
        path = norm(copied_path)
        excluded_by: int | None = None
        for number, pattern in patterns:
            if _ignore_matches(pattern.lstrip("!"), path):
                excluded_by = None if pattern.startswith("!") else number
        if excluded_by is not None:
            added.append(f"!{path}")
            findings.append(
                DockerFinding(
                    line=excluded_by,
                    code="dockerignore-excludes-lock",
                    message=f"excludes {path}, which the Dockerfile now mounts: `!{path}` added",
                    severity="info",
                )
            )
    if not any(_ignore_matches(p, venv) for _n, p in patterns if not p.startswith("!")):
        added.insert(0, venv)
    if not added:
        return ("" if text is None else text), tuple(findings)
    if not text:
        return "".join(f"{line}\n" for line in added), tuple(findings)
    sep = "" if text.endswith("\n") else "\n"
    return text + sep + "".join(f"{line}\n" for line in added), tuple(findings)


def dockerignore_update(
    text: str | None, copied: Sequence[str] = ("requirements.lock",)
) -> tuple[str, list[str]]:
    """``.dockerignore`` with ``.venv`` added, and ``line N: ...`` messages for each ``copied``
    file (the locks the new Dockerfile copies) that it excludes."""
    new, findings = dockerignore_check(text, copied)
    return new, [f"line {f.line}: {f.message}" for f in findings]
