"""Unit tests of requirements_txt: one construct of pip's requirements-file format per test."""

from __future__ import annotations

import codecs
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement

from reqconv.errors import InputError, InputErrors, Location, ParseError
from reqconv.model import Diagnostic, Include, Option, Req, ReqFile, Source
from reqconv.requirements import lines as reqlines
from reqconv.requirements import parse
from reqconv.requirements.parse import parse_file, parse_text, parse_tree

FILE = Path("apps/backend/requirements.txt")


def _parse(text: str, path: Path = FILE) -> ReqFile:
    return parse_text(textwrap.dedent(text), path)


def _only(text: str, path: Path = FILE) -> Req:
    parsed = _parse(text, path)
    assert len(parsed.requirements) == 1, parsed
    return parsed.requirements[0]


def _codes(parsed: ReqFile) -> list[tuple[str, int]]:
    return [(d.code, d.location.line if d.location else 0) for d in parsed.diagnostics]


def _error(text: str, path: Path = FILE) -> InputError:
    # A ParseError, or InputErrors when several lines are bad (a Jinja if/endif pair).
    with pytest.raises(InputError) as info:
        _parse(text, path)
    return info.value


# --------------------------------------------------------------------------------------------
# Requirement specifiers


@pytest.mark.parametrize(
    ("line", "name", "extras", "specifier", "marker"),
    [
        pytest.param("requests", "requests", set(), "", None, id="bare"),
        pytest.param("Django>=4.2,<5", "django", set(), "<5,>=4.2", None, id="range"),
        pytest.param(
            "pydantic_settings==2.1", "pydantic-settings", set(), "==2.1", None, id="pep503"
        ),
        pytest.param(
            "uvicorn[standard]==0.30", "uvicorn", {"standard"}, "==0.30", None, id="extras"
        ),
        pytest.param("foo[a , b] >= 1", "foo", {"a", "b"}, ">=1", None, id="spaced-extras"),
        pytest.param(
            "foo===1.0.local", "foo", set(), "===1.0.local", None, id="arbitrary-equality"
        ),
        pytest.param("foo==\t1.0", "foo", set(), "==1.0", None, id="tab-after-operator"),
        pytest.param("foo >= 1.0,\t<2", "foo", set(), "<2,>=1.0", None, id="tab-after-comma"),
        pytest.param(
            'numpy; sys.platform != "win32"',
            "numpy",
            set(),
            "",
            'sys_platform != "win32"',
            id="old-sys-platform-marker",
        ),
        pytest.param(
            'gevent==23.9.1 ; sys_platform != "win32" and python_version == "3.10"',
            "gevent",
            set(),
            "==23.9.1",
            'sys_platform != "win32" and python_version == "3.10"',
            id="marker",
        ),
    ],
)
def test_requirement_specifier(
    line: str, name: str, extras: set[str], specifier: str, marker: str | None
) -> None:
    req = _only(line)
    assert req.name == name
    assert req.requirement.extras == extras
    assert str(req.requirement.specifier) == specifier
    assert (str(req.requirement.marker) if req.requirement.marker else None) == marker
    assert req.requirement.url is None
    assert req.source is None
    assert req.text == line


def test_requirement_keeps_name_as_written() -> None:
    req = _only("Pydantic_Settings>=2")
    assert req.name == "pydantic-settings"
    assert req.requirement.name == "Pydantic_Settings"


def test_origin_is_the_physical_line() -> None:
    parsed = _parse(
        """\
        # header

        alpha==1
        beta==2
        """
    )
    assert [(r.name, r.origin) for r in parsed.requirements] == [
        ("alpha", Location(FILE, 3)),
        ("beta", Location(FILE, 4)),
    ]
    assert str(parsed.requirements[1].origin) == "apps/backend/requirements.txt:4"


# --------------------------------------------------------------------------------------------
# Lines: continuations and comments


def test_continuation_inside_specifier_and_marker() -> None:
    parsed = _parse(
        """\
        first==1
        foo>=1.0,\\
            <2 ; python_version \\
        >= "3.8"
        last==1
        """
    )
    foo = parsed.requirements[1]
    assert foo.origin == Location(FILE, 2)
    assert str(foo.requirement.specifier) == "<2,>=1.0"
    assert str(foo.requirement.marker) == 'python_version >= "3.8"'
    assert parsed.requirements[2].origin == Location(FILE, 5)


def test_continuation_on_last_line() -> None:
    assert _only("foo==1 \\").name == "foo"


def test_leading_comma_after_continuation() -> None:
    req = _only("foo>=1.0 \\\n    ,<2\n")
    assert str(req.requirement.specifier) == "<2,>=1.0"


def test_inline_comment_needs_whitespace() -> None:
    parsed = _parse(
        """\
        requests==2.31  # pinned for CVE
        pkg @ https://example.com/pkg.zip#sha256=abc  # comment
        """
    )
    assert parsed.requirements[0].text == "requests==2.31"
    pkg = parsed.requirements[1]
    assert pkg.source == Source(kind="url", url="https://example.com/pkg.zip")
    assert pkg.hashes == ("sha256:abc",)


def test_comment_line_ending_in_backslash_does_not_continue() -> None:
    parsed = _parse("# a comment \\\nfoo==1\n")
    assert [r.name for r in parsed.requirements] == ["foo"]
    assert parsed.diagnostics == ()


def test_continued_inline_comment_swallows_next_line_and_says_so() -> None:
    parsed = _parse("foo==1  # note \\\nbar==2\nbaz==3\n")
    assert [r.name for r in parsed.requirements] == ["foo", "baz"]
    assert _codes(parsed) == [("continued-comment", 2)]


def test_env_vars_are_kept_as_written() -> None:
    parsed = _parse(
        """\
        --extra-index-url https://${PYPI_TOKEN}@pypi.example.com/simple
        -f ${WHEELS_DIR}
        """
    )
    assert [o.value for o in parsed.options] == [
        "https://${PYPI_TOKEN}@pypi.example.com/simple",
        "${WHEELS_DIR}",
    ]


