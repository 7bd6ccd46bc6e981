"""The built distribution works where users install it, not only the source tree.

``uv build`` makes the sdist and the wheel (offline: the build backend is the one the test
environment has, ``--no-build-isolation``); the wheel built from the sdist has the same files as
the one built from the tree; and the wheel, installed into a clean venv, runs ``reqconv --version``
and a real ``reqconv convert --no-lock`` of a bundled fixture.

The clean venv gets reqconv from the wheel only. Its dependencies are the test environment's own
(a ``.pth`` line naming that environment's site-packages; ``.pth`` files *in* that folder, such as
the editable install's, are not read from there), so the wheel is tried with the same dependency
versions as the rest of the run: locked, newest or lowest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from reqconv.uv import find_uv

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.uv, pytest.mark.slow]


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=300
    )
    assert done.returncode == 0, f"{argv} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """sdist, wheel from the sdist (uv build's default) and wheel from the tree."""
    work = tmp_path_factory.mktemp("build")
    tree = work / "tree"
    # A copy of what git tracks would be ideal; the package, its metadata and README suffice.
    shutil.copytree(
        ROOT / "reqconv", tree / "reqconv", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    for name in ("tests", "docs"):  # the sdist includes them (pyproject's sdist include)
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    uv = str(find_uv())
    common = ["--no-build-isolation", "--offline", "--python", sys.executable]
    _run([uv, "build", *common, "--out-dir", str(work / "dist")], cwd=tree)
    _run([uv, "build", "--wheel", *common, "--out-dir", str(work / "direct")], cwd=tree)
    (sdist,) = (work / "dist").glob("reqconv-*.tar.gz")
    (from_sdist,) = (work / "dist").glob("reqconv-*.whl")
    (direct,) = (work / "direct").glob("reqconv-*.whl")
    return {"sdist": sdist, "wheel": from_sdist, "direct": direct}


def _members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as zf:
        return {
            info.filename: zf.read(info)
            for info in zf.infolist()
            if not info.filename.endswith("/RECORD")  # hashes of the same files: compared below
        }


def test_the_sdist_builds_the_same_wheel(dists: dict[str, Path]) -> None:
    from_sdist, direct = _members(dists["wheel"]), _members(dists["direct"])
    assert sorted(from_sdist) == sorted(direct)
    assert from_sdist == direct
    assert "reqconv/py.typed" in from_sdist
    assert "reqconv/docker/reasons.py" in from_sdist
    assert not [name for name in from_sdist if name.startswith(("tests/", "docs/", "fixtures/"))]


def test_the_wheel_runs_in_a_clean_venv(dists: dict[str, Path], tmp_path: Path) -> None:
    uv = str(find_uv())
    venv = tmp_path / "venv"
    _run([uv, "venv", "--python", sys.executable, str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        [
            uv,
            "pip",
            "install",
            "--offline",
            "--no-deps",
            "--python",
            str(python),
            str(dists["wheel"]),
        ],
        cwd=tmp_path,
    )
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "zz_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = _run([str(python), "-c", "import reqconv; print(reqconv.__file__)"], tmp_path, env)
    assert Path(where.strip()).is_relative_to(venv), where  # the wheel's copy, not the tree's

    version = _run([str(venv / "bin" / "reqconv"), "--version"], tmp_path, env)
    from reqconv import __version__

    assert version.strip() == f"reqconv {__version__}"

    service = tmp_path / "monorepo"
    shutil.copytree(ROOT / "fixtures" / "monorepo", service)
    worker = service / "apps" / "worker"
    out = _run([str(venv / "bin" / "reqconv"), "convert", "--no-lock", str(worker)], tmp_path, env)
    assert "requirements.in -> [project] dependencies" in out
    written = (worker / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "worker"' in written
    assert "celery" in written
    assert "uv pip sync" in (worker / "Dockerfile").read_text(encoding="utf-8")
