"""``reqconv convert --all`` over the bundled ``fixtures/monorepo`` with the real uv: every
service converted, locked and its Dockerfile rewritten, each on its own; a broken service leaves
the others converted and is itself untouched.

The index holds a stand-in wheel of every package the four services name (at the versions their
files pin, with the dependencies their compiled file lists), and the private plugin's git
dependency is a local repository that git's ``insteadOf`` puts in place of its GitHub URL: no
network. Only the Dockerfiles' Python is set to the one running the tests (uv cannot lock for a
Python it does not have, and downloads are off).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests._builders import git_commit, make_source_tree, make_wheel, write_flat_index
from tests.integration.conftest import UvEnv
from tests.integration.test_lock import exit_code_of, pins_of, snapshot

if TYPE_CHECKING:
    from reqconv.docker.plan import ServicePlan

pytestmark = pytest.mark.uv

ROOT = Path(__file__).resolve().parents[2]
MONOREPO = ROOT / "fixtures" / "monorepo"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
SERVICES = ("apps/backend", "apps/worker", "plugins/private-plugin", "plugins/public/file-manager")

# name: (version, requires, extras)
_PACKAGES: dict[str, tuple[str, tuple[str, ...], dict[str, tuple[str, ...]]]] = {
    # apps/backend
    "fastapi": ("0.115.6", ("pydantic>=2",), {}),
    "uvicorn": ("0.34.0", ("click>=7",), {"standard": ("httpx>=0.27",)}),
    "pydantic": ("2.10.4", ("typing-extensions>=4",), {}),
    "pydantic-settings": ("2.7.0", ("pydantic>=2.7",), {}),
    "sqlalchemy": ("2.0.36", ("typing-extensions>=4",), {}),
    "alembic": ("1.14.0", ("sqlalchemy>=1.4",), {}),
    "psycopg": ("3.2.3", (), {"binary": ()}),
    "httpx": ("0.28.1", (), {}),
    "python-multipart": ("0.0.20", (), {}),
    "pytest": ("8.3.4", (), {}),
    "pytest-asyncio": ("0.25.0", ("pytest>=8",), {}),
    "ruff": ("0.8.4", (), {}),
    "mypy": ("1.14.0", ("typing-extensions>=4",), {}),
    # apps/worker: what its compiled requirements.txt pins, with its `# via` as dependencies
    "celery": (
        "5.7.0",
        (
            "billiard",
            "kombu",
            "vine",
            "click",
            "click-didyoumean",
            "click-repl",
            "click-plugins",
            "python-dateutil",
            "tzlocal",
        ),
        {"redis": ("kombu[redis]",)},
    ),
    "kombu": ("5.7.0", ("amqp", "vine", "packaging"), {"redis": ("redis",)}),
    "amqp": ("5.4.2", ("vine",), {}),
    "async-timeout": ("5.0.1", (), {}),
    "billiard": ("4.3.2", (), {}),
    "click": ("8.5.1", (), {}),
    "click-didyoumean": ("0.3.1", ("click",), {}),
    "click-plugins": ("1.1.1.2", ("click",), {}),
    "click-repl": ("0.4.1", ("click", "prompt-toolkit", "typing-extensions"), {}),
    "packaging": ("26.3", (), {}),
    "prompt-toolkit": ("3.0.53", ("wcwidth",), {}),
    "python-dateutil": ("2.9.0.post0", ("six",), {}),
    "redis": ("8.1.0", ("async-timeout",), {}),
    "six": ("1.17.0", (), {}),
    "typing-extensions": ("4.16.0", (), {}),
    "tzlocal": ("5.4.5", (), {}),
    "vine": ("5.1.0", (), {}),
    "wcwidth": ("0.9.4", (), {}),
    # plugins/public/file-manager
    "pillow": ("11.0.0", (), {}),
    "opencv-python-headless": ("4.10.0.84", ("numpy",), {}),
    "numpy": ("2.1.0", (), {}),
    "requests": ("2.32.3", ("urllib3",), {"socks": ("pysocks",)}),
    "pysocks": ("1.7.1", (), {}),
    "pytest-cov": ("6.0.0", ("pytest",), {}),
    "responses": ("0.25.3", ("requests",), {}),
    # plugins/private-plugin (tenacity comes from git)
    "acme-auth": ("3.1.0", (), {}),
    "acme-storage": ("1.4.2", (), {"s3": ("boto3",)}),
    "boto3": ("1.35.0", ("botocore>=1.35",), {}),
    "botocore": ("1.35.0", ("urllib3",), {}),
    "urllib3": ("2.2.3", (), {}),
    "structlog": ("24.4.0", (), {}),
}


@pytest.fixture(scope="module")
def monorepo_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in index."""
    index = tmp_path_factory.mktemp("monorepo-index")
    for name, (version, requires, extras) in _PACKAGES.items():
        make_wheel(index, name, version, requires, extras)
    write_flat_index(index)
    return index