def test_line_count_and_compiled() -> None:
    plain = _parse("a\n\nb")
    assert (plain.line_count, plain.compiled) == (3, False)
    assert _parse("").line_count == 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "#\n# This file is autogenerated by pip-compile with Python 3.12\n#\nfoo==1\n",
            id="pip-compile",
        ),
        pytest.param(
            "# This file was autogenerated by uv via the following command:\n"
            "#    uv pip compile requirements.in\nfoo==1\n",
            id="uv",
        ),
        pytest.param("foo==1\n    # via -r requirements.in\n", id="via"),
        pytest.param("foo==1\n    # via\n    #   bar\n", id="via-block"),
    ],
)
def test_compiled_files_are_recognised(text: str) -> None:
    assert parse_text(text, FILE).compiled


# --------------------------------------------------------------------------------------------
# Encodings (fs decodes; parse_file reads)


def test_utf16_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    text = "# pip freeze from PowerShell\r\nDjango==4.2.7\r\nrequests==2.31.0 \\\r\n  ; os_name == 'nt'\r\n"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    parsed = parse_file(path)
    assert [(r.name, r.origin.line) for r in parsed.requirements] == [
        ("django", 2),
        ("requests", 3),
    ]
    assert str(parsed.requirements[1].requirement.marker) == 'os_name == "nt"'
    assert parsed.line_count == 4


def test_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"flask==3.0\n")
    assert [r.name for r in parse_file(path).requirements] == ["flask"]


# --------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    ("line", "name", "value"),
    [
        pytest.param(
            "-i https://pypi.example.com/simple",
            "index-url",
            "https://pypi.example.com/simple",
            id="i",
        ),
        pytest.param(
            "--index-url=https://x.org/simple", "index-url", "https://x.org/simple", id="index-url="
        ),
        pytest.param(
            "-ihttps://x.org/simple", "index-url", "https://x.org/simple", id="i-attached"
        ),
        pytest.param(
            "--extra-index-url https://x.org/simple",
            "extra-index-url",
            "https://x.org/simple",
            id="extra",
        ),
        pytest.param("-f ./wheels", "find-links", "./wheels", id="f"),
        pytest.param(
            "--find-links https://x.org/links", "find-links", "https://x.org/links", id="find-links"
        ),
        pytest.param("--no-index", "no-index", None, id="no-index"),
        pytest.param("--pre", "pre", None, id="pre"),
        pytest.param("--only-binary :all:", "only-binary", ":all:", id="only-binary"),
        pytest.param("--no-binary=psycopg2", "no-binary", "psycopg2", id="no-binary"),
        pytest.param("--prefer-binary", "prefer-binary", None, id="prefer-binary"),
        pytest.param(
            "--trusted-host pypi.internal", "trusted-host", "pypi.internal", id="trusted-host"
        ),
        pytest.param("--require-hashes", "require-hashes", None, id="require-hashes"),
        pytest.param("--use-feature truststore", "use-feature", "truststore", id="use-feature"),
    ],
)
def test_global_option(line: str, name: str, value: str | None) -> None:
    parsed = _parse(line)
    assert parsed.options == (Option(name=name, value=value, origin=Location(FILE, 1)),)
    assert parsed.requirements == ()
    assert parsed.diagnostics == ()


def test_option_abbreviation_and_several_per_line() -> None:
    parsed = _parse("--extra-index https://a.org/simple --trusted-host a.org\n")
    assert [(o.name, o.value) for o in parsed.options] == [
        ("extra-index-url", "https://a.org/simple"),
        ("trusted-host", "a.org"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("--hash=sha256:aa\n", id="per-line-option-alone"),
        pytest.param("-e ./lib --hash=sha256:aa\n", id="hash-on-editable"),
        pytest.param("--pre extra-word\n", id="trailing-argument"),
    ],
)
def test_options_pip_ignores_are_reported(text: str) -> None:
    parsed = _parse(text)
    assert parsed.requirements == () or parsed.requirements[0].hashes == ()
    assert ("ignored-option", 1) in _codes(parsed)


def test_unknown_option_is_refused() -> None:
    error = _error("foo==1\n--use-pep517\n")
    assert str(error).startswith("apps/backend/requirements.txt:2: ")
    assert "--use-pep517" in str(error)


def test_legacy_option_is_reported() -> None:
    parsed = _parse("--allow-external foo\nfoo==1\n")
    assert _codes(parsed) == [("unsupported-option", 1)]
    assert [r.name for r in parsed.requirements] == ["foo"]


def test_global_option_on_requirement_line_is_reported() -> None:
    parsed = _parse("psycopg2==2.8.3 --no-binary psycopg2  # build from source\n")
    assert [r.name for r in parsed.requirements] == ["psycopg2"]
    assert parsed.options == ()
    assert _codes(parsed) == [("ignored-option", 1)]
    assert "--no-binary psycopg2" in parsed.diagnostics[0].message


def test_hashes() -> None:
    req = _only(
        """\
        certifi==2024.2.2 \\
            --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\
            --hash sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1
            # via requests
        """
    )
    assert req.hashes == (
        "sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f",
        "sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1",
    )
    assert req.options == ()
    assert req.text.startswith("certifi==2024.2.2")


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("foo==1 --hash=abc", id="no-algorithm"),
        pytest.param("foo==1 --hash=md5:abc", id="weak-algorithm"),
    ],
)
def test_bad_hash_is_refused(line: str) -> None:
    assert str(_error(line)).startswith("apps/backend/requirements.txt:1: --hash")


