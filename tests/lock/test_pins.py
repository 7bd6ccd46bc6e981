"""pins.settle: which pins go to uv, and the reason, naming the input, for each one left out."""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from reqconv.errors import Location
from reqconv.lock import pins
from reqconv.model import Demand, Pin

MAIN = Path("requirements.txt")
TESTS = Path("requirements-tests.txt")


def pin(name: str, version: str, path: Path = MAIN, line: int = 1, **kwargs: object) -> Pin:
    return Pin(
        name=canonicalize_name(name),
        version=version,
        origin=Location(path, line),
        **kwargs,  # type: ignore[arg-type]
    )


def demand(name: str, specifier: str, path: Path, line: int, group: str | None) -> Demand:
    return Demand(
        name=canonicalize_name(name), specifier=specifier, origin=Location(path, line), group=group
    )


def test_a_pin_another_files_line_excludes_names_that_line() -> None:
    production = pin("pytest", "7.4.0", compiled=True)
    test = pin("pytest", "7.2.1", TESTS, 3, group="tests")
    settled = pins.settle([production, test], [demand("pytest", "==7.2.1", TESTS, 3, "tests")])
    assert settled.applied == (test,)
    assert settled.dropped == {
        ("pytest", "7.4.0"): "requirements-tests.txt:3 (group 'tests') asks for pytest==7.2.1; "
        "uv locks every group together with production, so production gets that version too"
    }


def test_production_wins_over_a_compiled_group_pin() -> None:
    production = pin("urllib3", "2.2.0", compiled=True)
    dev = pin("urllib3", "1.26.20", Path("requirements-dev.txt"), 4, group="dev", compiled=True)
    settled = pins.settle([production, dev])
    assert settled.applied == (production,)
    assert settled.dropped[pins.key(dev)].startswith(
        "requirements.txt:1 (production) pins urllib3==2.2.0"
    )


def test_two_groups_pinning_apart_keep_neither_and_list_both() -> None:
    dev = pin("eta", "1.0", Path("dev.txt"), 2, group="dev", compiled=True)
    docs = pin("eta", "1.1", Path("docs.txt"), 5, group="docs", compiled=True)
    settled = pins.settle([dev, docs])
    assert settled.applied == ()
    assert settled.dropped[pins.key(dev)] == (
        "also pinned to 1.1 (docs.txt:5, group 'docs'); uv locks every group into one version, "
        "and no pin was kept over the others"
    )


def test_distinct_markers_all_hold_and_keep_their_marker() -> None:
    old = pin("alpha", "1.0", marker='python_version < "3.12"')
    new = pin("alpha", "1.1", line=2, marker='python_version >= "3.12"')
    settled = pins.settle([old, new])
    assert settled.applied == (old, new)
    assert pins.constraint(old) == 'alpha==1.0 ; python_version < "3.12"'


def test_one_version_spelled_twice_is_no_conflict() -> None:
    settled = pins.settle([pin("alpha", "1.0"), pin("alpha", "1.0.0", line=2)])
    assert len(settled.applied) == 2
    assert settled.dropped == {}


def test_a_line_under_another_marker_does_not_exclude_a_pin() -> None:
    # `foo>=2 ; python_version < "3.8"` asks nothing of the Pythons the pin is for.
    compiled = pin("foo", "1.5", compiled=True)
    old_pythons = Demand(
        name=canonicalize_name("foo"),
        specifier=">=2",
        origin=Location(TESTS, 1),
        group="tests",
        marker='python_version < "3.8"',
    )
    assert pins.settle([compiled], [old_pythons]).applied == (compiled,)
