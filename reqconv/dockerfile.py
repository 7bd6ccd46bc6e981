"""Dockerfile reading and rewriting: the only importer of ``dockerfile`` and ``bashlex``.

``dockerfile`` is BuildKit's own parser (instructions, exact line ranges, flags, heredocs, stage
names, the ``# escape=`` directive); ``bashlex`` parses the shell inside ``RUN`` with positions, so
one command of an ``&&``/``;`` chain is edited and the rest kept. Pure: text in, text or model out;
never reads, writes or prints. Both are imported inside the functions that need them, so that
``reqconv --help`` stays fast.

``rewrite`` turns ``pip install -r FILE`` (``pip``, ``pip3``, ``python[3] -m pip``,
``/venv/bin/pip``; in chains, continuations with comment lines, ``RUN <<EOF`` heredocs, under cache
and bind mounts) into ``uv pip sync --require-hashes LOCK`` and adds, once per stage (a stage built
``FROM`` another inherits): ``COPY --from=ghcr.io/astral-sh/uv:<version> /uv /uvx /bin/``,
``ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0`` and, unless the stage already
creates a venv that pip ran in (then it is kept, and ``--python`` names it when ``VIRTUAL_ENV`` is
not set, or under ``sudo``), ``RUN uv venv /opt/venv`` with ``ENV VIRTUAL_ENV`` and ``PATH``: with
``--seed`` when a pip install that stays runs after the sync (it must find pip in the venv), with
``--system-site-packages`` on a base image other than python/uv (its own packages stay importable).
A ``FROM --platform=$BUILDPLATFORM`` stage copies uv from an added stage of that platform (``COPY
--from=<image>`` takes the target platform's). The COPY (or bind mount) that brought the
requirements file brings the lock; ``pip install --upgrade pip setuptools wheel`` goes in stages that
were rewritten. Only those lines change: everything else stays byte for byte.

Options: ``--index-url``/``--extra-index-url``/``-f``/``--no-binary``/``--only-binary``/
``--no-index``/``--no-build-isolation`` pass through (``--trusted-host`` becomes
``--allow-insecure-host``; credentials are stripped); ``-c``, ``-U``, ``-q``, ``--no-cache-dir``,
``--require-hashes``, ``--prefer-binary``, ``--no-deps`` and the like are dropped (a hashed lock
already pins everything). Kept and reported with their line instead: local projects and editables,
packages named inline, ``--target``/``--prefix``/``--root``, other unknown options, ``-r`` built by
a shell substitution, installs inside ``if``/loops/subshells/pipelines or ``sh -c`` strings, a
``--user`` install whose site a later stage copies piecemeal (a whole ``…/.local`` copy follows the
venv), a non-root ``USER`` where the venv would be created, a later stage copying system
site-packages (or ``/usr/local``), Python older than 3.8 (Python 2 from apt too), requirements that
no COPY brings from the context, poetry/pipenv, files already on uv, a pip install before the sync
(hidden by a new venv, or removed by the sync), ``--user`` after a new venv, a base image whose own
CMD/ENTRYPOINT would run, a CMD naming ``/usr/local/bin/python``, ``$VAR`` arguments, ``ONBUILD``,
exec-form RUN, Windows shells. Credentials passed as ``ARG``/``ENV`` get a finding
recommending a build secret. Comment lines inside a replaced pip command's continuation stay: the
new command takes the pip command's first line, the lock its last one.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from reqconv.errors import DockerfileError
from reqconv.redact import has_credentials, redact_text, strip_credentials

__all__ = [
    "DEFAULT_VENV",
    "DockerFinding",
    "DockerPlan",
    "DockerResult",
    "base_python_versions",
    "context_sources",
    "copied_files",
    "default_lock_name",
    "dockerignore_check",
    "dockerignore_update",
    "escape_char",
    "instructions",
    "referenced_requirement_files",
    "rewrite",
]

# The official image, with or without its registry (python, docker.io/library/python).
_PYTHON_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python"
    r":(?P<major>\d+)\.(?P<minor>\d+)(?:\.\d+)?(?:[-@].*)?$"
)
# The official image (any tag) and uv's images: their Python has no packages of its own to keep.
_PLAIN_PYTHON_IMAGE_RE = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)/)?(?:library/)?python(?:[:@].*)?$"
    r"|^ghcr\.io/astral-sh/uv:"
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


# --------------------------------------------------------------------------------------------
# Rewriting ``pip install -r`` to ``uv pip sync`` (issue 4)

DEFAULT_VENV = "/opt/venv"
UV_IMAGE = "ghcr.io/astral-sh/uv"
UV_ENV = "UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0"
UV_CACHE_MOUNT = "--mount=type=cache,target=/root/.cache/uv"

# pip options (https://pip.pypa.io/en/stable/cli/pip_install/), by what becomes of them.
_REQUIREMENT_OPTS = frozenset({"-r", "--requirement"})
_DROP_VALUE_OPTS = frozenset(
    {
        "-c",
        "--constraint",  # the lock pins every package already
        "--progress-bar",
        "--root-user-action",
        "--upgrade-strategy",
        "--cache-dir",
        "--exists-action",
        "--log",
        "--timeout",
        "--retries",
        "--src",
    }
)
_PASS_VALUE_OPTS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-binary": "--no-binary",
    "--only-binary": "--only-binary",
    "--trusted-host": "--allow-insecure-host",
}
_DROP_FLAGS = frozenset(
    {
        "--no-cache-dir",
        "--no-cache",
        "-q",
        "-qq",
        "-qqq",
        "--quiet",
        "-v",
        "-vv",
        "--verbose",
        "-U",
        "--upgrade",
        "--require-hashes",  # uv pip sync --require-hashes is always written
        "--prefer-binary",
        "--compile",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--no-warn-conflicts",
        "--no-deps",  # a lock is complete: nothing to resolve
        "-I",
        "--ignore-installed",
        "--force-reinstall",
        "--break-system-packages",
        "--isolated",
        "--no-input",
        "--pre",
        "--no-color",
        "--use-pep517",
    }
)
_PASS_FLAGS = frozenset({"--no-index", "--no-build-isolation"})
_TARGET_OPTS = frozenset({"-t", "--target", "--prefix", "--root"})
_TARGET_NAMES = {"-t": "--target"}
_EDITABLE_OPTS = frozenset({"-e", "--editable"})
_SETUP_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
_ROOT_USERS = frozenset({"root", "0", "root:root", "0:0", "root:0", "0:root"})
_SECRET_NAME_RE = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|CREDENTIAL|API_?KEY|AUTH", re.I)
_PIP_NAME_RE = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
_PYTHON_NAME_RE = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
# Debian/Ubuntu/Alpine/RHEL package names of Python 2 (``python-pip`` is Python 2's pip there).
_PYTHON2_PACKAGES_RE = re.compile(
    r"\b(?:apt-get|apt|apk|yum|dnf)\b[^;&|]*\s(?:python2(?:\.\d+)?|python-pip|python-dev)"
    r"(?=[\s;&|]|$)"
)
_WINDOWS_IMAGE_RE = re.compile(r"windowsservercore|nanoserver|mcr\.microsoft\.com/windows", re.I)
_PIP_INSTALL_RE = re.compile(r"\bpip[0-9.]*\b.*\binstall\b")
# Where a system Python keeps what pip installs, or a folder holding it: a later stage copying one
# of these from a stage synced into a venv gets no packages (``/`` brings the venv but not its PATH).
_SYSTEM_PYTHON_PATH_RE = re.compile(
    r"site-packages|dist-packages|^/(?:usr(?:/local)?)?$|^/usr/local/(?:lib|bin)\b|^/usr/lib/python"
)
_SYSTEM_PYTHON_EXE_RE = re.compile(r"(?:^|[\s;&|(])/usr(?:/local)?/bin/python[0-9.]*(?=$|[\s;&|)])")
_POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_ESCAPE_RE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.I)
_DIRECTIVE_RE = re.compile(r"^#\s*[A-Za-z]+\s*=")


# uv reads UV_INDEX_<NAME>_* for an index it knows by name: in the image, that is the
# [[tool.uv.index]] of a pyproject.toml in the folder of the sync. An export's --index-url lines are
# unnamed; for those uv reads a netrc file.
_SECRET_HINT = (
    "RUN --mount=type=secret,id=<id>,env=UV_INDEX_<NAME>_PASSWORD (NAME: the [[tool.uv.index]] "
    "name; copy pyproject.toml beside the lock so that uv knows it), or "
    "RUN --mount=type=secret,id=netrc,target=/root/.netrc for the lock's --index-url"
)


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerPlan:
    """What ``rewrite`` needs to know besides the Dockerfile.

    ``lock_for`` maps a requirements file (POSIX path relative to the service folder, which is
    taken to be the build context) to its exported lock (same base): ``requirements.txt`` ->
    ``requirements.lock``, ``requirements/dev.txt`` -> ``requirements-dev.lock``. When it is empty,
    ``default_lock_name`` decides. ``unlocked``: files of the service folder that no lock covers
    (a ``deploy/requirements.txt`` the conversion did not take): a ``-r`` of one is kept.
    """

    uv_version: str
    lock_for: Mapping[str, str] = field(default_factory=dict)
    unlocked: frozenset[str] = frozenset()
    venv: str = DEFAULT_VENV


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerFinding:
    """Something kept as it was (or changed) that the user must hear about. ``line`` is 1-based."""

    line: int
    code: str
    message: str
    severity: Literal["warning", "info"] = "warning"


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerResult:
    """``text`` is the new Dockerfile (``\\n`` newlines). ``rewritten`` holds the original lines of
    the instructions that changed; ``requirement_files`` the ``-r`` files now installed from a lock,
    as written; ``locks`` the locks the new text copies (service-relative)."""

    text: str
    findings: tuple[DockerFinding, ...] = ()
    rewritten: tuple[int, ...] = ()
    requirement_files: tuple[str, ...] = ()
    locks: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.rewritten)


def default_lock_name(requirements: str) -> str:
    """``requirements.txt`` -> ``requirements.lock``; ``requirements-dev.txt`` and
    ``requirements/dev.txt`` -> ``requirements-dev.lock``; ``docs.txt`` -> ``requirements-docs.lock``."""
    path = PurePosixPath(_norm(requirements))
    stem = path.stem
    if stem.lower() == "requirements" and path.parent.name.lower() != "requirements":
        return "requirements.lock"
    match = re.match(r"^requirements[-_.](?P<label>.+)$", stem, re.I)
    label = match["label"] if match else stem
    return f"requirements-{label}.lock"


# -- text and instruction helpers ------------------------------------------------------------


def _norm(path: str) -> str:
    """A POSIX path without ``./`` prefixes or doubled slashes (trailing slash dropped)."""
    if not path:
        return path
    normed = posixpath.normpath(path)
    return "" if normed == "." else normed


def escape_char(text: str) -> str:
    """The line-continuation character: ``\\`` unless a ``# escape=`` directive says otherwise."""
    for line in text.split("\n"):
        stripped = line.strip()
        match = _ESCAPE_RE.match(stripped)
        if match is not None:
            return match.group(1)
        if not _DIRECTIVE_RE.match(stripped):
            break  # directives only count before any other line (BuildKit rule)
    return "\\"


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    text: str


