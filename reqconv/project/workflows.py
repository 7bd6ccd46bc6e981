"""The Pythons a service's GitHub Actions workflows test: each ``python-version`` with its line.

Reads (never writes) ``.github/workflows/*.yml``/``.yaml`` at the repository top, through
``yamlfile.load_text`` (every scalar as written: ``3.10`` stays ``3.10``); a file that is not
YAML is skipped (the build scan reports it). The rules (docs/convert.md, "Where requires-python
comes from"):

- **The values:** each ``python-version`` of an ``actions/setup-python`` (or
  ``astral-sh/setup-uv``) step, one per line of a ``|`` block; ``${{ matrix.KEY }}`` in it stands
  for each value of the job's ``strategy.matrix.KEY`` and each ``strategy.matrix.include[].KEY``
  (``exclude`` is not read), ``${{ env.NAME }}`` for the step's, the job's or the workflow's
  ``env.NAME``. Each comes back as written, with the line of the scalar that said it; which of
  them are a Python ``X.Y`` (not ``3.x``, ``pypy3.10``, another expression) is ``pythons``' call.
  ``python-version-file`` names a file ``pythons`` reads itself.
- **Which jobs test the service:** every job of every workflow when the service is the repository
  top. Otherwise a job that points at the service folder: its ``defaults.run.working-directory``
  (else the workflow's) or a step's ``working-directory`` is the folder or inside it, or a word
  of a ``run:`` is a path inside it (``apps/api/requirements.txt``, ``./apps/api/``; the folder
  itself when it holds a ``/`` or follows ``cd``/``pushd``); or any job, whose own
  ``working-directory`` is not elsewhere, of a workflow whose ``on.push.paths``,
  ``on.pull_request.paths`` or ``on.pull_request_target.paths`` has a pattern whose folder (the
  parts before the first glob character) is the service folder or inside it. A workflow for
  another service of a monorepo does neither, and is not read.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from reqconv.errors import Location, ReqconvError
from reqconv.frozen import frozen
from reqconv.yamlfile import Map, Text, load_text

__all__ = ["CiPython", "tested_pythons"]

#: The actions whose ``python-version`` input is the Python a job runs.
ACTIONS = ("actions/setup-python", "astral-sh/setup-uv")

_EXPRESSION_RE = re.compile(r"\$\{\{\s*(?P<scope>matrix|env)\.(?P<key>[A-Za-z_][\w-]*)\s*\}\}")
_WORKSPACE_RE = re.compile(
    r"(?:\$\{\{\s*github\.workspace\s*\}\}|\$\{?GITHUB_WORKSPACE\}?)/", re.IGNORECASE
)
_WORD_SPLIT_RE = re.compile(r"[\s'\";&|()=`]+")
_GLOB_CHARS = frozenset("*?[]!{}+")
_PUSH_EVENTS = ("push", "pull_request", "pull_request_target")


@frozen(kw_only=True)
class CiPython:
    """One ``python-version`` a workflow job tests, as written (``3.10``, ``3.13-dev``,
    ``pypy3.10``), at ``location``; ``action`` is the step's, ``via`` the expression it came
    through (``matrix.python-version``, ``matrix.include``, ``env.PYTHON``; empty: written in
    the step)."""

    text: str
    location: Location
    action: str
    via: str = ""


def tested_pythons(root: Path, top: Path) -> list[CiPython]:
    """Every ``python-version`` of the workflows at ``top`` whose jobs test ``root`` (the
    module's rules), in file and line order; locations spelled from ``root`` as given."""
    absolute = Path(os.path.normpath(root.absolute()))
    top = Path(os.path.normpath(top.absolute()))
    if absolute != top and top not in absolute.parents:
        return []
    service = PurePosixPath(absolute.relative_to(top).as_posix())
    from reqconv.docker.builds import workflow_files

    found: list[CiPython] = []
    for path in workflow_files(top):
        try:
            data = load_text(path)
        except ReqconvError:
            continue
        if not isinstance(data, Map) or not isinstance(data.get("jobs"), Map):
            continue
        spelled = Path(os.path.normpath(root / os.path.relpath(path, absolute)))
        tested = [
            python
            for job in data["jobs"].values()
            if isinstance(job, Map) and _tests(data, job, service)
            for python in _job_pythons(data, job, spelled)
        ]
        found += sorted(tested, key=lambda python: python.location.line)
    return found


# --------------------------------------------------------------------------------------------
# Which jobs test the service


def _folder(text: object) -> PurePosixPath | None:
    """A ``working-directory`` as a folder of the repository (``None``: an expression, or
    outside it)."""
    if not isinstance(text, str) or not text.strip() or "${{" in text:
        return None
    folder = posixpath.normpath(_WORKSPACE_RE.sub("", text.strip()))
    if folder.startswith(("/", "..")):
        return None
    return PurePosixPath(folder)


def _inside(folder: PurePosixPath | None, service: PurePosixPath) -> bool:
    return folder is not None and (folder == service or service in folder.parents)


def _default_folder(owner: Map) -> PurePosixPath | None:
    defaults = owner.get("defaults")
    run = defaults.get("run") if isinstance(defaults, Map) else None
    return _folder(run.get("working-directory")) if isinstance(run, Map) else None


def _names(run: str, service: PurePosixPath) -> bool:
    """Whether a word of the ``run:`` script is a path inside ``service`` (or the folder itself
    when it holds a ``/``, or follows ``cd``/``pushd``)."""
    words = [w for w in _WORD_SPLIT_RE.split(_WORKSPACE_RE.sub("", run)) if w]
    for previous, word in zip(["", *words], words, strict=False):
        path = word.removeprefix("./")
        if path.startswith(f"{service}/"):
            return True
        if path == str(service) and ("/" in path or previous in ("cd", "pushd")):
            return True
    return False


def _paths_name(workflow: Map, service: PurePosixPath) -> bool:
    """Whether a ``paths`` filter of the workflow's push/pull-request events has a pattern whose
    folder (its parts before the first glob character) is ``service`` or inside it."""
    on = workflow.get("on")
    if not isinstance(on, Map):
        return False
    for event in _PUSH_EVENTS:
        filters = on.get(event)
        paths = filters.get("paths") if isinstance(filters, Map) else None
        for pattern in paths if isinstance(paths, list) else ():
            if not isinstance(pattern, str) or pattern.startswith("!"):
                continue
            parts = []
            for part in pattern.removeprefix("./").split("/"):
                if _GLOB_CHARS & set(part):
                    break
                parts.append(part)
            if parts and _inside(PurePosixPath(*parts), service):
                return True
    return False


def _tests(workflow: Map, job: Map, service: PurePosixPath) -> bool:
    """Whether ``job`` tests the service in ``service`` (relative to the top; ``.``: the top)."""
    if service == PurePosixPath("."):
        return True
    job_folder = _default_folder(job) or _default_folder(workflow)
    if _inside(job_folder, service):
        return True
    for step in _steps(job):
        if _inside(_folder(step.get("working-directory")), service):
            return True
        run = step.get("run")
        if isinstance(run, str) and _names(run, service):
            return True
    return job_folder is None and _paths_name(workflow, service)


# --------------------------------------------------------------------------------------------
# The python-version of each step


def _steps(job: Map) -> list[Map]:
    steps = job.get("steps")
    return [step for step in steps if isinstance(step, Map)] if isinstance(steps, list) else []


def _job_pythons(workflow: Map, job: Map, path: Path) -> list[CiPython]:
    found: list[CiPython] = []
    for step in _steps(job):
        uses = step.get("uses")
        action = uses.partition("@")[0].strip() if isinstance(uses, str) else ""
        options = step.get("with")
        if action not in ACTIONS or not isinstance(options, Map):
            continue
        value = options.get("python-version")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Text):
                for text, line, via in _expand(item, (step, job, workflow)):
                    found.append(
                        CiPython(text=text, location=Location(path, line), action=action, via=via)
                    )
    return found