@pytest.mark.parametrize(
    ("line", "options", "hashes"),
    [
        pytest.param(
            "numpy==2.0 --config-settings setup-args=-Dblas=openblas",
            ("--config-settings=setup-args=-Dblas=openblas",),
            (),
            id="config-settings",
        ),
        pytest.param(
            "numpy==2.0 -C setup-args=-Dblas=openblas --hash=sha256:aa",
            ("--config-settings=setup-args=-Dblas=openblas",),
            ("sha256:aa",),
            id="C-and-hash",
        ),
        pytest.param(
            'rcssmin==1.0.6 --install-option="--without-c-extensions"',
            ("--install-option=--without-c-extensions",),
            (),
            id="install-option",
        ),
        pytest.param(
            "pkg==1 --global-option='--with feature'",
            ("--global-option='--with feature'",),
            (),
            id="global-option-quoted",
        ),
    ],
)
def test_per_requirement_options(
    line: str, options: tuple[str, ...], hashes: tuple[str, ...]
) -> None:
    req = _only(line)
    assert (req.options, req.hashes) == (options, hashes)
    assert _parse(line).diagnostics == ()


def test_unclosed_quote_is_refused() -> None:
    assert "cannot split options" in str(_error('foo==1 --global-option="x\n'))


# --------------------------------------------------------------------------------------------
# Includes


def test_includes_are_listed_relative_to_the_file() -> None:
    parsed = _parse(
        """\
        -r base.txt
        --requirement=../shared/common.txt
        -c constraints.txt
        """
    )
    assert parsed.includes == (
        Include(
            kind="requirement",
            target="base.txt",
            path=Path("apps/backend/base.txt"),
            origin=Location(FILE, 1),
        ),
        Include(
            kind="requirement",
            target="../shared/common.txt",
            path=Path("apps/shared/common.txt"),
            origin=Location(FILE, 2),
        ),
        Include(
            kind="constraint",
            target="constraints.txt",
            path=Path("apps/backend/constraints.txt"),
            origin=Location(FILE, 3),
        ),
    )


def test_file_url_include() -> None:
    parsed = _parse("-r file:requirements/base.txt\n")
    assert parsed.includes[0].path == Path("apps/backend/requirements/base.txt")
    assert parsed.includes[0].target == "file:requirements/base.txt"


def test_windows_drive_include_is_local() -> None:
    parsed = _parse("-r C:/reqs/base.txt\n")
    assert parsed.diagnostics == ()
    assert parsed.includes[0].target == "C:/reqs/base.txt"


def test_remote_and_env_includes_are_reported() -> None:
    parsed = _parse("-r https://example.com/req.txt\n-c ${CONSTRAINTS}\n")
    assert parsed.includes == ()
    assert _codes(parsed) == [("remote-include", 1), ("unresolved-include", 2)]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_tree_follows_includes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        {
            "svc/requirements-dev.txt": "-r requirements.txt\n-c ../constraints/c.txt\npytest\n",
            "svc/requirements.txt": "-r requirements/base.txt\nfastapi\n",
            "svc/requirements/base.txt": "-c ../../constraints/c.txt\npydantic\n",
            "constraints/c.txt": "pydantic<3\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    tree = parse_tree([Path("svc/requirements-dev.txt")])
    assert list(tree) == [
        Path("svc/requirements-dev.txt"),
        Path("svc/requirements.txt"),
        Path("svc/requirements/base.txt"),
        Path("constraints/c.txt"),
    ]
    base = tree[Path("svc/requirements/base.txt")]
    assert base.includes[0].path == Path("constraints/c.txt")
    assert base.requirements[0].origin == Location(Path("svc/requirements/base.txt"), 2)
    assert all(not f.diagnostics for f in tree.values())


def test_tree_reports_cycles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        {
            "a.txt": "-r b.txt\nalpha\n",
            "b.txt": "beta\n-r ./a.txt\n",
            "self.txt": "-r self.txt\ngamma\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    tree = parse_tree([Path("a.txt"), Path("./self.txt")])
    assert set(tree) == {Path("a.txt"), Path("b.txt"), Path("self.txt")}
    assert tree[Path("a.txt")].diagnostics == ()
    b = tree[Path("b.txt")]
    assert _codes(b) == [("include-cycle", 2)]
    assert b.includes == ()
    assert _codes(tree[Path("self.txt")]) == [("include-cycle", 1)]


def test_tree_cycle_through_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"svc/requirements.txt": "-r link/requirements.txt\nalpha\n"})
    (tmp_path / "svc" / "link").symlink_to(".")
    monkeypatch.chdir(tmp_path)
    tree = parse_tree([Path("svc/requirements.txt")])
    assert _codes(tree[Path("svc/requirements.txt")]) == [("include-cycle", 1)]


def test_tree_diamond_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(
        tmp_path,
        {
            "a.txt": "-r b.txt\n-r c.txt\n",
            "b.txt": "-r d.txt\n",
            "c.txt": "-r d.txt\n",
            "d.txt": "x\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    tree = parse_tree([Path("a.txt")])
    assert sorted(tree) == [Path("a.txt"), Path("b.txt"), Path("c.txt"), Path("d.txt")]
    assert all(not f.diagnostics for f in tree.values())


def test_tree_missing_include_names_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, {"svc/requirements.txt": "flask\n-r missing.txt\n"})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParseError) as info:
        parse_tree([Path("svc/requirements.txt")])
    assert str(info.value).startswith(
        "svc/requirements.txt:2: cannot read included file missing.txt"
    )


# --------------------------------------------------------------------------------------------
# Sources: git, URL, path


