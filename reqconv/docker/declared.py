"""``docker build`` commands written in scripts, Makefiles and CI ``run:`` steps, as data.

Pure: text in, the builds it declares out (``DeclaredBuild``: the ``-f`` file and the context as
written, ``--build-arg`` pairs, ``--target``, the line). Reading the files (and the workflows'
YAML) is ``builds``'s. Follows ``docker build``/``docker buildx build``'s arguments
(https://docs.docker.com/reference/cli/docker/buildx/build/): ``-f`` is relative to the folder the
command runs in, the context is the one positional argument (default ``Dockerfile`` in it).
A path that holds a variable (``$TAG``, ``$(CTX)``, ``${{ … }}``), a URL or ``-`` (stdin) is
skipped: what it names is not known before the build.
"""

from __future__ import annotations

import re
import shlex

from reqconv.frozen import frozen

__all__ = ["DeclaredBuild", "docker_builds"]

# Options of `docker build`/`docker buildx build` that take a value (the rest are flags).
_VALUE_OPTS = frozenset(
    {
        "-f",
        "--file",
        "-t",
        "--tag",
        "--build-arg",
        "--target",
        "--platform",
        "--label",
        "--network",
        "--secret",
        "--ssh",
        "--cache-from",
        "--cache-to",
        "-o",
        "--output",
        "--progress",
        "--iidfile",
        "--metadata-file",
        "--add-host",
        "--build-context",
        "--shm-size",
        "--ulimit",
        "-m",
        "--memory",
        "--memory-swap",
        "--cpu-shares",
        "-c",
        "--cpu-period",
        "--cpu-quota",
        "--cpuset-cpus",
        "--cpuset-mems",
        "--cgroup-parent",
        "--isolation",
        "--builder",
        "--allow",
        "--annotation",
        "--attest",
        "--sbom",
        "--provenance",
        "--call",
        "--check",
    }
)
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;"})
_UNKNOWN_RE = re.compile(r"\$|`|://")


@frozen
class DeclaredBuild:
    """One ``docker build`` as written: ``dockerfile`` None when ``-f`` is not given (the
    context's ``Dockerfile``); paths relative to the folder the command runs in."""

    dockerfile: str | None
    context: str
    line: int
    args: tuple[tuple[str, str], ...] = ()
    target: str | None = None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line, text)`` with backslash continuations joined."""
    lines: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending.append(raw.rstrip()[:-1])
            continue
        pending.append(raw)
        lines.append((start, " ".join(pending)))
        pending = []
    if pending:
        lines.append((start, " ".join(pending)))
    return lines


def _tokens(line: str) -> list[str] | None:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: not a line to read
        return None


def _parse(words: list[str], line: int) -> DeclaredBuild | None:
    """The build of ``docker build`` arguments ``words`` (after ``build``), or None."""
    dockerfile: str | None = None
    context: str | None = None
    args: list[tuple[str, str]] = []
    target: str | None = None
    index = 0
    while index < len(words):
        word = words[index]
        option, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if word.startswith("-f") and not word.startswith("--") and len(word) > 2:
            option, value, eq = "-f", word[2:], "="
        if option in _VALUE_OPTS:
            if not eq:
                index += 1
                value = words[index] if index < len(words) else ""
            if option in ("-f", "--file"):
                dockerfile = value
            elif option == "--build-arg" and "=" in value:
                name, _sep, arg = value.partition("=")
                args.append((name, arg))
            elif option == "--target":
                target = value
        elif (not word.startswith("-") or word == "-") and context is None:  # -: stdin
            context = word
        index += 1
    if context is None:
        return None
    for path in (context, dockerfile or ""):
        if path == "-" or _UNKNOWN_RE.search(path):
            return None
    if target is not None and _UNKNOWN_RE.search(target):
        target = None
    return DeclaredBuild(dockerfile, context, line, tuple(args), target)


def docker_builds(text: str) -> list[DeclaredBuild]:
    """Every ``docker build``/``docker buildx build``/``docker image build`` in shell (or Makefile
    recipe) ``text`` whose Dockerfile and context are spelled out."""
    found: list[DeclaredBuild] = []
    for line, logical in _logical_lines(text):
        if "docker" not in logical or "build" not in logical:
            continue
        tokens = _tokens(logical.lstrip("\t@-+ "))
        if tokens is None:
            continue
        index = 0
        while index < len(tokens):
            if tokens[index].rsplit("/", 1)[-1] != "docker":
                index += 1
                continue
            rest = tokens[index + 1 :]
            skip = next(
                (
                    n
                    for n in (1, 2)
                    if rest[:n] in (["build"], ["buildx", "build"], ["image", "build"])
                ),
                None,
            )
            if skip is None:
                index += 1
                continue
            end = next(
                (n for n, token in enumerate(rest[skip:]) if token in _SEPARATORS),
                len(rest) - skip,
            )
            build = _parse(rest[skip : skip + end], line)
            if build is not None:
                found.append(build)
            index += 1 + skip + end
    return found
