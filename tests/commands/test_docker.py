"""`reqconv docker`: planning per service, diff/check/json modes, writes that keep the file's form."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reqconv.commands import CollectedOutput, WriteMode
from reqconv.commands.docker import DockerOptions, run
from reqconv.docker.builds import find_dockerfiles
from reqconv.docker.plan import lock_table, plan_service
from reqconv.errors import DockerfileError
from reqconv.model import Role

FIXTURES = Path(__file__).parents[2] / "fixtures"
UV_VERSION = "0.9.5"


@pytest.fixture
def service(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\n")
    (root / "requirements-dev.txt").write_text("-r requirements.txt\nbeta==1.0\n")
    shutil.copy(FIXTURES / "dockerfiles" / "dev-stage.in.Dockerfile", root / "Dockerfile")
    (root / "worker.Dockerfile").write_bytes(
        (FIXTURES / "dockerfiles" / "crlf.in.Dockerfile").read_bytes()
    )
    (root / "Dockerfile.static").write_text("FROM nginx\nCOPY . /usr/share/nginx/html\n")
    (root / "notes.txt").write_text("not a Dockerfile\n")
    return root


def _run(root: Path, **mode: bool) -> tuple[int, CollectedOutput]:
    out = CollectedOutput()
    options = DockerOptions(paths=(root,), mode=WriteMode(**mode))
    return run(options, out, uv_version=UV_VERSION), out


def test_find_dockerfiles(service: Path) -> None:
    names = [p.name for p in find_dockerfiles(service)]
    assert names == ["Dockerfile", "Dockerfile.static", "worker.Dockerfile"]
    assert find_dockerfiles(service / "missing") == []


def test_lock_table_from_roles(tmp_path: Path) -> None:
    roles = (
        Role(path=tmp_path / "requirements.in", compiled=tmp_path / "requirements.txt"),
        Role(path=tmp_path / "requirements" / "dev.txt", group="dev"),
    )
    lock_for, groups = lock_table(tmp_path, roles)
    assert lock_for == {
        "requirements.in": "requirements.lock",
        "requirements.txt": "requirements.lock",
        "requirements/dev.txt": "requirements-dev.lock",
    }
    assert groups == {"requirements.lock": None, "requirements-dev.lock": "dev"}


def test_plan_service_writes_nothing(service: Path) -> None:
    before = {p.name: p.read_bytes() for p in service.iterdir()}
    plan = plan_service(service, uv_version=UV_VERSION)
    assert {p.name: p.read_bytes() for p in service.iterdir()} == before
    changed = sorted(c.path.name for c in plan.changes if c.changed)
    assert changed == [".dockerignore", "Dockerfile", "worker.Dockerfile"]
    assert plan.locks == ("requirements.lock", "requirements-dev.lock")
    assert plan.lock_groups == ("dev",)
    assert plan.pending


def test_run_check_then_write_then_check(service: Path) -> None:
    code, out = _run(service, check=True)
    assert code == 1
    diff = "\n".join(out.stdout)
    assert "+    uv pip install --require-hashes -r /tmp/requirements-dev.lock" in diff
    assert not (service / ".dockerignore").exists()

    code, out = _run(service)
    assert code == 0
    assert sorted(Path(line.removeprefix("wrote ")).name for line in out.stdout) == [
        ".dockerignore",
        "Dockerfile",
        "worker.Dockerfile",
    ]
    assert (service / ".dockerignore").read_text() == ".venv\n"
    assert (service / "Dockerfile").read_text() == (
        FIXTURES / "dockerfiles" / "dev-stage.expected.Dockerfile"
    ).read_text()
    crlf = (service / "worker.Dockerfile").read_bytes()
    assert crlf == (FIXTURES / "dockerfiles" / "crlf.expected.Dockerfile").read_bytes()

    assert _run(service, check=True)[0] == 0  # idempotent
    code, out = _run(service)
    assert code == 0
    assert out.stdout == []


def test_dry_run_prints_diff_and_exits_zero(service: Path) -> None:
    code, out = _run(service, dry_run=True)
    assert code == 0
    assert any(line.startswith("--- ") for line in "\n".join(out.stdout).splitlines())
    assert (service / "Dockerfile").read_text() == (
        FIXTURES / "dockerfiles" / "dev-stage.in.Dockerfile"
    ).read_text()


def test_findings_go_to_stderr_with_location(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "dockerfiles" / "kept.in.Dockerfile", tmp_path / "Dockerfile")
    code, out = _run(tmp_path, check=True)
    assert code == 1  # the --target and the conditional install are rewritten
    path = (tmp_path / "Dockerfile").as_posix()
    assert any(
        line.startswith(f"{path}:5: warning: installs packages named inline") for line in out.stderr
    )
    assert any(line.startswith(f"{path}:9: info: installs with poetry") for line in out.stderr)


def test_json_report(service: Path) -> None:
    code, out = _run(service, dry_run=True, json=True)
    assert code == 0
    report = json.loads(out.stdout[0])
    assert report["would_change"] is True
    [entry] = report["services"]
    assert entry["lock_groups"] == ["dev"]
    assert sorted(Path(p).name for p in entry["changed"]) == [
        ".dockerignore",
        "Dockerfile",
        "worker.Dockerfile",
    ]


def test_dockerignore_excluding_the_lock_is_reported(service: Path) -> None:
    (service / ".dockerignore").write_text("*.lock\n")
    _code, out = _run(service, dry_run=True)
    ignore = (service / ".dockerignore").as_posix()
    assert (
        f"{ignore}:1: info: excludes requirements.lock, which the Dockerfile now mounts: "
        "`!requirements.lock` added" in out.stderr
    )
    assert "+!requirements.lock" in "\n".join(out.stdout)


def test_explicit_dockerfiles(service: Path) -> None:
    out = CollectedOutput()
    options = DockerOptions(
        paths=(service,), dockerfiles=(service / "worker.Dockerfile",), mode=WriteMode(check=True)
    )
    assert run(options, out, uv_version=UV_VERSION) == 1
    assert all("dev-stage" not in line and "requirements-dev" not in line for line in out.stdout)


def test_no_dockerfile(tmp_path: Path) -> None:
    code, out = _run(tmp_path, check=True)
    assert code == 0
    assert out.stderr == [f"{tmp_path.as_posix()}: no Dockerfile found"]


def test_bad_dockerfile_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nRUN <<EOF\npip install x\n")
    with pytest.raises(DockerfileError) as info:
        _run(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'Dockerfile'}: ")


def test_uses_discovered_roles(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text("alpha\n")
    (tmp_path / "requirements" / "tests.txt").write_text("beta\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nCOPY requirements/ requirements/\n"
        "RUN pip install -r requirements/base.txt\n"
        "FROM python:3.12 AS test\nCOPY requirements/ requirements/\n"
        "RUN pip install -r requirements/tests.txt\n"
    )
    plan = plan_service(tmp_path, uv_version=UV_VERSION)
    assert plan.locks == ("requirements.lock", "requirements-tests.lock")
    assert plan.lock_groups == ("tests",)


def test_a_copied_requirements_file_the_service_does_not_convert_is_kept(tmp_path: Path) -> None:
    """deploy/requirements.txt is not requirements.txt: the main lock must not stand in for it."""
    (tmp_path / "requirements.txt").write_text("alpha==1.0\n")
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "requirements.txt").write_text("gunicorn==23.0.0\n")
    text = "FROM python:3.12-slim\nCOPY deploy/requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt\n"
    (tmp_path / "Dockerfile").write_text(text)
    plan = plan_service(tmp_path, uv_version=UV_VERSION)
    assert not plan.pending
    diagnostic, unchanged = plan.diagnostics
    assert unchanged.code == "dockerfile-unchanged"
    assert diagnostic.code == "no-lock"
    assert "deploy/requirements.txt" in diagnostic.message


def test_a_copied_requirements_file_the_service_converts_is_rewritten(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("alpha==1.0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY ./requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt\n"
    )
    plan = plan_service(tmp_path, uv_version=UV_VERSION)
    assert plan.pending
    assert [d.code for d in plan.diagnostics] == ["buildkit"]  # a note: the cache mount is new
    assert plan.locks == ("requirements.lock",)


def test_requirements_only_in_a_subfolder_discovery_skips_are_kept(tmp_path: Path) -> None:
    """No role found: no export is known, and none would be written beside deploy/requirements.txt."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "requirements.txt").write_text("gunicorn==23.0.0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY deploy/requirements.txt deploy/\n"
        "RUN pip install -r deploy/requirements.txt\n"
    )
    plan = plan_service(tmp_path, uv_version=UV_VERSION)
    assert not plan.pending
    assert [d.code for d in plan.diagnostics] == ["no-lock", "dockerfile-unchanged"]


