"""builds: which Dockerfiles build a service, and from which context (compose files, inference)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest

from reqconv.docker.builds import Build, find_builds, find_dockerfiles, interpolate, scan
from tests import _shared
from tests._builders import write_files

SERVICES = _shared.SERVICES


def _tree(root: Path, files: dict[str, str]) -> Path:
    (root / ".git").mkdir(parents=True)
    return write_files(root, files, dedent=True)


def _summary(builds: tuple[Build, ...], repo: Path) -> list[tuple[str, str, str]]:
    return [
        (b.dockerfile.relative_to(repo).as_posix(), b.context.relative_to(repo).as_posix(), b.how)
        for b in builds
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "Dockerfile.django-${OS:-debian}", "Dockerfile.django-debian", id="colon-dash"
        ),
        pytest.param("${DF-Dockerfile.x}", "Dockerfile.x", id="dash"),
        pytest.param("${A:-${B:-nested}}/x", "nested/x", id="nested"),
        pytest.param("a${UNSET}b$UNSET", "ab", id="unset-empty"),
        pytest.param("cost $$5", "cost $5", id="escaped"),
        pytest.param("${X:+alt}", "", id="alt-unset"),
        pytest.param("${X:?must be set}", None, id="required"),
        pytest.param("${broken", None, id="unclosed"),
        pytest.param("plain", "plain", id="plain"),
    ],
)
def test_interpolate(value: str, expected: str | None) -> None:
    assert interpolate(value) == expected


def test_compose_context_above_the_service(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "compose.yaml": """\
                services:
                  api:
                    build:
                      context: .
                      dockerfile: backend/Dockerfile
                      target: prod
                      args:
                        PY: "3.12"
                """,
            "backend/Dockerfile": "FROM python:3.12\nCOPY backend/requirements.txt .\n",
            "backend/requirements.txt": "",
        },
    )
    (build,) = find_builds(repo / "backend")
    assert build.how == "compose"
    assert build.context == repo
    assert build.dockerfile == repo / "backend" / "Dockerfile"
    assert build.target == "prod"
    assert build.args == (("PY", "3.12"),)
    assert build.origin is not None
    assert (build.origin.path, build.origin.line) == (repo / "compose.yaml", 3)


def test_relative_service_path_gives_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _tree(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  api:\n    build: ./app\n",
            "app/Dockerfile": "FROM python:3.12\nCOPY . .\n",
        },
    )
    monkeypatch.chdir(repo)
    (build,) = find_builds(Path("app"))
    assert (build.dockerfile, build.context) == (Path("app/Dockerfile"), Path("app"))


def test_dockerfile_elsewhere_belongs_by_its_copy_sources(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "docker-compose.yaml": """\
                services:
                  backend:
                    build: {context: ., dockerfile: docker/Dockerfile.backend}
                  web:
                    build: {context: ., dockerfile: docker/Dockerfile.web}
                """,
            "docker/Dockerfile.backend": "FROM python:3.11\nCOPY ./backend/requirements.txt /r.txt\n",
            "docker/Dockerfile.web": "FROM node\nCOPY . .\n",
            "docker/worker/Dockerfile": """\
                ARG APP=backend
                FROM python:3.11
                ARG APP
                COPY ./${APP}/requirements.txt .
                """,
            "backend/requirements.txt": "",
        },
    )
    assert _summary(find_builds(repo / "backend"), repo) == [
        ("docker/Dockerfile.backend", ".", "compose"),
        ("docker/worker/Dockerfile", ".", "inferred"),
    ]


def test_override_file_without_context_adds_nothing_and_reset_loads(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "docker-compose.yml": """\
                services:
                  uwsgi:
                    build:
                      context: .
                      dockerfile: Dockerfile.django-${DOJO_OS:-debian}
                      target: release
                  nginx:
                    image: nginx
                """,
            "docker-compose.override.unit.yml": """\
                services:
                  nginx: !reset
                  uwsgi:
                    build:
                      target: unit
                    depends_on: !override
                      db: {condition: service_started}
                """,
            "Dockerfile.django-debian": "FROM python:3.12\nCOPY requirements.txt .\n",
            "requirements.txt": "",
        },
    )
    scanned = scan(repo)
    assert scanned.diagnostics == ()
    assert [(b.dockerfile.name, b.how, b.target) for b in scanned.builds] == [
        ("Dockerfile.django-debian", "compose", "release")
    ]


def test_overlay_resolves_from_the_first_files_folder(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "deployment/docker-compose.yaml": "services:\n  app:\n    build: ../app\n",
            "deployment/optional/sandbox.compose.yaml": "x: 1\n",
            "deployment/optional/docker-compose.sandbox.yaml": (
                "services:\n  sandbox:\n    build: ./sandbox\n"
            ),
            "deployment/sandbox/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n",
            "deployment/sandbox/requirements.txt": "",
        },
    )
    (build,) = find_builds(repo / "deployment" / "sandbox")
    assert (build.context, build.how) == (repo / "deployment" / "sandbox", "compose")


def test_inferred_context_where_sources_exist_and_ties_are_ambiguous(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "docker/prod.Dockerfile": "FROM python:3.12\nCOPY requirements/ r/\nCOPY manage.py .\n",
            "requirements/base.txt": "",
            "manage.py": "",
            "svc/Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n",
            "svc/requirements.txt": "",
            "requirements.txt": "",
        },
    )
    (prod,) = find_builds(repo)[:1]
    assert (prod.dockerfile.name, prod.context, prod.how, prod.ambiguous) == (
        "prod.Dockerfile",
        repo,
        "inferred",
        False,
    )
    (svc,) = find_builds(repo / "svc")
    assert (svc.context, svc.ambiguous) == (repo / "svc", True)
    assert str(repo) in svc.note


def test_nothing_copied_builds_from_above_docker_folder(tmp_path: Path) -> None:
    repo = _tree(tmp_path, {"docker/Dockerfile.custom": "FROM base\nRUN pip install pyti\n"})
    (build,) = find_builds(repo)
    assert (build.context, build.how) == (repo, "folder")


def test_broken_compose_file_is_reported_not_fatal(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "docker-compose.yml": "services:\n  a: [unclosed\n",
            "Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n",
            "requirements.txt": "",
        },
    )
    scanned = scan(repo)
    assert [b.how for b in scanned.builds] == ["inferred"]
    (diagnostic,) = scanned.diagnostics
    assert diagnostic.code == "build-file-skipped"
    assert diagnostic.location is not None
    assert diagnostic.location.path.name == "docker-compose.yml"


def test_no_git_bounds_the_climb(tmp_path: Path) -> None:
    # Without .git the top is the farthest of 3 ancestors holding a sign of the repository: a
    # compose file 4 levels up is not read.
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  x:\n    build: {context: a/b/c/d, dockerfile: Dockerfile}\n"
    )
    service = tmp_path / "a" / "b" / "c" / "d"
    service.mkdir(parents=True)
    (service / "Dockerfile").write_text("FROM python:3.12\nCOPY . .\n")
    assert [b.how for b in find_builds(service)] == ["folder"]


def test_find_dockerfiles_is_the_folder_itself(tmp_path: Path) -> None:
    for name in ("Dockerfile", "dev.Dockerfile", "Dockerfile.prod", "notes.txt"):
        (tmp_path / name).write_text("FROM x\n")
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM x\n")
    assert [p.name for p in find_dockerfiles(tmp_path)] == [
        "Dockerfile",
        "Dockerfile.prod",
        "dev.Dockerfile",
    ]
    assert find_dockerfiles(tmp_path / "missing") == []


def _rows(name: str) -> list[dict[str, str]]:
    with (SERVICES / name).open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@_shared.needs(SERVICES)
def test_every_context_of_the_services(tmp_path: Path) -> None:
    """Each row of CONTEXTS.tsv is found: the Dockerfile, its context and how it was learned, from
    one of its repository's service folders or the Dockerfile's own folder."""
    service_dirs = {row["folder"]: row["service_dirs"].split(",") for row in _rows("MANIFEST.tsv")}
    scanned: dict[tuple[str, str], tuple[Build, ...]] = {}
    misses = []
    rows = _rows("CONTEXTS.tsv")
    assert len(rows) > 80
    for row in rows:
        folder = row["folder"]
        repo = tmp_path / folder
        if not repo.exists():
            shutil.copytree(SERVICES / folder, repo)
        found: list[Build] = []
        for where in (*service_dirs[folder], os.path.dirname(row["dockerfile"]) or "."):
            if (folder, where) not in scanned:
                scanned[folder, where] = find_builds(repo / where)
            found.extend(
                b for b in scanned[folder, where] if b.dockerfile == repo / row["dockerfile"]
            )
        want_args = sorted(filter(None, row["build_args"].split(",")))
        hits = [
            b
            for b in found
            if b.context == Path(os.path.normpath(repo / row["context"]))
            and (b.how == "compose") == (row["how"] == "compose")
            and (row["how"] != "compose" or sorted(f"{k}={v}" for k, v in b.args) == want_args)
        ]
        if not hits:
            misses.append((folder, row["dockerfile"], row["context"], row["how"], found))
    assert misses == []


def test_bind_mounts_are_sources_and_sources_found_nowhere_fall_back(tmp_path: Path) -> None:
    repo = _tree(
        tmp_path,
        {
            "svc/Dockerfile": (
                "FROM python:3.12\nRUN --mount=type=bind,source=requirements.lock,target=/tmp/r "
                "--mount=type=cache,target=/root/.cache/uv uv pip sync /tmp/r\n"
            ),
            "svc/requirements.lock": "",
            "svc/other/Dockerfile": "FROM python:3.12\nCOPY settings.ini /app/\n",
        },
    )
    (svc,) = [b for b in find_builds(repo / "svc") if b.dockerfile.parent.name == "svc"]
    assert (svc.context, svc.how, svc.ambiguous) == (repo / "svc", "inferred", False)
    (other,) = find_builds(repo / "svc" / "other")
    assert (other.context, other.how, other.ambiguous) == (repo / "svc" / "other", "folder", False)
    assert "none of its COPY/ADD sources exist" in other.note


def _root_context_layout(repo: Path) -> Path:
    """Issue 15 item 2: svc/a/Dockerfile built from the top, its requirements brought by a
    directory copy with an ENV path, and a folder only the top holds."""
    service = repo / "svc" / "a"
    service.mkdir(parents=True)
    (repo / "pkg").mkdir()
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


def test_env_paths_expand_in_copy_sources_for_the_inferred_context(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    service = _root_context_layout(repo)
    (repo / ".git").mkdir()
    (repo / "pkg").rmdir()  # only the ENV path tells now: ./svc/a/ exists from the top alone
    (build,) = scan(service).builds
    assert (build.context, build.how, build.ambiguous) == (repo, "inferred", False)


def test_without_git_the_context_is_looked_for_above_the_guessed_top(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    service = _root_context_layout(repo)  # no .git, and nothing above svc/a looks like a top
    (build,) = scan(service).builds
    assert (build.context, build.how, build.note) == (repo, "inferred", "")


def test_context_given_replaces_the_inferred_one(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    service = _root_context_layout(repo)
    (build,) = scan(service, service).builds
    assert (build.context, build.how) == (service, "given")


def test_an_ambiguous_context_names_the_other_folders(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "svc").mkdir()
    for folder in (repo, repo / "svc"):
        (folder / "requirements.txt").write_text("six\n")
    (repo / "svc" / "Dockerfile").write_text("FROM python:3.11\nCOPY requirements.txt .\n")
    (build,) = scan(repo / "svc").builds
    assert (build.context, build.ambiguous, build.others) == (repo / "svc", True, (repo,))


def _svc_from_top(repo: Path) -> Path:
    """svc/a/Dockerfile whose sources exist in svc/a and at the top alike (inference cannot tell)."""
    (repo / ".git").mkdir(parents=True)
    service = repo / "svc" / "a"
    service.mkdir(parents=True)
    for folder in (repo, service):
        (folder / "requirements.txt").write_text("six\n")
    (service / "Dockerfile").write_text("FROM python:3.11\nCOPY requirements.txt .\n")
    return service


@pytest.mark.parametrize(
    ("path", "text", "line"),
    [
        pytest.param(
            "Makefile", "image:\n\tdocker build -f svc/a/Dockerfile .\n", 2, id="makefile"
        ),
        pytest.param(
            "ci/build.sh",
            "#!/bin/sh\nset -eu\ndocker build -t app -f svc/a/Dockerfile .\n",
            3,
            id="script-run-from-the-top",
        ),
        pytest.param(
            ".github/workflows/image.yml",
            "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - name: build\n        run: |\n          echo building\n"
            "          docker build -f svc/a/Dockerfile .\n",
            10,
            id="workflow-run-step",
        ),
        pytest.param(
            ".github/workflows/image.yml",
            "on: push\njobs:\n  image:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: docker/build-push-action@v6\n        with:\n"
            "          context: .\n          file: svc/a/Dockerfile\n",
            6,
            id="build-push-action",
        ),
    ],
)
def test_a_context_declared_by_ci_or_a_script_is_taken(
    tmp_path: Path, path: str, text: str, line: int
) -> None:
    repo = tmp_path / "repo"
    service = _svc_from_top(repo)
    (build,) = scan(service).builds
    assert build.ambiguous  # nothing declares it yet: the service folder or the top
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)
    (build,) = scan(service).builds
    assert (build.context, build.how, build.ambiguous) == (repo, "declared", False)
    assert build.origin is not None
    assert (build.origin.path, build.origin.line) == (repo / path, line)


def test_a_workflow_working_directory_is_where_its_run_step_builds_from(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    service = _svc_from_top(repo)
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yaml").write_text(
        "jobs:\n  image:\n    defaults:\n      run:\n        working-directory: svc\n"
        "    steps:\n      - run: docker build -f a/Dockerfile a\n"
    )
    (build,) = scan(service).builds
    assert (build.context, build.how) == (service, "declared")
