"""pyproject.toml text <-> ``DependencySpec``: a format-preserving editor and its inverse reader.

The only importer of tomlkit; takes ``str``, returns ``str``, never opens a file. ``apply`` edits the
dependency tables (PEP 621 ``[project]``, PEP 735 ``[dependency-groups]``) and the ``[tool.uv]`` keys
it manages (https://docs.astral.sh/uv/reference/settings/); every other byte stays as it was.
``read`` uses tomllib. Malformed input is a ``PyprojectError`` naming a dotted key path.

Edits: entries are matched by (normalized name, marker) and updated in place (their position and
comment stay; an entry already equal up to normalization is not rewritten); new entries are
appended; entries absent from the spec are kept. Indexes match by URL, sources by name. New arrays
are multi-line with a trailing comma and a 4-space indent, as uv writes them. An existing default
index is never demoted: a new index is then written without ``default = true``.

Every result is checked before it is returned: it parses with tomllib, every key ``apply`` does not
manage is unchanged, and what was asked is where it belongs; otherwise a ``PyprojectError`` says
which layout to use (tomlkit misplaces sub-tables of dotted keys such as ``[tool] uv.x = 1``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import cast

import tomlkit
import tomlkit.exceptions
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from tomlkit.container import Container
from tomlkit.items import AoT, Array, Comment, InlineTable, Item, Table, Whitespace

from reqconv.convert.specifiers import canonical
from reqconv.errors import PyprojectError
from reqconv.frozen import frozen
from reqconv.model import (
    Dependency,
    DependencySpec,
    IncludeGroup,
    Index,
    ProjectMeta,
    Source,
    UvSettings,
)
from reqconv.project.pyproject_read import (
    DEV_LIKE_EXTRAS,
    Data,
    Style,
    detect_style,
    has_project,
    index_names,
    project_name,
    read,
    requires_python,
    uv_package,
)
from reqconv.project.pyproject_read import NAME_RE as _NAME_RE
from reqconv.project.pyproject_read import Parts as _Parts
from reqconv.project.pyproject_read import check_shape as _check
from reqconv.project.pyproject_read import fail as _fail
from reqconv.project.pyproject_read import load as _load
from reqconv.project.pyproject_read import lookup as _lookup
from reqconv.project.pyproject_read import names_in as _names_in
from reqconv.project.pyproject_read import normalized_project_name as _project_name
from reqconv.project.pyproject_read import requirement_at as _requirement
from reqconv.project.pyproject_read import source_pairs as _source_pairs
from reqconv.project.pyproject_read import style_of as _style

__all__ = [
    "DEV_LIKE_EXTRAS",
    "Data",
    "Listed",
    "Style",
    "add_constraints",
    "add_requirement",
    "apply",
    "detect_style",
    "ensure_project",
    "group_style",
    "has_project",
    "index_names",
    "listed",
    "new_document",
    "project_name",
    "read",
    "remove_requirement",
    "requires_python",
    "set_package",
    "set_requires_python",
    "uv_package",
]


# A blank line belongs here (resolved after dumping; NUL cannot occur in valid TOML).
_SEP = "\x00reqconv-sep\x00"
_SEP_RE = re.compile(r"\n*(?:" + re.escape(_SEP) + r"\n*)+")
_INDENT = "    "


def set_requires_python(text: str, value: str, *, path: Path) -> str:
    """``text`` with ``[project] requires-python = value`` (replaced, or added to the table)."""
    project = _load(text, path).get("project")
    if not isinstance(project, dict) or project.get("requires-python") == value:
        return text
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as e:  # pragma: no cover - tomllib accepted it above
        raise PyprojectError(f"{path}: invalid TOML: {e}") from e
    table = doc["project"]
    assert isinstance(table, Table)
    table["requires-python"] = value
    return tomlkit.dumps(doc)


def set_package(text: str, *, path: Path) -> str:
    """``text`` with ``[tool.uv] package = true`` (uv then builds and installs the project)."""
    uv = _check(_load(text, path), path).uv or {}
    if uv.get("package") is True:
        return text
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as e:  # pragma: no cover - tomllib accepted it above
        raise PyprojectError(f"{path}: invalid TOML: {e}") from e
    tool = doc.get("tool")
    if tool is None or "uv" not in tool:
        # A new table at the end, as new_document writes it.
        return (
            text
            + ("" if text.endswith("\n") or not text else "\n")
            + "\n[tool.uv]\npackage = true\n"
        )
    cast(Table, tool["uv"])["package"] = True
    return tomlkit.dumps(doc)


def _string(text: str) -> str:
    """A TOML string: literal when it holds ``"`` (PEP 508 markers) and nothing to escape."""
    if '"' in text and "'" not in text and text.isprintable():
        return f"'{text}'"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(
        ch if ch.isprintable() else f"\\U{ord(ch):08x}" if ord(ch) > 0xFFFF else f"\\u{ord(ch):04x}"
        for ch in escaped
    )
    return f'"{escaped}"'


def _value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _string(value)


def _inline(pairs: Iterable[tuple[str, str | bool]]) -> str:
    return "{ " + ", ".join(f"{key} = {_value(value)}" for key, value in pairs) + " }"


