"""normalize: parsed requirements files + roles -> Conversion (spec, pins, diagnostics, outcomes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from reqconv.convert import normalize
from reqconv.errors import ConflictError, Location
from reqconv.model import (
    Conversion,
    Dependency,
    Diagnostic,
    Include,
    IncludeGroup,
    Index,
    Option,
    Pin,
    Req,
    ReqFile,
    Role,
    Source,
)

ROOT = Path("/svc")
MAIN = ROOT / "requirements.txt"
DEV = ROOT / "requirements-dev.txt"


def req(
    text: str,
    path: Path = MAIN,
    line: int = 1,
    *,
    source: Source | None = None,
    hashes: tuple[str, ...] = (),
    options: tuple[str, ...] = (),
) -> Req:
    requirement = Requirement(text)
    return Req(
        name=canonicalize_name(requirement.name),
        requirement=requirement,
        origin=Location(path, line),
        text=text,
        source=source,
        hashes=hashes,
        options=options,
    )


def opt(name: str, value: str | None = None, path: Path = MAIN, line: int = 1) -> Option:
    return Option(name=name, value=value, origin=Location(path, line))


def inc(target: str, path: Path = DEV, line: int = 1, *, constraint: bool = False) -> Include:
    return Include(
        kind="constraint" if constraint else "requirement",
        target=target,
        path=path.parent / target,
        origin=Location(path, line),
    )


def rf(path: Path, *lines: Req | Option | Include, **kwargs: object) -> ReqFile:
    return ReqFile(
        path=path,
        requirements=tuple(x for x in lines if isinstance(x, Req)),
        options=tuple(x for x in lines if isinstance(x, Option)),
        includes=tuple(x for x in lines if isinstance(x, Include)),
        **kwargs,  # type: ignore[arg-type]
    )


def run(*files: ReqFile, roles: tuple[Role, ...] | None = None) -> Conversion:
    by_path = {f.path: f for f in files}
    if roles is None:
        roles = (Role(path=files[0].path),)
    return normalize.convert(by_path, roles, ROOT)


def deps(conversion: Conversion) -> list[str]:
    return [d.requirement for d in conversion.spec.dependencies]


def group(conversion: Conversion, name: str) -> list[str | IncludeGroup]:
    return [
        item.requirement if isinstance(item, Dependency) else item
        for item in conversion.spec.group(name)
    ]


# --------------------------------------------------------------------------------------------
# canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Pydantic_Settings", "pydantic-settings", id="name"),
        pytest.param("Django < 5 , >= 4.2", "django>=4.2,<5", id="lower-bound-first"),
        pytest.param("requests[Socks,security]", "requests[security,socks]", id="extras-sorted"),
        pytest.param("a[Foo_Bar]", "a[foo-bar]", id="extras-normalized"),
        pytest.param(
            "black; python_version<'3.11'",
            'black; python_version < "3.11"',
            id="marker",
        ),
        pytest.param(  # uv expands ${VAR} there, so such an entry keeps its URL
            "pkg @ https://example.com/pkg.whl", "pkg @ https://example.com/pkg.whl", id="url-kept"
        ),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert normalize.canonical(Requirement(text)) == expected


def test_canonical_is_a_fixed_point() -> None:
    text = 'a[x,y]!=1.5,>=1; os_name == "nt" and python_version >= "3.9"'
    once = normalize.canonical(Requirement(text))
    assert normalize.canonical(Requirement(once)) == once


# --------------------------------------------------------------------------------------------
# Names, order, duplicates


def test_names_are_normalized_and_order_kept() -> None:
    conversion = run(rf(MAIN, req("Zope.Interface", line=1), req("Pydantic_Settings>=2", line=2)))
    assert deps(conversion) == ["zope-interface", "pydantic-settings>=2"]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param("a>=1", "a<3", "a>=1,<3", id="intersect"),
        pytest.param("a==1.2", "a>=1", "a==1.2", id="pin-absorbs"),
        pytest.param("a>=1", "A==1.2", "a==1.2", id="pin-kept"),
        pytest.param("a==1.0", "a==1.0.0", "a==1.0", id="equal-pins"),
        pytest.param("a[x]", "a[y]>=1", "a[x,y]>=1", id="extras-union"),
        pytest.param("a~=1.4", "a!=1.5", "a~=1.4,!=1.5", id="compatible"),
        pytest.param("a>1.0", "a<1.0.1", "a>1.0,<1.0.1", id="narrow-range"),
        pytest.param("a==1.*", "a>=1.5", "a==1.*,>=1.5", id="wildcard"),
        pytest.param("a>=1", "a!=1.*", "a>=1,!=1.*", id="next-major"),
        pytest.param("a>=1.0", "a===1.0", "a===1.0,>=1.0", id="arbitrary-equality-not-judged"),
        pytest.param("a<2", "a<2", "a<2", id="identical"),
        pytest.param("a>=2.0", "a>=2.5", "a>=2.5", id="higher-lower-bound"),
        pytest.param("a>=1.5,<3", "a>1.0,<2.5", "a>=1.5,<2.5", id="tighter-bounds"),
        pytest.param("a>=2", "a>2", "a>2", id="strict-lower-bound"),
        pytest.param("a<=3", "a<3", "a<3", id="strict-upper-bound"),
        pytest.param("a<2.5rc1", "a<2.5", "a<2.5,<2.5rc1", id="pre-release-not-judged"),
    ],
)
def test_duplicates_merge(first: str, second: str, expected: str) -> None:
    conversion = run(rf(MAIN, req(first, line=1), req(second, line=2)))
    assert deps(conversion) == [expected]
    assert [o.outcome for o in conversion.outcomes] == ["converted", "merged"]


def test_duplicates_with_distinct_markers_stay_apart() -> None:
    conversion = run(
        rf(
            MAIN,
            req("a>=1; python_version < '3.11'", line=1),
            req("b", line=2),
            req("a>=2; python_version >= '3.11'", line=3),
        )
    )
    assert deps(conversion) == [
        'a>=1; python_version < "3.11"',
        "b",
        'a>=2; python_version >= "3.11"',
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("a==1", "a==2", id="two-pins"),
        pytest.param("a>=2", "a<1", id="disjoint-range"),
        pytest.param("a==1.5", "a>=2", id="pin-outside"),
        pytest.param("a~=1.4", "a>=2", id="compatible-outside"),
        pytest.param("a==1.0", "a!=1.0", id="excluded"),
    ],
)
def test_conflict_names_both_locations(first: str, second: str) -> None:
    with pytest.raises(ConflictError) as info:
        run(rf(MAIN, req(first, line=3), req("b", line=4), req(second, line=7)))
    message = str(info.value)
    assert f"{MAIN}:3" in message
    assert f"{MAIN}:7" in message


def test_conflict_across_included_file() -> None:
    base = ROOT / "base.txt"
    files = (
        rf(MAIN, inc("base.txt", MAIN, 1), req("a==2", line=2)),
        rf(base, req("a==1", base, 5)),
    )
    with pytest.raises(ConflictError, match=rf"{base}:5.*{MAIN}:2"):
        run(*files)


def test_same_package_in_two_tables_merges_nothing() -> None:
    conversion = run(
        rf(MAIN, req("a>=1")),
        rf(DEV, req("a==2", DEV)),
        roles=(Role(path=MAIN), Role(path=DEV, group="dev")),
    )
    assert deps(conversion) == ["a>=1"]
    assert group(conversion, "dev") == ["a==2"]
    assert conversion.diagnostics == ()


def test_group_conflicting_with_main_is_refused() -> None:
    # uv installs a group with the project's dependencies and locks them together: `uv lock`
    # would fail ("your project and svc:dev are incompatible").
    with pytest.raises(ConflictError) as info:
        run(
            rf(MAIN, req("a==1", line=3)),
            rf(DEV, inc("requirements.txt", DEV, 1), req("a==2", DEV, 2)),
            roles=(Role(path=MAIN), Role(path=DEV, group="dev")),
        )
    message = str(info.value)
    assert f"{MAIN}:3" in message
    assert f"{DEV}:2" in message
    assert "group 'dev'" in message


def test_two_groups_that_conflict_are_reported() -> None:
    one = ROOT / "requirements/ci32.txt"
    two = ROOT / "requirements/ci64.txt"
    conversion = run(
        rf(one, req("blas==1", one)),
        rf(two, req("blas==2", two)),
        roles=(Role(path=one, group="ci32"), Role(path=two, group="ci64")),
    )
    assert group(conversion, "ci32") == ["blas==1"]
    assert group(conversion, "ci64") == ["blas==2"]
    (diagnostic,) = conversion.diagnostics
    assert (diagnostic.code, diagnostic.location) == ("group-conflict", Location(two, 1))
    assert str(one) in diagnostic.message
    assert 'conflicts = [[{ group = "ci32" }, { group = "ci64" }]]' in diagnostic.message


# --------------------------------------------------------------------------------------------
# Roles and includes


def test_group_including_main_holds_only_its_additions() -> None:
    conversion = run(
        rf(MAIN, req("fastapi")),
        rf(DEV, inc("requirements.txt", DEV, 1), req("pytest", DEV, 2)),
        roles=(Role(path=MAIN), Role(path=DEV, group="dev")),
    )
    assert deps(conversion) == ["fastapi"]
    assert group(conversion, "dev") == ["pytest"]
    include_outcome = next(o for o in conversion.outcomes if o.text.startswith("-r"))
    assert (include_outcome.outcome, include_outcome.key) == ("merged", "project.dependencies")


def test_group_including_group_gets_include_group() -> None:
    test = ROOT / "requirements/test.txt"
    dev = ROOT / "requirements/dev.txt"
    conversion = run(
        rf(test, req("pytest", test)),
        rf(dev, req("ipython", dev, 1), inc("test.txt", dev, 2)),
        roles=(Role(path=dev, group="dev"), Role(path=test, group="test")),
    )
    assert group(conversion, "dev") == ["ipython", IncludeGroup(group="test")]
    assert group(conversion, "test") == ["pytest"]


def test_include_of_non_role_is_inlined_where_it_stands() -> None:
    common = ROOT / "common.txt"
    conversion = run(
        rf(MAIN, req("a", line=1), inc("common.txt", MAIN, 2), req("z", line=3)),
        rf(common, req("b", common, 1), req("c", common, 2)),
    )
    assert deps(conversion) == ["a", "b", "c", "z"]


def test_two_main_files_both_feed_main_and_include_is_folded() -> None:
    base = ROOT / "requirements/base.txt"
    conversion = run(
        rf(MAIN, inc("requirements/base.txt", MAIN, 1), req("a", line=2)),
        rf(base, req("b", base)),
        roles=(Role(path=MAIN), Role(path=base)),
    )
    assert deps(conversion) == ["a", "b"]


def test_include_cycle_does_not_loop() -> None:
    a = ROOT / "a.txt"
    b = ROOT / "b.txt"
    conversion = run(
        rf(MAIN, inc("a.txt", MAIN, 1)),
        rf(a, inc("b.txt", a, 1), req("x", a, 2)),
        rf(b, inc("a.txt", b, 1), req("y", b, 2)),
    )
    assert deps(conversion) == ["y", "x"]


def test_missing_include_is_reported() -> None:
    conversion = run(rf(MAIN, inc("gone.txt", MAIN, 1)))
    assert [d.code for d in conversion.diagnostics] == ["include-not-found"]
    assert conversion.outcomes[0].outcome == "reported"


def test_constraint_file_maps_to_constraints() -> None:
    cons = ROOT / "constraints.txt"
    conversion = run(
        rf(MAIN, inc("constraints.txt", MAIN, 1, constraint=True), req("a", line=2)),
        rf(cons, req("Urllib3<2", cons, 1), req("idna==3.4", cons, 2)),
    )
    assert conversion.spec.uv.constraints == ("urllib3<2", "idna==3.4")
    assert deps(conversion) == ["a"]
    assert {o.key for o in conversion.outcomes if o.location.path == cons} == {
        "tool.uv.constraint-dependencies"
    }
    assert conversion.pins == ()


def test_constraint_that_excludes_a_requirement_is_a_conflict() -> None:
    cons = ROOT / "constraints.txt"
    with pytest.raises(ConflictError) as info:
        run(
            rf(MAIN, inc("constraints.txt", MAIN, 1, constraint=True), req("a==2", line=2)),
            rf(cons, req("b<1", cons, 1), req("a<2", cons, 2)),
        )
    message = str(info.value)
    assert f"{cons}:2" in message
    assert f"{MAIN}:2" in message
    assert "constraint" in message


def test_constraint_with_another_marker_is_not_judged() -> None:
    cons = ROOT / "constraints.txt"
    conversion = run(
        rf(MAIN, inc("constraints.txt", MAIN, 1, constraint=True), req("a==2", line=2)),
        rf(cons, req("a<2; python_version < '3.9'", cons, 1)),
    )
    assert deps(conversion) == ["a==2"]


def test_constraint_on_compiled_file_goes_to_pins_not_constraints() -> None:
    main_in = ROOT / "requirements.in"
    dev_in = ROOT / "dev.in"
    conversion = run(
        rf(main_in, req("flask", main_in)),
        rf(MAIN, req("flask==3.0.0", MAIN, 1), req("click==8.1.7", MAIN, 2)),
        rf(dev_in, inc("requirements.txt", dev_in, 1, constraint=True), req("pytest", dev_in, 2)),
        roles=(Role(path=main_in, compiled=MAIN), Role(path=dev_in, group="dev")),
    )
    assert conversion.spec.uv.constraints == ()
    assert [(p.name, p.version) for p in conversion.pins] == [
        ("flask", "3.0.0"),
        ("click", "8.1.7"),
    ]
    assert deps(conversion) == ["flask"]


def test_compiled_pins_keep_hashes_and_are_mapped_to_lock() -> None:
    main_in = ROOT / "requirements.in"
    conversion = run(
        rf(main_in, req("flask", main_in)),
        rf(
            MAIN,
            req("flask==3.0.0", MAIN, 3, hashes=("sha256:aa", "sha256:bb")),
            req("click==8.1.7", MAIN, 6, hashes=("sha256:cc",)),
            compiled=True,
        ),
        roles=(Role(path=main_in, compiled=MAIN),),
    )
    assert conversion.pins[0] == Pin(
        name=canonicalize_name("flask"),
        version="3.0.0",
        origin=Location(MAIN, 3),
        hashes=("sha256:aa", "sha256:bb"),
        compiled=True,
    )
    assert {(o.outcome, o.key) for o in conversion.outcomes if o.location.path == MAIN} == {
        ("mapped", "lock.pins")
    }
    hashes = [d for d in conversion.diagnostics if d.code == "hash-left-to-lock"]
    assert len(hashes) == 1
    assert hashes[0].severity == "info"


def test_compiled_pin_of_a_package_with_a_source_is_not_kept() -> None:
    # The .in takes packaging from a URL; the compiled ==24.0 would fight that source in the lock.
    main_in = ROOT / "requirements.in"
    source = Source(kind="url", url="https://github.com/pypa/packaging/archive/9c66f5c.zip")
    conversion = run(
        rf(main_in, req("packaging", main_in, source=source), req("flask", main_in, 2)),
        rf(MAIN, req("packaging==24.0", MAIN, 1), req("flask==3.0.0", MAIN, 2)),
        roles=(Role(path=main_in, compiled=MAIN),),
    )
    assert [(p.name, p.version) for p in conversion.pins] == [("flask", "3.0.0")]
    assert {(o.outcome, o.key) for o in conversion.outcomes if o.location == Location(MAIN, 1)} == {
        ("merged", "tool.uv.sources.packaging"),
        ("reported", "compiled-source-differs"),  # installed 24.0 from the index, not the URL
    }


def test_pins_from_role_files_only_exact() -> None:
    conversion = run(rf(MAIN, req("a==1.0", line=1), req("b==2.*", line=2), req("c>=1", line=3)))
    assert [(p.name, p.version) for p in conversion.pins] == [("a", "1.0")]


# --------------------------------------------------------------------------------------------
# Sources


def test_git_source_gives_plain_name_and_source() -> None:
    source = Source(kind="git", url="https://github.com/org/lib.git", tag="v1.2", subdirectory="py")
    conversion = run(rf(MAIN, req("My_Lib[extra]; python_version>'3'", source=source)))
    assert deps(conversion) == ['my-lib[extra]; python_version > "3"']
    assert conversion.spec.uv.sources == ((canonicalize_name("my-lib"), source),)
    assert conversion.pins == ()
    (outcome,) = conversion.outcomes
    assert (outcome.outcome, outcome.key) == ("mapped", "tool.uv.sources.my-lib")


def test_path_source_is_rebased_to_root() -> None:
    sub = ROOT / "requirements/dev.txt"
    source = Source(kind="path", path="../libs/core", base=sub.parent, editable=True)
    conversion = run(rf(sub, req("core", sub, source=source)), roles=(Role(path=sub, group="dev"),))
    ((name, rebased),) = conversion.spec.uv.sources
    assert name == "core"
    assert rebased == Source(kind="path", path="libs/core", base=ROOT, editable=True)


def test_two_different_sources_conflict() -> None:
    one = Source(kind="git", url="https://g/x.git", tag="v1")
    two = Source(kind="git", url="https://g/x.git", tag="v2")
    with pytest.raises(ConflictError, match=rf"{MAIN}:1 and {MAIN}:2"):
        run(rf(MAIN, req("x", line=1, source=one), req("x", line=2, source=two)))


# --------------------------------------------------------------------------------------------
# Options


def test_index_url_and_extra_index_url() -> None:
    conversion = run(
        rf(
            MAIN,
            opt("index-url", "https://pypi.example.com/simple", line=1),
            opt("extra-index-url", "https://download.pytorch.org/whl/cpu", line=2),
        )
    )
    assert conversion.spec.uv.indexes == (
        Index(
            name="pypi-example-com",
            url="https://pypi.example.com/simple",
            default=True,
            origin=Location(MAIN, 1),
        ),
        Index(
            name="download-pytorch-org",
            url="https://download.pytorch.org/whl/cpu",
            origin=Location(MAIN, 2),
        ),
    )
    assert [(o.outcome, o.key) for o in conversion.outcomes] == [("mapped", "tool.uv.index")] * 2


@pytest.mark.parametrize(
    ("taken", "url", "expected"),
    [
        pytest.param(set(), "https://PyPI.Example.com:8443/simple/", "pypi-example-com", id="host"),
        pytest.param(
            {"gitlab-com"},
            "https://gitlab.com/api/v4/projects/7/packages/pypi/simple",
            "gitlab-com-api-v4-projects-7-packages-pypi",
            id="same-host",
        ),
        pytest.param({"h", "h-x"}, "https://h/x/simple", "h-x-2", id="numbered"),
        pytest.param(set(), "file:///srv/wheels", "index", id="no-host"),
    ],
)
def test_index_name(taken: set[str], url: str, expected: str) -> None:
    assert normalize.index_name(url, taken) == expected


def test_same_url_twice_is_one_index() -> None:
    conversion = run(
        rf(MAIN, opt("extra-index-url", "https://x.org/simple", line=1)),
        rf(DEV, opt("index-url", "https://x.org/simple", DEV, 1)),
        roles=(Role(path=MAIN), Role(path=DEV, group="dev")),
    )
    (index,) = conversion.spec.uv.indexes
    assert index.default


def test_second_index_url_becomes_extra_with_warning() -> None:
    conversion = run(
        rf(
            MAIN,
            opt("index-url", "https://a.org/simple", line=1),
            opt("index-url", "https://b.org/simple", line=2),
        )
    )
    assert [ix.default for ix in conversion.spec.uv.indexes] == [True, False]
    assert [d.code for d in conversion.diagnostics] == ["second-index-url"]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://deploy:s3cr3t-Pa55@pypi.corp.example/simple", id="user-password"),
        pytest.param("https://${PYPI_TOKEN}@pypi.corp.example/simple", id="env-token"),
        pytest.param("https://__token__:s3cr3t-Pa55@pypi.corp.example/simple", id="token"),
    ],
)
def test_credentials_are_removed_and_env_vars_named(url: str) -> None:
    conversion = run(rf(MAIN, opt("extra-index-url", url)))
    (index,) = conversion.spec.uv.indexes
    assert index.url == "https://pypi.corp.example/simple"
    assert index.needs_credentials
    (diagnostic,) = conversion.diagnostics
    assert diagnostic.code == "credentials-removed"
    assert "UV_INDEX_PYPI_CORP_EXAMPLE_USERNAME" in diagnostic.message
    assert "UV_INDEX_PYPI_CORP_EXAMPLE_PASSWORD" in diagnostic.message
    everything = repr(conversion)
    assert "s3cr3t-Pa55" not in everything
    assert "${PYPI_TOKEN}" not in everything


def test_credentials_message_follows_the_name_written() -> None:
    # The pyproject already names that URL "corp": uv reads UV_INDEX_CORP_*.
    conversion = run(
        rf(MAIN, opt("index-url", "https://u:pw@pypi.corp.example/simple"), opt("pre", line=2))
    )
    renamed = normalize.rename_indexes(conversion, {"https://pypi.corp.example/simple": "corp"})
    messages = [d.message for d in renamed.diagnostics]
    assert "UV_INDEX_CORP_USERNAME and UV_INDEX_CORP_PASSWORD" in messages[0]
    assert "'corp'" in messages[0]
    assert renamed.spec == conversion.spec
    assert normalize.rename_indexes(conversion, {}) is conversion


def test_find_links_url_and_local_path() -> None:
    sub = ROOT / "requirements/base.txt"
    conversion = run(
        rf(
            sub,
            opt("find-links", "../wheels", sub, 1),
            opt("find-links", "https://u:pw@files.example/links/", sub, 2),
        )
    )
    assert conversion.spec.uv.find_links == ("wheels", "https://files.example/links/")
    assert "pw@" not in repr(conversion)


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        pytest.param([("pre", None)], "prerelease", "allow", id="pre"),
        pytest.param([("no-binary", "PyYAML,lxml")], "no_binary", ("pyyaml", "lxml"), id="nb"),
        pytest.param([("only-binary", ":all:")], "no_build", (":all:",), id="only-binary-all"),
        pytest.param([("no-binary", ":all:")], "no_binary", (":all:",), id="no-binary-all"),
        pytest.param(
            [("only-binary", "numpy"), ("only-binary", ":none:"), ("only-binary", "scipy")],
            "no_build",
            ("scipy",),
            id="none-clears",
        ),
        pytest.param(
            [("no-binary", "numpy,lxml"), ("only-binary", "numpy")],
            "no_binary",
            ("lxml",),
            id="only-binary-takes-a-name-off-no-binary",
        ),
        pytest.param(
            [("no-binary", "numpy"), ("only-binary", "NumPy")],
            "no_build",
            ("numpy",),
            id="later-option-wins",
        ),
        pytest.param(
            [("only-binary", "numpy"), ("no-binary", ":all:")],
            "no_build",
            (),
            id="all-clears-the-other",
        ),
        pytest.param(
            [("trusted-host", "pypi.local:8080")],
            "allow_insecure_host",
            ("pypi.local:8080",),
            id="trusted-host",
        ),
        pytest.param([("no-index", None)], "no_index", True, id="no-index"),
    ],
)
def test_options_map_to_uv(
    options: list[tuple[str, str | None]], field: str, expected: object
) -> None:
    lines = [opt(name, value, line=n) for n, (name, value) in enumerate(options, 1)]
    conversion = run(rf(MAIN, *lines))
    assert getattr(conversion.spec.uv, field) == expected
    assert {o.outcome for o in conversion.outcomes} == {"mapped"}
    assert conversion.diagnostics == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("prefer-binary", None, id="prefer-binary"),
        pytest.param("require-hashes", None, id="require-hashes"),
        pytest.param("use-feature", "truststore", id="use-feature"),
        pytest.param("progress-bar", "off", id="unknown"),
    ],
)
def test_options_without_uv_form_are_reported(name: str, value: str | None) -> None:
    conversion = run(rf(MAIN, opt(name, value, line=4)))
    (diagnostic,) = conversion.diagnostics
    assert diagnostic.code == "no-uv-equivalent"
    assert diagnostic.location == Location(MAIN, 4)
    (outcome,) = conversion.outcomes
    assert (outcome.outcome, outcome.key) == ("reported", "no-uv-equivalent")


def test_config_settings_map_to_config_settings_package() -> None:
    # Issue 7 item 8: pip's per-line -C KEY=VALUE is uv's config-settings-package.
    conversion = run(
        rf(
            MAIN,
            req("lxml", line=1, options=("--config-settings=--build-option=--x",)),
            req(
                "Py_Pkg",
                line=2,
                options=("--config-settings='mode=a b'", "--config-settings=mode=c"),
            ),
        )
    )
    assert deps(conversion) == ["lxml", "py-pkg"]
    assert conversion.diagnostics == ()
    assert conversion.spec.uv.config_settings_package == (
        ("lxml", (("--build-option", "--x"),)),
        ("py-pkg", (("mode", ("a b", "c")),)),
    )
    assert [(o.location.line, o.outcome, o.key) for o in conversion.outcomes] == [
        (1, "mapped", "tool.uv.config-settings-package.lxml"),
        (1, "converted", "project.dependencies"),
        (2, "mapped", "tool.uv.config-settings-package.py-pkg"),
        (2, "converted", "project.dependencies"),
    ]


def test_a_dropped_per_line_option_is_the_line_fate_not_only_converted() -> None:
    conversion = run(rf(MAIN, req("lxml", options=("--global-option=--fast",))))
    assert deps(conversion) == ["lxml"]
    (diagnostic,) = conversion.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("per-line-option", "warning")
    assert [(o.outcome, o.key) for o in conversion.outcomes] == [
        ("reported", "per-line-option"),
        ("converted", "project.dependencies"),
    ]


def test_a_group_line_restating_a_main_entry_is_not_repeated() -> None:
    dev = ROOT / "requirements-dev.txt"
    conversion = run(
        rf(MAIN, req("a==1", line=1), req("b[x,y]>=2", line=2), req("c", line=3)),
        rf(
            dev,
            req("A==1", dev, 1),  # restates a==1
            req("b[x]>=2", dev, 2),  # restates (its extra is among main's)
            req("c>=1", dev, 3),  # narrows c: kept
            req("pytest", dev, 4),
        ),
        roles=(Role(path=MAIN), Role(path=dev, group="dev")),
    )
    assert group(conversion, "dev") == ["c>=1", "pytest"]
    assert [
        (o.location.line, o.outcome, o.key) for o in conversion.outcomes if o.location.path == dev
    ] == [
        (1, "merged", "project.dependencies"),
        (2, "merged", "project.dependencies"),
        (3, "converted", "dependency-groups.dev"),
        (4, "converted", "dependency-groups.dev"),
    ]


def test_hashes_in_role_file_are_pins_and_one_info_per_file() -> None:
    conversion = run(
        rf(
            MAIN,
            req("a==1", line=1, hashes=("sha256:1",)),
            req("b==2", line=2, hashes=("sha256:2",)),
        )
    )
    assert [p.hashes for p in conversion.pins] == [("sha256:1",), ("sha256:2",)]
    assert [d.code for d in conversion.diagnostics] == ["hash-left-to-lock"]


# --------------------------------------------------------------------------------------------
# Accounting


def test_parser_diagnostics_are_kept_first() -> None:
    parsed = Diagnostic(code="build-machine-path", message="file:///home/ci/x.whl")
    conversion = run(rf(MAIN, req("a"), opt("prefer-binary", line=2), diagnostics=(parsed,)))
    assert [d.code for d in conversion.diagnostics] == ["build-machine-path", "no-uv-equivalent"]


def test_every_line_has_an_outcome() -> None:
    cons = ROOT / "c.txt"
    files = (
        rf(
            MAIN,
            opt("index-url", "https://x.org/simple", line=1),
            req("a>=1", line=2),
            req("A<3", line=3),
            inc("c.txt", MAIN, 4, constraint=True),
            opt("prefer-binary", line=5),
        ),
        rf(cons, req("b<2", cons, 1)),
    )
    conversion = run(*files)
    assert [
        (o.location.line, o.outcome) for o in conversion.outcomes if o.location.path == MAIN
    ] == [
        (1, "mapped"),
        (2, "converted"),
        (3, "merged"),
        (4, "mapped"),
        (5, "reported"),
    ]
    assert conversion.roles == (Role(path=MAIN),)


@pytest.mark.parametrize(
    ("name", "value", "variable"),
    [
        pytest.param("index-url", "${PIP_INDEX_URL}", "UV_DEFAULT_INDEX", id="index-url"),
        pytest.param("extra-index-url", "https://${HOST}/simple", "UV_INDEX", id="extra"),
        pytest.param("find-links", "${WHEELS}", "UV_FIND_LINKS", id="find-links"),
    ],
)
def test_url_from_environment_is_reported_not_written(name: str, value: str, variable: str) -> None:
    conversion = run(rf(MAIN, opt(name, value)))
    assert conversion.spec.uv.indexes == ()
    assert conversion.spec.uv.find_links == ()
    (diagnostic,) = conversion.diagnostics
    assert diagnostic.code == "url-from-env"
    assert f"{variable}={value}" in diagnostic.message
    assert conversion.outcomes[0].outcome == "reported"


def test_editable_project_itself_is_reported_not_a_dependency() -> None:
    source = Source(kind="path", path="..", base=DEV.parent / "requirements", editable=True)
    conversion = run(
        rf(DEV, req("svc", DEV, 1, source=source), req("pytest", DEV, 2)),
        roles=(Role(path=DEV, group="dev"),),
    )
    assert group(conversion, "dev") == ["pytest"]
    assert conversion.spec.uv.sources == ()
    assert [(d.code, d.severity) for d in conversion.diagnostics] == [("project-itself", "info")]


def test_project_itself_with_extras_names_them() -> None:
    source = Source(kind="path", path=".", base=ROOT, editable=True)
    conversion = run(
        rf(DEV, req("svc[socks,test]", DEV, 1, source=source)),
        roles=(Role(path=DEV, group="dev"),),
    )
    (diagnostic,) = conversion.diagnostics
    assert diagnostic.code == "project-itself"
    assert "--extra socks --extra test" in diagnostic.message


def test_source_url_credentials_are_stripped() -> None:
    source = Source(kind="url", url="https://user:hunter2@files.example/pkg-1.0.tar.gz")
    conversion = run(rf(MAIN, req("pkg", source=source)))
    ((_, written),) = conversion.spec.uv.sources
    assert written.url == "https://files.example/pkg-1.0.tar.gz"
    assert "hunter2" not in repr(conversion)
    assert [d.code for d in conversion.diagnostics] == ["credentials-removed"]


def test_ssh_login_name_is_not_a_credential() -> None:
    source = Source(kind="git", url="ssh://git@github.com/org/lib.git", rev="abc1234")
    conversion = run(rf(MAIN, req("lib", source=source)))
    assert conversion.spec.uv.sources == ((canonicalize_name("lib"), source),)
    assert conversion.diagnostics == ()


def test_parser_diagnostic_lines_without_entries_get_a_reported_outcome() -> None:
    dropped = Diagnostic(
        code="unnamed-requirement", message="no name for ./x", location=Location(MAIN, 2)
    )
    conversion = run(rf(MAIN, req("a", line=1), diagnostics=(dropped,)))
    assert [(o.location.line, o.outcome, o.key) for o in conversion.outcomes] == [
        (1, "converted", "project.dependencies"),
        (2, "reported", "unnamed-requirement"),
    ]


_VERSIONS = st.from_regex(r"[0-9](\.[0-9]){0,2}((rc|\.post|\.dev)[0-9])?", fullmatch=True)
_OPERATORS = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])


@st.composite
def _specifiers(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        op = draw(_OPERATORS)
        version = draw(_VERSIONS)
        if op == "~=":
            version = draw(st.from_regex(r"[0-9]\.[0-9](\.[0-9])?", fullmatch=True))
        if op in {"==", "!="} and draw(st.booleans()):
            version = version.split("rc")[0].split(".post")[0].split(".dev")[0] + ".*"
        parts.append(op + version)
    return ",".join(parts)


@settings(max_examples=200, deadline=None)
@given(first=_specifiers(), second=_specifiers(), probes=st.lists(_VERSIONS, max_size=20))
def test_no_conflict_is_raised_when_a_version_satisfies_both(
    first: str, second: str, probes: list[str]
) -> None:
    merged = SpecifierSet(first) & SpecifierSet(second)
    if any(merged.contains(p, prereleases=True) for p in probes):
        conversion = run(rf(MAIN, req(f"a{first}", line=1), req(f"a{second}", line=2)))
        assert len(conversion.spec.dependencies) == 1


def test_editable_git_becomes_a_regular_git_source() -> None:
    source = Source(kind="git", url="https://g/x.git", branch="main", editable=True)
    conversion = run(rf(MAIN, req("x", source=source)))
    ((_, written),) = conversion.spec.uv.sources
    assert not written.editable
    assert [(d.code, d.severity) for d in conversion.diagnostics] == [("editable-vcs", "info")]


def test_same_index_later_with_credentials_needs_them() -> None:
    conversion = run(
        rf(
            MAIN,
            opt("extra-index-url", "https://x.org/simple", line=1),
            opt("extra-index-url", "https://u:p4ss@x.org/simple", line=2),
        )
    )
    (index,) = conversion.spec.uv.indexes
    assert index.needs_credentials
    assert [d.code for d in conversion.diagnostics] == ["credentials-removed"]


def test_a_compiled_git_ref_other_than_the_in_is_reported_with_both_lines() -> None:
    # Seen: the .in asked for @6.10.0, the compiled .txt had installed @6.8.0, and the lock
    # silently followed the .in.
    main_in = ROOT / "requirements.in"
    url = "https://github.com/org/mylib"
    conversion = run(
        rf(main_in, req("mylib", main_in, 1, source=Source(kind="git", url=url, tag="6.10.0"))),
        rf(MAIN, req("mylib", MAIN, 4, source=Source(kind="git", url=url, tag="6.8.0"))),
        roles=(Role(path=main_in, compiled=MAIN),),
    )
    (diag,) = [d for d in conversion.diagnostics if d.code == "compiled-source-differs"]
    assert diag.location == Location(MAIN, 4)
    assert f"git+{url}@6.8.0" in diag.message
    assert f"{main_in}:1 asks for git+{url}@6.10.0" in diag.message


def test_the_same_compiled_git_ref_says_nothing() -> None:
    main_in = ROOT / "requirements.in"
    source = Source(kind="git", url="https://github.com/org/mylib", tag="6.8.0")
    conversion = run(
        rf(main_in, req("mylib", main_in, 1, source=source)),
        rf(MAIN, req("mylib", MAIN, 4, source=source)),
        roles=(Role(path=main_in, compiled=MAIN),),
    )
    assert [d.code for d in conversion.diagnostics if d.code.startswith("compiled-")] == []


def test_a_compiled_pin_its_in_excludes_is_reported_with_both_lines() -> None:
    main_in = ROOT / "requirements.in"
    conversion = run(
        rf(main_in, req("django>=4.2", main_in, 3)),
        rf(MAIN, req("django==4.1", MAIN, 7)),
        roles=(Role(path=main_in, compiled=MAIN),),
    )
    (diag,) = [d for d in conversion.diagnostics if d.code == "compiled-pin-differs"]
    assert diag.location == Location(MAIN, 7)
    assert f"{main_in}:3 asks for django>=4.2" in diag.message
    (pin,) = conversion.pins
    assert (pin.version, pin.compiled, pin.group) == ("4.1", True, None)


def test_pins_and_demands_carry_their_group_and_marker() -> None:
    dev = ROOT / "requirements-dev.txt"
    conversion = run(
        rf(MAIN, req("alpha==1.0", MAIN, 1)),
        rf(dev, req('urllib3==1.26.20; python_version < "3.13"', dev, 2)),
        roles=(Role(path=MAIN), Role(path=dev, group="dev")),
    )
    assert [(p.name, p.group, p.marker, p.compiled) for p in conversion.pins] == [
        ("alpha", None, None, False),
        ("urllib3", "dev", 'python_version < "3.13"', False),
    ]
    assert [(d.name, d.specifier, d.group) for d in conversion.demands] == [
        ("alpha", "==1.0", None),
        ("urllib3", "==1.26.20", "dev"),
    ]


def test_env_var_url_is_written_as_a_direct_reference_uv_expands() -> None:
    # Issue 7 item 2: uv expands ${VAR} in a dependency's own URL, not in [tool.uv.sources].
    git = Source(kind="git", url="https://git.example.com/${SDK_CHANNEL}/sdk.git", tag="v1.2")
    path = Source(kind="path", path="${PROJECT_ROOT}/libs/x", editable=True)
    conversion = run(
        rf(MAIN, req("sdk", line=1, source=git), req("x", line=2, source=path), req("a", line=3))
    )
    assert deps(conversion) == [
        "sdk @ git+https://git.example.com/${SDK_CHANNEL}/sdk.git@v1.2",
        "x @ ${PROJECT_ROOT}/libs/x",
        "a",
    ]
    assert conversion.spec.uv.sources == ()
    assert [(o.location.line, o.outcome, o.key) for o in conversion.outcomes] == [
        (1, "converted", "project.dependencies"),
        (2, "converted", "project.dependencies"),
        (3, "converted", "project.dependencies"),
    ]
    sdk, x = conversion.diagnostics
    assert (sdk.code, sdk.location) == ("url-from-env", Location(MAIN, 1))
    assert "uv expands ${SDK_CHANNEL} in a dependency's own URL" in sdk.message
    assert "installed as a regular package" in x.message
