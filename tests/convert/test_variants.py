"""Alternative requirement sets without uv (docs/variants.md): which files become sets, what the
pyproject.toml gets, and the refusal that names ``--variant`` when reqconv cannot place a conflict.
The real uv runs in ``tests/integration/test_variants.py``."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from reqconv.commands import CollectedOutput, WriteMode
from reqconv.commands.convert import ConvertOptions, run
from reqconv.convert.variants import find_sets
from reqconv.errors import ConflictError, InputError
from reqconv.model import Role
from tests._goldens import check_golden


def _options(root: Path, *variants: str, **mode: bool) -> ConvertOptions:
    return ConvertOptions(
        paths=(root,), variants=variants, lock=False, docker=False, mode=WriteMode(**mode)
    )


def _dockerfile(*files: str) -> str:
    lines = ["FROM python:3.12-slim", "WORKDIR /app"]
    for file in files:
        lines += [f"COPY {file} .", f"RUN pip install -r {file}"]
    return "\n".join(lines) + "\n"


def _two_files(root: Path) -> Path:
    (root / "requirements.txt").write_text("flask==3.0.0\ncryptography==41.0.0\nrequests>=2\n")
    (root / "requirements_worker.txt").write_text(
        "celery==5.3.0\ncryptography==39.0.0\nrequests>=2\n"
    )
    (root / "requirements-dev.txt").write_text("-r requirements.txt\npytest==8.0.0\n")
    return root


def _pyproject(root: Path) -> dict[str, object]:
    return tomllib.loads((root / "pyproject.toml").read_text())


def test_files_two_images_install_alone_become_sets_apart(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    (root / "Dockerfile.api").write_text(_dockerfile("requirements.txt"))
    (root / "Dockerfile.worker").write_text(_dockerfile("requirements_worker.txt"))
    out = CollectedOutput()
    assert run(_options(root), out) == 0
    data = _pyproject(root)
    assert data["project"] == {
        "name": data["project"]["name"],  # type: ignore[index]
        "version": "0.1.0",
        "requires-python": ">=3.12",
        "dependencies": ["requests>=2"],
    }
    assert data["dependency-groups"] == {
        "api": ["flask==3.0.0", "cryptography==41.0.0"],
        "dev": [{"include-group": "api"}, "pytest==8.0.0"],
        "worker": ["celery==5.3.0", "cryptography==39.0.0"],
    }
    assert data["tool"]["uv"]["conflicts"] == [  # type: ignore[index]
        [{"group": "api"}, {"group": "worker"}]
    ]
    assert data["tool"]["reqconv"] == {  # type: ignore[index]
        "variants": {"api": "requirements.txt", "worker": "requirements_worker.txt"}
    }
    err = "\n".join(out.stderr)
    assert "requirements_worker.txt is the alternative set 'worker' (installed alone by " in err
    assert "it differs in cryptography==39.0.0" in err


def test_each_line_moved_to_the_shared_table_says_so(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    (root / "Dockerfile.api").write_text(_dockerfile("requirements.txt"))
    (root / "Dockerfile.worker").write_text(_dockerfile("requirements_worker.txt"))
    out = CollectedOutput()
    assert run(_options(root, dry_run=True, json=True), out) == 0
    (service,) = json.loads("".join(out.stdout))["services"]
    assert [(f["path"], f["group"], f["variant"]) for f in service["files"]] == [
        (str(root / "requirements.txt"), "api", True),
        (str(root / "requirements-dev.txt"), "dev", False),
        (str(root / "requirements_worker.txt"), "worker", True),
    ]
    fates = {(line["location"], line["key"]) for line in service["lines"]}
    assert (f"{root / 'requirements.txt'}:3", "project.dependencies") in fates
    assert (f"{root / 'requirements_worker.txt'}:3", "project.dependencies") in fates
    assert (f"{root / 'requirements_worker.txt'}:2", "dependency-groups.worker") in fates


def test_a_conflict_inside_one_image_is_refused_naming_variant(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    (root / "Dockerfile").write_text(_dockerfile("requirements.txt", "requirements_worker.txt"))
    with pytest.raises(ConflictError) as info:
        run(_options(root), CollectedOutput())
    message = str(info.value)
    assert message.startswith(f"{root / 'requirements_worker.txt'}:2: conflicting requirements")
    assert f"({root / 'requirements.txt'}:2)" in message
    assert "--variant NAME=FILE" in message
    assert not (root / "pyproject.toml").exists()


def test_a_conflict_inside_one_file_does_not_name_variant(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\nflask==2.0.0\n")
    with pytest.raises(ConflictError) as info:
        run(_options(tmp_path), CollectedOutput())
    assert "--variant" not in str(info.value)


def test_sets_named_by_hand_need_no_dockerfile(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    variants = ("web=requirements.txt", "jobs=requirements_worker.txt")
    assert run(_options(root, *variants), CollectedOutput()) == 0
    data = _pyproject(root)
    assert data["tool"]["uv"]["conflicts"] == [  # type: ignore[index]
        [{"group": "jobs"}, {"group": "web"}]
    ]
    # The next run reads the sets from pyproject.toml: nothing to change.
    before = (root / "pyproject.toml").read_bytes()
    assert run(_options(root, check=True), CollectedOutput()) == 0
    assert (root / "pyproject.toml").read_bytes() == before


def test_one_set_alone_is_refused(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    with pytest.raises(InputError, match="only one alternative set"):
        run(_options(root, "web=requirements.txt"), CollectedOutput())


def test_files_that_do_not_conflict_keep_their_roles(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    (tmp_path / "requirements_worker.txt").write_text("celery==5.3.0\n")
    (tmp_path / "Dockerfile.api").write_text(_dockerfile("requirements.txt"))
    (tmp_path / "Dockerfile.worker").write_text(_dockerfile("requirements_worker.txt"))
    assert run(_options(tmp_path), CollectedOutput()) == 0
    data = _pyproject(tmp_path)
    assert data["project"]["dependencies"] == ["flask==3.0.0"]  # type: ignore[index]
    assert data["dependency-groups"] == {"worker": ["celery==5.3.0"]}
    assert "conflicts" not in data["tool"]["uv"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("dockerfile", "name"),
    [
        pytest.param("Dockerfile.backend", "backend", id="suffix"),
        pytest.param("api.Dockerfile", "api", id="prefix"),
        pytest.param("docker/api/Dockerfile", "api", id="folder"),
        pytest.param("Dockerfile", "main", id="plain"),
    ],
)
def test_a_main_file_set_is_named_after_its_dockerfile(dockerfile: str, name: str) -> None:
    root = Path("/svc")
    main = Role(path=root / "requirements.txt")
    gpu = Role(path=root / "requirements-gpu.txt", group="gpu")
    dev = Role(path=root / "requirements-dev.txt", group="dev")
    installs: dict[tuple[Path, str | None], list[Role]] = {
        (root / dockerfile, None): [main, dev],  # a dev file beside it does not count
        (root / "gpu.Dockerfile", None): [gpu],
    }
    found = find_sets(root, [main, dev, gpu], installs)
    assert [(s.role, s.name) for s in found] == [(main, name), (gpu, "gpu")]


def test_no_sets_when_one_image_installs_both() -> None:
    root = Path("/svc")
    main = Role(path=root / "requirements.txt")
    gpu = Role(path=root / "requirements-gpu.txt", group="gpu")
    assert find_sets(root, [main, gpu], {(root / "Dockerfile", None): [main, gpu]}) == []


FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "variants" / "api-worker"
GOLDENS = FIXTURE.with_name("api-worker.expected")


def test_golden_api_and_worker_sets(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """docs/variants.md's example: the pyproject.toml convert writes, then each Dockerfile as the
    Docker step rewrites it, reading the sets back from that pyproject.toml."""
    from reqconv.docker.plan import plan_service

    root = tmp_path / "api-worker"
    shutil.copytree(FIXTURE, root)
    assert run(_options(root), CollectedOutput()) == 0
    plan = plan_service(root, uv_version="0.13.9")
    assert plan.lock_groups == ("api", "worker")
    written = {"pyproject.toml": (root / "pyproject.toml").read_text()}
    written |= {change.path.name: change.after_text for change in plan.changes}
    for name in ("pyproject.toml", "Dockerfile.api", "Dockerfile.worker"):
        check_golden(request, GOLDENS / name, written[name].encode("utf-8"))


def test_sets_from_two_stages_of_one_dockerfile(tmp_path: Path) -> None:
    root = _two_files(tmp_path)
    (root / "Dockerfile").write_text(
        _dockerfile("requirements.txt").replace("slim", "slim AS api")
        + _dockerfile("requirements_worker.txt").replace("slim", "slim AS jobs")
    )
    out = CollectedOutput()
    assert run(_options(root), out) == 0
    data = _pyproject(root)
    assert data["tool"]["reqconv"] == {  # type: ignore[index]
        "variants": {"api": "requirements.txt", "worker": "requirements_worker.txt"}
    }
    assert "(installed alone by Dockerfile (stage jobs))" in "\n".join(out.stderr)


def test_a_stage_built_from_another_holds_both_files(tmp_path: Path) -> None:
    """``worker`` FROM ``api`` installs both files: no image has the worker's alone."""
    root = _two_files(tmp_path)
    (root / "Dockerfile").write_text(
        _dockerfile("requirements.txt").replace("slim", "slim AS api")
        + "FROM api AS worker\nCOPY requirements_worker.txt .\n"
        "RUN pip install -r requirements_worker.txt\n"
    )
    with pytest.raises(ConflictError, match="--variant NAME=FILE"):
        run(_options(root), CollectedOutput())
