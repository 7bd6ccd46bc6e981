"""BuildKit instructions: parse, the ``# escape=`` directive, logical lines, ``ARG`` expansion, stages.

``dockerfile`` is BuildKit's own parser (instructions, exact line ranges, flags, heredocs, stage
names); this is the only module that imports it, inside ``parse_dockerfile`` so that
``reqconv --help`` stays fast. ``Source`` maps each instruction's logical line back to offsets in
the file, so that an edit changes only the characters it means to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reqconv.errors import DockerfileError

__all__ = [
    "DIRECTIVE_RE",
    "PLAIN_PYTHON_IMAGE_RE",
    "PYTHON_IMAGE_RE",
    "Logical",
    "Source",
    "Stage",
    "base_python_versions",
    "before",
    "context_sources",
    "copied_files",
    "env_pairs",
    "escape_char",
    "expand",
    "global_args",
    "instructions",
    "parse_dockerfile",
    "split_stages",
    "unquote",
]

# The official image, with or without its registry (python, docker.io/library/python).
PYTHON_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python"
    r":(?P<major>\d+)\.(?P<minor>\d+)(?:\.\d+)?(?:[-@].*)?$"
)
# The official image (any tag) and uv's images: their Python has no packages of its own to keep.
PLAIN_PYTHON_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python(?:[:@].*)?$"
    r"|^ghcr\.io/astral-sh/uv:"
)
_VAR_RE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+][^}]*)?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def parse_dockerfile(text: str) -> Sequence[Any]:
    import dockerfile

    try:
        return tuple(dockerfile.parse_string(text))
    except dockerfile.GoParseError as e:
        raise DockerfileError(f"the BuildKit parser refuses this Dockerfile: {e}") from e


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def expand(word: str, args: dict[str, str]) -> str | None:
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


def global_args(commands: Sequence[Any]) -> dict[str, str]:
    """``ARG NAME=default`` declared before the first ``FROM`` (the ones a ``FROM`` may use)."""
    args: dict[str, str] = {}
    for command in commands:
        if command.cmd.upper() == "FROM":
            break
        if command.cmd.upper() == "ARG":
            for item in command.value:
                name, sep, default = item.partition("=")
                if sep:
                    args[name] = unquote(default)
    return args


def base_python_versions(text: str) -> tuple[tuple[str, int], ...]:
    """``("3.12", line)`` for each ``FROM`` of the official python image with a ``X.Y`` tag.

    ``docker.io/library/python:…`` counts too, and ``python:${PY}`` is resolved from an ``ARG``
    default declared before the first ``FROM``. Other images (or unknown tags) are skipped.
    """
    commands = parse_dockerfile(text)
    args = global_args(commands)
    found: list[tuple[str, int]] = []
    for command in commands:
        if command.cmd.upper() != "FROM" or not command.value:
            continue
        image = expand(command.value[0], args)
        if image is None:
            continue
        match = PYTHON_IMAGE_RE.match(image)
        if match is not None:
            found.append((f"{match['major']}.{match['minor']}", command.start_line))
    return tuple(found)


# --------------------------------------------------------------------------------------------


_ESCAPE_RE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.I)
DIRECTIVE_RE = re.compile(r"^#\s*[A-Za-z]+\s*=")


def escape_char(text: str) -> str:
    """The line-continuation character: ``\\`` unless a ``# escape=`` directive says otherwise."""
    for line in text.split("\n"):
        stripped = line.strip()
        match = _ESCAPE_RE.match(stripped)
        if match is not None:
            return match.group(1)
        if not DIRECTIVE_RE.match(stripped):
            break  # directives only count before any other line (BuildKit rule)
    return "\\"


@dataclass(slots=True)
class Logical:
    """An instruction's logical line, and where each of its characters sits in the file."""

    text: str
    offsets: list[int]  # len(text) + 1 entries; the last is the end of the instruction's last line

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


class Source:
    """The file as lines, with absolute offsets, and the escape character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts: list[int] = []
        pos = 0
        for line in self.lines:
            self.starts.append(pos)
            pos += len(line) + 1
        self.escape = escape_char(text)
        self._cont_re = re.compile(re.escape(self.escape) + r"[ \t]*$")

    def line_start(self, line: int) -> int:
        return self.starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset after the newline of ``line`` (1-based); the text's end for the last line."""
        if line >= len(self.lines):
            return len(self.text)
        return self.starts[line]

    def logical(self, command: Any, *, first_line_only: bool = False) -> Logical | None:
        """BuildKit's logical line (continuations joined, comment lines dropped), or None if our
        reconstruction differs from the parser's (then nothing in the instruction is edited)."""
        chars: list[str] = []
        offsets: list[int] = []
        last = command.start_line if first_line_only else command.end_line
        for number in range(command.start_line, last + 1):
            line = self.lines[number - 1]
            base = self.starts[number - 1]
            if number > command.start_line and (not line.strip() or line.lstrip().startswith("#")):
                continue
            match = self._cont_re.search(line)
            body = match.start() if (match and number < last) else len(line)
            for index in range(body):
                chars.append(line[index])
                offsets.append(base + index)
        text = "".join(chars)
        offsets.append(offsets[-1] + 1 if offsets else self.starts[command.start_line - 1])
        logical = Logical(text, offsets)
        expected = command.original.split("\n", 1)[0] if first_line_only else command.original
        if logical.text.rstrip() != expected.rstrip():
            return None
        return logical


# -- shell analysis ------------------------------------------------------------------------


