"""After ``reqconv add``, the rebuilt image has the new package, and only the install step reran.

A case of ``fixtures/builds/`` is converted (real uv lock against the loopback index) and built;
then ``reqconv add`` adds a package the index holds, and the same Dockerfile is built again. In the
second build every step before the install is taken from the cache, the install step runs again
(its lock changed), and the built stage imports the new package at its locked version with the
interpreter the image's ``CMD`` runs, next to every package it had before.
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
    IndexProxy,
    build,
    final_interpreter,
    make_app_wheel,
    reqconv_env,
    run_python,
    serve_index,
)
from tests.builds.cases import CASES, case_index, load_case

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# One build step of `docker build --progress=plain`: "#7 [2/5] RUN ...", later "#7 CACHED".
_STEP_RE = re.compile(r"^#(\d+) \[(?:[^\]]*\s)?(\d+)/(\d+)\] (.*)$")

_IMPORT = """
import importlib, importlib.metadata as md, json
found = {}
for name, module in %r:
    importlib.import_module(module)
    found[name] = md.version(name)
print(json.dumps(found))
"""


def _reqconv(index: IndexProxy, tmp_path: Path, *args: str) -> str:
    env = reqconv_env(index, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "reqconv", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, f"reqconv {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _steps(log: str) -> dict[str, bool]:
    """Instruction of each build step of the final stage's chain -> whether it was CACHED."""
    names: dict[str, str] = {}
    for line in log.splitlines():
        match = _STEP_RE.match(line)
        if match is not None:
            names.setdefault(match.group(1), match.group(4))
    cached = {number for number in names if f"#{number} CACHED" in log.splitlines()}
    return {instruction: number in cached for number, instruction in names.items()}


def test_a_rebuild_after_add_reruns_only_the_install_and_has_the_package(
    docker_engine: str,
    real_wheels: Path,
    image_tags: list[str],
    session_id: str,
    tmp_path: Path,
) -> None:
    case = load_case(CASES / "rm-cache")
    index_dir = case_index(case, tmp_path / "index", real_wheels)
    # What the team adds after the migration. A version of this session's own: an image built
    # by an earlier session (the engine keeps its cache) cannot hold the new install step.
    version = f"1.{int(session_id[:6], 16)}"
    make_app_wheel(index_dir, "tabulate", version)
    work = tmp_path / case.name
    shutil.copytree(case.root, work, ignore=shutil.ignore_patterns("case.toml"))
    scratch = tmp_path / "dockerfiles"
    with serve_index(index_dir) as index:
        _reqconv(index, tmp_path, "convert", str(work))
        dockerfile = (work / "Dockerfile").read_text("utf-8")
        assert "uv pip sync" in dockerfile
        first = f"reqconv-build/add-before:{session_id}"
        image_tags.append(first)
        build(work, dockerfile, first, index, scratch)

        out = _reqconv(index, tmp_path, "add", "tabulate>=1", "--project", str(work))
        assert f"uv.lock: + tabulate {version}" in out
        assert (work / "Dockerfile").read_text("utf-8") == dockerfile  # nothing to rewrite
        assert f"tabulate=={version}" in (work / "requirements.lock").read_text("utf-8")

        second = f"reqconv-build/add-after:{session_id}"
        image_tags.append(second)
        rebuilt = build(work, dockerfile, second, index, scratch)
    assert index.refused == [], f"builds asked for something other than the index: {index.refused}"

    steps = _steps(rebuilt.log)
    install = [step for step in steps if "uv pip sync" in step]
    assert install, f"no install step in the build log:\n{rebuilt.log}"
    assert not any(steps[step] for step in install), "the install step was taken from the cache"
    order = list(steps)
    before = order[: order.index(install[0])]
    # Everything before the install comes from the cache, but what brings the new lock in (a
    # FROM is never "CACHED": the base image is only looked up).
    rerun = [
        step
        for step in before
        if not steps[step] and "requirements.lock" not in step and not step.startswith("FROM ")
    ]
    assert before
    assert rerun == [], f"steps before the install ran again: {rerun}"

    interpreter = final_interpreter(second)
    found = json.loads(
        run_python(
            second,
            interpreter,
            _IMPORT % [("tabulate", "tabulate"), ("requests", "requests")],
        )
    )
    assert found == {"tabulate": version, "requests": "2.32.3"}
