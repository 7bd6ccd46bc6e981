"""convert (no uv): requires-python from the right place and said where; valid project names."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from reqconv.commands import CollectedOutput, WriteMode
from reqconv.commands.convert import ConvertOptions, run
from reqconv.errors import InputError
from tests._builders import write_files

HERE = f">={sys.version_info.major}.{sys.version_info.minor}"


def _service(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    return write_files(root, files)


def _convert(target: Path, **options: object) -> tuple[int, _Out]:
    out = CollectedOutput()
    mode = options.pop("mode", WriteMode())
    code = run(
        ConvertOptions(paths=(target,), lock=False, docker=False, mode=mode, **options),  # type: ignore[arg-type]
        out,
    )
    return code, _Out("\n".join(out.stdout), "\n".join(out.stderr))


class _Out:
    def __init__(self, stdout: str, stderr: str) -> None:
        self.stdout = stdout
        self.stderr = stderr


def _project(target: Path) -> dict[str, object]:
    data = tomllib.loads((target / "pyproject.toml").read_text())
    project = data["project"]
    assert isinstance(project, dict)
    return project


def _assert_idempotent(target: Path, **options: object) -> None:
    before = (target / "pyproject.toml").read_bytes()
    assert _convert(target, **options)[0] == 0
    assert (target / "pyproject.toml").read_bytes() == before
    assert _convert(target, mode=WriteMode(check=True), **options)[0] == 0


def test_dockerfile_in_docker_folder_gives_requires_python_and_says_where(tmp_path: Path) -> None:
    target = _service(
        tmp_path,
        {
            "requirements.txt": "django==6.1\n",
            "docker/Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\n",
        },
    )
    code, out = _convert(target)
    assert code == 0
    assert _project(target)["requires-python"] == ">=3.12"
    assert f'requires-python = ">=3.12" from {target / "docker" / "Dockerfile"}:1' in out.stderr
    _assert_idempotent(target)


def test_compose_built_dockerfile_above_the_service(tmp_path: Path) -> None:
    target = _service(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  api:\n    build:\n      context: .\n"
                "      dockerfile: deploy/api.Dockerfile\n"
            ),
            "deploy/api.Dockerfile": "FROM python:3.13\nCOPY backend/requirements.txt .\n",
            "backend/requirements.txt": "alpha\n",
        },
    )
    code, out = _convert(target / "backend", mode=WriteMode(json=True))
    assert code == 0
    report = json.loads(out.stdout)
    assert report["services"][0]["requires_python"] == {
        "value": ">=3.13",
        "from": "dockerfile",
        "location": f"{target / 'deploy' / 'api.Dockerfile'}:1",
        "detail": "Python 3.13 image",
        "sources": [
            {
                "version": "3.13",
                "from": "dockerfile",
                "location": f"{target / 'deploy' / 'api.Dockerfile'}:1",
                "detail": "Python 3.13 image",
                "admitted": True,
            }
        ],
    }


def test_no_python_anywhere_warns_that_the_interpreter_was_used(tmp_path: Path) -> None:
    target = _service(tmp_path, {"requirements.txt": "alpha\n"})
    code, out = _convert(target)
    assert code == 0
    assert _project(target)["requires-python"] == HERE
    assert "warning: " in out.stderr
    assert "is the Python running reqconv" in out.stderr
    # The second run keeps what the first wrote and no longer guesses.
    code, out = _convert(target)
    assert "running reqconv" not in out.stderr
    assert f'requires-python = "{HERE}" kept from {target / "pyproject.toml"}:4' in out.stderr


def test_runtime_txt(tmp_path: Path) -> None:
    target = _service(tmp_path, {"requirements.txt": "alpha\n", "runtime.txt": "python-3.11.4\n"})
    assert _convert(target)[0] == 0
    assert _project(target)["requires-python"] == ">=3.11"


def test_existing_project_without_requires_python_gets_it(tmp_path: Path) -> None:
    target = _service(
        tmp_path,
        {
            "requirements.txt": "alpha\n",
            "Dockerfile": "FROM python:3.12\n",
            "pyproject.toml": '[project]\nname = "plane"\n\n[tool.ruff]\nline-length = 120\n',
        },
    )
    assert _convert(target)[0] == 0
    assert _project(target)["requires-python"] == ">=3.12"
    assert "[tool.ruff]\nline-length = 120\n" in (target / "pyproject.toml").read_text()
    _assert_idempotent(target)


def test_existing_requires_python_is_kept_and_python_option_overrides(tmp_path: Path) -> None:
    target = _service(
        tmp_path,
        {
            "requirements.txt": "alpha\n",
            "Dockerfile": "FROM python:3.12\n",
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\nrequires-python = ">=3.9"\n',
        },
    )
    assert _convert(target)[0] == 0
    assert _project(target)["requires-python"] == ">=3.9"
    code, out = _convert(target, python="3.13")
    assert code == 0
    assert _project(target)["requires-python"] == ">=3.13"
    assert 'requires-python = ">=3.13" from --python' in out.stderr
    _assert_idempotent(target, python="3.13")


def test_bad_python_option_is_input_error_and_writes_nothing(tmp_path: Path) -> None:
    target = _service(tmp_path, {"requirements.txt": "alpha\n"})
    with pytest.raises(InputError, match="--python"):
        _convert(target, python="latest")
    assert not (target / "pyproject.toml").exists()


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        pytest.param("My.Service v2", "my-service-v2", id="space-and-dot"),
        pytest.param("api (old)", "api-old", id="parentheses"),
        pytest.param("_private_", "private", id="edge-underscores"),
        pytest.param("@@@", "app", id="nothing-left"),
        pytest.param("Backend", "backend", id="case"),
    ],
)
def test_folder_name_becomes_a_valid_project_name(
    tmp_path: Path, folder: str, expected: str
) -> None:
    target = _service(tmp_path / folder, {"requirements.txt": "alpha\n"})
    assert _convert(target)[0] == 0
    assert _project(target)["name"] == expected


def test_name_option_and_existing_name_kept(tmp_path: Path) -> None:
    target = _service(tmp_path / "svc", {"requirements.txt": "alpha\n"})
    assert _convert(target, name="billing-api")[0] == 0
    assert _project(target)["name"] == "billing-api"
    code, out = _convert(target, name="other")
    assert code == 0
    assert _project(target)["name"] == "billing-api"
    assert "--name other not applied" in out.stderr
    with pytest.raises(InputError, match="not a valid project name"):
        _convert(target, name="bad name")


def test_default_branch_and_a_ref_of_one_repository_keep_the_ref(tmp_path: Path) -> None:
    url = "git+https://github.com/HumanSignal/label-studio-ml-backend.git"
    target = _service(
        tmp_path,
        {
            "requirements-base.txt": f"label-studio-ml @ {url}\n",
            "requirements.txt": f"label-studio-ml @ {url}@master\n",
        },
    )
    code, out = _convert(target)
    assert code == 0
    data = tomllib.loads((target / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["sources"]["label-studio-ml"] == {
        "git": "https://github.com/HumanSignal/label-studio-ml-backend.git",
        "branch": "master",
    }
    assert f"{target / 'requirements.txt'}:1: info: label-studio-ml:" in out.stderr
    _assert_idempotent(target)


def test_two_refs_of_one_repository_are_still_a_conflict(tmp_path: Path) -> None:
    from reqconv.errors import ConflictError

    url = "git+https://github.com/example/lib.git"
    target = _service(
        tmp_path,
        {"requirements-base.txt": f"lib @ {url}@v1\n", "requirements.txt": f"lib @ {url}@v2\n"},
    )
    with pytest.raises(ConflictError, match="two different sources"):
        _convert(target)
    assert not (target / "pyproject.toml").exists()


def test_folder_named_like_a_dependency_gets_a_name_apart(tmp_path: Path) -> None:
    # label-studio's examples/easyocr/ depends on easyocr: a project named easyocr is read by uv as
    # its own dependency ("included as a workspace member"), and the lock fails.
    target = _service(tmp_path / "easyocr", {"requirements.txt": "EasyOCR==1.7\nalpha\n"})
    assert _convert(target)[0] == 0
    assert _project(target)["name"] == "easyocr-service"
    _assert_idempotent(target)
    with pytest.raises(InputError, match="--name alpha: the service depends on a package"):
        _convert(_service(tmp_path / "other", {"requirements.txt": "alpha\n"}), name="alpha")


def test_compose_build_args_lower_the_python_an_arg_default_names(tmp_path: Path) -> None:
    target = _service(
        tmp_path,
        {
            "docker-compose.yml": (
                "services:\n  api:\n    build:\n      context: .\n"
                "      args:\n        PYTHON_VERSION: '3.10'\n"
            ),
            "Dockerfile": (
                "ARG PYTHON_VERSION=3.12\nFROM python:${PYTHON_VERSION}-slim\n"
                "COPY requirements.txt .\n"
            ),
            "requirements.txt": "alpha\n",
        },
    )
    code, out = _convert(target, mode=WriteMode(json=True))
    assert code == 0
    python = json.loads(out.stdout)["services"][0]["requires_python"]
    assert (python["value"], python["from"]) == (">=3.10", "compose")
    assert python["location"].startswith(f"{target / 'docker-compose.yml'}:")
    assert [(s["version"], s["from"]) for s in python["sources"]] == [
        ("3.12", "dockerfile"),
        ("3.10", "compose"),
    ]


def test_a_workflow_matrix_is_a_source_in_the_output_and_json(tmp_path: Path) -> None:
    # The monorepo's api workflow tests 3.10 and 3.12 in apps/api; web's tests 3.9 elsewhere.
    target = _service(
        tmp_path,
        {
            "apps/api/requirements.txt": "alpha\n",
            "apps/api/Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\n",
            "apps/web/requirements.txt": "alpha\n",
            ".github/workflows/api.yml": (
                "jobs:\n"
                "  test:\n"
                "    defaults:\n"
                "      run:\n"
                "        working-directory: apps/api\n"
                "    strategy:\n"
                "      matrix:\n"
                "        python: [3.10, '3.12']\n"
                "    steps:\n"
                "      - uses: actions/setup-python@v5\n"
                "        with:\n"
                "          python-version: ${{ matrix.python }}\n"
            ),
            ".github/workflows/web.yml": (
                "jobs:\n"
                "  test:\n"
                "    steps:\n"
                "      - uses: actions/setup-python@v5\n"
                "        with:\n"
                "          python-version: '3.9'\n"
                "      - run: cd apps/web && pytest\n"
            ),
        },
    )
    api = target / "apps" / "api"
    workflow = target / ".github" / "workflows" / "api.yml"
    code, out = _convert(api, mode=WriteMode(json=True, dry_run=True))
    assert code == 0
    python = json.loads(out.stdout)["services"][0]["requires_python"]
    assert (python["value"], python["from"], python["location"], python["detail"]) == (
        ">=3.10",
        "workflow",
        f"{workflow}:8",
        "actions/setup-python python-version 3.10 from matrix.python",
    )
    assert [(s["version"], s["from"], s["location"], s["admitted"]) for s in python["sources"]] == [
        ("3.12", "dockerfile", f"{api / 'Dockerfile'}:1", True),
        ("3.10", "workflow", f"{workflow}:8", True),
        ("3.12", "workflow", f"{workflow}:8", True),
    ]
    code, out = _convert(api)
    assert code == 0
    assert _project(api)["requires-python"] == ">=3.10"
    assert (
        f'requires-python = ">=3.10" from {workflow}:8 (actions/setup-python python-version 3.10 '
        f"from matrix.python); also admits {api / 'Dockerfile'}:1 (Python 3.12 image), "
        f"{workflow}:8 (actions/setup-python python-version 3.12 from matrix.python)"
    ) in out.stderr
