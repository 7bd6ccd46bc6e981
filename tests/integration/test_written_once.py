"""Every writing command lists each file it wrote exactly once, printed and in ``--json``.

Real uv against the local index. The pip-compile service is the shape of the bundled
``fixtures/monorepo/apps/worker`` (a compiled, hashed ``requirements.txt`` beside its ``.in``, and a
pip Dockerfile): there ``add`` regenerates the compiled file, which records the fingerprint a
second time, and the report once listed ``.reqconv-fingerprint`` twice.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reqconv import cli
from tests.integration.conftest import UvEnv

pytestmark = pytest.mark.uv

DOCKERFILE = (
    "FROM python:3.11-slim\n"
    "WORKDIR /app\n"
    "COPY requirements.txt .\n"
    "RUN pip install --no-cache-dir -r requirements.txt\n"
)


def _reqconv(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    code = excinfo.value.code
    assert isinstance(code, int)
    return code


def _worker(uv_env: UvEnv, root: Path) -> Path:
    """A pip-compile service with a pip Dockerfile, as ``apps/worker`` is (not converted yet)."""
    root.mkdir()
    (root / "requirements.in").write_text("beta<2\n")
    uv_env.run(
        "pip", "compile", "-q", "--generate-hashes", "requirements.in", "-o", "requirements.txt",
        cwd=root,
    )  # fmt: skip
    (root / "Dockerfile").write_text(DOCKERFILE)
    return root


def _printed(out: str) -> list[str]:
    return [line.removeprefix("wrote ") for line in out.splitlines() if line.startswith("wrote ")]


def _assert_once(paths: list[str], must: set[str]) -> None:
    twice = sorted(path for path, n in Counter(paths).items() if n > 1)
    assert twice == [], f"listed more than once: {twice}"
    assert must <= set(paths), paths  # the list is the real one, not an empty one


@pytest.mark.parametrize("as_json", [False, True], ids=["printed", "json"])
def test_add_and_remove_list_each_written_file_once(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    root = _worker(uv_env, tmp_path / "worker")
    assert _reqconv(["convert", str(root)]) == 0
    capsys.readouterr()
    json_flag = ["--json"] if as_json else []
    fingerprint = (root / ".reqconv-fingerprint").as_posix()

    for argv in (["add", "gamma>=1"], ["remove", "gamma"]):
        assert _reqconv([*argv, *json_flag, "--project", str(root)]) == 0
        out = capsys.readouterr().out
        written = json.loads(out)["written"] if as_json else _printed(out)
        # The compiled requirements.txt is regenerated from the new lock: the case that listed
        # the fingerprint twice.
        must = {f"{root.as_posix()}/{name}" for name in ("requirements.in", "requirements.txt")}
        _assert_once(written, must | {fingerprint, (root / "uv.lock").as_posix()})


@pytest.mark.parametrize("as_json", [False, True], ids=["printed", "json"])
def test_convert_lock_and_docker_list_each_written_file_once(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    root = _worker(uv_env, tmp_path / "worker")
    json_flag = ["--json"] if as_json else []

    def written(out: str) -> list[str]:
        if not as_json:
            return _printed(out)
        report = json.loads(out)
        if "services" in report and "written" not in report:  # convert, lock: per service
            return [path for service in report["services"] for path in service["written"]]
        return list(report["written"])

    files = {name: (root / name).as_posix() for name in ("pyproject.toml", "uv.lock")}
    assert _reqconv(["convert", "--no-docker", *json_flag, str(root)]) == 0
    _assert_once(written(capsys.readouterr().out), set(files.values()))

    for name in ("uv.lock", "requirements.lock"):  # for the lock step to write both again
        (root / name).unlink()
    assert _reqconv(["lock", *json_flag, str(root)]) == 0
    export = (root / "requirements.lock").as_posix()
    _assert_once(written(capsys.readouterr().out), {files["uv.lock"], export})

    assert _reqconv(["docker", *json_flag, str(root)]) == 0
    _assert_once(written(capsys.readouterr().out), {(root / "Dockerfile").as_posix()})
