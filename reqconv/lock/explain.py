"""``uv lock`` run, and its failures explained where uv's own message falls short.

A missing Python for requires-python (which value, from where, what to install), an index that
refused uv (which ``UV_INDEX_<NAME>_*`` variables to set), and a requirement of pyproject.toml that
is not PEP 508 (uv reports a failed ``setup.py`` build instead).
"""

from __future__ import annotations

import re
from pathlib import Path

from reqconv import uv
from reqconv.errors import Location, PyprojectError, UvError
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


_BOUND_RE = re.compile(r"(?:>=|~=|==|>)\s*(?P<minor>\d+\.\d+)")


def _requires_python_line(project: Project) -> int:
    for number, line in enumerate(project.file.text.splitlines(), start=1):
        if line.lstrip().startswith("requires-python"):
            return number
    return 0


def _no_python(project: Project, stderr: str, python_origin: str | None = None) -> str | None:
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
        why = "the Python uv was told to use (UV_PYTHON or --python) does not satisfy it"
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


def run_lock(
    runner: Runner,
    argv: list[str],
    root: Path,
    project: Project,
    *,
    python_origin: str | None = None,
) -> None:
    """``uv lock``, its failures explained where uv's message falls short.

    An index that refused uv: which ``UV_INDEX_<NAME>_*`` variables to set. A requirement that is
    not PEP 508: uv then no longer reads [project] and reports a failed ``setup.py`` build of the
    project (offline: a missing setuptools), which says nothing of the line to fix; that becomes
    the requirement's own error. Checked only after uv failed: uv accepts a few forms packaging
    refuses (``>=1.0.*``), and a lock that works stays so; a resolution that found no solution
    read the requirements, and goes to the pin handling.
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
            raise
        invalid = _invalid_requirement(project)
        if invalid is not None:
            raise invalid from e
        raise
