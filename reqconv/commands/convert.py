"""`reqconv convert`: requirements files -> pyproject.toml, then lock, then Dockerfiles.

Every service is planned first (parse, normalize, the new pyproject and Dockerfile texts); bad input
in any of them stops the run before a single byte is written. Then one ``fs.Transaction`` writes the
pyproject files, runs the lock step and writes the Dockerfiles: a failure at any step restores every
file it touched and removes the files it created.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reqconv import fs
from reqconv.commands import (
    FileChange,
    Output,
    WriteMode,
    diagnostic_json,
    unified_diff,
    wait_notice,
)
from reqconv.errors import InputError, InputErrors, Location
from reqconv.model import Conversion, DependencySpec, Diagnostic, ProjectMeta, ReqFile

if TYPE_CHECKING:
    from reqconv.commands.docker import ServicePlan
    from reqconv.convert.names import UvNamer
    from reqconv.docker.builds import Build
    from reqconv.project.pythons import PythonChoice
    from reqconv.requirements.discover import UvExport


@dataclass(frozen=True, kw_only=True, slots=True)
class ConvertOptions:
    paths: tuple[Path, ...]
    main: Path | None = None
    groups: tuple[str, ...] = ()  # NAME=FILE
    dev_style: Literal["groups", "extras"] | None = None
    lock: bool = True
    docker: bool = True
    export_groups: tuple[str, ...] = ()
    offline: bool = False
    name_urls: tuple[str, ...] = ()  # NAME=URL: the package of an unnamed URL or path line
    python: str | None = None  # --python X.Y: requires-python = ">=X.Y"
    name: str | None = None  # --name: the project name of a new pyproject.toml
    mode: WriteMode = WriteMode()


@dataclass(kw_only=True, slots=True)
class ServiceConversion:
    """Everything planned for one service folder before anything is written."""

    root: Path
    conversion: Conversion
    pyproject: FileChange
    docker: ServicePlan | None = None
    python: PythonChoice | None = None  # requires-python and where it came from
    builds: tuple[Build, ...] = ()  # the Dockerfiles that build it, with their contexts
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    lock: dict[str, object] | None = None  # the lock step's JSON report (commands.lock_result_json)
    # lock -> the project's own folder as a requirements file installed it (``-e .``): the image
    # installs it after syncing that lock (the exports leave the project out)
    project_locks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # every requirements file is uv's export of the service's uv.lock: nothing to convert, lock or
    # rewrite (the Dockerfiles are `reqconv docker`'s)
    on_uv: bool = False


def _parse_groups(groups: Sequence[str]) -> list[tuple[str, Path]]:
    parsed = []
    for item in groups:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise InputError(f"--group takes NAME=FILE, got {item!r}")
        parsed.append((name.strip(), Path(file.strip())))
    return parsed


def _existing_project(text: str, path: Path) -> tuple[str | None, str | None]:
    """``(name, requires-python)`` of an existing pyproject's ``[project]``."""
    from reqconv.project import pyproject

    if not text.strip():
        return None, None
    return pyproject.project_name(text, path=path), pyproject.requires_python(text)


def _dependency_names(conversion: Conversion) -> frozenset[str]:
    from reqconv.model import Dependency

    spec = conversion.spec
    names = {dependency.name for dependency in spec.dependencies}
    for _group, items in spec.groups:
        names.update(item.name for item in items if isinstance(item, Dependency))
    return frozenset(names)


