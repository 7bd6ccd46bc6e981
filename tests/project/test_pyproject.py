"""pyproject: format-preserving apply, read, new_document, detect_style, add_constraints."""

from __future__ import annotations

import textwrap
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from reqconv.convert import normalize
from reqconv.errors import Location, PyprojectError
from reqconv.model import (
    Dependency,
    DependencySpec,
    GroupItem,
    IncludeGroup,
    Index,
    Option,
    ProjectMeta,
    Req,
    ReqFile,
    Role,
    Source,
    UvSettings,
)
from reqconv.project import pyproject

P = Path("/svc/pyproject.toml")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def dep(text: str) -> Dependency:
    requirement = Requirement(text)
    return Dependency(
        name=canonicalize_name(requirement.name), requirement=normalize.canonical(requirement)
    )


def spec(
    *deps: str,
    groups: dict[str, list[str | IncludeGroup]] | None = None,
    uv: UvSettings | None = None,
) -> DependencySpec:
    group_items: list[tuple[str, tuple[GroupItem, ...]]] = []
    for name, items in (groups or {}).items():
        group_items.append(
            (name, tuple(item if isinstance(item, IncludeGroup) else dep(item) for item in items))
        )
    return DependencySpec(
        dependencies=tuple(dep(d) for d in deps),
        groups=tuple(group_items),
        uv=uv or UvSettings(),
    )


def apply(text: str, s: DependencySpec, style: pyproject.Style | None = None) -> str:
    out = pyproject.apply(text, s, path=P, style=style)
    tomllib.loads(out)
    assert pyproject.apply(out, s, path=P, style=style) == out, "apply is not idempotent"
    return out


NEW = pyproject.new_document(ProjectMeta(name="svc", requires_python=">=3.12"))

EXISTING = dedent(
    """
    # Service metadata; keep this comment.
    [build-system]
    requires = ["hatchling"]   # odd spacing stays
    build-backend = "hatchling.build"

    [project]
    name = "svc"
    version = "1.2.3"
    dependencies = [
        "Django >= 4.2",  # web framework
        # pinned for the worker
        'celery==5.3.*',
        "requests",
    ]

    [tool.ruff]
    line-length = 100   # wide

    [tool.ruff.lint]
    select = ["E", "F"]
    """
)


# --------------------------------------------------------------------------------------------
# new_document


def test_new_document_application() -> None:
    text = pyproject.new_document(ProjectMeta(name="svc", requires_python=">=3.12"))
    assert text == dedent(
        """
        [project]
        name = "svc"
        version = "0.1.0"
        requires-python = ">=3.12"
        dependencies = []

        [tool.uv]
        package = false
        """
    )


def test_new_document_package_without_requires_python() -> None:
    text = pyproject.new_document(ProjectMeta(name="lib", version="2.0", package=None))
    assert text == '[project]\nname = "lib"\nversion = "2.0"\ndependencies = []\n'


# --------------------------------------------------------------------------------------------
# apply: layout


def test_apply_to_new_document_writes_uv_layout() -> None:
    s = spec(
        "fastapi>=0.110",
        "Pydantic_Settings",
        "uvloop; sys_platform != 'win32'",
        groups={"dev": ["pytest>=8", IncludeGroup(group="lint")], "lint": ["ruff"]},
    )
    assert apply(NEW, s) == dedent(
        """
        [project]
        name = "svc"
        version = "0.1.0"
        requires-python = ">=3.12"
        dependencies = [
            "fastapi>=0.110",
            "pydantic-settings",
            'uvloop; sys_platform != "win32"',
        ]

        [dependency-groups]
        dev = [
            "pytest>=8",
            { include-group = "lint" },
        ]
        lint = [
            "ruff",
        ]

        [tool.uv]
        package = false
        """
    )


def test_apply_keeps_everything_else_byte_for_byte() -> None:
    out = apply(EXISTING, spec("django>=4.2", "httpx"))
    assert out == EXISTING.replace('    "requests",\n', '    "requests",\n    "httpx",\n')


def test_empty_spec_changes_nothing() -> None:
    weird = "# x\n[project]\nname='svc'   # n\ndependencies=['a']\n\n\n[tool.other]\nk = 1"
    assert pyproject.apply(weird, DependencySpec(), path=P) == weird


def test_existing_entry_updated_in_place_with_its_comment() -> None:
    out = apply(EXISTING, spec("django>=5,<6"))
    assert '    "django>=5,<6",  # web framework\n' in out
    assert out.index("django") < out.index("celery")