@dataclass(slots=True)
class _Logical:
    """An instruction's logical line, and where each of its characters sits in the file."""

    text: str
    offsets: list[int]  # len(text) + 1 entries; the last is the end of the instruction's last line

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


class _Source:
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

    def logical(self, command: Any, *, first_line_only: bool = False) -> _Logical | None:
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
        logical = _Logical(text, offsets)
        expected = command.original.split("\n", 1)[0] if first_line_only else command.original
        if logical.text.rstrip() != expected.rstrip():
            return None
        return logical


# -- shell analysis ------------------------------------------------------------------------


@dataclass(slots=True)
class _Script:
    """Shell text from a RUN (its logical line or a heredoc body) and its offsets in the file."""

    text: str
    offsets: list[int]
    heredoc: bool

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(slots=True)
class _Cmd:
    """One simple command found by bashlex, with what reqconv needs to know about it."""

    node: Any
    script: _Script
    top: bool  # at the top level of the script (alone, or in an && / ; chain)
    chain: Any | None  # the ListNode it belongs to, when top
    words: list[Any]  # WordNodes after the leading assignments
    assignments: list[str]


def _walk_commands(script: _Script, trees: Sequence[Any]) -> list[_Cmd]:
    found: list[_Cmd] = []

    def visit(node: Any, top: bool, chain: Any | None) -> None:
        kind = node.kind
        if kind == "command":
            words = [part for part in node.parts if part.kind == "word"]
            assignments = []
            for part in node.parts:
                if part.kind == "assignment":
                    assignments.append(part.word)
                elif part.kind == "word":
                    break
            found.append(_Cmd(node, script, top, chain, words, assignments))
            for part in node.parts:  # $(...) inside words
                for child in getattr(part, "parts", []) or []:
                    visit(child, False, None)
            return
        if kind == "list":
            separators = {p.op for p in node.parts if p.kind == "operator"}
            chain_ok = top and separators <= {"&&", ";", "\n"}
            for part in node.parts:
                if part.kind != "operator":
                    visit(part, chain_ok, node if chain_ok else None)
            return
        for attr in ("parts", "list", "command"):
            children = getattr(node, attr, None)
            if isinstance(children, list):
                for child in children:
                    visit(child, False, None)
            elif children is not None and hasattr(children, "kind"):
                visit(children, False, None)

    for tree in trees:
        visit(tree, True, None)
    return found


def _parse_shell(script: _Script) -> list[Any] | None:
    import bashlex

    try:
        return list(bashlex.parse(script.text))
    except Exception:  # bashlex raises ParsingError, NotImplementedError, and assertion errors
        return None


def _has_substitution(word: Any) -> bool:
    if "$" in word.word or "`" in word.word:
        return True
    return any(part.kind != "word" for part in (getattr(word, "parts", None) or []))


@dataclass(slots=True)
class _PipInstall:
    """A parsed ``pip install``: what it installs and which options it carried."""

    cmd: _Cmd
    venv: str | None  # from ``/x/bin/pip`` or ``/x/bin/python -m pip``
    start_word: int  # index in cmd.words of the executable word
    subcommand: str
    requirements: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    editables: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    index_urls: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    user: bool = False
    target: str | None = None  # ``--prefix /install``: the option (long form) and its value
    upgrade: bool = False
    substituted: bool = False
    variables: list[str] = field(default_factory=list)  # ``$VAR`` words: options or packages


def _exec_venv(word: str) -> str | None:
    """``/opt/venv/bin/pip`` -> ``/opt/venv``."""
    path = PurePosixPath(word)
    if len(path.parts) >= 3 and path.parent.name == "bin":
        return str(path.parent.parent)
    return None


_PREFIX_COMMANDS = frozenset({"sudo", "env", "exec", "nice", "time", "command"})


def _command_start(words: Sequence[Any]) -> int:
    """Index of the real command after prefixes such as ``sudo -H`` or ``env X=1`` (kept as is)."""
    at = 0
    while at < len(words) and PurePosixPath(words[at].word).name in _PREFIX_COMMANDS:
        at += 1
        while at < len(words) and (words[at].word.startswith("-") or "=" in words[at].word):
            at += 1
    return at


def _pip_install(cmd: _Cmd) -> _PipInstall | None:
    """The ``pip ...`` command in ``cmd``, or None when it is not pip."""
    words = cmd.words
    at = _command_start(words)
    if at >= len(words):
        return None
    first = words[at].word
    name = PurePosixPath(first).name
    rest_at: int
    if _PIP_NAME_RE.match(name):
        rest_at = at + 1
    elif _PYTHON_NAME_RE.match(name) and len(words) >= at + 2:
        if words[at + 1].word == "-mpip":
            rest_at = at + 2
        elif len(words) >= at + 3 and words[at + 1].word == "-m" and words[at + 2].word == "pip":
            rest_at = at + 3
        else:
            return None
    else:
        return None
    venv = _exec_venv(first) if "/" in first else None
    subcommand = ""
    index = rest_at
    pre_options: list[Any] = []
    while index < len(words):
        if words[index].word.startswith("-"):
            pre_options.append(words[index])
            index += 1
            continue
        subcommand = words[index].word
        index += 1
        break
    pip = _PipInstall(cmd=cmd, venv=venv, start_word=at, subcommand=subcommand)
    _parse_pip_args(pip, [*pre_options, *words[index:]])
    return pip


def _parse_pip_args(pip: _PipInstall, args: Sequence[Any]) -> None:
    index = 0
    while index < len(args):
        word = args[index]
        raw = word.word
        value: str | None = None
        opt = raw
        if raw.startswith("--") and "=" in raw:
            opt, value = raw.split("=", 1)
        elif raw.startswith("-") and not raw.startswith("--") and len(raw) > 2:
            short = raw[:2]
            if short in ("-r", "-c", "-i", "-f", "-e", "-t"):
                opt, value = short, raw[2:]
        substituted = _has_substitution(word)

        def take(value: str | None = value) -> str:
            nonlocal index, substituted
            if value is not None:
                return value
            index += 1
            if index >= len(args):
                return ""
            substituted = _has_substitution(args[index])
            return str(args[index].word)

        if not raw.startswith("-") or raw == "-":
            if "$(" in raw or "`" in raw:
                pip.substituted = True  # ``$(...)`` may expand to ``-r file`` (or nothing)
            elif raw.startswith("$"):
                pip.variables.append(raw)  # may expand to options, packages, or nothing
            else:
                pip.packages.append(raw)
        elif opt in _REQUIREMENT_OPTS:
            pip.requirements.append(take())
            pip.substituted = pip.substituted or substituted
        elif opt in _EDITABLE_OPTS:
            pip.editables.append(take())
        elif opt in _TARGET_OPTS:
            pip.target = f"{_TARGET_NAMES.get(opt, opt)} {take()}"
        elif opt == "--user":
            pip.user = True
        elif opt in _PASS_VALUE_OPTS:
            url = take()
            pip.passthrough += [_PASS_VALUE_OPTS[opt], url]
            if opt in ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"):
                pip.index_urls.append(url)
        elif opt in _DROP_VALUE_OPTS:
            take()
        elif opt in _PASS_FLAGS:
            pip.passthrough.append(opt)
        elif opt in _DROP_FLAGS:
            if opt in ("-U", "--upgrade"):
                pip.upgrade = True
        else:
            pip.unknown.append(raw)
        index += 1


def _is_setup_upgrade(pip: _PipInstall) -> bool:
    """``pip install --upgrade pip setuptools wheel`` (any subset): moot once uv installs."""
    return (
        pip.subcommand == "install"
        and pip.upgrade
        and not pip.requirements
        and not pip.editables
        and not pip.variables
        and bool(pip.packages)
        and all(package.lower() in _SETUP_PACKAGES for package in pip.packages)
    )


