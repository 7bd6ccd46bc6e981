"""scripts/arch_check.py: reqconv/ keeps the layout's rules, and each rule is caught on a bad tree."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scripts import arch_check

ROOT = Path(__file__).resolve().parent.parent


def _package(root: Path, files: dict[str, str]) -> Path:
    """A package ``pkg`` under ``root`` holding ``files`` (relative path -> source)."""
    package = root / "pkg"
    for name, source in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(textwrap.dedent(source))
    return package


def test_reqconv_keeps_the_rules() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "arch_check.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_a_cycle_through_a_function_level_import_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "a.py": "from pkg import b\n",
            "b.py": "def f() -> None:\n    from pkg.c import g\n",
            "c.py": "from . import a\n\ndef g() -> None: ...\n",
        },
    )
    assert arch_check.problems(package) == ["import cycle: pkg.a -> pkg.b -> pkg.c -> pkg.a"]


@pytest.mark.parametrize(
    "importer",
    [
        pytest.param("from pkg.sub import mod\n", id="submodule-by-from"),
        pytest.param("import pkg.sub.mod\n", id="import"),
        pytest.param("from .sub.mod import thing\n", id="relative"),
        pytest.param(
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .sub import mod\n",
            id="type-checking",
        ),
    ],
)
def test_each_import_form_is_an_edge(tmp_path: Path, importer: str) -> None:
    package = _package(
        tmp_path,
        {"top.py": importer, "sub/mod.py": "from pkg import top\nthing = 1\n"},
    )
    found = arch_check.problems(package)
    assert found == ["import cycle: pkg.sub.mod -> pkg.top -> pkg.sub.mod"]


def test_importing_a_package_is_an_edge_to_its_init_only(tmp_path: Path) -> None:
    # pkg/sub/__init__ re-exports its own module: no cycle with the parent packages it runs
    package = _package(
        tmp_path,
        {"sub/__init__.py": "from pkg.sub.mod import thing\n", "sub/mod.py": "thing = 1\n"},
    )
    assert arch_check.problems(package) == []


def test_a_core_module_importing_a_command_is_reported(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "commands/run.py": "from pkg import core\n",
            "cli.py": "from pkg.commands import run\n",
            "core.py": "def f() -> None:\n    from pkg.commands import Output\n",
        },
    )
    assert arch_check.problems(package) == [
        "pkg/core.py:2: pkg.core imports pkg.commands (only cli and commands may)"
    ]


def test_a_long_command_module_and_a_long_class_are_reported(tmp_path: Path) -> None:
    limit = arch_check.CLASS_MAX_LINES
    fits = "class Fits:\n" + "".join(f"    x{i} = {i}\n" for i in range(limit - 1))
    big = "class Big:\n" + "".join(f"    x{i} = {i}\n" for i in range(limit))
    model = f"{fits}\n\n{big}"
    package = _package(
        tmp_path,
        {
            "commands/short.py": "x = 1\n" * arch_check.COMMAND_MAX_LINES,
            "commands/long.py": "x = 1\n" * (arch_check.COMMAND_MAX_LINES + 1),
            "model.py": model,
        },
    )
    big_at = model.splitlines().index("class Big:") + 1
    assert arch_check.problems(package) == [
        f"pkg/commands/long.py: command module has {arch_check.COMMAND_MAX_LINES + 1} lines "
        f"(at most {arch_check.COMMAND_MAX_LINES})",
        f"pkg/model.py:{big_at}: class Big has {limit + 1} lines (at most {limit})",
    ]


def test_main_prints_one_line_per_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = _package(tmp_path, {"a.py": "from pkg import b\n", "b.py": "import pkg.a\n"})
    assert arch_check.main([str(package)]) == 1
    assert capsys.readouterr().out == "import cycle: pkg.a -> pkg.b -> pkg.a\n"
    assert arch_check.main([str(_package(tmp_path / "ok", {"a.py": ""}))]) == 0
