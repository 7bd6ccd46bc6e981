"""bench/docker_bench.py reads pip's self-upgrade, pip's phases and uv's timing lines out of
BuildKit's plain log, turns byte-compiling off in its copies, and writes the per-run base image
(with ``--index pypi``, pointed at PyPI with the host's CA bundle); no Docker, no network here."""

from __future__ import annotations

import pytest

from bench.docker_bench import (
    PYPI_END,
    PYPI_START,
    START,
    Run,
    _pip_phases,
    _self_upgrade_seconds,
    _uv_timings,
    base_dockerfile,
    cold_problem,
    lock_packages,
    no_compile,
    pypi_env,
    render,
)
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


STANDIN_ENV = [
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "PIP_INDEX_URL=http://reqconv-index.invalid/simple/",
    "PIP_TRUSTED_HOST=reqconv-index.invalid",
    "PIP_DISABLE_PIP_VERSION_CHECK=1",
    "UV_DEFAULT_INDEX=http://reqconv-index.invalid/simple/",
]


def test_pypi_env_points_both_tools_at_pypi_and_empties_the_stand_in_s_trusted_host() -> None:
    assert pypi_env(STANDIN_ENV) == {
        "PIP_INDEX_URL": "https://pypi.org/simple",
        "PIP_TRUSTED_HOST": "",
        "UV_DEFAULT_INDEX": "https://pypi.org/simple",
    }


def test_pypi_env_sets_both_indexes_even_when_the_image_sets_neither() -> None:
    assert pypi_env(["PATH=/usr/bin"]) == {
        "PIP_INDEX_URL": "https://pypi.org/simple",
        "UV_DEFAULT_INDEX": "https://pypi.org/simple",
    }


def test_pypi_env_stops_on_an_index_variable_it_does_not_know() -> None:
    with pytest.raises(SystemExit, match="UV_SOME_INDEX_THING"):
        pypi_env([*STANDIN_ENV, "UV_SOME_INDEX_THING=http://x.invalid/"])


def test_the_loopback_base_is_the_image_and_the_nonce_only() -> None:
    assert base_dockerfile("python:3.11-slim") == (
        "FROM python:3.11-slim\nCOPY nonce /.reqconv-bench\n"
    )


def test_the_pypi_base_adds_the_ca_bundle_and_the_index_settings() -> None:
    text = base_dockerfile("python:3.11-slim", pypi_env(STANDIN_ENV))
    assert text.splitlines() == [
        "FROM python:3.11-slim",
        "COPY nonce /.reqconv-bench",
        "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
        'ENV PIP_INDEX_URL="https://pypi.org/simple" PIP_TRUSTED_HOST="" '
        'UV_DEFAULT_INDEX="https://pypi.org/simple"',
    ]
    assert "reqconv-index.invalid" not in text


def test_a_cold_uv_build_must_prepare_every_package_it_installs() -> None:
    assert cold_problem("uv", Build(tag="t", seconds=4.0, log=UV_LOG)) is None
    warm = UV_LOG.replace("Prepared 30 packages in 320ms", "Prepared 2 packages in 20ms")
    problem = cold_problem("uv", Build(tag="t", seconds=4.0, log=warm))
    assert problem is not None
    assert "cache mount" in problem
    no_prepared = "".join(line for line in UV_LOG.splitlines(True) if "Prepared" not in line)
    assert cold_problem("uv", Build(tag="t", seconds=4.0, log=no_prepared)) is not None


def test_a_cold_pip_build_must_not_use_pip_s_cache() -> None:
    assert cold_problem("pip", Build(tag="t", seconds=27.0, log=LOG)) is None
    cached = LOG.replace(
        "#9 7.402 Collecting fastapi==0.115.0\n",
        "#9 7.402 Collecting fastapi==0.115.0\n#9 7.5   Using cached fastapi-0.115.0-py3-none-any.whl\n",
    )
    assert cold_problem("pip", Build(tag="t", seconds=27.0, log=cached)) is not None


def test_lock_packages_counts_the_pins_of_an_export() -> None:
    lock = (
        "# Generated by reqconv from uv.lock: do not edit by hand.\n"
        "alembic==1.20.1 \\\n"
        "    --hash=sha256:83490def \\\n"
        "    # via backend\n"
        "uvicorn[standard]==0.34.0 \\\n"
        "    --hash=sha256:9970712c\n"
        "psycopg-binary==3.2.3 ; sys_platform == 'linux' \\\n"
    )
    assert lock_packages(lock) == 3


def _runs() -> dict[str, dict[str, Run]]:
    pip = Run(build=12.0, install=10.0, size=290_000_000, upgrade=2.0)
    uv = Run(build=4.0, install=2.0, size=270_000_000)
    edit = Run(build=0.4, install=0.0, size=1)
    return {
        "cold": {"pip": pip, "uv": uv},
        "edit": {"pip": edit, "uv": edit},
        "add": {"pip": pip, "uv": uv},
    }


def test_the_pypi_section_has_its_own_markers_and_the_same_targets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bench.docker_bench._machine", lambda: "2 cores")
    plumbing = pypi_env(STANDIN_ENV)
    section = render(_runs(), 3, "0.13.9", 30, plumbing=plumbing, load=(2.0, 3.5))
    assert section.startswith(PYPI_START + "\n## Docker builds against PyPI")
    assert section.endswith(PYPI_END + "\n")
    assert START not in section
    assert "`PIP_INDEX_URL=https://pypi.org/simple`" in section
    assert "Load average (1 min) 2.0 at the start, 3.5 at the end." in section
    # 4x row: pip's install alone (10 - 2 s) against uv's 2 s; 5x row: whole builds, 12 / 4 s.
    assert "| 4.0x | yes |" in section
    assert "5x faster than pip's | 3.0x | **no** |" in section


def test_ceilings_set_pip_against_uv_s_byte_compiling_and_its_own_phases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("bench.docker_bench._machine", lambda: "2 cores")
    runs = _runs()
    cold = {"Resolved": 0.1, "Prepared": 0.2, "Installed": 0.1, "Bytecode compiled": 1.6}
    cold["Bytecode compiled count"] = 972.0
    add = {"Resolved": 0.1, "Prepared": 0.0, "Installed": 0.1, "Bytecode compiled": 1.2}
    runs["cold"]["uv"] = Run(build=4.0, install=2.0, size=1, phases=cold)
    runs["add"]["uv"] = Run(build=3.0, install=2.2, size=1, phases=add)
    section = render(runs, 3, "0.13.9", 30)
    assert "byte-compiling of the 972 files pip compiles too" in section
    # cold: pip's install alone (10 - 2 s) against 1.6 s of compiling, and against 2.0 s of
    # uv's four phases; after adding one dependency pip's 12 s build against uv's 3.0 s build
    # less its 2.2 s step, plus 1.2 s of compiling or 1.4 s of phases.
    assert "| cold install step | 8.0 s (install alone) | 1.6 s | 5.0x | 2.0 s | 4.0x | 4x |" in (
        section
    )
    assert (
        "| 12.0 s (build) | 1.2 s + 0.80 s outside the step | 6.0x "
        "| 1.4 s + 0.80 s outside the step | 5.5x | 5x |"
    ) in section


def test_no_ceilings_without_uv_s_compile_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.docker_bench._machine", lambda: "2 cores")
    assert "Ceilings" not in render(_runs(), 3, "0.13.9", 30)
