"""``--multi-stage``: a rewritten single-stage Dockerfile split into a builder and a runtime stage.

The builder starts from the same base and holds what the install needs: ``ARG``/``ENV``/
``WORKDIR``, the ``COPY``s before it, every system-package install as written, and the venv with
its sync and any later ``uv pip install`` into it (the rewrite's form of a later pip install). The runtime stage is the original file in its order, with the venv copied from the
builder where the sync was, and each system-package install without what only the build needs
(``packages.PACKAGES``; a ``-dev`` package becomes its library). A full ``python:X`` base becomes
``python:X-slim`` in the runtime stage when every system package was classified. A file whose
later steps compile (a ``pip install`` kept on pip, ``make``, a compiler), that installs into
no venv, or that has stages already, stays as the rewrite left it, with the reason.

Pure: text in, text out; the findings say what was done and why not.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reqconv.docker.instructions import parse_dockerfile
from reqconv.docker.model import DockerPlan, DockerResult
from reqconv.docker.packages import Manager, classify
from reqconv.docker.reasons import Findings
from reqconv.frozen import frozen

__all__ = ["slim_image", "split", "system_packages"]

BUILDER = "builder"
_SYNC = re.compile(r"\buv\s+pip\s+(?:sync|install)\b")
_UV_VENV = re.compile(r"\buv\s+venv\b")
_NO_VENV = re.compile(r"\s--(?:system|target|prefix)\b")
_START = r"(?:^|[\s;&|(`])"
_COMPILES = re.compile(
    _START + r"(?:(?:pip[0-9.]*|python[0-9.]*\s+-m\s+pip|uv\s+pip)\s+(?:install|wheel)"
    r"|make|gcc|g\+\+|cc|c\+\+|clang|cmake|cargo|rustc|meson|ninja|go\s+build)(?=\s|$)"
    r"|setup\.py"
)
_INSTALL = re.compile(
    r"\b(?P<apt>apt-get|apt|aptitude)\s+(?:-\S+\s+)*install\s+(?P<apt_args>[^;&|]*)"
    r"|\bapk\s+add\s+(?P<apk_args>[^;&|]*)"
)
_WITH_VALUE = frozenset(
    {"-t", "--target-release", "-o", "--option", "--virtual", "-X", "--repository"}
)
_APT_ONLY = re.compile(
    r"^(?:(?:apt-get|apt|aptitude)\s+\S.*|apk\s+(?:add|del|update)\b.*|rm\s+-rf?\s+/var/(?:lib/apt|cache/apk)\S*(?:\s+/var/\S+)*"
    r"|export\s+DEBIAN_FRONTEND=\S+|true|:)$"
)
_FULL_PYTHON = re.compile(
    r"^(?P<head>(?:docker\.io/(?:library/)?)?python:\d+(?:\.\d+){0,2})"
    r"(?P<suite>-(?:bookworm|bullseye|buster|trixie))?$"
)


@frozen
class Installed:
    """The packages one ``apt-get install``/``apk add`` names; None: a word of unknown content."""

    manager: Manager
    names: tuple[str, ...] | None


def system_packages(shell: str) -> list[Installed]:
    """Every system-package install in a RUN's shell, with the package words it names."""
    found = []
    for match in _INSTALL.finditer(shell):
        manager: Manager = "apt" if match.group("apt") else "apk"
        words = (match.group("apt_args") or match.group("apk_args") or "").split()
        names: list[str] = []
        skip = False
        unknown = False
        for word in words:
            if skip:
                skip = False
                continue
            if word in _WITH_VALUE:
                skip = True
                continue
            if word.startswith("-"):
                continue
            if any(c in word for c in "$`*?"):
                unknown = True
            names.append(word)
        found.append(Installed(manager, None if unknown else tuple(names)))
    return found


def slim_image(image: str) -> str | None:
    """``python:3.11`` -> ``python:3.11-slim``; ``python:3.11-bookworm`` -> ``python:3.11-slim-
    bookworm``; None for any other image (already slim, alpine, a digest, not python)."""
    match = _FULL_PYTHON.match(image)
    if match is None:
        return None
    return f"{match.group('head')}-slim{match.group('suite') or ''}"


@dataclass
class _Stage:
    """What the split learns about the one stage before it writes anything."""

    commands: Sequence[Any]
    sync: int  # index of the last RUN that syncs the venv
    unclassified: list[tuple[Any, str]]  # (command, package)
    runtime_apt: dict[int, str]  # command index -> the RUN's text for the runtime stage ("": drop)


