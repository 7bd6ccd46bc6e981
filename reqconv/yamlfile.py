"""YAML files (compose files, CI workflows) read with their lines: the only importer of ``yaml``.

Reads through ``fs`` and never writes. ``load`` builds plain values as compose reads them (a
``SafeLoader``: no objects; ``!reset``/``!override``; ``<<`` merge keys), each mapping a ``Map``
that knows its keys' lines. ``load_text`` keeps every scalar as the text the file wrote, a ``Text``
that knows its line: a workflow's ``3.10`` is the string ``3.10``, where a float would be ``3.1``.
A file that is not YAML is a ``ReqconvError`` at the line PyYAML names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reqconv import fs
from reqconv.errors import Location, ReqconvError

if TYPE_CHECKING:
    import yaml

__all__ = ["Map", "Text", "load", "load_text"]


class Map(dict[str, Any]):
    """A YAML mapping that remembers the line of each key (1-based)."""

    lines: dict[str, int]


class Text(str):
    """A scalar as the file wrote it (``load_text``), and the line of its first character of
    content (for a ``|`` block, the line after the ``|``)."""

    line: int


def _loader() -> type[yaml.SafeLoader]:
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.Node) -> Map:
        assert isinstance(node, yaml.MappingNode)
        loader.flatten_mapping(node)  # `<<: *anchor` merge keys
        result = Map()
        result.lines = {}
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            result[key] = loader.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + 1
        return result

    def reset(loader: yaml.SafeLoader, node: yaml.Node) -> None:
        return None  # `!reset`: the value is removed (what is left of it here: nothing)

    def override(loader: yaml.SafeLoader, node: yaml.Node) -> object:
        # `!override`: the value replaces the merged one; read as the plain value.
        if isinstance(node, yaml.MappingNode):
            return mapping(loader, node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_scalar(node)  # type: ignore[arg-type]

    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    Loader.add_constructor("!reset", reset)
    Loader.add_constructor("!override", override)
    return Loader


def _not_yaml(path: Path, error: Exception) -> ReqconvError:
    mark = getattr(error, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(error, "problem", None) or error
    return ReqconvError(f"not valid YAML, skipped: {problem}", Location(path, line))


def load(path: Path) -> object:
    """``path``'s YAML as plain values, each mapping a ``Map``."""
    import yaml

    text = fs.read_text(path).text
    try:
        return yaml.load(text, Loader=_loader())  # a SafeLoader subclass: no objects built
    except yaml.YAMLError as e:
        raise _not_yaml(path, e) from e


def load_text(path: Path) -> object:
    """``path``'s YAML with every scalar a ``Text`` (keys too, as ``Map`` keys: plain ``str``),
    every mapping a ``Map``, every sequence a list; an empty file is ``None``."""
    import yaml

    text = fs.read_text(path).text
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _not_yaml(path, e) from e
    return None if node is None else _as_text(node, frozenset())


def _as_text(node: yaml.Node, open_nodes: frozenset[int]) -> object:
    import yaml

    if id(node) in open_nodes:
        return None  # an alias of a node holding it (`&a [*a]`): nothing more to read
    inside = open_nodes | {id(node)}
    if isinstance(node, yaml.MappingNode):
        result = Map()
        result.lines = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            result[key] = _as_text(value_node, inside)
            result.lines[key] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_as_text(item, inside) for item in node.value]
    if not isinstance(node, yaml.ScalarNode):
        return None
    scalar = Text(node.value)
    # a `|`/`>` block starts on the line after its indicator
    scalar.line = node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)
    return scalar
