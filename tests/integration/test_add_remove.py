"""``reqconv add`` / ``reqconv remove`` against the real uv and the local index (no network).

After every successful change, ``uv lock --check`` passes and the requirements files, parsed again
as convert parses them, give the same requirements as pyproject.toml (``assert_in_step``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from reqconv import cli, uv
from reqconv.convert import normalize
from reqconv.model import Dependency
from reqconv.project import pyproject
from reqconv.requirements import discover, parse
from tests._builders import fake_uv, git_commit, make_source_tree
from tests.integration.conftest import UvEnv

pytestmark = pytest.mark.uv


def write_service(
    root: Path,
    requirements: str,
    *,
    files: dict[str, str] | None = None,
    uv_tail: str = "",
) -> Path:
    """A service with ``requirements.txt`` (and ``files``), converted and locked by reqconv."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text(requirements, encoding="utf-8")
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f"dependencies = []\n\n[tool.uv]\npackage = false\n{uv_tail}",
        encoding="utf-8",
    )
    assert exit_code_of(["convert", "--no-docker", str(root)]) == 0
    return root


def exit_code_of(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    code = excinfo.value.code
    assert isinstance(code, int)
    return code


def hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``: what "every file identical" compares."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def pins_of(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        head = line.split(";")[0].split("\\")[0].strip()
        if "==" in head and not head.startswith("#"):
            name, _, version = head.partition("==")
            found[canonicalize_name(name)] = version.strip()
    return found


def requirements_of(root: Path) -> dict[str | None, set[str]]:
    """Per table, the requirements the service's requirements files give, as convert reads them."""
    roles = discover.discover(root)
    paths = [role.path for role in roles] + [r.compiled for r in roles if r.compiled]
    spec = normalize.convert(parse.parse_tree(paths), roles, root).spec
    tables: dict[str | None, set[str]] = {None: {d.requirement for d in spec.dependencies}}
    for group, items in spec.groups:
        tables[group] = {i.requirement for i in items if isinstance(i, Dependency)}
    return tables


def assert_in_step(root: Path, uv_env: UvEnv) -> None:
    uv_env.run("lock", "--check", "--project", str(root), cwd=root)
    spec = pyproject.read((root / "pyproject.toml").read_text(), path=root / "pyproject.toml")
    declared: dict[str | None, set[str]] = {None: {d.requirement for d in spec.dependencies}}
    for group, items in spec.groups:
        declared[group] = {i.requirement for i in items if isinstance(i, Dependency)}
    for table, requirements in requirements_of(root).items():
        assert requirements == declared.get(table, set()), table
    # And `reqconv check`, the CI drift check, finds nothing (requirements, pyproject, lock, exports,
    # a compiled .txt against the lock).
    assert exit_code_of(["check", str(root)]) == 0
    # `reqconv lock --check`: the lock holds every pin the requirements files keep.
    assert exit_code_of(["lock", "--check", str(root)]) == 0


def test_add_to_main_edits_every_file_and_moves_nothing_else(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "alpha==1.0\nbeta<2\n")
    before = pins_of((root / "requirements.lock").read_text())
    capsys.readouterr()

    assert exit_code_of(["add", "gamma>=1", "--project", str(root)]) == 0

    assert (root / "requirements.txt").read_text() == "alpha==1.0\nbeta<2\ngamma>=1\n"
    assert '"gamma>=1",' in (root / "pyproject.toml").read_text()
    after = pins_of((root / "requirements.lock").read_text())
    assert after == {**before, "gamma": "1.2"}  # alpha 1.0 and beta 1.5 stay where they were
    out = capsys.readouterr().out
    assert f"{root.as_posix()}/uv.lock: + gamma 1.2" in out
    assert "alpha" not in out.split("uv.lock:", 1)[1]
    assert_in_step(root, uv_env)


def test_add_to_a_group_with_an_extra_and_a_marker(uv_env: UvEnv, tmp_path: Path) -> None:
    root = write_service(
        tmp_path / "svc",
        "beta<2\n",
        files={"requirements-dev.txt": "# test tools\nzeta\n"},
    )
    requirement = 'gamma[extra]>=1.0; python_version >= "3.8"'
    assert exit_code_of(["add", "--dev", requirement, "--project", str(root)]) == 0

    assert (root / "requirements-dev.txt").read_text() == f"# test tools\nzeta\n{requirement}\n"
    text = (root / "pyproject.toml").read_text()
    assert """'gamma[extra]>=1.0; python_version >= "3.8"',""" in text
    spec = pyproject.read(text, path=root / "pyproject.toml")
    assert not any(d.name == "gamma" for d in spec.dependencies)  # the group, not main
    assert pins_of((root / "requirements.lock").read_text()) == {"alpha": "2.0", "beta": "1.5"}
    assert_in_step(root, uv_env)


def test_add_a_git_source_from_a_local_repository(uv_env: UvEnv, tmp_path: Path) -> None:
    repo = make_source_tree(tmp_path / "kappa", "kappa", "1.0", ["alpha<2"])
    git_commit(repo, "kappa 1.0", "v1.0")
    root = write_service(tmp_path / "svc", "beta<2\n")
    line = f"kappa @ git+{repo.as_uri()}@v1.0"

    assert exit_code_of(["add", line, "--project", str(root)]) == 0

    assert (root / "requirements.txt").read_text() == f"beta<2\n{line}\n"
    text = (root / "pyproject.toml").read_text()
    assert f'kappa = {{ git = "{repo.as_uri()}", tag = "v1.0" }}' in text
    locked = uv.read_lock((root / "uv.lock").read_text())
    assert next(p for p in locked.packages if p.name == "kappa").source == "git"
    assert pins_of((root / "requirements.lock").read_text())["alpha"] == "1.1"  # kappa needs <2
    assert_in_step(root, uv_env)

    assert exit_code_of(["remove", "kappa", "--project", str(root)]) == 0
    assert "kappa" not in (root / "pyproject.toml").read_text()  # its source went too
    assert (root / "requirements.txt").read_text() == "beta<2\n"
    assert_in_step(root, uv_env)


def test_credentials_in_a_url_are_stripped_as_convert_strips_them(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    secret = "kappa @ git+https://ci-bot:s3cr3t@git.example.com/org/kappa.git@v1.0"

    assert exit_code_of(["add", "--no-lock", secret, "--project", str(root)]) == 0

    for name in ("pyproject.toml", "requirements.txt"):
        text = (root / name).read_text()
        assert "s3cr3t" not in text
        assert "ci-bot" not in text
        assert "git.example.com/org/kappa.git" in text
    captured = capsys.readouterr()
    assert "s3cr3t" not in captured.out + captured.err
    assert "credentials removed" in captured.err


def test_adding_a_listed_package_names_where_it_is_and_changes_nothing(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "# runtime\nalpha==1.0\nBeta<2  # why\n")
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "beta>=1", "--project", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"{root / 'requirements.txt'}:3: beta is already listed in [project] dependencies" in err
    assert "--upgrade-spec" in err
    assert hashes(root) == before

    assert exit_code_of(["add", "--upgrade-spec", "beta>=1,<3", "--project", str(root)]) == 0
    assert (root / "requirements.txt").read_text() == "# runtime\nalpha==1.0\nbeta>=1,<3  # why\n"
    assert '"beta>=1,<3",' in (root / "pyproject.toml").read_text()
    assert pins_of((root / "requirements.lock").read_text())["beta"] == "1.5"  # still fits: kept
    assert_in_step(root, uv_env)


def test_unknown_package_exits_3_and_every_file_is_identical(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n", files={"requirements-dev.txt": "zeta\n"})
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "no-such-package>=1", "--project", str(root)]) == 3

    assert hashes(root) == before
    err = capsys.readouterr().err
    assert "no-such-package was not found on the package index" in err
    assert "Nothing was changed" in err


def test_contradicting_a_constraint_exits_2_before_anything_is_touched(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(
        tmp_path / "svc",
        "beta<2\n",
        uv_tail='constraint-dependencies = ["alpha<2"]\n',
    )
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "alpha>=2", "--project", str(root)]) == 2

    assert hashes(root) == before
    err = capsys.readouterr().err
    assert "contradicts the constraint 'alpha<2'" in err
    assert f"{root / 'pyproject.toml'}:" in err