def test_existing_entry_keeps_its_extras_when_the_requirements_pin_it_without() -> None:
    # field test (docs/field-tests.md): CTFd's pyproject names PyMySQL[rsa]==1.1.1 and its uv
    # export requirements.txt pymysql==1.1.1 (an export lists each extra's dependencies instead)
    text = EXISTING.replace('"requests",', '"PyMySQL[rsa]==1.1.0",')
    out = apply(text, spec("pymysql==1.1.1"))
    assert '"pymysql[rsa]==1.1.1",' in out
    assert "PyMySQL" not in out
    assert apply(out, spec("pymysql[other]==1.1.1")).count('"pymysql[other,rsa]==1.1.1",') == 1


def test_entry_equal_up_to_normalization_is_not_rewritten() -> None:
    assert apply(EXISTING, spec("DJANGO>=4.2", "celery==5.3.*")) == EXISTING


def test_entries_not_in_spec_are_kept() -> None:
    out = apply(EXISTING, spec("flask"))
    assert '"requests",' in out
    assert "'celery==5.3.*'," in out


def test_entry_with_other_marker_is_added_beside() -> None:
    out = apply(EXISTING, spec("requests; python_version < '3.12'"))
    assert '    "requests",\n    \'requests; python_version < "3.12"\',\n' in out


def test_single_line_array_becomes_multi_line_when_extended() -> None:
    text = '[project]\nname = "svc"\ndependencies = ["a", \'b\']  # short\n'
    assert apply(text, spec("c")) == dedent(
        """
        [project]
        name = "svc"
        dependencies = [
            "a",
            'b',
            "c",
        ]  # short
        """
    )


def test_missing_dependencies_key_is_added_inside_project() -> None:
    text = '[project]\nname = "svc"\n\n[tool.x]\ny = 1\n'
    assert apply(text, spec("a")) == dedent(
        """
        [project]
        name = "svc"
        dependencies = [
            "a",
        ]

        [tool.x]
        y = 1
        """
    )


def test_dynamic_dependencies_is_an_error() -> None:
    text = '[project]\nname = "svc"\ndynamic = ["dependencies"]\n'
    with pytest.raises(PyprojectError, match=r"\[project\]\.dynamic"):
        pyproject.apply(text, spec("a"), path=P)


def test_dynamic_optional_dependencies_with_extras_is_an_error() -> None:
    # PEP 621: a key listed in dynamic must not be given statically.
    text = '[project]\nname = "svc"\ndependencies = []\ndynamic = ["optional-dependencies"]\n'
    with pytest.raises(PyprojectError, match=r"optional-dependencies.*\[project\]\.dynamic"):
        pyproject.apply(text, spec(groups={"dev": ["pytest"]}), path=P, style="extras")
    assert "[dependency-groups]" in apply(text, spec(groups={"dev": ["pytest"]}))


def test_dynamic_dependencies_message_names_the_backend_table() -> None:
    text = dedent(
        """
        [project]
        name = "svc"
        dynamic = ["dependencies"]

        [tool.setuptools.dynamic]
        dependencies = { file = ["requirements.txt"] }
        """
    )
    with pytest.raises(PyprojectError, match=r"\[tool\.setuptools\.dynamic\]\.dependencies"):
        pyproject.apply(text, spec("a"), path=P)


# --------------------------------------------------------------------------------------------
# apply: groups and extras