def _only_setup_packages(cmd: _Cmd) -> bool:
    """``pip install pip==24.0 setuptools`` and the like: only pip's own tooling (or uv, whose
    binary stays on PATH whatever venv comes after)."""
    pip = _pip_install(cmd)
    return (
        pip is not None
        and not pip.requirements
        and not pip.editables
        and not pip.variables
        and bool(pip.packages)
        and all(
            re.split(r"[<>=!~\[;@ ]", package, maxsplit=1)[0].lower() in {*_SETUP_PACKAGES, "uv"}
            for package in pip.packages
        )
    )


def _venv_created(cmd: _Cmd) -> str | None:
    """The folder of ``python -m venv X`` / ``virtualenv X`` / ``uv venv X``."""
    words = [w.word for w in cmd.words]
    if not words:
        return None
    name = PurePosixPath(words[0]).name
    args: list[str] = []
    if (_PYTHON_NAME_RE.match(name) and words[1:3] == ["-m", "venv"]) or (
        _PYTHON_NAME_RE.match(name) and words[1:3] == ["-m", "virtualenv"]
    ):
        args = words[3:]
    elif name == "virtualenv":
        args = words[1:]
    elif name == "uv" and words[1:2] == ["venv"]:
        args = words[2:]
        positional = [a for a in args if not a.startswith("-")]
        return positional[0] if positional else ".venv"
    else:
        return None
    positional = [a for a in args if not a.startswith("-")]
    return positional[-1] if positional else None


# -- stages ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Stage:
    index: int
    name: str | None
    parent: _Stage | None
    image: str = ""
    platform: str | None = None  # FROM --platform=…
    commands: list[Any] = field(default_factory=list)

    def chain(self) -> list[_Stage]:
        """This stage, then the stages it is built FROM (nearest first)."""
        stages: list[_Stage] = []
        stage: _Stage | None = self
        while stage is not None and stage not in stages:
            stages.append(stage)
            stage = stage.parent
        return stages


def _stages(commands: Sequence[Any]) -> list[_Stage]:
    stages: list[_Stage] = []
    by_name: dict[str, _Stage] = {}
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
            stage = _Stage(
                index=len(stages), name=name, parent=parent, image=image, platform=platform
            )
            stages.append(stage)
            if name:
                by_name[name.lower()] = stage
            stage.commands.append(command)
        elif stages:
            stages[-1].commands.append(command)
    return stages


def _before(stage: _Stage, line: int) -> list[Any]:
    """Instructions that run before ``line`` in ``stage`` and the stages it is built FROM (in order)."""
    commands: list[Any] = []
    for ancestor in reversed(stage.chain()):
        commands.extend(
            c for c in ancestor.commands if ancestor is not stage or c.start_line < line
        )
    return commands


def _env_pairs(command: Any) -> list[tuple[str, str]]:
    """``ENV`` names and values: BuildKit gives them flat (``NAME, value, NAME, value``)."""
    value = list(command.value)
    return [(name, _unquote(val)) for name, val in zip(value[0::2], value[1::2], strict=False)]


# -- the rewrite ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Decision:
    pip: _PipInstall
    stage: _Stage
    command: Any  # the RUN
    locks: list[tuple[str, str, str]] = field(default_factory=list)  # (ref, lock, image path)
    venv: str = DEFAULT_VENV
    new_venv: bool = False
    seed: bool = False  # pip kept after the sync needs pip in the new venv
    system_site: bool = False  # the base image's own packages stay importable
    follow: list[tuple[_Stage, Any]] = field(default_factory=list)  # COPYs of a --user site


