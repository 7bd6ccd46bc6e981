"""The parsed Dockerfile: instructions, stages, each RUN's shell commands (parsed once), and where
things are: a path in the image at a line (``WORKDIR``, ``ARG``/``ENV`` expanded), the build-context
file a ``COPY`` put there, the RUN that wrote a file, what a ``COPY --from`` takes, what an ``rm``
removes.

What is true of a stage's environment at a line (its venv, uv, USER, SHELL, base image) is asked of
``environment``. Pure: it reads nothing but the text, and reports only what it could not read
(``shell-unparsed``).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker.instructions import (
    Logical,
    Source,
    Stage,
    before,
    env_pairs,
    expand,
    global_args,
    parse_dockerfile,
    split_stages,
    unquote,
)
from reqconv.docker.model import norm
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import (
    PIP_INSTALL_RE,
    POSIX_SHELLS,
    Cmd,
    Script,
    command_start,
    parse_shell,
    walk_commands,
)

__all__ = ["SYSTEM_PYTHON_PATH_RE", "Dockerfile"]

# Where a system Python keeps what pip installs, or a folder holding it: a later stage copying one
# of these from a stage synced into a venv gets no packages (``/`` brings the venv but not its PATH).
SYSTEM_PYTHON_PATH_RE = re.compile(
    r"site-packages|dist-packages|^/(?:usr(?:/local)?)?$|^/usr/local/(?:lib|bin)\b|^/usr/lib/python"
)


class Dockerfile:
    """One parsed Dockerfile; its caches make each RUN's shell parsed once."""

    def __init__(self, text: str, findings: Findings) -> None:
        self.src = Source(text)
        self.commands = parse_dockerfile(text)
        self.stages = split_stages(self.commands)
        self.findings = findings
        self.scripts: dict[int, list[tuple[Script, list[Cmd]]]] = {}
        self.logicals: dict[int, Logical | None] = {}

    def logical(self, command: Any) -> Logical | None:
        if command.start_line not in self.logicals:
            self.logicals[command.start_line] = self.src.logical(
                command, first_line_only=bool(command.heredocs)
            )
        return self.logicals[command.start_line]

    # shell scripts of one RUN
    def run_scripts(self, command: Any) -> list[tuple[Script, list[Cmd]]]:
        if command.start_line in self.scripts:
            return self.scripts[command.start_line]
        scripts: list[Script] = []
        if command.json:
            pass
        elif command.heredocs:
            runner = command.value[0].split()[1:2] if command.value else []
            shell_runner = not runner or PurePosixPath(runner[0]).name in POSIX_SHELLS
            if (
                command.value
                and command.value[0].startswith("<<")
                and len(command.heredocs) == 1
                and shell_runner  # ``RUN <<EOF python3`` runs the heredoc as Python
            ):
                content = command.heredocs[0].content
                start = self.src.line_end(command.start_line)
                if self.src.text[start : start + len(content)] == content:
                    offsets = list(range(start, start + len(content) + 1))
                    scripts.append(Script(content, offsets, heredoc=True))
        else:
            logical = self.logical(command)
            shell = command.value[0] if command.value else ""
            if logical is not None and shell and logical.text.rstrip().endswith(shell):
                at = len(logical.text.rstrip()) - len(shell)
                scripts.append(Script(shell, logical.offsets[at:], heredoc=False))
        if not scripts and not command.json and PIP_INSTALL_RE.search(command.original):
            self.findings.kept(
                command.start_line,
                "shell-unparsed",
                "cannot map this RUN (heredoc form or continuations) to its lines",
            )
        parsed: list[tuple[Script, list[Cmd]]] = []
        for script in scripts:
            trees = parse_shell(script)
            if trees is None:
                if "pip" in script.text and "install" in script.text:
                    self.findings.kept(
                        command.start_line,
                        "shell-unparsed",
                        "cannot parse this RUN's shell",
                        "rewrite it by hand to `uv pip sync --require-hashes <lock>`",
                    )
                continue
            parsed.append((script, walk_commands(script, trees)))
        self.scripts[command.start_line] = parsed
        return parsed

    def cmds_in(self, command: Any) -> list[Cmd]:
        return [cmd for _script, cmds in self.run_scripts(command) for cmd in cmds]

    def numbered_stage_refs(self) -> bool:
        """Whether a ``--from``/``from=`` names a stage by its number (a new stage renumbers)."""
        return any(
            re.search(r"(?:^--from=|[,=]from=)\d+(?:,|$)", flag)
            for command in self.commands
            for flag in command.flags
        ) or any(
            command.cmd.upper() == "FROM" and command.value and command.value[0].isdigit()
            for command in self.commands
        )

    def removes(self, stage: Stage, command: Any, target: str) -> str | None:
        """The ``rm`` argument of ``command`` (as written) that deletes ``target`` or a folder
        holding it (``rm -rf /root/.cache``, ``~/.cache/*``), else None."""
        home = "/root"
        for earlier in before(stage, command.start_line):
            if earlier.cmd.upper() == "ENV":
                home = next((v for n, v in env_pairs(earlier) if n == "HOME"), home)
        covered = [target]
        while posixpath.dirname(covered[-1]) != covered[-1]:
            covered.append(posixpath.dirname(covered[-1]))
        for cmd in self.cmds_in(command):
            words = [w.word for w in cmd.words]
            at = command_start(cmd.words)
            if at >= len(words) or PurePosixPath(words[at]).name != "rm":
                continue
            for arg in words[at + 1 :]:
                if arg.startswith("-"):
                    continue
                path = re.sub(r"^(?:~|\$HOME\b|\$\{HOME\})", home, arg)
                absolute = self.image_path(stage, command.start_line, path)
                if absolute is not None and any(
                    fnmatch.fnmatchcase(folder, absolute) for folder in covered
                ):
                    return str(arg)
        return None

    def uses_buildkit(self) -> bool:
        """Whether the file already needs BuildKit (a ``--mount``, heredoc, ``COPY --link`` or
        ``--chmod``, or a ``# syntax=`` directive)."""
        if re.match(r"^(?:#[^\n]*\n)*#\s*syntax\s*=", self.src.text, re.I):
            return True
        return any(
            command.heredocs
            or any(f.startswith(("--mount", "--link", "--chmod")) for f in command.flags)
            for command in self.commands
        )

    def copies_from(self, copy: Any, stage: Stage) -> bool:
        names = {str(stage.index)}
        if stage.name:
            names.add(stage.name.lower())
        return any(
            f.lower().startswith("--from=") and f.split("=", 1)[1].lower() in names
            for f in copy.flags
        )

    def generated_at(self, stage: Stage, command: Any, ref: str) -> int | None:
        """The line of a RUN before (or at) ``command`` that writes ``ref`` (``-o``,
        ``--output-file``, ``>``)."""
        name = re.escape(PurePosixPath(ref).name)
        written = re.compile(
            rf"(?:\s-o\s*|\s--output(?:-file)?[=\s]\s*|>\s*)(?:\S*/)?{name}(?=$|[\s;&|)])"
        )
        for run in [*before(stage, command.start_line), command]:
            if run.cmd.upper() == "RUN" and written.search(run.original):
                return int(run.start_line)
        return None

    def copied_from(self, stage: Stage, line: int, ref: str) -> str | None:
        """The build-context file that the last ``COPY`` before ``line`` put where ``ref`` is."""
        ref_abs = self.image_path(stage, line, ref)
        if ref_abs is None:
            return None
        for copy in reversed(before(stage, line)):
            if (
                copy.cmd.upper() not in ("COPY", "ADD")
                or len(copy.value) < 2
                or any(f.lower().startswith("--from=") for f in copy.flags)
            ):
                continue
            variables = self.variables_at(stage, copy.start_line)
            sources = [
                expanded
                for s in copy.value[:-1]
                if not any(c in s for c in "*?[")
                and (expanded := expand(unquote(s), variables)) is not None
            ]
            dest_abs = self.image_path(stage, copy.start_line, copy.value[-1])
            if dest_abs is None:
                continue
            if len(copy.value) == 2 and sources and dest_abs == ref_abs:
                return str(sources[0])  # COPY requirements.txt /app/reqs.txt
            for source in sources:
                if posixpath.join(dest_abs, PurePosixPath(source).name) == ref_abs:
                    return str(source)
            for source in sources:  # COPY . /app, COPY backend/ /srv: a folder of the context
                folder = norm(source).lstrip("/")
                if (folder == "" or PurePosixPath(folder).suffix == "") and ref_abs.startswith(
                    dest_abs.rstrip("/") + "/"
                ):
                    return posixpath.join(folder, ref_abs[len(dest_abs.rstrip("/")) + 1 :])
        return None

    def variables_at(self, stage: Stage, line: int) -> dict[str, str]:
        """The ``ARG`` defaults (global ones expanded in order, ``ARG APP=${MODULE}/x``) and
        ``ENV`` values in effect at ``line`` of ``stage``."""
        variables: dict[str, str] = {}
        for name, value in global_args(self.commands).items():
            expanded = expand(value, variables)
            if expanded is not None:
                variables[name] = expanded
        for command in before(stage, line):
            kind = command.cmd.upper()
            pairs: list[tuple[str, str]] = []
            if kind == "ENV":
                pairs = env_pairs(command)
            elif kind == "ARG":
                for item in command.value:
                    name, sep, default = item.partition("=")
                    if sep:
                        pairs.append((name, unquote(default)))
            for name, value in pairs:
                expanded = expand(value, variables)
                if expanded is not None:
                    variables[name] = expanded
        return variables

    def image_path(self, stage: Stage, line: int, path: str) -> str | None:
        """``path`` made absolute against the ``WORKDIR`` in effect at ``line`` (the base image's
        own workdir stands as ``/<image workdir>``); None when a ``WORKDIR`` uses an unknown
        variable."""
        workdir = "/<image workdir>"
        variables = global_args(self.commands)
        for command in before(stage, line):
            kind = command.cmd.upper()
            if kind == "ENV":
                variables.update(env_pairs(command))
            elif kind == "ARG":
                for item in command.value:
                    name, sep, default = item.partition("=")
                    if sep:
                        variables[name] = unquote(default)
            elif kind == "WORKDIR" and command.value:
                expanded = expand(command.value[0], variables)
                if expanded is None:
                    return None
                workdir = posixpath.join(workdir, expanded)
        expanded_path = expand(path, variables)
        if expanded_path is None:
            return None
        return posixpath.normpath(posixpath.join(workdir, expanded_path))
