"""Which Dockerfiles build a service, and from which build context (YAML read by ``yamlfile``).

Lists folders and reads Dockerfiles and compose files (never writes). The rules (docs/docker.md,
"Which Dockerfiles build a service"):

- **The repository top** is the nearest folder, from the service folder up, holding ``.git``;
  without one, the farthest of the service folder's first ``MAX_UP`` ancestors that still holds a
  sign of the repository (a compose file, a Dockerfile, ``docker/``, ``.github``, ``.dockerignore``,
  ``pyproject.toml``, a requirements file), else the service folder itself.
- **Compose files** are ``docker-compose*.yml``/``.yaml`` and ``compose*.yml``/``.yaml`` anywhere
  under the top (``COMPOSE_DEPTH`` folders deep; ``.git``, ``node_modules`` and virtualenvs are
  skipped). Each service's ``build:`` (a string, or a mapping with ``context``, ``dockerfile``,
  ``args``, ``target``) is one build; ``dockerfile`` is relative to ``context``, which is relative
  to the compose file's folder. A ``build:`` with neither ``context`` nor ``dockerfile`` merges into
  another file's entry of that service (an override file) and is skipped; a URL context and
  ``dockerfile_inline`` are skipped. ``!reset``/``!override`` load as compose reads them.
  ``${VAR:-default}``/``${VAR-default}`` give their default, ``$VAR``/``${VAR}`` the empty string,
  ``$$`` a ``$``: what ``docker compose build`` does with nothing set. Neither reqconv's environment
  nor a ``.env`` file is read (results must not depend on the shell that ran reqconv).
- **Overlays:** a compose file meant for ``-f first.yml -f overlay.yml`` resolves its relative
  paths from the first file's folder. When a context does not exist from the file's own folder,
  each ancestor holding a compose file is tried, nearest first (DocsGPT's ``optional/`` files).
  Which file comes first is not written anywhere; an overlay whose paths also exist from its own
  folder is read as its own project.
- **Declared builds:** ``docker build -f FILE CTX`` (``declared``) in ``run:`` steps of
  ``.github/workflows/*.yml`` (from their ``working-directory``) and their
  ``docker/build-push-action`` steps (``context``/``file`` of the repository), in Makefiles (from
  their folder) and shell scripts (from their folder, else the top), ``COMPOSE_DEPTH`` deep; they
  count as compose builds do.
- **Dockerfiles by name** (``Dockerfile``, ``Dockerfile.*``, ``*.Dockerfile``, any case): in the
  service folder, its ``docker/`` folder (two levels), its other immediate subfolders, and in each
  ancestor up to the top and that ancestor's ``docker/`` folder (two levels). One that no compose
  file builds gets an inferred context (below).
- **A build belongs to the service** when its Dockerfile lies in the service folder, or a
  ``COPY``/``ADD`` source, resolved in its context (``ARG`` defaults and compose ``args``
  expanded), is the service folder or inside it.
- **Inferred context:** of the Dockerfile's folder and its ancestors up to the top, the one where
  the most ``COPY``/``ADD`` (and ``RUN --mount=type=bind``) sources exist (``ARG``/``ENV``
  expanded), nearest on a tie (then ``ambiguous``); when some source exists in none of them and no
  ``.git`` marks the top, the first of the top's ``MAX_UP`` ancestors where more of them exist. A Dockerfile that copies nothing from its context (or only ``.``), or none of
  whose sources exist anywhere, is built from the folder holding its ``docker/`` folder when it
  lies in one (``docker build -f docker/Dockerfile .``), else from the service folder when it lies
  in it, else from its own folder (``how="folder"``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from reqconv import fs
from reqconv.errors import DockerfileError, Location, ReqconvError
from reqconv.frozen import frozen
from reqconv.model import Diagnostic
from reqconv.yamlfile import Map, load

if TYPE_CHECKING:
    from reqconv.docker.declared import DeclaredBuild

__all__ = [
    "COMPOSE_DEPTH",
    "MAX_UP",
    "Build",
    "BuildScan",
    "compose_folders",
    "find_builds",
    "find_dockerfiles",
    "interpolate",
    "is_compose_file",
    "is_dockerfile",
    "missing_sources",
    "repository_top",
    "scan",
    "workflow_files",
]

#: Ancestors of the service folder looked at when no ``.git`` marks the repository's top.
MAX_UP = 3
#: How many folders deep under the top compose files are looked for.
COMPOSE_DEPTH = 4

_SKIP_DIRS = frozenset(
    {".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox", ".mypy_cache"}
)
_COMPOSE_RE = re.compile(r"^(docker-)?compose[^/]*\.ya?ml$", re.IGNORECASE)
_URL_RE = re.compile(r"^[a-z][a-z0-9+.-]*://|^git@", re.IGNORECASE)
_GLOB_CHARS = frozenset("*?[")


@frozen(kw_only=True)
class Build:
    """One way a Dockerfile is built: the file, its build context, and where that was learned.

    ``how``: ``compose`` (a compose file's ``build:``, at ``origin``), ``declared`` (a ``docker
    build -f FILE CTX`` of a CI workflow, a Makefile or a shell script, or a workflow's
    ``docker/build-push-action``, at ``origin``), ``given`` (``--context
    DIR``), ``inferred`` (the folder where its ``COPY``/``ADD`` sources exist), ``folder`` (nothing
    copied tells: the service folder or the Dockerfile's own). ``args`` are the compose ``args`` as ``(name, value)`` after
    interpolation; ``ambiguous`` says another folder would have fitted as well, ``note`` why.
    """

    dockerfile: Path
    context: Path
    how: Literal["compose", "declared", "given", "folder", "inferred"]
    origin: Location | None = None
    args: tuple[tuple[str, str], ...] = ()
    target: str | None = None
    ambiguous: bool = False
    others: tuple[Path, ...] = ()  # when ``ambiguous``: the other folders that fit as well
    note: str = ""


@frozen(kw_only=True)
class BuildScan:
    """``find_builds``' answer with what it could not read (a broken compose file, a Dockerfile the
    BuildKit parser refuses): those are skipped and reported, never fatal."""

    builds: tuple[Build, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def is_dockerfile(name: str) -> bool:
    """``Dockerfile``, ``Dockerfile.*`` or ``*.Dockerfile``, any case."""
    lower = name.lower()
    return lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")


def is_compose_file(name: str) -> bool:
    """``docker-compose*.yml``/``.yaml`` or ``compose*.yml``/``.yaml``."""
    return _COMPOSE_RE.match(name) is not None


def find_dockerfiles(root: Path) -> list[Path]:
    """The Dockerfiles in ``root`` itself (by name, any case), sorted; ``find_builds`` for every
    Dockerfile that builds the service."""
    return sorted(_named(root))


def _named(folder: Path) -> Iterator[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for path in entries:
        if is_dockerfile(path.name) and path.is_file():
            yield path


def _subfolders(folder: Path) -> list[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        path
        for path in entries
        if path.is_dir() and path.name not in _SKIP_DIRS and not path.name.startswith(".")
    ]


# --------------------------------------------------------------------------------------------
# Compose interpolation (https://docs.docker.com/reference/compose-file/interpolation/)


def interpolate(value: str) -> str | None:
    """``value`` as ``docker compose`` reads it with no variable set; None for ``${VAR:?err}``."""
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        nxt = value[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(value, i + 2)
            if end < 0:
                return None
            body = value[i + 2 : end]
            match = re.match(r"^[A-Za-z_][A-Za-z0-9_]*", body)
            if match is None:
                return None
            rest = body[match.end() :]
            if rest.startswith((":-", "-")):
                default = interpolate(rest[2:] if rest.startswith(":-") else rest[1:])
                if default is None:
                    return None
                out.append(default)
            elif rest.startswith((":?", "?")):
                return None  # compose refuses to run with it unset
            elif rest.startswith((":+", "+")) or not rest:
                pass  # unset: empty
            else:
                return None
            i = end + 1
        else:
            match = re.match(r"[A-Za-z_][A-Za-z0-9_]*", value[i + 1 :])
            if match is None:
                out.append("$")
                i += 1
            else:
                i += 1 + match.end()
    return "".join(out)


def _closing_brace(value: str, start: int) -> int:
    depth = 1
    for i in range(start, len(value)):
        if value[i] == "{":
            depth += 1
        elif value[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


# --------------------------------------------------------------------------------------------
# Reading compose files


@frozen
class _Entry:
    dockerfile: Path
    context: Path
    origin: Location
    args: tuple[tuple[str, str], ...]
    target: str | None


def _str(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return interpolate(str(value))
    return None


def _args(raw: object) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    if isinstance(raw, Mapping):
        for name, value in raw.items():
            text = "" if value is None else _str(value)
            if text is not None:
                pairs.append((str(name), text))
    elif isinstance(raw, list):
        for item in raw:
            text = _str(item)
            if text is None:
                continue
            name, sep, value = text.partition("=")
            if sep:  # `- NAME` alone takes the value from the environment: not set here
                pairs.append((name, value))
    return tuple(pairs)


def _compose_bases(path: Path, top: Path) -> list[Path]:
    """The compose file's folder, then each ancestor up to ``top`` holding a compose file."""
    bases = [path.parent]
    folder = path.parent
    while folder != top and top in folder.parents:
        folder = folder.parent
        try:
            if any(is_compose_file(p.name) and p.is_file() for p in folder.iterdir()):
                bases.append(folder)
        except OSError:
            continue
    return bases


