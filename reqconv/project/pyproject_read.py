"""pyproject.toml text -> data: the reader, on tomllib alone (the editor is ``pyproject``).

``read`` gives the ``DependencySpec`` a pyproject holds; ``check_shape`` validates the tables
reqconv reads and edits, naming a dotted key path in a ``PyprojectError``. ``apply_keeps`` tells,
from the data alone, when ``pyproject.apply`` is sure to leave a file as it is, so that ``reqconv
check`` does not import the editor (tomlkit) for a pyproject that is already what ``convert``
writes. Kept apart from the editor as uv keeps ``pyproject.rs`` apart from ``pyproject_mut.rs``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, cast

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from reqconv.convert.specifiers import canonical
from reqconv.errors import PyprojectError
from reqconv.frozen import frozen
from reqconv.model import (
    Dependency,
    DependencySpec,
    GroupItem,
    IncludeGroup,
    Index,
    Source,
    UvSettings,
)
from reqconv.redact import redact_text

__all__ = [
    "DEV_LIKE_EXTRAS",
    "Data",
    "Parts",
    "Style",
    "apply_keeps",
    "check_shape",
    "detect_style",
    "fail",
    "has_project",
    "index_names",
    "load",
    "lookup",
    "names_in",
    "normalized_project_name",
    "project_name",
    "read",
    "requirement_at",
    "requires_python",
    "source_pairs",
    "style_of",
    "uv_package",
]

Style = Literal["groups", "extras"]

#: ``[project.optional-dependencies]`` keys that mean "this project keeps dev tools as extras".
DEV_LIKE_EXTRAS = frozenset(
    {
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "docs",
        "doc",
        "typing",
        "types",
        "mypy",
        "ci",
        "qa",
        "style",
        "format",
        "local",
    }
)

#: The name at the start of a requirement string (what the editor matches array items by).
NAME_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")

Data = Mapping[str, object]


def load(text: str, path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PyprojectError(f"{path}: invalid TOML: {e}") from e


def fail(path: Path, where: str, problem: str) -> PyprojectError:
    return PyprojectError(f"{path}: {where} {problem}")


def _table(data: Data, key: str, path: Path, where: str) -> Data | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(path, where, "is not a table")
    return cast(Data, value)


def _strings(value: object, path: Path, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(path, where, "is not an array")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise fail(path, f"{where}[{i}]", "is not a string")
    return cast(list[str], value)


def requirement_at(text: str, path: Path, where: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        # packaging's message repeats the requirement, URL and all.
        raise fail(path, where, f"is not a valid requirement: {redact_text(str(e))}") from e


@frozen
class Parts:
    """The tables ``apply`` and ``read`` care about, shape-checked."""

    project: Data | None
    groups: Data | None
    uv: Data | None
    tool: Data | None = None


def check_shape(data: Data, path: Path) -> Parts:
    project = _table(data, "project", path, "[project]")
    if project is not None:
        if "name" in project and not isinstance(project["name"], str):
            raise fail(path, "[project].name", "is not a string")
        _strings(project.get("dependencies"), path, "[project].dependencies")
        extras = _table(project, "optional-dependencies", path, "[project.optional-dependencies]")
        for name, value in (extras or {}).items():
            _strings(value, path, f"[project.optional-dependencies].{name}")
    groups = _table(data, "dependency-groups", path, "[dependency-groups]")
    for name, value in (groups or {}).items():
        where = f"[dependency-groups].{name}"
        if not isinstance(value, list):
            raise fail(path, where, "is not an array")
        for i, item in enumerate(value):
            if isinstance(item, dict):
                if not isinstance(item.get("include-group"), str):
                    raise fail(path, f"{where}[{i}]", "is not a string or {include-group = ...}")
            elif not isinstance(item, str):
                raise fail(path, f"{where}[{i}]", "is not a string or {include-group = ...}")
    tool = _table(data, "tool", path, "[tool]")
    uv = _table(tool, "uv", path, "[tool.uv]") if tool is not None else None
    if uv is not None:
        indexes = uv.get("index")
        if indexes is not None:
            if not isinstance(indexes, list):
                raise fail(path, "[tool.uv].index", "is not an array of tables")
            for i, index in enumerate(indexes):
                if not isinstance(index, dict) or not isinstance(index.get("url"), str):
                    raise fail(path, f"[tool.uv].index[{i}]", "is not a table with a url")
        sources = _table(uv, "sources", path, "[tool.uv.sources]")
        for name, value in (sources or {}).items():
            if not isinstance(value, dict):
                raise fail(path, f"[tool.uv.sources].{name}", "is not a table")
        for key in (
            "find-links",
            "constraint-dependencies",
            "allow-insecure-host",
            "no-binary-package",
            "no-build-package",
        ):
            _strings(uv.get(key), path, f"[tool.uv].{key}")
        for key in ("no-binary", "no-build", "no-index"):
            if key in uv and not isinstance(uv[key], bool):
                raise fail(path, f"[tool.uv].{key}", "is not a boolean")
    return Parts(project=project, groups=groups, uv=uv, tool=tool)


def style_of(parts: Parts) -> Style:
    if parts.groups is not None or parts.project is None:
        return "groups"
    extras = parts.project.get("optional-dependencies")
    if isinstance(extras, dict) and any(
        canonicalize_name(name) in DEV_LIKE_EXTRAS for name in extras
    ):
        return "extras"
    return "groups"


def detect_style(text: str) -> Style:
    """``extras`` when dev-like deps live in ``[project.optional-dependencies]`` and there is no
    ``[dependency-groups]``; else ``groups``."""
    return style_of(check_shape(load(text, Path("pyproject.toml")), Path("pyproject.toml")))


def requires_python(text: str) -> str | None:
    """``[project] requires-python``, if set."""
    project = load(text, Path("pyproject.toml")).get("project")
    value = project.get("requires-python") if isinstance(project, dict) else None
    return value if isinstance(value, str) else None


def project_name(text: str, *, path: Path) -> str | None:
    """``[project] name``, if set."""
    project = load(text, path).get("project")
    value = project.get("name") if isinstance(project, dict) else None
    return value if isinstance(value, str) else None


def has_project(text: str, *, path: Path) -> bool:
    """Whether ``text`` has a ``[project]`` table."""
    return isinstance(load(text, path).get("project"), dict)


def uv_package(text: str, *, path: Path) -> bool | None:
    """``[tool.uv] package``, if set."""
    if not text.strip():
        return None
    value = (check_shape(load(text, path), path).uv or {}).get("package")
    return value if isinstance(value, bool) else None


def index_names(text: str, *, path: Path) -> dict[str, str]:
    """``[[tool.uv.index]]`` of ``text``: URL (no trailing ``/``) -> name, the first of each URL."""
    uv = check_shape(load(text, path), path).uv or {}
    names: dict[str, str] = {}
    for index in cast(list[Data], uv.get("index", [])):
        name = index.get("name")
        if isinstance(name, str):
            names.setdefault(str(index["url"]).rstrip("/"), name)
    return names


def normalized_project_name(parts: Parts) -> NormalizedName | None:
    name = parts.project.get("name") if parts.project is not None else None
    return canonicalize_name(name) if isinstance(name, str) else None


def _read_items(
    values: Sequence[object], path: Path, where: str, self_name: str | None
) -> tuple[GroupItem, ...]:
    items: list[GroupItem] = []
    for i, value in enumerate(values):
        if isinstance(value, dict):
            items.append(IncludeGroup(group=str(canonicalize_name(value["include-group"]))))
            continue
        requirement = requirement_at(str(value), path, f"{where}[{i}]")
        name = canonicalize_name(requirement.name)
        if (
            self_name is not None
            and name == self_name
            and requirement.extras
            and not requirement.specifier
            and requirement.marker is None
        ):
            items += [
                IncludeGroup(group=str(canonicalize_name(e))) for e in sorted(requirement.extras)
            ]
            continue
        items.append(Dependency(name=name, requirement=canonical(requirement)))
    return tuple(items)


def _read_source(value: Data, base: Path) -> Source:
    def text(key: str) -> str | None:
        item = value.get(key)
        return item if isinstance(item, str) else None

    if "git" in value:
        return Source(
            kind="git",
            url=text("git") or "",
            tag=text("tag"),
            rev=text("rev"),
            branch=text("branch"),
            subdirectory=text("subdirectory"),
        )
    if "url" in value:
        return Source(kind="url", url=text("url") or "", subdirectory=text("subdirectory"))
    return Source(
        kind="path", path=text("path") or "", base=base, editable=value.get("editable") is True
    )


def _names(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(canonicalize_name(value)) for value in values)


def _read_uv(uv: Data | None, path: Path) -> UvSettings:
    if uv is None:
        return UvSettings()
    indexes = tuple(
        Index(
            name=str(index.get("name", "")),
            url=str(index["url"]),
            default=index.get("default") is True,
        )
        for index in cast(list[Data], uv.get("index", []))
    )
    sources = tuple(
        (canonicalize_name(name), _read_source(cast(Data, value), path.parent))
        for name, value in cast(Data, uv.get("sources", {})).items()
    )
    constraints = tuple(
        canonical(requirement_at(text, path, f"[tool.uv].constraint-dependencies[{i}]"))
        for i, text in enumerate(_strings(uv.get("constraint-dependencies"), path, ""))
    )
    no_binary: tuple[str, ...] = (":all:",) if uv.get("no-binary") is True else ()
    no_build: tuple[str, ...] = (":all:",) if uv.get("no-build") is True else ()
    return UvSettings(
        indexes=indexes,
        sources=sources,
        find_links=tuple(_strings(uv.get("find-links"), path, "")),
        constraints=constraints,
        prerelease="allow" if uv.get("prerelease") == "allow" else None,
        no_binary=no_binary or _names(_strings(uv.get("no-binary-package"), path, "")),
        no_build=no_build or _names(_strings(uv.get("no-build-package"), path, "")),
        allow_insecure_host=tuple(_strings(uv.get("allow-insecure-host"), path, "")),
        no_index=uv.get("no-index") is True,
    )


def read(text: str, *, path: Path, style: Style | None = None) -> DependencySpec:
    """The spec a pyproject holds (groups from the ``style`` table; ``None`` -> ``detect_style``)."""
    parts = check_shape(load(text, path), path)
    style = style or style_of(parts)
    project = parts.project or {}
    dependencies = tuple(
        item
        for item in _read_items(
            _strings(project.get("dependencies"), path, ""), path, "[project].dependencies", None
        )
        if isinstance(item, Dependency)
    )
    groups: list[tuple[str, tuple[GroupItem, ...]]] = []
    if style == "groups":
        for name, values in (parts.groups or {}).items():
            where = f"[dependency-groups].{name}"
            items = _read_items(cast(list[object], values), path, where, None)
            groups.append((str(canonicalize_name(name)), items))
    else:
        self_name = normalized_project_name(parts)
        extras = cast(Data, project.get("optional-dependencies", {}))
        for name, values in extras.items():
            where = f"[project.optional-dependencies].{name}"
            items = _read_items(cast(list[object], values), path, where, self_name)
            groups.append((str(canonicalize_name(name)), items))
    return DependencySpec(
        dependencies=dependencies, groups=tuple(groups), uv=_read_uv(parts.uv, path)
    )


# --------------------------------------------------------------------------------------------
# TOML text builders (uv's layout)


def names_in(values: object) -> set[str]:
    names = set()
    for value in values if isinstance(values, list) else []:
        if isinstance(value, str) and (match := NAME_RE.match(value)):
            names.add(str(canonicalize_name(match.group(1))))
        elif isinstance(value, dict) and isinstance(value.get("include-group"), str):
            names.add(":group:" + str(canonicalize_name(value["include-group"])))
    return names


def lookup(data: Data, *keys: str) -> object:
    item: object = data
    for key in keys:
        item = item.get(key) if isinstance(item, dict) else None
    return item


def source_pairs(source: Source) -> list[tuple[str, str | bool]]:
    """A ``[tool.uv.sources]`` entry as the editor writes it: its keys and values, in order."""
    pairs: list[tuple[str, str | bool]]
    if source.kind == "git":
        pairs = [("git", source.url)]
        pairs += [(k, v) for k, v in (("tag", source.tag), ("rev", source.rev)) if v]
        pairs += [("branch", source.branch)] if source.branch else []
    elif source.kind == "url":
        pairs = [("url", source.url)]
    else:
        pairs = [("path", source.path)]
    if source.subdirectory:
        pairs.append(("subdirectory", source.subdirectory))
    if source.kind == "path" and source.editable:
        pairs.append(("editable", True))
    return pairs


# --------------------------------------------------------------------------------------------
# Would the editor change anything? (told from the data; ``False`` means "ask the editor")


def _first_key(table: Data, group: str) -> str | None:
    """The key the editor merges ``group`` into: the first whose normalized name is ``group``."""
    return next((key for key in table if canonicalize_name(key) == group), None)


def _written(values: object, requirements: Sequence[str], includes: Sequence[str] = ()) -> bool:
    """Whether the editor's array merge leaves ``values`` as it is for ``requirements`` (and, in a
    ``[dependency-groups]`` array, the groups it ``includes``).

    Each wanted requirement must already be in the array in its canonical form, and every string
    of the array that names a wanted package must be one of those canonical forms: the merge then
    matches each want to that very item and rewrites nothing, appends nothing. An included group
    must be there as ``{include-group = ...}`` (the editor never rewrites one).
    """
    if not requirements and not includes:
        return True
    if not isinstance(values, list):
        return False
    wanted: set[str] = set()
    keys: set[tuple[str, str | None]] = set()
    for text in requirements:
        requirement = Requirement(text)
        name = str(canonicalize_name(requirement.name))
        marker = str(requirement.marker) if requirement.marker is not None else None
        if (name, marker) in keys:
            return False  # two wants on one key: the editor's own choice between them
        keys.add((name, marker))
        wanted.add(canonical(requirement))
    names = {name for name, _ in keys}
    present: set[str] = set()
    groups: set[str] = set()
    for value in values:
        if isinstance(value, dict):
            group = value.get("include-group")
            if isinstance(group, str):
                groups.add(str(canonicalize_name(group)))
            continue
        if not isinstance(value, str):
            continue
        match = NAME_RE.match(value)
        if match is None or str(canonicalize_name(match.group(1))) not in names:
            continue
        if value not in wanted:
            return False
        present.add(value)
    return present == wanted and set(includes) <= groups


def _names_itself(values: object, self_name: str) -> bool:
    """Whether an extra's array has a string that names the project (``svc[dev]``)."""
    for value in values if isinstance(values, list) else []:
        match = NAME_RE.match(value) if isinstance(value, str) else None
        if match is not None and canonicalize_name(match.group(1)) == self_name:
            return True
    return False


