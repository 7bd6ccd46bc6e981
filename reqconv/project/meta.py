"""What pyproject.toml's ``[project]`` gets when convert writes it: its name, ``requires-python``
(and where that came from: ``pythons``), and whether the project is a package uv builds and
installs, because a requirements line installed the folder itself (``-e .``: ``self_install``,
which reads the folder's own build files through ``selfproject``). Reads; never writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reqconv.errors import InputError, InputErrors, Location
from reqconv.model import Conversion, Diagnostic, ProjectMeta
from reqconv.redact import redact_text

if TYPE_CHECKING:
    from reqconv.docker.builds import Build
    from reqconv.project.pythons import PythonChoice

__all__ = ["itself_text", "project_meta", "self_install"]


def _existing_project(text: str, path: Path) -> tuple[str | None, str | None]:
    """``(name, requires-python)`` of an existing pyproject's ``[project]``."""
    from reqconv.project import pyproject_read

    if not text.strip():
        return None, None
    return pyproject_read.project_name(text, path=path), pyproject_read.requires_python(text)


def project_meta(
    root: Path,
    *,
    dockerfiles: Sequence[Path] = (),
    builds: Sequence[Build] = (),
    compiled: Sequence[Path] = (),
    dependencies: frozenset[str] = frozenset(),
    name: str | None = None,
    python: str | None = None,
    existing_text: str = "",
) -> tuple[ProjectMeta, PythonChoice, list[Diagnostic]]:
    """What the pyproject gets: its name (``name``: ``--name``; the existing one, or the folder's,
    made valid and apart from the names in ``dependencies``) and ``requires-python`` (``python``:
    ``--python X.Y``) with where it came from (``pythons.choose``)."""
    from packaging.utils import canonicalize_name

    from reqconv.docker.builds import repository_top
    from reqconv.project import pythons
    from reqconv.requirements import discover

    pyproject_path = root / "pyproject.toml"
    name_option, python_option = name, python
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
        builds=builds,
        compiled=compiled,
        option=python_option,
        existing=existing_python,
        pyproject_text=existing_text,
        top=repository_top(root),
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
    decided = "--python" if choice.how == "option" else str(choice.location)
    for source in choice.excluded():  # --python or the existing value decided above it
        diagnostics.append(
            Diagnostic(
                code="python-excluded",
                message=f"this says the service runs Python {source.version} ({source.detail}), "
                f'which requires-python = "{choice.requires_python}" ({decided}) excludes: a lock '
                "for it may not install there (and uv refuses a .python-version it excludes); "
                "change one of the two so that they agree",
                location=source.location,
            )
        )
    meta = ProjectMeta(name=name, requires_python=choice.requires_python, package=False)
    return meta, choice, diagnostics


_ITSELF_RE = re.compile(r"""^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") installs the project itself""")


def itself_text(diagnostic: Diagnostic) -> str:
    """The line of a ``project-itself`` info (normalize and names both start it with its repr)."""
    import ast

    match = _ITSELF_RE.match(diagnostic.message)
    if match is None:
        return "-e ."
    value = ast.literal_eval(match.group(1))
    return value if isinstance(value, str) else "-e ."


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

    from reqconv.project import pyproject_read, selfproject
    from reqconv.requirements import discover

    lines = [d for d in conversion.diagnostics if d.code == "project-itself"]
    if not lines:
        return meta, []
    said = {d.location: repr(itself_text(d)) for d in lines}
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
    has_project = bool(pyproject_text.strip()) and pyproject_read.has_project(
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
                    message = f"{redact_text(item.requirement)!r}: {redact_text(str(e))}"
                    errors.append(InputError(message, item.origin))
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
    elif pyproject_read.uv_package(pyproject_text, path=pyproject_path) is False:
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