def project_meta(
    root: Path,
    *,
    dockerfiles: Sequence[Path] = (),
    compiled: Sequence[Path] = (),
    dependencies: frozenset[str] = frozenset(),
    options: ConvertOptions | None = None,
    existing_text: str = "",
) -> tuple[ProjectMeta, PythonChoice, list[Diagnostic]]:
    """What the pyproject gets: its name (``--name``, the existing one, or the folder's, made
    valid and apart from the names in ``dependencies``) and ``requires-python`` with where it came
    from (``pythons.choose``)."""
    from packaging.utils import canonicalize_name

    from reqconv.docker import builds
    from reqconv.project import pythons
    from reqconv.requirements import discover

    pyproject_path = root / "pyproject.toml"
    name_option = options.name if options is not None else None
    python_option = options.python if options is not None else None
    existing_name, existing_python = _existing_project(existing_text, pyproject_path)
    diagnostics: list[Diagnostic] = []
    if name_option is not None and not discover.is_valid_name(name_option):
        raise InputError(
            f"--name {name_option!r} is not a valid project name "
            "(letters, digits, and -_. inside; PEP 508)"
        )
    if existing_name is not None:
        name = existing_name
        if name_option is not None and name_option != existing_name:
            diagnostics.append(
                Diagnostic(
                    code="name-kept",
                    message=f"--name {name_option} not applied: pyproject.toml already names "
                    f"the project {existing_name!r} (edit it there to rename it)",
                    location=Location(pyproject_path),
                )
            )
    else:
        name = name_option or discover.project_name(root.resolve().name, taken=dependencies)
        if name_option is not None and canonicalize_name(name_option) in dependencies:
            raise InputError(
                f"--name {name_option}: the service depends on a package of that name, and uv "
                "would read that dependency as the project itself; choose another name"
            )
    choice = pythons.choose(
        root,
        dockerfiles=dockerfiles,
        compiled=compiled,
        option=python_option,
        existing=existing_python,
        pyproject_text=existing_text,
        top=builds.repository_top(root),
    )
    if choice.how == "interpreter":
        diagnostics.append(
            Diagnostic(
                code="python-guessed",
                message=f'requires-python = "{choice.requires_python}" is the Python running '
                "reqconv: no Dockerfile that builds this service, .python-version or runtime.txt "
                "says which Python it runs; give --python X.Y to choose",
                location=Location(root),
            )
        )
    meta = ProjectMeta(name=name, requires_python=choice.requires_python, package=False)
    return meta, choice, diagnostics


def _read_or_empty(path: Path) -> tuple[fs.TextFile, bytes | None]:
    if path.exists():
        data = fs.read_bytes(path)  # unreadable: an InputError naming the file (exit 2)
        return fs.decode(path, data), data
    return fs.TextFile(path=path, text=""), None


def plan_service(
    root: Path, options: ConvertOptions, namer: UvNamer | None = None
) -> ServiceConversion:
    """Parse, normalize and compute the new pyproject.toml for one service (no writes).

    ``namer`` learns the names of unnamed URL lines (default: a ``names.UvNamer`` for this service).
    """
    from reqconv.convert import names as naming
    from reqconv.convert import normalize
    from reqconv.project import pyproject
    from reqconv.requirements import discover, parse

    if not root.is_dir():
        raise InputError("not a folder", Location(root))
    exports: tuple[UvExport, ...] = ()
    if options.main is not None or options.groups:
        roles = discover.from_options(root, options.main, _parse_groups(options.groups))
    else:
        roles, exports = discover.discover_exports(root)
    export_notes = [_export_note(export, root) for export in exports]
    if not roles and exports:
        return _already_on_uv(root, export_notes)
    if not roles:
        raise InputError(
            "no requirements files found (looked for requirements*.txt, *-requirements.txt, "
            "requirements/*.txt; name them with --main/--group)",
            Location(root),
        )
    paths = [role.path for role in roles] + [r.compiled for r in roles if r.compiled is not None]
    files = parse.parse_tree(paths)
    if any(reqfile.unnamed for reqfile in files.values()):
        files = naming.name_requirements(
            files,
            root,
            given=naming.parse_name_urls(options.name_urls),
            learn=namer or naming.UvNamer(offline=options.offline),
        )
    conversion = normalize.convert(files, roles, root)
    # A requirement the result would lack (an -r not followed): refused like bad input.
    lost = [d for d in conversion.diagnostics if d.severity == "error"]
    if options.lock:
        lost += _unset_variables(files)
    if lost:
        raise InputErrors.of(InputError(d.message, d.location) for d in lost)

    from reqconv.docker import builds

    scan = builds.scan(root)
    pyproject_path = root / "pyproject.toml"
    tf, before = _read_or_empty(pyproject_path)
    meta, python, meta_diagnostics = project_meta(
        root,
        dockerfiles=tuple(dict.fromkeys(build.dockerfile for build in scan.builds)),
        compiled=tuple(role.compiled for role in roles if role.compiled is not None),
        dependencies=_dependency_names(conversion),
        options=options,
        existing_text=tf.text if before is not None else "",
    )
    meta, itself = self_install(
        root,
        conversion,
        meta,
        tf.text if before is not None else "",
        pyproject_path,
        name_given=options.name is not None,
    )
    if before is None:
        text = pyproject.new_document(meta)
    else:
        text = pyproject.ensure_project(tf.text, meta, path=pyproject_path)
        if python.how != "pyproject":  # --python, or a [project] without requires-python
            text = pyproject.set_requires_python(text, python.requires_python, path=pyproject_path)
        if meta.package:
            text = pyproject.set_package(text, path=pyproject_path)
    new_text = pyproject.apply(text, conversion.spec, path=pyproject_path, style=options.dev_style)
    if conversion.spec.uv.indexes:
        # uv reads UV_INDEX_<NAME>_* by the name the file ends up with (an existing index's name,
        # or one with a -2): the credentials messages must say that name.
        names = pyproject.index_names(new_text, path=pyproject_path)
        conversion = normalize.rename_indexes(conversion, names)
    change = FileChange(
        path=pyproject_path,
        before=before,
        # Unchanged text keeps the original bytes (a file with mixed line endings stays as it is).
        after=before if before is not None and new_text == tf.text else tf.encode(new_text),
        before_text=tf.text if before is not None else "",
        after_text=new_text,
    )
    return ServiceConversion(
        root=root,
        conversion=conversion,
        pyproject=change,
        python=python,
        builds=scan.builds,
        project_locks=_project_locks(conversion, files)
        if any(d.code == "project-itself" for d in itself)
        else {},
        diagnostics=[
            *export_notes,
            *scan.diagnostics,
            *meta_diagnostics,
            *(d for d in conversion.diagnostics if d.code != "project-itself"),
            *itself,
        ],
    )