def _array_text(values: Sequence[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"{_INDENT}{value},\n" for value in values) + "]"


# Arrays reqconv writes whole are spliced into the dumped text: tomlkit takes ~0.25 s to build or
# parse a 2,000-item array, a string join takes nothing. A token stands in for each until then.
_splices: ContextVar[dict[str, str | Callable[[], str]]] = ContextVar("_splices")


# New tables placed by a splice rather than in the document (see ``_dependency_groups``).
_side_tables: ContextVar[dict[str, Table]] = ContextVar("_side_tables")


def _put_array(container: Container | Table | InlineTable, key: str, text: str) -> None:
    """Set ``key`` to the TOML array ``text`` (spliced in by ``_edit``); keeps the key's comment."""
    splices = _splices.get()
    token = f"reqconv-splice-{os.urandom(16).hex()}"
    splices[f'"{token}"'] = text
    container[key] = token


def _splice(text: str) -> str:
    for token, value in _splices.get().items():
        if callable(value):
            # A table rendered on its own, in place of the comment line that holds its token.
            line = re.search(rf"[ \t]*# {re.escape(token)}[^\n]*\n?", text)
            if line is not None:
                text = text[: line.start()] + value() + text[line.end() :]
        else:
            text = text.replace(token, value, 1)
    return text


def _string_item(text: str) -> Item:
    """The tomlkit item ``_string(text)`` renders (without a parse)."""
    literal = '"' in text and "'" not in text and text.isprintable()
    return tomlkit.string(text, literal=literal)


def _parse_value(text: str) -> Item:
    return cast(Item, tomlkit.parse(f"x = {text}\n")["x"])


def _parse_table(header: str, body: str) -> Table:
    doc = tomlkit.parse(f"{header}\n{body}")
    item: object = doc
    for key in header.strip("[]").split("."):
        item = cast(Container, item)[key]
    table = cast(Table, item)
    _mark(table)
    return table


def _mark(table: Table) -> None:
    """Ask for a blank line before and after a new table (see ``_resolve``)."""
    table.trivia.indent = _SEP
    table.append(None, Whitespace(_SEP))


def _resolve(text: str) -> str:
    def blank(match: re.Match[str]) -> str:
        if match.start() == 0:
            return ""
        if match.end() == len(text):
            return "\n"
        return "\n" * max(match.group(0).count("\n"), 2)

    return _SEP_RE.sub(blank, text)


def new_document(meta: ProjectMeta) -> str:
    """A minimal pyproject: ``[project]`` and, for an application, ``[tool.uv] package = false``."""
    lines = ["[project]", f"name = {_string(meta.name)}"]
    if "version" not in meta.dynamic:
        lines.append(f"version = {_string(meta.version)}")
    if meta.dynamic:
        lines.append(f"dynamic = [{', '.join(_string(key) for key in meta.dynamic)}]")
    if meta.requires_python:
        lines.append(f"requires-python = {_string(meta.requires_python)}")
    lines.append("dependencies = []")
    if meta.package is not None:
        lines += ["", "[tool.uv]", f"package = {'true' if meta.package else 'false'}"]
    return "\n".join(lines) + "\n"


def ensure_project(text: str, meta: ProjectMeta, *, path: Path) -> str:
    """``text`` with a ``[project]`` table that has a name and a version (PEP 621 requires both).

    An existing pyproject that holds only tool tables gets the table of ``new_document`` (without its
    ``[tool.uv]`` part) at the top; a ``[project]`` missing ``name`` or ``version`` gets them. A
    ``version`` listed in ``dynamic`` is left to the build backend.
    """
    data = _load(text, path)
    project = data.get("project")
    if project is None:
        head = new_document(
            ProjectMeta(
                name=meta.name,
                version=meta.version,
                requires_python=meta.requires_python,
                package=None,
                dynamic=meta.dynamic,
            )
        )
        return head + ("\n" if text.strip() else "") + text
    if not isinstance(project, dict):
        raise _fail(path, "[project]", "is not a table")
    dynamic = project.get("dynamic", [])
    missing = [
        key
        for key in ("name", "version")
        if key not in project and not (isinstance(dynamic, list) and key in dynamic)
    ]
    if not missing:
        return text
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as e:  # pragma: no cover - tomllib accepted it above
        raise PyprojectError(f"{path}: invalid TOML: {e}") from e
    table = doc["project"]
    for key in missing:
        table[key] = meta.name if key == "name" else meta.version
    return tomlkit.dumps(doc)


# --------------------------------------------------------------------------------------------
# Editing (tomlkit)


@frozen
class _Want:
    """An array item to have: its match keys, its canonical text and its TOML text."""

    keys: tuple[tuple[str, str | None], ...]
    canonical: str
    toml: str


def _want_requirement(text: str) -> _Want:
    requirement = Requirement(text)
    marker = str(requirement.marker) if requirement.marker is not None else None
    written = canonical(requirement)
    return _Want(((canonicalize_name(requirement.name), marker),), written, _string(written))


def _want_group(group: str) -> _Want:
    return _Want(((":group:", group),), group, _inline([("include-group", group)]))


def _want_self(project: str, group: str) -> _Want:
    text = f"{project}[{group}]"
    return _Want(((":group:", group),), text, _string(text))


def _existing_keys(
    value: object, self_name: str | None, wanted_names: set[str], path: Path, where: str
) -> tuple[tuple[tuple[str, str | None], ...], str | None]:
    """Match keys of an existing array item and its canonical text (``None``: not ours)."""
    if isinstance(value, Mapping):
        group = value.get("include-group")
        if isinstance(group, str):
            name = str(canonicalize_name(group))
            return ((":group:", name),), name
        return (), None
    if not isinstance(value, str):
        return (), None
    match = _NAME_RE.match(value)
    name = str(canonicalize_name(match.group(1))) if match else ""
    if name not in wanted_names and name != self_name:
        return (), None
    requirement = _requirement(value, path, where)
    if self_name is not None and name == self_name and requirement.extras:
        keys = tuple((":group:", str(canonicalize_name(e))) for e in sorted(requirement.extras))
        return keys, canonical(requirement)
    marker = str(requirement.marker) if requirement.marker is not None else None
    return ((name, marker),), canonical(requirement)


def _merge_array(
    container: Container | Table | InlineTable,
    key: str,
    wants: Sequence[_Want],
    path: Path,
    where: str,
    *,
    self_name: str | None = None,
    create: bool = True,
) -> None:
    """Update matching items in place, append the rest; never remove an item."""
    existing = container.get(key)
    if existing is None:
        if wants and create:
            _put_array(container, key, _array_text([w.toml for w in wants]))
        return
    array = cast(Array, existing)
    if len(array) == 0 and "#" not in array.as_string():
        if wants:
            _put_array(container, key, _array_text([w.toml for w in wants]))
        return
    by_key = {k: want for want in wants for k in want.keys}
    by_text = {want.canonical: want for want in wants}
    wanted_names = {k[0] for want in wants for k in want.keys}
    done: set[str] = set()
    text: str | None
    for i, value in enumerate(array):
        if isinstance(value, str) and value in by_text:
            # Already written in canonical form: the common case on a second run.
            keys, text = by_text[value].keys, value
        else:
            keys, text = _existing_keys(value, self_name, wanted_names, path, f"{where}[{i}]")
        want = next((by_key[k] for k in keys if k in by_key), None)
        if want is None or want.canonical in done:
            continue
        done.add(want.canonical)
        if text != want.canonical and not want.keys[0][0].startswith(":"):
            array[i] = _string_item(_with_extras_of(value, want.canonical))
    new = [want.toml for want in wants if want.canonical not in done]
    if new:
        _append(container, key, array, new)


def _with_extras_of(existing: object, wanted: str) -> str:
    """``wanted`` keeping the extras the existing entry named: a requirements file that pins a
    package without them (an export, where each extra's dependencies are listed on their own
    lines) never asked to drop them (CTFd: ``PyMySQL[rsa]==1.1.1`` beside an exported
    ``pymysql==1.1.1`` lost ``[rsa]`` from pyproject.toml and uv.lock)."""
    if not isinstance(existing, str):
        return wanted
    try:
        extras = Requirement(existing).extras
        requirement = Requirement(wanted)
    except InvalidRequirement:
        return wanted
    if extras <= requirement.extras:
        return wanted
    requirement.extras = requirement.extras | extras
    return canonical(requirement)


_ITEM_INDENT_RE = re.compile(r"\n([ \t]*)[^\s\]#]")
_COMMENT_INDENT_RE = re.compile(r"\n([ \t]+)#")  # an array that holds only comment lines
_CLOSED_RE = re.compile(r"\n[ \t]*\]\Z")


def _append(
    container: Container | Table | InlineTable, key: str, array: Array, items: Sequence[str]
) -> None:
    """Append TOML values to a non-empty array, one per line, in the array's own indent."""
    text = array.as_string()
    if "\n" not in text:
        # A one-line array grows into uv's multi-line layout (it has no comments to lose).
        old = [cast(Item, item).as_string() for item in array]
        _put_array(container, key, _array_text([*old, *items]))
        return
    match = _ITEM_INDENT_RE.search(text) or _COMMENT_INDENT_RE.search(text)
    indent = match.group(1) if match else _INDENT
    # tomlkit places the comma before a trailing comment; then the rest goes in as text at once
    # (item by item costs ~0.2 ms each, too slow for thousands).
    array.add_line(_parse_value(items[0]), indent=indent)
    text = array.as_string()
    closed = _CLOSED_RE.search(text) is not None
    if closed and len(items) == 1:
        return
    if not closed:  # ``"b"]``: the closing bracket gets its own line
        text = text[:-1].rstrip(" \t") + "\n]"
    rest = "".join(f"{indent}{item},\n" for item in items[1:])
    _put_array(container, key, text[:-1] + rest + "]")


def _merge_strings(container: Container | Table, key: str, values: Sequence[str]) -> None:
    existing = container.get(key)
    have = set(existing.unwrap()) if existing is not None else set()
    wants = [
        _Want(((value, None),), value, _string(value)) for value in values if value not in have
    ]
    if not wants:
        return
    if existing is None or (len(existing) == 0 and "#" not in existing.as_string()):
        _put_array(container, key, _array_text([w.toml for w in wants]))
        return
    _append(container, key, cast(Array, existing), [w.toml for w in wants])


def _set(container: Container | Table, key: str, value: str | bool) -> None:
    if container.get(key) != value:
        container[key] = value


def _ensure_table(parent: Container | Table, key: str, header: str) -> Table:
    existing = parent.get(key)
    if existing is not None:
        return cast(Table, existing)
    table = _parse_table(header, "")
    parent[key] = table
    return table


def _ensure_uv(doc: tomlkit.TOMLDocument, *, header: bool = True) -> Table:
    """``[tool.uv]``; a new one without ``header`` holds only sub-tables (``[tool.uv.sources]``,
    ``[[tool.uv.index]]``), so no empty ``[tool.uv]`` line is written above them."""
    tool = doc.get("tool")
    if tool is None:
        table = tomlkit.table(is_super_table=True)
        table["uv"] = _parse_table("[tool.uv]", "") if header else tomlkit.table(True)
        doc["tool"] = table
        return cast(Table, doc["tool"]["uv"])
    if header or "uv" in tool:
        return _ensure_table(cast(Table, tool), "uv", "[tool.uv]")
    tool["uv"] = tomlkit.table(is_super_table=True)
    return cast(Table, tool["uv"])


def _uv_empty(uv: UvSettings) -> bool:
    return uv == UvSettings()


def _merge_uv(
    doc: tomlkit.TOMLDocument, settings: UvSettings, path: Path, kind: str = "group"
) -> None:
    if _uv_empty(settings):
        return
    only_tables = settings == UvSettings(indexes=settings.indexes, sources=settings.sources)
    uv = _ensure_uv(doc, header=not only_tables)
    if settings.indexes:
        _merge_indexes(uv, settings.indexes)
    if settings.sources:
        _merge_sources(uv, settings.sources)
    _merge_strings(uv, "find-links", settings.find_links)
    _merge_array(
        uv,
        "constraint-dependencies",
        [_want_requirement(c) for c in settings.constraints],
        path,
        "[tool.uv].constraint-dependencies",
    )
    if settings.prerelease is not None:
        _set(uv, "prerelease", settings.prerelease)
    for names, flag in ((settings.no_binary, "no-binary"), (settings.no_build, "no-build")):
        if names == (":all:",):
            _set(uv, flag, True)
        elif names:
            packages = [str(canonicalize_name(n)) for n in names]
            _merge_strings(uv, f"{flag}-package", packages)
    _merge_strings(uv, "allow-insecure-host", settings.allow_insecure_host)
    if settings.no_index:
        _set(uv, "no-index", True)
    if settings.config_settings_package:
        _merge_config_settings(uv, settings.config_settings_package)
    if settings.conflicts:
        _merge_conflicts(uv, settings.conflicts, kind)


def _conflict_set(value: object) -> frozenset[tuple[str, str]]:
    """One ``[tool.uv] conflicts`` entry as ``{(kind, name)}`` (``kind`` is group or extra)."""
    found: set[tuple[str, str]] = set()
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict):
            for kind in ("group", "extra"):
                name = item.get(kind)
                if isinstance(name, str):
                    found.add((kind, str(canonicalize_name(name))))
    return frozenset(found)