def _lines_of(lines: Sequence[str], command: Any) -> str:
    return "".join(lines[command.start_line - 1 : command.end_line])


def _runtime_install(raw: str, shell: str, installs: list[Installed]) -> str:
    """``raw`` (a RUN's text) without the build-only packages; ``""`` when nothing of it is left
    to do (the RUN only installed packages, all build-only)."""
    text = raw
    present = {name for i in installs for name in i.names or ()}
    added: set[str] = set()
    kept_any = False
    for install in installs:
        for name in install.names or ():
            rule = classify(install.manager, name)
            if rule is None or rule.kind == "runtime":
                kept_any = True
                continue
            instead = [n for n in rule.runtime if n not in present and n not in added]
            added.update(instead)
            kept_any = kept_any or bool(instead)
            pattern = re.compile(r"[ \t]+" + re.escape(name) + r"(?=[\s\\]|$)")
            text = pattern.sub("".join(f" {n}" for n in instead), text, count=1)
    if not kept_any:
        commands = [c.strip() for c in re.split(r"&&|;|\|\|", shell)]
        if all(_APT_ONLY.match(c) for c in commands if c):
            return ""
    return re.sub(r"(?m)^[ \t]*\\\n", "", text)


def _learn(
    commands: Sequence[Any],
    lines: Sequence[str],
    findings: Findings,
    line_of: Callable[[Any], int],
) -> _Stage | None:
    """What the split needs of the stage, or None (with a finding when the reason is not simply
    that nothing syncs a venv)."""
    syncs = [
        i
        for i, c in enumerate(commands)
        if c.cmd.upper() == "RUN" and c.value and _SYNC.search(c.value[0])
    ]
    if not syncs:
        return None
    why = _why_single_stage(commands, syncs)
    if why is not None:
        command, message = why
        findings.advise(line_of(command), "multi-stage-kept", f"left single-stage: {message}")
        return None
    unclassified: list[tuple[Any, str]] = []
    runtime_apt: dict[int, str] = {}
    for i, command in enumerate(commands[: syncs[-1]]):
        if command.cmd.upper() != "RUN" or not command.value or command.json:
            continue
        installs = system_packages(command.value[0])
        for install in installs:
            if install.names is None:
                unclassified.append((command, "(a word of unknown content)"))
                continue
            unclassified += [
                (command, n) for n in install.names if classify(install.manager, n) is None
            ]
        if installs and all(install.names is not None for install in installs):
            # (with unknown words the RUN stays whole in both stages)
            runtime_apt[i] = _runtime_install(_lines_of(lines, command), command.value[0], installs)
    return _Stage(
        commands=commands, sync=syncs[-1], unclassified=unclassified, runtime_apt=runtime_apt
    )


def _why_single_stage(commands: Sequence[Any], syncs: Sequence[int]) -> tuple[Any, str] | None:
    """The instruction that keeps the stage whole, and why: an install into no venv, or a step
    before or after the install that needs the build tools."""
    for i in syncs:
        if _NO_VENV.search(" " + commands[i].value[0]):
            return commands[i], (
                "the install goes to the system Python (--system, --target or --prefix), so "
                "there is no venv to copy into a runtime stage"
            )
    sync = syncs[-1]
    for i, command in enumerate(commands):
        if command.cmd.upper() != "RUN" or not command.value or i in syncs:
            continue
        shell = " ".join(command.value)
        compiles = _COMPILES.search(" " + shell)
        if i > sync:
            builds = [
                name
                for install in system_packages(shell)
                for name in install.names or ()
                if (rule := classify(install.manager, name)) is not None and rule.kind == "build"
            ]
            if compiles or builds:
                what = f"`{compiles.group(0).strip()}`" if compiles else ", ".join(builds)
                return command, (
                    f"a step after the install needs the build tools ({what}), which a runtime "
                    "stage would not have"
                )
        elif compiles and not _UV_VENV.search(shell) and not system_packages(shell):
            return command, (
                f"a step before the install builds or installs packages "
                f"(`{compiles.group(0).strip()}`), which the runtime stage would run again "
                "without the build tools"
            )
    return None


def _line_map(original: str, text: str) -> dict[int, int]:
    """Each line of ``text`` -> the line of ``original`` it is, or in a replaced block the line at
    the same offset (the block's last line past its end)."""
    old, new = original.splitlines(), text.splitlines()
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            mapping[j + 1] = min(i1 + offset, max(i2 - 1, i1)) + 1
    return mapping