@pytest.mark.parametrize(
    ("line", "name", "source"),
    [
        pytest.param(
            "-e git+https://github.com/org/lib.git@v1.2#egg=lib&subdirectory=python",
            "lib",
            Source(
                kind="git",
                url="https://github.com/org/lib.git",
                tag="v1.2",
                subdirectory="python",
                editable=True,
            ),
            id="editable-tag-subdirectory",
        ),
        pytest.param(
            "csh-ldap @ git+https://github.com/ComputerScienceHouse/csh_ldap@2.5.0",
            "csh-ldap",
            Source(kind="git", url="https://github.com/ComputerScienceHouse/csh_ldap", tag="2.5.0"),
            id="name-at-tag",
        ),
        pytest.param(
            "unicode-slugify @ git+https://github.com/mozilla/unicode-slugify@b696c37",
            "unicode-slugify",
            Source(kind="git", url="https://github.com/mozilla/unicode-slugify", rev="b696c37"),
            id="short-sha",
        ),
        pytest.param(
            "git+https://github.com/huggingface/accelerate@main#egg=accelerate",
            "accelerate",
            Source(kind="git", url="https://github.com/huggingface/accelerate", branch="main"),
            id="branch",
        ),
        pytest.param(
            "git+ssh://git@github.com/org/private.git@feature/x#egg=private",
            "private",
            Source(kind="git", url="ssh://git@github.com/org/private.git", rev="feature/x"),
            id="ssh-user-kept-other-ref-is-rev",
        ),
        pytest.param(
            "pkg[extra] @ git+https://gitlab.com/g/pkg@2f1c6f3c8b4a49f8b4c0c1f2e3d4a5b6c7d8e9f0 ; python_version >= '3.9'",
            "pkg",
            Source(
                kind="git",
                url="https://gitlab.com/g/pkg",
                rev="2f1c6f3c8b4a49f8b4c0c1f2e3d4a5b6c7d8e9f0",
            ),
            id="full-sha-extras-marker",
        ),
        pytest.param(
            "-e git+https://github.com/cocodataset/cocoapi#egg=pycocotools&subdirectory=PythonAPI",
            "pycocotools",
            Source(
                kind="git",
                url="https://github.com/cocodataset/cocoapi",
                subdirectory="PythonAPI",
                editable=True,
            ),
            id="no-ref",
        ),
        pytest.param(
            "git://github.com/org/old.git@1.0#egg=old",
            "old",
            Source(kind="git", url="git://github.com/org/old.git", tag="1.0"),
            id="bare-git-scheme",
        ),
        pytest.param(
            "urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip",
            "urllib3",
            Source(
                kind="url", url="https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip"
            ),
            id="name-at-url",
        ),
        pytest.param(
            "https://files.example.com/pkgs/My_Pkg-1.0-py3-none-any.whl",
            "my-pkg",
            Source(kind="url", url="https://files.example.com/pkgs/My_Pkg-1.0-py3-none-any.whl"),
            id="wheel-url",
        ),
        pytest.param(
            "https://files.example.com/pkgs/pkg-1.0.tar.gz",
            "pkg",
            Source(kind="url", url="https://files.example.com/pkgs/pkg-1.0.tar.gz"),
            id="sdist-url",
        ),
        pytest.param(
            "https://example.com/archive/abc.zip#egg=thing",
            "thing",
            Source(kind="url", url="https://example.com/archive/abc.zip"),
            id="url-egg",
        ),
        pytest.param(
            "./dist/foo-1.0-py3-none-any.whl",
            "foo",
            Source(kind="path", path="./dist/foo-1.0-py3-none-any.whl", base=FILE.parent),
            id="wheel-path",
        ),
        pytest.param(
            "../libs/shared#egg=shared",
            "shared",
            Source(kind="path", path="../libs/shared", base=FILE.parent),
            id="path-egg",
        ),
        pytest.param(
            "-e file:../libs/shared#egg=shared",
            "shared",
            Source(kind="path", path="../libs/shared", base=FILE.parent, editable=True),
            id="editable-file-url",
        ),
        pytest.param(
            "vendored @ file:./vendor/vendored-2.0.tar.gz",
            "vendored",
            Source(kind="path", path="./vendor/vendored-2.0.tar.gz", base=FILE.parent),
            id="name-at-relative-file",
        ),
    ],
)
def test_direct_reference(line: str, name: str, source: Source) -> None:
    req = _only(line)
    assert req.name == name
    assert req.source == source
    assert req.requirement.url is None
    assert str(req.requirement.specifier) == ""


def test_direct_reference_keeps_extras_and_marker(tmp_path: Path) -> None:
    _write(tmp_path / "plugins" / "x", {"pyproject.toml": '[project]\nname = "x-plugin"\n'})
    req = _only('./plugins/x[cli,dev] ; python_version >= "3.10"\n', tmp_path / "requirements.txt")
    assert req.name == "x-plugin"
    assert req.requirement.extras == {"cli", "dev"}
    assert str(req.requirement.marker) == 'python_version >= "3.10"'
    assert req.source == Source(kind="path", path="./plugins/x", base=tmp_path)


@pytest.mark.parametrize(
    ("ref", "field"),
    [
        ("v1.2", "tag"),
        ("1.2.3", "tag"),
        ("2.0.0rc1", "tag"),
        ("v2.0.0-beta.1", "tag"),
        ("abcdef1", "rev"),
        ("0123456789abcdef0123456789abcdef01234567", "rev"),
        ("main", "branch"),
        ("master", "branch"),
        ("develop", "branch"),
        ("release-1.0", "rev"),
        ("feature/login", "rev"),
        ("1.x", "rev"),
    ],
)
def test_git_ref_classification(ref: str, field: str) -> None:
    source = _only(f"pkg @ git+https://host/org/pkg.git@{ref}").source
    assert source is not None
    assert {"tag": source.tag, "rev": source.rev, "branch": source.branch}[field] == ref
    assert [source.tag, source.rev, source.branch].count(None) == 2


def test_git_credentials_are_removed_and_reported() -> None:
    parsed = _parse("pkg @ git+https://user:s3cret@git.example.com/org/pkg.git@v1\n")
    req = parsed.requirements[0]
    assert req.source is not None
    assert req.source.url == "https://git.example.com/org/pkg.git"
    assert "s3cret" not in req.text
    assert _codes(parsed) == [("credentials-removed", 1)]
    assert "s3cret" not in parsed.diagnostics[0].message