class _Rewriter:
    def __init__(
        self,
        text: str,
        plan: DockerPlan,
        kept: frozenset[tuple[int, int]] = frozenset(),
        findings: Sequence[DockerFinding] = (),
    ) -> None:
        self.src = _Source(text)
        self.plan = plan
        self.commands = _parse(text)
        self.stages = _stages(self.commands)
        # pip commands (RUN line, offset) that an earlier pass could not rewrite, and its findings
        self.kept = kept
        self.failed: set[tuple[int, int]] = set()
        self.findings: list[DockerFinding] = list(findings)
        self.edits: list[_Edit] = []
        self.rewritten: set[int] = set()
        self.requirement_files: list[str] = []
        self.locks: list[str] = []
        self.scripts: dict[int, list[tuple[_Script, list[_Cmd]]]] = {}
        self.logicals: dict[int, _Logical | None] = {}
        self.copies_done: set[tuple[int, str]] = set()
        # pip installs left as they are: (stage, RUN, command); they use whatever pip PATH finds
        self.kept_pips: list[tuple[_Stage, Any, _Cmd]] = []
        self.applied: list[_Decision] = []
        self.decided: list[_Decision] = []  # so far, in file order
        self.uv_stages: set[str] = set()  # names of the uv stages added (one per platform)

    # findings
    def report(
        self, line: int, code: str, message: str, severity: Literal["warning", "info"] = "warning"
    ) -> None:
        finding = DockerFinding(
            line=line, code=code, message=redact_text(message), severity=severity
        )
        if finding not in self.findings:
            self.findings.append(finding)

    def logical(self, command: Any) -> _Logical | None:
        if command.start_line not in self.logicals:
            self.logicals[command.start_line] = self.src.logical(
                command, first_line_only=bool(command.heredocs)
            )
        return self.logicals[command.start_line]

    # shell scripts of one RUN
    def run_scripts(self, command: Any) -> list[tuple[_Script, list[_Cmd]]]:
        if command.start_line in self.scripts:
            return self.scripts[command.start_line]
        scripts: list[_Script] = []
        if command.json:
            pass
        elif command.heredocs:
            runner = command.value[0].split()[1:2] if command.value else []
            shell_runner = not runner or PurePosixPath(runner[0]).name in _POSIX_SHELLS
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
                    scripts.append(_Script(content, offsets, heredoc=True))
        else:
            logical = self.logical(command)
            shell = command.value[0] if command.value else ""
            if logical is not None and shell and logical.text.rstrip().endswith(shell):
                at = len(logical.text.rstrip()) - len(shell)
                scripts.append(_Script(shell, logical.offsets[at:], heredoc=False))
        if not scripts and not command.json and _PIP_INSTALL_RE.search(command.original):
            self.report(
                command.start_line,
                "shell-unparsed",
                "cannot map this RUN (heredoc form or continuations) to its lines; its pip "
                "install is kept: write it as a plain shell RUN (or RUN <<EOF with no interpreter)",
            )
        parsed: list[tuple[_Script, list[_Cmd]]] = []
        for script in scripts:
            trees = _parse_shell(script)
            if trees is None:
                if "pip" in script.text and "install" in script.text:
                    self.report(
                        command.start_line,
                        "shell-unparsed",
                        "cannot parse this RUN's shell; its pip install is kept: rewrite it by "
                        "hand to `uv pip sync --require-hashes <lock>`",
                    )
                continue
            parsed.append((script, _walk_commands(script, trees)))
        self.scripts[command.start_line] = parsed
        return parsed

    def cmds_in(self, command: Any) -> list[_Cmd]:
        return [cmd for _script, cmds in self.run_scripts(command) for cmd in cmds]

    # facts about a stage before a line
    def existing_venv(self, stage: _Stage, line: int, cmd: _Cmd | None = None) -> str | None:
        """The venv pip installs into at ``line``: ``VIRTUAL_ENV``, else a venv the stage creates
        whose ``bin`` is on ``PATH`` (or activated earlier in ``cmd``'s chain). A venv created
        but not used is none: pip installed into the system Python there."""
        venv: str | None = None
        created: list[str] = []
        paths: list[str] = []
        for command in _before(stage, line):
            kind = command.cmd.upper()
            if kind == "RUN":
                for run_cmd in self.cmds_in(command):
                    made = _venv_created(run_cmd)
                    if made is not None:
                        created.append(made)
            elif kind == "ENV":
                for name, value in _env_pairs(command):
                    if name == "VIRTUAL_ENV":
                        venv = value
                    elif name == "PATH":
                        paths.append(value)
        if venv is not None:
            return venv
        activated = self.activated(cmd) if cmd is not None else []
        for made in reversed(created):
            bin_dir = posixpath.join(made, "bin")
            if _norm(made) in activated or any(
                _norm(part) == _norm(bin_dir) for value in paths for part in value.split(":")
            ):
                return made
        return None

    def activated(self, cmd: _Cmd) -> list[str]:
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
                found.append(_norm(posixpath.dirname(posixpath.dirname(words[1]))))
        return found

    def has_virtual_env(self, stage: _Stage, line: int, venv: str) -> bool:
        return any(
            name == "VIRTUAL_ENV" and _norm(value) == _norm(venv)
            for command in _before(stage, line)
            if command.cmd.upper() == "ENV"
            for name, value in _env_pairs(command)
        )

    def has_uv(self, stage: _Stage, line: int) -> bool:
        if stage.chain()[-1].image.startswith(UV_IMAGE + ":"):
            return True  # the uv images ship /usr/local/bin/uv
        return any(
            command.cmd.upper() == "COPY"
            and any(f.startswith("--from=") for f in command.flags)
            and (
                any(f.startswith(f"--from={UV_IMAGE}") for f in command.flags)
                or any(PurePosixPath(src).name == "uv" for src in command.value[:-1])
            )
            for command in _before(stage, line)
        )

    def uv_stage_platform(self, stage: _Stage) -> str | None:
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

    def add_uv_stage(self, stage: _Stage, platform: str) -> str:
        """Insert ``FROM --platform=<platform> <uv image> AS uv-…`` before the stage (once per
        platform); returns its name."""
        name = "uv-" + (re.sub(r"[^a-z0-9]+", "-", platform.lower()).strip("-") or "platform")
        if name in self.uv_stages:
            return name
        self.uv_stages.add(name)
        first = stage.chain()[-1].commands[0].start_line
        at = self.src.line_start(_comment_top(self.src.lines, first))
        text = f"FROM --platform={platform} {UV_IMAGE}:{self.plan.uv_version} AS {name}\n"
        self.edits.append(_Edit(at, at, text))
        return name

    def has_uv_env(self, stage: _Stage, line: int) -> bool:
        return any(
            name == "UV_COMPILE_BYTECODE"
            for command in _before(stage, line)
            if command.cmd.upper() == "ENV"
            for name, _value in _env_pairs(command)
        )

    def non_root(self, stage: _Stage, line: int) -> bool:
        user = "root"
        for command in _before(stage, line):
            if command.cmd.upper() == "USER" and command.value:
                user = command.value[0]
        return user.lower() not in _ROOT_USERS

    # the lock for a ``-r`` reference
    def lock_for(self, ref: str) -> tuple[str, str] | None:
        """``(key, lock)``: the requirements file (service-relative) ``ref`` names, and its lock."""
        norm = _norm(ref).lstrip("/")
        if not self.plan.lock_for:
            base = PurePosixPath(norm)
            key = (
                base.name
                if base.parent.name.lower() != "requirements"
                else "/".join(base.parts[-2:])
            )
            return key, default_lock_name(key)
        table = {_norm(k): v for k, v in self.plan.lock_for.items()}
        if norm in table:
            return norm, table[norm]
        suffix = [k for k in table if norm.endswith("/" + k)]
        if suffix:
            key = max(suffix, key=len)
            return key, table[key]
        named = [k for k in table if PurePosixPath(k).name == PurePosixPath(norm).name]
        if len(named) == 1:
            return named[0], table[named[0]]
        return None

    def run(self) -> DockerResult:
        decisions: list[_Decision] = []
        kept_refs: set[str] = set()
        upgrades: list[tuple[_Stage, Any, _Cmd]] = []
        self.scan_credentials()
        for stage in self.stages:
            for command in stage.commands:
                if command.cmd.upper() == "ONBUILD":
                    self.check_onbuild(command)
                if command.cmd.upper() != "RUN":
                    continue
                if command.json:
                    self.check_json_run(command)
                    continue
                for cmd in self.cmds_in(command):
                    reads: set[str] = set()
                    decision = self.decide(stage, command, cmd, reads, upgrades)
                    if decision is not None and _key(decision) not in self.kept:
                        decisions.append(decision)
                        self.decided.append(decision)
                    else:  # a kept command still reads these files: their COPY stays
                        kept_refs.update(_norm(ref) for ref in reads)
                        pip = _pip_install(cmd)
                        if (
                            pip is not None
                            and pip.subcommand == "install"
                            and not _is_setup_upgrade(pip)
                        ):
                            self.kept_pips.append((stage, command, cmd))
        fitting = [d for d in decisions if self.later_pips_fit(d, kept_refs)]
        # a ``-r`` file another (kept) command still reads keeps its COPY
        changed_stages = {id(d.stage) for d in fitting if self.apply(d, kept_refs)}
        self.failed = {_key(d) for d in decisions} - {_key(d) for d in self.applied}
        # pip self-upgrades go only where pip no longer installs the requirements
        removals: dict[int, tuple[Any, _Cmd, list[Any]]] = {}
        for stage, command, cmd in upgrades:
            if id(stage) not in changed_stages:
                continue
            key = id(cmd.chain) if cmd.chain is not None else id(cmd)
            removals.setdefault(key, (command, cmd, []))[2].append(cmd.node)
        for command, cmd, nodes in removals.values():
            self.remove(command, cmd, nodes)
        return self.result()

    def pips_before(self, stage: _Stage, command: Any, cmd: _Cmd) -> list[tuple[int, int]]:
        """Where kept pip installs run before ``cmd`` in ``stage`` (or its ancestors): (RUN
        line, offset in its shell), in order."""
        chain = stage.chain()
        found = []
        for kept_stage, kept_command, kept_cmd in self.kept_pips:
            if kept_stage not in chain or _only_setup_packages(kept_cmd):
                continue  # pip/setuptools/wheel: the venv needs none, the sync keeps them
            if kept_command is command:
                if kept_cmd.node.pos[0] < cmd.node.pos[0]:
                    found.append((kept_command.start_line, kept_cmd.node.pos[0]))
            elif kept_command.start_line < command.start_line or kept_stage is not stage:
                found.append((kept_command.start_line, kept_cmd.node.pos[0]))
        return sorted(found)

    def venv_origin(self, stage: _Stage, line: int, venv: str | None) -> tuple[int, int] | None:
        """From where pip installs land in the venv the sync at ``line`` targets: the RUN that
        creates it (the stage's own venv) or the first earlier sync that adds it (a new venv),
        ``(0, 0)`` when it comes with the base image; None for a venv yet to be made."""
        chain = stage.chain()
        if venv is None:
            made = [_key(d) for d in self.decided if d.new_venv and d.stage in chain]
            return min(made) if made else None
        for command in _before(stage, line):
            if command.cmd.upper() == "RUN":
                for run_cmd in self.cmds_in(command):
                    created = _venv_created(run_cmd)
                    if created is not None and _norm(created) == _norm(venv):
                        return command.start_line, run_cmd.node.pos[0]
        return 0, 0

    def later_pips_fit(self, decision: _Decision, kept_refs: set[str]) -> bool:
        """Kept pip installs after a new venv run the venv's pip, so it gets one (``--seed``); a
        ``--user`` install cannot run in a venv, so then the decision is dropped, with a finding."""
        if not decision.new_venv:
            return True
        stage, command, cmd = decision.stage, decision.command, decision.pip.cmd
        later: list[tuple[int, _PipInstall]] = []
        for kept_stage, kept_command, kept_cmd in self.kept_pips:
            same_run_after = kept_command is command and kept_cmd.node.pos[0] > cmd.node.pos[0]
            if (kept_stage is stage and kept_command.start_line > command.start_line) or (
                same_run_after or (kept_stage is not stage and stage in kept_stage.chain())
            ):
                pip = _pip_install(kept_cmd)
                if pip is not None:
                    later.append((kept_command.start_line, pip))
        users = [line for line, pip in later if pip.user]
        if users:
            self.report(
                command.start_line,
                "pip-user-after-venv",
                f"line {users[0]} runs pip install --user, which fails inside the venv that "
                f"`uv pip sync` needs ({self.plan.venv}); kept: drop --user there",
            )
            kept_refs.update(_norm(ref) for ref in decision.pip.requirements)
            return False
        decision.seed = bool(later)
        return True

    def check_onbuild(self, command: Any) -> None:
        if (command.sub_cmd or "").upper() == "RUN" and _PIP_INSTALL_RE.search(command.original):
            self.report(
                command.start_line,
                "onbuild",
                "ONBUILD RUN pip install runs later, in the builds FROM this image and with their "
                "context; kept: rewrite it in those Dockerfiles, or spell it out here",
            )

    def check_json_run(self, command: Any) -> None:
        words = [w.lower() for w in command.value]
        if "install" in words and any(PurePosixPath(w).name.startswith("pip") for w in words):
            self.report(
                command.start_line,
                "exec-form",
                "pip in an exec-form RUN [...] is kept; write it as a shell RUN to have it rewritten",
            )

    def scan_credentials(self) -> None:
        for command in self.commands:
            if command.cmd.upper() not in ("ARG", "ENV"):
                continue
            pairs = (
                _env_pairs(command)
                if command.cmd.upper() == "ENV"
                else [
                    (item.partition("=")[0], _unquote(item.partition("=")[2]))
                    for item in command.value
                ]
            )
            for name, value in pairs:
                url_creds = has_credentials(value)
                secret_name = _SECRET_NAME_RE.search(name) is not None
                index_var = name.upper() in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")
                if url_creds or (secret_name and (self.mentions_index(name) or index_var)):
                    self.report(
                        command.start_line,
                        "index-credentials",
                        f"{command.cmd.upper()} {name} passes an index credential into the build, "
                        "where it stays in the image history: with uv, pass it as a build secret, "
                        f"{_SECRET_HINT}, and drop the {command.cmd.upper()}",
                    )
                elif index_var:
                    self.report(
                        command.start_line,
                        "pip-env",
                        f"uv does not read {name}: set UV_DEFAULT_INDEX / UV_INDEX instead",
                    )

    def mentions_index(self, name: str) -> bool:
        """Whether ``$name`` appears in a pip index option or the requirements' index lines."""
        pattern = re.compile(r"\$\{?" + re.escape(name) + r"\b")
        # Dockerfiles pass a token ARG for the requirements' ``--index-url https://${TOKEN}@…``:
        # any mention outside its declaration counts, or none at all (then it is there for pip).
        if any(
            c.cmd.upper() == "RUN" and "pip" in c.original and pattern.search(c.original)
            for c in self.commands
        ):
            return True
        declared_empty = any(c.cmd.upper() == "ARG" and name in c.value for c in self.commands)
        return declared_empty and any(
            c.cmd.upper() == "RUN" and "pip" in c.original and "-r" in c.original
            for c in self.commands
        )

    def decide(
        self,
        stage: _Stage,
        command: Any,
        cmd: _Cmd,
        kept_refs: set[str],
        upgrades: list[tuple[_Stage, Any, _Cmd]],
    ) -> _Decision | None:
        line = command.start_line
        words = [w.word for w in cmd.words]
        if len(words) >= 3 and PurePosixPath(words[0]).name in ("sh", "bash") and "-c" in words:
            inner = words[words.index("-c") + 1] if words.index("-c") + 1 < len(words) else ""
            for tool in ("poetry", "pipenv"):
                if re.search(rf"\b{tool}\s+(?:install|sync)\b", inner):
                    self.report(
                        line,
                        tool,
                        f"installs with {tool}; reqconv converts pip requirements files only",
                        "info",
                    )
            if re.search(r"\bpip[0-9.]*\s+install\b", inner):
                self.report(
                    line,
                    "shell-unparsed",
                    "pip install inside a `sh -c` string is kept: write it in the RUN itself",
                )
            return None
        if words and words[0] in ("poetry", "pipenv") and len(words) > 1:
            if words[1] in ("install", "sync", "export"):
                self.report(
                    line,
                    words[0],
                    f"installs with {words[0]}; reqconv converts pip requirements files only",
                    "info",
                )
            return None
        if words[:2] == ["uv", "pip"] and len(words) > 2 and words[2] == "install":
            if any(
                w in ("-r", "--requirement", "--requirements") or w.startswith("-r") for w in words
            ):
                self.report(line, "already-uv", "already installs with uv pip; kept", "info")
            return None
        if words[:2] == ["uv", "sync"]:
            self.report(line, "already-uv", "already installs with uv sync; kept", "info")
            return None
        pip = _pip_install(cmd)
        if pip is None:
            return None
        if pip.subcommand != "install":
            if pip.requirements:
                self.report(
                    line,
                    "not-install",
                    f"pip {pip.subcommand} -r is kept: only pip install is rewritten; the "
                    "hashed lock works there too (-r requirements.lock)",
                )
                kept_refs.update(pip.requirements)
            return None
        if _is_setup_upgrade(pip):
            if cmd.top:
                upgrades.append((stage, command, cmd))
            return None
        if not pip.requirements:
            if pip.editables or any(p.startswith((".", "/")) for p in pip.packages):
                self.report(
                    line,
                    "local-project",
                    "installs a local project with pip; kept: after the sync use "
                    "`uv pip install --no-deps .` (or make it part of the lock)",
                )
            elif pip.packages or pip.variables:
                self.report(
                    line,
                    "inline-packages",
                    "installs packages named inline with pip; kept: add them to the "
                    "requirements (then the lock), or use `uv pip install`",
                )
            return None
        kept_refs.update(pip.requirements)
        shell = self.shell(stage, line)
        if shell is not None:
            self.report(
                line,
                "non-posix-shell",
                f"this stage runs RUN with {shell}; kept: reqconv writes POSIX shell",
            )
            return None
        if (
            self.uv_stage_platform(stage) is not None
            and not self.has_uv(stage, line)
            and self.numbered_stage_refs()
        ):
            platform = self.uv_stage_platform(stage)
            self.report(
                line,
                "build-platform",
                f"this stage runs on --platform={platform}, where uv must come from a stage of "
                "that platform (COPY --from=<image> takes the target platform's), and a new stage "
                "would renumber the stages this Dockerfile names by number; kept: add "
                f"`FROM --platform={platform} {UV_IMAGE}:<version> AS uv` and copy /uv from it",
            )
            return None
        too_old = self.python_too_old(stage, line)
        if too_old is not None:
            self.report(
                line,
                "python-too-old",
                f"this stage has Python {too_old}, older than uv supports (3.8); kept: move to "
                "a base image with Python 3.8 or newer first",
            )
            return None
        reason = self.refusal(command, cmd, pip)
        if reason is not None:
            code, message = reason
            self.report(line, code, message)
            return None
        for ref in pip.requirements:
            generated = self.generated_at(stage, command, ref)
            if generated is not None:
                self.report(
                    line,
                    "generated-requirements",
                    f"{ref} is written inside the image (line {generated}), not taken from the "
                    "build context whose lock reqconv exports; kept: install the exported lock "
                    "instead of generating the file",
                )
                return None
        locks: list[tuple[str, str, str]] = []
        for ref in pip.requirements:
            # the file in the build context that a COPY put at ``ref`` names the lock best
            source = self.copied_from(stage, line, ref)
            if source is not None and _norm(source).lstrip("/") in self.plan.unlocked:
                self.report(
                    line,
                    "no-lock",
                    f"{ref} is {source} of the build context, which is not among the requirements "
                    "files this service converts, so no lock is exported for it; kept: convert "
                    f"it too (reqconv convert --group NAME={source})",
                )
                return None
            found = (None if source is None else self.lock_for(source)) or self.lock_for(ref)
            if found is None:
                self.report(
                    line,
                    "no-lock",
                    f"{ref} is not a requirements file of this service, so no lock is exported "
                    "for it; kept: convert it too (reqconv convert --group NAME=FILE)",
                )
                return None
            _key, lock = found
            image_path = posixpath.join(posixpath.dirname(ref), PurePosixPath(lock).name)
            locks.append((ref, lock, image_path))
        venv = pip.venv or self.existing_venv(stage, line, cmd)
        new_venv = venv is None
        before = self.pips_before(stage, command, cmd)
        origin = self.venv_origin(stage, line, venv)
        if origin is None and before:
            self.report(
                line,
                "pip-before-venv",
                f"the pip install of line {before[0][0]}, run before this one, puts packages "
                f"outside the new venv {self.plan.venv}, which would hide them; kept: add them to "
                "the requirements (then the lock)",
            )
            return None
        undone = [at for at in before if origin is not None and at > origin]
        if undone:
            self.report(
                line,
                "pip-before-sync",
                f"the pip install of line {undone[0][0]} puts packages in the venv that this "
                "`uv pip sync` would remove again (it leaves only what the lock lists); kept: add "
                "them to the requirements (then the lock), or install them after the sync",
            )
            return None
        if new_venv and self.non_root(stage, line):
            self.report(
                line,
                "non-root-user",
                "pip runs as a non-root USER here, where `uv venv` cannot create "
                f"{self.plan.venv}; kept: move the install before USER, or create the venv as root",
            )
            return None
        if new_venv:
            pinned = self.system_python_cmd(stage)
            if pinned is not None:
                self.report(
                    line,
                    "system-python-cmd",
                    f"line {pinned} runs the system Python by its path, which would not see the "
                    f"packages in the new venv {self.plan.venv}; kept: run `python` from PATH "
                    f"(or {self.plan.venv}/bin/python)",
                )
                return None
        system_site = False
        if new_venv and not self.plain_python(stage):
            inherited = self.inherited_cmd(stage)
            if inherited is not None:
                self.report(
                    line,
                    "base-image-cmd",
                    f"the image runs the CMD/ENTRYPOINT of {inherited} (this Dockerfile sets "
                    "none), which may start tools of that image's own Python (gunicorn, …) that "
                    f"would not see the new venv {self.plan.venv}; kept: set a CMD that runs from "
                    "the venv",
                )
                return None
            system_site = True  # packages that came with the base image stay importable
        follow: list[tuple[_Stage, Any]] = []
        if pip.user:
            found_follow = self.user_copies_follow(stage, line)
            if found_follow is None:
                return None
            follow = found_follow
        elif new_venv and not self.layout_follows(stage, line):
            return None
        return _Decision(
            pip=pip,
            stage=stage,
            command=command,
            locks=locks,
            venv=venv or self.plan.venv,
            new_venv=new_venv,
            system_site=system_site,
            follow=follow,
        )

    def shell(self, stage: _Stage, line: int) -> str | None:
        """The shell of RUN when it is not a POSIX shell (a ``SHELL`` such as PowerShell, or a
        Windows base image's cmd), else None."""
        image = stage.chain()[-1].image
        current: str | None = None
        if _WINDOWS_IMAGE_RE.search(image):
            current = f"cmd (Windows base image {image})"
        for command in _before(stage, line):
            if command.cmd.upper() == "SHELL" and command.value:
                name = PurePosixPath(command.value[0].replace("\\", "/")).name.lower()
                posix = name in _POSIX_SHELLS
                current = None if posix else f"SHELL {command.value[0]}"
        return current

    def system_python_cmd(self, stage: _Stage) -> int | None:
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

    def plain_python(self, stage: _Stage) -> bool:
        """Whether the stage's base image is the official python image or a uv image."""
        image = _expand(stage.chain()[-1].image, _global_args(self.commands))
        return image is not None and _PLAIN_PYTHON_IMAGE_RE.match(image) is not None

    def inherited_cmd(self, stage: _Stage) -> str | None:
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

    def python_too_old(self, stage: _Stage, line: int) -> str | None:
        """The ``X.Y`` of an official python base image older than 3.8, or Python 2 from the
        system packages of another image (``apt-get install python-pip``), else None."""
        root = stage.chain()[-1]
        image = _expand(root.image, _global_args(self.commands))
        match = _PYTHON_IMAGE_RE.match(image or "")
        if match is None:
            for command in _before(stage, line):
                if command.cmd.upper() == "RUN" and _PYTHON2_PACKAGES_RE.search(command.original):
                    return f"2 (the system packages installed at line {command.start_line})"
            return None
        if (int(match["major"]), int(match["minor"])) < (3, 8):
            return f"{match['major']}.{match['minor']}"
        return None

    def refusal(self, command: Any, cmd: _Cmd, pip: _PipInstall) -> tuple[str, str] | None:
        if pip.substituted:
            return (
                "conditional-requirements",
                "the -r file is built by a shell substitution; kept: install each case's lock "
                "explicitly",
            )
        if pip.variables:
            return (
                "variable-arguments",
                f"{' '.join(pip.variables)} expands at build time to options or packages reqconv "
                "cannot see; kept: spell them out (packages belong in the requirements)",
            )
        if not cmd.top:
            return (
                "conditional-install",
                "pip install -r inside an if/loop/subshell/pipeline is kept: `uv pip sync` replaces "
                "the environment, so make the condition choose a lock",
            )
        if pip.unknown:
            return (
                "unknown-option",
                f"pip option {' '.join(pip.unknown)} has no uv pip sync equivalent; kept: drop "
                "it, or run what needs it as a separate command after the sync",
            )
        if pip.target is not None:
            return (
                "target",
                f"pip install {pip.target} is kept: uv pip sync installs into a venv; use "
                f"`uv pip install {pip.target}` by hand, or sync a venv and copy that",
            )
        if pip.editables or any(p.startswith((".", "/")) for p in pip.packages):
            return (
                "local-project",
                "installs a local project together with -r; kept: sync the lock, then "
                "`uv pip install --no-deps .`",
            )
        if pip.packages:
            return (
                "inline-packages",
                f"names packages inline ({' '.join(pip.packages)}) together with -r; kept: add them "
                "to the requirements so the lock has them",
            )
        for url in pip.index_urls:
            if has_credentials(url):
                self.report(
                    command.start_line,
                    "index-credentials",
                    f"the index URL {redact_text(url)} carries credentials; the rewrite drops them: "
                    f"pass them as a build secret, {_SECRET_HINT}",
                )
        for assignment in cmd.assignments:
            if assignment.startswith("PIP_"):
                self.report(
                    command.start_line,
                    "pip-env",
                    f"{assignment.split('=', 1)[0]} is a pip setting uv does not read",
                )
        return None

    def layout_follows(self, stage: _Stage, line: int) -> bool:
        """False (and a finding) when a later stage copies, from this stage (or one built FROM
        it), where the system Python keeps packages and scripts: they stay empty once the
        packages go to a venv."""
        built_from = [s for s in self.stages if stage in s.chain()]
        for later in self.stages[stage.index + 1 :]:
            for copy in later.commands:
                if copy.cmd.upper() != "COPY" or not any(
                    self.copies_from(copy, s) for s in built_from
                ):
                    continue
                sources = [posixpath.normpath("/" + s.lstrip("/")) for s in copy.value[:-1]]
                system = [s for s in sources if _SYSTEM_PYTHON_PATH_RE.search(s)]
                if system:
                    self.report(
                        line,
                        "system-layout",
                        f"line {copy.start_line} copies {system[0]} from this stage, where the "
                        f"packages no longer are: uv installs them into {self.plan.venv}; kept: "
                        f"copy {self.plan.venv} (and set its PATH) instead",
                    )
                    return False
        return True

    def user_copies_follow(self, stage: _Stage, line: int) -> list[tuple[_Stage, Any]] | None:
        """For ``--user``: later ``COPY --from=<stage> …/.local …`` that can move to the venv
        (None, after a finding, when one cannot)."""
        follow: list[tuple[_Stage, Any]] = []
        for later in self.stages[stage.index + 1 :]:
            for copy in later.commands:
                if copy.cmd.upper() != "COPY" or not self.copies_from(copy, stage):
                    continue
                sources = list(copy.value[:-1])
                if not any(".local" in s for s in sources):
                    continue
                if copy.json or len(sources) != 1 or not _norm(sources[0]).endswith("/.local"):
                    self.report(
                        line,
                        "user-install",
                        f"pip install --user: line {copy.start_line} copies the user site "
                        f"({' '.join(sources)}) into another stage; kept: install into a venv and "
                        "copy that instead",
                    )
                    return None
                follow.append((later, copy))
        return follow

    def copies_from(self, copy: Any, stage: _Stage) -> bool:
        names = {str(stage.index)}
        if stage.name:
            names.add(stage.name.lower())
        return any(
            f.lower().startswith("--from=") and f.split("=", 1)[1].lower() in names
            for f in copy.flags
        )

    def follow_copy(self, stage: _Stage, copy: Any) -> None:
        logical = self.logical(copy)
        if logical is None:
            return
        venv = self.plan.venv
        source, dest = copy.value[-2], copy.value[-1]
        at = logical.text.find(" " + source, len(copy.cmd))
        if at < 0:
            return
        start, _ = logical.span(at + 1, at + 1 + len(source))
        _, end = logical.span(logical.text.find(dest, at + 1 + len(source)), len(logical.text))
        self.edits.append(_Edit(start, end, f"{venv} {venv}"))
        self.rewritten.add(copy.start_line)
        if not self.has_virtual_env(stage, copy.start_line + 1, venv):
            indent = _indent(self.src.lines[copy.start_line - 1])
            at_line = self.src.line_end(copy.end_line)
            env = f'{indent}ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"\n'
            if at_line == len(self.src.text) and not self.src.text.endswith("\n"):
                env = "\n" + env.rstrip("\n")
            self.edits.append(_Edit(at_line, at_line, env))

    # edits
    def apply(self, decision: _Decision, kept_refs: set[str]) -> bool:
        """Edit for one decision, all or nothing (a lock that cannot be placed undoes the rest)."""
        edits, rewritten, done = list(self.edits), set(self.rewritten), set(self.copies_done)
        uv_stages = set(self.uv_stages)
        if self._apply(decision, kept_refs):
            self.applied.append(decision)
            return True
        self.edits, self.rewritten, self.copies_done = edits, rewritten, done
        self.uv_stages = uv_stages
        return False

    def _apply(self, decision: _Decision, kept_refs: set[str]) -> bool:
        command = decision.command
        stage = decision.stage
        line = command.start_line
        pip = decision.pip
        pre_lines: list[str] = []
        indent = _indent(self.src.lines[line - 1])
        for ref, lock, image_path in decision.locks:
            copy_line = self.place_lock(decision, ref, lock, image_path, kept_refs)
            if copy_line is None:
                return False
            if copy_line:
                pre_lines.append(copy_line)
        # the uv binary, its settings and the venv, once per stage (chain)
        if not self.has_uv(stage, line) and not self.block_done(stage, "uv"):
            platform = self.uv_stage_platform(stage)
            if platform is None:
                pre_lines.append(f"COPY --from={UV_IMAGE}:{self.plan.uv_version} /uv /uvx /bin/")
            else:  # COPY --from=<image> would take the target platform's uv
                pre_lines.append(f"COPY --from={self.add_uv_stage(stage, platform)} /uv /uvx /bin/")
        if not self.has_uv_env(stage, line) and not self.block_done(stage, "env"):
            pre_lines.append(f"ENV {UV_ENV}")
        python_opt: list[str] = []
        if decision.new_venv:
            if not self.block_done(stage, "venv"):
                venv = decision.venv
                options = "--seed " if decision.seed else ""
                options += "--system-site-packages " if decision.system_site else ""
                pre_lines.append(f"RUN uv venv {options}{shlex.quote(venv)}")
                pre_lines.append(f'ENV VIRTUAL_ENV={venv} PATH="{venv}/bin:$PATH"')
        elif not self.has_virtual_env(stage, line, decision.venv):
            python_opt = ["--python", decision.venv]
        prefixes = [w.word for w in pip.cmd.words[: pip.start_word]]
        if not python_opt and any(PurePosixPath(w).name == "sudo" for w in prefixes):
            python_opt = ["--python", decision.venv]  # sudo drops VIRTUAL_ENV (env_reset)
        head = ["uv", "pip", "sync", "--require-hashes", *python_opt]
        head += [strip_credentials(p) if "://" in p else p for p in pip.passthrough]
        tail = [path for _ref, _lock, path in decision.locks]
        script = decision.pip.cmd.script
        words = pip.cmd.words
        start, _ = script.span(words[pip.start_word].pos[0], words[pip.start_word].pos[1])
        _, end = script.span(pip.cmd.node.pos[0], pip.cmd.node.pos[1])
        replacement = " ".join(_quote(w) for w in [*head, *tail])
        comments = [] if script.heredoc else self.comment_lines(start, end)
        if comments:
            # keep the comment lines of the pip command's own continuation: the command goes on
            # its first line, the lock on its last one
            last_line = self.src.text.rfind("\n", 0, end) + 1
            replacement = (
                " ".join(_quote(w) for w in head)
                + f" {self.src.escape}\n"
                + "".join(f"{comment}\n" for comment in comments)
                + _indent(self.src.text[last_line:end])
                + " ".join(_quote(w) for w in tail)
            )
        self.edits.append(_Edit(start, end, replacement))
        self.mount_cache(command, decision)
        self.rewritten.add(line)
        for ref, lock, _path in decision.locks:
            self.requirement_files.append(ref)
            self.locks.append(lock)
        if pre_lines:
            at = self.src.line_start(_comment_top(self.src.lines, line))
            block = "".join(f"{indent}{text}\n" for text in pre_lines)
            self.edits.append(_Edit(at, at, block))
        for later, copy in decision.follow:
            self.follow_copy(later, copy)
        return True

    def comment_lines(self, start: int, end: int) -> list[str]:
        """Comment lines lying wholly inside ``[start, end)`` (inside a continuation)."""
        found = []
        for number, line_start in enumerate(self.src.starts, 1):
            line_end = line_start + len(self.src.lines[number - 1])
            if line_start > start and line_end < end:
                if self.src.lines[number - 1].lstrip().startswith("#"):
                    found.append(self.src.lines[number - 1])
            elif line_start >= end:
                break
        return found

    def block_done(self, stage: _Stage, what: str) -> bool:
        key = (-1 - stage.index, what)
        for ancestor in stage.chain():
            if (-1 - ancestor.index, what) in self.copies_done:
                return True
        self.copies_done.add(key)
        return False

    def mount_cache(self, command: Any, decision: _Decision) -> None:
        """Swap the RUN's pip cache mount for uv's, or add uv's."""
        logical = self.logical(command)
        if logical is None:
            return
        others = [
            c
            for c in self.cmds_in(command)
            if c is not decision.pip.cmd and (p := _pip_install(c)) is not None and p.subcommand
        ]
        for flag in command.flags:
            if flag.startswith("--mount=") and "type=cache" in flag and ".cache/uv" in flag:
                return
        for flag in command.flags:
            if (
                flag.startswith("--mount=")
                and "type=cache" in flag
                and ".cache/pip" in flag
                and not others
            ):
                at = logical.text.find(flag)
                if at >= 0:
                    start, end = logical.span(at, at + len(flag))
                    self.edits.append(_Edit(start, end, flag.replace(".cache/pip", ".cache/uv")))
                    return
        at = len(command.cmd)
        while at < len(logical.text) and logical.text[at] in " \t":
            at += 1
        start, _ = logical.span(at, at + 1)
        edit = _Edit(start, start, UV_CACHE_MOUNT + " ")
        if edit not in self.edits:
            self.edits.append(edit)

    def place_lock(
        self, decision: _Decision, ref: str, lock: str, image_path: str, kept_refs: set[str]
    ) -> str | None:
        """Make the lock reach ``image_path``: edit a bind mount or the COPY that brought ``ref``.

        Returns a COPY line to insert before the RUN, ``""`` when nothing is needed, or None (after
        a finding) when the lock cannot be placed.
        """
        command = decision.command
        line = command.start_line
        ref_name = PurePosixPath(ref).name
        lock_name = PurePosixPath(lock).name
        logical = self.logical(command)
        for flag in command.flags:
            if not flag.startswith("--mount=") or "type=bind" not in flag:
                continue
            options = dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))
            source = options.get("source") or options.get("src") or ""
            if PurePosixPath(source).name != ref_name or logical is None:
                continue
            new_flag = flag
            for key in ("source", "src", "target", "dst", "destination"):
                value = options.get(key)
                if value and PurePosixPath(value).name == ref_name:
                    new_value = (
                        _with_name(value, lock_name)
                        if key not in ("source", "src")
                        else self.context_lock(value, lock)
                    )
                    new_flag = new_flag.replace(f"{key}={value}", f"{key}={new_value}")
            at = logical.text.find(flag)
            if at >= 0:
                start, end = logical.span(at, at + len(flag))
                edit = _Edit(start, end, new_flag)
                if edit not in self.edits:
                    self.edits.append(edit)
            return ""
        copies = [
            c
            for c in reversed(_before(decision.stage, line))
            if c.cmd.upper() in ("COPY", "ADD")
            and len(c.value) >= 2
            and not any(f.lower().startswith("--from=") for f in c.flags)
        ]
        # first a COPY naming the file (edited to bring the lock), then one bringing its folder
        for copy in copies:
            sources = list(copy.value[:-1])
            dest = copy.value[-1]
            single_file = (
                len(sources) == 1
                and PurePosixPath(dest).name == ref_name
                and not dest.endswith("/")
            )
            matches = [s for s in sources if PurePosixPath(s).name == ref_name]
            if single_file and not matches:
                matches = sources
            if matches:
                placed = self.edit_copy(copy, matches[0], lock, ref, single_file, kept_refs)
                if placed is None:
                    self.report(
                        line, "unmapped", f"cannot edit the COPY of {ref} (line {copy.start_line})"
                    )
                return placed
        ref_dir = self.image_path(decision.stage, line, posixpath.dirname(ref))
        for copy in copies:  # a wildcard COPY (requirements*.txt) into the -r file's folder
            dest_dir = self.image_path(decision.stage, copy.start_line, copy.value[-1])
            for source in copy.value[:-1]:
                pattern = PurePosixPath(source)
                if (
                    any(c in source for c in "*?[")
                    and fnmatch.fnmatchcase(ref_name, pattern.name)
                    and ref_dir is not None
                    and ref_dir == dest_dir
                ):
                    brings_lock = fnmatch.fnmatchcase(lock_name, pattern.name) and _norm(
                        str(pattern.parent)
                    ) == _norm(posixpath.dirname(lock))
                    return "" if brings_lock else f"COPY {lock} {image_path}"
        for copy in copies:
            sources = list(copy.value[:-1])
            dest_norm = _norm(copy.value[-1])
            dest_dir = self.image_path(decision.stage, copy.start_line, copy.value[-1])
            for source in sources:
                if _norm(source) == "":  # COPY . <dest>: the whole context, locks included
                    found = self.lock_for(ref)
                    if found and posixpath.dirname(found[0]) == posixpath.dirname(lock):
                        return ""
                    return f"COPY {lock} {image_path}"
                if PurePosixPath(source).suffix != "":
                    continue
                if ref_dir is not None and dest_dir is not None:
                    # a folder copy: the -r file's folder in the image is the COPY's destination
                    if ref_dir == dest_dir:
                        return f"COPY {lock} {image_path}"
                elif dest_norm and _norm(posixpath.dirname(ref)).endswith(dest_norm.lstrip("/")):
                    return f"COPY {lock} {image_path}"
        for flag in command.flags:
            if not flag.startswith("--mount=") or "type=bind" not in flag:
                continue
            options = dict(part.partition("=")[::2] for part in flag[len("--mount=") :].split(","))
            target = options.get("target") or options.get("dst") or options.get("destination")
            target_dir = None if target is None else self.image_path(decision.stage, line, target)
            if (
                target_dir is not None
                and ref_dir is not None
                and (ref_dir == target_dir or ref_dir.startswith(target_dir + "/"))
            ):
                self.report(
                    line,
                    "requirements-not-copied",
                    f"{ref} comes from the folder bind mount {flag}, which holds no lock; kept: "
                    f"bind-mount the lock itself (--mount=type=bind,source={lock},"
                    f"target={image_path}), or COPY it",
                )
                return None
        self.report(
            line,
            "requirements-not-copied",
            f"no COPY brings {ref} from the build context, so its lock cannot follow; kept: "
            "COPY the file (or bind-mount it) from the context before this RUN",
        )
        return None

    def generated_at(self, stage: _Stage, command: Any, ref: str) -> int | None:
        """The line of a RUN before (or at) ``command`` that writes ``ref`` (``-o``,
        ``--output-file``, ``>``)."""
        name = re.escape(PurePosixPath(ref).name)
        written = re.compile(
            rf"(?:\s-o\s*|\s--output(?:-file)?[=\s]\s*|>\s*)(?:\S*/)?{name}(?=$|[\s;&|)])"
        )
        for run in [*_before(stage, command.start_line), command]:
            if run.cmd.upper() == "RUN" and written.search(run.original):
                return int(run.start_line)
        return None

    def copied_from(self, stage: _Stage, line: int, ref: str) -> str | None:
        """The build-context file that the last ``COPY`` before ``line`` put where ``ref`` is."""
        ref_abs = self.image_path(stage, line, ref)
        if ref_abs is None:
            return None
        for copy in reversed(_before(stage, line)):
            if (
                copy.cmd.upper() not in ("COPY", "ADD")
                or len(copy.value) < 2
                or any(f.lower().startswith("--from=") for f in copy.flags)
            ):
                continue
            sources = [s for s in copy.value[:-1] if not any(c in s for c in "*?[")]
            dest_abs = self.image_path(stage, copy.start_line, copy.value[-1])
            if dest_abs is None:
                continue
            if len(copy.value) == 2 and sources and dest_abs == ref_abs:
                return str(sources[0])  # COPY requirements.txt /app/reqs.txt
            for source in sources:
                if posixpath.join(dest_abs, PurePosixPath(source).name) == ref_abs:
                    return str(source)
        return None

    def image_path(self, stage: _Stage, line: int, path: str) -> str | None:
        """``path`` made absolute against the ``WORKDIR`` in effect at ``line`` (the base image's
        own workdir stands as ``/<image workdir>``); None when a ``WORKDIR`` uses an unknown
        variable."""
        workdir = "/<image workdir>"
        variables = _global_args(self.commands)
        for command in _before(stage, line):
            kind = command.cmd.upper()
            if kind == "ENV":
                variables.update(_env_pairs(command))
            elif kind == "ARG":
                for item in command.value:
                    name, sep, default = item.partition("=")
                    if sep:
                        variables[name] = _unquote(default)
            elif kind == "WORKDIR" and command.value:
                expanded = _expand(command.value[0], variables)
                if expanded is None:
                    return None
                workdir = posixpath.join(workdir, expanded)
        expanded_path = _expand(path, variables)
        if expanded_path is None:
            return None
        return posixpath.normpath(posixpath.join(workdir, expanded_path))

    def context_lock(self, source: str, lock: str) -> str:
        """The lock's path in the build context, next to where ``source`` came from."""
        key = self.lock_for(source)
        norm = _norm(source)
        prefix = ""
        if key is not None and norm.endswith(key[0]):
            prefix = norm[: len(norm) - len(key[0])]
        dotted = "./" if source.startswith("./") else ""
        return dotted + prefix + lock

    def edit_copy(
        self, copy: Any, source: str, lock: str, ref: str, single_file: bool, kept_refs: set[str]
    ) -> str | None:
        lock_name = PurePosixPath(lock).name
        dest = copy.value[-1]
        new_source = self.context_lock(source, lock)
        new_dest = _with_name(dest, lock_name) if single_file else dest
        key = (copy.start_line, source)
        if key in self.copies_done:
            return ""
        self.copies_done.add(key)
        logical = self.logical(copy)
        if copy.json or logical is None or _norm(ref) in kept_refs:
            # keep the file for the commands that still read it; add the lock beside it
            text = f"COPY {new_source} {new_dest if single_file else dest}"
            at = self.src.line_end(copy.end_line)
            indent_text = _indent(self.src.lines[copy.start_line - 1])
            self.edits.append(_Edit(at, at, f"{indent_text}{text}\n"))
            self.rewritten.add(copy.start_line)
            return ""
        at = _find_word(logical.text, source, len(copy.cmd))
        if at < 0:
            return None
        start, end = logical.span(at, at + len(source))
        self.edits.append(_Edit(start, end, new_source))
        if single_file and new_dest != dest:
            dat = _find_word(logical.text, dest, at + len(source))
            if dat >= 0:
                start, end = logical.span(dat, dat + len(dest))
                self.edits.append(_Edit(start, end, new_dest))
        self.rewritten.add(copy.start_line)
        return ""

    def remove(self, command: Any, cmd: _Cmd, nodes: Sequence[Any]) -> None:
        """Drop ``nodes`` (pip self-upgrades) from ``cmd``'s chain, or the whole RUN when nothing
        else is left in it."""
        script = cmd.script
        start_line = command.start_line
        if cmd.chain is None:
            if script.heredoc:
                start, end = script.span(cmd.node.pos[0], cmd.node.pos[1])
                self.edits.append(_Edit(*_whole_lines(self.src.text, start, end)))
            else:
                self.delete_instruction(command)
            self.rewritten.add(start_line)
            return
        parts = list(cmd.chain.parts)
        if any(p.op not in ("&&", ";") for p in parts if p.kind == "operator"):
            return  # ``||`` or ``|``: dropping a command would change what runs
        items = [p for p in parts if p.kind != "operator"]
        drop = [any(item is node for node in nodes) for item in items]
        if all(drop):
            if script.heredoc:
                start, end = script.span(cmd.chain.pos[0], cmd.chain.pos[1])
                self.edits.append(_Edit(*_whole_lines(self.src.text, start, end)))
            else:
                self.delete_instruction(command)
            self.rewritten.add(start_line)
            return
        index = 0
        while index < len(items):
            if not drop[index]:
                index += 1
                continue
            last = index
            while last + 1 < len(items) and drop[last + 1]:
                last += 1
            if index == 0:  # up to the next kept command
                start, _ = script.span(items[0].pos[0], items[0].pos[1])
                end, _ = script.span(items[last + 1].pos[0], items[last + 1].pos[1])
            else:  # from the end of the previous kept command
                _, start = script.span(items[index - 1].pos[0], items[index - 1].pos[1])
                _, end = script.span(items[last].pos[0], items[last].pos[1])
            self.edits.append(_Edit(start, end, ""))
            index = last + 1
        self.rewritten.add(start_line)

    def delete_instruction(self, command: Any) -> None:
        self.edits.append(
            _Edit(self.src.line_start(command.start_line), self.src.line_end(command.end_line), "")
        )

    def result(self) -> DockerResult:
        text = _apply_edits(self.src.text, self.edits)
        self.findings.sort(key=lambda f: (f.line, f.code))
        return DockerResult(
            text=text,
            findings=tuple(self.findings),
            rewritten=tuple(sorted(self.rewritten)),
            requirement_files=tuple(dict.fromkeys(self.requirement_files)),
            locks=tuple(dict.fromkeys(self.locks)),
        )


