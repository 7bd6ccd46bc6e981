"""One service planned end to end: what ``convert`` does, step by step, and what it shares.

``plan_service``: the requirements files found (``requirements.discover``) and read
(``requirements.parse``), unnamed lines named (``convert.names``), one ``Conversion``
(``convert.normalize``), the project's name and requires-python (``project.meta``) and the new
pyproject.toml text (``project.pyproject``). ``plan_docker`` adds each service's Dockerfiles
(``docker.plan``, as ``reqconv docker`` plans them). ``lock_pending`` is ``--check``'s look at the
lock step (``lock.stale``); ``write`` writes every planned file and runs the lock step
(``lock.locking``) in one ``fs.Transaction``: a failure anywhere restores every file.

Every file is planned before any is written, and bad input in any service stops the run before a
byte changes. Nothing here prints: the command renders what it returns (and what the ``on_*``
callbacks hand it as each service is locked).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from reqconv import fs
from reqconv.errors import InputError, InputErrors, Location, VerifyError
from reqconv.model import Conversion, DependencySpec, Diagnostic, FileChange, ReqFile, Role

if TYPE_CHECKING:
    from reqconv.convert.names import UvNamer
    from reqconv.convert.variants import VariantSet
    from reqconv.docker.builds import Build
    from reqconv.docker.plan import ServicePlan
    from reqconv.docker.verify import Verification
    from reqconv.lock.locking import LockResult
    from reqconv.lock.stale import StaleFile
    from reqconv.project.pythons import PythonChoice
    from reqconv.requirements.discover import UvExport

__all__ = [
    "PlanOptions",
    "ServiceConversion",
    "lock_pending",
    "plan_docker",
    "plan_service",
    "plan_services",
    "write",
]


class PlanOptions(Protocol):
    """What planning a service reads of ``convert``'s options (``commands.convert.ConvertOptions``)."""

    @property
    def main(self) -> Path | None: ...
    @property
    def groups(self) -> tuple[str, ...]: ...  # NAME=FILE
    @property
    def dev_style(self) -> Literal["groups", "extras"] | None: ...
    @property
    def lock(self) -> bool: ...
    @property
    def offline(self) -> bool: ...
    @property
    def name_urls(self) -> tuple[str, ...]: ...  # NAME=URL
    @property
    def python(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def variants(self) -> tuple[str, ...]: ...  # NAME=FILE
    @property
    def context(self) -> Path | None: ...  # --context DIR: the Dockerfiles' build context


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
    lock: LockResult | None = None  # what the lock step did (after ``write``)
    verified: list[Verification] = field(default_factory=list)  # --verify's builds (``write``)
    # lock -> the project's own folder as a requirements file installed it (``-e .``): the image
    # installs it after syncing that lock (the exports leave the project out)
    project_locks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # every requirements file is uv's export of the service's uv.lock: nothing to convert, lock or
    # rewrite (the Dockerfiles are `reqconv docker`'s)
    on_uv: bool = False

    @property
    def changes(self) -> list[FileChange]:
        """pyproject.toml, then the Dockerfiles and ``.dockerignore`` files (when planned)."""
        return [self.pyproject, *(self.docker.changes if self.docker is not None else ())]

    def export_groups(self, asked: Sequence[str]) -> tuple[str, ...]:
        """The groups to export: those asked (``--export-group``), then those its images install."""
        installed = self.docker.lock_groups if self.docker is not None else ()
        return tuple(dict.fromkeys((*asked, *installed)))

    @property
    def python_origin(self) -> str | None:
        """Where requires-python came from, for the lock's message when uv has no such Python."""
        if self.python is None:
            return None
        told = f'requires-python = "{self.python.requires_python}" '
        return self.python.describe().removeprefix(told)


def _parse_groups(groups: Sequence[str], flag: str = "--group") -> list[tuple[str, Path]]:
    parsed = []
    for item in groups:
        name, sep, file = item.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise InputError(f"{flag} takes NAME=FILE, got {item!r}")
        parsed.append((name.strip(), Path(file.strip())))
    return parsed


def _variant_roles(
    root: Path, roles: tuple[Role, ...], given: Sequence[str]
) -> tuple[tuple[Role, ...], list[VariantSet]]:
    """``roles`` with the sets of ``--variant`` applied; every set, recorded or given."""
    from reqconv.convert.variants import VariantSet
    from reqconv.requirements import discover

    pairs = _parse_groups(given, "--variant")
    roles = discover.with_variants(root, roles, pairs)
    named = {discover.group_name(name) for name, _ in pairs}
    sets = [
        VariantSet(
            role=role,
            name=role.group,
            by="named by --variant"
            if role.group in named
            else "recorded in pyproject.toml [tool.reqconv] variants",
        )
        for role in roles
        if role.variant and role.group is not None
    ]
    if len(sets) == 1:
        raise InputError(
            f"only one alternative set ({sets[0].name!r}, {sets[0].by}); name every set, at "
            "least two: --variant NAME=FILE for each (or list them all in pyproject.toml "
            "[tool.reqconv] variants)",
            Location(root),
        )
    return roles, sets


def _convert_with_sets(
    root: Path, files: Mapping[Path, ReqFile], roles: tuple[Role, ...], sets: list[VariantSet]
) -> tuple[Conversion, list[VariantSet]]:
    """``normalize.convert``; when two files conflict and no set was named, the sets the
    Dockerfiles install alone (``convert.variants``) are tried. A conflict left says how to name
    the sets by hand."""
    from reqconv.convert import normalize
    from reqconv.convert import variants as alternative
    from reqconv.errors import ConflictError

    try:
        return normalize.convert(files, roles, root), sets
    except ConflictError as e:
        conflict = e
    if not sets:
        from reqconv.docker import builds
        from reqconv.docker.plan import installed_roles

        installs = installed_roles(root, builds.scan(root).builds, roles)
        found = alternative.find_sets(root, roles, installs)
        if found:
            try:
                return normalize.convert(files, alternative.mark(roles, found), root), found
            except ConflictError as e:
                conflict = e
    other, here = conflict.other, conflict.location
    if other is None or here is None or other.path == here.path:
        raise conflict  # not two files apart: no set would help
    raise ConflictError(
        f"{conflict.message}; {alternative.VARIANT_HINT}", here, other=other
    ) from conflict


def _dependency_names(conversion: Conversion) -> frozenset[str]:
    from reqconv.model import Dependency

    spec = conversion.spec
    names = {dependency.name for dependency in spec.dependencies}
    for _group, items in spec.groups:
        names.update(item.name for item in items if isinstance(item, Dependency))
    return frozenset(names)


def _read_or_empty(path: Path) -> tuple[fs.TextFile, bytes | None]:
    if path.exists():
        data = fs.read_bytes(path)  # unreadable: an InputError naming the file (exit 2)
        return fs.decode(path, data), data
    return fs.TextFile(path=path, text=""), None


def plan_service(
    root: Path, options: PlanOptions, namer: UvNamer | None = None
) -> ServiceConversion:
    """Parse, normalize and compute the new pyproject.toml for one service (no writes).

    ``namer`` learns the names of unnamed URL lines (default: a ``names.UvNamer`` for this service).
    """
    from reqconv.convert import names as naming
    from reqconv.convert import normalize, variants
    from reqconv.project import meta as project
    from reqconv.project import pyproject
    from reqconv.requirements import discover, parse

    if not root.is_dir():
        raise InputError("not a folder", Location(root))
    exports: tuple[UvExport, ...] = ()
    if options.main is not None or options.groups:
        roles = discover.from_options(root, options.main, _parse_groups(options.groups))
    else:
        roles, exports = discover.discover_exports(root)
    roles, sets = _variant_roles(root, roles, options.variants)
    export_notes = [_export_note(export, root) for export in exports]
    if not roles and exports:
        return _already_on_uv(root, export_notes)
    if not roles:
        _refuse_a_root(root)
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
    conversion, sets = _convert_with_sets(root, files, roles, sets)
    # A requirement the result would lack (an -r not followed): refused like bad input.
    lost = [d for d in conversion.diagnostics if d.severity == "error"]
    if options.lock:
        lost += _unset_variables(files)
    if lost:
        raise InputErrors.of(InputError(d.message, d.location) for d in lost)

    from reqconv.docker import builds

    scan = builds.scan(root, options.context)
    pyproject_path = root / "pyproject.toml"
    tf, before = _read_or_empty(pyproject_path)
    meta, python, meta_diagnostics = project.project_meta(
        root,
        dockerfiles=tuple(dict.fromkeys(build.dockerfile for build in scan.builds)),
        builds=scan.builds,
        compiled=tuple(role.compiled for role in roles if role.compiled is not None),
        dependencies=_dependency_names(conversion),
        name=options.name,
        python=options.python,
        existing_text=tf.text if before is not None else "",
    )
    meta, itself = project.self_install(
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
            *variants.describe(root, conversion.spec, sets),
        ],
    )