@dataclass(slots=True)
class Stage:
    index: int
    name: str | None
    parent: Stage | None
    image: str = ""
    platform: str | None = None  # FROM --platform=…
    commands: list[Any] = field(default_factory=list)

    def chain(self) -> list[Stage]:
        """This stage, then the stages it is built FROM (nearest first)."""
        stages: list[Stage] = []
        stage: Stage | None = self
        while stage is not None and stage not in stages:
            stages.append(stage)
            stage = stage.parent
        return stages


def split_stages(commands: Sequence[Any]) -> list[Stage]:
    stages: list[Stage] = []
    by_name: dict[str, Stage] = {}
    for command in commands:
        if command.cmd.upper() == "FROM":
            value = list(command.value)
            name = value[2] if len(value) >= 3 and value[1].lower() == "as" else None
            parent = by_name.get(value[0].lower()) if value else None
            image = value[0] if value else ""
            platform = next(
                (f.split("=", 1)[1] for f in command.flags if f.lower().startswith("--platform=")),
                None,
            )
            stage = Stage(
                index=len(stages), name=name, parent=parent, image=image, platform=platform
            )
            stages.append(stage)
            if name:
                by_name[name.lower()] = stage
            stage.commands.append(command)
        elif stages:
            stages[-1].commands.append(command)
    return stages


def before(stage: Stage, line: int) -> list[Any]:
    """Instructions that run before ``line`` in ``stage`` and the stages it is built FROM (in order)."""
    commands: list[Any] = []
    for ancestor in reversed(stage.chain()):
        commands.extend(
            c for c in ancestor.commands if ancestor is not stage or c.start_line < line
        )
    return commands


def env_pairs(command: Any) -> list[tuple[str, str]]:
    """``ENV`` names and values: BuildKit gives them flat (``NAME, value, NAME, value``)."""
    value = list(command.value)
    return [(name, unquote(val)) for name, val in zip(value[0::2], value[1::2], strict=False)]


def copied_files(text: str) -> tuple[str, ...]:
    """The build-context paths that ``COPY``/``ADD`` (not ``--from``) name as sources, as written."""
    return tuple(
        dict.fromkeys(
            source
            for command in parse_dockerfile(text)
            if command.cmd.upper() in ("COPY", "ADD")
            and not any(f.lower().startswith("--from=") for f in command.flags)
            for source in command.value[:-1]
        )
    )


def _bind_sources(flags: Sequence[str]) -> list[str]:
    """The build-context paths a RUN's bind mounts read (``--mount=type=bind,source=x``; bind is
    the default type; not ``from=`` another stage or image, nor the whole context)."""
    sources = []
    for flag in flags:
        if not flag.startswith("--mount="):
            continue
        options = dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))
        if options.get("type", "bind") != "bind" or "from" in options:
            continue
        source = options.get("source") or options.get("src") or ""
        if source.strip("./"):
            sources.append(source)
    return sources


def context_sources(
    text: str, build_args: Mapping[str, str] | None = None
) -> tuple[tuple[str, int], ...]:
    """``(path, line)`` for each build-context source of a ``COPY``/``ADD`` (not ``--from``) and
    of a ``RUN --mount=type=bind,source=…`` (not ``from=``).

    ``$VAR``/``${VAR:-x}`` expand from the ``ARG`` defaults in scope (global ones before the first
    ``FROM``, redeclared in a stage), ``build_args`` (which win, as ``--build-arg`` does) and the
    stage's earlier ``ENV`` (``ENV APP_DIR svc/a``, then ``COPY ./${APP_DIR}/ …``).
    Sources with a variable that has no value, URLs (``ADD https://…``) and heredocs are left out.
    """
    given = dict(build_args or {})
    commands = parse_dockerfile(text)
    globals_: dict[str, str] = {}
    scope: dict[str, str] = {}
    in_stage = False
    found: list[tuple[str, int]] = []
    for command in commands:
        keyword = command.cmd.upper()
        if keyword == "FROM":
            in_stage, scope = True, {}
        elif keyword == "ARG":
            for item in command.value:
                name, sep, default = item.partition("=")
                target = scope if in_stage else globals_
                if name in given:
                    target[name] = given[name]
                elif sep:
                    value = expand(unquote(default), target)
                    if value is not None:
                        target[name] = value
                elif in_stage and name in globals_:
                    target[name] = globals_[name]
        elif keyword == "ENV" and in_stage:
            for name, value in env_pairs(command):
                expanded = expand(value, scope)
                if expanded is not None:
                    scope[name] = expanded
                else:
                    scope.pop(name, None)
        elif keyword == "RUN" and in_stage:
            for source in _bind_sources(command.flags):
                expanded = expand(unquote(source), scope)
                if expanded is not None:
                    found.append((expanded, command.start_line))
        elif keyword in ("COPY", "ADD") and in_stage:
            if any(f.lower().startswith("--from=") for f in command.flags):
                continue
            for source in command.value[:-1]:
                if source.startswith("<<") or re.match(r"^[a-z][a-z0-9+.-]*://|^git@", source):
                    continue
                expanded = expand(unquote(source), scope)
                if expanded is not None:
                    found.append((expanded, command.start_line))
    return tuple(found)


def instructions(text: str) -> list[tuple[str, ...]]:
    """Comparable instructions: keyword, the parser's logical line, then heredoc bodies."""
    return [
        (c.cmd.upper(), c.original, *(h.content for h in c.heredocs))
        for c in parse_dockerfile(text)
    ]
