"""Dockerfile reading and rewriting: the only importer of ``dockerfile`` and ``bashlex``.

``dockerfile`` is BuildKit's own parser; ``bashlex`` parses the shell inside ``RUN``. Pure: text
in, text or model out; never reads, writes or prints. Both are imported inside the functions that
need them, so that ``reqconv --help`` stays fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reqconv.errors import DockerfileError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["base_python_versions"]

# The official image, with or without its registry (python, docker.io/library/python).
_PYTHON_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python"
    r":(?P<major>\d+)\.(?P<minor>\d+)(?:\.\d+)?(?:[-@].*)?$"
)
_VAR_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+][^}]*)?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def _parse(text: str) -> Sequence[Any]:
    import dockerfile

    try:
        return tuple(dockerfile.parse_string(text))
    except dockerfile.GoParseError as e:
        raise DockerfileError(f"the BuildKit parser refuses this Dockerfile: {e}") from e


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _expand(word: str, args: dict[str, str]) -> str | None:
    """``word`` with ``$VAR``/``${VAR}``/``${VAR:-x}`` expanded from ``args``; None when unknown."""
    unknown = False

    def sub(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group("braced") or match.group("bare")
        op = match.group("op") or ""
        value = args.get(name)
        if op.lstrip(":").startswith("-"):
            default = op.lstrip(":")[1:]
            if value is None or (op.startswith(":") and not value):
                return default
            return value
        if value is None:
            unknown = True
            return ""
        return value

    expanded = _VAR_RE.sub(sub, word)
    return None if unknown else expanded


def _global_args(commands: Sequence[Any]) -> dict[str, str]:
    """``ARG NAME=default`` declared before the first ``FROM`` (the ones a ``FROM`` may use)."""
    args: dict[str, str] = {}
    for command in commands:
        if command.cmd.upper() == "FROM":
            break
        if command.cmd.upper() == "ARG":
            for item in command.value:
                name, sep, default = item.partition("=")
                if sep:
                    args[name] = _unquote(default)
    return args


def base_python_versions(text: str) -> tuple[tuple[str, int], ...]:
    """``("3.12", line)`` for each ``FROM`` of the official python image with a ``X.Y`` tag.

    ``docker.io/library/python:…`` counts too, and ``python:${PY}`` is resolved from an ``ARG``
    default declared before the first ``FROM``. Other images (or unknown tags) are skipped.
    """
    commands = _parse(text)
    args = _global_args(commands)
    found: list[tuple[str, int]] = []
    for command in commands:
        if command.cmd.upper() != "FROM" or not command.value:
            continue
        image = _expand(command.value[0], args)
        if image is None:
            continue
        match = _PYTHON_IMAGE_RE.match(image)
        if match is not None:
            found.append((f"{match['major']}.{match['minor']}", command.start_line))
    return tuple(found)
