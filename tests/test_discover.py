"""discover: file names -> roles (which table each requirements file feeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv import discover
from reqconv.errors import InputError
from reqconv.model import Role

ROOT = Path("/svc")


@pytest.mark.parametrize(
    ("name", "group"),
    [
        pytest.param("requirements.txt", None, id="main"),
        pytest.param("requirements-dev.txt", "dev", id="dash-suffix"),
        pytest.param("dev-requirements.txt", "dev", id="dash-prefix"),
        pytest.param("requirements_dev.txt", "dev", id="underscore-suffix"),
        pytest.param("test_requirements.txt", "test", id="underscore-prefix"),
        pytest.param("requirements.test.txt", "test", id="dot-suffix"),
        pytest.param("requirements-test.txt", "test", id="test"),
        pytest.param("requirements/base.txt", None, id="dir-base"),
        pytest.param("requirements/common.txt", None, id="dir-common"),
        pytest.param("requirements/prod.txt", None, id="dir-prod"),
        pytest.param("requirements/production.txt", None, id="dir-production"),
        pytest.param("requirements/main.txt", None, id="dir-main"),
        pytest.param("requirements-prod.txt", None, id="prod-suffix"),
        pytest.param("requirements/dev.txt", "dev", id="dir-dev"),
        pytest.param("requirements/local.txt", "local", id="dir-local"),
        pytest.param("requirements/tests.txt", "tests", id="dir-tests"),
        pytest.param("requirements/docs.txt", "docs", id="dir-docs"),
        pytest.param("requirements/Lint_Checks.txt", "lint-checks", id="pep735-normalized"),
        pytest.param("requirements/test_requirements.txt", "test", id="dir-underscore-prefix"),
        pytest.param("requirements/requirements-dev.txt", "dev", id="dir-dash-suffix"),
        pytest.param("requirements/base_requirements.txt", None, id="dir-main-prefix"),
        pytest.param("requirements/requirements.txt", None, id="dir-requirements"),
    ],
)
def test_classify_name(name: str, group: str | None) -> None:
    assert discover.classify(ROOT, [name]) == (Role(path=ROOT / name, group=group),)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("setup.py", id="not-requirements"),
        pytest.param("constraints.txt", id="constraints"),
        pytest.param("requirements/constraints.txt", id="dir-constraints"),
        pytest.param("requirements.lock", id="lock-suffix"),
        pytest.param("docs/requirements.txt", id="other-dir"),
        pytest.param("requirements/sub/dev.txt", id="nested"),
        pytest.param("notes.txt", id="plain-txt"),
    ],
)
def test_classify_ignores(name: str) -> None:
    assert discover.classify(ROOT, [name]) == ()


def test_in_and_txt_pair_as_compiled() -> None:
    roles = discover.classify(ROOT, ["requirements.txt", "requirements.in"])
    assert roles == (Role(path=ROOT / "requirements.in", compiled=ROOT / "requirements.txt"),)


def test_in_alone_is_source_without_compiled() -> None:
    assert discover.classify(ROOT, ["requirements/dev.in"]) == (
        Role(path=ROOT / "requirements/dev.in", group="dev"),
    )


def test_order_is_main_first_then_groups_by_name() -> None:
    names = [
        "requirements/test.txt",
        "requirements-docs.txt",
        "requirements/base.txt",
        "requirements.txt",
        "requirements-dev.txt",
    ]
    roles = discover.classify(ROOT, names)
    assert [(r.path.relative_to(ROOT).as_posix(), r.group) for r in roles] == [
        ("requirements.txt", None),
        ("requirements/base.txt", None),
        ("requirements-dev.txt", "dev"),
        ("requirements-docs.txt", "docs"),
        ("requirements/test.txt", "test"),
    ]


def test_order_does_not_depend_on_input_order() -> None:
    names = ["requirements/dev.txt", "requirements.txt", "dev-requirements.txt"]
    assert discover.classify(ROOT, names) == discover.classify(ROOT, reversed(names))


def test_discover_lists_root_and_requirements_folder(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("a\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\n")
    (tmp_path / "README.md").write_text("")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "docs.in").write_text("")
    (tmp_path / "requirements" / "docs.txt").write_text("")
    (tmp_path / "requirements" / "folder.txt").mkdir()
    assert discover.discover(tmp_path) == (
        Role(path=tmp_path / "requirements.txt"),
        Role(path=tmp_path / "requirements-dev.txt", group="dev"),
        Role(
            path=tmp_path / "requirements/docs.in",
            group="docs",
            compiled=tmp_path / "requirements/docs.txt",
        ),
    )


def test_discover_empty_folder(tmp_path: Path) -> None:
    assert discover.discover(tmp_path) == ()


def test_from_options_replaces_discovery(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "runtime.txt").write_text("")
    (tmp_path / "ci.in").write_text("")
    (tmp_path / "ci.txt").write_text("")
    roles = discover.from_options(tmp_path, Path("deps/runtime.txt"), [("CI_Tools", Path("ci.in"))])
    assert roles == (
        Role(path=tmp_path / "deps/runtime.txt"),
        Role(path=tmp_path / "ci.in", group="ci-tools", compiled=tmp_path / "ci.txt"),
    )


def test_from_options_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--group dev: no such file"):
        discover.from_options(tmp_path, None, [("dev", Path("nope.txt"))])


def test_from_options_empty_group_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    with pytest.raises(InputError, match="not a valid group name"):
        discover.from_options(tmp_path, None, [("--", Path("a.txt"))])


def test_from_options_normalizes_paths_like_the_parser(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "main.txt").write_text("")
    (role,) = discover.from_options(tmp_path, Path("reqs/../main.txt"), [])
    assert role.path == tmp_path / "main.txt"
