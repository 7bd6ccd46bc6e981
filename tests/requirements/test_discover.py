"""discover: file names -> roles (which table each requirements file feeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv.errors import InputError
from reqconv.model import Role
from reqconv.requirements import discover

ROOT = Path("/svc")


@pytest.mark.parametrize(
    ("name", "group"),
    [
        pytest.param("requirements.txt", None, id="main"),
        pytest.param("requirements-dev.txt", "dev", id="dash-suffix"),
        pytest.param("dev-requirements.txt", "dev", id="dash-prefix"),
        pytest.param("requirements_dev.txt", "dev", id="underscore-suffix"),
        pytest.param("test_requirements.txt", "test", id="underscore-prefix"),
        pytest.param("requirements.test.txt", "test", id="dot-suffix"),
        pytest.param("requirements-test.txt", "test", id="test"),
        pytest.param("requirements/base.txt", None, id="dir-base"),
        pytest.param("requirements/common.txt", None, id="dir-common"),
        pytest.param("requirements/prod.txt", None, id="dir-prod"),
        pytest.param("requirements/production.txt", None, id="dir-production"),
        pytest.param("requirements/main.txt", None, id="dir-main"),
        pytest.param("requirements-prod.txt", None, id="prod-suffix"),
        pytest.param("requirements/dev.txt", "dev", id="dir-dev"),
        pytest.param("requirements/local.txt", "local", id="dir-local"),
        pytest.param("requirements/tests.txt", "tests", id="dir-tests"),
        pytest.param("requirements/docs.txt", "docs", id="dir-docs"),
        pytest.param("requirements/Lint_Checks.txt", "lint-checks", id="pep735-normalized"),
        pytest.param("requirements/test_requirements.txt", "test", id="dir-underscore-prefix"),
        pytest.param("requirements/requirements-dev.txt", "dev", id="dir-dash-suffix"),
        pytest.param("requirements/base_requirements.txt", None, id="dir-main-prefix"),
        pytest.param("requirements/requirements.txt", None, id="dir-requirements"),
    ],
)
def test_classify_name(name: str, group: str | None) -> None:
    assert discover.classify(ROOT, [name]) == (Role(path=ROOT / name, group=group),)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("setup.py", id="not-requirements"),
        pytest.param("constraints.txt", id="constraints"),
        pytest.param("requirements/constraints.txt", id="dir-constraints"),
        pytest.param("requirements.lock", id="lock-suffix"),
        pytest.param("docs/requirements.txt", id="other-dir"),
        pytest.param("requirements/sub/dev.txt", id="nested"),
        pytest.param("notes.txt", id="plain-txt"),
    ],
)
def test_classify_ignores(name: str) -> None:
    assert discover.classify(ROOT, [name]) == ()


def test_in_and_txt_pair_as_compiled() -> None:
    roles = discover.classify(ROOT, ["requirements.txt", "requirements.in"])
    assert roles == (Role(path=ROOT / "requirements.in", compiled=ROOT / "requirements.txt"),)


def test_in_alone_is_source_without_compiled() -> None:
    assert discover.classify(ROOT, ["requirements/dev.in"]) == (
        Role(path=ROOT / "requirements/dev.in", group="dev"),
    )


def test_order_is_main_first_then_groups_by_name() -> None:
    names = [
        "requirements/test.txt",
        "requirements-docs.txt",
        "requirements/base.txt",
        "requirements.txt",
        "requirements-dev.txt",
    ]
    roles = discover.classify(ROOT, names)
    assert [(r.path.relative_to(ROOT).as_posix(), r.group) for r in roles] == [
        ("requirements.txt", None),
        ("requirements/base.txt", None),
        ("requirements-dev.txt", "dev"),
        ("requirements-docs.txt", "docs"),
        ("requirements/test.txt", "test"),
    ]


def test_order_does_not_depend_on_input_order() -> None:
    names = ["requirements/dev.txt", "requirements.txt", "dev-requirements.txt"]
    assert discover.classify(ROOT, names) == discover.classify(ROOT, reversed(names))


def test_discover_lists_root_and_requirements_folder(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("a\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\n")
    (tmp_path / "README.md").write_text("")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "docs.in").write_text("")
    (tmp_path / "requirements" / "docs.txt").write_text("")
    (tmp_path / "requirements" / "folder.txt").mkdir()
    assert discover.discover(tmp_path) == (
        Role(path=tmp_path / "requirements.txt"),
        Role(path=tmp_path / "requirements-dev.txt", group="dev"),
        Role(
            path=tmp_path / "requirements/docs.in",
            group="docs",
            compiled=tmp_path / "requirements/docs.txt",
        ),
    )


def test_discover_empty_folder(tmp_path: Path) -> None:
    assert discover.discover(tmp_path) == ()


def test_from_options_replaces_discovery(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "runtime.txt").write_text("")
    (tmp_path / "ci.in").write_text("")
    (tmp_path / "ci.txt").write_text("")
    roles = discover.from_options(tmp_path, Path("deps/runtime.txt"), [("CI_Tools", Path("ci.in"))])
    assert roles == (
        Role(path=tmp_path / "deps/runtime.txt"),
        Role(path=tmp_path / "ci.in", group="ci-tools", compiled=tmp_path / "ci.txt"),
    )


def test_from_options_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--group dev: no such file"):
        discover.from_options(tmp_path, None, [("dev", Path("nope.txt"))])


def test_from_options_empty_group_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("")
    with pytest.raises(InputError, match="not a valid group name"):
        discover.from_options(tmp_path, None, [("--", Path("a.txt"))])


def test_from_options_normalizes_paths_like_the_parser(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "main.txt").write_text("")
    (role,) = discover.from_options(tmp_path, Path("reqs/../main.txt"), [])
    assert role.path == tmp_path / "main.txt"


# -- which file is main (docs/convert.md, "How main and groups are chosen") ------------------


def _tables(root: Path, names: list[str]) -> dict[str, str | None]:
    return {r.path.relative_to(root).as_posix(): r.group for r in discover.classify(root, names)}


@pytest.mark.parametrize(
    ("root", "names", "expected"),
    [
        pytest.param(
            Path("/repo/backend"),
            ["requirements-backend.txt", "requirements-dev.txt"],
            {"requirements-backend.txt": None, "requirements-dev.txt": "dev"},
            id="label-is-the-folder",
        ),
        pytest.param(
            Path("/repo/api"),
            ["requirements/prod.txt", "requirements/dev.txt", "requirements/test.txt"],
            {
                "requirements/prod.txt": None,
                "requirements/dev.txt": "dev",
                "requirements/test.txt": "test",
            },
            id="prod-only",
        ),
        pytest.param(
            Path("/repo/svc"),
            ["requirements/base.txt", "requirements/local.txt"],
            {"requirements/base.txt": None, "requirements/local.txt": "local"},
            id="base-only",
        ),
        pytest.param(
            Path("/celery"),
            ["requirements/default.txt", "requirements/dev.txt", "requirements/test.txt"],
            {
                "requirements/default.txt": None,
                "requirements/dev.txt": "dev",
                "requirements/test.txt": "test",
            },
            id="celery-default",
        ),
        pytest.param(
            Path("/webui"),
            ["requirements_versions.txt", "requirements-test.txt"],
            {"requirements_versions.txt": None, "requirements-test.txt": "test"},
            id="only-production-file-has-another-label",
        ),
        pytest.param(
            Path("/svc"),
            ["requirements-api.txt", "requirements-worker.txt", "requirements-docs-tests.txt"],
            {
                "requirements-api.txt": None,
                "requirements-worker.txt": None,
                "requirements-docs-tests.txt": "docs-tests",
            },
            id="several-production-files-feed-main",
        ),
        pytest.param(
            Path("/backend"),
            ["requirements.txt", "requirements_worker.txt"],
            {"requirements.txt": None, "requirements_worker.txt": "worker"},
            id="with-a-main-others-are-groups",
        ),
        pytest.param(
            Path("/numpy"),
            [
                "requirements/test_requirements.txt",
                "requirements/doc_requirements.txt",
                "requirements/linter_requirements.txt",
                "requirements/build_requirements.txt",
                "requirements/ci_requirements.txt",
                "requirements/release_requirements.txt",
            ],
            {
                "requirements/build_requirements.txt": "build",
                "requirements/ci_requirements.txt": "ci",
                "requirements/doc_requirements.txt": "doc",
                "requirements/linter_requirements.txt": "linter",
                "requirements/release_requirements.txt": "release",
                "requirements/test_requirements.txt": "test",
            },
            id="only-tool-files-no-main",
        ),
        pytest.param(
            Path("/ha"),
            [
                "requirements_test.txt",
                "requirements_test_pre_commit.txt",
                "requirements-dev-frozen.txt",
            ],
            {
                "requirements-dev-frozen.txt": "dev-frozen",
                "requirements_test.txt": "test",
                "requirements_test_pre_commit.txt": "test-pre-commit",
            },
            id="compound-tool-labels",
        ),
    ],
)
def test_which_file_is_main(root: Path, names: list[str], expected: dict[str, str | None]) -> None:
    assert _tables(root, names) == expected


def test_compiled_txt_pairs_with_the_in_its_header_names(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "requirements.in").write_text("-r torch.txt\nspacy\n")
    (tmp_path / "requirements" / "gpu-requirements.in").write_text("spacy\n")
    header = "#\n# by the following command:\n#\n#    pip-compile --output-file={out} {src}\n#\n"
    (tmp_path / "requirements.txt").write_text(
        header.format(out="requirements.txt", src="requirements/requirements.in") + "spacy==3\n"
    )
    (tmp_path / "gpu-requirements.txt").write_text(
        header.format(out="gpu-requirements.txt", src="requirements/gpu-requirements.in")
    )
    (tmp_path / "requirements-dev.txt").write_text(
        "# pip-compile missing.in\n-r requirements.txt\n"
    )
    assert discover.discover(tmp_path) == (
        Role(
            path=tmp_path / "requirements/requirements.in",
            compiled=tmp_path / "requirements.txt",
        ),
        Role(path=tmp_path / "requirements-dev.txt", group="dev"),
        Role(
            path=tmp_path / "requirements/gpu-requirements.in",
            group="gpu",
            compiled=tmp_path / "gpu-requirements.txt",
        ),
    )


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        pytest.param("My.Service v2", "my-service-v2", id="issue"),
        pytest.param("Backend_API", "backend-api", id="normalized"),
        pytest.param("--", "app", id="empty"),
    ],
)
def test_project_name(folder: str, expected: str) -> None:
    assert discover.project_name(folder) == expected
    assert discover.is_valid_name(expected)


def test_project_name_apart_from_the_dependencies() -> None:
    assert discover.project_name("spacy", taken=["SpaCy", "numpy"]) == "spacy-service"
    assert discover.project_name("x", taken=["x", "x-service"]) == "x-service-service"


def test_every_service_of_the_services_has_a_main_file() -> None:
    """Over ../shared/services: each service folder gets [project] dependencies from a file, and
    no file whose label is a tool's (dev, test, docs, lint, ...) is main."""
    import csv

    services = Path(__file__).parents[3] / "shared" / "services"
    with (services / "MANIFEST.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        for folder in row["service_dirs"].split(","):
            roles, exports = discover.discover_exports(services / row["folder"] / folder)
            mains = [role for role in roles if role.group is None]
            if not roles and exports:  # already on uv (CTFd): requirements.txt is uv export's
                assert [export.converted for export in exports] == [False]
                continue
            assert mains, (row["folder"], folder)
            for role in mains:
                assert not discover.is_group_label(role.path.stem.lower()), role


UV_EXPORT = (
    "# This file was autogenerated by uv via the following command:\n"
    "#    uv export --frozen --no-dev --output-file requirements.txt\n"
    "alpha==1.0\n"
)
ON_UV_PYPROJECT = '[project]\nname = "svc"\nversion = "0"\ndependencies = ["alpha"]\n'


def _service(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
    return tmp_path


def test_uv_export_beside_its_pyproject_and_lock_is_no_role(tmp_path: Path) -> None:
    root = _service(
        tmp_path,
        {
            "requirements.txt": UV_EXPORT,
            "requirements-dev.txt": "pytest\n",
            "pyproject.toml": ON_UV_PYPROJECT,
            "uv.lock": "version = 1\n",
        },
    )
    roles, exports = discover.discover_exports(root)
    assert roles == (Role(path=root / "requirements-dev.txt", group="dev"),)
    assert exports == (
        discover.UvExport(
            path=root / "requirements.txt",
            command="uv export --frozen --no-dev --output-file requirements.txt",
            converted=False,
        ),
    )
    assert discover.discover(root) == roles


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({}, id="alone"),
        pytest.param({"pyproject.toml": ON_UV_PYPROJECT}, id="no-uv-lock"),
        pytest.param({"uv.lock": "version = 1\n"}, id="no-pyproject"),
        pytest.param(
            {"uv.lock": "", "pyproject.toml": "[tool.black]\nline-length = 99\n"},
            id="pyproject-without-project",
        ),
        pytest.param(
            {"uv.lock": "", "pyproject.toml": '[project]\nname = "svc"\n'},
            id="project-without-dependencies",
        ),
        pytest.param({"uv.lock": "", "pyproject.toml": "[project\n"}, id="bad-toml"),
    ],
)
def test_uv_export_without_its_project_is_converted(tmp_path: Path, files: dict[str, str]) -> None:
    root = _service(tmp_path, {"requirements.txt": UV_EXPORT, **files})
    roles, exports = discover.discover_exports(root)
    assert roles == (Role(path=root / "requirements.txt", group=None),)
    assert [(export.path, export.converted) for export in exports] == [
        (root / "requirements.txt", True)
    ]


def test_dynamic_dependencies_count_as_the_projects(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "svc"\ndynamic = ["version", "dependencies"]\n'
    root = _service(
        tmp_path, {"requirements.txt": UV_EXPORT, "pyproject.toml": pyproject, "uv.lock": ""}
    )
    assert discover.discover(root) == ()


def test_a_compiled_file_is_no_export(tmp_path: Path) -> None:
    compiled = (
        "# This file was autogenerated by uv via the following command:\n"
        "#    uv pip compile requirements.in -o requirements.txt\n"
        "alpha==1.0\n"
    )
    root = _service(
        tmp_path,
        {"requirements.txt": compiled, "pyproject.toml": ON_UV_PYPROJECT, "uv.lock": ""},
    )
    assert discover.discover_exports(root) == (
        (Role(path=root / "requirements.txt", group=None),),
        (),
    )
