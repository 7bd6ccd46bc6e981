"""``reqconv docker --verify`` and ``--multi-stage`` against the real engine, offline.

The service (fixtures/verify/cext) compiles a C extension from an sdist on the full
``python:3.11`` stand-in (gcc, Python's headers); the index on loopback serves that sdist and one
wheel. ``reqconv convert --no-docker`` locks it (real uv), then ``reqconv docker --verify`` builds
the original and the rewrite with the engine, and writes the rewrite only when its image passed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._dockerbuild import (
    DOCKER,
    IndexProxy,
    build,
    docker,
    make_app_wheel,
    reqconv_env,
    serve_index,
)
from tests.builds._sdist import make_c_sdist

pytestmark = [pytest.mark.docker, pytest.mark.slow]

FIXTURE = Path(__file__).parents[2] / "fixtures" / "verify" / "cext"


def _index(folder: Path) -> Path:
    make_c_sdist(folder, "cspeedup", "1.0")
    make_app_wheel(folder, "tinydep", "1.0")
    return folder


def _reqconv(
    index: IndexProxy, home: Path, *args: str, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    env = reqconv_env(index, home)
    env["REQCONV_DOCKER"] = DOCKER  # the 20.10 client: BuildKit built in
    return subprocess.run(
        [sys.executable, "-m", "reqconv", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def _locked_service(tmp_path: Path, index: IndexProxy, service: Path | None = None) -> Path:
    service = service or tmp_path / "cext"
    shutil.copytree(FIXTURE, service)
    done = _reqconv(index, tmp_path, "convert", "--no-docker", str(service))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (service / "requirements.lock").is_file()
    return service


def test_verify_builds_both_images_and_writes_the_rewrite_that_passed(
    docker_engine: str, tmp_path: Path
) -> None:
    with serve_index(_index(tmp_path / "index")) as index:
        service = _locked_service(tmp_path, index)
        original = (service / "Dockerfile").read_text("utf-8")
        done = _reqconv(index, tmp_path, "docker", "--verify", str(service))
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout
    assert "Dockerfile: verified" in table, table
    for row in ("cold build", "install step", "source-edit rebuild", "image size"):
        assert re.search(rf"^  {row} +\d+(\.\d+)? (s|MB)", table, re.M), (row, table)
    assert re.search(r"^  imports +2 ok +2 ok", table, re.M), table
    rewritten = (service / "Dockerfile").read_text("utf-8")
    assert rewritten != original
    assert "uv pip sync" in rewritten
    assert index.refused == []


def _break_the_lock(service: Path) -> None:
    """The lock no longer matches what the index serves: uv's --require-hashes refuses the
    wheel, while pip (which reads requirements.txt) still installs it."""
    lock = service / "requirements.lock"
    text = lock.read_text("utf-8")
    digest = re.search(r"tinydep==1\.0 \\\n\s+--hash=sha256:([0-9a-f]{64})", text)
    assert digest is not None, text
    lock.write_text(text.replace(digest.group(1), "0" * 64), "utf-8")


def test_verify_that_fails_leaves_the_dockerfile_and_names_the_step(
    docker_engine: str, tmp_path: Path
) -> None:
    with serve_index(_index(tmp_path / "index")) as index:
        service = _locked_service(tmp_path, index)
        _break_the_lock(service)
        original = (service / "Dockerfile").read_bytes()
        done = _reqconv(index, tmp_path, "docker", "--verify", "--json", str(service))
    assert done.returncode == 1, done.stdout + done.stderr
    assert (service / "Dockerfile").read_bytes() == original
    assert not (service / ".dockerignore").exists()
    report = json.loads(done.stdout)
    assert report["written"] == []
    (dockerfile,) = report["services"][0]["dockerfiles"]
    before, after = dockerfile["verify"]["original"], dockerfile["verify"]["rewritten"]
    assert before["imports_ok"] is True
    assert before["build_seconds"] > 0
    assert before["image_bytes"] > 0
    assert before["install_seconds"] > 0
    assert after["failure"]["what"] == "cold build"
    assert "uv pip sync" in after["failure"]["step"]
    assert "hash" in after["failure"]["log_tail"].lower()
    assert after["imports_ok"] is None
    assert "uv pip sync" in done.stderr
    assert "left as it was" in done.stderr


def test_multi_stage_runtime_has_no_compiler_imports_everything_and_is_smaller(
    docker_engine: str, tmp_path: Path, image_tags: list[str], session_id: str
) -> None:
    with serve_index(_index(tmp_path / "index")) as index:
        service = _locked_service(tmp_path, index)
        done = _reqconv(
            index, tmp_path, "docker", "--multi-stage", "--verify", "--json", str(service)
        )
        assert done.returncode == 0, done.stdout + done.stderr
        text = (service / "Dockerfile").read_text("utf-8")
        assert "FROM python:3.11 AS builder" in text
        assert "FROM python:3.11-slim\n" in text
        assert "COPY --from=builder /opt/venv /opt/venv" in text
        tag = f"reqconv-build/verify-multi-stage:{session_id}"
        image_tags.append(tag)
        build(service, text, tag, index, tmp_path / "dockerfiles")
    report = json.loads(done.stdout)
    (dockerfile,) = report["services"][0]["dockerfiles"]
    before, after = dockerfile["verify"]["original"], dockerfile["verify"]["rewritten"]
    assert after["imports_ok"] is True
    assert before["imports_ok"] is True
    # The target of issue 18: at least 40% smaller than the single-stage image.
    assert after["image_bytes"] <= 0.6 * before["image_bytes"], (before, after)
    compilers = docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", tag, "-c",
        "command -v gcc cc || true",
    )  # fmt: skip
    assert compilers.stdout.strip() == ""
    imported = docker(
        "run", "--rm", "--network", "none", "--entrypoint", "python", tag, "-c",
        "import cspeedup, tinydep; print(cspeedup.add(2, 3))",
    )  # fmt: skip
    assert imported.stdout.strip() == "5"


def test_convert_multi_stage_verify_locks_builds_and_reports_in_json(
    docker_engine: str, tmp_path: Path
) -> None:
    service = tmp_path / "cext"
    shutil.copytree(FIXTURE, service)
    with serve_index(_index(tmp_path / "index")) as index:
        done = _reqconv(
            index, tmp_path, "convert", "--multi-stage", "--verify", "--json", str(service)
        )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    (dockerfile,) = report["services"][0]["dockerfiles"]
    assert dockerfile["ok"] is True
    after = dockerfile["verify"]["rewritten"]
    assert after["imports_ok"] is True
    assert after["install_cached"] is True
    assert after["edit_rebuild_seconds"] > 0
    assert "FROM python:3.11 AS builder" in (service / "Dockerfile").read_text("utf-8")
    assert (service / "requirements.lock").is_file()
    assert (service / "pyproject.toml").is_file()


def test_all_verify_writes_the_service_that_passed_and_keeps_the_one_that_failed(
    docker_engine: str, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    with serve_index(_index(tmp_path / "index")) as index:
        passing = _locked_service(tmp_path, index, repo / "passing")
        failing = _locked_service(tmp_path, index, repo / "failing")
        _break_the_lock(failing)
        original = (passing / "Dockerfile").read_text("utf-8")
        kept = {p.name: p.read_bytes() for p in failing.iterdir()}
        done = _reqconv(index, tmp_path, "docker", "--all", "--verify", "-j", "2", str(repo))
    assert done.returncode == 1, done.stdout + done.stderr
    rewritten = (passing / "Dockerfile").read_text("utf-8")
    assert rewritten != original
    assert "uv pip sync" in rewritten
    assert {p.name: p.read_bytes() for p in failing.iterdir()} == kept  # Dockerfile included
    out = done.stdout
    assert f"{(passing / 'Dockerfile').as_posix()}: verified" in out, out
    assert f"{(failing / 'Dockerfile').as_posix()}: FAILED" in out, out
    assert re.search(r"^  imports +2 ok +2 ok", out, re.M), out
    # the failing step named, with the log's tail, as the single-service run names it
    step = re.search(r"the rewritten image failed its cold build at step (.*); the Dockerfile", out)
    assert step is not None, out
    assert "uv pip sync" in step.group(1)
    assert "hash" in out.lower()
    assert f"\n{failing.as_posix()}: failed\n" in out
    assert index.refused == []