_ITSELF_RE = re.compile(r"""^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") installs the project itself""")


def _itself_text(diagnostic: Diagnostic) -> str:
    """The line of a ``project-itself`` info (normalize and names both start it with its repr)."""
    import ast

    match = _ITSELF_RE.match(diagnostic.message)
    if match is None:
        return "-e ."
    value = ast.literal_eval(match.group(1))
    return value if isinstance(value, str) else "-e ."


def _export_note(export: UvExport, root: Path) -> Diagnostic:
    """An export of uv.lock left out (info), or converted as the only source there is (warning)."""
    name = export.path.relative_to(root).as_posix()
    if export.converted:
        return Diagnostic(
            code="uv-export-converted",
            message=f"{name} is uv's export of a uv.lock ({export.command}), but no uv.lock and "
            "pyproject.toml [project] dependencies are beside it: converted as the only source "
            "there is (its pins are the lock's, transitive ones included)",
            location=Location(export.path, 1),
        )
    return Diagnostic(
        code="uv-export",
        message=f"{name} is uv's export of uv.lock ({export.command}): an output, not "
        "converted; keep it in step with `reqconv lock`/`uv export`",
        location=Location(export.path, 1),
        severity="info",
    )


def _already_on_uv(root: Path, notes: list[Diagnostic]) -> ServiceConversion:
    """A service whose only requirements files are exports of its uv.lock: nothing changes."""
    path = root / "pyproject.toml"
    text = fs.read_text(path).text
    before = path.read_bytes()
    return ServiceConversion(
        root=root,
        conversion=Conversion(spec=DependencySpec()),
        pyproject=FileChange(
            path=path, before=before, after=before, before_text=text, after_text=text
        ),
        diagnostics=notes,
        on_uv=True,
    )


def _project_words(text: str) -> tuple[str, ...]:
    """``-e .`` -> ``("-e", ".")``, ``./`` -> ``("./",)``: the words of ``uv pip install``."""
    words = text.split("#", 1)[0].split()
    if not words:
        return (".",)
    if words[0] in {"-e", "--editable"} and len(words) > 1:
        return ("-e", words[1])
    for flag in ("--editable=", "-e"):
        if words[0].startswith(flag) and len(words[0]) > len(flag):
            return ("-e", words[0][len(flag) :])
    return (words[0],)


def _project_locks(
    conversion: Conversion, files: Mapping[Path, ReqFile]
) -> dict[str, tuple[str, ...]]:
    """The locks whose requirements file (or a file it includes with ``-r``) installs the project
    itself, with the words that did."""
    from reqconv.lock.locking import export_name

    itself = {
        d.location.path: _project_words(_itself_text(d))
        for d in conversion.diagnostics
        if d.code == "project-itself" and d.location is not None
    }
    found: dict[str, tuple[str, ...]] = {}
    for role in conversion.roles:
        seen: set[Path] = set()
        todo = [role.path]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            if path in itself:
                found.setdefault(export_name(role.group), itself[path])
                break
            reqfile = files.get(path)
            if reqfile is not None:
                todo += [i.path for i in reqfile.includes if i.kind == "requirement"]
    return found


