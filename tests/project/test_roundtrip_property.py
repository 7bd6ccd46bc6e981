"""Property: generated requirement sets survive normalize -> apply -> read, and apply is idempotent."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from reqconv.convert import normalize
from reqconv.errors import ConflictError, Location
from reqconv.model import (
    Dependency,
    DependencySpec,
    Include,
    IncludeGroup,
    Option,
    ProjectMeta,
    Req,
    ReqFile,
    Role,
    Source,
    UvSettings,
)
from reqconv.project import pyproject

ROOT = Path("/svc")
PYPROJECT = ROOT / "pyproject.toml"

NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}([-_.][A-Za-z0-9]{1,3})?", fullmatch=True)
VERSIONS = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){1,2}", fullmatch=True)
OPERATORS = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])
MARKERS = st.sampled_from(
    [
        None,
        "python_version < '3.12'",
        'sys_platform == "linux"',
        "os_name == 'nt' and python_version >= \"3.9\"",
        "platform_machine != 'arm64' or implementation_name == 'cpython'",
    ]
)
GROUP_NAMES = st.sampled_from(["dev", "Test_Suite", "docs", "lint"])
EXISTING = st.sampled_from(
    [
        None,
        '# keep me\n[project]\nname = "svc"\nversion = "1"\ndependencies = []\n\n[tool.ruff]\nx = 1\n',
        '[project]\nname = "svc"\ndependencies = ["zzz-existing>=1"]  # mine\n',
    ]
)


@st.composite
def requirement_texts(draw: st.DrawFn) -> str:
    name = draw(NAMES)
    extras = draw(st.lists(NAMES, max_size=2))
    specs = draw(st.lists(st.tuples(OPERATORS, VERSIONS), max_size=2))
    marker = draw(MARKERS)
    text = name
    if extras:
        text += "[" + ", ".join(extras) + "]"
    text += " " + ", ".join(op + version for op, version in specs)
    if marker:
        text += "; " + marker
    return text


def unique_by_name(texts: list[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for text in texts:
        name = canonicalize_name(Requirement(text).name)
        if name not in seen:
            seen.add(name)
            kept.append(text)
    return kept


@st.composite
def requirement_sets(draw: st.DrawFn) -> tuple[dict[Path, ReqFile], tuple[Role, ...]]:
    files: dict[Path, ReqFile] = {}
    roles: list[Role] = []
    tables: list[tuple[str | None, list[str]]] = [
        (None, unique_by_name(draw(st.lists(requirement_texts(), max_size=8))))
    ]
    for label in draw(st.lists(GROUP_NAMES, unique=True, max_size=3)):
        tables.append((label, unique_by_name(draw(st.lists(requirement_texts(), max_size=5)))))
    group_paths = {
        group: ROOT / f"requirements-{group}.txt" for group, _ in tables if group is not None
    }
    for group, texts in tables:
        path = ROOT / "requirements.txt" if group is None else group_paths[group]
        reqs = []
        for line, text in enumerate(texts, 1):
            requirement = Requirement(text)
            reqs.append(
                Req(
                    name=canonicalize_name(requirement.name),
                    requirement=requirement,
                    origin=Location(path, line),
                    text=text,
                )
            )
        includes = []
        if group is not None:
            others = sorted(g for g in group_paths if g != group)
            targets = (
                draw(st.lists(st.sampled_from(others), unique=True, max_size=2)) if others else []
            )
            for n, target in enumerate(targets):
                includes.append(
                    Include(
                        kind="requirement",
                        target=group_paths[target].name,
                        path=group_paths[target],
                        origin=Location(path, len(texts) + n + 1),
                    )
                )
        files[path] = ReqFile(path=path, requirements=tuple(reqs), includes=tuple(includes))
        group_name = None if group is None else str(canonicalize_name(group))
        roles.append(Role(path=path, group=group_name))
    return files, tuple(roles)


def tables(spec: DependencySpec) -> dict[str, list[str]]:
    """Every table as canonical strings (include-groups as ``@group``)."""
    result = {"": [normalize.canonical(Requirement(d.requirement)) for d in spec.dependencies]}
    for group, items in spec.groups:
        result[group] = [
            normalize.canonical(Requirement(item.requirement))
            if isinstance(item, Dependency)
            else "@" + item.group
            for item in items
        ]
        assert all(isinstance(item, Dependency | IncludeGroup) for item in items)
    return result


@settings(max_examples=100, deadline=None)
@given(data=requirement_sets(), existing=EXISTING, style=st.sampled_from(["groups", "extras"]))
def test_normalize_apply_read_round_trip(
    data: tuple[dict[Path, ReqFile], tuple[Role, ...]], existing: str | None, style: str
) -> None:
    files, roles = data
    refused: ConflictError | None = None
    try:
        conversion = normalize.convert(files, roles, ROOT)
    except ConflictError as e:
        refused = e
    if refused is not None:
        # A group entry that cannot hold with a main one (uv locks them together): refused, with
        # both lines named.
        assert refused.location is not None
        assert str(refused).count(str(ROOT)) >= 2
        return
    text = existing or pyproject.new_document(ProjectMeta(name="svc"))
    chosen: pyproject.Style = "extras" if style == "extras" else "groups"

    once = pyproject.apply(text, conversion.spec, path=PYPROJECT, style=chosen)
    twice = pyproject.apply(once, conversion.spec, path=PYPROJECT, style=chosen)
    assert twice == once

    got = tables(pyproject.read(once, path=PYPROJECT, style=chosen))
    want = tables(conversion.spec)
    for table, entries in want.items():
        written = got.get(table, [])
        # Entries the pyproject had before stay first; ours follow in our order.
        assert [entry for entry in written if entry in entries] == entries
    for path, reqfile in files.items():
        for req in reqfile.requirements:
            table = next(str(r.group or "") for r in roles if r.path == path)
            text = normalize.canonical(req.requirement)
            # A group line that only restates a [project] entry is carried by that entry.
            assert text in got[table] or (table and _restated(req.requirement, got.get("", [])))


def _restated(requirement: Requirement, main: list[str]) -> bool:
    """A main entry of the same name, specifier and marker, with these extras among its own."""
    for entry in main:
        other = Requirement(entry)
        if (
            canonicalize_name(other.name) == canonicalize_name(requirement.name)
            and other.specifier == requirement.specifier
            and other.marker == requirement.marker
            and {canonicalize_name(e) for e in requirement.extras}
            <= {canonicalize_name(e) for e in other.extras}
        ):
            return True
    return False


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(requirement_texts(), max_size=6))
def test_canonical_is_stable_through_toml(texts: list[str]) -> None:
    deps = tuple(
        Dependency(
            name=canonicalize_name(Requirement(t).name),
            requirement=normalize.canonical(Requirement(t)),
        )
        for t in unique_by_name(texts)
    )
    spec = DependencySpec(dependencies=deps)
    out = pyproject.apply(pyproject.new_document(ProjectMeta(name="svc")), spec, path=PYPROJECT)
    assert [d.requirement for d in pyproject.read(out, path=PYPROJECT).dependencies] == [
        d.requirement for d in deps
    ]


HOSTS = st.sampled_from(["pypi.example.com", "gitlab.com", "download.pytorch.org", "h.local:8080"])
SECRETS = st.sampled_from(["", "user:s3cret-Zq9@", "${TOKEN}@", "__token__:pypi-AgEN-x@"])


@st.composite
def option_files(draw: st.DrawFn) -> ReqFile:
    path = ROOT / "requirements.txt"
    options = []
    for line in range(1, draw(st.integers(0, 6)) + 1):
        kind = draw(st.sampled_from(["index-url", "extra-index-url", "find-links", "pre"]))
        value = None
        if kind != "pre":
            path_part = draw(
                st.sampled_from(["/simple", "/api/v4/projects/7/packages/pypi/simple"])
            )
            value = f"https://{draw(SECRETS)}{draw(HOSTS)}{path_part}"
        options.append(Option(name=kind, value=value, origin=Location(path, line)))
    return ReqFile(path=path, options=tuple(options))


@settings(max_examples=100, deadline=None)
@given(reqfile=option_files())
def test_uv_settings_round_trip_without_secrets(reqfile: ReqFile) -> None:
    conversion = normalize.convert({reqfile.path: reqfile}, (Role(path=reqfile.path),), ROOT)
    text = pyproject.new_document(ProjectMeta(name="svc"))
    once = pyproject.apply(text, conversion.spec, path=PYPROJECT)
    assert pyproject.apply(once, conversion.spec, path=PYPROJECT) == once
    got = pyproject.read(once, path=PYPROJECT).uv
    assert [(i.name, i.url, i.default) for i in got.indexes] == [
        (i.name, i.url, i.default) for i in conversion.spec.uv.indexes
    ]
    assert got.find_links == conversion.spec.uv.find_links
    assert got.prerelease == conversion.spec.uv.prerelease
    shown = once + repr(conversion.diagnostics) + repr(conversion.outcomes)
    for secret in ("s3cret-Zq9", "${TOKEN}", "pypi-AgEN-x"):
        assert secret not in shown


# --------------------------------------------------------------------------------------------
# ``pyproject_read.apply_keeps``: a ``True`` is a promise that the editor changes nothing


def _toml_array(values: list[object]) -> str:
    def item(value: object) -> str:
        if isinstance(value, dict):
            return "{ include-group = " + pyproject._string(str(value["include-group"])) + " }"
        return pyproject._string(str(value))

    return "[\n" + "".join(f"    {item(v)},\n" for v in values) + "]"


SOURCES = st.sampled_from(
    [
        Source(kind="git", url="https://example.com/a.git", tag="v1"),
        Source(kind="git", url="https://example.com/a.git", rev="abc1234"),
        Source(kind="url", url="https://example.com/a-1.0.tar.gz"),
        Source(kind="path", path="../lib", editable=True),
    ]
)


@st.composite
def with_sources(draw: st.DrawFn, spec: DependencySpec) -> DependencySpec:
    """``spec`` with a source for some of its dependencies (as a direct reference gives one)."""
    names = sorted({d.name for d in spec.dependencies})
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=2)) if names else []
    sources = tuple((name, draw(SOURCES)) for name in chosen)
    return dataclasses.replace(spec, uv=UvSettings(sources=sources))


@st.composite
def existing_tables(draw: st.DrawFn, spec: DependencySpec, style: str) -> str:
    """A pyproject whose tables mix what ``spec`` wants (canonical, or as written), other
    requirements of the same names, unrelated ones and included groups, in any order, and
    whose ``[tool.uv.sources]`` holds some of the wanted sources, as written or otherwise."""

    def mixed(wants: list[object]) -> list[object]:
        texts = [w for w in wants if isinstance(w, str)]
        pool = list(wants)
        pool += (
            [w.replace(">=", " >= ", 1) for w in draw(st.lists(st.sampled_from(texts)))]
            if texts
            else []
        )
        pool += draw(st.lists(requirement_texts(), max_size=3))
        chosen = draw(st.lists(st.sampled_from(pool), max_size=len(pool) + 2)) if pool else []
        return draw(st.permutations(chosen)) if chosen else []

    main: list[object] = [d.requirement for d in spec.dependencies]
    lines = ["[project]", 'name = "svc"', 'version = "1"']
    lines.append(f"dependencies = {_toml_array(mixed(main))}")
    groups: list[str] = []
    for group, items in spec.groups:
        if draw(st.booleans()) or not items:
            wants: list[object] = [
                i.requirement if isinstance(i, Dependency) else {"include-group": i.group}
                for i in items
                if isinstance(i, Dependency) or style == "groups"  # extras hold strings only
            ]
            groups.append(f"{group} = {_toml_array(mixed(wants))}")
    if style == "extras":
        lines += ["", "[project.optional-dependencies]", *groups]
    else:
        lines += ["", "[dependency-groups]", *groups]
    if spec.uv.sources or draw(st.booleans()):
        lines += ["", "[tool.uv.sources]"]
        for name, source in spec.uv.sources:
            if draw(st.booleans()):
                written = draw(SOURCES) if draw(st.booleans()) else source
                pairs = pyproject._source_pairs(written)
                lines.append(f"{name} = {pyproject._inline(pairs)}")
    return "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None)
@given(data=requirement_sets(), style=st.sampled_from(["groups", "extras"]), draw=st.data())
def test_apply_keeps_only_what_the_editor_keeps(
    data: tuple[dict[Path, ReqFile], tuple[Role, ...]], style: str, draw: st.DataObject
) -> None:
    from reqconv.project import pyproject_read

    files, roles = data
    try:
        conversion = normalize.convert(files, roles, ROOT)
    except ConflictError:
        return
    spec = draw.draw(with_sources(conversion.spec))
    chosen: pyproject.Style = "extras" if style == "extras" else "groups"
    text = draw.draw(existing_tables(spec, style))
    if pyproject_read.apply_keeps(text, spec, path=PYPROJECT, style=chosen):
        assert pyproject.apply(text, spec, path=PYPROJECT, style=chosen) == text
    # What the editor wrote, it recognises as kept (the check's path with no tomlkit), unless an
    # extra includes another (the project names itself: then the editor is asked).
    written = pyproject.apply(
        pyproject.new_document(ProjectMeta(name="svc")), spec, path=PYPROJECT, style=chosen
    )
    includes = any(not isinstance(i, Dependency) for _, items in spec.groups for i in items)
    expected = not (includes and chosen == "extras")
    assert pyproject_read.apply_keeps(written, spec, path=PYPROJECT, style=chosen) is expected


def test_apply_keeps_asks_the_editor_when_an_extra_names_the_project() -> None:
    """In extras style the editor parses every string that names the project (and refuses an
    invalid one): no promise is made for such a table."""
    from reqconv.project import pyproject_read

    spec = DependencySpec(
        groups=(("dev", (Dependency(name=canonicalize_name("foo"), requirement="foo>=1"),)),)
    )
    text = (
        '[project]\nname = "svc"\nversion = "1"\n\n'
        '[project.optional-dependencies]\ndev = ["foo>=1", "svc[x"]\n'
    )
    assert not pyproject_read.apply_keeps(text, spec, path=PYPROJECT, style="extras")
    valid = text.replace('"svc[x"', '"svc[x]"')
    assert not pyproject_read.apply_keeps(valid, spec, path=PYPROJECT, style="extras")
    assert pyproject.apply(valid, spec, path=PYPROJECT, style="extras") == valid


def test_apply_keeps_reads_any_dynamic_list() -> None:
    """``dynamic`` is not shape-checked: an item that is not a string is no crash."""
    from reqconv.project import pyproject_read

    spec = DependencySpec(
        dependencies=(Dependency(name=canonicalize_name("foo"), requirement="foo>=1"),)
    )
    text = (
        '[project]\nname = "svc"\nversion = "1"\ndynamic = [{ x = 1 }]\ndependencies = ["foo>=1"]\n'
    )
    assert pyproject_read.apply_keeps(text, spec, path=PYPROJECT)
    assert pyproject.apply(text, spec, path=PYPROJECT) == text
    refused = text.replace("{ x = 1 }", '"dependencies"')
    assert not pyproject_read.apply_keeps(refused, spec, path=PYPROJECT)
