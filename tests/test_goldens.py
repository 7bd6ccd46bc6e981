"""Golden tests cannot rewrite their fixtures and pass, whatever the environment says.

The suite runs in a copy of ``tests/``, ``fixtures/`` and ``pyproject.toml`` with one golden made
stale, so the checkout's own fixtures are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path("fixtures/monorepo/apps/worker/pyproject.expected.toml")
TEST = "tests/commands/test_convert.py::test_golden_pyproject"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("tests", "fixtures"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / GOLDEN).write_text("# stale\n")
    return tmp_path


def _pytest(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
        cwd=root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_an_exported_variable_does_not_rewrite_goldens(copy: Path) -> None:
    run = _pytest(copy, REQCONV_UPDATE_GOLDENS="1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert (copy / GOLDEN).read_text() == "# stale\n"


@pytest.mark.slow
def test_update_goldens_rewrites_and_fails_then_the_next_run_passes(copy: Path) -> None:
    # --update-goldens from the environment (PYTEST_ADDOPTS) rewrites, but the run does not pass.
    run = _pytest(copy, PYTEST_ADDOPTS="--update-goldens")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"rewrote {copy / GOLDEN}: review the diff" in run.stdout
    assert (copy / GOLDEN).read_bytes() == (ROOT / GOLDEN).read_bytes()
    again = _pytest(copy)
    assert again.returncode == 0, again.stdout + again.stderr