def test_token_in_url_source_is_removed() -> None:
    parsed = _parse("pkg @ https://${TOKEN}@files.example.com/pkg-1.0.tar.gz\n")
    assert parsed.requirements[0].source == Source(
        kind="url", url="https://files.example.com/pkg-1.0.tar.gz"
    )
    assert _codes(parsed) == [("credentials-removed", 1)]


@pytest.mark.parametrize("scheme", ["hg", "svn", "bzr"])
def test_other_vcs_is_kept_by_name(scheme: str) -> None:
    parsed = _parse(f"-e {scheme}+https://vcs.example.com/repo#egg=legacy\n")
    assert [(r.name, r.source) for r in parsed.requirements] == [("legacy", None)]
    assert _codes(parsed) == [("unsupported-vcs", 1)]


def test_unnamed_requirements_are_kept_to_be_named() -> None:
    parsed = _parse(
        """\
        git+https://user:s3cret@github.com/celery/py-amqp.git@v5.1 ; python_version >= "3"
        https://github.com/org/repo/archive/9c66f5c844bf.zip
        -e ./missing-folder[extra]
        hg+https://hg.example.com/repo
        git://github.com/org/old.git
        """
    )
    assert parsed.requirements == ()
    assert _codes(parsed) == [("credentials-removed", 1)]
    amqp, archive, folder, hg, old = parsed.unnamed
    assert [u.origin.line for u in parsed.unnamed] == [1, 2, 3, 4, 5]
    assert amqp.location == "git+https://***@github.com/celery/py-amqp.git@v5.1"
    assert amqp.target == "git+https://user:s3cret@github.com/celery/py-amqp.git@v5.1"
    assert amqp.source == Source(
        kind="git", url="https://github.com/celery/py-amqp.git", tag="v5.1"
    )
    assert (amqp.marker, amqp.askable, "s3cret" in amqp.text) == (
        'python_version >= "3"',
        True,
        False,
    )
    assert archive.source is not None
    assert archive.source.kind == "url"
    assert archive.askable
    assert (folder.extras, folder.editable, folder.askable) == ("[extra]", True, False)
    assert "missing-folder does not exist, nor in the 3 folders above" in folder.why
    assert (hg.source, hg.askable, hg.why) == (
        None,
        False,
        "uv has no hg sources: it can be kept by name only",
    )
    assert old.target == "git+git://github.com/org/old.git"


def test_a_named_unnamed_line_is_a_requirement_with_its_source() -> None:
    parsed = _parse(
        'git+https://github.com/org/lib.git@v2.0#subdirectory=py ; os_name == "posix"\n'
    )
    named = parse.with_names(parsed, {Location(FILE, 1): "My_Lib"})
    assert named.unnamed == ()
    (req,) = named.requirements
    assert (req.name, str(req.requirement), req.origin) == (
        "my-lib",
        'My_Lib; os_name == "posix"',
        Location(FILE, 1),
    )
    assert req.source == Source(
        kind="git", url="https://github.com/org/lib.git", tag="v2.0", subdirectory="py"
    )


@pytest.mark.parametrize(
    ("files", "name"),
    [
        pytest.param({"pyproject.toml": '[project]\nname = "My.Lib"\n'}, "my-lib", id="pyproject"),
        pytest.param(
            {"pyproject.toml": '[tool.poetry]\nname = "poetry-lib"\n'}, "poetry-lib", id="poetry"
        ),
        pytest.param({"setup.cfg": "[metadata]\nname = cfg_lib\n"}, "cfg-lib", id="setup.cfg"),
    ],
)
def test_local_folder_name_comes_from_metadata(
    tmp_path: Path, files: dict[str, str], name: str
) -> None:
    _write(tmp_path / "libs" / "lib", files)
    path = tmp_path / "svc" / "requirements.txt"
    path.parent.mkdir()
    req = _only("-e ../libs/lib[extra]\n", path)
    assert req.name == name
    assert req.requirement.extras == {"extra"}
    assert req.source == Source(kind="path", path="../libs/lib", base=path.parent, editable=True)