def _merge_conflicts(uv: Table, conflicts: Sequence[tuple[str, ...]], kind: str) -> None:
    """Each set of ``conflicts`` in ``[tool.uv] conflicts`` (as ``kind``), unless already there."""
    existing = uv.get("conflicts")
    have = {_conflict_set(item) for item in (existing.unwrap() if existing is not None else [])}
    wanted = [names for names in conflicts if frozenset((kind, n) for n in names) not in have]
    if not wanted:
        return
    rows = ["[" + ", ".join(_inline([(kind, name)]) for name in names) + "]" for names in wanted]
    if existing is None:
        _put_array(uv, "conflicts", _array_text(rows))
        return
    for row in rows:
        cast(Array, existing).append(_parse_value(row))


def _merge_variants(doc: tomlkit.TOMLDocument, variants: Sequence[tuple[str, str]]) -> None:
    """``[tool.reqconv] variants = { NAME = "FILE" }``: the alternative sets, for later runs."""
    if not variants:
        return
    value = _inline([(_key(name), file) for name, file in variants])
    tool = doc.get("tool")
    if tool is None:
        doc["tool"] = tomlkit.table(is_super_table=True)
        tool = doc["tool"]
    reqconv = cast(Table, tool).get("reqconv")
    if reqconv is None:
        cast(Table, tool)["reqconv"] = _parse_table("[tool.reqconv]", f"variants = {value}\n")
        return
    current = reqconv.get("variants")
    if current is None or current.unwrap() != dict(variants):
        reqconv["variants"] = _parse_value(value)


