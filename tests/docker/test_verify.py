"""``--verify`` without an engine: BuildKit logs read, build options, and exit 3 with no engine.

The builds themselves run in tests/builds/test_verify.py (marker ``docker``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reqconv import service
from reqconv.commands.convert import ConvertOptions
from reqconv.docker.builds import Build
from reqconv.docker.engine import Engine, find_engine
from reqconv.docker.plan import plan_service
from reqconv.docker.verify import (
    build_options,
    built_locks,
    failing_step,
    locked_packages,
    step_seconds,
)
from reqconv.errors import DockerEngineError, VerifyError
from reqconv.lock.locking import LockResult
from reqconv.service import ServiceConversion

LOG = """\
#5 [1/4] FROM docker.io/library/python:3.11
#5 CACHED

#6 [2/4] COPY requirements.txt .
#6 DONE 0.1s

#7 [3/4] RUN pip install --no-cache-dir -r requirements.txt
#7 0.512 Collecting alpha==1.0
#7 DONE 4.2s

#8 [builder 4/4] RUN --mount=type=cache,target=/root/.cache/uv uv pip sync /tmp/requirements.lock
#8 0.101 error: Hash mismatch for `tinydep==1.0`
#8 ERROR: process "/bin/sh -c uv pip sync /tmp/requirements.lock" did not complete successfully
"""


def test_step_seconds_sums_the_matching_run_steps_and_says_if_cached() -> None:
    assert step_seconds(LOG, re.compile(r"pip install")) == (4.2, False)
    assert step_seconds(LOG, re.compile(r"no such step")) == (None, None)
    cached = "#9 [2/2] RUN pip install -r r.txt\n#9 CACHED\n"
    assert step_seconds(cached, re.compile(r"pip install")) == (0.0, True)


def test_failing_step_names_the_step_buildkit_reports() -> None:
    step = failing_step(LOG)
    assert step is not None
    assert step.startswith("[builder 4/4] RUN")
    assert "uv pip sync" in step
    assert failing_step("#1 DONE 0.1s\n") is None


def test_build_options_carry_compose_args_user_args_target_and_proxies() -> None:
    build = Build(
        dockerfile=Path("Dockerfile"),
        context=Path(),
        how="compose",
        args=(("PY", "3.11"),),
        target="prod",
    )
    env = {"HTTP_PROXY": "http://127.0.0.1:3128", "no_proxy": "localhost"}
    options = build_options(build, ["EXTRA=1"], env)
    assert options == [
        "--build-arg", "PY=3.11",
        "--build-arg", "EXTRA=1",
        "--build-arg", "HTTP_PROXY=http://127.0.0.1:3128",
        "--build-arg", "no_proxy=localhost",
        "--network", "host",
        "--target", "prod",
    ]  # fmt: skip
    remote = build_options(build, (), {"HTTPS_PROXY": "http://proxy.corp:8080"})
    assert "--network" not in remote


def test_buildx_builds_load_the_image_and_plain_builds_do_not() -> None:
    argv = Engine(client="docker", version="27", buildx=True).build_argv(
        context=Path("ctx"), dockerfile=Path("D"), tag="t", options=["--no-cache"]
    )
    assert argv[:3] == ["buildx", "build", "--load"]
    assert argv[-2:] == ["--no-cache", "ctx"]
    plain = Engine(client="docker", version="20.10", buildx=False).build_argv(
        context=Path("ctx"), dockerfile=Path("D"), tag="t"
    )
    assert plain[0] == "build"
    assert "--load" not in plain


def test_locked_packages_reads_the_export(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "alpha==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"
        "beta==2.0 ; sys_platform == 'win32' \\\n    --hash=sha256:" + "b" * 64 + "\n"
    )
    assert locked_packages([lock]) == [
        ("alpha", "1.0", None),
        ("beta", "2.0", "sys_platform == 'win32'"),
    ]


def test_no_client_is_an_engine_error_with_exit_3(tmp_path: Path) -> None:
    with pytest.raises(DockerEngineError) as caught:
        find_engine({"REQCONV_DOCKER": str(tmp_path / "no-docker"), "PATH": ""})
    assert caught.value.exit_code == 3
    assert "REQCONV_DOCKER" in str(caught.value)


def test_a_daemon_that_does_not_answer_is_an_engine_error(tmp_path: Path) -> None:
    client = tmp_path / "docker"
    client.write_text("#!/bin/sh\necho 'permission denied while trying to connect' >&2\nexit 1\n")
    client.chmod(0o755)
    with pytest.raises(DockerEngineError, match="docker group"):
        find_engine({"REQCONV_DOCKER": str(client)})


def test_verify_without_an_engine_exits_3_and_writes_nothing(tmp_path: Path) -> None:
    service = tmp_path / "cext"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "verify" / "cext", service)
    before = {p.name: p.read_bytes() for p in service.iterdir()}
    env = {"PATH": "/usr/bin:/bin", "REQCONV_DOCKER": str(tmp_path / "none"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "reqconv", "docker", "--verify", str(service)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 3, done.stderr
    assert "no docker client was found" in done.stderr
    assert {p.name: p.read_bytes() for p in service.iterdir()} == before


def _planned(tmp_path: Path) -> tuple[Path, list[ServiceConversion]]:
    root = tmp_path / "cext"
    shutil.copytree(Path(__file__).parents[2] / "fixtures" / "verify" / "cext", root)
    options = ConvertOptions(paths=(root,), lock=False)
    services = service.plan_services(options.paths, options)
    service.plan_docker(services, lock=False, multi_stage=True)
    return root, services


def test_convert_verify_that_says_no_restores_every_file(tmp_path: Path) -> None:
    root, services = _planned(tmp_path)
    before = (root / "Dockerfile").read_bytes()
    asked: list[Path] = []

    def no(planned: ServiceConversion) -> bool:
        asked.append(planned.root)
        assert (root / "pyproject.toml").is_file()  # written before the builds, with the lock
        return False

    with pytest.raises(VerifyError) as caught:
        service.write(
            services, lock=False, export_groups=(), offline=True, on_locked=_ignore, verify=no
        )
    assert caught.value.exit_code == 1
    assert asked == [root]
    assert not (root / "pyproject.toml").exists()
    assert (root / "Dockerfile").read_bytes() == before


def test_convert_verify_that_says_yes_writes_the_dockerfiles_after(tmp_path: Path) -> None:
    root, services = _planned(tmp_path)
    service.write(
        services,
        lock=False,
        export_groups=(),
        offline=True,
        on_locked=_ignore,
        verify=lambda planned: not (root / "Dockerfile").read_text().count("AS builder"),
    )
    assert "FROM python:3.11 AS builder" in (root / "Dockerfile").read_text()


def _ignore(planned: ServiceConversion, result: LockResult) -> None:
    del planned, result


def test_built_locks_are_those_of_the_target_and_the_stages_it_reads() -> None:
    text = textwrap.dedent("""\
        FROM python:3.11-slim AS base
        RUN --mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock \\
            uv pip sync /tmp/requirements.lock
        FROM base AS dev
        RUN --mount=type=bind,source=backend/requirements-dev.lock,target=/tmp/d.lock \\
            uv pip sync /tmp/d.lock
        FROM python:3.11-slim AS prod
        COPY --from=base /opt/venv /opt/venv
        """)
    locks = ("requirements.lock", "requirements-dev.lock")
    assert built_locks(text, None, locks) == ["requirements.lock"]
    assert built_locks(text, "prod", locks) == ["requirements.lock"]
    assert built_locks(text, "dev", locks) == ["requirements.lock", "requirements-dev.lock"]
    assert built_locks("FROM python:3.11\nCOPY . .\n", None, locks) == list(locks)


def test_each_target_compose_builds_is_a_build_to_verify(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\n")
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim AS dev\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\nFROM dev AS prod\n"
    )
    (root / "compose.yaml").write_text(
        "services:\n"
        "  dev:\n    build: {context: ., target: dev, args: {PY: '3.11'}}\n"
        "  prod:\n    build: {context: ., target: prod}\n"
        "  again:\n    build: {context: ., target: prod}\n"
    )
    plan = plan_service(root, uv_version="0.13.9")
    builds = plan.builds[root / "Dockerfile"]
    assert [(b.target, b.args) for b in builds] == [("dev", (("PY", "3.11"),)), ("prod", ())]