def test_editable_own_folder_is_a_path_source(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": '[project]\nname = "service"\n'})
    path = tmp_path / "requirements.txt"
    for line in ("-e .", "-e file:.", "."):
        req = _only(line, path)
        assert req.name == "service"
        assert req.source is not None
        assert req.source.path == "."
        assert req.source.editable == line.startswith("-e")


def test_path_in_a_subfolder_file_is_read_from_the_folder_pip_runs_in(tmp_path: Path) -> None:
    # pip reads paths against its working folder (the service), not the file's folder.
    _write(tmp_path, {"pyproject.toml": '[project]\nname = "svc"\n'})
    _write(tmp_path / "libs" / "core", {"pyproject.toml": '[project]\nname = "core"\n'})
    path = tmp_path / "requirements" / "base.txt"
    path.parent.mkdir()
    parsed = _parse("-e ./libs/core\n-e .[test]\n", path)
    core, itself = parsed.requirements
    assert [(d.code, d.severity) for d in parsed.diagnostics] == [("path-from-parent", "info")] * 2
    assert f"as pip reads it when run from {tmp_path}" in parsed.diagnostics[0].message
    assert (core.name, core.source) == (
        "core",
        Source(kind="path", path="./libs/core", base=tmp_path, editable=True),
    )
    assert (itself.name, itself.requirement.extras, itself.source) == (
        "svc",
        {"test"},
        Source(kind="path", path=".", base=tmp_path, editable=True),
    )


def test_path_beside_the_file_wins(tmp_path: Path) -> None:
    _write(tmp_path / "libs" / "core", {"pyproject.toml": '[project]\nname = "outer"\n'})
    _write(tmp_path / "requirements" / "libs" / "core", {"setup.cfg": "[metadata]\nname = inner\n"})
    req = _only("./libs/core\n", tmp_path / "requirements" / "base.txt")
    assert (req.name, req.source) == (
        "inner",
        Source(kind="path", path="./libs/core", base=tmp_path / "requirements"),
    )


def test_windows_relative_paths(tmp_path: Path) -> None:
    _write(tmp_path / "libs" / "x", {"pyproject.toml": '[project]\nname = "x-lib"\n'})
    wheel, lib = _parse(
        ".\\dist\\foo-1.0-py3-none-any.whl\nlibs\\x\n", tmp_path / "requirements.txt"
    ).requirements
    assert (wheel.name, wheel.source) == (
        "foo",
        Source(kind="path", path=".\\dist\\foo-1.0-py3-none-any.whl", base=tmp_path),
    )
    assert (lib.name, lib.source) == ("x-lib", Source(kind="path", path="libs\\x", base=tmp_path))


def test_windows_separators_in_options_are_folders(tmp_path: Path) -> None:
    _write(tmp_path / "libs" / "x", {"pyproject.toml": '[project]\nname = "x-lib"\n'})
    parsed = _parse("-r sub\\more.txt\n-e .\\libs\\x\n", tmp_path / "requirements.txt")
    assert [i.target for i in parsed.includes] == ["sub/more.txt"]
    assert [(r.name, r.source) for r in parsed.requirements] == [
        ("x-lib", Source(kind="path", path="./libs/x", base=tmp_path, editable=True))
    ]
    assert _codes(parsed) == [("windows-separator", 1), ("windows-separator", 2)]
    assert "'-r sub/more.txt'" in parsed.diagnostics[0].message


def test_windows_absolute_path_of_the_build_machine() -> None:
    parsed = _parse("C:\\build\\dist\\bar-2.0.tar.gz\n")
    assert [(r.name, str(r.requirement.specifier), r.source) for r in parsed.requirements] == [
        ("bar", "==2.0", None)
    ]
    assert _codes(parsed) == [("build-machine-path", 1)]


def test_local_folder_that_is_no_project_says_so(tmp_path: Path) -> None:
    parsed = _parse("-e .\n", tmp_path / "requirements.txt")
    (unnamed,) = parsed.unnamed
    assert "holds no pyproject.toml, setup.py or setup.cfg, nor do the 3 folders above" in (
        unnamed.why
    )


def test_unnamed_local_folder_says_why(tmp_path: Path) -> None:
    _write(tmp_path / "svc", {"setup.py": "from setuptools import setup\nsetup()\n"})
    parsed = _parse("-e .[socks]\n", tmp_path / "svc" / "requirements.txt")
    (unnamed,) = parsed.unnamed
    message = unnamed.why
    assert "setup.py is not read" in message
    assert "project itself" in message


def test_pip_freeze_build_machine_path() -> None:
    parsed = _parse(
        """\
        mylib @ file:///home/ci/build/dist/mylib-1.4.2-py3-none-any.whl
        other @ file:///home/ci/src/other
        """
    )
    mylib, other = parsed.requirements
    assert (mylib.name, str(mylib.requirement.specifier), mylib.source) == (
        "mylib",
        "==1.4.2",
        None,
    )
    assert (other.name, str(other.requirement.specifier), other.source) == ("other", "", None)
    assert _codes(parsed) == [("build-machine-path", 1), ("build-machine-path", 2)]


def test_missing_absolute_folder_without_a_name_is_one_warning() -> None:
    parsed = _parse("-e /opt/src/mylib\n")
    assert parsed.requirements == ()
    assert _codes(parsed) == []
    (unnamed,) = parsed.unnamed
    assert (unnamed.source, unnamed.askable) == (None, False)
    assert "does not exist here" in unnamed.why


def test_existing_absolute_path_is_a_path_source(tmp_path: Path) -> None:
    wheel = tmp_path / "w" / "x-1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    wheel.write_bytes(b"")
    req = _only(f"x @ file://{wheel}")
    assert req.source == Source(kind="path", path=str(wheel), base=FILE.parent)


def test_invalid_editable_is_refused() -> None:
    assert "not a valid editable requirement" in str(_error("-e https://example.com/pkg.zip\n"))


# --------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("text", "start"),
    [
        pytest.param(
            "ok==1\nfoo==\n",
            "apps/backend/requirements.txt:2: invalid requirement 'foo=='",
            id="dangling-op",
        ),
        pytest.param(
            "foo=1.0\n",
            "apps/backend/requirements.txt:1: invalid requirement 'foo=1.0' ('='",
            id="single-equals",
        ),
        pytest.param(
            "pytz>dev\n",
            "apps/backend/requirements.txt:1: invalid requirement 'pytz>dev'",
            id="legacy-version",
        ),
        pytest.param(
            "a\n\nfoo>=1,\\\n  ,<2\n",
            "apps/backend/requirements.txt:3: invalid requirement",
            id="continued",
        ),
        pytest.param(
            "{%- if cookiecutter.use_celery == 'y' %}\ncelery\n{%- endif %}\n",
            "apps/backend/requirements.txt:1: Jinja template syntax",
            id="jinja",
        ),
        pytest.param(
            "x\nfoo {{ version }}\n",
            "apps/backend/requirements.txt:2: Jinja template syntax",
            id="jinja-expr",
        ),
    ],
)
def test_invalid_lines_are_refused_with_location(text: str, start: str) -> None:
    assert str(_error(text)).startswith(start)


def test_every_jinja_line_of_a_file_is_refused() -> None:
    text = "alpha\n{%- if cookiecutter.celery %}\ncelery\n{{ extra }}\n{%- endif %}\nbeta\n"
    error = _error(text)
    assert isinstance(error, InputErrors)
    assert [str(e.location) for e in error.errors] == [f"{FILE}:{n}" for n in (2, 4, 5)]
    assert all("Jinja template syntax" in str(e) for e in error.errors)