def _entries(path: Path, top: Path) -> list[_Entry]:
    data = load(path)
    services = data.get("services") if isinstance(data, Mapping) else None
    if not isinstance(services, Map):
        return []
    entries = []
    for name, service in services.items():
        if not isinstance(service, Map) or "build" not in service:
            continue
        build = service["build"]
        line = service.lines.get("build", services.lines.get(name, 0))
        args: tuple[tuple[str, str], ...] = ()
        target = None
        if isinstance(build, Mapping):
            if "context" not in build and "dockerfile" not in build:
                continue  # merges into another compose file's build of this service
            if "dockerfile_inline" in build:
                continue
            context = _str(build.get("context", "."))
            dockerfile = _str(build.get("dockerfile", "Dockerfile"))
            args = _args(build.get("args"))
            target = _str(build["target"]) if build.get("target") is not None else None
        else:
            context, dockerfile = _str(build), "Dockerfile"
        if context is None or dockerfile is None or _URL_RE.match(context):
            continue
        for base in _compose_bases(path, top):
            folder = Path(os.path.normpath(base / context))
            if folder.is_dir():
                break
        else:
            continue
        file = Path(os.path.normpath(folder / dockerfile))
        if file.is_file():
            entries.append(_Entry(file, folder, Location(path, line), args, target))
    return entries