def test_existing_group_matched_by_normalized_name() -> None:
    text = dedent(
        """
        [project]
        name = "svc"

        [dependency-groups]
        Dev = [
            "pytest",  # tests
            {include-group = "lint"},
        ]
        lint = ["ruff"]
        """
    )
    out = apply(text, spec(groups={"dev": ["pytest>=8", IncludeGroup(group="lint"), "ipython"]}))
    assert out == text.replace('"pytest",  # tests', '"pytest>=8",  # tests').replace(
        '    {include-group = "lint"},\n', '    {include-group = "lint"},\n    "ipython",\n'
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            '[project]\nname = "svc"\n\n[tool.ruff]\nline-length = 88\n',
            '[project]\nname = "svc"\n\n[dependency-groups]\ndev = [\n    "pytest",\n]\n\n'
            "[tool.ruff]\nline-length = 88\n",
            id="blank-line",
        ),
        pytest.param(
            '[project]\nname = "svc"\n[tool.ruff]\nline-length = 88\n',
            '[project]\nname = "svc"\n\n[dependency-groups]\ndev = [\n    "pytest",\n]\n\n'
            "[tool.ruff]\nline-length = 88\n",
            id="no-blank-line",
        ),
        pytest.param(
            '[project]\nname = "svc"\n\n[project.urls]\nHome = "https://x.invalid"\n\n'
            "[tool.ruff]\nline-length = 88\n",
            '[project]\nname = "svc"\n\n[project.urls]\nHome = "https://x.invalid"\n\n'
            '[dependency-groups]\ndev = [\n    "pytest",\n]\n\n[tool.ruff]\nline-length = 88\n',
            id="project-subtable",
        ),
        pytest.param(
            '[project]\nname = "svc"\n',
            '[project]\nname = "svc"\n\n[dependency-groups]\ndev = [\n    "pytest",\n]\n',
            id="last-table",
        ),
    ],
)
def test_new_group_table_goes_right_after_project(before: str, after: str) -> None:
    # Placed through tomlkit's public API only (it once used a private method a patch release
    # removed): the bytes around it are the user's, the new table sits between [project] and the
    # next table.
    assert apply(before, spec(groups={"dev": ["pytest"]})) == after


def test_new_group_table_does_not_split_a_comment_from_its_table() -> None:
    text = dedent(
        """
        [project]
        name = "svc"

        # linters
        [tool.ruff]
        line-length = 88
        """
    )
    out = apply(text, spec(groups={"dev": ["pytest"]}))
    assert "\n# linters\n[tool.ruff]\nline-length = 88\n" in out
    assert out.index("[dependency-groups]") > out.index("[tool.ruff]")


def test_ensure_project_adds_missing_name_and_version() -> None:
    meta = ProjectMeta(name="svc", requires_python=">=3.12")
    assert pyproject.ensure_project('[project]\nname = "x"\nversion = "1"\n', meta, path=P) == (
        '[project]\nname = "x"\nversion = "1"\n'
    )
    assert pyproject.ensure_project('[project]\ndescription = "d"\n', meta, path=P) == (
        '[project]\ndescription = "d"\nname = "svc"\nversion = "0.1.0"\n'
    )
    dynamic = '[project]\nname = "x"\ndynamic = ["version"]\n'
    assert pyproject.ensure_project(dynamic, meta, path=P) == dynamic
    only_tools = pyproject.ensure_project("[tool.ruff]\nline-length = 88\n", meta, path=P)
    assert only_tools.startswith('[project]\nname = "svc"\nversion = "0.1.0"\n')
    assert "[tool.uv]" not in only_tools


def test_empty_group_is_written() -> None:
    out = apply(NEW, spec(groups={"dev": []}))
    assert "[dependency-groups]\ndev = []\n" in out


def test_extras_style_with_self_reference() -> None:
    text = dedent(
        """
        [project]
        name = "My_Svc"
        dependencies = []

        [project.optional-dependencies]
        test = ["pytest"]
        """
    )
    s = spec("a", groups={"test": ["pytest>=8"], "dev": [IncludeGroup(group="test"), "ipython"]})
    out = apply(text, s)
    assert out == dedent(
        """
        [project]
        name = "My_Svc"
        dependencies = [
            "a",
        ]

        [project.optional-dependencies]
        test = ["pytest>=8"]
        dev = [
            "my-svc[test]",
            "ipython",
        ]
        """
    )
    assert pyproject.read(out, path=P).group("dev") == (
        IncludeGroup(group="test"),
        dep("ipython"),
    )


def test_explicit_groups_style_overrides_detection() -> None:
    text = '[project]\nname = "svc"\n\n[project.optional-dependencies]\ndev = ["x"]\n'
    out = apply(text, spec(groups={"dev": ["pytest"]}), style="groups")
    assert out.startswith(text)
    assert "[dependency-groups]\ndev = [\n" in out