def test_missing_lock_is_a_warning_until_reqconv_lock_writes_it(service: Path) -> None:
    code, out = _run(service)
    assert code == 0
    missing = [line for line in out.stderr if "does not exist yet" in line]
    assert {line.split(":")[0].rsplit("/", 1)[-1] for line in missing} == {
        "requirements.lock",
        "requirements-dev.lock",
    }
    (service / "requirements.lock").write_text("alpha==1.0\n")
    (service / "requirements-dev.lock").write_text("alpha==1.0\nbeta==1.0\n")
    (service / "Dockerfile").write_text(
        (FIXTURES / "dockerfiles" / "dev-stage.in.Dockerfile").read_text()
    )
    code, out = _run(service)
    assert not [line for line in out.stderr if "does not exist yet" in line]


# -- hash mode, BuildKit (issue 8) ----------------------------------------------------------


def _one_service(tmp_path: Path, dockerfile: str) -> Path:
    root = tmp_path / "one"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\n")
    (root / "Dockerfile").write_text(dockerfile)
    return root


PLAIN = "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"


def test_an_export_with_a_git_entry_is_synced_without_require_hashes(tmp_path: Path) -> None:
    root = _one_service(tmp_path, PLAIN)
    (root / "requirements.lock").write_text(
        "alpha==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
        "beta @ git+https://example.com/beta@0123456789abcdef0123456789abcdef01234567\n"
    )
    plan = plan_service(root, uv_version=UV_VERSION)
    after = plan.changes[0].after_text
    assert "uv pip sync /tmp/requirements.lock\n" in after
    assert [d.code for d in plan.diagnostics] == ["no-require-hashes", "buildkit"]