# --------------------------------------------------------------------------------------------
# docker build in CI workflows, Makefiles and shell scripts

_MAKEFILE_RE = re.compile(r"^(GNUmakefile|[Mm]akefile|.+\.mk)$")
_SCRIPT_RE = re.compile(r"^.+\.(sh|bash)$")
_MAX_SCRIPT = 512 * 1024  # a larger "script" is no build script


def workflow_files(top: Path) -> list[Path]:
    """The GitHub Actions workflows of the repository whose top is ``top``
    (``.github/workflows/*.yml``/``.yaml``), sorted."""
    workflows = top / ".github" / "workflows"
    return sorted(
        path
        for path in (workflows.iterdir() if workflows.is_dir() else ())
        if path.suffix in (".yml", ".yaml") and path.is_file()
    )


def _declaring_files(top: Path) -> list[Path]:
    """Workflows (``.github/workflows/*.yml``), Makefiles and shell scripts (``COMPOSE_DEPTH``
    folders deep) that may run ``docker build``."""
    found = workflow_files(top)
    top_depth = len(top.parts)
    for folder, dirs, files in os.walk(top):
        depth = len(Path(folder).parts) - top_depth
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS) if depth < COMPOSE_DEPTH else []
        for name in sorted(files):
            if _MAKEFILE_RE.match(name) or _SCRIPT_RE.match(name):
                found.append(Path(folder) / name)
    return found