def test_extras_self_reference_needs_project_name() -> None:
    text = '[project.optional-dependencies]\ndev = ["x"]\n'
    with pytest.raises(PyprojectError, match=r"\[project\]\.name is missing"):
        pyproject.apply(
            text, spec(groups={"dev": [IncludeGroup(group="test")]}), path=P, style="extras"
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "groups", id="empty"),
        pytest.param('[project]\nname = "a"\n', "groups", id="no-extras"),
        pytest.param("[project.optional-dependencies]\ndev = []\n", "extras", id="dev-extra"),
        pytest.param("[project.optional-dependencies]\nTesting = []\n", "extras", id="testing"),
        pytest.param(
            "[project.optional-dependencies]\npostgres = []\n", "groups", id="feature-extra"
        ),
        pytest.param(
            "[project.optional-dependencies]\ndev = []\n[dependency-groups]\nx = []\n",
            "groups",
            id="has-groups",
        ),
    ],
)
def test_detect_style(text: str, expected: str) -> None:
    assert pyproject.detect_style(text) == expected


# --------------------------------------------------------------------------------------------
# apply: [tool.uv]


UV = UvSettings(
    indexes=(
        Index(name="pypi-corp-example", url="https://pypi.corp.example/simple", default=True),
        Index(name="download-pytorch-org", url="https://download.pytorch.org/whl/cpu"),
    ),
    sources=(
        (
            canonicalize_name("lib"),
            Source(kind="git", url="https://github.com/org/lib.git", tag="v1", subdirectory="py"),
        ),
        (canonicalize_name("core"), Source(kind="path", path="libs/core", editable=True)),
        (canonicalize_name("wheel"), Source(kind="url", url="https://files.example/w.whl")),
    ),
    find_links=("wheels",),
    constraints=("urllib3<2",),
    prerelease="allow",
    no_binary=("pyyaml",),
    no_build=(":all:",),
    allow_insecure_host=("pypi.local:8080",),
    no_index=True,
)


def test_uv_settings_written_as_uv_would() -> None:
    assert apply(NEW, DependencySpec(uv=UV)) == NEW + dedent(
        """
        find-links = [
            "wheels",
        ]
        constraint-dependencies = [
            "urllib3<2",
        ]
        prerelease = "allow"
        no-binary-package = [
            "pyyaml",
        ]
        no-build = true
        allow-insecure-host = [
            "pypi.local:8080",
        ]
        no-index = true

        [[tool.uv.index]]
        name = "pypi-corp-example"
        url = "https://pypi.corp.example/simple"
        default = true

        [[tool.uv.index]]
        name = "download-pytorch-org"
        url = "https://download.pytorch.org/whl/cpu"

        [tool.uv.sources]
        lib = { git = "https://github.com/org/lib.git", tag = "v1", subdirectory = "py" }
        core = { path = "libs/core", editable = true }
        wheel = { url = "https://files.example/w.whl" }
        """
    )


def test_sources_alone_get_no_empty_tool_uv_header() -> None:
    text = '[project]\nname = "svc"\nversion = "1"\ndependencies = []\n'
    source = Source(kind="path", path="libs/core", editable=True)
    out = apply(text, DependencySpec(uv=UvSettings(sources=((canonicalize_name("core"), source),))))
    assert out == text + '\n[tool.uv.sources]\ncore = { path = "libs/core", editable = true }\n'


def test_tool_uv_added_after_other_tool_tables_and_before_later_tables() -> None:
    text = '[project]\nname = "x"\n\n[tool.ruff]\nx = 1\n\n[build-system]\nrequires = []\n'
    out = apply(text, DependencySpec(uv=UvSettings(no_index=True)))
    assert out == text.replace("x = 1\n\n", "x = 1\n\n[tool.uv]\nno-index = true\n\n")


def test_existing_index_matched_by_url_and_default_not_demoted() -> None:
    text = dedent(
        """
        [project]
        name = "x"

        [tool.uv]
        package = false

        [[tool.uv.index]]
        name = "internal"  # our mirror
        url = "https://pypi.corp.example/simple/"

        [[tool.uv.index]]
        name = "pypi-corp-example"
        url = "https://mirror.example/simple"
        default = true
        """
    )
    out = apply(text, DependencySpec(uv=UvSettings(indexes=UV.indexes)))
    assert out == text + "\n" + dedent(
        """
        [[tool.uv.index]]
        name = "download-pytorch-org"
        url = "https://download.pytorch.org/whl/cpu"
        """
    )


def test_new_index_name_clash_gets_a_suffix() -> None:
    text = '[tool.uv]\n\n[[tool.uv.index]]\nname = "h"\nurl = "https://h/a"\n'
    index = Index(name="h", url="https://h/b")
    out = apply(text, DependencySpec(uv=UvSettings(indexes=(index,))))
    assert out.endswith('[[tool.uv.index]]\nname = "h-2"\nurl = "https://h/b"\n')