def split(original: str, result: DockerResult, plan: DockerPlan) -> DockerResult:
    """``result`` with its one stage split in two, or with a finding saying why it stays."""
    if not result.changed:
        return result
    findings = Findings(result.findings)
    before = parse_dockerfile(original)

    moved = _line_map(original, result.text)

    def line_of(command: Any) -> int:
        """The original file's line of an instruction of the rewritten text."""
        for old in before:
            if old.cmd == command.cmd and old.original == command.original:
                return int(old.start_line)
        return moved.get(int(command.start_line), 1)

    commands = parse_dockerfile(result.text)
    froms = [c for c in commands if c.cmd.upper() == "FROM"]
    if len(froms) != 1:
        findings.advise(
            line_of(froms[-1]) if froms else 1,
            "multi-stage-kept",
            f"left as the rewrite made it: the file has {len(froms)} stages already",
        )
        return dataclasses.replace(result, findings=findings.sorted())
    lines = result.text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = commands.index(froms[0])
    stage_commands = commands[start:]
    stage = _learn(stage_commands[1:], lines, findings, line_of)
    if stage is None:
        return dataclasses.replace(result, findings=findings.sorted())
    text, runtime_image = _write(lines, commands[:start], froms[0], stage, plan.venv)
    from_line = line_of(froms[0])
    for command, name in stage.unclassified:
        findings.advise(
            line_of(command),
            "system-package-unclassified",
            f"{name} is not in reqconv's table of build-only packages: it stays in both stages "
            "(drop it from the runtime stage if only the build needs it)",
        )
    image = froms[0].value[0]
    findings.advise(
        from_line,
        "multi-stage",
        f"split into a builder stage ({image}: the system packages and the sync into "
        f"{plan.venv}) and a runtime stage ({runtime_image}) that copies {plan.venv}",
    )
    if runtime_image != image:
        findings.advise(
            from_line,
            "runtime-slim",
            f"the runtime stage starts from {runtime_image}: {image} served only to compile "
            "(a compiled package linking a library only the full image has would fail to "
            "import there: --verify imports every locked package)",
        )
    return dataclasses.replace(result, text=text, findings=findings.sorted())


def _write(
    lines: Sequence[str], preamble: Sequence[Any], base: Any, stage: _Stage, venv: str
) -> tuple[str, str]:
    commands = stage.commands
    image = base.value[0]
    runtime_image = image
    if not stage.unclassified:
        runtime_image = slim_image(image) or image
    name = base.value[2] if len(base.value) >= 3 and base.value[1].upper() == "AS" else None
    builder = BUILDER if name != BUILDER else f"venv-{BUILDER}"
    flags = "".join(f"{flag} " for flag in base.flags)
    head_end = base.start_line - 1  # preamble and comments before FROM stay on top
    out_head = "".join(lines[:head_end])
    builder_part = [f"FROM {flags}{image} AS {builder}\n"]
    runtime_part = [
        f"\nFROM {flags}{runtime_image}" + (f" AS {name}" if name else "") + "\n",
    ]
    previous_end = base.end_line
    for i, command in enumerate(commands):
        chunk = "".join(lines[previous_end : command.end_line])  # with its leading comments
        own = _lines_of(lines, command)
        previous_end = command.end_line
        kind = command.cmd.upper()
        if i > stage.sync:
            runtime_part.append(chunk)
            continue
        if (
            kind == "RUN"
            and command.value
            and (_SYNC.search(command.value[0]) or _UV_VENV.search(command.value[0]))
        ):
            builder_part.append(own)
            if i == stage.sync:
                runtime_part.append(f"COPY --from={builder} {venv} {venv}\n")
            continue
        if kind == "ENV" and all(str(v).startswith("UV_") for v in command.value[::2]):
            builder_part.append(own)  # uv's settings: the builder's alone
            continue
        if kind == "COPY" and any(
            str(f).startswith("--from=ghcr.io/astral-sh/uv") for f in command.flags
        ):
            builder_part.append(own)
            continue
        if kind in ("ARG", "ENV", "WORKDIR", "SHELL", "COPY", "ADD"):
            builder_part.append(own)
            runtime_part.append(chunk)
            continue
        if kind == "RUN" and i in stage.runtime_apt:
            builder_part.append(own)
            runtime = stage.runtime_apt[i]
            if runtime:
                runtime_part.append(chunk[: len(chunk) - len(own)] + runtime)
            continue
        if kind == "RUN" and command.value and system_packages(command.value[0]):
            builder_part.append(own)  # unknown words: whole, in both
        runtime_part.append(chunk)
    tail = "".join(lines[previous_end:])
    text = out_head + "".join(builder_part) + "".join(runtime_part) + tail
    return text, runtime_image