def _resolved(declared: DeclaredBuild, bases: Sequence[Path], origin: Location) -> _Entry | None:
    """The build of ``declared`` run from the first of ``bases`` where its context and
    Dockerfile exist."""
    for base in bases:
        context = Path(os.path.normpath(base / declared.context))
        if declared.dockerfile is None:
            dockerfile = context / "Dockerfile"
        else:
            dockerfile = Path(os.path.normpath(base / declared.dockerfile))
        if context.is_dir() and dockerfile.is_file():
            return _Entry(dockerfile, context, origin, declared.args, declared.target)
    return None


def _declared_entries(path: Path, top: Path) -> list[_Entry]:
    """The builds ``path`` (a workflow, a Makefile, a script) declares."""
    from reqconv.docker.declared import docker_builds  # only where a file may declare one

    if path.parent.name == "workflows" and path.parent.parent.name == ".github":
        return _workflow_entries(path, top)
    if path.stat().st_size > _MAX_SCRIPT:
        return []
    text = fs.read_text(path).text
    # A Makefile's recipes run in its folder; a script, from its folder or the top (./ci/build.sh)
    bases = [path.parent] if _MAKEFILE_RE.match(path.name) else [path.parent, top]
    entries = []
    for declared in docker_builds(text):
        entry = _resolved(declared, bases, Location(path, declared.line))
        if entry is not None:
            entries.append(entry)
    return entries


def _workflow_entries(path: Path, top: Path) -> list[_Entry]:
    """``docker/build-push-action`` steps (``context``, ``file``, ``build-args``, ``target``;
    relative to the repository) and ``docker build`` in ``run:`` steps (from the step's, the
    job's or the workflow's ``working-directory``)."""
    from reqconv.docker.declared import docker_builds

    data = load(path)
    if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping):
        return []
    jobs = data["jobs"]
    entries: list[_Entry] = []
    workflow_dir = _working_directory(data)
    for job in jobs.values():
        if not isinstance(job, Mapping) or not isinstance(job.get("steps"), list):
            continue
        job_dir = _working_directory(job) or workflow_dir
        for step in job["steps"]:
            if not isinstance(step, Map):
                continue
            uses = step.get("uses")
            if isinstance(uses, str) and uses.startswith("docker/build-push-action"):
                entry = _build_push_entry(step, path, top)
                if entry is not None:
                    entries.append(entry)
            run = step.get("run")
            if isinstance(run, str):
                step_dir = step.get("working-directory")
                folder = step_dir if isinstance(step_dir, str) else job_dir
                if folder is not None and "${{" in folder:
                    continue
                base = top / (folder or ".")
                first = step.lines.get("run", 0) + (1 if "\n" in run.rstrip("\n") else 0)
                for declared in docker_builds(run):
                    line = first + declared.line - 1
                    entry = _resolved(declared, [base], Location(path, line))
                    if entry is not None:
                        entries.append(entry)
    return entries


def _working_directory(owner: Mapping[str, Any]) -> str | None:
    defaults = owner.get("defaults")
    run = defaults.get("run") if isinstance(defaults, Mapping) else None
    folder = run.get("working-directory") if isinstance(run, Mapping) else None
    return folder if isinstance(folder, str) else None