def test_index_names_are_the_names_written() -> None:
    text = '[tool.uv]\n\n[[tool.uv.index]]\nname = "corp"\nurl = "https://h/a/"\n'
    text += '\n[[tool.uv.index]]\nname = "h"\nurl = "https://m/simple"\n'
    indexes = (Index(name="h", url="https://h/a"), Index(name="h", url="https://h/b"))
    out = apply(text, DependencySpec(uv=UvSettings(indexes=indexes)))
    assert pyproject.index_names(out, path=P) == {
        "https://h/a": "corp",
        "https://m/simple": "h",
        "https://h/b": "h-2",
    }


def test_existing_source_replaced_only_when_different() -> None:
    text = dedent(
        """
        [tool.uv.sources]
        lib = { git = "https://github.com/org/lib.git", tag = "v0" }  # old
        core = {path = "libs/core", editable = true}
        """
    )
    out = apply(text, DependencySpec(uv=UvSettings(sources=UV.sources)))
    assert out == dedent(
        """
        [tool.uv.sources]
        lib = { git = "https://github.com/org/lib.git", tag = "v1", subdirectory = "py" }  # old
        core = {path = "libs/core", editable = true}
        wheel = { url = "https://files.example/w.whl" }
        """
    )


def test_credentials_never_reach_pyproject() -> None:
    main = Path("/svc/requirements.txt")
    secret = "s3cr3t-Pa55w0rd"
    reqfile = ReqFile(
        path=main,
        options=(
            Option(
                name="index-url",
                value=f"https://deploy:{secret}@pypi.corp.example/simple",
                origin=Location(main, 1),
            ),
            Option(
                name="extra-index-url",
                value="https://${PYPI_TOKEN}@extra.example/simple",
                origin=Location(main, 2),
            ),
        ),
    )
    conversion = normalize.convert({main: reqfile}, (Role(path=main),), Path("/svc"))
    out = apply(NEW, conversion.spec)
    for text in (out, repr(conversion.diagnostics), repr(conversion.outcomes)):
        assert secret not in text
        assert "${PYPI_TOKEN}" not in text
    assert 'url = "https://pypi.corp.example/simple"' in out
    assert "UV_INDEX_EXTRA_EXAMPLE_PASSWORD" in str(conversion.diagnostics)


# --------------------------------------------------------------------------------------------
# add_constraints, requires_python


def test_add_constraints_updates_by_name() -> None:
    text = NEW.replace("package = false\n", 'package = false\nconstraint-dependencies = ["a<2"]\n')
    out = pyproject.add_constraints(text, ["A==1.5", "b==2.0"], path=P)
    assert 'constraint-dependencies = [\n    "a==1.5",\n    "b==2.0",\n]\n' in out
    assert pyproject.add_constraints(out, ["a==1.5", "b==2.0"], path=P) == out
    assert pyproject.add_constraints(out, [], path=P) == out


def test_add_constraints_creates_tool_uv() -> None:
    out = pyproject.add_constraints('[project]\nname = "x"\n', ["a==1"], path=P)
    assert (
        out == '[project]\nname = "x"\n\n[tool.uv]\nconstraint-dependencies = [\n    "a==1",\n]\n'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(NEW, ">=3.12", id="set"),
        pytest.param('[project]\nname = "x"\n', None, id="unset"),
        pytest.param("", None, id="empty"),
    ],
)
def test_requires_python(text: str, expected: str | None) -> None:
    assert pyproject.requires_python(text) == expected


# --------------------------------------------------------------------------------------------
# read


def test_read_gives_back_what_apply_wrote() -> None:
    s = spec(
        "a>=1",
        "b[x]; python_version < '3.12'",
        groups={"dev": ["pytest", IncludeGroup(group="lint")], "lint": ["ruff"]},
        uv=UV,
    )
    got = pyproject.read(apply(NEW, s), path=P)
    assert [d.requirement for d in got.dependencies] == [d.requirement for d in s.dependencies]
    assert got.groups == s.groups
    assert got.uv.indexes == UV.indexes
    assert [(n, src.kind, src.url, src.path) for n, src in got.uv.sources] == [
        (n, src.kind, src.url, src.path) for n, src in UV.sources
    ]
    assert dict(got.uv.sources)[canonicalize_name("core")].base == P.parent
    assert got.uv.find_links == UV.find_links
    assert got.uv.constraints == UV.constraints
    assert (got.uv.prerelease, got.uv.no_binary, got.uv.no_build) == (
        "allow",
        ("pyyaml",),
        (":all:",),
    )
    assert got.uv.allow_insecure_host == UV.allow_insecure_host
    assert got.uv.no_index


