"""``--all`` without uv: which folders the walk takes and why, the summary, the parallel run, and
what the terminal shows (a pseudo-terminal against a pipe and ``NO_COLOR``)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from reqconv.commands import WriteMode
from reqconv.errors import InputError, Location
from reqconv.monorepo import report, run, tasks, walk
from reqconv.monorepo.report import Detail, ServiceReport
from tests._builders import fake_uv, write_files
from tests.integration.test_lock import exit_code_of, snapshot

ROOT = Path(__file__).resolve().parents[2]
MONOREPO = ROOT / "fixtures" / "monorepo"
ESCAPE = re.compile(rb"\x1b[\[\]()]")


def _found(root: Path) -> dict[str, str]:
    return {f.path.relative_to(root).as_posix(): f.why for f in walk.find_services([root]).services}


def test_walk_finds_every_service_of_the_bundled_monorepo() -> None:
    assert _found(MONOREPO) == {
        "apps/backend": "requirements files: requirements.txt, requirements-dev.txt",
        "apps/worker": "requirements files: requirements.in, requirements.txt",
        "plugins/private-plugin": "requirements files: requirements.txt",
        "plugins/public/file-manager": "requirements files: requirements.txt, "
        "requirements-test.txt",
    }


def test_walk_skips_vcs_venvs_node_modules_build_output_and_gitignored(tmp_path: Path) -> None:
    req = "alpha==1.0\n"
    write_files(
        tmp_path,
        {
            "svc/requirements.txt": req,
            ".git/requirements.txt": req,
            "node_modules/pkg/requirements.txt": req,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/requirements.txt": req,
            "build/lib/requirements.txt": req,
            "dist/requirements.txt": req,
            "pkg.egg-info/requirements.txt": req,
            ".gitignore": "generated/\n/scratch\nvendor*/\n!vendor-ours/\n",
            "generated/requirements.txt": req,
            "scratch/requirements.txt": req,
            "deep/scratch/requirements.txt": req,  # /scratch is anchored at the top
            "vendor-x/requirements.txt": req,
            "vendor-ours/requirements.txt": req,  # re-included by the negation
            "deep/.gitignore": "other/\n",
            "deep/other/requirements.txt": req,  # ignored by the nearer .gitignore
            "deep/generated/requirements.txt": req,  # and by the top one
        },
    )
    assert sorted(_found(tmp_path)) == ["deep/scratch", "svc", "vendor-ours"]


def test_nested_folder_is_its_own_service_only_with_its_own_dockerfile_or_compose_entry(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "app/requirements.txt": "alpha\n",
            "app/requirements/dev.txt": "beta\n",  # the app's own requirements/ folder
            "app/tools/requirements.txt": "gamma\n",  # no Dockerfile: part of app
            "app/admin/requirements.txt": "beta\n",
            "app/admin/Dockerfile": "FROM python:3.12\n",
            "app/jobs/requirements.txt": "delta\n",
            # its Dockerfile lies elsewhere: only the compose entry makes it a service
            "compose.yaml": "services:\n  jobs:\n    build:\n      context: app/jobs\n"
            "      dockerfile: ../../docker/jobs.Dockerfile\n",
            "docker/jobs.Dockerfile": "FROM python:3.12\n",
        },
    )
    (tmp_path / ".git").mkdir()
    result = walk.find_services([tmp_path / "app"])
    taken = {f.path.name: f.why for f in result.services}
    assert sorted(taken) == ["admin", "app", "jobs"]
    assert (
        taken["admin"]
        == f"requirements files: requirements.txt; inside {tmp_path / 'app'}, but its own Dockerfile"
    )
    assert "a compose entry of its own (" in taken["jobs"]
    assert "compose.yaml:3)" in taken["jobs"]
    (left,) = result.left
    assert left.path == tmp_path / "app" / "tools"
    assert left.why.endswith(
        "with no Dockerfile or compose entry of its own: part of " + str(tmp_path / "app")
    )


def test_several_paths_are_walked_and_a_service_is_taken_once(tmp_path: Path) -> None:
    write_files(tmp_path, {"a/requirements.txt": "alpha\n", "b/x/requirements.txt": "beta\n"})
    result = walk.find_services([tmp_path / "a", tmp_path, tmp_path / "b"])
    assert [f.path for f in result.services] == [tmp_path / "a", tmp_path / "b" / "x"]


def test_a_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a folder"):
        walk.find_services([tmp_path / "nope"])


def test_convert_at_a_root_names_the_services_below_and_suggests_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(MONOREPO, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    before = snapshot(tmp_path / "repo")
    assert exit_code_of(["convert", "--no-lock", "."]) == 2
    err = capsys.readouterr().err
    assert (
        "reqconv: error: .: no requirements files here, but 4 service(s) below: apps/backend, "
        "apps/worker, plugins/private-plugin, plugins/public/file-manager; convert them all with "
        "`reqconv convert --all .`"
    ) in err
    assert snapshot(tmp_path / "repo") == before


def _report(path: str, status: report.Status = "converted", code: int = 0) -> ServiceReport:
    return ServiceReport(path=Path(path), status=status, exit_code=code)


def test_summary_rows_count_moved_versions_and_their_reasons() -> None:
    one = _report("apps/backend")
    one.groups = ("dev",)
    one.packages = 15
    one.moved = ("held by a constraint", "held by a constraint", "yanked")
    one.dockerfiles_rewritten, one.dockerfiles_kept = 1, 2
    one.details = [Detail(severity="warning", message="w"), Detail(severity="info", message="i")]
    assert report.rows([one]) == [
        ("apps/backend", "converted", "dev", "15", "3 (2 reasons)", "1 rewritten / 2 kept", "1")
    ]
    assert report.rows([_report("x", "on uv")]) == [("x", "on uv", "-", "-", "0", "-", "0")]


def test_exit_code_is_the_worst_of_the_services() -> None:
    assert report.worst([]) == 0
    assert report.worst([_report("a"), _report("b", "failed", 3), _report("c", "failed", 2)]) == 3


def test_details_are_grouped_per_service_and_file_with_file_line() -> None:
    failed = _report("plugins/fm", "failed", 2)
    report.failed_report(
        failed,
        InputError("invalid requirement", Location(Path("plugins/fm/requirements.txt"), 7)),
    )
    ok = _report("apps/backend")
    ok.details = [Detail(severity="info", message="quiet unless verbose", path="apps/backend/x")]
    text = report.details_text([ok, failed], left=[(Path("apps/backend/tools"), "part of it")])
    assert text.splitlines() == [
        "left: apps/backend/tools: part of it",
        "",
        "plugins/fm: failed",
        "  requirements.txt",
        "    plugins/fm/requirements.txt:7: error: invalid requirement",
    ]
    assert "quiet unless verbose" in report.details_text([ok], verbose=True)
    assert report.details_text([ok, failed], quiet=True).startswith("plugins/fm: failed")


def test_workers_are_bounded_by_the_cores_and_the_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert run.workers_for(None, 8) == 2
    assert run.workers_for(8, 8) == 2
    assert run.workers_for(1, 8) == 1
    assert run.workers_for(None, 1) == 1
    assert run.workers_for(None, 0) == 1


@dataclass(frozen=True)
class _Settings:
    mode: WriteMode = WriteMode()


def _echo_task(job: tasks.Job[_Settings]) -> ServiceReport:
    run.stage(job.root, "working")
    if job.root.name == "bad":
        raise RuntimeError("boom")  # a task that breaks its promise to catch everything
    return ServiceReport(path=job.root, status="unchanged", why=f"pid {os.getpid()}")


@pytest.mark.parametrize("workers", [1, 2])
def test_run_all_keeps_the_order_and_hears_each_stage(workers: int) -> None:
    jobs = [tasks.Job(root=Path(name), options=_Settings()) for name in ("a", "b", "c")]
    events: list[run.Event] = []
    reports = run.run_all(_echo_task, jobs, workers=workers, on_event=events.append)
    assert [r.path for r in reports] == [Path("a"), Path("b"), Path("c")]
    assert sorted(e.path.name for e in events if e.stage == "working") == ["a", "b", "c"]
    assert sorted(e.path.name for e in events if e.report is not None) == ["a", "b", "c"]
    pids = {r.why for r in reports}
    assert (f"pid {os.getpid()}" in pids) == (workers == 1)  # in this process only with -j 1


def test_a_task_that_raises_in_a_worker_fails_its_service_only() -> None:
    jobs = [tasks.Job(root=Path(name), options=_Settings()) for name in ("a", "bad")]
    reports = run.run_all(_echo_task, jobs, workers=2, on_event=lambda event: None)
    assert [(r.status, r.exit_code) for r in reports] == [("unchanged", 0), ("failed", 4)]
    assert "boom" in reports[1].details[0].message


def test_a_service_never_writes_in_a_service_nested_in_it(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "app/requirements.txt": "alpha==1.0\n",
            "app/admin/requirements.txt": "beta==1.0\n",
            "app/admin/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n"
            "RUN pip install -r requirements.txt\n",
        },
    )
    app = tmp_path / "app"
    (job,) = [j for j in tasks.jobs([(app, ""), (app / "admin", "")], _Settings()) if j.root == app]
    assert job.nested == (app / "admin",)
    from reqconv.model import FileChange

    def change(path: Path) -> FileChange:
        return FileChange(path=path, before=b"a", after=b"b", before_text="a", after_text="b")

    inside = change(app / "Dockerfile")
    nested = change(app / "admin" / "Dockerfile")
    outside = change(tmp_path / "Dockerfile")
    own, notes = tasks._keep_own(job, [inside, nested, outside])
    assert own == [inside]
    assert [n.location for n in notes] == [Location(nested.path), Location(outside.path)]
    assert all(n.code == "outside-service" for n in notes)


def _run_cli(tmp_path: Path, *, tty: bool, env: dict[str, str]) -> tuple[bytes, bytes, int]:
    """``reqconv convert --all --no-lock --no-docker .`` in a copy of the monorepo: stdout (a
    pipe) and stderr (a pseudo-terminal when ``tty``) as bytes, and the exit code."""
    repo = tmp_path / "repo"
    if not repo.exists():
        shutil.copytree(MONOREPO, repo)
    argv = [
        sys.executable,
        "-m",
        "reqconv",
        "convert",
        "--all",
        "--no-lock",
        "--no-docker",
        "-j",
        "1",
        ".",
    ]
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({"TERM": "xterm-256color", "COLUMNS": "100", **env})
    if not tty:
        done = subprocess.run(
            argv, check=False, cwd=repo, env=full_env, capture_output=True, timeout=120
        )
        return done.stdout, done.stderr, done.returncode
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        argv, cwd=repo, env=full_env, stdout=subprocess.PIPE, stderr=follower
    )
    os.close(follower)
    err = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower side closed: the process is done
            break
        if not chunk:
            break
        err += chunk
    assert process.stdout is not None
    with process.stdout:
        out = process.stdout.read()
    code = process.wait(timeout=60)
    os.close(leader)
    return out, err, code


def test_progress_shows_on_a_terminal_and_never_in_a_pipe_or_with_no_color(
    tmp_path: Path,
) -> None:
    out, err, code = _run_cli(tmp_path, tty=True, env={})
    assert code == 0, err
    assert ESCAPE.search(err), err  # the live display draws with escape codes
    assert b"/4" in err  # services done / total
    assert re.search(rb"(planning|writing) [a-z/-]+", err), err  # the one under way
    assert not ESCAPE.search(out)  # stdout is a pipe: the summary has no color

    out, err, code = _run_cli(tmp_path, tty=False, env={})
    assert code == 0
    assert not ESCAPE.search(out)
    assert not ESCAPE.search(err)
    assert err == b""  # no progress at all in a log
    assert re.search(rb"^apps/backend\s+unchanged\s", out, re.MULTILINE), out

    out, err, code = _run_cli(tmp_path, tty=True, env={"NO_COLOR": "1"})
    assert code == 0
    assert not ESCAPE.search(err), err
    assert not ESCAPE.search(out)
    assert b"reqconv: 4/4 plugins/public/file-manager: unchanged" in err  # plain lines instead

    out, _, _ = _run_cli(tmp_path, tty=False, env={"NO_COLOR": "1"})
    forced, _, _ = _run_cli(tmp_path, tty=False, env={})
    assert not ESCAPE.search(out)
    assert not ESCAPE.search(forced)


def test_color_always_colors_the_summary_even_in_a_pipe(tmp_path: Path) -> None:
    shutil.copytree(MONOREPO, tmp_path / "repo")
    argv = [
        sys.executable,
        "-m",
        "reqconv",
        "convert",
        "--all",
        "--no-lock",
        "--no-docker",
        "--color",
        "always",
        ".",
    ]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run(
        argv, check=False, cwd=tmp_path / "repo", env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0
    assert ESCAPE.search(done.stdout)
    assert done.stderr == b""  # stderr is not a terminal: still no progress display


def test_json_is_a_list_of_service_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(MONOREPO, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    capsys.readouterr()
    assert (
        exit_code_of(["convert", "--all", "--no-lock", "--no-docker", "--json", "-j", "1", "."])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert [item["path"] for item in data] == [
        "apps/backend",
        "apps/worker",
        "plugins/private-plugin",
        "plugins/public/file-manager",
    ]
    assert {item["status"] for item in data} == {"converted"}
    assert data[0]["written"] == ["apps/backend/pyproject.toml"]


def test_jobs_and_verbose_need_all(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of(["convert", "-j", "2", "."]) == 2
    assert "only with --all" in capsys.readouterr().err
    assert exit_code_of(["convert", "--all", "--color", "sometimes", "."]) == 2


def test_sigterm_stops_every_worker_and_each_restores_its_service(tmp_path: Path) -> None:
    # A cancelled CI job: the parent is told to stop while two workers wait on `uv lock`.
    repo = tmp_path / "repo"
    shutil.copytree(MONOREPO, repo)
    before = snapshot(repo)
    started = tmp_path / "started"
    uv_bin = fake_uv(tmp_path / "uv", f"echo lock >> {started}\nexec sleep 60\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(UV=str(uv_bin), PRIVATE_PYPI_TOKEN="x")
    argv = [sys.executable, "-m", "reqconv", "convert", "--all", "-j", "2", "--no-docker", "."]
    process = subprocess.Popen(
        argv, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    for _ in range(600):  # up to a minute for both workers to reach their lock
        if started.exists() and len(started.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    assert started.exists(), "no worker reached uv lock"
    assert (repo / "apps/backend/pyproject.toml").exists()  # written, inside its transaction

    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    assert snapshot(repo) == before  # every service as it was, no temp file left


def test_options_that_name_one_services_files_are_refused_with_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert exit_code_of(["convert", "--all", "--main", "requirements.txt", str(MONOREPO)]) == 2
    assert "--main, --group and --name name one service's files: not with --all" in (
        capsys.readouterr().err
    )
    assert exit_code_of(["docker", "--all", "--dockerfile", "Dockerfile", str(MONOREPO)]) == 2
    assert "--dockerfile names one service's files" in capsys.readouterr().err


def test_an_interrupt_names_the_services_that_had_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reqconv.commands import _all

    def task(job: tasks.Job[_Settings]) -> ServiceReport:
        if job.root.name == "worker":
            raise KeyboardInterrupt
        return ServiceReport(path=job.root, status="converted", written=["pyproject.toml"])

    monkeypatch.setitem(_all._TASKS, "convert", task)
    assert exit_code_of(["convert", "--all", "-j", "1", str(MONOREPO / "apps")]) == 130
    err = capsys.readouterr().err
    assert (
        f"reqconv: stopped; these services had finished and keep their changes: "
        f"{(MONOREPO / 'apps/backend').as_posix()}; every other one is as it was"
    ) in err