def self_install(
    root: Path,
    conversion: Conversion,
    meta: ProjectMeta,
    pyproject_text: str,
    pyproject_path: Path,
    *,
    name_given: bool = False,
) -> tuple[ProjectMeta, list[Diagnostic]]:
    """A requirements line that installs the folder itself (``-e .``): the project becomes a
    package uv builds, locks and installs, as pip did; the meta to write and what is said at each
    such line. Raises ``InputErrors`` when the result would lack a dependency the folder's own
    ``setup.py``/``setup.cfg`` declares.
    """
    from dataclasses import replace

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from reqconv.project import pyproject, selfproject
    from reqconv.requirements import discover

    lines = [d for d in conversion.diagnostics if d.code == "project-itself"]
    if not lines:
        return meta, []
    said = {d.location: repr(_itself_text(d)) for d in lines}
    system = selfproject.build_system(root, pyproject_text)
    if system is None:
        return meta, [
            Diagnostic(
                code="project-not-buildable",
                message=f"{said[d.location]} installs the project itself, but the folder has no build "
                "system (no [build-system] in pyproject.toml, no setup.py or setup.cfg): pip "
                "could not have built it, and uv does not install it ([tool.uv] package = "
                "false); add a [build-system] to pyproject.toml to have it installed",
                location=d.location,
            )
            for d in lines
        ]
    has_project = bool(pyproject_text.strip()) and pyproject.has_project(
        pyproject_text, path=pyproject_path
    )
    errors: list[InputError] = []
    if system.kind == "setuptools":
        # Without [build-system], uv installs the project only with package = true (built by
        # setuptools' legacy backend). A [project] reqconv writes would reset setup.py's version
        # and entry points unless they are dynamic, and its install_requires in any case.
        meta = replace(meta, package=True)
        if not has_project:
            meta = replace(meta, dynamic=selfproject.SETUPTOOLS_DYNAMIC)
            own_name = selfproject.setuptools_name(root)
            if not name_given and own_name is not None and discover.is_valid_name(own_name):
                meta = replace(meta, name=own_name)  # the package pip installed keeps its name
            declared, unreadable = selfproject.declared(root)
            have = {dependency.name for dependency in conversion.spec.dependencies}
            for where in unreadable:
                errors.append(
                    InputError(
                        "install_requires cannot be read without running setup.py, and "
                        "setuptools ignores it once pyproject.toml has a [project] table "
                        "(reqconv writes one): list these dependencies in the requirements file "
                        "and rerun",
                        where,
                    )
                )
            for item in declared:
                try:
                    name = canonicalize_name(Requirement(item.requirement).name)
                except InvalidRequirement as e:
                    errors.append(InputError(f"{item.requirement!r}: {e}", item.origin))
                    continue
                if name not in have:
                    errors.append(
                        InputError(
                            f"install_requires {item.requirement!r} would be lost: setuptools "
                            "ignores install_requires once pyproject.toml has a [project] table "
                            "(reqconv writes one); add it to the requirements file and rerun",
                            item.origin,
                        )
                    )
    elif pyproject.uv_package(pyproject_text, path=pyproject_path) is False:
        return meta, [
            Diagnostic(
                code="project-not-installed",
                message=f"{said[d.location]} installs the project itself, but {pyproject_path.name} sets "
                "[tool.uv] package = false: uv sync will not install it; remove that line to "
                "have it installed",
                location=d.location,
            )
            for d in lines
        ]
    if errors:
        raise InputErrors.of(errors)
    meta = replace(meta, package=True if system.kind == "setuptools" else None)
    how = (
        f"{system.origin} is built by setuptools ([tool.uv] package = true)"
        if system.kind == "setuptools"
        else f"the [build-system] of {system.origin} makes it a package"
    )
    return meta, [
        Diagnostic(
            code="project-itself",
            message=f"{said[d.location]} installs the project itself: {how}, so uv.lock holds it and "
            "`uv sync` installs it (editable); the exports leave it out, and an image installs "
            "it from its source with `uv pip install --no-deps .`",
            location=d.location,
            severity="info",
        )
        for d in lines
    ]