def test_word_for_a_version_is_refused_with_the_reason() -> None:
    assert "('dev' is not a PEP 440 version)" in str(_error("pytz>dev\n"))


def test_env_var_in_a_requirement_is_refused_with_the_reason() -> None:
    message = str(_error("pkg==${PKG_VERSION}\n"))
    assert message.startswith(f"{FILE}:1: invalid requirement")
    assert "pip expands ${VAR} from the environment" in message


# A bad marker after a URL with credentials: reqconv's message quotes the requirement, and
# packaging's own explanation repeats the line with a caret under the fault.
CREDENTIALED = "foo @ https://user:s3cret@example.com/x.zip ; python_version >>\n"


def test_error_redacts_credentials() -> None:
    message = str(_error(CREDENTIALED))
    assert "foo @ https://***@example.com/x.zip ; python_version >>" in message  # the line, shown
    assert "s3cret" not in message
    assert "user:" not in message


def test_error_shows_the_credentials_when_redaction_is_bypassed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the test above guards against: the same message with redact_text made the identity.
    from reqconv.requirements import direct

    monkeypatch.setattr(direct, "redact_text", lambda text: text)
    assert "https://user:s3cret@example.com/x.zip" in str(_error(CREDENTIALED))


# --------------------------------------------------------------------------------------------
# The fast path (plain lines straight to packaging) agrees with pip-requirements-parser


SAMPLE = """\
requests[socks]>=2.0,<3 ; python_version >= "3.8"  # inline
Django===4.2.7
foo==1.0 \\
    --hash=sha256:aaaa \\
    --hash sha256:bbbb
bar>=1.0,\\
  <2 ; sys_platform != 'win32'
pydantic_settings~=2.1
uvicorn[standard] == 0.30.0
-e git+https://github.com/a/b.git@v1.2#egg=b&subdirectory=sub
csh-ldap @ git+https://github.com/ComputerScienceHouse/csh_ldap@2.5.0
https://x.org/p/pkg-1.0.tar.gz#egg=pkg
urllib3 @ https://github.com/urllib3/urllib3/archive/refs/tags/1.26.8.zip
rcssmin==1.0.6 --install-option="--without-c-extensions"
# comment \\
zope.interface>=5
"""


def test_fast_path_agrees_with_pip_requirements_parser(tmp_path: Path) -> None:
    import pip_requirements_parser as prp

    path = tmp_path / "requirements.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    theirs = prp.RequirementsFile.from_file(str(path))
    assert not theirs.invalid_lines
    ours = parse_file(path)
    expected = []
    for item in theirs.requirements:
        req = item.req
        name = req.name if req is not None else item.link.egg_fragment
        specifier = str(req.specifier) if req is not None else ""
        if item.link is not None and item.link.is_wheel:
            specifier = ""  # pip-requirements-parser pins wheel links; we keep them as written
        expected.append(
            (item.line_number, name, specifier, str(item.marker or ""), sorted(item.extras))
        )
    got = [
        (
            r.origin.line,
            r.requirement.name,
            str(r.requirement.specifier),
            str(r.requirement.marker or ""),
            sorted(r.requirement.extras),
        )
        for r in ours.requirements
    ]
    assert got == expected
    assert [r.hashes for r in ours.requirements if r.name == "foo"] == [
        ("sha256:aaaa", "sha256:bbbb")
    ]


_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}([._-][A-Za-z0-9]{1,4})?", fullmatch=True)
_VERSIONS = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
_SPECIFIERS = st.lists(
    st.tuples(st.sampled_from(["==", ">=", "<=", "!=", "~=", ">", "<", "==="]), _VERSIONS),
    max_size=3,
).map(lambda items: ",".join(f"{op}{v}" for op, v in items if op != "~=" or "." in v))
_MARKERS = st.sampled_from(
    [
        "",
        ' ; python_version >= "3.8"',
        "; sys_platform != 'win32'",
        ' ; platform_machine == "x86_64" and python_version < "3.13"',
        ';extra == "test"',
    ]
)


@given(
    name=_NAMES,
    extras=st.lists(_NAMES, max_size=2),
    specifier=_SPECIFIERS,
    marker=_MARKERS,
)
def test_fast_path_matches_pip_requirements_parser_on_generated_lines(
    name: str, extras: list[str], specifier: str, marker: str
) -> None:
    import pip_requirements_parser as prp

    line = name + (f"[{','.join(extras)}]" if extras else "") + specifier + marker
    ours = _only(line).requirement
    theirs = prp.build_install_req(line)
    assert theirs.req is not None
    assert (ours.name, ours.specifier, ours.marker) == (
        theirs.req.name,
        theirs.req.specifier,
        theirs.marker,
    )
    assert {prp.safe_extra(e) for e in ours.extras} == theirs.extras


def test_logical_lines_agree_with_pip_requirements_parser() -> None:
    import pip_requirements_parser as prp

    text = SAMPLE + "last \\\n"
    theirs = [
        (line.line_number, line.line)
        for line in prp.preprocess(text)
        if isinstance(line, prp.TextLine)
    ]
    ours = list(reqlines.logical_lines(text, [], FILE))
    assert ours == theirs


@given(
    st.lists(
        st.sampled_from(["a", "b==1", " ", "\t", "#", " # c", "\\", "-r x", "\n"]), max_size=40
    )
)
def test_logical_lines_match_pip_requirements_parser_on_generated_text(pieces: list[str]) -> None:
    import pip_requirements_parser as prp

    text = "".join(pieces)
    theirs = [
        (line.line_number, line.line)
        for line in prp.preprocess(text)
        if isinstance(line, prp.TextLine)
    ]
    assert list(reqlines.logical_lines(text, [], FILE)) == theirs