def _build_push_entry(step: Map, path: Path, top: Path) -> _Entry | None:
    from reqconv.docker.declared import DeclaredBuild

    options = step.get("with")
    if not isinstance(options, Mapping):
        options = {}
    context = str(options.get("context") or ".")
    # `{{defaultContext}}` is the repository at the workflow's commit; `{{defaultContext}}:sub`
    # a folder of it.
    context = re.sub(r"^\{\{\s*defaultContext\s*\}\}(?::|$)", "", context) or "."
    file = options.get("file")
    args = []
    raw_args = options.get("build-args")
    if isinstance(raw_args, str):
        for item in raw_args.splitlines():
            name, sep, value = item.strip().partition("=")
            if sep and "${{" not in value:
                args.append((name, value))
    target = options.get("target")
    declared = DeclaredBuild(
        dockerfile=str(file) if isinstance(file, str) else None,
        context=context,
        line=step.lines.get("uses", 0),
        args=tuple(args),
        target=target if isinstance(target, str) and "${{" not in target else None,
    )
    if "${{" in declared.context or "${{" in (declared.dockerfile or ""):
        return None
    if "://" in declared.context:
        return None
    return _resolved(declared, [top], Location(path, declared.line))


# --------------------------------------------------------------------------------------------
# Finding the builds


def repository_top(root: Path) -> Path:
    """The top of the repository holding ``root`` (absolute; the module's rule)."""
    return _top(_absolute(root))


def _top(root: Path) -> Path:
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    top = root
    for folder in list(root.parents)[:MAX_UP]:
        if _has_sign(folder):
            top = folder
    return top


def _has_sign(folder: Path) -> bool:
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return False
    for name in names:
        lower = name.lower()
        if (
            is_compose_file(name)
            or is_dockerfile(name)
            or lower in ("docker", ".github", ".dockerignore", "pyproject.toml")
            or (lower.startswith("requirements") and lower.endswith((".txt", ".in")))
        ):
            return True
    return False


def _compose_files(top: Path) -> list[Path]:
    found: list[Path] = []
    top_depth = len(top.parts)
    for folder, dirs, files in os.walk(top):
        depth = len(Path(folder).parts) - top_depth
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS) if depth < COMPOSE_DEPTH else []
        found.extend(Path(folder) / name for name in sorted(files) if is_compose_file(name))
    return found


def _candidates(root: Path, top: Path) -> list[Path]:
    found: list[Path] = []

    def docker_folder(folder: Path) -> None:
        docker = folder / "docker"
        found.extend(_named(docker))
        for sub in _subfolders(docker):
            found.extend(_named(sub))

    found.extend(_named(root))
    docker_folder(root)
    for sub in _subfolders(root):
        if sub.name != "docker":
            found.extend(_named(sub))
    folder = root
    while folder != top and top in folder.parents:
        folder = folder.parent
        found.extend(_named(folder))
        docker_folder(folder)
    return list(dict.fromkeys(found))


def _sources(dockerfile: Path, args: Sequence[tuple[str, str]] = ()) -> list[tuple[str, int]]:
    from reqconv.docker.instructions import context_sources  # only for a Dockerfile found

    try:
        found = context_sources(fs.read_text(dockerfile).text, dict(args))
    except DockerfileError as e:
        raise DockerfileError(e.message, Location(dockerfile)) from e
    return [(_clean(source), line) for source, line in found]


def _clean(source: str) -> str:
    return os.path.normpath(source.lstrip("/")) if source.strip("/") else "."


def _literal_prefix(source: str) -> str:
    """The part of a source path before its first glob character (its folder when it has one)."""
    parts = PurePosixPath(source).parts
    kept = []
    for part in parts:
        if any(char in _GLOB_CHARS for char in part):
            break
        kept.append(part)
    return "/".join(kept) or "."