def _quote(word: str) -> str:
    """``word`` for the shell; ``$VAR`` in it (an ``ARG`` of the build) keeps expanding."""
    if "$" in word and not any(c in word for c in '"\\`') and "$(" not in word:
        return f'"{word}"'
    return shlex.quote(word)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _with_name(path: str, name: str) -> str:
    head, sep, _tail = path.rpartition("/")
    return f"{head}{sep}{name}"


def _find_word(text: str, word: str, start: int) -> int:
    """Where ``word`` stands as a whole whitespace-separated word in ``text`` from ``start``."""
    at = start
    while True:
        at = text.find(word, at)
        if at < 0:
            return -1
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(word)] if at + len(word) < len(text) else " "
        if before.isspace() and after.isspace():
            return at
        at += 1


def _comment_top(lines: Sequence[str], line: int) -> int:
    """The first line of the comment block right above ``line`` (1-based), or ``line``."""
    top = line
    while (
        top > 1
        and lines[top - 2].lstrip().startswith("#")
        and not _DIRECTIVE_RE.match(lines[top - 2].strip())
    ):
        top -= 1
    # a block that starts the file is the header; keep inserts below directives only
    return top


def _whole_lines(text: str, start: int, end: int) -> tuple[int, int, str]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    if not text[line_start:start].strip() and not text[end:line_end].strip():
        return line_start, line_end, ""
    return start, end, ""


