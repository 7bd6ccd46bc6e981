"""The install commands of a rewritten Dockerfile, run for real with uv (no Docker, no network).

The ``uv venv`` / ``python -m venv`` / ``uv pip sync`` RUNs and the ENV lines of the rewritten stage
are replayed in a temp folder: the venv path moves under tmp, the lock is a hashed
``requirements.lock`` over a local wheel, uv is the real binary (``reqconv.uv.find_uv``), offline,
with a scrubbed environment and its cache in tmp. Then the venv's python imports the package.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reqconv import uv
from reqconv.docker import DockerPlan, rewrite
from reqconv.errors import UvNotFoundError
from tests._builders import make_wheel

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dockerfiles"
# Only these commands of a RUN are replayed: never apt-get, rm -rf or anything else of the image.
_REPLAYED = ("uv venv ", "uv pip sync ", "python -m venv ", "python3 -m venv ")

pytestmark = pytest.mark.uv


@pytest.fixture
def uv_path() -> Path:
    try:
        path = uv.find_uv()
        version = uv.uv_version(path)
    except UvNotFoundError as e:
        if os.environ.get("REQCONV_REQUIRE_UV"):
            pytest.fail(f"REQCONV_REQUIRE_UV is set but no usable uv: {e}")
        pytest.skip(f"no usable uv: {e}")
    assert version
    return path


def _stage_steps(text: str) -> list[tuple[str, str]]:
    """``(kind, payload)`` for the ENV and install RUNs of the first stage, in order."""
    import dockerfile

    steps: list[tuple[str, str]] = []
    for command in dockerfile.parse_string(text):
        kind = command.cmd.upper()
        if kind == "FROM" and steps:
            break
        if kind == "ENV":
            pairs = zip(command.value[0::2], command.value[1::2], strict=True)
            steps.extend(("env", f"{name}={value}") for name, value in pairs)
        elif kind == "RUN":
            shell = command.heredocs[0].content if command.heredocs else command.value[0]
            for part in re.split(r"&&|;|\n", shell):  # enough for the fixtures' simple chains
                segment = part.strip().rstrip("\\").strip()
                if segment.startswith(_REPLAYED):
                    steps.append(("run", segment))
    return steps


def _replay(text: str, workdir: Path, env: dict[str, str], venv: Path) -> None:
    for kind, payload in _stage_steps(text.replace("/opt/venv", str(venv))):
        if kind == "run" and "uv pip" in payload:
            # never let a sync reach another environment (the project's own .venv above all)
            assert env.get("VIRTUAL_ENV") == str(venv) or f"--python {venv} " in payload, payload
            assert "UV_PYTHON" not in env
        if kind == "env":
            name, _sep, value = payload.partition("=")
            value = value.strip('"').replace("$PATH", env["PATH"])
            env[name] = value
        else:
            done = subprocess.run(
                ["sh", "-c", payload],
                check=False,
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
            )
            assert done.returncode == 0, f"{payload}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(
    "fixture",
    [
        "single-stage",
        "multi-stage",
        "heredoc",
        "alpine",
        "comments-in-continuation",
        "escape-backtick",
        "other-base-image",  # uv venv --system-site-packages
    ],
)
def test_rewritten_install_commands_run(fixture: str, uv_path: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    wheel = make_wheel(index, "alpha", "1.0")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    workdir = tmp_path / "app"
    workdir.mkdir()
    (workdir / "requirements.lock").write_text(f"alpha==1.0 \\\n    --hash=sha256:{digest}\n")
    (tmp_path / "tmp").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "uv").symlink_to(uv_path)
    # the base interpreter, never the venv running the tests
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    (bin_dir / "python").symlink_to(base)
    (bin_dir / "python3").symlink_to(base)

    text = (FIXTURES / f"{fixture}.in.Dockerfile").read_text()
    result = rewrite(text, DockerPlan(uv_version="0.9.5"))
    assert result.changed
    # paths the image would have: /tmp/requirements.lock and the venv, moved under tmp
    new_text = result.text.replace("/tmp/", f"{workdir}/")

    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path / "home"),
        UV_CACHE_DIR=str(tmp_path / "cache"),
        UV_OFFLINE="1",
        UV_NO_INDEX="1",
        UV_FIND_LINKS=str(index),
        UV_NO_PROGRESS="1",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    venv = tmp_path / "venv"
    own = sorted(p.name for p in Path(sys.prefix).glob("lib/python*/site-packages/*"))
    _replay(new_text, workdir, env, venv)
    assert sorted(p.name for p in Path(sys.prefix).glob("lib/python*/site-packages/*")) == own

    python = venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import alpha, sys; print(alpha.__version__, sys.prefix)"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.split()
    assert out[0] == "1.0"
    assert Path(out[1]).resolve() == venv.resolve()
