"""``uv lock`` run, and its failures explained where uv's own message falls short.

A missing Python for requires-python (which value, from where, what to install), an index that
refused uv (which ``UV_INDEX_<NAME>_*`` variables to set), and a requirement of pyproject.toml that
is not PEP 508 (uv reports a failed ``setup.py`` build instead).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from reqconv import fs, uv
from reqconv.errors import InputError, Location, PyprojectError, UvError
from reqconv.lock.project import Project
from reqconv.model import Index
from reqconv.redact import redact_text, strip_credentials
from reqconv.uv import Runner

__all__ = ["AUTH_FAILURE_RE", "NO_SOLUTION", "run_lock"]

NO_SOLUTION = "No solution found when resolving dependencies"


def _requirement_items(data: dict[str, object]) -> list[tuple[str, str]]:
    """(dotted key, text) of every PEP 508 string in the tables uv resolves."""
    items: list[tuple[str, str]] = []

    def add(where: str, values: object) -> None:
        if isinstance(values, list):
            items.extend(
                (f"{where}[{i}]", value) for i, value in enumerate(values) if isinstance(value, str)
            )

    project = data.get("project")
    if isinstance(project, dict):
        add("[project].dependencies", project.get("dependencies"))
        extras = project.get("optional-dependencies")
        for name, values in extras.items() if isinstance(extras, dict) else ():
            add(f"[project.optional-dependencies].{name}", values)
    groups = data.get("dependency-groups")
    for name, values in groups.items() if isinstance(groups, dict) else ():
        add(f"[dependency-groups].{name}", values)
    return items


def _invalid_requirement(project: Project) -> PyprojectError | None:
    """The first requirement of pyproject.toml that is not valid PEP 508, as an error."""
    from packaging.requirements import InvalidRequirement, Requirement

    for where, text in _requirement_items(project.toml):
        try:
            Requirement(text)
        except InvalidRequirement as e:
            quoted = (f'"{text}"', f"'{text}'")  # as written in TOML, more often than not
            lines = project.file.text.splitlines()
            line = next(
                (n for n, raw in enumerate(lines, start=1) if any(q in raw for q in quoted)),
                next((n for n, raw in enumerate(lines, start=1) if text in raw), 0),
            )
            return PyprojectError(
                f"{where} {redact_text(text)!r} is not a valid requirement: {redact_text(str(e))}",
                Location(project.path, line),
            )
    return None


# uv's words for an index that refused it (a hint, or a failed download); no package name has a
# space, so a name like `django-authentication` in a conflict cannot match.
AUTH_FAILURE_RE = re.compile(
    r"valid authentication credentials|\b40[13] (?:Unauthorized|Forbidden)"
)


def _credentials_hint(project: Project, stderr: str) -> str:
    """For an index uv names as refusing it: the variables uv reads its credentials from."""
    text = " ".join(stderr.split())
    if not AUTH_FAILURE_RE.search(text):
        return ""
    tool = project.toml.get("tool")
    uv_table = tool.get("uv") if isinstance(tool, dict) else None
    raw = uv_table.get("index") if isinstance(uv_table, dict) else None
    hints = []
    for entry in raw if isinstance(raw, list) else ():
        name, url = (entry.get("name"), entry.get("url")) if isinstance(entry, dict) else (0, 0)
        if not isinstance(name, str) or not isinstance(url, str):
            continue
        shown = strip_credentials(url)
        if shown.rstrip("/") in text:
            prefix = Index(name=name, url=shown).env_prefix
            hints.append(
                f"hint: uv reads the credentials of index {name!r} ({shown}) from the environment: "
                f"set {prefix}_USERNAME and {prefix}_PASSWORD"
            )
    return "\n".join(hints)


# uv could not find (offline, downloads off), download, or inspect a Python for requires-python.
_NO_PYTHON_RE = re.compile(
    r"No interpreter found for Python|Failed to (?:download|install) .*cpython-"
    r"|No download found for request|incompatible with the project's Python requirement"
    r"|Failed to inspect Python interpreter"
)


_DOWNLOAD_FAILED_RE = re.compile(r"Failed to download `?(?P<url>\S*cpython-[^`\s]*)")


_BROKEN_RE = re.compile(r"Failed to inspect Python interpreter from [\w ]+ at `(?P<path>[^`]+)`")


# "No interpreter found for Python 3.10 in managed installations or search path"
_NOT_FOUND_RE = re.compile(r"No interpreter found for Python (?P<request>\S+)")


_BOUND_RE = re.compile(r"(?:>=|~=|==|>)\s*(?P<minor>\d+\.\d+)")


def _requires_python_line(project: Project) -> int:
    for number, line in enumerate(project.file.text.splitlines(), start=1):
        if line.lstrip().startswith("requires-python"):
            return number
    return 0


def _python_request(project: Project, env: Mapping[str, str]) -> tuple[str, str] | None:
    """What tells uv which interpreter to use besides requires-python, as uv ranks it:
    ``UV_PYTHON`` in the environment, else the project folder's ``.python-version`` (its first
    entry; uv reads no folder above a project's). ``(where, value)``, or None."""
    value = env.get("UV_PYTHON", "").strip()
    if value:
        return "UV_PYTHON (set in the environment)", value
    path = project.path.parent / ".python-version"
    if not path.is_file():
        return None
    for number, raw in enumerate(fs.read_text(path).text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            return str(Location(path, number)), line
    return None


def _no_python(
    project: Project,
    stderr: str,
    python_origin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str | None:
    """reqconv's words for a lock that failed for want of a Python (uv's follow below them):
    which requires-python, from which file and line, what uv could not do, and what to do."""
    text = " ".join(stderr.split())
    if not _NO_PYTHON_RE.search(text):
        return None
    wanted = project.requires_python or "(any)"
    # convert knows where it took the value ("from Dockerfile:1 (Python 3.12 image)"); its new
    # pyproject.toml is gone again once the failed run is rolled back.
    where = python_origin or f"in {Location(project.path, _requires_python_line(project))}"
    bound = _BOUND_RE.search(wanted)
    minor = bound["minor"] if bound else "X.Y"
    download = _DOWNLOAD_FAILED_RE.search(text)
    broken = _BROKEN_RE.search(text)
    request = _python_request(project, os.environ if env is None else env)
    asked = _NOT_FOUND_RE.search(text)
    if request is not None and (
        "incompatible with the project's Python requirement" in text
        or (asked is not None and not asked["request"].startswith(("<", ">", "=", "~", "!")))
        # a pyenv shim that .python-version sent to a version pyenv does not have
        or (broken is not None and "(set by " in text and ".python-version" in text)
    ):
        # uv was told which Python to use, by UV_PYTHON or .python-version: that is the cause
        told, value = request
        what = (
            "does not satisfy it"
            if "incompatible with the project's Python requirement" in text
            else "is not installed, and uv may not download it (offline, or "
            "UV_PYTHON_DOWNLOADS=never)"
        )
        fix = (
            "unset UV_PYTHON or point it at a Python that requires-python admits"
            if told.startswith("UV_PYTHON")
            else f"change {told} to a Python that requires-python admits, or install {value} "
            f"(`uv python install {value}`)"
        )
        return (
            f"no Python for requires-python = {wanted!r} ({where}): uv uses the Python "
            f"{told} names, {value}, which {what}: {fix}; or, if the service runs another "
            "Python, say which: `reqconv convert --python X.Y` (a new pyproject.toml), or edit "
            "requires-python"
        )
    if broken is not None:
        why = (
            f"uv stopped at an interpreter it could not run, {broken['path']} (a pyenv shim of "
            "a version that is not installed?), before it found one that satisfies it"
        )
    elif download is not None:
        why = (
            "no installed Python satisfies it, and uv could not download one "
            f"({redact_text(download['url']).rsplit('/', 1)[-1]}: no network, or a proxy?)"
        )
    elif "incompatible with the project's Python requirement" in text:
        why = "the Python uv was told to use does not satisfy it"
    else:
        why = (
            "no installed Python satisfies it, and uv may not download one (offline, or "
            "UV_PYTHON_DOWNLOADS=never)"
        )
    return (
        f"no Python for requires-python = {wanted!r} ({where}): {why}. Install one "
        f"(`uv python install {minor}`) or point uv at one (UV_PYTHON=/path/to/python{minor}); "
        "or, if the service runs another Python, say which: `reqconv convert --python X.Y` "
        "(a new pyproject.toml), or edit requires-python"
    )


# uv's words for a package that needs a newer Python than requires-python lets in:
# "Because omega==1.0 requires Python >=3.12 and your project depends on omega==1.0, ..." and
# "the requested Python version (>=3.10) does not satisfy Python>=3.12 and omega==1.0 depends
# on Python>=3.12".
_NEEDS_PYTHON_RE = re.compile(
    r"(?P<pkg>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<ver>[^\s,]+) (?:requires|depends on) "
    r"Python ?(?P<spec>[<>=!~][^\s,]*(?:, ?[<>=!~][^\s,]*)*)"
)
_DIRECT_RE = re.compile(r"your project depends on (?P<pkg>[A-Za-z0-9][A-Za-z0-9._-]*)")


def _python_floor(
    project: Project,
    stderr: str,
    python_origin: str | None,
    origins: Mapping[str, Location],
) -> InputError | None:
    """A package whose every allowed version needs a newer Python than the lowest one the
    service is said to run on (the source of requires-python): bad input, naming both lines."""
    from packaging.utils import canonicalize_name

    text = " ".join(stderr.split())
    match = _NEEDS_PYTHON_RE.search(text)
    wanted = project.requires_python
    if match is None or wanted is None:
        return None
    name = canonicalize_name(match["pkg"])
    direct = _DIRECT_RE.search(text)
    origin = origins.get(name) or (
        origins.get(canonicalize_name(direct["pkg"])) if direct is not None else None
    )
    if origin is None:
        return None  # not a line of the requirements: uv's own message says it best
    where = python_origin or f"in {Location(project.path, _requires_python_line(project))}"
    bound = _BOUND_RE.search(wanted)
    low = bound["minor"] if bound else wanted
    via = "" if origins.get(name) is not None or direct is None else f" (through {direct['pkg']})"
    return InputError(
        f"{match['pkg']}=={match['ver']}{via} requires Python {match['spec']}, but requires-python "
        f"= {wanted!r} ({where}) has the service run on Python {low} too, where it cannot "
        f"install: move that source to a Python that {match['spec']} admits, or pin a "
        f"{match['pkg']} that supports Python {low}",
        origin,
    )


def run_lock(
    runner: Runner,
    argv: list[str],
    root: Path,
    project: Project,
    *,
    python_origin: str | None = None,
    origins: Mapping[str, Location] | None = None,
) -> None:
    """``uv lock``, its failures explained where uv's message falls short.

    An index that refused uv: which ``UV_INDEX_<NAME>_*`` variables to set. A requirement that is
    not PEP 508: uv then no longer reads [project] and reports a failed ``setup.py`` build of the
    project (offline: a missing setuptools), which says nothing of the line to fix; that becomes
    the requirement's own error. Checked only after uv failed: uv accepts a few forms packaging
    refuses (``>=1.0.*``), and a lock that works stays so; a resolution that found no solution
    read the requirements, and goes to the pin handling; given the requirement lines
    (``origins``: name -> line, a lock with no pins left to drop), one whose package needs a newer
    Python than requires-python's floor is an ``InputError`` naming that line and the floor's.
    """
    try:
        runner(argv, cwd=root, timeout=uv.DEFAULT_TIMEOUT)
    except UvError as e:
        no_python = _no_python(project, e.stderr, python_origin)
        if no_python is not None:
            raise UvError(no_python, argv=e.argv, returncode=e.returncode, stderr=e.stderr) from e
        hint = _credentials_hint(project, e.stderr)
        if hint:
            stderr = f"{e.stderr.rstrip()}\n{hint}"
            raise UvError(e.message, argv=e.argv, returncode=e.returncode, stderr=stderr) from e
        if NO_SOLUTION in " ".join(e.stderr.split()):
            floor = (
                None
                if origins is None
                else _python_floor(project, e.stderr, python_origin, origins)
            )
            if floor is not None:
                raise floor from e
            raise
        invalid = _invalid_requirement(project)
        if invalid is not None:
            raise invalid from e
        raise