def test_read_normalizes_existing_entries() -> None:
    got = pyproject.read(EXISTING, path=P)
    assert [d.requirement for d in got.dependencies] == ["django>=4.2", "celery==5.3.*", "requests"]


# --------------------------------------------------------------------------------------------
# Malformed input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[project\n", r"invalid TOML: .*line 1", id="toml-syntax"),
        pytest.param("project = 1\n", r"\[project\] is not a table", id="project-not-table"),
        pytest.param(
            '[project]\ndependencies = ["a", 3]\n',
            r"\[project\]\.dependencies\[1\] is not a string",
            id="dep-not-string",
        ),
        pytest.param(
            '[project]\ndependencies = "a"\n',
            r"\[project\]\.dependencies is not an array",
            id="deps",
        ),
        pytest.param(
            "[dependency-groups]\ndev = [1]\n",
            r"\[dependency-groups\]\.dev\[0\] is not a string",
            id="group-item",
        ),
        pytest.param(
            "[[tool.uv.index]]\nname = 'x'\n",
            r"\[tool\.uv\]\.index\[0\] is not a table with a url",
            id="index-url",
        ),
        pytest.param(
            "[tool.uv]\nno-index = 'yes'\n", r"\[tool\.uv\]\.no-index is not a boolean", id="bool"
        ),
        pytest.param(
            '[project]\ndependencies = [\n    "a",\n    "a >>> 1",\n]\n',
            r"\[project\]\.dependencies\[1\] is not a valid requirement",
            id="bad-requirement",
        ),
    ],
)
def test_malformed_input_names_the_key(text: str, message: str) -> None:
    with pytest.raises(PyprojectError, match=message) as info:
        pyproject.apply(text, spec("a>=2"), path=P)
    assert str(P) in str(info.value)


def test_read_rejects_invalid_requirement_with_key_path() -> None:
    with pytest.raises(PyprojectError, match=r"\[dependency-groups\]\.dev\[0\]"):
        pyproject.read('[dependency-groups]\ndev = ["??"]\n', path=P)


# --------------------------------------------------------------------------------------------
# Performance


def test_apply_two_thousand_dependencies_is_fast() -> None:
    big = DependencySpec(
        dependencies=tuple(dep(f"package-{i}>=1.{i}") for i in range(2000)),
    )
    start = time.perf_counter()
    out = pyproject.apply(NEW, big, path=P)
    first = time.perf_counter() - start
    start = time.perf_counter()
    assert pyproject.apply(out, big, path=P) == out
    second = time.perf_counter() - start
    # Target 0.2 s each on a 2-core machine; the bound leaves room for a loaded CI runner.
    assert first < 1.0
    assert second < 1.0


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        pytest.param(
            '[\n    "a",\n    "b"]',
            '[\n    "a",\n    "b",\n    "c",\n    "d",\n]',
            id="bracket-after-last-item",
        ),
        pytest.param(
            '[\n    "a",\n    "b"  # why\n]  # after',
            '[\n    "a",\n    "b",  # why\n    "c",\n    "d",\n]  # after',
            id="comment-on-last-item",
        ),
        pytest.param(
            '[\n  "a",\n  # later\n]',
            '[\n  "a",\n  # later\n  "c",\n  "d",\n]',
            id="own-indent",
        ),
        pytest.param("[  # soon\n]", '[  # soon\n    "c",\n    "d",\n]', id="comment-only"),
        pytest.param("[\n]", '[\n    "c",\n    "d",\n]', id="empty-multi-line"),
        pytest.param(
            "[\n  # tools\n]", '[\n  # tools\n  "c",\n  "d",\n]', id="comment-line-indent"
        ),
    ],
)
def test_append_to_existing_array(array: str, expected: str) -> None:
    text = f'[project]\nname = "x"\ndependencies = {array}\n'
    assert apply(text, spec("c", "d")) == f'[project]\nname = "x"\ndependencies = {expected}\n'


