"""``change.plan_add`` / ``plan_remove``: every check before a write, every new content planned.

No uv here: plans only read files (the integration tests lock and export with the real uv).
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from reqconv import change
from reqconv.errors import ConflictError, InputError
from tests._builders import write_files

_PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "svc"
    version = "0.1.0"
    dependencies = [
        "alpha>=1",
        "beta",
    ]

    [dependency-groups]
    dev = [
        "zeta",
    ]

    [tool.uv]
    package = false
    constraint-dependencies = ["eta<2"]
    """
)


def _service(root: Path, files: dict[str, str], pyproject: str = _PYPROJECT) -> Path:
    return write_files(root, {"pyproject.toml": pyproject, **files})


def _after(plan: change.Plan, name: str) -> str:
    return next(c.after_text for c in plan.changes if c.path.name == name)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_plan_computes_every_file_and_writes_none(tmp_path: Path) -> None:
    root = _service(
        tmp_path, {"requirements.txt": "alpha>=1\nbeta\n", "requirements-dev.txt": "zeta\n"}
    )
    before = _snapshot(root)
    plan = change.plan_add(root, ["gamma>=1"], cwd=tmp_path)
    assert _snapshot(root) == before
    assert _after(plan, "requirements.txt") == "alpha>=1\nbeta\ngamma>=1\n"
    assert '    "gamma>=1",\n' in _after(plan, "pyproject.toml")
    assert plan.pending
    assert plan.lines == (
        f"added 'gamma>=1' to [project].dependencies (pyproject.toml) and {root / 'requirements.txt'}",
    )


def test_already_listed_names_the_requirements_line(tmp_path: Path) -> None:
    root = _service(tmp_path, {"requirements.txt": "# deps\nalpha>=1\nBeta\n"})
    with pytest.raises(InputError) as info:
        change.plan_add(root, ["beta<3"], cwd=tmp_path)
    assert str(info.value).startswith(f"{root / 'requirements.txt'}:3: beta is already listed")
    assert "pyproject.toml:6" in str(info.value)


def test_already_listed_in_pyproject_only(tmp_path: Path) -> None:
    root = _service(tmp_path, {})
    with pytest.raises(
        InputError, match=r"pyproject.toml:11: zeta is already listed in group 'dev'"
    ):
        change.plan_add(root, ["zeta"], group="dev", cwd=tmp_path)


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        pytest.param("alpha>=", "invalid requirement", id="invalid"),
        pytest.param("-i https://example.com/simple", "an option line", id="option"),
        pytest.param("alpha==1 --hash=sha256:" + "a" * 64, "per-requirement options", id="hash"),
        pytest.param("", "is not a requirement", id="empty"),
    ],
)
def test_bad_arguments_are_input_errors(tmp_path: Path, argument: str, message: str) -> None:
    root = _service(tmp_path, {})
    with pytest.raises(InputError, match=message):
        change.plan_add(root, [argument], cwd=tmp_path)


def test_the_same_package_twice_is_refused(tmp_path: Path) -> None:
    root = _service(tmp_path, {})
    with pytest.raises(InputError, match="name the same package"):
        change.plan_add(root, ["gamma", "Gamma>=1"], cwd=tmp_path)


def test_a_constraint_it_contradicts_is_a_conflict(tmp_path: Path) -> None:
    root = _service(tmp_path, {})
    with pytest.raises(ConflictError, match="contradicts the constraint 'eta<2'") as info:
        change.plan_add(root, ["eta>=2"], cwd=tmp_path)
    assert info.value.exit_code == 2
    assert str(info.value).startswith(f"{root / 'pyproject.toml'}:16:")
    change.plan_add(root, ["eta>=1; python_version < '3'"], cwd=tmp_path)  # compatible: fine


def test_groups_declared_apart_may_disagree(tmp_path: Path) -> None:
    pyproject = _PYPROJECT.replace('"zeta",', '"zeta==1.0",') + (
        'conflicts = [[{ group = "dev" }, { group = "legacy" }]]\n'
    )
    root = _service(tmp_path, {}, pyproject)
    with pytest.raises(ConflictError, match=re.escape("contradicts 'zeta==1.0' in group 'dev'")):
        change.plan_add(root, ["zeta>=2"], group="docs", cwd=tmp_path)
    plan = change.plan_add(root, ["zeta>=2"], group="legacy", cwd=tmp_path)
    assert 'legacy = [\n    "zeta>=2",\n]' in _after(plan, "pyproject.toml")


def test_a_file_that_feeds_two_tables_is_not_edited(tmp_path: Path) -> None:
    root = _service(
        tmp_path,
        {
            "common.txt": "beta\n",
            "requirements.txt": "alpha>=1\n-r common.txt\n",
            "requirements-dev.txt": "zeta\n-r common.txt\n",
        },
    )
    with pytest.raises(InputError, match="feeds \\[project\\] dependencies and group 'dev' too"):
        change.plan_remove(root, ["beta"])


def test_a_path_is_rebased_to_the_requirements_file(tmp_path: Path) -> None:
    lib = tmp_path / "libs" / "lam"
    lib.mkdir(parents=True)
    (lib / "pyproject.toml").write_text('[project]\nname = "lam"\nversion = "1"\n')
    root = _service(tmp_path / "svc", {"requirements/dev.txt": "zeta\n"})
    plan = change.plan_add(root, ["-e", "libs/lam"], group="dev", cwd=tmp_path)
    assert _after(plan, "dev.txt") == "zeta\n-e ../../libs/lam\n"
    assert 'lam = { path = "../libs/lam", editable = true }' in _after(plan, "pyproject.toml")


def test_a_hashed_file_gets_a_warning(tmp_path: Path) -> None:
    root = _service(tmp_path, {"requirements.txt": "alpha==1.0 --hash=sha256:" + "a" * 64 + "\n"})
    plan = change.plan_add(root, ["gamma"], cwd=tmp_path)
    assert [d.code for d in plan.diagnostics] == ["unhashed-line"]


def test_remove_not_listed_names_where_it_is(tmp_path: Path) -> None:
    root = _service(tmp_path, {"requirements-dev.txt": "zeta\n"})
    with pytest.raises(InputError) as info:
        change.plan_remove(root, ["zeta"])
    message = str(info.value)
    assert message.startswith("zeta is not listed in [project] dependencies; it is listed in")
    assert f"group 'dev' ({root / 'requirements-dev.txt'}:1)" in message
    assert f"group 'dev' ({root / 'pyproject.toml'}:11)" in message


def test_remove_plans_both_files(tmp_path: Path) -> None:
    root = _service(tmp_path, {"requirements.txt": "alpha>=1  # keep\nbeta \\\n    >=1\n"})
    plan = change.plan_remove(root, ["beta"])
    assert _after(plan, "requirements.txt") == "alpha>=1  # keep\n"
    assert '"beta"' not in _after(plan, "pyproject.toml")


def test_a_compiled_file_is_stale_when_its_in_changed_or_a_pin_moved() -> None:
    compiled = change.Compiled(
        path=Path("requirements-dev.txt"),
        source=Path("requirements-dev.in"),
        group="dev",
        pinned=frozenset({canonicalize_name("zeta")}),
    )
    assert not compiled.stale(None, set())
    assert compiled.stale(None, {canonicalize_name("zeta")})
    assert change.Compiled(
        path=Path("x.txt"), source=Path("x.in"), group="dev", with_main=True
    ).stale(None, set())