def _exists(context: Path, source: str) -> bool:
    if source.startswith(".."):
        return False
    if any(char in _GLOB_CHARS for char in source):
        try:
            return next(iter(context.glob(source)), None) is not None
        except (OSError, ValueError):
            return False
    return (context / source).exists()


def missing_sources(text: str, build: Build) -> frozenset[str]:
    """The ``COPY``/``ADD``/bind-mount sources of ``text`` (``ARG``/``ENV`` and the build's args
    expanded) that do not exist in ``build``'s context: context-relative, no ``./`` or ``/``."""
    from reqconv.docker.instructions import context_sources

    return frozenset(
        source
        for source, _line in (
            (_clean(s), line) for s, line in context_sources(text, dict(build.args))
        )
        if source != "." and not _exists(build.context, source)
    )


def _belongs(build: Build, root: Path, sources: Sequence[tuple[str, int]]) -> bool:
    if build.dockerfile.is_relative_to(root):
        return True
    for source, _line in sources:
        path = Path(os.path.normpath(build.context / _literal_prefix(source)))
        if path == root or path.is_relative_to(root):
            return True
    return False


def _default_context(dockerfile: Path, root: Path, top: Path) -> Path:
    """Where a Dockerfile whose sources tell nothing is built from: the folder holding its
    ``docker/`` folder (``docker build -f docker/Dockerfile .``), else the service folder when it
    lies in it, else its own folder."""
    docker = next(
        (f for f in dockerfile.parents if f.name == "docker" and f.is_relative_to(top)), None
    )
    if docker is not None:
        return docker.parent
    if dockerfile.is_relative_to(root):
        return root
    return dockerfile.parent


def _infer(dockerfile: Path, root: Path, top: Path, sources: Sequence[tuple[str, int]]) -> Build:
    telling = [source for source, _line in sources if source != "."]
    if not telling:
        return Build(
            dockerfile=dockerfile,
            context=_default_context(dockerfile, root, top),
            how="folder",
            note="it copies nothing from its context that tells where that is",
        )
    folders = [dockerfile.parent]
    while folders[-1] != top and top in folders[-1].parents:
        folders.append(folders[-1].parent)
    scores = [sum(_exists(folder, source) for source in telling) for folder in folders]
    best = max(scores)
    if best < len(telling) and not (top / ".git").exists():
        # No `.git` marks the top, which was only guessed: a folder above it where more of the
        # sources exist is the context (`docker build -f svc/a/Dockerfile .` from a plain top).
        for folder in list(top.parents)[:MAX_UP]:
            score = sum(_exists(folder, source) for source in telling)
            if score > best:
                folders.append(folder)
                scores.append(score)
                best = score
            if best == len(telling):
                break
    if best == 0:
        # No folder fits better than another: the default `docker build` folder (as when nothing
        # is copied), and every source is reported missing from it.
        return Build(
            dockerfile=dockerfile,
            context=_default_context(dockerfile, root, top),
            how="folder",
            note="none of its COPY/ADD sources exist in its folder or any above it",
        )
    winners = [folder for folder, score in zip(folders, scores, strict=True) if score == best]
    context = winners[0]
    notes = []
    if len(winners) > 1:
        others = ", ".join(str(folder) for folder in winners[1:])
        notes.append(
            f"its COPY/ADD sources exist in {context} and in {others}; the nearest is taken"
        )
    missing = [source for source in telling if not _exists(context, source)]
    if missing:
        notes.append(f"not found in {context}: {', '.join(dict.fromkeys(missing))}")
    return Build(
        dockerfile=dockerfile,
        context=context,
        how="inferred",
        ambiguous=len(winners) > 1,
        others=tuple(winners[1:]),
        note="; ".join(notes),
    )


def _absolute(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))


def _relocate(path: Path, root: Path, given: Path) -> Path:
    """``path`` (absolute) spelled from ``given``, the service folder as the caller wrote it."""
    if given.is_absolute():
        return path
    return Path(os.path.normpath(given / os.path.relpath(path, root)))


