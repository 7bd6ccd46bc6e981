"""``reqconv convert`` end to end with the real uv and the local index: requirements files in, a
service that ``uv pip sync --require-hashes`` installs exactly out; a second run changes nothing."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from reqconv import uv
from tests._builders import git_commit, make_source_tree
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of, pins_of, snapshot

pytestmark = pytest.mark.uv

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _service(root: Path) -> Path:
    service = root / "apps" / "svc"
    service.mkdir(parents=True)
    (service / "requirements.txt").write_text(
        textwrap.dedent(
            """\
            # runtime
            Beta==1.5
            gamma[extra]>=1.0  # with its extra
            delta ; python_version >= "3.8"
            """
        )
    )
    (service / "requirements-dev.txt").write_text("-r requirements.txt\neta==1.0\n")
    (service / "Dockerfile").write_text(
        textwrap.dedent(
            f"""\
            FROM python:{PY}-slim AS base
            WORKDIR /app
            COPY requirements.txt .
            RUN pip install --no-cache-dir -r requirements.txt

            FROM base AS dev
            COPY requirements-dev.txt .
            RUN pip install --no-cache-dir -r requirements-dev.txt
            CMD ["pytest"]
            """
        )
    )
    return service


def test_convert_locks_rewrites_and_syncs_exactly(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(tmp_path)
    monkeypatch.chdir(tmp_path)  # a relative PATH, as users type it
    assert exit_code_of(["convert", "apps/svc"]) == 0

    pyproject = (service / "pyproject.toml").read_text()
    assert '"beta==1.5"' in pyproject
    assert 'dev = [\n    "eta==1.0",\n]' in pyproject
    production = (service / "requirements.lock").read_text()
    # One universal lock: the dev pin eta==1.0 also fixes delta's eta in production.
    expected = {"alpha": "2.0", "beta": "1.5", "gamma": "1.2", "delta": "1.0", "eta": "1.0"}
    assert pins_of(production) == expected
    assert "--hash=sha256:" in production
    dev = (service / "requirements-dev.lock").read_text()
    assert pins_of(dev)["eta"] == "1.0"

    dockerfile = (service / "Dockerfile").read_text()
    assert "--mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock" in dockerfile
    assert "uv pip sync --require-hashes /tmp/requirements.lock" in dockerfile
    # dev is built FROM base: it adds to base's venv (a sync would remove what base put there)
    assert "uv pip install --require-hashes -r /tmp/requirements-dev.lock" in dockerfile
    assert "RUN pip install" not in dockerfile

    # The export installs exactly the locked set into a fresh venv.
    venv = tmp_path / "venv"
    uv_env.run("venv", "--python", sys.executable, str(venv), cwd=tmp_path)
    uv_env.run(
        "pip", "sync", "--require-hashes", "--python", str(venv), "requirements.lock", cwd=service
    )
    frozen = uv_env.run("pip", "freeze", "--python", str(venv), cwd=service)
    assert pins_of(frozen) == pins_of(production)

    # Idempotent: a second run writes nothing, and --check passes.
    before = snapshot(service)
    assert exit_code_of(["convert", "apps/svc"]) == 0
    assert snapshot(service) == before
    assert exit_code_of(["convert", "--check", "apps/svc"]) == 0


def test_failed_lock_leaves_the_service_as_it_was(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(tmp_path)
    with (service / "requirements.txt").open("a") as f:
        f.write("no-such-package>=1\n")
    before = snapshot(service)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "apps/svc"]) == 3
    assert snapshot(service) == before
    assert not any(name.startswith(".") for name in os.listdir(service))


def test_json_report_carries_the_lock_result(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _service(tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert exit_code_of(["convert", "--json", "apps/svc"]) == 0
    report = json.loads(capsys.readouterr().out)
    (service,) = report["services"]
    assert {"name": "beta", "version": "1.5"} in service["lock"]["kept"]
    assert "apps/svc/uv.lock" in service["written"]


def _git_repository(folder: Path, name: str, requires: list[str]) -> Path:
    """A project committed and tagged v1.0 in a new local repository (built offline by uv)."""
    make_source_tree(folder, name, "1.0", requires)
    git_commit(folder, f"{name} 1.0", "v1.0")
    return folder


def test_unnamed_git_url_is_named_by_uv_and_locked(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 7 item 1: no #egg=, no `name @`; the folder's name is not the package's.
    repo = _git_repository(tmp_path / "repos" / "kappa-fork", "kappa", ["alpha<2"])
    service = tmp_path / "svc"
    service.mkdir()
    (service / "requirements.txt").write_text(f"beta==1.5\ngit+{repo.as_uri()}@v1.0\n")

    assert exit_code_of(["convert", "--offline", "--json", str(service)]) == 0

    report = json.loads(capsys.readouterr().out)
    pyproject = (service / "pyproject.toml").read_text()
    assert 'dependencies = [\n    "beta==1.5",\n    "kappa",\n]' in pyproject
    assert f'kappa = {{ git = "{repo.as_uri()}", tag = "v1.0" }}' in pyproject
    lines = {line["location"]: line for line in report["services"][0]["lines"]}
    assert lines[f"{service / 'requirements.txt'}:2"]["outcome"] == "mapped"
    assert lines[f"{service / 'requirements.txt'}:2"]["key"] == "tool.uv.sources.kappa"
    production = (service / "requirements.lock").read_text()
    assert f"kappa @ git+{repo.as_uri()}@" in production
    assert pins_of(production)["alpha"] == "1.1"  # kappa's own alpha<2: its metadata was read

    before = snapshot(service)
    assert exit_code_of(["convert", "--offline", "--check", str(service)]) == 0
    assert snapshot(service) == before


def test_unreachable_unnamed_git_url_is_an_error_and_nothing_is_written(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = tmp_path / "svc"
    service.mkdir()
    gone = (tmp_path / "gone" / "lib.git").as_uri()
    (service / "requirements.txt").write_text(f"beta==1.5\ngit+{gone}@v2.0\n")
    (service / "Dockerfile").write_text(
        f"FROM python:{PY}-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    before = snapshot(service)

    assert exit_code_of(["convert", str(service)]) == 2

    err = capsys.readouterr().err
    assert (
        f"reqconv: error: {service / 'requirements.txt'}:2: cannot tell the package name of" in err
    )
    assert f"write it as 'NAME @ git+{gone}@v2.0' in the file, or pass --name-url NAME=" in err
    assert snapshot(service) == before  # no pyproject, no lock, the Dockerfile as it was

    # The way the message gives: the name on the command line.
    assert (
        exit_code_of(["convert", "--no-lock", "--name-url", f"lib=git+{gone}@v2.0", str(service)])
        == 0
    )
    assert f'lib = {{ git = "{gone}", tag = "v2.0" }}' in (service / "pyproject.toml").read_text()


def test_env_var_in_a_git_url_is_written_where_uv_expands_it(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Issue 7 item 2: `${VAR}` in [tool.uv.sources] reached uv as `$%7BVAR%7D`; uv expands it
    # only in a dependency's own URL (checked here by the real uv's lock).
    repos = tmp_path / "repos"
    repo = _git_repository(repos / "kappa", "kappa", ["alpha<2"])
    monkeypatch.setenv("SDK_REPOS", repos.as_posix())
    service = tmp_path / "svc"
    service.mkdir()
    (service / "requirements.txt").write_text("kappa @ git+file://${SDK_REPOS}/kappa@v1.0\n")

    assert exit_code_of(["convert", "--offline", "--json", str(service)]) == 0

    report = json.loads(capsys.readouterr().out)
    pyproject = (service / "pyproject.toml").read_text()
    assert '"kappa @ git+file://${SDK_REPOS}/kappa@v1.0",' in pyproject
    assert "tool.uv.sources" not in pyproject
    (svc,) = report["services"]
    (line,) = svc["lines"]
    assert (line["outcome"], line["key"]) == ("converted", "project.dependencies")
    codes = {d["code"]: d for d in svc["diagnostics"]}
    assert codes["url-from-env"]["location"] == f"{service / 'requirements.txt'}:1"
    lock_text = (service / "uv.lock").read_text()
    assert "%7B" not in lock_text
    assert f"kappa @ git+{repo.as_uri()}@" in (service / "requirements.lock").read_text()


_RECORDING_BACKEND = textwrap.dedent(
    """\
    import json, os, zipfile

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        with open(os.environ["REQCONV_SEEN_SETTINGS"], "w") as f:
            json.dump(config_settings, f)
        name = "rec-1.0-py3-none-any.whl"
        info = "rec-1.0.dist-info/"
        with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
            zf.writestr(info + "METADATA", "Metadata-Version: 2.1\\nName: rec\\nVersion: 1.0\\n")
            zf.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            zf.writestr(info + "RECORD", "")
        return name
    """
)


def test_per_line_config_settings_reach_the_build_backend_through_uv(
    uv_env: UvEnv, tmp_path: Path
) -> None:
    # Issue 7 item 8: `-C KEY=VALUE` -> [tool.uv] config-settings-package, which uv hands to the
    # package's build backend (checked by a backend that records what it was given).
    service = tmp_path / "svc"
    (service / "rec" / "_backend").mkdir(parents=True)
    (service / "rec" / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["_backend"]\n'
        '\n[project]\nname = "rec"\nversion = "1.0"\n'
    )
    (service / "rec" / "_backend" / "backend.py").write_text(_RECORDING_BACKEND)
    (service / "requirements.txt").write_text(
        "alpha==1.1\n./rec -C editable_mode=compat -C '--build-option=--a b'\n"
    )
    seen = tmp_path / "seen.json"

    assert exit_code_of(["convert", "--no-docker", str(service)]) == 0

    text = (service / "pyproject.toml").read_text()
    assert tomllib.loads(text)["tool"]["uv"]["config-settings-package"] == {
        "rec": {"editable_mode": "compat", "--build-option": "--a b"}
    }
    argv = [str(uv_env.uv), "sync", "--offline", "--project", str(service)]
    uv.run(argv, cwd=service, env={**uv_env.env, "REQCONV_SEEN_SETTINGS": str(seen)}, timeout=300)
    assert json.loads(seen.read_text()) == {"editable_mode": "compat", "--build-option": "--a b"}
