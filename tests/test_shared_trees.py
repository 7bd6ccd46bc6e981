"""Without ``../shared/corpus`` and ``../shared/services``, their tests fail under CI and skip,
saying why, elsewhere: never vanish. The suite's corpus and services modules run from a copy of
``tests/`` in a folder with no ``shared`` beside it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Every module that reads a shared tree, and one test of each.
MODULES = {
    "tests/requirements/test_corpus_parse.py": "corpus",
    "tests/test_corpus_convert.py": "corpus",
    "tests/docker/test_corpus_docker.py": "corpus",
    "tests/drift/test_check_services.py": "services",
    "tests/test_services_convert.py": "services",
    "tests/docker/test_builds.py::test_every_context_of_the_services": "services",
}


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("no-shared") / "checkout"
    shutil.copytree(ROOT / "tests", root / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "fixtures", root / "fixtures")
    shutil.copy(ROOT / "pyproject.toml", root)
    assert not (root.parent / "shared").exists()
    return root


def _outcomes(root: Path, ci: str | None) -> tuple[int, dict[str, set[str]], str]:
    """pytest's exit code, each module's outcomes (PASSED, FAILED, SKIPPED, ERROR: a failure in
    set-up), and its output."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rs", *MODULES],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, set[str]] = {module.split("::")[0]: set() for module in MODULES}
    for module, outcome in re.findall(
        r"^(tests/[\w/]+\.py)::\S+ (PASSED|FAILED|SKIPPED|ERROR)", run.stdout, re.M
    ):
        found[module].add(outcome)
    return run.returncode, found, run.stdout + run.stderr


@pytest.mark.slow
def test_under_ci_every_module_fails(copy: Path) -> None:
    code, found, output = _outcomes(copy, "true")
    assert code == 1, output
    assert all(outcomes == {"ERROR"} for outcomes in found.values()), (found, output)
    assert "CI is set and " in output
    assert "shared/corpus/requirements is missing" in output
    assert "shared/services is missing" in output


@pytest.mark.slow
def test_elsewhere_every_module_skips_with_the_reason(copy: Path) -> None:
    code, found, output = _outcomes(copy, None)
    assert code == 0, output
    assert all(outcomes == {"SKIPPED"} for outcomes in found.values()), (found, output)
    assert "shared/services is missing (the shared trees must be beside the checkout)" in output


@pytest.mark.parametrize(
    ("value", "ci"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("false", False), ("0", False)],
)
def test_what_counts_as_ci(monkeypatch: pytest.MonkeyPatch, value: str, ci: bool) -> None:
    from tests import _shared

    monkeypatch.setenv("CI", value)
    assert _shared.in_ci() is ci
