"""yamlfile: YAML read with lines; load_text keeps each scalar as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv.errors import Location, ReqconvError
from reqconv.yamlfile import Map, Text, load, load_text


def test_load_text_keeps_scalars_as_written_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "ci.yml"
    path.write_text("on: push\nversions: [3.10, '3.9', 3]\nblock: |\n  3.12\n  3.13\n")
    data = load_text(path)
    assert isinstance(data, Map)
    assert data == {"on": "push", "versions": ["3.10", "3.9", "3"], "block": "3.12\n3.13\n"}
    assert data.lines == {"on": 1, "versions": 2, "block": 3}
    versions = data["versions"]
    assert all(isinstance(v, Text) and v.line == 2 for v in versions)
    assert data["block"].line == 4  # the block's first line, after the `|`
    # `load` builds values as compose reads them: the float, and the key `on` as YAML 1.1's true
    assert load(path) == {"True": "push", "versions": [3.1, "3.9", 3], "block": "3.12\n3.13\n"}


def test_load_text_stops_at_a_recursive_alias(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text("a: &x [1, *x]\n")
    assert load_text(path) == {"a": ["1", None]}


def test_not_yaml_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text("a: 1\nb: [\n")
    with pytest.raises(ReqconvError, match="not valid YAML") as excinfo:
        load_text(path)
    assert excinfo.value.location == Location(path, 3)