def _unset_variables(files: Mapping[Path, ReqFile]) -> list[Diagnostic]:
    """``${VAR}`` in a requirement's URL that is not set here: uv would lock the literal text."""
    import os

    from reqconv.requirements.parse import ENV_RE

    found: list[Diagnostic] = []
    for reqfile in files.values():
        for req in reqfile.requirements:
            source = req.source
            if source is None:
                continue
            text = " ".join(
                part or ""
                for part in (source.url, source.path, source.tag, source.rev, source.branch)
            )
            for variable in dict.fromkeys(ENV_RE.findall(text)):
                if variable not in os.environ:
                    found.append(
                        Diagnostic(
                            code="unset-variable",
                            message=f"${{{variable}}} is not set: uv expands it in this URL when "
                            "it locks (uv.lock records the value); set it, or convert with "
                            "--no-lock",
                            location=req.origin,
                            severity="error",
                        )
                    )
    return found


ON_UV = "pyproject.toml and uv.lock are its source, nothing to convert"


def _role_lines(service: ServiceConversion) -> list[str]:
    lines = []
    for role in service.conversion.roles:
        target = "[project] dependencies" if role.group is None else f"group '{role.group}'"
        line = f"  {role.path.as_posix()} -> {target}"
        if role.compiled is not None:
            line += f" (pins from {role.compiled.as_posix()} kept for the lock)"
        lines.append(line)
    return lines


def _docker_changes(service: ServiceConversion) -> list[FileChange]:
    if service.docker is None:
        return []
    return list(service.docker.changes)


def _docker_lock_groups(service: ServiceConversion) -> tuple[str, ...]:
    if service.docker is None:
        return ()
    return tuple(service.docker.lock_groups)


def _python_json(choice: PythonChoice | None) -> dict[str, str | None] | None:
    if choice is None:
        return None
    return {
        "value": choice.requires_python,
        "from": choice.how,
        "location": str(choice.location) if choice.location is not None else None,
        "detail": choice.detail or None,
    }


def _report(services: Sequence[ServiceConversion], *, pending: bool) -> str:
    data: dict[str, Any] = {"would_change": pending, "services": []}
    for service in services:
        data["services"].append(
            {
                "path": service.root.as_posix(),
                "on_uv": service.on_uv,
                "files": [
                    {
                        "path": role.path.as_posix(),
                        "group": role.group,
                        "compiled": role.compiled.as_posix() if role.compiled else None,
                    }
                    for role in service.conversion.roles
                ],
                "changed": [
                    change.path.as_posix()
                    for change in [service.pyproject, *_docker_changes(service)]
                    if change.changed
                ],
                "written": [path.as_posix() for path in service.written],
                "requires_python": _python_json(service.python),
                "lock": service.lock,
                "diagnostics": [diagnostic_json(diag) for diag in service.diagnostics],
                "lines": [
                    {
                        "location": str(outcome.location),
                        "text": outcome.text,
                        "outcome": outcome.outcome,
                        "key": outcome.key,
                    }
                    for outcome in service.conversion.outcomes
                ],
            }
        )
    return json.dumps(data, indent=2)


def run(options: ConvertOptions, out: Output) -> int:
    """Convert every service in ``options.paths``; returns 0, or 1 when ``--check`` finds work."""
    if not options.mode.writes:
        return _run(options, out)
    # Held from before the first read to the last write: another reqconv run on one of these
    # services (an `add`, a `lock`) waits, and plans from what this one wrote.
    with fs.folder_locks(options.paths, on_wait=wait_notice(out, fs.FOLDER_WAIT)):
        return _run(options, out)


def _run(options: ConvertOptions, out: Output) -> int:
    from reqconv.convert.names import UvNamer

    mode = options.mode
    services: list[ServiceConversion] = []
    errors: list[InputError] = []
    namer = UvNamer(offline=options.offline)
    for root in options.paths:  # every service's bad lines in one report
        try:
            services.append(plan_service(root, options, namer))
        except InputError as e:
            errors.append(e)
    if errors:
        raise InputErrors.of(errors)

    if options.docker:
        from reqconv.commands import docker

        uv_version: str | None = None  # `uv --version` only when there is a Dockerfile to pin it in
        for service in services:
            if not service.builds or service.on_uv:
                continue
            if uv_version is None:
                uv_version = docker.resolve_uv_version()
            service.docker = docker.plan_service(
                service.root,
                uv_version=uv_version,
                builds=service.builds,
                roles=service.conversion.roles,
                spec=service.conversion.spec,
                projects=service.project_locks,
            )
            service.diagnostics.extend(service.docker.diagnostics)
            if not options.lock:
                service.diagnostics.extend(docker.missing_locks(service.docker))

    pending = any(
        change.changed
        for service in services
        for change in [service.pyproject, *_docker_changes(service)]
    )
    if not mode.json:
        for service in services:
            if not mode.quiet:
                out.err(f"{service.root.as_posix()}:")
                if service.on_uv:
                    out.err(f"  already on uv: {ON_UV}")
                for line in _role_lines(service):
                    out.err(line)
                if service.python is not None:
                    out.err(f"  {service.python.describe()}")
            for diag in service.diagnostics:
                out.err(str(diag))

    if not mode.writes:
        if mode.check and options.lock and not pending:
            # pyproject and the Dockerfiles are current: are uv.lock and the exports? (a pin
            # changed in the requirements since the last lock, an export a Dockerfile copies)
            pending = _lock_pending(services, options, out)
        if not mode.json:
            for service in services:
                for change in [service.pyproject, *_docker_changes(service)]:
                    if change.changed:
                        out.out(unified_diff(change).rstrip("\n"))
            if options.lock and not mode.quiet and not mode.check:
                out.err("lock: skipped (nothing is written with --dry-run)")
        else:
            out.out(_report(services, pending=pending))
        return 1 if (mode.check and pending) else 0

    _write(services, options, out)
    if mode.json:  # written: nothing is pending any more
        out.out(_report(services, pending=False))
    return 0