_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY_RE.fullmatch(key) else _string(key)


def _merge_config_settings(
    uv: Table,
    wanted: Sequence[tuple[NormalizedName, Sequence[tuple[str, str | tuple[str, ...]]]]],
) -> None:
    """``config-settings-package = { pkg = { KEY = "VALUE" } }``: existing packages and keys
    kept, ours set over them."""
    existing = uv.get("config-settings-package")
    merged: dict[str, dict[str, object]] = {}
    if isinstance(existing, (Table, InlineTable)):
        for name, settings in existing.unwrap().items():
            merged[str(name)] = dict(settings) if isinstance(settings, dict) else settings
    keys = {str(canonicalize_name(k)): k for k in merged}
    for name, settings in wanted:
        table = merged.setdefault(keys.get(name, name), {})
        for key, value in settings:
            table[key] = list(value) if isinstance(value, tuple) else value
    if isinstance(existing, (Table, InlineTable)) and existing.unwrap() == merged:
        return

    def value_text(value: object) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(_string(str(v)) for v in value) + "]"
        return _string(str(value))

    text = (
        "{ "
        + ", ".join(
            f"{_key(name)} = {{ "
            + ", ".join(f"{_key(k)} = {value_text(v)}" for k, v in settings.items())
            + " }"
            for name, settings in merged.items()
        )
        + " }"
    )
    uv["config-settings-package"] = _parse_value(text)


def _index_pairs(index: Index, name: str, default: bool) -> list[tuple[str, str | bool]]:
    pairs: list[tuple[str, str | bool]] = [("name", name), ("url", index.url)]
    return [*pairs, ("default", True)] if default else pairs


