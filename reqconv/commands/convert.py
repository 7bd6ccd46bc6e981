"""`reqconv convert`: requirements files -> pyproject.toml, then lock, then Dockerfiles.

Every service is planned first (parse, normalize, the new pyproject and Dockerfile texts); bad input
in any of them stops the run before a single byte is written. Then one ``fs.Transaction`` writes the
pyproject files, runs the lock step and writes the Dockerfiles: a failure at any step restores every
file it touched and removes the files it created.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reqconv import fs
from reqconv.commands import FileChange, Output, WriteMode, diagnostic_json, unified_diff
from reqconv.errors import InputError, InputErrors, Location, UvError
from reqconv.model import Conversion, Diagnostic, ProjectMeta

if TYPE_CHECKING:
    from reqconv.commands.docker import ServicePlan


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
    mode: WriteMode = WriteMode()


@dataclass(kw_only=True, slots=True)
class ServiceConversion:
    """Everything planned for one service folder before anything is written."""

    root: Path
    conversion: Conversion
    pyproject: FileChange
    docker: ServicePlan | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    lock: dict[str, object] | None = None  # the lock step's JSON report (commands.lock_result_json)


def _parse_groups(groups: Sequence[str]) -> list[tuple[str, Path]]:
    parsed = []
    for item in groups:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise InputError(f"--group takes NAME=FILE, got {item!r}")
        parsed.append((name.strip(), Path(file.strip())))
    return parsed


def _python_from_dockerfiles(root: Path) -> str | None:
    from reqconv.commands.docker import find_dockerfiles

    paths = find_dockerfiles(root)
    if not paths:
        return None
    # not on the start-up path of a service without Dockerfiles
    from reqconv.docker import base_python_versions

    versions: list[tuple[int, ...]] = []
    for path in paths:
        text = fs.read_text(path).text
        for version, _line in base_python_versions(text):
            versions.append(tuple(int(part) for part in version.split(".")[:2]))
    if not versions:
        return None
    major, minor = min(versions)
    return f"{major}.{minor}"


def _python_from_version_file(root: Path) -> str | None:
    path = root / ".python-version"
    if not path.is_file():
        return None
    for raw in fs.read_text(path).text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            parts = line.removeprefix("python").removeprefix("cpython-").split(".")
            if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
                return f"{parts[0]}.{parts[1]}"
    return None


def project_meta(root: Path) -> ProjectMeta:
    """What a new pyproject.toml gets: name from the folder, requires-python from the image."""
    from packaging.utils import canonicalize_name

    python = (
        _python_from_dockerfiles(root)
        or _python_from_version_file(root)
        or f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    return ProjectMeta(
        name=canonicalize_name(root.resolve().name),
        requires_python=f">={python}",
        package=False,
    )


def _read_or_empty(path: Path) -> tuple[fs.TextFile, bytes | None]:
    if path.exists():
        data = fs.read_bytes(path)  # unreadable: an InputError naming the file (exit 2)
        return fs.decode(path, data), data
    return fs.TextFile(path=path, text=""), None


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


def plan_service(
    root: Path, options: ConvertOptions, namer: UvNamer | None = None
) -> ServiceConversion:
    """Parse, normalize and compute the new pyproject.toml for one service (no writes).

    ``namer`` learns the names of unnamed URL lines (default: a ``UvNamer`` for this service).
    """
    from reqconv import discover, normalize, pyproject, requirements_txt
    from reqconv import names as naming

    if not root.is_dir():
        raise InputError("not a folder", Location(root))
    if options.main is not None or options.groups:
        roles = discover.from_options(root, options.main, _parse_groups(options.groups))
    else:
        roles = discover.discover(root)
    if not roles:
        raise InputError(
            "no requirements files found (looked for requirements*.txt, *-requirements.txt, "
            "requirements/*.txt; name them with --main/--group)",
            Location(root),
        )
    paths = [role.path for role in roles] + [r.compiled for r in roles if r.compiled is not None]
    files = requirements_txt.parse_tree(paths)
    if any(reqfile.unnamed for reqfile in files.values()):
        files = naming.name_requirements(
            files,
            root,
            given=naming.parse_name_urls(options.name_urls),
            learn=namer or UvNamer(offline=options.offline),
        )
    conversion = normalize.convert(files, roles, root)

    pyproject_path = root / "pyproject.toml"
    tf, before = _read_or_empty(pyproject_path)
    if before is None:
        text = pyproject.new_document(project_meta(root))
    else:
        text = pyproject.ensure_project(tf.text, project_meta(root), path=pyproject_path)
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
        diagnostics=list(conversion.diagnostics),
    )


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


def _report(services: Sequence[ServiceConversion], *, pending: bool) -> str:
    data: dict[str, Any] = {"would_change": pending, "services": []}
    for service in services:
        data["services"].append(
            {
                "path": service.root.as_posix(),
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
            dockerfiles = docker.find_dockerfiles(service.root)
            if not dockerfiles:
                continue
            if uv_version is None:
                uv_version = docker.resolve_uv_version()
            service.docker = docker.plan_service(
                service.root,
                uv_version=uv_version,
                dockerfiles=dockerfiles,
                roles=service.conversion.roles,
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
                for line in _role_lines(service):
                    out.err(line)
            for diag in service.diagnostics:
                out.err(str(diag))

    if not mode.writes:
        if not mode.json:
            for service in services:
                for change in [service.pyproject, *_docker_changes(service)]:
                    if change.changed:
                        out.out(unified_diff(change).rstrip("\n"))
            if options.lock and not mode.quiet:
                out.err("lock: skipped (nothing is written with --dry-run/--check)")
        else:
            out.out(_report(services, pending=pending))
        return 1 if (mode.check and pending) else 0

    _write(services, options, out)
    if mode.json:
        out.out(_report(services, pending=pending))
    return 0


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
            if options.lock:
                from reqconv import locking
                from reqconv.commands import lock_result_json

                groups = tuple(
                    dict.fromkeys((*options.export_groups, *_docker_lock_groups(service)))
                )
                result = locking.lock_service(
                    service.root,
                    tx=tx,
                    pins=service.conversion.pins,
                    export_groups=groups,
                    offline=options.offline,
                    uv_path=uv_path,
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
            else:
                out.out(f"{service.root.as_posix()}: nothing to change")
