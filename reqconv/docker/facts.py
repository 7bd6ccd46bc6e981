"""What is true at a line of a stage: the parsed Dockerfile and the questions the decision asks.

``Dockerfile`` holds the instructions, the stages and each RUN's shell commands (parsed once), and
answers questions such as "which venv does pip install into here", "is uv already on PATH", "does
a later stage copy the system site-packages", "where did this file come from in the context".
Pure: it reads nothing but the text, and reports only what it could not read (``shell-unparsed``).
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from reqconv.docker.instructions import (
    PLAIN_PYTHON_IMAGE_RE,
    PYTHON_IMAGE_RE,
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
from reqconv.docker.model import UV_IMAGE, norm
from reqconv.docker.reasons import Findings
from reqconv.docker.shell import (
    PIP_INSTALL_RE,
    POSIX_SHELLS,
    Cmd,
    Script,
    command_start,
    parse_shell,
    venv_created,
    walk_commands,
)

__all__ = ["SYSTEM_PYTHON_PATH_RE", "Dockerfile", "Tls"]

_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
# Debian/Ubuntu/Alpine/RHEL package names of Python 2 (``python-pip`` is Python 2's pip there).
_PYTHON2_PACKAGES_RE = re.compile(
    r"\b(?:apt-get|apt|apk|yum|dnf)\b[^;&|]*\s(?:python2(?:\.\d+)?|python-pip|python-dev)"
    r"(?=[\s;&|]|$)"
)
_WINDOWS_IMAGE_RE = re.compile(r"windowsservercore|nanoserver|mcr\.microsoft\.com/windows", re.I)
# Where a system Python keeps what pip installs, or a folder holding it: a later stage copying one
# of these from a stage synced into a venv gets no packages (``/`` brings the venv but not its PATH).
SYSTEM_PYTHON_PATH_RE = re.compile(
    r"site-packages|dist-packages|^/(?:usr(?:/local)?)?$|^/usr/local/(?:lib|bin)\b|^/usr/lib/python"
)
_SYSTEM_PYTHON_EXE_RE = re.compile(r"(?:^|[\s;&|(])/usr(?:/local)?/bin/python[0-9.]*(?=$|[\s;&|)])")


_CERT_VARIABLES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_CA_UPDATE_RE = re.compile(r"\bupdate-ca-(?:certificates|trust)\b")
_CA_FOLDERS = (
    "/usr/local/share/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/pki/ca-trust/source/anchors",
)


class Tls(NamedTuple):
    """ENV assignments that make uv trust the stage's certificates, and why."""

    env: tuple[str, ...]
    message: str