def scan(root: Path, context: Path | None = None) -> BuildScan:
    """Every build of a Dockerfile that builds the service in ``root``, and what was skipped.
    ``context`` (``--context DIR``): the context of every Dockerfile no compose file builds."""
    given = root
    root = _absolute(root)
    if not root.is_dir():
        return BuildScan()
    top = _top(root)
    diagnostics: list[Diagnostic] = []
    builds: list[Build] = []
    seen: set[tuple[Path, Path, tuple[tuple[str, str], ...], str | None]] = set()
    composed: set[Path] = set()
    found: list[tuple[_Entry, Literal["compose", "declared"]]] = []
    for compose in _compose_files(top):
        try:
            found += [(entry, "compose") for entry in _entries(compose, top)]
        except ReqconvError as e:
            diagnostics.append(_skipped(e))
    for path in _declaring_files(top):
        try:
            found += [(entry, "declared") for entry in _declared_entries(path, top)]
        except ReqconvError as e:
            diagnostics.append(_skipped(e))
    for entry, how in found:
        composed.add(entry.dockerfile)
        key = (entry.dockerfile, entry.context, entry.args, entry.target)
        if key in seen:
            continue
        build = Build(
            dockerfile=entry.dockerfile,
            context=entry.context,
            how=how,
            origin=entry.origin,
            args=entry.args,
            target=entry.target,
        )
        try:
            sources = _sources(entry.dockerfile, entry.args)
        except DockerfileError as e:
            sources = []
            if entry.dockerfile.is_relative_to(root):
                diagnostics.append(_skipped(e))
        if _belongs(build, root, sources):
            seen.add(key)
            builds.append(build)
    for dockerfile in _candidates(root, top):
        if dockerfile in composed:
            continue
        try:
            sources = _sources(dockerfile)
        except DockerfileError as e:
            if dockerfile.is_relative_to(root):
                diagnostics.append(_skipped(e))
            continue
        build = _infer(dockerfile, root, top, sources)
        if context is not None:
            build = Build(
                dockerfile=dockerfile,
                context=_absolute(context),
                how="given",
                note=f"--context {context.as_posix()}",
            )
        if _belongs(build, root, sources):
            builds.append(build)
    builds.sort(
        key=lambda b: (str(b.dockerfile), b.how not in ("compose", "declared"), str(b.origin or ""))
    )
    return BuildScan(
        builds=tuple(
            Build(
                dockerfile=_relocate(b.dockerfile, root, given),
                context=_relocate(b.context, root, given),
                how=b.how,
                origin=None
                if b.origin is None
                else Location(_relocate(b.origin.path, root, given), b.origin.line),
                args=b.args,
                target=b.target,
                ambiguous=b.ambiguous,
                others=tuple(_relocate(other, root, given) for other in b.others),
                note=b.note,
            )
            for b in builds
        ),
        diagnostics=tuple(diagnostics),
    )


def _skipped(error: ReqconvError) -> Diagnostic:
    return Diagnostic(code="build-file-skipped", message=error.message, location=error.location)


def compose_folders(top: Path) -> dict[Path, Location]:
    """The folders a compose file under ``top`` builds from: each ``build:``'s context and its
    Dockerfile's folder (absolute), with the entry that names it; unreadable compose files are
    skipped (``scan`` reports them for the service they concern)."""
    top = _absolute(top)
    found: dict[Path, Location] = {}
    for compose in _compose_files(top):
        try:
            entries = _entries(compose, top)
        except ReqconvError:
            continue
        for entry in entries:
            found.setdefault(entry.context, entry.origin)
            found.setdefault(entry.dockerfile.parent, entry.origin)
    return found


def find_builds(root: Path, context: Path | None = None) -> tuple[Build, ...]:
    """Every build of a Dockerfile that builds the service in ``root`` (see the module's rules)."""
    return scan(root, context).builds