def _merge_indexes(uv: Table, indexes: Sequence[Index]) -> None:
    existing = uv.get("index")
    tables: list[Table | InlineTable] = list(existing) if existing is not None else []
    by_url = {str(t.get("url", "")).rstrip("/"): t for t in tables}
    names = {str(t.get("name", "")) for t in tables}
    has_default = any(t.get("default") is True for t in tables)
    new: list[list[tuple[str, str | bool]]] = []
    for index in indexes:
        url = index.url.rstrip("/")
        table = by_url.get(url)
        if table is not None:
            if index.default and not has_default and table.get("default") is not True:
                table["default"] = True
                has_default = True
            continue
        name = index.name
        number = 2
        while name in names:
            name, number = f"{index.name}-{number}", number + 1
        names.add(name)
        default = index.default and not has_default
        has_default = has_default or default
        new.append(_index_pairs(index, name, default))
        by_url[url] = tomlkit.inline_table()  # a placeholder: the same URL twice is one index
    if not new:
        return
    if existing is not None and not isinstance(existing, AoT):
        # ``index = [{ ... }]``: keep the user's inline form.
        _append(uv, "index", cast(Array, existing), [_inline(pairs) for pairs in new])
        return
    aot = existing if existing is not None else AoT([])
    for pairs in new:
        body = "".join(f"{key} = {_value(value)}\n" for key, value in pairs)
        parsed = tomlkit.parse(f"[[tool.uv.index]]\n{body}")
        table = cast(Table, parsed["tool"]["uv"]["index"][0])
        _mark(table)
        aot.append(table)
    if existing is None:
        uv["index"] = aot


def _merge_sources(uv: Table, sources: Sequence[tuple[NormalizedName, Source]]) -> None:
    existing = uv.get("sources")
    if existing is None:
        body = "".join(f"{name} = {_inline(_source_pairs(s))}\n" for name, s in sources)
        uv["sources"] = _parse_table("[tool.uv.sources]", body)
        return
    table = cast(Table, existing)
    keys = {str(canonicalize_name(k)): k for k in table}
    for name, source in sources:
        pairs = _source_pairs(source)
        key = keys.get(name)
        if key is not None:
            current = table[key]
            if isinstance(current, Mapping) and dict(current.items()) == dict(pairs):
                continue
            table[key] = _parse_value(_inline(pairs))
        else:
            table[name] = _parse_value(_inline(pairs))


def _group_key(table: Table | Container, group: str) -> str:
    for key in table:
        if canonicalize_name(key) == group:
            return key
    return group


def _dependency_groups(doc: tomlkit.TOMLDocument) -> Table:
    existing = doc.get("dependency-groups")
    if existing is None:
        existing = _side_tables.get().get("dependency-groups")
    if existing is not None:
        return cast(Table, existing)
    table = _parse_table("[dependency-groups]", "")
    if not _only_tables_after(doc, "project"):
        doc["dependency-groups"] = table
        return cast(Table, doc["dependency-groups"])
    # Right after [project]. tomlkit has no public way to insert a table at a position (its
    # Container._insert_after is private and went away in 0.15.3): the new table lives in a
    # document of its own, and a comment line at the end of [project] marks where ``_edit``
    # splices its text in, once every group has been merged into it.
    side = tomlkit.document()
    side["dependency-groups"] = table
    token = f"reqconv-splice-{os.urandom(16).hex()}"
    _splices.get()[token] = side.as_string
    cast(Table, doc["project"]).add(tomlkit.comment(token))
    _side_tables.get()["dependency-groups"] = table
    return cast(Table, side["dependency-groups"])


def _only_tables_after(doc: tomlkit.TOMLDocument, key: str) -> bool:
    """True when ``[key]`` is a table header followed by nothing but tables (a new table may go
    right after it); top-level ``key = value`` lines after it would move into the new table."""
    body = doc.body
    index = next((i for i, (k, _) in enumerate(body) if k is not None and k.key == key), None)
    if index is None:
        return False
    found, item = body[index]
    assert found is not None
    if not isinstance(item, Table) or item.is_super_table() or found.is_dotted():
        return False
    # Comment lines at the end of [key] stand above the next table and belong to it: a table
    # inserted after [key] would come between them.
    tail = [v for k, v in item.value.body if not isinstance(v, Whitespace)]
    if tail and isinstance(tail[-1], Comment):
        return False
    return all(
        k is None or (isinstance(v, Table | AoT) and not k.is_dotted())
        for k, v in body[index + 1 :]
    )


def _merge_groups(
    doc: tomlkit.TOMLDocument, spec: DependencySpec, style: Style, parts: _Parts, path: Path
) -> None:
    if not spec.groups:
        return
    if style == "groups":
        groups_table: Table = _dependency_groups(doc)
        self_name: str | None = None
        where = "[dependency-groups]"
    else:
        _refuse_dynamic(parts, "optional-dependencies", path)
        self_name = _project_name(parts)
        if self_name is None and any(
            isinstance(item, IncludeGroup) for _, items in spec.groups for item in items
        ):
            raise PyprojectError(
                f"{path}: [project].name is missing; extras cannot refer to the project itself"
            )
        project = _ensure_table(doc, "project", "[project]")
        groups_table = _ensure_table(
            project, "optional-dependencies", "[project.optional-dependencies]"
        )
        where = "[project.optional-dependencies]"
    for group, items in spec.groups:
        wants = []
        for item in items:
            if isinstance(item, IncludeGroup):
                included = str(canonicalize_name(item.group))
                wants.append(
                    _want_group(included) if self_name is None else _want_self(self_name, included)
                )
            else:
                wants.append(_want_requirement(item.requirement))
        key = _group_key(groups_table, group)
        if key not in groups_table and not wants:
            groups_table[key] = _parse_value("[]")
            continue
        _merge_array(groups_table, key, wants, path, f"{where}.{key}", self_name=self_name)


_MANAGED_UV = frozenset(
    {
        "index",
        "sources",
        "find-links",
        "constraint-dependencies",
        "prerelease",
        "no-binary",
        "no-binary-package",
        "no-build",
        "no-build-package",
        "allow-insecure-host",
        "no-index",
        "config-settings-package",
        "conflicts",
    }
)
_LAYOUT_HINT = (
    "reqconv cannot edit this layout safely (dotted keys such as `uv.package = ...` under "
    "[tool]?); write [tool.uv] and [project] as table headers and run again"
)