def _refuse_a_root(root: Path) -> None:
    """A folder with no requirements files of its own but services below it: name them and say
    ``--all`` (``reqconv convert .`` at the top of a monorepo)."""
    from reqconv.monorepo.walk import find_services

    try:
        below = find_services([root]).services
    except InputError:  # a folder below that cannot be listed: the plain message then
        return
    if below:
        names = ", ".join(found.path.as_posix() for found in below[:8])
        more = f" and {len(below) - 8} more" if len(below) > 8 else ""
        raise InputError(
            f"no requirements files here, but {len(below)} service(s) below: {names}{more}; "
            f"convert them all with `reqconv convert --all {root.as_posix()}`",
            Location(root),
        )


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
    from reqconv.lock.exports import export_name
    from reqconv.project.meta import itself_text

    itself = {
        d.location.path: _project_words(itself_text(d))
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


def _unset_variables(files: Mapping[Path, ReqFile]) -> list[Diagnostic]:
    """``${VAR}`` in a requirement's URL that is not set here: uv would lock the literal text."""
    import os

    from reqconv.requirements.direct import ENV_RE

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


def plan_services(paths: Sequence[Path], options: PlanOptions) -> list[ServiceConversion]:
    """``plan_service`` for each folder; every service's bad lines in one ``InputErrors``."""
    from reqconv.convert.names import UvNamer

    services: list[ServiceConversion] = []
    errors: list[InputError] = []
    namer = UvNamer(offline=options.offline)
    for root in paths:
        try:
            services.append(plan_service(root, options, namer))
        except InputError as e:
            errors.append(e)
    if errors:
        raise InputErrors.of(errors)
    return services


def plan_docker(
    services: Sequence[ServiceConversion], *, lock: bool, multi_stage: bool = False
) -> None:
    """The Dockerfiles of each service that a build names, planned for the spec about to be
    written (``docker.plan``); without ``lock``, also a warning for each lock they would install
    that does not exist yet."""
    from reqconv.docker import plan

    uv_version: str | None = None  # `uv --version` only when there is a Dockerfile to pin it in
    for service in services:
        if not service.builds or service.on_uv:
            continue
        if uv_version is None:
            uv_version = plan.resolve_uv_version()
        service.docker = plan.plan_service(
            service.root,
            uv_version=uv_version,
            builds=service.builds,
            roles=service.conversion.roles,
            spec=service.conversion.spec,
            projects=service.project_locks,
            multi_stage=multi_stage,
        )
        service.diagnostics.extend(service.docker.diagnostics)
        if not lock:
            service.diagnostics.extend(plan.missing_locks(service.docker))


def lock_pending(
    services: Sequence[ServiceConversion],
    *,
    export_groups: Sequence[str],
    offline: bool,
    on_stale: Callable[[StaleFile], None],
) -> bool:
    """``--check``: would the lock step change uv.lock or an export of a service? (Writes none.)

    ``on_stale`` hears of each such file as it is found; each also becomes a ``lock-pending``
    diagnostic of its service.
    """
    from reqconv import uv
    from reqconv.lock.stale import check_service

    uv_path = uv.find_uv()
    uv.uv_version(uv_path)
    pending = False
    for service in services:
        if service.on_uv:
            continue  # its uv.lock is not convert's (`reqconv lock`/`reqconv check` look at it)
        stale = check_service(
            service.root,
            pins=service.conversion.pins,
            demands=service.conversion.demands,
            export_groups=service.export_groups(export_groups),
            offline=offline,
            uv_path=uv_path,
        )
        for item in stale:
            pending = True
            on_stale(item)
            service.diagnostics.append(
                Diagnostic(
                    code="lock-pending",
                    message=f"{item.reason}: the lock step would change it",
                    location=Location(item.path),
                )
            )
    return pending


def write(
    services: Sequence[ServiceConversion],
    *,
    lock: bool,
    export_groups: Sequence[str],
    offline: bool,
    on_locked: Callable[[ServiceConversion, LockResult], None],
    verify: Callable[[ServiceConversion], bool] | None = None,
) -> None:
    """Write every planned file and, with ``lock``, run the lock step of each service, in one
    ``fs.Transaction``; ``on_locked`` hears of each lock as it is done.

    ``verify`` (``--verify``): the Dockerfiles of a service are written after its lock, once
    ``verify(service)`` has built them and said yes; a no raises ``VerifyError``, and the
    transaction restores every file."""
    with fs.Transaction() as tx:
        uv_path: Path | None = None
        if lock:
            from reqconv import uv

            # Found and version-checked once for every service, not once per service.
            uv_path = uv.find_uv()
            uv.uv_version(uv_path)
        for service in services:
            held = set()
            if verify is not None and service.docker is not None and service.docker.pending:
                held = {change.path for change in service.docker.changes}
            for change in service.changes:
                if change.path not in held and tx.write(change.path, change.after):
                    service.written.append(change.path)
            if lock and not service.on_uv:
                from reqconv.lock import locking

                result = locking.lock_service(
                    service.root,
                    tx=tx,
                    pins=service.conversion.pins,
                    demands=service.conversion.demands,
                    export_groups=service.export_groups(export_groups),
                    offline=offline,
                    uv_path=uv_path,
                    python_origin=service.python_origin,
                )
                service.written.extend(p for p in result.written if p not in service.written)
                service.diagnostics.extend(result.diagnostics)
                service.lock = result
                on_locked(service, result)
            if held and verify is not None:
                if not verify(service):
                    raise VerifyError(
                        f"{service.root.as_posix()}: --verify: a rewritten image failed (above); "
                        "every file of this run is restored"
                    )
                for change in service.changes:
                    if change.path in held and tx.write(change.path, change.after):
                        service.written.append(change.path)
