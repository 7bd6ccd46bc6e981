"""bench/docker_bench.py reads pip's self-upgrade, pip's phases and uv's timing lines out of
BuildKit's plain log, and turns byte-compiling off in its copies (no Docker here)."""

from __future__ import annotations

import pytest

from bench.docker_bench import Run, _pip_phases, _self_upgrade_seconds, _uv_timings, no_compile
from tests._dockerbuild import Build

LOG = """\
#8 [base 4/6] COPY requirements.txt .
#8 DONE 0.1s
#9 [base 5/6] RUN pip install --upgrade pip setuptools wheel &&     pip install --no-cache-dir -r requirements.txt
#9 0.845 Requirement already satisfied: pip in /usr/local/lib/python3.11/site-packages (23.0.1)
#9 1.210 Collecting pip
#9 2.002 Collecting setuptools
#9 2.100 Collecting packaging>=24.0
#9 6.913 Successfully installed packaging-26.4 pip-25.3 setuptools-80.9.0 wheel-0.48.0
#9 7.402 Collecting fastapi==0.115.0
#9 25.01 Successfully installed fastapi-0.115.0
#9 DONE 25.4s
"""


def test_the_self_upgrade_and_its_own_dependencies_end_before_the_requirements() -> None:
    assert _self_upgrade_seconds(Build(tag="t", seconds=27.0, log=LOG)) == pytest.approx(7.402)


def test_an_upgrade_that_installs_nothing_ends_at_the_first_requirement_of_the_file() -> None:
    log = (
        "#9 [base 5/6] RUN pip install --upgrade pip && pip install -r requirements.txt\n"
        "#9 0.845 Requirement already satisfied: pip in /usr/local/lib/python3.11/site-packages\n"
        "#9 1.500 Collecting fastapi==0.115.0 (from -r requirements.txt (line 2))\n"
        "#9 DONE 9.0s\n"
    )
    assert _self_upgrade_seconds(Build(tag="t", seconds=9.5, log=log)) == pytest.approx(1.5)


def test_a_cached_step_has_no_self_upgrade() -> None:
    log = "#9 [base 5/6] RUN pip install --upgrade pip && pip install -r requirements.txt\n#9 CACHED\n"
    assert _self_upgrade_seconds(Build(tag="t", seconds=0.5, log=log)) == 0.0


def test_install_alone_leaves_the_self_upgrade_out() -> None:
    run = Run(build=27.0, install=25.4, size=1, upgrade=7.4)
    assert run.install_alone == pytest.approx(18.0)


def test_pip_phases_are_the_requirements_install_s_collect_and_install() -> None:
    log = LOG.replace(
        "#9 25.01 Successfully installed fastapi",
        "#9 9.402 Installing collected packages: fastapi\n#9 25.01 Successfully installed fastapi",
    )
    phases = _pip_phases(Build(tag="t", seconds=27.0, log=log))
    assert phases == pytest.approx({"collect": 2.0, "install": 15.608})


UV_LOG = """\
#10 [base 4/6] RUN --mount=from=ghcr.io/astral-sh/uv:0.13.9,source=/uv,target=/bin/uv     uv pip sync --require-hashes /tmp/requirements.lock
#10 0.180 Resolved 30 packages in 57ms
#10 0.512 Prepared 30 packages in 320ms
#10 0.660 Installed 30 packages in 135ms
#10 3.262 Bytecode compiled 972 files in 2.60s
#10 3.263  + fastapi==0.115.0
#10 DONE 3.4s
"""


def test_uv_timings_are_read_from_its_summary_lines() -> None:
    assert _uv_timings(Build(tag="t", seconds=4.0, log=UV_LOG)) == pytest.approx(
        {
            "Resolved": 0.057,
            "Resolved count": 30,
            "Prepared": 0.32,
            "Prepared count": 30,
            "Installed": 0.135,
            "Installed count": 30,
            "Bytecode compiled": 2.6,
            "Bytecode compiled count": 972,
        }
    )


def test_no_compile_sets_pip_compile_to_0_after_from_and_uv_s_compile_bytecode_to_0() -> None:
    pip = "FROM python:3.11-slim AS base\nRUN pip install -r requirements.txt\n"
    assert no_compile(pip, "pip").splitlines()[:2] == [
        "FROM python:3.11-slim AS base",
        "ENV PIP_COMPILE=0",
    ]
    uv = "FROM python:3.11-slim\nENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy\n"
    assert "ENV UV_COMPILE_BYTECODE=0 UV_LINK_MODE=copy" in no_compile(uv, "uv")
    with pytest.raises(SystemExit):
        no_compile("FROM python:3.11-slim\n", "uv")