def _version(text: str) -> tuple[int, ...]:
    """``"0.9.5"`` -> ``(0, 9, 5)``; an unreadable version counts as the newest."""
    try:
        return tuple(int(part) for part in text.split(".")[:3])
    except ValueError:
        return (999,)


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

    # facts about a stage before a line
    def existing_venv(self, stage: Stage, line: int, cmd: Cmd | None = None) -> str | None:
        """The venv pip installs into at ``line``: ``VIRTUAL_ENV``, else a venv the stage creates
        whose ``bin`` is on ``PATH`` (or activated earlier in ``cmd``'s chain). A venv created
        but not used is none: pip installed into the system Python there."""
        venv: str | None = None
        created: list[str] = []
        paths: list[str] = []
        for command in before(stage, line):
            kind = command.cmd.upper()
            if kind == "RUN":
                for run_cmd in self.cmds_in(command):
                    made = venv_created(run_cmd)
                    if made is not None:
                        created.append(made)
            elif kind == "ENV":
                for name, value in env_pairs(command):
                    if name == "VIRTUAL_ENV":
                        venv = value
                    elif name == "PATH":
                        paths.append(value)
        if venv is not None:
            return venv
        if cmd is not None:  # ``python -m venv venv && . venv/bin/activate && pip install …``
            created += [made for made, _at in self.created_before(stage, line, cmd)]
        activated = self.activated(cmd) if cmd is not None else []
        for made in reversed(created):
            bin_dir = posixpath.join(made, "bin")
            if norm(made) in activated or any(
                norm(part) == norm(bin_dir) for value in paths for part in value.split(":")
            ):
                return made
        return None

    def created_before(self, stage: Stage, line: int, cmd: Cmd) -> list[tuple[str, int]]:
        """``(folder, offset)`` of each venv made earlier in ``cmd``'s own ``&&``/``;`` chain."""
        if cmd.chain is None:
            return []
        run = next((c for c in stage.commands if c.start_line == line), None)
        if run is None:
            return []
        found = []
        for other in self.cmds_in(run):
            if other.chain is cmd.chain and other.node.pos[0] < cmd.node.pos[0]:
                made = venv_created(other)
                if made is not None:
                    found.append((made, other.node.pos[0]))
        return found

    def activated(self, cmd: Cmd) -> list[str]:
        """Venvs sourced (``. /venv/bin/activate``) before ``cmd`` in its ``&&``/``;`` chain."""
        if cmd.chain is None:
            return []
        found: list[str] = []
        for part in cmd.chain.parts:
            if part is cmd.node:
                break
            if part.kind != "command":
                continue
            words = [w.word for w in part.parts if w.kind == "word"]
            if len(words) == 2 and words[0] in (".", "source") and words[1].endswith("/activate"):
                found.append(norm(posixpath.dirname(posixpath.dirname(words[1]))))
        return found

    def has_virtual_env(self, stage: Stage, line: int, venv: str) -> bool:
        return any(
            name == "VIRTUAL_ENV" and norm(value) == norm(venv)
            for command in before(stage, line)
            if command.cmd.upper() == "ENV"
            for name, value in env_pairs(command)
        )

    def has_uv(self, stage: Stage, line: int) -> bool:
        if stage.chain()[-1].image.startswith(UV_IMAGE + ":"):
            return True  # the uv images ship /usr/local/bin/uv
        return any(
            command.cmd.upper() == "COPY"
            and any(f.startswith("--from=") for f in command.flags)
            and (
                any(f.startswith(f"--from={UV_IMAGE}") for f in command.flags)
                or any(PurePosixPath(src).name == "uv" for src in command.value[:-1])
            )
            for command in before(stage, line)
        )

    def uv_stage_platform(self, stage: Stage) -> str | None:
        """The ``FROM --platform`` of the stage when it is not the target platform."""
        platform = stage.chain()[-1].platform
        if platform is None or platform.strip("${}") == "TARGETPLATFORM":
            return None
        return platform

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

    def tls_env(self, stage: Stage, line: int, uv_version: str) -> Tls | None:
        """What uv must be told to trust the certificates the stage set up before ``line``: pip
        (truststore), requests and curl read the system store or their variables; uv reads
        neither, only ``SSL_CERT_FILE`` or, when asked, the system store. None when the stage
        sets ``SSL_CERT_FILE`` itself; else the system store, which pip read."""
        variable: tuple[str, str, int] | None = None
        store: int | None = None
        for command in before(stage, line):
            kind = command.cmd.upper()
            if kind == "ENV":
                for name, value in env_pairs(command):
                    if name == "SSL_CERT_FILE":
                        return None  # uv reads it
                    if name in _CERT_VARIABLES:
                        variable = (name, value, command.start_line)
            elif kind == "RUN" and _CA_UPDATE_RE.search(command.original):
                store = command.start_line
            elif kind in ("COPY", "ADD") and len(command.value) >= 2:
                dest = self.image_path(stage, command.start_line, command.value[-1]) or ""
                if dest.startswith(_CA_FOLDERS):
                    store = command.start_line
        if variable is not None:
            name, value, at = variable
            quoted = f'"{value}"' if re.search(r"[\s\"']", value) else value
            return Tls(
                (f"SSL_CERT_FILE={quoted}",),
                f"line {at} sets {name}, which uv does not read: the ENV added sets "
                "SSL_CERT_FILE to the same bundle, which uv reads",
            )
        # pip (truststore, pip >= 24.2; Debian's pip too) trusts the system store, so a CA that
        # the base image carries (a corporate proxy's) is trusted by the pip it replaces: uv is
        # told to read that store too, whether this file or its base image put the CA there
        setting = "UV_SYSTEM_CERTS" if _version(uv_version) >= (0, 11) else "UV_NATIVE_TLS"
        message = ""
        if store is not None:
            message = (
                f"line {store} adds CA certificates to the system store, which uv does not read "
                f"by default (it trusts its bundled Mozilla roots): the ENV added sets {setting}=1"
            )
        return Tls((f"{setting}=1",), message)

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

    def has_uv_env(self, stage: Stage, line: int) -> bool:
        return any(
            name == "UV_COMPILE_BYTECODE"
            for command in before(stage, line)
            if command.cmd.upper() == "ENV"
            for name, _value in env_pairs(command)
        )

    def non_root(self, stage: Stage, line: int) -> bool:
        user = "root"
        for command in before(stage, line):
            if command.cmd.upper() == "USER" and command.value:
                user = command.value[0]
        return user.lower() not in _ROOT_USERS

    def shell(self, stage: Stage, line: int) -> str | None:
        """The shell of RUN when it is not a POSIX shell (a ``SHELL`` such as PowerShell, or a
        Windows base image's cmd), else None."""
        image = stage.chain()[-1].image
        current: str | None = None
        if _WINDOWS_IMAGE_RE.search(image):
            current = f"cmd (Windows base image {image})"
        for command in before(stage, line):
            if command.cmd.upper() == "SHELL" and command.value:
                name = PurePosixPath(command.value[0].replace("\\", "/")).name.lower()
                posix = name in POSIX_SHELLS
                current = None if posix else f"SHELL {command.value[0]}"
        return current

    def system_python_cmd(self, stage: Stage) -> int | None:
        """The line of a CMD/ENTRYPOINT/HEALTHCHECK, in ``stage`` or a stage built FROM it, that
        runs ``/usr/local/bin/python…`` or ``/usr/bin/python…`` by its path."""
        for later in self.stages[stage.index :]:
            if stage not in later.chain():
                continue
            for command in later.commands:
                if command.cmd.upper() in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and any(
                    _SYSTEM_PYTHON_EXE_RE.search(str(word)) for word in command.value
                ):
                    return int(command.start_line)
        return None

    def root_image(self, stage: Stage) -> str | None:
        """The image the stage's chain starts ``FROM`` (global ``ARG`` defaults expanded)."""
        return expand(stage.chain()[-1].image, global_args(self.commands))

    def plain_python(self, stage: Stage) -> bool:
        """Whether the stage's base image is the official python image or a uv image."""
        image = expand(stage.chain()[-1].image, global_args(self.commands))
        return image is not None and PLAIN_PYTHON_IMAGE_RE.match(image) is not None

    def inherited_cmd(self, stage: Stage) -> str | None:
        """The base image, when an image built from ``stage`` (itself or a later stage ``FROM``
        it, not only copied from) runs with that image's own CMD/ENTRYPOINT."""
        parents = {id(s.parent) for s in self.stages if s.parent is not None}
        for later in self.stages[stage.index :]:
            if stage not in later.chain() or id(later) in parents:
                continue
            copied = any(
                c.cmd.upper() == "COPY" and self.copies_from(c, later)
                for s in self.stages
                for c in s.commands
            )
            if copied and later is not self.stages[-1]:
                continue  # a build stage: only files are taken from it
            if not any(
                c.cmd.upper() in ("CMD", "ENTRYPOINT") for s in later.chain() for c in s.commands
            ):
                return str(stage.chain()[-1].image)
        return None

    def python_too_old(self, stage: Stage, line: int) -> str | None:
        """The ``X.Y`` of an official python base image older than 3.8, or Python 2 from the
        system packages of another image (``apt-get install python-pip``), else None."""
        root = stage.chain()[-1]
        image = expand(root.image, global_args(self.commands))
        match = PYTHON_IMAGE_RE.match(image or "")
        if match is None:
            for command in before(stage, line):
                if command.cmd.upper() == "RUN" and _PYTHON2_PACKAGES_RE.search(command.original):
                    return f"2 (the system packages installed at line {command.start_line})"
            return None
        if (int(match["major"]), int(match["minor"])) < (3, 8):
            return f"{match['major']}.{match['minor']}"
        return None

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