_PIECES = [
    *"aZ09._-[]@:/\\#;=<>!~, \t\"'%{}$+\n",
    *["git+", "https://", "ssh://", "git://", "hg+", "file:", "file:///", "http://[", "user:pw@"],
    *["-e ", "-r ", "-c ", "-i ", "-C ", "--hash=", "sha256:", "--no-binary ", "--global-option="],
    *[
        "--pre ",
        "-",
        "--",
        "./",
        "../",
        ".whl",
        ".tar.gz",
        "#egg=",
        "@v1",
        "x @ ",
        "==",
        "{%",
        "}}",
    ],
]


@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_any_text_parses_or_is_refused_with_location(pieces: list[str]) -> None:
    found: tuple[InputError, ...] = ()
    try:
        parse_text("".join(pieces), FILE)
    except InputErrors as e:
        found = e.errors
    except ParseError as e:
        found = (e,)
    for error in found:
        assert isinstance(error, ParseError)
        assert error.location is not None
        assert str(error).startswith(f"{FILE}:{error.location.line}: ")


def _generated(count: int) -> str:
    lines = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            lines.append(f"package-{i}=={i % 10}.{i % 7}.0")
        elif kind == 1:
            lines.append(f"package_{i}[extra]>=1.0,<2 ; python_version >= '3.8'")
        elif kind == 2:
            lines.append(f"Package.{i}~=1.{i % 5}  # why")
        else:
            lines.append(f"package-{i}>=2")
    return "\n".join(lines) + "\n"


def test_fast_path_on_2000_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Plain requirement lines never reach pip's option parser (the slow part); the speed itself is
    # measured by `nox -s bench` (convert-2000), never by a timed assertion here.

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a plain requirement line went through pip's option parser")

    monkeypatch.setattr(reqlines, "parse_options", refuse)
    path = tmp_path / "requirements.txt"
    path.write_text(_generated(2000), encoding="utf-8")
    parsed = parse_file(path)
    assert len(parsed.requirements) == 2000


def test_diagnostics_have_locations() -> None:
    parsed = _parse("git+https://github.com/celery/kombu.git\n-e ./x --global-option=a\n")
    assert parsed.diagnostics == (
        Diagnostic(
            code="ignored-option",
            message=parsed.diagnostics[0].message,
            location=Location(FILE, 2),
        ),
    )
    assert str(parsed.diagnostics[0]).startswith("apps/backend/requirements.txt:2: warning: ")


def test_requirement_is_a_packaging_requirement() -> None:
    assert isinstance(_only("foo").requirement, Requirement)


def test_every_bad_line_is_reported_not_only_the_first(tmp_path: Path) -> None:
    main = tmp_path / "requirements.txt"
    main.write_text("foo==\nalpha\n-r other.txt\nbeta==1 --hash=md5:abc\n")
    (tmp_path / "other.txt").write_text("bar>=1,,2\ngamma\n-r missing.txt\n")
    with pytest.raises(InputErrors) as info:
        parse.parse_tree([main])
    assert [str(e.location) for e in info.value.errors] == [
        f"{main}:1",
        f"{main}:4",
        f"{tmp_path / 'other.txt'}:1",
        f"{tmp_path / 'other.txt'}:3",
    ]
    assert all(isinstance(e, ParseError) for e in info.value.errors)
    assert "cannot read included file missing.txt" in str(info.value)


def test_a_single_bad_line_raises_its_own_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as info:
        parse.parse_text("ok\nfoo==\n", tmp_path / "r.txt")
    assert not isinstance(info.value, InputErrors)
    assert info.value.location == Location(tmp_path / "r.txt", 2)


_UV_HEADER = (
    "# This file was autogenerated by uv via the following command:\n"
    "#    uv export --frozen --no-dev --no-hashes --output-file requirements.txt\n"
)
_UV_COMMAND = "uv export --frozen --no-dev --no-hashes --output-file requirements.txt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(_UV_HEADER + "alpha==1.0\n", _UV_COMMAND, id="uv-export"),
        pytest.param((_UV_HEADER + "alpha==1.0\n").replace("\n", "\r\n"), _UV_COMMAND, id="crlf"),
        pytest.param("\ufeff" + _UV_HEADER + "alpha==1.0\n", _UV_COMMAND, id="bom"),
        pytest.param(
            "\ufeff" + (_UV_HEADER + "alpha==1.0\n").replace("\n", "\r\n"),
            _UV_COMMAND,
            id="bom-crlf",
        ),
        pytest.param(
            "# This file was autogenerated by uv via the following command:\n"
            "#    uv export --index-url https://user:secret@pypi.example/simple\n",
            "uv export --index-url https://***@pypi.example/simple",
            id="credentials-redacted",
        ),
        pytest.param(
            "# Generated by reqconv from uv.lock: do not edit by hand.\n"
            "# To regenerate it, run: reqconv lock --export-group dev\n"
            "alpha==1.0 \\\n    --hash=sha256:00\n",
            "reqconv lock --export-group dev",
            id="reqconv-lock",
        ),
        pytest.param(
            "# To regenerate it, run: reqconv lock\nalpha==1.0\n", None, id="reqconv-line-alone"
        ),
        pytest.param(
            "# This file was autogenerated by uv via the following command:\n"
            "#    uv pip compile requirements.in -o requirements.txt\n",
            None,
            id="uv-pip-compile",
        ),
        pytest.param(
            "# This file is autogenerated by pip-compile with Python 3.12\n"
            "#    pip-compile requirements.in\n",
            None,
            id="pip-compile",
        ),
        pytest.param("alpha==1.0\n#    uv export --frozen\n", None, id="after-a-requirement"),
        pytest.param("alpha==1.0  # uv export\n", None, id="inline-comment"),
        pytest.param("", None, id="empty"),
    ],
)
def test_export_command_reads_the_header(text: str, expected: str | None) -> None:
    assert parse.export_command(text) == expected