def _unmanaged(data: Data) -> dict[str, object]:
    """``data`` without the keys ``apply`` manages: what must not change."""
    out = dict(data)
    out.pop("dependency-groups", None)
    project = out.get("project")
    if isinstance(project, dict):
        rest = {
            k: v for k, v in project.items() if k not in {"dependencies", "optional-dependencies"}
        }
        if rest:
            out["project"] = rest
        else:
            del out["project"]
    tool = out.get("tool")
    if isinstance(tool, dict):
        tool = dict(tool)
        uv = tool.get("uv")
        if isinstance(uv, dict):
            kept = {k: v for k, v in uv.items() if k not in _MANAGED_UV}
            if kept:
                tool["uv"] = kept
            else:
                del tool["uv"]
        tool.pop("reqconv", None)  # variants: written by ``_merge_variants``
        if tool:
            out["tool"] = tool
        else:
            del out["tool"]
    return out


def _edit(
    text: str,
    path: Path,
    change: Callable[[tomlkit.TOMLDocument, _Parts], None],
    missing: Callable[[Data, _Parts], str | None],
) -> str:
    """Run ``change`` on the parsed ``text``; check the result before handing it back.

    The result must parse with tomllib, keep every key ``apply`` does not manage, and hold what was
    asked (``missing`` names what is not where it should be): tomlkit places some new tables
    wrongly under dotted keys, and a wrong file is worse than a refusal.
    """
    before = _load(text, path)
    parts = _check(before, path)
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as e:
        raise PyprojectError(f"{path}: invalid TOML: {e}") from e
    reset = _splices.set({})
    reset_side = _side_tables.set({})
    try:
        change(doc, parts)
        result = _resolve(_splice(doc.as_string()))
    except tomlkit.exceptions.TOMLKitError as e:
        raise PyprojectError(f"{path}: cannot edit: {e}; {_LAYOUT_HINT}") from e
    finally:
        _side_tables.reset(reset_side)
        _splices.reset(reset)
    if result == text:
        return text
    try:
        after = tomllib.loads(result)
    except tomllib.TOMLDecodeError as e:
        raise PyprojectError(f"{path}: {_LAYOUT_HINT} (the edit gave: {e})") from e
    lost = _unmanaged(before) != _unmanaged(after)
    absent = missing(after, parts)
    if lost or absent:
        problem = "other keys would change" if lost else f"{absent} would not be written"
        raise PyprojectError(f"{path}: {_LAYOUT_HINT} ({problem})")
    return result


def _missing(spec: DependencySpec, style: Style | None) -> Callable[[Data, _Parts], str | None]:
    """What of ``spec`` a result lacks (by name; versions are the merge's business)."""

    def check(data: Data, parts: _Parts) -> str | None:
        chosen = style or _style(parts)
        self_name = _project_name(parts) if chosen == "extras" else None
        wanted = {d.name for d in spec.dependencies}
        if not wanted <= _names_in(_lookup(data, "project", "dependencies")):
            return "[project].dependencies"
        table = (
            _lookup(data, "dependency-groups")
            if chosen == "groups"
            else _lookup(data, "project", "optional-dependencies")
        )
        groups = {
            str(canonicalize_name(k)): v
            for k, v in (table.items() if isinstance(table, dict) else [])
        }
        for group, items in spec.groups:
            names: set[str] = set()
            for item in items:
                if isinstance(item, Dependency):
                    names.add(str(item.name))
                elif self_name is None:
                    names.add(":group:" + item.group)
                else:
                    names.add(self_name)
            if group not in groups or not names <= _names_in(groups[group]):
                return f"group {group!r}"
        uv = _lookup(data, "tool", "uv")
        uv = uv if isinstance(uv, dict) else {}
        urls = {
            str(i.get("url", "")).rstrip("/") for i in uv.get("index", []) if isinstance(i, dict)
        }
        if not {i.url.rstrip("/") for i in spec.uv.indexes} <= urls:
            return "[[tool.uv.index]]"
        sources = {str(canonicalize_name(k)) for k in uv.get("sources", {})}
        if not {str(name) for name, _ in spec.uv.sources} <= sources:
            return "[tool.uv.sources]"
        if not set(spec.uv.find_links) <= set(uv.get("find-links", [])):
            return "[tool.uv].find-links"
        constraints = {str(Requirement(c).name) for c in spec.uv.constraints}
        if not {str(canonicalize_name(c)) for c in constraints} <= _names_in(
            uv.get("constraint-dependencies")
        ):
            return "[tool.uv].constraint-dependencies"
        if spec.uv.no_index and uv.get("no-index") is not True:
            return "[tool.uv].no-index"
        if spec.uv.prerelease is not None and uv.get("prerelease") != spec.uv.prerelease:
            return "[tool.uv].prerelease"
        have = {_conflict_set(item) for item in uv.get("conflicts", [])}
        if any(
            frozenset((k, n) for n in names) not in have
            for names in spec.uv.conflicts
            for k in ["group" if chosen == "groups" else "extra"]
        ):
            return "[tool.uv].conflicts"
        if spec.variants and _lookup(data, "tool", "reqconv", "variants") != dict(spec.variants):
            return "[tool.reqconv].variants"
        return None

    return check


