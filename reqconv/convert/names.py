"""Names for URL and path requirements whose line gives none: ``--name-url``, the project itself,
or the name uv reads from the URL's own metadata. Pure: uv is reached through ``learn``
(``UvNamer`` is the ``learn`` that asks uv; convert and add both use it).

pip learns the name of ``git+https://host/repo.git`` by building its metadata; so does uv
(``uv pip compile --no-deps`` prints ``name @ url`` and keeps the checkout in its cache, where
``uv lock`` finds it again). A local folder is never built: ``requirements.parse`` already read its
``pyproject.toml`` / ``setup.cfg``, and ``setup.py`` is not run. A line that cannot be named is an
``InputError`` at its ``file:line`` saying how to name it, never a requirement left out in silence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reqconv.errors import InputError, InputErrors, Location, UvError, UvNotFoundError
from reqconv.frozen import frozen
from reqconv.model import Diagnostic, Option, ReqFile, Unnamed
from reqconv.requirements import parse

__all__ = [
    "NAME_URL_OPTION",
    "Learn",
    "UvNamer",
    "name_requirements",
    "parse_name_urls",
    "uv_input",
]

NAME_URL_OPTION = "--name-url"

# (the requirement text uv is given, the folder it runs in) -> the package name uv reports.
Learn = Callable[[str, Path], str]

_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")  # PEP 508 names

# Options of the requirements files that tell uv where a build backend comes from.
_INDEX_OPTIONS = ("index-url", "extra-index-url", "find-links", "no-index", "trusted-host")


@dataclass(slots=True)
class UvNamer:
    """``names.Learn`` through ``uv pip compile --no-deps``; uv is found once, each URL asked once."""

    offline: bool
    uv_path: Path | None = None
    learned: dict[str, str] = field(default_factory=dict)

    def __call__(self, text: str, cwd: Path) -> str:
        from reqconv import uv

        if text not in self.learned:
            if self.uv_path is None:
                self.uv_path = uv.find_uv()
                uv.uv_version(self.uv_path)
            argv = uv.build_name_argv(self.uv_path, offline=self.offline)
            stdout = uv.run(argv, cwd=cwd, input=text, timeout=uv.DEFAULT_TIMEOUT)
            name = uv.name_from_compile(stdout)
            if name is None:
                raise UvError("uv printed no package name", stderr=f"error: {stdout.strip()}")
            self.learned[text] = name
        return self.learned[text]


@frozen
class _Failure:
    unnamed: Unnamed
    reason: str


def parse_name_urls(items: tuple[str, ...]) -> dict[str, str]:
    """``--name-url NAME=URL`` values -> {URL as written: NAME}; a bad one is an ``InputError``."""
    given: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not url or _NAME_RE.fullmatch(name) is None:
            raise InputError(
                f"{NAME_URL_OPTION} takes NAME=URL (a package name, then the URL or path as the "
                f"requirements file writes it), got {item!r}"
            )
        given[url] = name
    return given


def uv_input(unnamed: Unnamed, options: list[Option]) -> str:
    """The requirements text uv reads to learn the name: the files' index options, then the URL."""
    lines = []
    for option in options:
        if option.name not in _INDEX_OPTIONS:
            continue
        if option.value is None:
            lines.append(f"--{option.name}")
        elif option.name != "find-links" or "://" in option.value or os.path.isabs(option.value):
            lines.append(f"--{option.name} {option.value}")
    lines.append(unnamed.target)
    return "\n".join(lines) + "\n"


def _is_project_itself(unnamed: Unnamed, root: Path) -> bool:
    source = unnamed.source
    if source is None or source.kind != "path" or source.base is None:
        return False
    try:
        return (source.base / source.path).resolve() == root.resolve()
    except OSError:
        return False


def _project_itself(unnamed: Unnamed) -> Diagnostic:
    return Diagnostic(
        code="project-itself",
        message=f"{unnamed.text!r} installs the project itself: `uv sync` does that when "
        "[tool.uv] package = true (or a [build-system] is present)",
        location=unnamed.origin,
        severity="info",
    )


def _uv_reason(error: UvError) -> str:
    """The line of uv's stderr that says why (git's ``fatal:``, else uv's last ``cause:``)."""
    lines = [line.strip() for line in error.stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("fatal:"):
            return line
    causes = [line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")]
    if causes:
        return causes[-1]
    errors = [line.removeprefix("error:").strip() for line in lines if line.startswith("error:")]
    return errors[-1] if errors else error.message


def _message(failure: _Failure) -> str:
    unnamed = failure.unnamed
    return (
        f"cannot tell the package name of {unnamed.location!r} ({failure.reason}); write it as "
        f"'NAME @ {unnamed.location}' in the file, or pass {NAME_URL_OPTION} "
        f"NAME={unnamed.location}"
    )


def name_requirements(
    files: Mapping[Path, ReqFile],
    root: Path,
    *,
    given: Mapping[str, str],
    learn: Learn | None,
) -> dict[Path, ReqFile]:
    """``files`` with every unnamed line named; the lines that cannot be, all in one error.

    ``given``: ``--name-url`` (URL as written -> name). ``learn``: asks uv (None: uv is not asked,
    as for a line that is not a git or archive URL). ``-e .``, the project itself, is not a
    dependency: it gets a ``project-itself`` info, as a named one does in normalize.
    """
    options = [option for reqfile in files.values() for option in reqfile.options]
    named: dict[Path, ReqFile] = {}
    failures: list[_Failure] = []
    for path, reqfile in files.items():
        if not reqfile.unnamed:
            named[path] = reqfile
            continue
        names: dict[Location, str] = {}
        infos: list[Diagnostic] = []
        for unnamed in reqfile.unnamed:
            name = given.get(unnamed.location) or given.get(unnamed.target)
            if name is not None:
                names[unnamed.origin] = name
            elif _is_project_itself(unnamed, root):
                infos.append(_project_itself(unnamed))
            elif not unnamed.askable or learn is None:
                failures.append(_Failure(unnamed, unnamed.why or "the line gives no name"))
            else:
                try:
                    names[unnamed.origin] = learn(uv_input(unnamed, options), root)
                except UvNotFoundError:
                    raise  # no uv at all: exit 3 with its own message
                except UvError as e:
                    failures.append(_Failure(unnamed, f"uv could not read it: {_uv_reason(e)}"))
        # The project itself stays unnamed: normalize accounts for its line by the info.
        named[path] = parse.with_names(reqfile, names, infos)
    if failures:
        raise InputErrors.of(InputError(_message(f), f.unnamed.origin) for f in failures)
    return named