def test_append_thousands_to_existing_array_is_fast() -> None:
    text = '[project]\nname = "x"\ndependencies = [\n    "a",  # keep\n]\n'
    big = DependencySpec(dependencies=tuple(dep(f"package-{i}") for i in range(2000)))
    start = time.perf_counter()
    out = pyproject.apply(text, big, path=P)
    assert time.perf_counter() - start < 1.0
    assert out.startswith(
        '[project]\nname = "x"\ndependencies = [\n    "a",  # keep\n    "package-0",\n'
    )
    assert out.endswith('    "package-1999",\n]\n')


def test_inline_index_array_keeps_its_form() -> None:
    text = '[tool.uv]\nindex = [{ name = "old", url = "https://o/simple" }]\n'
    index = Index(name="x", url="https://x/simple")
    out = apply(text, DependencySpec(uv=UvSettings(indexes=(index,))))
    assert out == dedent(
        """
        [tool.uv]
        index = [
            { name = "old", url = "https://o/simple" },
            { name = "x", url = "https://x/simple" },
        ]
        """
    )


def test_split_tables_are_edited_where_they_are() -> None:
    text = dedent(
        """
        [tool.ruff]
        x = 1

        [project]
        name = "p"

        [tool.black]
        y = 2
        """
    )
    out = apply(text, spec("a", groups={"dev": ["b"]}, uv=UvSettings(no_index=True)))
    assert tomllib.loads(out)["tool"] == {
        "ruff": {"x": 1},
        "black": {"y": 2},
        "uv": {"no-index": True},
    }
    assert out.startswith("[tool.ruff]\nx = 1\n")
    assert '[project]\nname = "p"\ndependencies = [\n    "a",\n]\n' in out


@pytest.mark.parametrize(
    "name",
    [
        pytest.param('we"ird', id="quote"),
        pytest.param("tab\there", id="control"),
        pytest.param("both'\"", id="both-quotes"),
        pytest.param("back\\slash", id="backslash"),
    ],
)
def test_strings_are_escaped(name: str) -> None:
    text = pyproject.new_document(ProjectMeta(name=name))
    assert tomllib.loads(text)["project"]["name"] == name


def test_sources_survive_normalize_apply_read() -> None:
    main = Path("/svc/requirements.txt")
    sources = {
        "lib": Source(kind="git", url="https://g/lib.git", rev="0123abc", subdirectory="py"),
        "pkg": Source(kind="url", url="https://files.example/pkg-1.0.tar.gz"),
        "core": Source(kind="path", path="libs/core", base=Path("/svc"), editable=True),
    }
    reqs = tuple(
        Req(
            name=canonicalize_name(name),
            requirement=Requirement(name),
            origin=Location(main, n),
            text=name,
            source=source,
        )
        for n, (name, source) in enumerate(sources.items(), 1)
    )
    conversion = normalize.convert(
        {main: ReqFile(path=main, requirements=reqs)}, (Role(path=main),), Path("/svc")
    )
    got = pyproject.read(apply(NEW, conversion.spec), path=P)
    assert got.uv.sources == conversion.spec.uv.sources
    assert [d.requirement for d in got.dependencies] == ["lib", "pkg", "core"]


def test_top_level_dotted_keys_stay_top_level() -> None:
    text = 'project.name = "p"\nproject.dependencies = ["z"]\ntool.uv.package = false\n'
    out = apply(text, spec("a", groups={"dev": ["b"]}, uv=UvSettings(no_index=True)))
    data = tomllib.loads(out)
    assert data["project"] == {"name": "p", "dependencies": ["z", "a"]}
    assert data["tool"] == {"uv": {"package": False, "no-index": True}}
    assert data["dependency-groups"] == {"dev": ["b"]}


def test_layout_tomlkit_cannot_edit_is_refused_not_miswritten() -> None:
    # tomlkit would write [[uv.index]] for a sub-table of a dotted key under [tool].
    text = '[project]\nname = "p"\n\n[tool]\nuv.package = false\n'
    s = DependencySpec(uv=UvSettings(indexes=(Index(name="x", url="https://x/simple"),)))
    with pytest.raises(
        PyprojectError, match=r"write \[tool\.uv\] and \[project\] as table headers"
    ):
        pyproject.apply(text, s, path=P)


