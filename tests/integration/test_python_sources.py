"""requires-python when the service's own files disagree (issue 15): real uv, local index.

The shape of the issue is `.python-version` 3.10 beside `FROM python:3.11-slim`; this machine has
one Python, the one running the tests (3.11 here), and uv may not download another. So the test
takes that Python for `.python-version` (what uv selects its interpreter from) and the next minor
for the image: the same disagreement, one minor up. With `>=` the image's Python (what convert
wrote before), uv refused the interpreter `.python-version` selects; now both are admitted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests._builders import make_wheel, write_flat_index
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of

pytestmark = pytest.mark.uv

LOCAL = f"{sys.version_info.major}.{sys.version_info.minor}"  # installed: runs the tests
IMAGE = f"{sys.version_info.major}.{sys.version_info.minor + 1}"  # named by the Dockerfile only


def _service(root: Path, requirements: str) -> Path:
    service = root / "svc"
    service.mkdir()
    (service / "requirements.txt").write_text(requirements)
    (service / ".python-version").write_text(f"{LOCAL}\n")
    (service / "Dockerfile").write_text(
        f"FROM python:{IMAGE}-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    return service


@pytest.fixture
def follows_python_version(uv_env: UvEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """uv picks its interpreter from `.python-version`, as on a developer's machine: no
    UV_PYTHON, and the tests' Python alone on PATH (no pyenv shim, which reads the file too)."""
    monkeypatch.delenv("UV_PYTHON")
    monkeypatch.setenv("PATH", str(Path(sys.executable).resolve().parent))


@pytest.mark.usefixtures("follows_python_version")
def test_convert_admits_every_python_the_service_names_and_locks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = _service(tmp_path, "beta\n")
    capsys.readouterr()
    assert exit_code_of(["convert", "--dry-run", "--no-docker", "--json", str(service)]) == 0
    report = json.loads(capsys.readouterr().out)
    python = report["services"][0]["requires_python"]
    assert (python["value"], python["from"], python["location"]) == (
        f">={LOCAL}",
        "python-version",
        f"{service / '.python-version'}:1",
    )
    assert [(s["version"], s["location"], s["admitted"]) for s in python["sources"]] == [
        (IMAGE, f"{service / 'Dockerfile'}:1", True),
        (LOCAL, f"{service / '.python-version'}:1", True),
    ]

    assert exit_code_of(["convert", "--no-docker", str(service)]) == 0
    err = capsys.readouterr().err
    assert (
        f'requires-python = ">={LOCAL}" from {service / ".python-version"}:1 ({LOCAL}); '
        f"also admits {service / 'Dockerfile'}:1 (Python {IMAGE} image)"
    ) in err
    assert f'requires-python = ">={LOCAL}"' in (service / "pyproject.toml").read_text()
    lock = (service / "uv.lock").read_text()
    assert f'requires-python = ">={LOCAL}"' in lock
    assert 'name = "beta"' in lock
    assert (service / "requirements.lock").is_file()


@pytest.mark.usefixtures("follows_python_version")
def test_a_pinned_package_above_the_lowest_python_stops_naming_both_lines(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `omega==1.0` supports only the image's Python: no requires-python admits both the Python
    # .python-version names and that pin; convert says so at both lines (exit 2), writes nothing
    index = tmp_path / "index"
    make_wheel(index, "omega", "1.0", python_requires=f">={IMAGE}")
    make_wheel(index, "alpha", "1.0")
    monkeypatch.setenv("UV_FIND_LINKS", write_flat_index(index).as_uri())
    service = _service(tmp_path, "alpha==1.0\nomega==1.0\n")
    before = {p.name: p.read_bytes() for p in service.iterdir()}
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", str(service)]) == 2
    err = capsys.readouterr().err
    first = next(line for line in err.splitlines() if line.startswith("reqconv: error:"))
    assert first.startswith(
        f"reqconv: error: {service / 'requirements.txt'}:2: omega==1.0 requires Python "
        f">={IMAGE}, but requires-python = '>={LOCAL}' (from {service / '.python-version'}:1 "
        f"({LOCAL}); also admits {service / 'Dockerfile'}:1 (Python {IMAGE} image)) has the "
        f"service run on Python {LOCAL} too"
    )
    assert {p.name: p.read_bytes() for p in service.iterdir()} == before  # all restored


def test_a_workflow_matrix_below_a_pin_stops_naming_the_workflow_line(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The CI matrix tests 3.8, and omega==1.0 needs >=3.10: no requires-python admits both the
    # Python the workflow tests and that pin; convert names both lines (exit 2), writes nothing.
    index = tmp_path / "index"
    make_wheel(index, "omega", "1.0", python_requires=">=3.10")
    make_wheel(index, "alpha", "1.0")
    monkeypatch.setenv("UV_FIND_LINKS", write_flat_index(index).as_uri())
    service = tmp_path / "svc"
    (service / ".git").mkdir(parents=True)
    (service / "requirements.txt").write_text("alpha==1.0\nomega==1.0\n")
    workflow = service / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: [push]\n"
        "jobs:\n"
        "  test:\n"
        "    strategy:\n"
        "      matrix:\n"
        "        python-version:\n"
        "          - 3.8\n"
        f"          - {LOCAL}\n"
        "    steps:\n"
        "      - uses: actions/setup-python@v5\n"
        "        with:\n"
        "          python-version: ${{ matrix.python-version }}\n"
    )
    before = {p.name: p.read_bytes() for p in service.iterdir() if p.is_file()}
    capsys.readouterr()
    assert exit_code_of(["convert", "--no-docker", str(service)]) == 2
    err = capsys.readouterr().err
    first = next(line for line in err.splitlines() if line.startswith("reqconv: error:"))
    assert first.startswith(
        f"reqconv: error: {service / 'requirements.txt'}:2: omega==1.0 requires Python >=3.10, "
        f"but requires-python = '>=3.8' (from {workflow}:7 (actions/setup-python python-version "
        f"3.8 from matrix.python-version); also admits {workflow}:8 (actions/setup-python "
        f"python-version {LOCAL} from matrix.python-version)) has the service run on Python 3.8 "
        "too"
    )
    assert {p.name: p.read_bytes() for p in service.iterdir() if p.is_file()} == before
