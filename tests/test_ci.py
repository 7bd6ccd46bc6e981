"""CI runs what the README tells a new user to run, and the lock it installs from is true."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.DOTALL)


def test_ci_runs_the_readme_test_command_exactly() -> None:
    test_command = _readme_commands()[1]
    assert "uv sync --locked" in test_command
    assert "pytest" in test_command
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
    for env in ("newest", "lowest"):
        assert "for env in newest lowest" in ci or f"test-env.sh {env}" in ci


def test_the_committed_lock_names_every_declared_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"] for p in lock["package"]}
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    for requirement in declared:
        name = re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in locked, f"{name} is declared in pyproject.toml but not in uv.lock"