def _python_origin(service: ServiceConversion) -> str | None:
    """Where requires-python came from, for the lock's message when uv has no such Python."""
    if service.python is None:
        return None
    told = f'requires-python = "{service.python.requires_python}" '
    return service.python.describe().removeprefix(told)


def _lock_pending(
    services: Sequence[ServiceConversion], options: ConvertOptions, out: Output
) -> bool:
    """``--check``: would the lock step change uv.lock or an export of a service? (Writes none.)"""
    from reqconv import uv
    from reqconv.lock import locking

    uv_path = uv.find_uv()
    uv.uv_version(uv_path)
    pending = False
    for service in services:
        if service.on_uv:
            continue  # its uv.lock is not convert's (`reqconv lock`/`reqconv check` look at it)
        groups = tuple(dict.fromkeys((*options.export_groups, *_docker_lock_groups(service))))
        stale = locking.check_service(
            service.root,
            pins=service.conversion.pins,
            demands=service.conversion.demands,
            export_groups=groups,
            offline=options.offline,
            uv_path=uv_path,
        )
        for item in stale:
            pending = True
            if not options.mode.json:
                out.err(f"{item.path.as_posix()}: {item.reason} (run `reqconv convert`)")
            service.diagnostics.append(
                Diagnostic(
                    code="lock-pending",
                    message=f"{item.reason}: the lock step would change it",
                    location=Location(item.path),
                )
            )
    checked = any(not service.on_uv for service in services)
    if checked and not pending and not options.mode.json and not options.mode.quiet:
        out.err("lock: uv.lock and its exports are up to date")
    return pending


def _write(services: Sequence[ServiceConversion], options: ConvertOptions, out: Output) -> None:
    with fs.Transaction() as tx:
        uv_path: Path | None = None
        if options.lock:
            from reqconv import uv

            # Found and version-checked once for every service, not once per service.
            uv_path = uv.find_uv()
            uv.uv_version(uv_path)
        for service in services:
            for change in [service.pyproject, *_docker_changes(service)]:
                if tx.write(change.path, change.after):
                    service.written.append(change.path)
            if options.lock and not service.on_uv:
                from reqconv.commands import lock_result_json
                from reqconv.lock import locking

                groups = tuple(
                    dict.fromkeys((*options.export_groups, *_docker_lock_groups(service)))
                )
                result = locking.lock_service(
                    service.root,
                    tx=tx,
                    pins=service.conversion.pins,
                    demands=service.conversion.demands,
                    export_groups=groups,
                    offline=options.offline,
                    uv_path=uv_path,
                    python_origin=_python_origin(service),
                )
                service.written.extend(result.written)
                service.diagnostics.extend(result.diagnostics)
                service.lock = lock_result_json(result)
                if not options.mode.json:
                    for diag in result.diagnostics:
                        out.err(str(diag))
                    if result.kept and not options.mode.quiet:
                        out.err(
                            f"{service.root.as_posix()}: kept {len(result.kept)} pinned versions"
                        )
    if not options.mode.json and not options.mode.quiet:
        for service in services:
            if service.written:
                for path in service.written:
                    out.out(f"wrote {path.as_posix()}")
            elif service.on_uv:
                out.out(f"{service.root.as_posix()}: already on uv ({ON_UV})")
            else:
                out.out(f"{service.root.as_posix()}: nothing to change")