def test_a_hashed_export_keeps_hash_mode(tmp_path: Path) -> None:
    root = _one_service(tmp_path, PLAIN)
    (root / "requirements.lock").write_text("alpha==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    plan = plan_service(root, uv_version=UV_VERSION)
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in plan.changes[0].after_text


def test_a_git_source_foresees_an_unhashed_export_before_the_lock_exists(tmp_path: Path) -> None:
    root = _one_service(tmp_path, PLAIN)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "one"\nversion = "0"\ndependencies = ["alpha==1.0", "beta"]\n\n'
        '[tool.uv.sources]\nbeta = { git = "https://example.com/beta", rev = "v1" }\n'
    )
    plan = plan_service(root, uv_version=UV_VERSION)
    assert "uv pip sync /tmp/requirements.lock\n" in plan.changes[0].after_text


def test_a_git_source_of_a_dev_group_leaves_production_in_hash_mode(tmp_path: Path) -> None:
    root = _one_service(tmp_path, PLAIN)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "one"\nversion = "0"\ndependencies = ["alpha==1.0"]\n\n'
        '[dependency-groups]\ndev = ["beta"]\n\n'
        '[tool.uv.sources]\nbeta = { git = "https://example.com/beta", rev = "v1" }\n'
    )
    plan = plan_service(root, uv_version=UV_VERSION)
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in plan.changes[0].after_text


def test_the_buildkit_note_names_the_first_mount(tmp_path: Path) -> None:
    root = _one_service(tmp_path, PLAIN)
    code, out = _run(root, dry_run=True)
    assert code == 0
    assert any("one/Dockerfile:3: info: " in line and "BuildKit" in line for line in out.stderr)


