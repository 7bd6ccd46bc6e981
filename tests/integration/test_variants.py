"""Alternative requirement sets (docs/variants.md) with the real uv and the local index: two images
whose files pin one package to two versions convert, lock and export one set each; each export
installs exactly what its file pinned, each Dockerfile syncs its own set, and ``reqconv check`` is
clean afterwards."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of, pins_of, snapshot

pytestmark = pytest.mark.uv

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _dockerfile(requirements: str) -> str:
    return textwrap.dedent(
        f"""\
        FROM python:{PY}-slim
        WORKDIR /app
        COPY {requirements} .
        RUN pip install --no-cache-dir -r {requirements}
        COPY . .
        """
    )


def _api_and_worker(root: Path) -> Path:
    """An API image and a worker image: ``alpha`` and ``beta`` pinned apart, ``eta`` alike."""
    service = root / "svc"
    service.mkdir()
    (service / "requirements.txt").write_text("alpha==1.0\nbeta==1.0\neta==1.0\n")
    (service / "requirements-worker.txt").write_text(
        "alpha==2.0\nbeta==2.0\neta==1.0\ngamma==1.2\n"
    )
    (service / "Dockerfile.api").write_text(_dockerfile("requirements.txt"))
    (service / "Dockerfile.worker").write_text(_dockerfile("requirements-worker.txt"))
    return service


def _cpu_and_gpu(root: Path) -> Path:
    """Two complete sets that share no entry: ``requirements.txt`` and ``gpu-requirements.txt``."""
    service = root / "embedder"
    service.mkdir()
    (service / "requirements.txt").write_text("alpha==1.0\neta==1.0\n")
    (service / "gpu-requirements.txt").write_text("alpha==2.0\neta==1.1\nbeta==2.0\n")
    (service / "Dockerfile").write_text(_dockerfile("requirements.txt"))
    (service / "gpu.Dockerfile").write_text(_dockerfile("gpu-requirements.txt"))
    return service


def _installed(uv_env: UvEnv, service: Path, lock: str, venv: Path) -> dict[str, str]:
    """What ``uv pip sync --require-hashes`` of ``lock`` installs into a fresh venv."""
    uv_env.run("venv", "--python", sys.executable, str(venv), cwd=service)
    uv_env.run("pip", "sync", "--require-hashes", "--python", str(venv), lock, cwd=service)
    return pins_of(uv_env.run("pip", "freeze", "--python", str(venv), cwd=service))


def test_two_images_pinning_one_package_apart_get_one_export_each(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = _api_and_worker(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "svc"]) == 0
    output = capsys.readouterr()
    assert "requirements.txt is the alternative set 'api' (installed alone by Dockerfile.api)" in (
        output.err
    )

    data = tomllib.loads((service / "pyproject.toml").read_text())
    assert data["project"]["dependencies"] == ["eta==1.0"]
    assert data["dependency-groups"] == {
        "api": ["alpha==1.0", "beta==1.0"],
        "worker": ["alpha==2.0", "beta==2.0", "gamma==1.2"],
    }
    assert data["tool"]["uv"]["conflicts"] == [[{"group": "api"}, {"group": "worker"}]]
    assert data["tool"]["reqconv"]["variants"] == {
        "api": "requirements.txt",
        "worker": "requirements-worker.txt",
    }

    # Each image syncs the export of the set it installed, and nothing else.
    api = (service / "Dockerfile.api").read_text()
    worker = (service / "Dockerfile.worker").read_text()
    assert "uv pip sync --require-hashes /tmp/requirements-api.lock" in api
    assert "requirements-worker.lock" not in api
    assert "uv pip sync --require-hashes /tmp/requirements-worker.lock" in worker
    assert "requirements-api.lock" not in worker

    # Each export installs exactly what its file pinned.
    assert _installed(uv_env, service, "requirements-api.lock", tmp_path / "api") == {
        "alpha": "1.0",
        "beta": "1.0",
        "eta": "1.0",
    }
    assert _installed(uv_env, service, "requirements-worker.lock", tmp_path / "worker") == {
        "alpha": "2.0",
        "beta": "2.0",
        "eta": "1.0",
        "gamma": "1.2",
    }

    # check knows which export each Dockerfile syncs: nothing to report.
    capsys.readouterr()
    assert exit_code_of(["check", "svc"]) == 0, capsys.readouterr()
    # A second convert reads the sets back from pyproject.toml and changes nothing.
    before = snapshot(service)
    assert exit_code_of(["convert", "svc"]) == 0
    assert snapshot(service) == before
    assert exit_code_of(["convert", "--check", "svc"]) == 0


def test_a_changed_pin_in_one_set_is_drift_for_check(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _api_and_worker(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "svc"]) == 0
    (service / "requirements-worker.txt").write_text(
        "alpha==2.0\nbeta==1.5\neta==1.0\ngamma==1.2\n"
    )
    assert exit_code_of(["check", "svc"]) == 1
    assert exit_code_of(["convert", "svc"]) == 0
    assert pins_of((service / "requirements-worker.lock").read_text())["beta"] == "1.5"
    assert pins_of((service / "requirements-api.lock").read_text())["beta"] == "1.0"
    assert exit_code_of(["check", "svc"]) == 0


def test_cpu_and_gpu_sets_named_by_hand(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = _cpu_and_gpu(tmp_path)
    monkeypatch.chdir(tmp_path)
    args = ["--variant", "cpu=requirements.txt", "--variant", "gpu=gpu-requirements.txt"]
    assert exit_code_of(["convert", "embedder", *args]) == 0
    assert "shares no entry with 'gpu'" in capsys.readouterr().err

    data = tomllib.loads((service / "pyproject.toml").read_text())
    assert data["project"]["dependencies"] == []
    assert data["tool"]["uv"]["conflicts"] == [[{"group": "cpu"}, {"group": "gpu"}]]
    assert "requirements-cpu.lock" in (service / "Dockerfile").read_text()
    assert "requirements-gpu.lock" in (service / "gpu.Dockerfile").read_text()
    assert _installed(uv_env, service, "requirements-cpu.lock", tmp_path / "cpu") == {
        "alpha": "1.0",
        "eta": "1.0",
    }
    assert _installed(uv_env, service, "requirements-gpu.lock", tmp_path / "gpu") == {
        "alpha": "2.0",
        "beta": "2.0",
        "eta": "1.1",
    }
    assert exit_code_of(["check", "embedder"]) == 0
    # Later runs need no --variant: the sets are recorded in pyproject.toml.
    before = snapshot(service)
    assert exit_code_of(["convert", "embedder"]) == 0
    assert snapshot(service) == before
    assert exit_code_of(["lock", "embedder"]) == 0
    assert snapshot(service) == before


def test_an_export_holding_the_other_sets_version_is_drift(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """uv.lock holds alpha 1.0 and 2.0 (one per set), so only the set's own pins can tell that
    the worker's export carries the API's alpha."""
    service = _api_and_worker(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "svc"]) == 0
    api = (service / "requirements-api.lock").read_text()
    worker = (service / "requirements-worker.lock").read_text()
    start = worker.index("alpha==2.0")
    end = worker.index("beta==2.0")
    alpha_lines = api[api.index("alpha==1.0") : api.index("beta==1.0")]
    (service / "requirements-worker.lock").write_text(worker[:start] + alpha_lines + worker[end:])
    capsys.readouterr()
    assert exit_code_of(["check", "svc"]) == 1
    out = capsys.readouterr().out
    assert "E305: alpha==1.0, but svc/requirements-worker.txt:1 (set 'worker') pins alpha==2.0" in (
        out
    )
    # uv.lock holds that version and its hashes: only the set's pins tell
    assert "E301" not in out
    assert "E302" not in out


def test_add_and_remove_keep_every_set_in_step(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _api_and_worker(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert exit_code_of(["convert", "svc"]) == 0
    api_lock = (service / "requirements-api.lock").read_bytes()

    # A set's own package: its file, its group, its export; the other set is untouched.
    assert exit_code_of(["add", "--project", "svc", "--variant", "worker", "zeta==1.0"]) == 0
    assert (service / "requirements-worker.txt").read_text().endswith("zeta==1.0\n")
    assert "zeta" not in (service / "requirements.txt").read_text()
    assert pins_of((service / "requirements-worker.lock").read_text())["zeta"] == "1.0"
    assert (service / "requirements-api.lock").read_bytes() == api_lock
    assert exit_code_of(["check", "svc"]) == 0

    # What every set shares: [project] dependencies and every set's file and export.
    assert exit_code_of(["add", "--project", "svc", "delta==1.0"]) == 0
    for name in ("requirements.txt", "requirements-worker.txt"):
        assert "delta==1.0" in (service / name).read_text()
    for lock in ("requirements-api.lock", "requirements-worker.lock"):
        assert pins_of((service / lock).read_text())["delta"] == "1.0"
    assert exit_code_of(["check", "svc"]) == 0
    assert exit_code_of(["remove", "--project", "svc", "eta"]) == 0
    for name in ("requirements.txt", "requirements-worker.txt"):
        assert "eta==1.0" not in (service / name).read_text().splitlines()
    assert exit_code_of(["check", "svc"]) == 0
    assert exit_code_of(["remove", "--project", "svc", "--variant", "worker", "zeta"]) == 0
    assert "zeta" not in pins_of((service / "requirements-worker.lock").read_text())
    assert exit_code_of(["check", "svc"]) == 0

    before = snapshot(service)
    assert exit_code_of(["add", "--project", "svc", "--variant", "gpu", "zeta==1.0"]) == 2
    assert snapshot(service) == before