def _refuse_dynamic(parts: _Parts, key: str, path: Path) -> None:
    """PEP 621: a key listed in ``dynamic`` must not be given statically; its build backend fills it."""
    project = parts.project or {}
    dynamic = project.get("dynamic")
    if not (isinstance(dynamic, list) and key in dynamic):
        return
    setuptools = _lookup(parts.tool or {}, "setuptools", "dynamic", key)
    also = (
        f" and [tool.setuptools.dynamic].{key}"
        if setuptools is not None
        else " and the build backend's setting that fills it"
    )
    fix = (
        "or use --dev-style groups to write [dependency-groups] instead"
        if key == "optional-dependencies"
        else "then run again"
    )
    raise PyprojectError(
        f"{path}: [project].{key} is listed in [project].dynamic, so reqconv cannot write it; "
        f"remove it from dynamic{also}, {fix}"
    )


def apply(text: str, spec: DependencySpec, *, path: Path, style: Style | None = None) -> str:
    """``text`` with ``spec`` merged into its dependency tables and ``[tool.uv]``."""

    def change(doc: tomlkit.TOMLDocument, parts: _Parts) -> None:
        chosen = style or _style(parts)
        if spec.dependencies:
            _refuse_dynamic(parts, "dependencies", path)
            project = _ensure_table(doc, "project", "[project]")
            wants = [_want_requirement(d.requirement) for d in spec.dependencies]
            _merge_array(project, "dependencies", wants, path, "[project].dependencies")
        _merge_groups(doc, spec, chosen, parts, path)
        _merge_uv(doc, spec.uv, path, "group" if chosen == "groups" else "extra")
        _merge_variants(doc, spec.variants)

    return _edit(text, path, change, _missing(spec, style))


def add_constraints(text: str, requirements: Sequence[str], *, path: Path) -> str:
    """``text`` with ``requirements`` in ``[tool.uv] constraint-dependencies`` (updated by name)."""
    if not requirements:
        return text
    wants = [_want_requirement(r) for r in requirements]

    def change(doc: tomlkit.TOMLDocument, parts: _Parts) -> None:
        uv = _ensure_uv(doc)
        _merge_array(
            uv, "constraint-dependencies", wants, path, "[tool.uv].constraint-dependencies"
        )

    spec = DependencySpec(uv=UvSettings(constraints=tuple(w.canonical for w in wants)))
    return _edit(text, path, change, _missing(spec, None))


# --------------------------------------------------------------------------------------------
# One requirement at a time (`reqconv add` / `reqconv remove`)


@frozen(kw_only=True)
class Listed:
    """A requirement string of a dependency table, where it stands in the file."""

    table: str  # "[project].dependencies", "[dependency-groups].dev", "[project.optional-dependencies].dev"
    group: str | None  # normalized group or extra name; None for [project] dependencies
    requirement: str  # as written
    name: NormalizedName
    marker: str | None
    line: int  # 1-based; 0 when the string could not be found in the text


def _quoted_line(lines: Sequence[str], text: str, taken: set[int]) -> int:
    quoted = (f'"{text}"', f"'{text}'", _string(text))
    for number, raw in enumerate(lines, start=1):
        if number not in taken and any(q in raw for q in quoted):
            taken.add(number)
            return number
    return 0


def listed(text: str, *, path: Path) -> tuple[Listed, ...]:
    """Every requirement string of ``[project]`` dependencies, the extras and the groups."""
    parts = _check(_load(text, path), path)
    lines = text.splitlines()
    taken: set[int] = set()
    found: list[Listed] = []

    def add(table: str, group: str | None, values: object) -> None:
        for i, value in enumerate(values if isinstance(values, list) else []):
            if not isinstance(value, str):
                continue  # {include-group = ...}
            requirement = _requirement(value, path, f"{table}[{i}]")
            found.append(
                Listed(
                    table=table,
                    group=group,
                    requirement=value,
                    name=canonicalize_name(requirement.name),
                    marker=str(requirement.marker) if requirement.marker is not None else None,
                    line=_quoted_line(lines, value, taken),
                )
            )

    project = parts.project or {}
    add("[project].dependencies", None, project.get("dependencies"))
    extras = project.get("optional-dependencies")
    for name, values in extras.items() if isinstance(extras, dict) else ():
        add(f"[project.optional-dependencies].{name}", str(canonicalize_name(name)), values)
    for name, values in (parts.groups or {}).items():
        add(f"[dependency-groups].{name}", str(canonicalize_name(name)), values)
    return tuple(found)


def group_style(text: str, group: str, *, path: Path) -> Style:
    """Where ``group`` lives: the table that already has it, else where new groups go."""
    parts = _check(_load(text, path), path)
    wanted = canonicalize_name(group)
    if any(canonicalize_name(k) == wanted for k in parts.groups or {}):
        return "groups"
    extras = (parts.project or {}).get("optional-dependencies")
    if isinstance(extras, dict) and any(canonicalize_name(k) == wanted for k in extras):
        return "extras"
    return _style(parts)


def _table_of(
    doc: tomlkit.TOMLDocument, group: str | None, style: Style, *, create: bool
) -> tuple[Container | Table | None, str, str]:
    """(container, key, dotted name) of the array that holds ``group`` (``None``: main)."""
    if group is None:
        project = doc.get("project")
        if project is None and create:
            project = _ensure_table(doc, "project", "[project]")
        return cast(Table | None, project), "dependencies", "[project].dependencies"
    if style == "groups":
        table = doc.get("dependency-groups")
        if table is None and create:
            table = _dependency_groups(doc)
        key = _group_key(cast(Table, table), group) if table is not None else group
        return cast(Table | None, table), key, f"[dependency-groups].{key}"
    project = doc.get("project")
    extras = project.get("optional-dependencies") if project is not None else None
    key = _group_key(cast(Table, extras), group) if extras is not None else group
    return cast(Table | None, extras), key, f"[project.optional-dependencies].{key}"