def _sources_written(uv: Data | None, sources: Sequence[tuple[NormalizedName, Source]]) -> bool:
    """Whether every source is in ``[tool.uv.sources]`` as the editor would write it (its merge
    then leaves each entry as it is)."""
    table = uv.get("sources") if uv is not None else None
    if not isinstance(table, dict):
        return False
    keys = {str(canonicalize_name(key)): key for key in table}  # the last of a name, as the editor
    for name, source in sources:
        current = table.get(keys[name]) if name in keys else None
        if not isinstance(current, dict) or current != dict(source_pairs(source)):
            return False
    return True


def apply_keeps(text: str, spec: DependencySpec, *, path: Path, style: Style | None = None) -> bool:
    """True when ``pyproject.apply(text, spec, ...)`` is sure to return ``text`` as it is.

    Told from the data alone (tomllib): every dependency of ``spec`` is already in its table in
    the canonical form the editor writes, every source in ``[tool.uv.sources]`` as it writes it,
    every included group in its ``[dependency-groups]`` array, and ``spec`` asks for nothing else
    the editor manages (other uv settings, alternative sets, an extra that includes another).
    ``False`` means "not sure": the caller runs the editor. ``reqconv check`` needs no tomlkit
    when this holds; the test suite runs the editor beside every ``True`` it gives and requires
    the same text.
    """
    if spec.uv != UvSettings(sources=spec.uv.sources) or spec.variants:
        return False
    parts = check_shape(load(text, path), path)
    project = parts.project or {}
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and any(
        key in dynamic for key in ("dependencies", "optional-dependencies")
    ):
        return False  # the editor refuses; let it say why
    if spec.dependencies and not _written(
        project.get("dependencies"), [d.requirement for d in spec.dependencies]
    ):
        return False
    if spec.uv.sources and not _sources_written(parts.uv, spec.uv.sources):
        return False
    if not spec.groups:
        return True
    chosen = style or style_of(parts)
    table = parts.groups if chosen == "groups" else project.get("optional-dependencies")
    if not isinstance(table, dict):
        return False
    self_name = normalized_project_name(parts) if chosen == "extras" else None
    for group, items in spec.groups:
        key = _first_key(table, group)
        if self_name is not None and _names_itself(table[key] if key else None, self_name):
            return False  # the editor parses and matches these by its own rule
        includes = [
            str(canonicalize_name(item.group)) for item in items if isinstance(item, IncludeGroup)
        ]
        if key is None or (includes and chosen != "groups"):
            return False  # an extra names the project itself: the editor's own rule
        requirements = [item.requirement for item in items if isinstance(item, Dependency)]
        if not _written(table[key], requirements, includes):
            return False
    return True
