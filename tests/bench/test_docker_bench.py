"""bench/docker_bench.py reads pip's self-upgrade out of BuildKit's plain log (no Docker here)."""

from __future__ import annotations

import pytest

from bench.docker_bench import Run, _self_upgrade_seconds
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