def _apply_edits(text: str, edits: Sequence[_Edit]) -> str:
    # stable: insertions at one offset keep the order they were made in
    ordered = sorted(dict.fromkeys(edits), key=lambda e: (e.start, e.end))
    out: list[str] = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            continue  # overlapping edit: the first one wins
        out.append(text[cursor : edit.start])
        out.append(edit.text)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


def _key(decision: _Decision) -> tuple[int, int]:
    return decision.command.start_line, decision.pip.cmd.node.pos[0]


def rewrite(text: str, plan: DockerPlan) -> DockerResult:
    """``text`` with each ``pip install -r`` it can rewrite turned into ``uv pip sync`` of a lock."""
    kept: frozenset[tuple[int, int]] = frozenset()
    findings: Sequence[DockerFinding] = ()
    while True:
        rewriter = _Rewriter(text, plan, kept, findings)
        result = rewriter.run()
        if not rewriter.failed:
            return result
        # a pip install that stays runs the pip PATH finds: decide again, knowing it stays (the
        # venv then needs pip, or a venv after it would hide what it installed)
        kept |= rewriter.failed
        findings = rewriter.findings


def copied_files(text: str) -> tuple[str, ...]:
    """The build-context paths that ``COPY``/``ADD`` (not ``--from``) name as sources, as written."""
    return tuple(
        dict.fromkeys(
            source
            for command in _parse(text)
            if command.cmd.upper() in ("COPY", "ADD")
            and not any(f.lower().startswith("--from=") for f in command.flags)
            for source in command.value[:-1]
        )
    )