def test_config_settings_package_is_written_and_merged_with_what_is_there() -> None:
    settings = UvSettings(
        config_settings_package=(
            (canonicalize_name("lxml"), (("--build-option", "--x"),)),
            (canonicalize_name("pkg"), (("mode", ("a b", "c")),)),
        )
    )
    out = apply(NEW, spec("lxml", "pkg", uv=settings))
    assert tomllib.loads(out)["tool"]["uv"]["config-settings-package"] == {
        "lxml": {"--build-option": "--x"},
        "pkg": {"mode": ["a b", "c"]},
    }
    existing = NEW + 'config-settings-package = { Other = { k = "v" }, lxml = { old = "1" } }\n'
    merged = apply(existing, spec("lxml", "pkg", uv=settings))
    assert tomllib.loads(merged)["tool"]["uv"]["config-settings-package"] == {
        "Other": {"k": "v"},
        "lxml": {"old": "1", "--build-option": "--x"},
        "pkg": {"mode": ["a b", "c"]},
    }


# --------------------------------------------------------------------------------------------
# add_requirement / remove_requirement / listed (reqconv add and remove)

_SERVICE = textwrap.dedent(
    """\
    # the worker
    [project]
    name = "svc"
    version = "0.1.0"
    dependencies = [
        "alpha>=1",  # why alpha
        "beta",
    ]

    [dependency-groups]
    dev = ["pytest"]

    [tool.uv]
    package = false

    [tool.uv.sources]
    kappa = { git = "https://example.com/kappa.git" }
    """
)
_P = Path("pyproject.toml")


def test_add_requirement_appends_and_keeps_every_other_byte() -> None:
    text = pyproject.add_requirement(_SERVICE, "Gamma[Extra]>=1", path=_P)
    assert text == _SERVICE.replace('    "beta",\n', '    "beta",\n    "gamma[extra]>=1",\n')


def test_add_requirement_to_an_existing_group_and_a_new_one() -> None:
    dev = pyproject.add_requirement(_SERVICE, "ruff", path=_P, group="Dev")
    assert 'dev = [\n    "pytest",\n    "ruff",\n]' in dev
    docs = pyproject.add_requirement(_SERVICE, "mkdocs", path=_P, group="docs")
    assert 'dev = ["pytest"]\ndocs = [\n    "mkdocs",\n]\n' in docs


def test_add_requirement_to_an_extras_project_uses_the_extra() -> None:
    text = '[project]\nname = "svc"\nversion = "1"\n[project.optional-dependencies]\ntest = ["x"]\n'
    added = pyproject.add_requirement(text, "pytest", path=_P, group="test")
    assert 'test = [\n    "x",\n    "pytest",\n]' in added
    assert "dependency-groups" not in added


def test_add_requirement_with_a_source() -> None:
    source = Source(kind="git", url="https://example.com/lam.git", tag="v1")
    text = pyproject.add_requirement(_SERVICE, "lam", path=_P, source=source)
    assert 'lam = { git = "https://example.com/lam.git", tag = "v1" }' in text
    assert '    "lam",\n' in text


def test_replace_keeps_the_place_and_the_comment() -> None:
    text = pyproject.add_requirement(
        _SERVICE, "alpha>=2; python_version >= '3.11'", path=_P, replace=True
    )
    assert """    'alpha>=2; python_version >= "3.11"',  # why alpha\n""" in text
    assert text.count("alpha>=") == 1


def test_remove_requirement_drops_the_entry_and_an_unused_source() -> None:
    with_kappa = pyproject.add_requirement(_SERVICE, "kappa", path=_P, group="dev")
    text = pyproject.remove_requirement(with_kappa, "Kappa", path=_P, group="dev")
    assert "kappa" not in text
    assert text == _SERVICE.replace(
        '\n[tool.uv.sources]\nkappa = { git = "https://example.com/kappa.git" }\n', ""
    ).replace('dev = ["pytest"]', 'dev = [\n    "pytest",\n]')


def test_remove_the_last_entry_leaves_an_empty_array() -> None:
    text = pyproject.remove_requirement(_SERVICE, "pytest", path=_P, group="dev")
    assert "dev = []\n" in text


def test_remove_keeps_a_source_another_table_uses() -> None:
    both = pyproject.add_requirement(_SERVICE, "kappa", path=_P)
    both = pyproject.add_requirement(both, "kappa", path=_P, group="dev")
    text = pyproject.remove_requirement(both, "kappa", path=_P, group="dev")
    assert "kappa = { git" in text
    assert '    "kappa",\n' in text


def test_listed_gives_each_entry_with_its_line() -> None:
    found = {(item.group, item.name, item.line) for item in pyproject.listed(_SERVICE, path=_P)}
    assert found == {(None, "alpha", 6), (None, "beta", 7), ("dev", "pytest", 11)}
