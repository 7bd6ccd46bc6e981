"""``-e .``, the service itself: which build system the folder has, what setup.py declares, and
what convert writes for it (``package = true``, ``dynamic``; an error when a dependency would be
lost; a warning when nothing can be built)."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from reqconv.commands import CollectedOutput, WriteMode
from reqconv.commands.convert import ConvertOptions, run
from reqconv.errors import InputError, Location
from reqconv.project import selfproject


def _convert(root: Path, out: CollectedOutput | None = None) -> int:
    options = ConvertOptions(paths=(root,), lock=False, docker=False, mode=WriteMode())
    return run(options, out or CollectedOutput())


def _setup_py(root: Path, install_requires: str = '["beta>=1"]') -> None:
    (root / "setup.py").write_text(
        textwrap.dedent(
            f"""\
            from setuptools import setup

            setup(
                name="svc",
                version="3.1",
                install_requires={install_requires},
                entry_points={{"console_scripts": ["svc=svc:main"]}},
            )
            """
        )
    )


def test_build_system_is_the_pyproject_table_then_setup_files(tmp_path: Path) -> None:
    assert selfproject.build_system(tmp_path, "") is None
    assert selfproject.build_system(tmp_path, "[tool.black]\n") is None
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = svc\n")
    found = selfproject.build_system(tmp_path, "[tool.black]\n")
    assert found == selfproject.BuildSystem(
        kind="setuptools", origin=Location(tmp_path / "setup.cfg")
    )
    found = selfproject.build_system(tmp_path, '[build-system]\nrequires = ["hatchling"]\n')
    assert found is not None
    assert found.kind == "pyproject"


def test_declared_reads_literal_install_requires_and_names_the_rest(tmp_path: Path) -> None:
    _setup_py(tmp_path, '["beta>=1", "gamma[extra]"]')
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = svc\n\n[options]\ninstall_requires =\n    delta  # db\n    eta\n"
    )
    found, unreadable = selfproject.declared(tmp_path)
    assert [(d.requirement, d.origin.line) for d in found] == [
        ("beta>=1", 6),
        ("gamma[extra]", 6),
        ("delta", 5),
        ("eta", 5),
    ]
    assert unreadable == []
    _setup_py(tmp_path, "REQUIREMENTS")
    (tmp_path / "setup.cfg").unlink()
    found, unreadable = selfproject.declared(tmp_path)
    assert found == []
    assert unreadable == [Location(tmp_path / "setup.py", 6)]


def test_setup_py_project_becomes_a_package_with_setup_py_metadata(tmp_path: Path) -> None:
    _setup_py(tmp_path)
    (tmp_path / "requirements.txt").write_text("beta==1.5\n-e .\n")
    out = CollectedOutput()
    assert _convert(tmp_path, out) == 0
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["package"] is True
    assert data["project"]["name"] == "svc"  # setup.py's, not the folder's
    assert "version" not in data["project"]  # setup.py's 3.1, not reqconv's 0.1.0
    assert data["project"]["dynamic"] == ["version", "scripts", "gui-scripts", "entry-points"]
    assert data["project"]["dependencies"] == ["beta==1.5"]
    err = "".join(out.stderr)
    assert f"{tmp_path / 'requirements.txt'}:2: info:" in err
    assert "package = true" in err
    assert _convert(tmp_path) == 0  # idempotent
    options = ConvertOptions(
        paths=(tmp_path,), lock=False, docker=False, mode=WriteMode(check=True)
    )
    assert run(options, CollectedOutput()) == 0


@pytest.mark.parametrize("install_requires", ['["beta", "gamma>=1"]', "REQUIREMENTS"])
def test_setup_py_dependency_that_would_be_lost_fails_at_its_line(
    tmp_path: Path, install_requires: str
) -> None:
    _setup_py(tmp_path, install_requires)
    (tmp_path / "requirements.txt").write_text("beta==1.5\n-e .\n")
    with pytest.raises(InputError) as info:
        _convert(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'setup.py'}:6:")
    assert not (tmp_path / "pyproject.toml").exists()


def test_existing_pyproject_without_build_system_gets_package_true(tmp_path: Path) -> None:
    _setup_py(tmp_path, "[]")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "3.1"\n')
    (tmp_path / "requirements.txt").write_text("-e .\n")
    assert _convert(tmp_path) == 0
    data = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["package"] is True
    assert data["project"]["version"] == "3.1"


def test_package_false_in_an_existing_pyproject_is_said(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "svc"\nversion = "1"\n\n[tool.uv]\npackage = false\n'
    )
    (tmp_path / "requirements.txt").write_text("-e .\n")
    out = CollectedOutput()
    assert _convert(tmp_path, out) == 0
    err = "".join(out.stderr)
    assert f"{tmp_path / 'requirements.txt'}:1: warning:" in err
    assert "package = false" in err


def test_no_build_system_keeps_package_false_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-e .\n")
    out = CollectedOutput()
    assert _convert(tmp_path, out) == 0
    assert "package = false" in (tmp_path / "pyproject.toml").read_text()
    assert "no build system" in "".join(out.stderr)


def test_dockerfile_installs_the_project_after_each_lock_that_holds_the_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "svc"\nversion = "1"\n'
    )
    (tmp_path / "requirements.txt").write_text("beta==1.5\n.\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\neta==1.0\n")
    (tmp_path / "requirements-docs.txt").write_text("gamma==1.0\n")
    (tmp_path / "Dockerfile").write_text(
        textwrap.dedent(
            """\
            FROM python:3.12-slim AS base
            WORKDIR /app
            COPY . .
            RUN pip install -r requirements.txt

            FROM base AS dev
            RUN pip install -r requirements-dev.txt

            FROM base AS docs
            RUN pip install -r requirements-docs.txt
            """
        )
    )
    options = ConvertOptions(paths=(tmp_path,), lock=False, mode=WriteMode())
    assert run(options, CollectedOutput()) == 0
    dockerfile = (tmp_path / "Dockerfile").read_text()
    # production (its sync moved before the COPY, the project's install after it) and dev
    assert "COPY . .\nRUN --mount=from=ghcr.io" in dockerfile
    assert dockerfile.count("uv pip install --no-deps .\n") == 2
    assert "requirements-docs.lock\n" in dockerfile  # docs does not include the line
    before = dockerfile
    assert run(options, CollectedOutput()) == 0
    assert (tmp_path / "Dockerfile").read_text() == before


def test_setup_py_project_line_is_installed_in_the_image_as_written(tmp_path: Path) -> None:
    _setup_py(tmp_path)
    (tmp_path / "requirements.txt").write_text("beta==1.5\n-e .\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    )
    out = CollectedOutput()
    options = ConvertOptions(paths=(tmp_path,), lock=False, mode=WriteMode())
    assert run(options, out) == 0
    assert (tmp_path / "Dockerfile").read_text().endswith("    uv pip install --no-deps -e .\n")
    err = "".join(out.stderr)
    assert "info: '-e .' installs the project itself: " in err
    assert err.count("installs the project itself") == 1