def context_sources(
    text: str, build_args: Mapping[str, str] | None = None
) -> tuple[tuple[str, int], ...]:
    """``(path, line)`` for each build-context source of a ``COPY``/``ADD`` (not ``--from``).

    ``$VAR``/``${VAR:-x}`` expand from the ``ARG`` defaults in scope (global ones before the first
    ``FROM``, redeclared in a stage) and ``build_args`` (which win, as ``--build-arg`` does).
    Sources with a variable that has no value, URLs (``ADD https://…``) and heredocs are left out.
    """
    given = dict(build_args or {})
    commands = _parse(text)
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
                    value = _expand(_unquote(default), target)
                    if value is not None:
                        target[name] = value
                elif in_stage and name in globals_:
                    target[name] = globals_[name]
        elif keyword in ("COPY", "ADD") and in_stage:
            if any(f.lower().startswith("--from=") for f in command.flags):
                continue
            for source in command.value[:-1]:
                if source.startswith("<<") or re.match(r"^[a-z][a-z0-9+.-]*://|^git@", source):
                    continue
                expanded = _expand(_unquote(source), scope)
                if expanded is not None:
                    found.append((expanded, command.start_line))
    return tuple(found)


def referenced_requirement_files(text: str) -> tuple[str, ...]:
    """The ``-r`` files of the ``pip install`` commands ``rewrite`` turns into syncs (as written)."""
    result = rewrite(text, DockerPlan(uv_version="0"))
    return result.requirement_files


