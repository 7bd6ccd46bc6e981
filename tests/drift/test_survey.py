"""``drift.survey``: which folders are services, and which are answered without the comparison
(not migrated yet, M504), from file names and one look at pyproject.toml's text."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
from packaging.utils import canonicalize_name

from reqconv.drift import survey
from reqconv.requirements import discover, filenames


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "unmigrated"),
    [
        pytest.param({"requirements.txt": "a\n"}, True, id="requirements-only"),
        pytest.param({"requirements/base.txt": "a\n"}, True, id="requirements-subfolder"),
        pytest.param(
            {"requirements.txt": "a\n", "pyproject.toml": "[tool.ruff]\nline-length = 99\n"},
            True,
            id="tool-only-pyproject",
        ),
        pytest.param(
            {"requirements.txt": "a\n", "pyproject.toml": '[project]\nname = "x"\n'},
            False,
            id="pyproject-project",
        ),
        pytest.param(
            {"requirements.txt": "a\n", "pyproject.toml": "[project.optional-dependencies]\n"},
            False,
            id="pyproject-project-subtable",
        ),
        pytest.param({"requirements.txt": "a\n", "uv.lock": "version = 1\n"}, False, id="uv-lock"),
        pytest.param({"pyproject.toml": "[tool.black]\n"}, False, id="no-requirements"),
        pytest.param({"constraints.txt": "a\n", "notes.txt": ""}, False, id="not-requirements"),
    ],
)
def test_not_migrated_is_told_from_the_layout(
    tmp_path: Path, files: dict[str, str], unmigrated: bool
) -> None:
    root = _tree(tmp_path, files)
    answer = survey.not_migrated(str(root))
    assert (answer is not None) == unmigrated
    if answer is not None:
        (item,) = answer.findings
        assert (item.code, item.severity, answer.migrated) == ("M504", "note", False)
        assert survey.not_migrated(str(root), required=True).findings[0].severity == "error"  # type: ignore[union-attr]


def test_the_main_requirements_file_is_the_one_named(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"requirements-dev.txt": "", "requirements/prod.txt": ""})
    assert survey.requirements_files(str(root)) == ["requirements/prod.txt", "requirements-dev.txt"]


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt",
        "requirements.in",
        "Requirements-Dev.TXT",
        "requirements_test.txt",
        "requirements.docs.txt",
        "dev-requirements.txt",
        "requirements/base.txt",
        "requirements/test_requirements.txt",
        "requirements/requirements.txt",
        "requirements-lock.txt",
        "constraints.txt",
        "requirements-.txt",
        "..txt",
        ".txt",
        "requirements.txt.bak",
        "other/requirements.txt",
        "a/b/c.txt",
        "backend-requirements.txt",
    ],
)
def test_fast_path_and_discover_agree_on_names(tmp_path: Path, name: str) -> None:
    """The fast path's rule is discover's: a name is a role exactly when it has a label."""
    roles = discover.classify(tmp_path, [name])
    assert bool(roles) == (filenames.label(name) is not None)


def test_services_are_found_below_a_root(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "apps/a/pyproject.toml": "",
            "apps/b/requirements.txt": "",
            "apps/b/sub/requirements.txt": "",  # inside a service: not walked
            "libs/c/requirements.lock": "",
            "node_modules/x/requirements.txt": "",
            ".hidden/requirements.txt": "",
            "venv/pyvenv.cfg": "",
            "venv/requirements.txt": "",
            "docs/readme.txt": "",
        },
    )
    found = survey.find_services([str(tmp_path)])
    assert [Path(p).relative_to(tmp_path).as_posix() for p in found] == [
        "apps/a",
        "apps/b",
        "libs/c",
    ]
    with pytest.raises(survey.ListError):
        survey.find_services([str(tmp_path / "missing")])


def _label_by_regex(name: str) -> str | None:
    """The naming rule as discover spelt it with ``re`` before the fast path needed it without."""
    posix = PurePosixPath(name)
    if posix.suffix.lower() not in (".txt", ".in"):
        return None
    parts = posix.parts
    if len(parts) > 2 or (len(parts) == 2 and parts[0] != "requirements"):
        return None
    if posix.stem.lower() == "requirements":
        return ""
    match = re.match(r"^requirements[-_.](?P<label>.+)$", posix.stem, re.IGNORECASE) or re.match(
        r"^(?P<label>.+?)[-_.]requirements$", posix.stem, re.IGNORECASE
    )
    found = match["label"] if match else posix.stem if len(parts) == 2 else None
    if found is None:
        return None
    normalized = str(canonicalize_name(found))
    valid = re.match(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", normalized, re.IGNORECASE)
    if not valid or normalized in filenames.IGNORED_NAMES:
        return None
    return "" if normalized in filenames.MAIN_NAMES else normalized


NAMES = [
    *(
        f"{stem}{suffix}"
        for stem in ("requirements", "Requirements", "REQUIREMENTS")
        for suffix in (".txt", ".in", ".TXT", ".cfg")
    ),
    *(
        f"requirements{sep}{label}.txt"
        for sep in "-_."
        for label in ("dev", "Dev_Tests", "prod", "a", "-x", "x-", "lock", "..", "é")
    ),
    *(
        f"{label}{sep}requirements.in"
        for sep in "-_."
        for label in ("dev", "a.b", "x", "-", "base", "frozen")
    ),
    "requirements/base.txt",
    "requirements/Test_Requirements.txt",
    "requirements/requirements.in",
    "requirements/x.y.txt",
    "requirements/.txt",
    "requirements/-.txt",
    "requirements/a/b.txt",
    "requirements--dev.txt",
    "requirementsdev.txt",
    "dev-requirements",
    "..txt",
    ".txt",
    "requirements-.txt",
    "requirements.txt.bak",
    "other/requirements.txt",
    "notes.txt",
]


@pytest.mark.parametrize("name", NAMES)
def test_naming_rule_without_re_is_the_regex_rule(name: str) -> None:
    assert filenames.label(name) == _label_by_regex(name)


@pytest.mark.parametrize("text", ["Dev", "a__b", "a-_.b", "._x_.", "A.B-C", "", "--"])
def test_normalize_is_canonicalize_name(text: str) -> None:
    assert filenames.normalize(text) == canonicalize_name(text)


@pytest.mark.parametrize(
    ("text", "project"),
    [
        ('[project]\nname = "x"\n', True),
        ("  [ project ]\n", True),
        ("[project.urls]\n", True),
        ("[[project]]\n", False),
        ("[projects]\n", False),
        ("[tool.project]\n", False),
        ("# [project]\n[tool.ruff]\n", False),
    ],
)
def test_a_project_table_is_found_by_its_header(tmp_path: Path, text: str, project: bool) -> None:
    _tree(tmp_path, {"requirements.txt": "a\n", "pyproject.toml": text})
    assert (survey.not_migrated(str(tmp_path)) is None) == project


@pytest.mark.parametrize(
    "path", ["svc", "./svc", "svc/", "a/./b", ".", "/elsewhere/./x/", "../up/svc", "/"]
)
def test_paths_are_shown_as_the_full_comparison_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    from reqconv.commands import display_path

    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    assert survey.display(path) == display_path(Path(path))