# -- build contexts (reqconv.docker.builds) --------------------------------------------------------


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose compose file builds backend/ from the repository top."""
    top = tmp_path / "repo"
    (top / ".git").mkdir(parents=True)
    backend = top / "backend"
    backend.mkdir()
    (top / "requirements.txt").write_text("gamma==1.0\n")  # the top's own service
    (backend / "requirements.txt").write_text("alpha==1.0\n")
    (backend / "docker-compose.yml").write_text(
        "services:\n  api:\n    build:\n      context: ..\n      dockerfile: backend/Dockerfile\n"
    )
    return top, backend


def test_compose_context_names_the_lock_where_it_is_in_that_context(tmp_path: Path) -> None:
    top, backend = _repo(tmp_path)
    (backend / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r backend/requirements.txt\n"
    )
    plan = plan_service(backend, uv_version=UV_VERSION)
    after = {c.path: c.after_text for c in plan.changes}
    text = after[backend / "Dockerfile"]
    # the sync moves before COPY . . of the top, with backend/requirements.lock mounted
    assert "--mount=type=bind,source=backend/requirements.lock,target=/tmp/requirements.lock" in (
        text
    )
    assert text.index("uv pip sync --require-hashes /tmp/requirements.lock") < text.index("COPY")
    assert after[top / ".dockerignore"] == "backend/.venv\n"
    assert plan.locks == ("requirements.lock",)


def test_compose_context_bind_mounts_the_lock_from_the_service_folder(tmp_path: Path) -> None:
    _top, backend = _repo(tmp_path)
    (backend / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY backend/requirements.txt /tmp/r.txt\n"
        "RUN pip install -r /tmp/r.txt\n"
    )
    plan = plan_service(backend, uv_version=UV_VERSION)
    text = next(c.after_text for c in plan.changes if c.path.name == "Dockerfile")
    assert (
        "--mount=type=bind,source=backend/requirements.lock,target=/tmp/requirements.lock" in text
    )


def test_another_folders_requirements_in_the_context_are_never_this_services_lock(
    tmp_path: Path,
) -> None:
    """COPY requirements.txt from the top is the top's file, not backend's, even with --main."""
    top, backend = _repo(tmp_path)
    text = "FROM python:3.12-slim\nCOPY requirements.txt /tmp/\nRUN pip install -r /tmp/requirements.txt\n"
    (backend / "Dockerfile").write_text(text)
    roles = (Role(path=backend / "requirements.txt"),)
    plan = plan_service(backend, uv_version=UV_VERSION, roles=roles)
    assert not plan.pending
    codes = [d.code for d in plan.diagnostics]
    assert codes == ["build-context", "no-lock", "dockerfile-unchanged"]
    assert plan.diagnostics[0].message.startswith(f"built from the context {top.as_posix()}: ")
    assert "outside this service's folder" in plan.diagnostics[1].message
    # named with --main, the top's file is this service's main table: its lock is backend's
    plan = plan_service(
        backend, uv_version=UV_VERSION, roles=(Role(path=top / "requirements.txt"),)
    )
    after = next(c.after_text for c in plan.changes if c.path.name == "Dockerfile")
    assert "source=backend/requirements.lock" in after


def test_dockerfiles_in_docker_and_named_ones_are_planned_and_reported(tmp_path: Path) -> None:
    root = tmp_path / "svc"
    (root / "docker").mkdir(parents=True)
    (root / "requirements.txt").write_text("alpha==1.0\n")
    install = (
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    (root / "docker" / "Dockerfile").write_text(install)
    (root / "Dockerfile.prod").write_text(install)
    (root / "Dockerfile.static").write_text("FROM nginx\nCOPY public/ /usr/share/nginx/html\n")
    plan = plan_service(root, uv_version=UV_VERSION)
    changed = sorted(c.path.relative_to(root).as_posix() for c in plan.changes if c.changed)
    assert changed == [".dockerignore", "Dockerfile.prod", "docker/Dockerfile"]
    left = [d for d in plan.diagnostics if d.code == "dockerfile-unchanged"]
    assert [(d.location.path.name if d.location else "", d.message) for d in left] == [
        ("Dockerfile.static", "builds this service and is left as it is: it runs no pip install -r")
    ]


def test_one_dockerfile_built_from_two_contexts_is_left_alone(tmp_path: Path) -> None:
    top, backend = _repo(tmp_path)
    (backend / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    (top / "docker-compose.yml").write_text("services:\n  b:\n    build:\n      context: backend\n")
    plan = plan_service(backend, uv_version=UV_VERSION)
    assert not plan.pending
    assert [d.code for d in plan.diagnostics] == ["build-contexts-differ"]


def test_an_archive_url_source_keeps_hash_mode(tmp_path: Path) -> None:
    """uv locks and exports an archive (by URL or path) with its hash: only git sources and
    local folders leave an entry without one."""
    root = _one_service(tmp_path, PLAIN)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "one"\nversion = "0"\ndependencies = ["alpha==1.0", "beta"]\n\n'
        '[tool.uv.sources]\nbeta = { url = "https://example.com/beta-1.0-py3-none-any.whl" }\n'
    )
    plan = plan_service(root, uv_version=UV_VERSION)
    assert "uv pip sync --require-hashes" in plan.changes[0].after_text


def _unchanged_message(root: Path) -> str:
    plan = plan_service(root, uv_version=UV_VERSION)
    left = [d for d in plan.diagnostics if d.code == "dockerfile-unchanged"]
    assert [d.location.path.name if d.location else "" for d in left] == ["Dockerfile"]
    return left[0].message.removeprefix("builds this service and is left as it is: ")


def test_a_rewritten_dockerfile_is_reported_as_such_not_as_kept_installs(tmp_path: Path) -> None:
    """Second run: the syncs are uv already; a pip install naming packages inline is no -r."""
    (tmp_path / "requirements.txt").write_text("alpha==1.0\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "RUN pip install $LINT flake8==6.0.0\n"  # words known at build time only: stays pip
    )
    first = plan_service(tmp_path, uv_version=UV_VERSION)
    rewritten = next(c for c in first.changes if c.path.name == "Dockerfile")
    assert rewritten.changed
    (tmp_path / "Dockerfile").write_bytes(rewritten.after)
    message = _unchanged_message(tmp_path)
    assert message.startswith("it already installs with uv (rewritten before); the other installs")
    assert "every pip install -r" not in message
    (tmp_path / "Dockerfile").write_text(
        rewritten.after_text.replace("RUN pip install $LINT f", "RUN : f")
    )
    assert _unchanged_message(tmp_path) == "it already installs with uv (rewritten before)"


def test_a_dockerfile_with_only_inline_installs_runs_no_pip_install_r(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("alpha==1.0\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install flake8==6.0.0\n")
    assert _unchanged_message(tmp_path).startswith("it runs no pip install -r; the installs in it")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt gunicorn\nRUN uv pip install -r requirements.lock\n"
    )
    assert _unchanged_message(tmp_path) == (
        "every pip install -r in it is kept (the lines above say why)"
    )


def _root_context_service(repo: Path) -> Path:
    """Issue 15 item 2's layout: svc/a/Dockerfile built from the top (no compose file), a folder
    only the top holds, the requirements brought in by a directory copy with an ENV path."""
    service = repo / "svc" / "a"
    service.mkdir(parents=True)
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("")
    (service / "requirements.txt").write_text("six==1.16.0\n")
    (service / "Dockerfile").write_text(
        "FROM python:3.11-slim\n"
        "ENV APP_DIR svc/a\n"
        "ADD ./pkg/ /opt/app/pkg/\n"
        "ADD ./${APP_DIR}/ /opt/app/${APP_DIR}/\n"
        "WORKDIR /opt/app/${APP_DIR}\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
    )
    return service


def _dockerfile_change(plan_root: Path, **kwargs: object) -> tuple[str, list[str]]:
    plan = plan_service(plan_root, uv_version=UV_VERSION, **kwargs)  # type: ignore[arg-type]
    change = next(c for c in plan.changes if c.path.name == "Dockerfile")
    return change.after_text, [str(d) for d in plan.diagnostics]


def test_a_context_nobody_declared_is_the_top_its_sources_name(tmp_path: Path) -> None:
    service = _root_context_service(tmp_path / "repo")
    text, notes = _dockerfile_change(service)
    # the lock is mounted by its path in the top's context, where the image is built from
    assert "--mount=type=bind,source=svc/a/requirements.lock,target=" in text
    assert "source=requirements.lock" not in text
    repo = (tmp_path / "repo").as_posix()
    assert f"{service / 'Dockerfile'}: info: built from the context {repo}: its COPY/ADD " in (
        "\n".join(notes)
    )


def test_the_context_a_script_declares_is_reported_with_the_script_s_line(
    tmp_path: Path,
) -> None:
    service = _root_context_service(tmp_path / "repo")
    (tmp_path / "repo" / ".git").mkdir()  # the top, where scripts are looked for
    (tmp_path / "repo" / "ci").mkdir()
    (tmp_path / "repo" / "ci" / "build.sh").write_text(
        "#!/bin/sh\nset -e\ndocker build -f svc/a/Dockerfile -t a .\n"
    )
    text, notes = _dockerfile_change(service)
    assert "source=svc/a/requirements.lock" in text
    script = tmp_path / "repo" / "ci" / "build.sh"
    assert f"built from the context {(tmp_path / 'repo').as_posix()}: {script}:3 builds it so" in (
        "\n".join(notes)
    )


def test_a_context_that_lacks_the_requirements_source_keeps_the_install(tmp_path: Path) -> None:
    service = _root_context_service(tmp_path / "repo")
    before = (service / "Dockerfile").read_text()
    text, notes = _dockerfile_change(service, build_context=service)  # --context svc/a: wrong
    assert text == before  # no mount of a lock where the image will not find it
    (note,) = [n for n in notes if "not-in-context" in n or "comes from svc/a" in n]
    assert note.startswith(
        f"{service / 'Dockerfile'}:6: warning: requirements.txt comes from svc/a"
    )
    assert "--context DIR" in note


def test_two_possible_contexts_keep_the_install_and_name_both(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    service = repo / "svc"
    service.mkdir()
    for folder in (repo, service):
        (folder / "requirements.txt").write_text("six==1.16.0\n")
    dockerfile = (
        "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    (service / "Dockerfile").write_text(dockerfile)
    text, notes = _dockerfile_change(service)
    assert text == dockerfile
    (note,) = [n for n in notes if "could be" in n]
    assert note.startswith(f"{service / 'Dockerfile'}:3: warning: its build context could be ")
    assert f"{service.as_posix()} or {repo.as_posix()}" in note
    assert "--context DIR" in note
    chosen, _ = _dockerfile_change(service, build_context=service)
    assert "source=requirements.lock,target=/tmp/requirements.lock" in chosen


def test_a_rewrite_that_would_mount_a_path_the_context_lacks_is_not_made(tmp_path: Path) -> None:
    from reqconv.docker.builds import Build
    from reqconv.docker.model import DockerResult
    from reqconv.docker.plan import _absent_mounts

    (tmp_path / "requirements.lock").write_text("")
    build = Build(dockerfile=tmp_path / "Dockerfile", context=tmp_path, how="inferred")
    before = "FROM python:3.11\nRUN pip install -r requirements.txt\n"
    mounted = "RUN --mount=type=bind,source={},target=/tmp/x.lock uv pip sync /tmp/x.lock\n"
    for source, absent in [
        ("requirements.lock", []),  # there
        ("requirements-dev.lock", []),  # not yet: the lock step writes it into the service folder
        ("other/requirements.lock", ["other/requirements.lock"]),
    ]:
        result = DockerResult(
            text="FROM python:3.11\n" + mounted.format(source),
            locks=("requirements.lock", "requirements-dev.lock"),
        )
        assert _absent_mounts(before, result, build, tmp_path) == absent