def _matching(array: Array, name: str) -> list[int]:
    """Indexes of the string items of ``array`` that name ``name`` (normalized)."""
    found = []
    for i, value in enumerate(array):
        match = _NAME_RE.match(value) if isinstance(value, str) else None
        if match is not None and canonicalize_name(match.group(1)) == name:
            found.append(i)
    return found


def _listed_anywhere(doc: tomlkit.TOMLDocument, name: str) -> bool:
    data = doc.unwrap()
    found = data.get("project")
    project: dict[str, object] = found if isinstance(found, dict) else {}
    arrays: list[object] = [project.get("dependencies")]
    for table in (project.get("optional-dependencies"), data.get("dependency-groups")):
        arrays += list(table.values()) if isinstance(table, dict) else []
    return any(name in _names_in(values) for values in arrays)


def _drop_source(doc: tomlkit.TOMLDocument, name: str) -> None:
    """Remove ``[tool.uv.sources].name`` (and an emptied sources table) once nothing lists it."""
    tool = doc.get("tool")
    uv = tool.get("uv") if tool is not None else None
    sources = uv.get("sources") if uv is not None else None
    if uv is None or sources is None or _listed_anywhere(doc, name):
        return
    for key in list(sources):
        if canonicalize_name(key) == name:
            del sources[key]
    if not sources:
        del uv["sources"]


def add_requirement(
    text: str,
    requirement: str,
    *,
    path: Path,
    group: str | None = None,
    source: Source | None = None,
    replace: bool = False,
) -> str:
    """``text`` with ``requirement`` in ``[project]`` dependencies or ``group``, and its source.

    The group goes where it already is (``[dependency-groups]`` or an extra), a new one where the
    project keeps its groups. An entry with the same name and marker is updated in place (as
    ``apply`` does); with ``replace`` the first entry of that name takes the new text whatever
    its marker, and the table's other entries of that name go, as does a source the new
    requirement no longer uses (when nothing else lists the name).
    """
    wanted = Requirement(requirement)
    name = canonicalize_name(wanted.name)
    style = (
        group_style(text, group, path=path)
        if group is not None
        else _style(_check(_load(text, path), path))
    )
    dependency = Dependency(name=name, requirement=canonical(wanted))
    sources = ((name, source),) if source is not None else ()
    if group is None:
        spec = DependencySpec(dependencies=(dependency,), uv=UvSettings(sources=sources))
    else:
        group_key = str(canonicalize_name(group))
        spec = DependencySpec(groups=((group_key, (dependency,)),), uv=UvSettings(sources=sources))
    if replace:
        text = _replace_entry(
            text,
            name,
            dependency.requirement,
            path=path,
            group=group,
            style=style,
            keep_source=source is not None,
        )
    return apply(text, spec, path=path, style=style)


def _replace_entry(
    text: str,
    name: NormalizedName,
    requirement: str,
    *,
    path: Path,
    group: str | None,
    style: Style,
    keep_source: bool,
) -> str:
    def change(doc: tomlkit.TOMLDocument, parts: _Parts) -> None:
        container, key, _ = _table_of(doc, group, style, create=False)
        array = container.get(key) if container is not None else None
        if array is None:
            return
        found = _matching(cast(Array, array), name)
        if not found:
            return
        array[found[0]] = _string_item(requirement)
        for i in reversed(found[1:]):
            del array[i]
        if not keep_source:
            _drop_source(doc, name)

    def missing(data: Data, parts: _Parts) -> str | None:
        return None  # `apply` checks the entry right after

    return _tidy(text, _edit(text, path, change, missing))


def _tidy(before: str, after: str) -> str:
    """``after`` without the blank lines a deleted table leaves behind (tomlkit keeps the ones
    that stood above it), unless ``before`` had such runs itself."""
    if after == before or "\n\n\n" in before:
        return after
    tidy = re.sub(r"\n{3,}", "\n\n", after)
    return tidy.rstrip("\n") + "\n" if before.endswith("\n") else tidy


def remove_requirement(text: str, name: str, *, path: Path, group: str | None = None) -> str:
    """``text`` without any entry of ``name`` in ``[project]`` dependencies or ``group``.

    The array stays (``dependencies = []``, an empty group). Its ``[tool.uv.sources]`` entry goes
    when no other table lists the name.
    """
    normalized = canonicalize_name(name)
    style = group_style(text, group, path=path) if group is not None else "groups"
    where = ""

    def change(doc: tomlkit.TOMLDocument, parts: _Parts) -> None:
        nonlocal where
        container, key, where = _table_of(doc, group, style, create=False)
        array = container.get(key) if container is not None else None
        if container is None or array is None:
            return
        for i in reversed(_matching(cast(Array, array), normalized)):
            del array[i]
        if len(array) == 0 and "#" not in array.as_string():
            _put_array(container, key, "[]")  # not the "[\n]" tomlkit leaves
        _drop_source(doc, normalized)

    def missing(data: Data, parts: _Parts) -> str | None:
        if group is None:
            values = _lookup(data, "project", "dependencies")
        else:
            keys = (
                ("dependency-groups",)
                if style == "groups"
                else ("project", "optional-dependencies")
            )
            table = _lookup(data, *keys)
            wanted = canonicalize_name(group)
            values = (
                next((v for k, v in table.items() if canonicalize_name(k) == wanted), None)
                if isinstance(table, dict)
                else None
            )
        still = normalized in _names_in(values)
        return f"the removal of {normalized} from {where}" if still else None

    return _tidy(text, _edit(text, path, change, missing))
