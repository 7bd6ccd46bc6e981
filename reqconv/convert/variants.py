"""Alternative requirement sets: which files are sets, their names, and what each set became.

Pure: roles, and which role files each Dockerfile installs (``docker.plan.installed_roles``), in;
sets out. A folder whose requirements conflict (two files pin one package apart) can hold several
images' sets: files that different Dockerfiles install alone. Each becomes a dependency group
declared apart from the others with ``[tool.uv] conflicts``, and what every set holds alike the
project's dependencies (``normalize``); docs/variants.md. Only a folder convert would otherwise
refuse is changed by this, so no other folder's output moves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from reqconv.frozen import frozen
from reqconv.model import Dependency, DependencySpec, Diagnostic, Role
from reqconv.requirements.discover import group_name, is_group_label, is_valid_name

__all__ = ["VARIANT_HINT", "VariantSet", "describe", "find_sets", "mark"]

VARIANT_HINT = (
    "if these files are alternative sets that different images install, name each set: "
    "--variant NAME=FILE, once per set (docs/variants.md)"
)

# Dockerfile.api, api.Dockerfile, api.dockerfile, Dockerfile-api, Dockerfile_api
_DOCKERFILE_LABEL_RE = re.compile(
    r"^(?:dockerfile[-_.](?P<after>.+)|(?P<before>.+?)[-_.]dockerfile)$", re.IGNORECASE
)


@frozen(kw_only=True)
class VariantSet:
    """One alternative set: its file's role, its group name, and why it is a set (``by``:
    ``installed alone by <Dockerfiles>``, ``named by --variant``, ...)."""

    role: Role
    name: str
    by: str


def _dockerfile_label(path: Path, root: Path) -> str | None:
    match = _DOCKERFILE_LABEL_RE.match(path.name)
    if match is not None:
        label = match["after"] or match["before"]
    elif path.parent != root and path.parent.name not in {"docker", ".", ""}:
        label = path.parent.name  # docker/api/Dockerfile
    else:
        return None
    name = group_name(label)
    return name if is_valid_name(name) else None


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def find_sets(
    root: Path,
    roles: Sequence[Role],
    installs: Mapping[tuple[Path, str | None], Sequence[Role]],
) -> list[VariantSet]:
    """The alternative sets among ``roles``: each production file (main, or a label that names no
    tool) that some image (a Dockerfile, or one stage of it: ``installs``) installs with no other
    such file; none unless there are two.

    A set is named by its file's group (``requirements_worker.txt`` -> ``worker``), else by the
    stage that installs it (``FROM python AS api``), else by its Dockerfile (``Dockerfile.backend``
    -> ``backend``), else ``main``."""
    candidates = [r for r in roles if r.group is None or not is_group_label(r.group)]
    alone: dict[Role, list[tuple[Path, str | None]]] = {}
    for unit, installed in installs.items():
        production = [r for r in installed if r in candidates]
        if len(production) == 1:
            alone.setdefault(production[0], []).append(unit)
    if len(alone) < 2:
        return []
    taken = {r.group for r in roles if r.group is not None and r not in alone}
    found: list[VariantSet] = []
    for role in candidates:
        units = alone.get(role)
        if units is None:
            continue
        name = role.group
        if name is None:
            labels = [_unit_label(unit, root) for unit in units]
            name = next((label for label in labels if label), "main")
        name = _unique(name, taken)
        taken.add(name)
        by = "installed alone by " + ", ".join(_unit_shown(unit, root) for unit in units)
        found.append(VariantSet(role=role, name=name, by=by))
    return found


def _unit_label(unit: tuple[Path, str | None], root: Path) -> str | None:
    path, stage = unit
    if stage is not None and not stage.startswith("stage "):
        name = group_name(stage)
        if is_valid_name(name):
            return name
    return _dockerfile_label(path, root)


def _unit_shown(unit: tuple[Path, str | None], root: Path) -> str:
    path, stage = unit
    shown = _shown(path, root)
    if stage is None:
        return shown
    return f"{shown} (stage {stage})" if not stage.startswith("stage ") else f"{shown} ({stage})"


def _shown(path: Path, root: Path) -> str:
    import os

    return Path(os.path.relpath(path, root)).as_posix()


def mark(roles: Sequence[Role], sets: Sequence[VariantSet]) -> tuple[Role, ...]:
    """``roles`` with each set's role made the group of its name, ``variant`` set."""
    by_role = {s.role: s.name for s in sets}
    return tuple(
        Role(path=r.path, group=by_role[r], compiled=r.compiled, variant=True)
        if r in by_role
        else r
        for r in roles
    )


def describe(root: Path, spec: DependencySpec, sets: Sequence[VariantSet]) -> list[Diagnostic]:
    """Per set, an info saying which model was chosen and why: what it holds of its own (the
    entries that differ from another set first), what it shares, and what installs it."""
    from reqconv.errors import Location

    own: dict[str, dict[str, str]] = {}
    sizes: dict[str, int] = {}  # entries and included groups
    for name, items in spec.groups:
        own[name] = {i.name: i.requirement for i in items if isinstance(i, Dependency)}
        sizes[name] = len(items)
    shared = len(spec.dependencies)
    names = [s.name for s in sets]
    diagnostics = []
    for item in sets:
        mine = own.get(item.name, {})
        differs = [
            text
            for package, text in mine.items()
            if any(package in own.get(other, {}) for other in names if other != item.name)
        ]
        others = ", ".join(repr(n) for n in names if n != item.name)
        if shared:
            model = (
                f"{shared} entries every set holds alike are [project] dependencies, and "
                f"{sizes.get(item.name, 0)} of its own (group {item.name!r}) are kept apart from {others} "
                f"by [tool.uv] conflicts"
            )
        else:
            model = (
                f"it shares no entry with {others}: all {sizes.get(item.name, 0)} of its entries are group "
                f"{item.name!r}, kept apart by [tool.uv] conflicts (one uv.lock still covers "
                "every image; a project of its own, in its own folder, is the other way)"
            )
        where = _shown(item.role.path, root)
        diagnostics.append(
            Diagnostic(
                code="variant-set",
                message=f"{where} is the alternative set {item.name!r} ({item.by}): {model}"
                + (f"; it differs in {', '.join(differs)}" if differs else "")
                + f"; its image syncs requirements-{item.name}.lock",
                location=Location(item.role.path),
                severity="info",
            )
        )
    return diagnostics
