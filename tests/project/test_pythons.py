"""pythons: where requires-python comes from (Dockerfiles, .python-version, runtime.txt, ...)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from reqconv.errors import InputError, Location
from reqconv.project import pythons


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_lowest_python_of_any_stage_of_any_dockerfile(tmp_path: Path) -> None:
    prod = _write(
        tmp_path / "Dockerfile.prod",
        "FROM python:3.13-slim AS build\nRUN true\nFROM python:3.12-slim\n",
    )
    dev = _write(tmp_path / "docker" / "dev.Dockerfile", "FROM node:22\nFROM python:3.14\n")
    choice = pythons.choose(tmp_path, dockerfiles=[prod, dev])
    assert (choice.requires_python, choice.how) == (">=3.12", "dockerfile")
    assert choice.location == Location(prod, 3)
    assert choice.describe() == (
        f'requires-python = ">=3.12" from {prod}:3 (Python 3.12 image); also admits '
        f"{prod}:1 (Python 3.13 image), {dev}:2 (Python 3.14 image)"
    )


def test_the_lowest_of_disagreeing_sources_admits_them_all(tmp_path: Path) -> None:
    # issue 15: .python-version 3.10 (local development), FROM python:3.11-slim (production):
    # >=3.11 from the Dockerfile made uv refuse the 3.10 that .python-version selects
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.11-slim\n")
    version_file = _write(tmp_path / ".python-version", "3.10\n")
    runtime = _write(tmp_path / "runtime.txt", "python-3.12.1\n")
    choice = pythons.choose(tmp_path, dockerfiles=[dockerfile])
    assert (choice.requires_python, choice.how, choice.location) == (
        ">=3.10",
        "python-version",
        Location(version_file, 1),
    )
    assert [(s.version, s.how, s.location) for s in choice.sources] == [
        ("3.11", "dockerfile", Location(dockerfile, 1)),
        ("3.10", "python-version", Location(version_file, 1)),
        ("3.12", "runtime-txt", Location(runtime, 1)),
    ]
    assert choice.excluded() == []
    assert choice.describe() == (
        f'requires-python = ">=3.10" from {version_file}:1 (3.10); also admits '
        f"{dockerfile}:1 (Python 3.11 image), {runtime}:1 (python-3.12.1)"
    )


def test_option_and_existing_value_report_the_sources_they_exclude(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    version_file = _write(tmp_path / ".python-version", "3.10\n")
    by_option = pythons.choose(tmp_path, dockerfiles=[dockerfile], option="3.11")
    assert by_option.requires_python == ">=3.11"
    assert [s.location for s in by_option.excluded()] == [Location(version_file, 1)]
    assert "also admits " + f"{dockerfile}:1" in by_option.describe()
    kept = pythons.choose(
        tmp_path,
        dockerfiles=[dockerfile],
        existing=">=3.12",
        pyproject_text='[project]\nrequires-python = ">=3.12"\n',
    )
    assert [s.location for s in kept.excluded()] == [Location(version_file, 1)]


def test_compose_build_args_name_the_python_a_from_runs(tmp_path: Path) -> None:
    from reqconv.docker.builds import Build

    dockerfile = _write(
        tmp_path / "Dockerfile",
        "ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}-slim\nRUN true\n",
    )
    compose = Location(tmp_path / "docker-compose.yml", 4)
    build = Build(
        dockerfile=dockerfile,
        context=tmp_path,
        how="compose",
        origin=compose,
        args=(("PYTHON_VERSION", "3.10"), ("OTHER", "x")),
    )
    choice = pythons.choose(tmp_path, dockerfiles=[dockerfile], builds=[build])
    assert (choice.requires_python, choice.how, choice.location) == (">=3.10", "compose", compose)
    assert choice.detail == "build.args PYTHON_VERSION=3.10: Dockerfile:2 runs python:3.10-slim"
    # an arg the Dockerfile does not declare before FROM changes nothing
    other = Build(
        dockerfile=dockerfile, context=tmp_path, how="compose", origin=compose, args=(("X", "1"),)
    )
    assert pythons.choose(tmp_path, dockerfiles=[dockerfile], builds=[other]).how == "dockerfile"


def test_python_version_file_above_the_service_up_to_the_top(tmp_path: Path) -> None:
    _write(tmp_path / ".python-version", "# pinned\n3.10.13\n")
    service = tmp_path / "backend"
    service.mkdir()
    choice = pythons.choose(service, dockerfiles=[], top=tmp_path)
    assert (choice.requires_python, choice.how) == (">=3.10", "python-version")
    assert choice.location == Location(tmp_path / ".python-version", 2)
    # Not above the top.
    assert pythons.choose(service, dockerfiles=[], top=service).how == "interpreter"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("python-3.11.4\n", ">=3.11", id="heroku"),
        pytest.param("\npython-3.9\n", ">=3.9", id="leading-blank"),
    ],
)
def test_runtime_txt(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path / "runtime.txt", text)
    choice = pythons.choose(tmp_path, dockerfiles=[])
    assert (choice.requires_python, choice.how, choice.location) == (
        expected,
        "runtime-txt",
        Location(path, text.count("\n", 0, text.index("python")) + 1),
    )


def test_existing_requires_python_is_kept_with_its_line(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    text = '[project]\nname = "x"\nrequires-python = ">=3.9,<4"\n'
    choice = pythons.choose(
        tmp_path, dockerfiles=[dockerfile], existing=">=3.9,<4", pyproject_text=text
    )
    assert (choice.requires_python, choice.how) == (">=3.9,<4", "pyproject")
    assert choice.location == Location(tmp_path / "pyproject.toml", 3)


def test_option_overrides_everything(tmp_path: Path) -> None:
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.12\n")
    choice = pythons.choose(tmp_path, dockerfiles=[dockerfile], option="3.13", existing=">=3.9")
    assert (choice.requires_python, choice.how) == (">=3.13", "option")
    assert choice.describe() == 'requires-python = ">=3.13" from --python (3.13)'


@pytest.mark.parametrize("value", ["3", "three", "2.7", ""])
def test_bad_option_is_input_error(value: str) -> None:
    with pytest.raises(InputError, match="--python"):
        pythons.parse_option(value)


def test_interpreter_fallback_says_so(tmp_path: Path) -> None:
    _write(tmp_path / "Dockerfile", "FROM ubuntu:24.04\n")
    choice = pythons.choose(tmp_path, dockerfiles=[tmp_path / "Dockerfile"])
    assert choice.how == "interpreter"
    assert choice.requires_python == f">={sys.version_info.major}.{sys.version_info.minor}"
    assert "the Python running reqconv" in choice.describe()


@pytest.mark.parametrize(
    ("text", "version", "line", "detail"),
    [
        pytest.param(
            "FROM tiangolo/uvicorn-gunicorn-fastapi:python3.10\n",
            "3.10",
            1,
            "tiangolo/uvicorn-gunicorn-fastapi:python3.10, a Python 3.10 image",
            id="image-tag",
        ),
        pytest.param(
            "FROM ubuntu:24.04\nRUN add-apt-repository ppa:deadsnakes/ppa && \\\n"
            "    apt-get install -y --no-install-recommends gcc python3.12 python3.12-venv\n",
            "3.12",
            2,
            "installs Python 3.12",
            id="deadsnakes",
        ),
        pytest.param(
            "FROM kernai/parent:v1\nRUN python3.9 -m pip install -r gpu-requirements.txt\n",
            "3.9",
            2,
            "runs Python 3.9",
            id="python-x-y-m-pip",
        ),
        pytest.param(
            "ARG PY=3.11\nFROM python:${PY}-slim AS base\nFROM base\nRUN uv python install 3.13\n",
            "3.11",
            2,
            "Python 3.11 image",
            id="lowest-of-image-and-install",
        ),
    ],
)
def test_other_ways_a_dockerfile_names_its_python(
    tmp_path: Path, text: str, version: str, line: int, detail: str
) -> None:
    path = _write(tmp_path / "Dockerfile", text)
    choice = pythons.from_dockerfiles([path])
    assert choice is not None
    assert (choice.requires_python, choice.location, choice.detail) == (
        f">={version}",
        Location(path, line),
        detail,
    )


def test_images_that_say_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "Dockerfile", "FROM pytorch/pytorch:2.1.2-cuda12.1-cudnn8-runtime\n")
    assert pythons.from_dockerfiles([path]) is None


def test_pip_compile_header_after_dockerfiles(tmp_path: Path) -> None:
    compiled = _write(
        tmp_path / "requirements.txt",
        "#\n# This file is autogenerated by pip-compile with Python 3.9\n# by the following\n",
    )
    choice = pythons.choose(tmp_path, dockerfiles=[], compiled=[compiled])
    assert (choice.requires_python, choice.how, choice.location) == (
        ">=3.9",
        "compiled",
        Location(compiled, 2),
    )
    dockerfile = _write(tmp_path / "Dockerfile", "FROM python:3.11\n")
    assert (
        pythons.choose(tmp_path, dockerfiles=[dockerfile], compiled=[compiled]).how == "dockerfile"
    )


def test_a_source_the_option_excludes_is_a_warning_at_its_line(tmp_path: Path) -> None:
    from reqconv.project.meta import project_meta

    version_file = _write(tmp_path / ".python-version", "3.10\n")
    meta, _choice, diagnostics = project_meta(tmp_path, python="3.12")
    assert meta.requires_python == ">=3.12"
    assert [(d.code, d.location) for d in diagnostics] == [
        ("python-excluded", Location(version_file, 1))
    ]
    assert 'requires-python = ">=3.12" (--python) excludes' in diagnostics[0].message
    assert "Python 3.10" in diagnostics[0].message


# --------------------------------------------------------------------------------------------
# GitHub Actions workflows: the Pythons a job tests


def _workflow(top: Path, text: str, name: str = "ci.yml") -> Path:
    return _write(top / ".github" / "workflows" / name, textwrap.dedent(text))


def _workflow_sources(root: Path, top: Path) -> list[tuple[str, int | None, str]]:
    return [
        (s.version, s.location.line if s.location else None, s.detail)
        for s in pythons.sources(root, dockerfiles=[], top=top)
        if s.how == "workflow"
    ]


def test_workflow_literal_python_version_at_its_line(tmp_path: Path) -> None:
    path = _workflow(
        tmp_path,
        """\
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
        """,
    )
    choice = pythons.choose(tmp_path, dockerfiles=[], top=tmp_path)
    assert (choice.requires_python, choice.how, choice.location) == (
        ">=3.11",
        "workflow",
        Location(path, 9),
    )
    assert choice.describe() == (
        f'requires-python = ">=3.11" from {path}:9 (actions/setup-python python-version 3.11)'
    )


def test_workflow_version_written_as_a_yaml_float_keeps_its_text(tmp_path: Path) -> None:
    # `python-version: 3.10` unquoted is the float 3.1 to a YAML loader; the text is 3.10
    _workflow(
        tmp_path,
        """\
        jobs:
          test:
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: 3.10
        """,
    )
    assert _workflow_sources(tmp_path, tmp_path) == [
        ("3.10", 6, "actions/setup-python python-version 3.10")
    ]


def test_workflow_multi_line_python_version_one_source_a_line(tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        """\
        jobs:
          test:
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: |
                    3.12
                    3.9
        """,
    )
    assert _workflow_sources(tmp_path, tmp_path) == [
        ("3.12", 7, "actions/setup-python python-version 3.12"),
        ("3.9", 8, "actions/setup-python python-version 3.9"),
    ]
    assert pythons.choose(tmp_path, dockerfiles=[], top=tmp_path).requires_python == ">=3.9"


def test_workflow_matrix_and_include_each_value_at_its_line(tmp_path: Path) -> None:
    path = _workflow(
        tmp_path,
        """\
        jobs:
          test:
            strategy:
              matrix:
                os: [ubuntu-latest]
                python-version: [3.9, 3.10, "3.11", pypy3.10, 3.x]
                include:
                  - python-version: "3.13-dev"
                  - os: windows-latest
                    python-version: 3.8
                exclude:
                  - python-version: 3.9
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ matrix.python-version }}
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.12"
        """,
    )
    via = "actions/setup-python python-version"
    assert _workflow_sources(tmp_path, tmp_path) == [
        ("3.9", 6, f"{via} 3.9 from matrix.python-version"),
        ("3.10", 6, f"{via} 3.10 from matrix.python-version"),
        ("3.11", 6, f"{via} 3.11 from matrix.python-version"),
        ("3.13", 8, f"{via} 3.13-dev from matrix.include"),
        ("3.8", 10, f"{via} 3.8 from matrix.include"),
        ("3.12", 19, f"{via} 3.12"),
    ]
    choice = pythons.choose(tmp_path, dockerfiles=[], top=tmp_path)
    assert (choice.requires_python, choice.location) == (">=3.8", Location(path, 10))


def test_workflow_env_and_setup_uv_and_one_source_per_file_and_version(tmp_path: Path) -> None:
    _workflow(
        tmp_path,
        """\
        env:
          PYTHON_VERSION: "3.12"
        jobs:
          lint:
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: ${{ env.PYTHON_VERSION }}
          test:
            steps:
              - uses: astral-sh/setup-uv@v6
                with:
                  python-version: 3.12
              - uses: actions/setup-python@v5
                with:
                  python-version-file: .python-version
        """,
    )
    assert _workflow_sources(tmp_path, tmp_path) == [
        ("3.12", 2, "actions/setup-python python-version 3.12 from env.PYTHON_VERSION")
    ]


def test_workflow_of_another_service_of_a_monorepo_does_not_count(tmp_path: Path) -> None:
    api = tmp_path / "apps" / "api"
    web = tmp_path / "apps" / "web"
    api.mkdir(parents=True)
    web.mkdir(parents=True)
    _workflow(
        tmp_path,
        """\
        on:
          push:
            paths: ["apps/web/**", ".github/workflows/web.yml"]
        jobs:
          test:
            defaults:
              run:
                working-directory: apps/web
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.9"
              - run: pip install -r requirements.txt && pytest
        """,
        name="web.yml",
    )
    assert _workflow_sources(api, tmp_path) == []
    assert [v for v, _line, _detail in _workflow_sources(web, tmp_path)] == ["3.9"]
    assert pythons.choose(api, dockerfiles=[], top=tmp_path).how == "interpreter"


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(
            "    defaults:\n      run:\n        working-directory: apps/api\n", id="job-defaults"
        ),
        pytest.param(
            "    steps:\n      - run: pytest\n        working-directory: ./apps/api/tests\n",
            id="step-working-directory",
        ),
        pytest.param(
            "    steps:\n      - run: |\n          pip install -r apps/api/requirements.txt\n",
            id="run-names-a-path-inside",
        ),
        pytest.param("    steps:\n      - run: cd apps/api && pytest\n", id="run-cd"),
    ],
)
def test_workflow_job_pointing_at_the_service_counts(tmp_path: Path, job: str) -> None:
    api = tmp_path / "apps" / "api"
    api.mkdir(parents=True)
    steps = (
        "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.10'\n"
    )
    text = "jobs:\n  test:\n" + job + ("" if "steps:" in job else "    steps:\n") + steps
    path = _workflow(tmp_path, text)
    choice = pythons.choose(api, dockerfiles=[], top=tmp_path)
    assert (choice.requires_python, choice.how) == (">=3.10", "workflow")
    assert choice.location == Location(path, text.count("\n"))


def test_workflow_paths_filter_naming_the_service_counts(tmp_path: Path) -> None:
    api = tmp_path / "apps" / "api"
    api.mkdir(parents=True)
    _workflow(
        tmp_path,
        """\
        on:
          pull_request:
            paths:
              - "apps/**/*.md"
              - "apps/api/**"
        jobs:
          test:
            steps:
              - uses: actions/setup-python@v5
                with:
                  python-version: "3.11"
        """,
    )
    assert [v for v, _line, _detail in _workflow_sources(api, tmp_path)] == ["3.11"]
    # a pattern whose folder is above the service (apps/**/*.md) does not name it
    assert _workflow_sources(tmp_path / "apps" / "api2", tmp_path) == []


def test_workflow_locations_are_spelled_from_the_service_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "apps" / "api").mkdir(parents=True)
    _workflow(
        tmp_path,
        "jobs:\n  t:\n    defaults:\n      run:\n        working-directory: apps/api\n"
        "    steps:\n      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: '3.12'\n",
    )
    monkeypatch.chdir(tmp_path)
    choice = pythons.choose(Path("apps/api"), dockerfiles=[], top=tmp_path)
    assert choice.location == Location(Path(".github/workflows/ci.yml"), 9)


def test_workflow_that_is_not_yaml_is_skipped(tmp_path: Path) -> None:
    _workflow(tmp_path, "jobs: [\n")
    assert _workflow_sources(tmp_path, tmp_path) == []
