"""A ``pip install`` as data: which requirements files, packages and options it names.

Every pip option (https://pip.pypa.io/en/stable/cli/pip_install/) is sorted by what becomes of it
in ``uv pip sync``: passed through, dropped (the hashed lock already pins everything), or unknown
(then the install is kept).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from reqconv.docker.shell import PYTHON_NAME_RE, Cmd, command_start, has_substitution

__all__ = [
    "PipInstall",
    "is_setup_upgrade",
    "only_setup_packages",
    "pip_install",
    "uv_install_args",
]

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
_PIP_NAME_RE = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")


@dataclass(slots=True)
class PipInstall:
    """A parsed ``pip install``: what it installs and which options it carried."""

    cmd: Cmd
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
    wheel_dir: str | None = None  # ``pip wheel -w DIR``
    upgrade: bool = False
    substituted: bool = False
    variables: list[str] = field(default_factory=list)  # ``$VAR`` words: options or packages
    args: list[str] = field(default_factory=list)  # every word but the executable and subcommand


def _exec_venv(word: str) -> str | None:
    """``/opt/venv/bin/pip`` -> ``/opt/venv``."""
    path = PurePosixPath(word)
    if len(path.parts) >= 3 and path.parent.name == "bin":
        return str(path.parent.parent)
    return None


def pip_install(cmd: Cmd) -> PipInstall | None:
    """The ``pip ...`` command in ``cmd``, or None when it is not pip."""
    words = cmd.words
    at = command_start(words)
    if at >= len(words):
        return None
    first = words[at].word
    name = PurePosixPath(first).name
    rest_at: int
    if _PIP_NAME_RE.match(name):
        rest_at = at + 1
    elif PYTHON_NAME_RE.match(name) and len(words) >= at + 2:
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
    pip = PipInstall(cmd=cmd, venv=venv, start_word=at, subcommand=subcommand)
    pip.args = [w.word for w in [*pre_options, *words[index:]]]
    _parse_pip_args(pip, [*pre_options, *words[index:]])
    return pip


def _parse_pip_args(pip: PipInstall, args: Sequence[Any]) -> None:
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
            if short in ("-r", "-c", "-i", "-f", "-e", "-t", "-w"):
                opt, value = short, raw[2:]
        substituted = has_substitution(word)

        def take(value: str | None = value) -> str:
            nonlocal index, substituted
            if value is not None:
                return value
            index += 1
            if index >= len(args):
                return ""
            substituted = has_substitution(args[index])
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
        elif opt in ("-w", "--wheel-dir") and pip.subcommand == "wheel":
            pip.wheel_dir = take()
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


def is_setup_upgrade(pip: PipInstall) -> bool:
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


def only_setup_packages(cmd: Cmd) -> bool:
    """``pip install pip==24.0 setuptools`` and the like: only pip's own tooling (or uv, whose
    binary stays on PATH whatever venv comes after)."""
    pip = pip_install(cmd)
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


# ``pip install`` options as ``uv pip install`` takes them (https://docs.astral.sh/uv/reference/
# cli/#uv-pip-install): the same word, another word, or nothing (pip's output, cache and checks).
_UV_SAME_FLAGS = frozenset(
    {"-U", "--upgrade", "--no-deps", "--no-index", "--no-build-isolation", "--require-hashes"}
)
_UV_RENAMED_FLAGS = {
    "--pre": "--prerelease=allow",
    "--force-reinstall": "--reinstall",
    "-I": "--reinstall",
    "--ignore-installed": "--reinstall",
}
_UV_SAME_VALUE_OPTS = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--no-binary",
        "--only-binary",
    }
)
_UV_DROPPED_FLAGS = _DROP_FLAGS - _UV_SAME_FLAGS - frozenset(_UV_RENAMED_FLAGS)
_UV_DROPPED_VALUE_OPTS = _DROP_VALUE_OPTS - _UV_SAME_VALUE_OPTS


def uv_install_args(pip: PipInstall) -> list[str] | None:
    """The arguments of ``uv pip install`` that does what ``pip``, a plain ``pip install``,
    did; None when one of its words has no uv equivalent (or is not known before the build)."""
    if (
        pip.subcommand != "install"
        or pip.user
        or pip.target is not None
        or pip.unknown
        or pip.variables
        or pip.substituted
        or pip.cmd.in_substitution
    ):
        return None
    out: list[str] = []
    words = iter(pip.args)
    for raw in words:
        if "$" in raw or "`" in raw:
            return None
        opt, eq, value = raw.partition("=") if raw.startswith("--") else (raw, "", "")
        if not raw.startswith("-") or raw == "-" or (opt in _UV_SAME_FLAGS and not eq):
            out.append(raw)
        elif opt in _UV_RENAMED_FLAGS and not eq:
            out.append(_UV_RENAMED_FLAGS[opt])
        elif opt in _UV_DROPPED_FLAGS and not eq:
            continue
        elif opt == "--trusted-host":
            out += ["--allow-insecure-host", value if eq else next(words, "")]
        elif opt in _UV_SAME_VALUE_OPTS:
            out += [raw] if eq else [raw, next(words, "")]
        elif opt in _UV_DROPPED_VALUE_OPTS:
            if not eq:
                next(words, "")
        elif raw[:2] in ("-r", "-c", "-e", "-i", "-f") and len(raw) > 2 and raw[1] != "-":
            out.append(raw)  # ``-rfile``: the same in uv
        else:
            return None
    return out