def instructions(text: str) -> list[tuple[str, ...]]:
    """Comparable instructions: keyword, the parser's logical line, then heredoc bodies."""
    return [(c.cmd.upper(), c.original, *(h.content for h in c.heredocs)) for c in _parse(text)]


# -- .dockerignore -------------------------------------------------------------------------


def _ignore_matches(pattern: str, path: str) -> bool:
    pattern = pattern.strip().lstrip("/")
    if pattern.startswith("**/"):
        return _ignore_matches(pattern[3:], path) or fnmatch.fnmatchcase(path, pattern)
    pattern = _norm(pattern)
    return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/")


def dockerignore_check(
    text: str | None, copied: Sequence[str] = ("requirements.lock",)
) -> tuple[str, tuple[DockerFinding, ...]]:
    """``.dockerignore`` with ``.venv`` added, and a finding for each ``copied`` file it excludes."""
    lines = [] if text is None else text.split("\n")
    findings: list[DockerFinding] = []
    patterns = [(n, line.strip()) for n, line in enumerate(lines, 1)]
    patterns = [(n, p) for n, p in patterns if p and not p.startswith("#")]
    for copied_path in copied:
        path = _norm(copied_path)
        excluded_by: int | None = None
        for number, pattern in patterns:
            if _ignore_matches(pattern.lstrip("!"), path):
                excluded_by = None if pattern.startswith("!") else number
        if excluded_by is not None:
            findings.append(
                DockerFinding(
                    line=excluded_by,
                    code="dockerignore-excludes-lock",
                    message=f"excludes {path}, which the Dockerfile now copies: add `!{path}`",
                )
            )
    if any(_ignore_matches(p, ".venv") for _n, p in patterns if not p.startswith("!")):
        return ("" if text is None else text), tuple(findings)
    if not text:
        return ".venv\n", tuple(findings)
    sep = "" if text.endswith("\n") else "\n"
    return f"{text}{sep}.venv\n", tuple(findings)


def dockerignore_update(
    text: str | None, copied: Sequence[str] = ("requirements.lock",)
) -> tuple[str, list[str]]:
    """``.dockerignore`` with ``.venv`` added, and ``line N: ...`` messages for each ``copied``
    file (the locks the new Dockerfile copies) that it excludes."""
    new, findings = dockerignore_check(text, copied)
    return new, [f"line {f.line}: {f.message}" for f in findings]
