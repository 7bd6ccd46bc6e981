"""requirements/lines.py: how an ``-r``/``-c`` it cannot follow is reported, word for word and with
its severity (an ``-r`` not followed loses requirements: an error; a ``-c``: a warning). Written to
kill the mutants of ``FileParser.include`` that survived tests/test_requirements_txt.py
(docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reqconv.errors import Location, ParseError
from reqconv.requirements.parse import parse_text

FILE = Path("svc/requirements.txt")


@pytest.mark.parametrize(
    ("line", "code", "severity", "message"),
    [
        pytest.param(
            "-r https://example.com/base.txt",
            "remote-include",
            "error",
            "-r https://example.com/base.txt names a URL, which reqconv does not download: save "
            "the file in the service and name it by its path",
            id="r-url",
        ),
        pytest.param(
            "-c s3://bucket/constraints.txt",
            "remote-include",
            "warning",
            "-c s3://bucket/constraints.txt names a URL, which reqconv does not download: save "
            "the file in the service and name it by its path",
            id="c-two-letter-scheme",
        ),
        pytest.param(
            "-r ${BASE}/requirements.txt",
            "unresolved-include",
            "error",
            "-r ${BASE}/requirements.txt names its file through an environment variable, which "
            "pip and uv expand when they install; reqconv reads the files once: write the path "
            "itself",
            id="r-variable",
        ),
        pytest.param(
            "-c ${BASE}/constraints.txt",
            "unresolved-include",
            "warning",
            "-c ${BASE}/constraints.txt names its file through an environment variable, which "
            "pip and uv expand when they install; reqconv reads the files once: write the path "
            "itself",
            id="c-variable",
        ),
    ],
)
def test_an_include_not_followed_is_reported(
    line: str, code: str, severity: str, message: str
) -> None:
    reqfile = parse_text(f"alpha\n{line}\n", FILE)
    assert reqfile.includes == ()
    (diagnostic,) = [d for d in reqfile.diagnostics if d.code == code]
    assert (diagnostic.severity, diagnostic.message) == (severity, message)
    assert diagnostic.location == Location(FILE, 2)


def test_a_one_letter_scheme_is_a_windows_drive_not_a_url() -> None:
    reqfile = parse_text("-c C:/deps/constraints.txt\n", FILE)
    assert [d.code for d in reqfile.diagnostics] == []
    (include,) = reqfile.includes
    assert (include.kind, include.target) == ("constraint", "C:/deps/constraints.txt")


@pytest.mark.parametrize(("flag", "kind"), [("-r", "requirement"), ("-c", "constraint")])
def test_a_nul_byte_names_no_file(flag: str, kind: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_text(f"{flag} base\0.txt\n", FILE)
    assert (
        str(info.value) == f"{FILE}:1: {flag} 'base\\x00.txt' names no file (it holds a NUL byte)"
    )
    assert info.value.location == Location(FILE, 1)


def _requirements(text: str) -> list[tuple[int | None, str]]:
    return [(r.origin.line, str(r.requirement)) for r in parse_text(text, FILE).requirements]


def test_a_line_continuing_a_comment_is_ignored_and_said_so() -> None:
    text = "alpha\nbeta  # pinned by ops \\\ngamma\ndelta\n"
    reqfile = parse_text(text, FILE)
    assert [str(r.requirement) for r in reqfile.requirements] == ["alpha", "beta", "delta"]
    (diagnostic,) = reqfile.diagnostics
    assert diagnostic.code == "continued-comment"
    assert diagnostic.message == (
        "pip reads this line as part of the comment on line 2, which ends with '\\'; it is ignored"
    )
    assert diagnostic.location == Location(FILE, 3)


def test_continued_requirements_give_no_diagnostic() -> None:
    text = "alpha>=1 \\\n    ,<2\nbeta \\\n    >=1.0\n"
    reqfile = parse_text(text, FILE)
    assert reqfile.diagnostics == ()
    assert _requirements(text) == [(1, "alpha<2,>=1"), (3, "beta>=1.0")]


def test_a_comment_line_inside_a_continuation_ends_it() -> None:
    assert _requirements("alpha>=1 \\\n# a comment\nbeta\n") == [(1, "alpha>=1"), (3, "beta")]


def test_a_continuation_that_runs_to_the_end_of_the_file() -> None:
    assert _requirements("alpha>=1 \\\n    ,<2 \\") == [(1, "alpha<2,>=1")]


def test_a_continued_line_keeps_its_first_letters() -> None:
    assert _requirements("Xpkg>=1 \\\n    ,<2\n") == [(1, "Xpkg<2,>=1")]


def _reported(text: str) -> list[tuple[str, str, str]]:
    return [(d.code, d.message, str(d.location)) for d in parse_text(text, FILE).diagnostics]


def _ignored(what: str) -> tuple[str, str, str]:
    return ("ignored-option", f"pip ignores {what}; not carried over", f"{FILE}:1")


@pytest.mark.parametrize(
    ("text", "reported"),
    [
        pytest.param(
            "-r sub\\dev.txt\n",
            [
                (
                    "windows-separator",
                    "pip reads '\\' in options as an escape and would drop it from "
                    "'-r sub\\dev.txt'; read as '-r sub/dev.txt' (write '/' so that pip reads it "
                    "the same)",
                    f"{FILE}:1",
                )
            ],
            id="windows-separator",
        ),
        pytest.param(
            "--index-url https://x/simple extra1 extra2\n",
            [_ignored("argument(s) 'extra1 extra2' after an option")],
            id="arguments-after-an-option",
        ),
        pytest.param(
            "-e ./a -e ./b\n", [_ignored("a second requirement (-e ./b)")], id="second-editable"
        ),
        pytest.param(
            "-e ./lib --hash=sha256:abc\n",
            [_ignored("--hash on an editable requirement")],
            id="hash-on-editable",
        ),
        pytest.param(
            "alpha --no-binary a --no-binary b\n",
            [_ignored("--no-binary a b on a requirement line")],
            id="option-values",
        ),
    ],
)
def test_what_pip_ignores_or_reads_otherwise_is_reported(
    text: str, reported: list[tuple[str, str, str]]
) -> None:
    assert _reported(text) == reported


def test_config_settings_on_an_editable_are_kept() -> None:
    (unnamed,) = parse_text("-e ./lib --config-settings k=v\n", FILE).unnamed
    assert unnamed.options == ("--config-settings=k=v",)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param(
            "{{ x }}",
            "Jinja template syntax is not pip syntax: '{{ x }}' (render the template first)",
            id="jinja",
        ),
        pytest.param(
            "alpha --config-settings novalue",
            "--config-settings 'novalue': pip takes KEY=VALUE (pip would refuse this line)",
            id="config-settings-without-a-value",
        ),
        pytest.param(
            "alpha --hash=md5:abc --no-binary :all:",
            "--hash 'md5:abc': pip allows sha256, sha384, sha512 only",
            id="hash-algorithm-beside-an-option",
        ),
    ],
)
def test_a_refused_line_says_where_and_why(line: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_text(f"{line}\n", FILE)
    assert str(info.value) == f"{FILE}:1: {message}"


def test_an_unnamed_url_keeps_its_hashes_and_options_and_loses_its_credentials() -> None:
    text = "https://u:p@example.com/archive.zip --hash=sha256:abc --global-option=x\n"
    (unnamed,) = parse_text(text, FILE).unnamed
    assert unnamed.text == "https://***@example.com/archive.zip --hash=sha256:abc --global-option=x"
    assert unnamed.hashes == ("sha256:abc",)
    assert unnamed.options == ("--global-option=x",)


def test_a_comment_line_ends_a_continuation_with_no_space_before_the_backslash() -> None:
    assert _requirements("alpha\\\n# a comment\nbeta\n") == [(1, "alpha"), (3, "beta")]


def test_an_escaped_backslash_in_an_option_is_no_windows_separator() -> None:
    reqfile = parse_text('--index-url "https://x/simple\\\\"\n', FILE)
    assert reqfile.diagnostics == ()
    assert [(o.name, o.value) for o in reqfile.options] == [("index-url", "https://x/simple\\")]


def test_a_legacy_option_is_reported() -> None:
    assert _reported("--always-unzip\n") == [
        (
            "unsupported-option",
            "--always-unzip is a legacy pip option without effect since pip 10; ignored",
            f"{FILE}:1",
        )
    ]


def test_every_line_a_comment_swallows_names_the_line_of_that_comment() -> None:
    text = "alpha  # one \\\nbeta # two \\\ngamma\ndelta\n"
    reqfile = parse_text(text, FILE)
    assert [str(r.requirement) for r in reqfile.requirements] == ["alpha", "delta"]
    assert [(d.location, d.message.split(",")[0]) for d in reqfile.diagnostics] == [
        (Location(FILE, line), "pip reads this line as part of the comment on line 1")
        for line in (2, 3)
    ]