def test_contradicting_a_pin_of_another_group_exits_2(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "alpha==1.0\n", files={"requirements-dev.txt": "zeta\n"})
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "--dev", "alpha>=2", "--project", str(root)]) == 2

    assert hashes(root) == before
    assert "contradicts 'alpha==1.0' in [project] dependencies" in capsys.readouterr().err


def test_invalid_requirement_exits_2_and_changes_nothing(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "gamma>=", "--project", str(root)]) == 2
    assert hashes(root) == before
    assert "'gamma>=': invalid requirement" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for uv")
def test_uv_killed_during_the_lock_restores_every_file(
    uv_env: UvEnv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    before = hashes(root)
    # uv rewrites uv.lock, then dies by SIGKILL before it finishes.
    fake = fake_uv(tmp_path / "uv", 'echo "half a lock" > uv.lock\nkill -9 $$\n')
    monkeypatch.setenv("UV", str(fake))

    assert exit_code_of(["add", "gamma", "--project", str(root)]) == 3

    assert hashes(root) == before
    assert "killed by SIGKILL" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="signals and a POSIX shell script stand-in")
@pytest.mark.parametrize(
    ("sig", "name"),
    [
        pytest.param(signal.SIGTERM, "SIGTERM", id="sigterm"),  # a cancelled CI job, `timeout`
        pytest.param(signal.SIGINT, "SIGINT", id="ctrl-c"),
    ],
)
def test_a_signal_during_the_lock_restores_every_file(
    uv_env: UvEnv, tmp_path: Path, sig: signal.Signals, name: str
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    before = hashes(root)
    pidfile = tmp_path / "uv.pid"
    started = tmp_path / "lock-started"
    fake = fake_uv(
        tmp_path / "uv",
        f'echo $$ > "{pidfile}"\necho x > uv.lock\ntouch "{started}"\nsleep 30\nexit 1\n',
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "reqconv", "add", "gamma", "--project", str(root)],
        env={**os.environ, "UV": str(fake)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "gamma" in (root / "requirements.txt").read_text()  # reqconv is mid-change
        time.sleep(0.3)  # reqconv is waiting on uv
        child.send_signal(sig)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
        if pidfile.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.killpg(int(pidfile.read_text()), signal.SIGKILL)
    assert child.returncode == 130, f"{name}: {err}"
    assert "interrupted; every file was restored" in err
    assert hashes(root) == before


def _reqconv(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reqconv", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def _held(root: Path, *, seconds: int) -> Iterator[None]:
    """Another process holds the service's folder lock for ``seconds`` (or until the block ends)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, pathlib\nfrom reqconv import fs\n"
            "with fs.folder_lock(pathlib.Path(sys.argv[1]), timeout=5):\n"
            f"    print('held', flush=True)\n    time.sleep({seconds})\n",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        yield
    finally:
        holder.kill()
        holder.communicate()  # reaps it and closes its pipe


def test_two_concurrent_adds_on_one_service_both_land(uv_env: UvEnv, tmp_path: Path) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n", files={"requirements-dev.txt": "zeta\n"})
    runs = [
        _reqconv("add", "gamma>=1", "--project", str(root)),
        _reqconv("add", "--dev", "eta==1.0", "--project", str(root)),
        _reqconv("add", "delta", "--project", str(root)),
    ]
    results = [run.communicate(timeout=300) for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], results
    main = set((root / "requirements.txt").read_text().splitlines())
    assert main == {"beta<2", "gamma>=1", "delta"}
    assert set((root / "requirements-dev.txt").read_text().splitlines()) == {"zeta", "eta==1.0"}
    locked = pins_of((root / "requirements.lock").read_text())
    assert {"gamma", "delta", "beta"} <= locked.keys()
    assert_in_step(root, uv_env)


def test_a_second_run_waits_and_says_so(uv_env: UvEnv, tmp_path: Path) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    with _held(root, seconds=60):
        before = hashes(root)
        run = _reqconv("add", "gamma", "--wait", "0.5", "--project", str(root))
        _, err = run.communicate(timeout=60)
    assert run.returncode == 3
    assert "another reqconv run is changing this service; waiting" in err
    assert "did not finish within 0.5 s; nothing was changed" in err
    assert hashes(root) == before


def _compile(uv_env: UvEnv, root: Path, source: str, output: str) -> None:
    uv_env.run("pip", "compile", "-q", source, "-o", output, cwd=root)


def test_add_and_remove_in_a_pip_compile_service(uv_env: UvEnv, tmp_path: Path) -> None:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "requirements.in").write_text("beta<2\n")
    _compile(uv_env, root, "requirements.in", "requirements.txt")
    (root / "requirements-dev.in").write_text("-c requirements.txt\nzeta\n")
    _compile(uv_env, root, "requirements-dev.in", "requirements-dev.txt")
    assert exit_code_of(["convert", "--no-docker", "--export-group", "dev", str(root)]) == 0
    dev_before = (root / "requirements-dev.txt").read_bytes()

    assert exit_code_of(["add", "gamma[extra]", "--project", str(root)]) == 0

    assert (root / "requirements.in").read_text() == "beta<2\ngamma[extra]\n"
    compiled = (root / "requirements.txt").read_text()
    assert "autogenerated by uv from uv.lock, in step with requirements.in" in compiled
    # pip install -r requirements.txt and the image (requirements.lock) get the same versions.
    assert pins_of(compiled) == pins_of((root / "requirements.lock").read_text())
    assert pins_of(compiled) == {"alpha": "2.0", "beta": "1.5", "gamma": "1.2"}
    assert (root / "requirements-dev.txt").read_bytes() == dev_before  # nothing of it moved
    assert_in_step(root, uv_env)

    assert exit_code_of(["remove", "beta", "--project", str(root)]) == 0

    assert (root / "requirements.in").read_text() == "gamma[extra]\n"
    compiled = (root / "requirements.txt").read_text()
    # gamma's extra still needs beta; only what nothing needs any more leaves.
    assert pins_of(compiled) == pins_of((root / "requirements.lock").read_text())
    assert_in_step(root, uv_env)

    assert exit_code_of(["add", "--dev", "eta", "--project", str(root)]) == 0
    # One entry is no order to keep: the line is appended.
    assert (root / "requirements-dev.in").read_text() == "-c requirements.txt\nzeta\neta\n"
    dev = (root / "requirements-dev.txt").read_text()
    assert pins_of(dev) == {"eta": "1.1", "zeta": "1.0"}  # the group alone, as it was compiled
    assert pins_of((root / "requirements-dev.lock").read_text()).keys() >= {"eta", "zeta"}
    assert_in_step(root, uv_env)


def test_remove_what_is_not_listed_names_the_group_and_where_it_is(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n", files={"requirements-dev.txt": "zeta\n"})
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["remove", "zeta", "--project", str(root)]) == 2
    err = capsys.readouterr().err
    assert "zeta is not listed in [project] dependencies; it is listed in group 'dev'" in err
    assert f"{root / 'requirements-dev.txt'}:1" in err
    assert exit_code_of(["remove", "--dev", "nothing-here", "--project", str(root)]) == 2
    assert "nothing-here is not listed in group 'dev'" in capsys.readouterr().err
    assert hashes(root) == before


def test_dry_run_shows_the_diff_and_writes_nothing(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(tmp_path / "svc", "beta<2\n")
    before = hashes(root)
    capsys.readouterr()

    assert exit_code_of(["add", "--dry-run", "gamma", "--project", str(root)]) == 0
    assert exit_code_of(["add", "--check", "gamma", "--project", str(root)]) == 1

    assert hashes(root) == before
    out = capsys.readouterr().out
    assert "+gamma\n" in out
    assert '+    "gamma",' in out


def test_line_endings_and_bom_of_the_requirements_file_are_kept(
    uv_env: UvEnv, tmp_path: Path
) -> None:
    root = tmp_path / "svc"
    write_service(root, "alpha\nbeta<2\n")
    (root / "requirements.txt").write_bytes(b"\xef\xbb\xbfalpha\r\nbeta<2\r\n")

    assert exit_code_of(["add", "zeta", "--project", str(root)]) == 0
    assert (root / "requirements.txt").read_bytes() == b"\xef\xbb\xbfalpha\r\nbeta<2\r\nzeta\r\n"


FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "add"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["add", "gamma[extra]>=1.2"], "after-add", id="add"),
        pytest.param(["remove", "--dev", "zeta"], "after-remove", id="remove"),
    ],
)
def test_the_docs_example_gives_the_files_shown(
    uv_env: UvEnv, tmp_path: Path, argv: list[str], expected: str
) -> None:
    root = tmp_path / "worker"
    shutil.copytree(FIXTURE / "before", root)
    assert exit_code_of(["lock", str(root)]) == 0

    assert exit_code_of([*argv, "--project", str(root)]) == 0

    for path in sorted((FIXTURE / expected).iterdir()):
        assert (root / path.name).read_text() == path.read_text(), path.name
    for path in sorted((FIXTURE / "before").iterdir()):
        if not (FIXTURE / expected / path.name).exists():
            assert (root / path.name).read_bytes() == path.read_bytes(), path.name
    assert_in_step(root, uv_env)


def test_add_an_editable_path_given_from_the_current_folder(
    uv_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lam = make_source_tree(tmp_path / "libs" / "lam", "lam", "0.3", ["zeta"])
    with (lam / "pyproject.toml").open("a") as f:  # a static name, as reqconv reads it
        f.write('\n[project]\nname = "lam"\nversion = "0.3"\ndependencies = ["zeta"]\n')
    root = write_service(tmp_path / "svc", "beta<2\n")
    monkeypatch.chdir(tmp_path)  # the path is the user's, relative to where they run reqconv

    assert exit_code_of(["add", "--project", "svc", "--", "-e", "libs/lam"]) == 0

    assert (root / "requirements.txt").read_text() == "beta<2\n-e ../libs/lam\n"
    assert (
        'lam = { path = "../libs/lam", editable = true }' in (root / "pyproject.toml").read_text()
    )
    assert_in_step(root, uv_env)


def test_a_lock_run_waits_for_an_add_on_the_same_service(uv_env: UvEnv, tmp_path: Path) -> None:
    # `reqconv lock` (and `convert`) hold the service as add and remove do.
    root = write_service(tmp_path / "svc", "beta<2\n")
    with _held(root, seconds=2):
        run = _reqconv("lock", str(root))
        _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "another reqconv run is changing this service; waiting" in err


def test_every_export_is_written_again_and_json_reports_the_moves(
    uv_env: UvEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_service(
        tmp_path / "svc",
        "beta<2\n",
        files={
            "requirements-dev.txt": "zeta\n",
            # A stage of the image installs the dev group: its export must follow the lock.
            "Dockerfile": "FROM python:3.11-slim\nCOPY requirements-dev.lock /tmp/\n",
        },
    )
    assert "zeta==1.0" in (root / "requirements-dev.lock").read_text()
    capsys.readouterr()

    assert exit_code_of(["add", "--dev", "--json", "eta==1.0", "--project", str(root)]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["action"] == "add"
    assert report["group"] == "dev"
    assert report["lock"] == {
        "entered": [{"name": "eta", "version": "1.0"}],
        "left": [],
        "moved": [],
    }
    assert str(root / "requirements-dev.lock") in report["written"]
    assert "eta==1.0" in (root / "requirements-dev.lock").read_text()
    assert "eta" not in pins_of((root / "requirements.lock").read_text())  # production only
    assert_in_step(root, uv_env)