def _expand(value: Text, owners: Sequence[Map]) -> Iterator[tuple[str, int, str]]:
    """Each version ``value`` stands for: ``(text, line, via)``, one per line of a block, each
    matrix value or include entry for ``${{ matrix.KEY }}``, the ``env`` value for
    ``${{ env.NAME }}``."""
    match = _EXPRESSION_RE.search(value)
    if match is None:
        yield from _lines(value, value.line, "")
        return
    step, job, workflow = owners
    scope, key = match["scope"], match["key"]
    if scope == "env":
        for owner in (step, job, workflow):
            env = owner.get("env")
            if isinstance(env, Map) and isinstance(env.get(key), Text):
                given: Text = env[key]
                yield from _lines(_substitute(value, match, given), given.line, f"env.{key}")
                return
        return
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, Map) else None
    if not isinstance(matrix, Map):
        return
    listed = matrix.get(key)
    for item in listed if isinstance(listed, list) else [listed]:
        if isinstance(item, Text):
            yield _substitute(value, match, item).strip(), item.line, f"matrix.{key}"
    include = matrix.get("include")
    for entry in include if isinstance(include, list) else ():
        item = entry.get(key) if isinstance(entry, Map) else None
        if isinstance(item, Text):
            yield _substitute(value, match, item).strip(), item.line, "matrix.include"


def _substitute(value: str, match: re.Match[str], given: str) -> str:
    return value[: match.start()] + given + value[match.end() :]


def _lines(text: str, first: int, via: str) -> Iterator[tuple[str, int, str]]:
    """Each non-empty line of ``text`` (setup-python reads a ``|`` block as one version a line),
    the first at line ``first``."""
    for number, line in enumerate(text.split("\n"), start=first):
        if line.strip() and not line.strip().startswith("#"):
            yield line.strip(), number, via