@pytest.fixture
def monorepo(
    uv_env: UvEnv, monorepo_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A copy of fixtures/monorepo, uv pointed at the stand-in index, cwd at its root."""
    root = tmp_path / "monorepo"
    shutil.copytree(MONOREPO, root, ignore=shutil.ignore_patterns("pyproject.expected.toml"))
    for dockerfile in root.rglob("Dockerfile"):
        text = dockerfile.read_text()
        dockerfile.write_text(re.sub(r"python:3\.1[0-9]", f"python:{PY}", text))
    repo = make_source_tree(tmp_path / "repos" / "tenacity", "tenacity", "9.0.0.post1")
    git_commit(repo, "acme fork", "v9.0.0-acme1")  # uv_env has set git's identity
    gitconfig = tmp_path / "gitconfig"
    tenacity = repo.as_uri()
    gitconfig.write_text(
        f'[url "{tenacity}"]\n\tinsteadOf = https://github.com/acme/tenacity.git\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("UV_FIND_LINKS", (monorepo_index / "index.html").as_uri())
    monkeypatch.setenv("PRIVATE_PYPI_TOKEN", "not-a-real-token")
    monkeypatch.chdir(root)
    return root


def _expected_pyproject(service: str) -> str:
    text = (MONOREPO / service / "pyproject.expected.toml").read_text()
    return re.sub(r'requires-python = ">=3\.\d+"', f'requires-python = ">={PY}"', text)


def test_convert_all_converts_locks_and_rewrites_every_service(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert exit_code_of(["convert", "--all", "-j", "2", "--json", "."]) == 0

    reports = {r["path"]: r for r in json.loads(capsys.readouterr().out)}
    assert sorted(reports) == sorted(SERVICES)
    for name in SERVICES:
        service = monorepo / name
        report = reports[name]
        assert report["status"] == "converted", report
        assert report["exit_code"] == 0
        assert report["why"].startswith("requirements files: ")
        assert (service / "pyproject.toml").read_text() == _expected_pyproject(name)
        assert (service / "uv.lock").is_file()
        production = (service / "requirements.lock").read_text()
        assert "--hash=sha256:" in production
        # every [[package]] of uv.lock but the project itself
        assert report["packages"] == (service / "uv.lock").read_text().count("[[package]]") - 1
        dockerfile = (service / "Dockerfile").read_text()
        # (the private plugin's git dependency has no hash: its sync cannot require them)
        assert re.search(r"uv pip sync .*/tmp/requirements\.lock", dockerfile), name
        assert not re.search(r"(?<!uv )pip3? install", dockerfile), name
        assert report["dockerfiles"] == {"rewritten": 1, "kept": 0}

    assert reports["apps/backend"]["groups"] == ["dev"]
    # 13 named in its two files, plus typing-extensions (pydantic's) and click (uvicorn's)
    assert reports["apps/backend"]["packages"] == 15
    assert pins_of((monorepo / "apps/backend/requirements.lock").read_text())["fastapi"] == (
        "0.115.6"
    )
    backend_lock = (monorepo / "apps/backend/uv.lock").read_text()
    assert 'name = "pytest"\nversion = "8.3.4"' in backend_lock  # the dev group is locked too
    assert "pytest" not in pins_of((monorepo / "apps/backend/requirements.lock").read_text())
    # the worker's compiled pins are kept in its lock
    worker = pins_of((monorepo / "apps/worker/requirements.lock").read_text())
    assert worker["celery"] == "5.7.0"
    assert worker["wcwidth"] == "0.9.4"
    private = (monorepo / "plugins/private-plugin/requirements.lock").read_text()
    assert "tenacity @ git+https://github.com/acme/tenacity.git@" in private
    assert "not-a-real-token" not in private

    # A second run changes nothing: every service is unchanged and --check passes.
    before = snapshot(monorepo)
    assert exit_code_of(["convert", "--all", "."]) == 0
    out = capsys.readouterr().out
    assert snapshot(monorepo) == before
    for name in SERVICES:
        assert re.search(rf"^{re.escape(name)}\s+unchanged\s", out, re.MULTILINE), out
    assert exit_code_of(["convert", "--all", "--check", "-j", "1", "."]) == 0

    # lock --all and docker --all see the same services, each already done.
    capsys.readouterr()
    assert exit_code_of(["lock", "--all", "--json", "."]) == 0
    locked = {r["path"]: r for r in json.loads(capsys.readouterr().out)}
    assert {r["status"] for r in locked.values()} == {"up to date"}
    assert locked["apps/backend"]["groups"] == ["dev"]
    assert exit_code_of(["docker", "--all", "--check", "."]) == 0
    assert snapshot(monorepo) == before


def test_one_broken_service_leaves_the_others_converted(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = monorepo / "plugins/public/file-manager"
    with (broken / "requirements.txt").open("a") as f:
        f.write("numpy>>=2\n")  # line 7: not a requirement
    before = snapshot(broken)
    capsys.readouterr()

    assert exit_code_of(["convert", "--all", "-j", "2", "."]) == 2

    out = capsys.readouterr().out
    assert snapshot(broken) == before  # nothing written in it, no temp file left
    assert re.search(r"^plugins/public/file-manager\s+failed\s", out, re.MULTILINE), out
    assert "plugins/public/file-manager/requirements.txt:7: error: " in out
    for name in SERVICES[:3]:
        assert re.search(rf"^{re.escape(name)}\s+converted\s", out, re.MULTILINE), out
        assert (monorepo / name / "pyproject.toml").read_text() == _expected_pyproject(name)
        assert (monorepo / name / "requirements.lock").is_file()


def test_monorepo_bench_prints_the_ratio_of_two_jobs_to_one(
    uv_env: UvEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    # What `nox -s bench` runs, at its smallest: it works and says the ratio; no time is asserted.
    spec = importlib.util.spec_from_file_location(
        "monorepo_bench", ROOT / "bench" / "monorepo_bench.py"
    )
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.main(["--runs", "1", "--services", "3", "--packages", "12"])
    assert set(results) == {"monorepo-j1", "monorepo-j2", "monorepo-ratio"}
    assert results["monorepo-ratio"] == results["monorepo-j2"] / results["monorepo-j1"]
    assert "ratio -j 2 / -j 1" in capsys.readouterr().out


def test_the_exit_code_is_the_worst_of_the_services(
    monorepo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # uv cannot lock the backend (3), file-manager has a bad line (2): the run exits 3, and the
    # backend, whose pyproject was written before its lock failed, is restored byte for byte.
    with (monorepo / "apps/backend/requirements.txt").open("a") as f:
        f.write("no-such-package>=1\n")
    with (monorepo / "plugins/public/file-manager/requirements.txt").open("a") as f:
        f.write("numpy>>=2\n")
    backend = snapshot(monorepo / "apps/backend")
    capsys.readouterr()

    assert exit_code_of(["convert", "--all", "--json", "."]) == 3

    reports = {r["path"]: r for r in json.loads(capsys.readouterr().out)}
    assert reports["apps/backend"]["status"] == "failed"
    assert reports["apps/backend"]["exit_code"] == 3
    # its Dockerfile was planned, then restored with everything else: nothing counts as rewritten
    assert reports["apps/backend"]["dockerfiles"] == {"rewritten": 0, "kept": 0}
    assert reports["apps/backend"]["written"] == []
    assert reports["plugins/public/file-manager"]["exit_code"] == 2
    assert snapshot(monorepo / "apps/backend") == backend
    assert reports["apps/worker"]["status"] == "converted"
    assert reports["plugins/private-plugin"]["status"] == "converted"


def test_convert_all_verify_restores_the_locked_service_whose_image_failed(
    monorepo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``convert --all --verify`` with real locks: the builds (faked, in this process) run after
    each service's lock; the worker's rewritten image fails, so every file of the worker is as it
    was (no pyproject.toml, uv.lock or export left behind) while the others are converted."""
    from tests.monorepo.test_all_docker_options import fake_verify

    locked_when_built: dict[str, bool] = {}

    def seen(plan: ServicePlan, _build_args: Sequence[str]) -> None:
        locked_when_built[plan.root.name] = (plan.root / "uv.lock").is_file()

    fake_verify(monkeypatch, "worker", seen)
    before = snapshot(monorepo / "apps" / "worker")
    capsys.readouterr()
    assert exit_code_of(["convert", "--all", "--verify", "--json", "."]) == 1

    reports = {r["path"]: r for r in json.loads(capsys.readouterr().out)}
    assert reports["apps/worker"]["status"] == "failed"
    assert reports["apps/worker"]["exit_code"] == 1
    assert snapshot(monorepo / "apps" / "worker") == before
    assert locked_when_built == {Path(name).name: True for name in SERVICES}
    for name in SERVICES:
        if name == "apps/worker":
            continue
        assert reports[name]["status"] == "converted", reports[name]
        assert (monorepo / name / "uv.lock").is_file()
        assert "uv pip sync" in (monorepo / name / "Dockerfile").read_text()
