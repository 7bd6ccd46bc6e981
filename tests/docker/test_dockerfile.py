"""reqconv.docker: goldens over fixtures/dockerfiles, preservation, idempotence, findings."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reqconv import fs
from reqconv.docker import (
    DockerPlan,
    DockerResult,
    base_python_versions,
    default_lock_name,
    dockerignore_update,
    escape_char,
    instructions,
    referenced_requirement_files,
    rewrite,
)
from reqconv.errors import DockerfileError
from tests._goldens import check_golden

FIXTURES = Path(__file__).parents[2] / "fixtures" / "dockerfiles"
UV_VERSION = "0.9.5"
PLAN = DockerPlan(uv_version=UV_VERSION)
GOLDENS = sorted(FIXTURES.glob("*.in.Dockerfile"))
UV_MOUNT = f"--mount=from=ghcr.io/astral-sh/uv:{UV_VERSION},source=/uv,target=/bin/uv"
CACHE_MOUNT = "--mount=type=cache,target=/root/.cache/uv"


def _lock_mount(lock: str = "requirements.lock", source: str | None = None) -> str:
    name = lock.rsplit("/", 1)[-1]
    return f"--mount=type=bind,source={source or lock},target=/tmp/{name}"


def _run(*parts: str) -> str:
    """A RUN as the rewrite writes it: each flag it adds on a continuation line of its own."""
    return "RUN " + " \\\n    ".join(parts) + "\n"


def _expected(path: Path) -> Path:
    return path.with_name(path.name.replace(".in.", ".expected."))


def _rewrite(text: str, plan: DockerPlan = PLAN) -> DockerResult:
    return rewrite(textwrap.dedent(text), plan)


def _codes(result: DockerResult) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in result.findings]


# -- goldens ---------------------------------------------------------------------------------


def test_every_golden_input_has_an_expected_file() -> None:
    assert len(GOLDENS) >= 12
    for path in GOLDENS:
        assert _expected(path).is_file(), path


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.name.split(".")[0])
def test_golden(path: Path, request: pytest.FixtureRequest) -> None:
    source = fs.read_text(path)
    result = rewrite(source.text, PLAN)
    data = source.encode(result.text)
    check_golden(request, _expected(path), data)


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.name.split(".")[0])
def test_untouched_instructions_are_identical(path: Path) -> None:
    text = fs.read_text(path).text
    result = rewrite(text, PLAN)
    after = instructions(result.text)  # parses with the BuildKit parser
    import dockerfile

    kept = [
        (c.cmd.upper(), c.original, *(h.content for h in c.heredocs))
        for c in dockerfile.parse_string(text)
        if c.start_line not in result.rewritten
    ]
    remaining = iter(after)
    for instruction in kept:  # every untouched instruction, in order, byte for byte
        assert any(instruction == candidate for candidate in remaining), instruction


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.name.split(".")[0])
def test_rewrite_is_idempotent(path: Path) -> None:
    once = rewrite(fs.read_text(path).text, PLAN)
    twice = rewrite(once.text, PLAN)
    assert twice.text == once.text
    assert twice.rewritten == ()


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: p.name.split(".")[0])
def test_rewritten_lines_only(path: Path) -> None:
    """Lines outside the rewritten instructions (and the COPY of the requirements) stay."""
    before = fs.read_text(path).text.split("\n")
    after = rewrite("\n".join(before), PLAN).text.split("\n")
    comments = [line for line in before if line.lstrip().startswith("#")]
    # comments survive, except the ones inside a replaced pip command's continuation
    lost = [line for line in comments if line not in after]
    assert lost == []


def test_crlf_is_kept_through_textfile(tmp_path: Path) -> None:
    data = (FIXTURES / "crlf.in.Dockerfile").read_bytes()
    assert b"\r\n" in data
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    source = fs.read_text(path)
    out = source.encode(rewrite(source.text, PLAN).text)
    assert out.count(b"\n") == out.count(b"\r\n")
    assert b"uv pip sync --require-hashes /tmp/requirements.lock\r\n" in out


def test_nothing_to_do_is_byte_identical() -> None:
    text = (FIXTURES / "nothing-to-do.in.Dockerfile").read_text()
    result = rewrite(text, PLAN)
    assert result.text == text
    assert not result.changed
    assert result.findings == ()


def test_kept_fixture_reports_every_line() -> None:
    result = rewrite((FIXTURES / "kept.in.Dockerfile").read_text(), PLAN)
    assert _codes(result) == [
        (2, "index-credentials"),
        (5, "inline-packages"),
        (7, "system-install"),  # --target (line 6) and the conditional (7) are rewritten
        (8, "conditional-requirements"),
        (9, "poetry"),
        (11, "local-project"),
    ]
    assert result.rewritten == (4, 6, 7)
    assert "uv pip install --require-hashes --target /deps -r /tmp/requirements.lock" in (
        result.text
    )
    assert (
        'if [ "$DEV" = "1" ]; then uv pip install --require-hashes --system '
        "-r /tmp/requirements.lock; fi"
    ) in result.text


def test_an_install_inside_a_substitution_is_kept() -> None:
    text = (
        "FROM python:3.12-slim\nCOPY requirements.txt .\n"
        'RUN echo "$(pip install -r requirements.txt)" > /log\n'
    )
    assert _codes(rewrite(text, PLAN)) == [(3, "conditional-install")]


def test_an_install_in_a_pipeline_or_subshell_adds_the_lock() -> None:
    text = (
        "FROM python:3.12-slim\nCOPY requirements.txt .\n"
        "RUN (pip install -r requirements.txt | tee /log) || true\n"
    )
    result = rewrite(text, PLAN)
    assert "(uv pip install --require-hashes -r /tmp/requirements.lock | tee /log) || true" in (
        result.text
    )
    assert "uv venv /opt/venv" in result.text
    assert rewrite(result.text, PLAN).text == result.text


# -- base_python_versions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("FROM python:3.12-slim\n", (("3.12", 1),), id="slim"),
        pytest.param("FROM python:3.11.9-slim-bookworm AS b\n", (("3.11", 1),), id="patch"),
        pytest.param("FROM docker.io/library/python:3.10-alpine\n", (("3.10", 1),), id="registry"),
        pytest.param("ARG PY=3.13\nFROM python:${PY}-slim\n", (("3.13", 2),), id="arg"),
        pytest.param('ARG PY="3.9"\nFROM python:$PY\n', (("3.9", 2),), id="quoted-arg"),
        pytest.param("FROM python:${PY:-3.8}\n", (("3.8", 1),), id="default"),
        pytest.param("FROM python:${PY}\n", (), id="unknown-arg"),
        pytest.param("FROM python:3-slim\nFROM python\n", (), id="no-minor"),
        pytest.param("FROM node:20\nFROM unit:1.33.0-python3.11\n", (), id="other-images"),
        pytest.param(
            "FROM --platform=$BUILDPLATFORM python:3.12@sha256:abc AS a\nFROM a\n",
            (("3.12", 1),),
            id="platform-digest",
        ),
    ],
)
def test_base_python_versions(text: str, expected: tuple[tuple[str, int], ...]) -> None:
    assert base_python_versions(text) == expected


def test_parser_errors_become_dockerfile_error() -> None:
    with pytest.raises(DockerfileError, match="BuildKit parser"):
        rewrite("FROM python:3.12\nRUN <<EOF\npip install x\n", PLAN)


# -- rewriting details -----------------------------------------------------------------------


def test_chain_keeps_other_commands_and_drops_pip_self_upgrade() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN apt-get update && pip install -U pip wheel && pip install -r requirements.txt && rm -rf /x
        """
    )
    assert (
        _run(
            UV_MOUNT,
            CACHE_MOUNT,
            _lock_mount(),
            "apt-get update && uv pip sync --require-hashes /tmp/requirements.lock && rm -rf /x",
        )
        in result.text
    )
    assert "COPY" not in result.text  # the lock is mounted for the sync, never copied


def test_consecutive_self_upgrades_go_together() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        RUN pip install -U pip && pip install -U setuptools wheel
        COPY requirements.txt .
        RUN pip install --upgrade pip ; python -m pip install -U wheel && \\
            pip install -r requirements.txt && pip install -U pip
        RUN pip install -U pip || true
        """
    )
    assert result.text == (
        "FROM python:3.12-slim\n"
        "ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0 UV_CACHE_DIR=/root/.cache/uv"
        " UV_NATIVE_TLS=1\n"
        f"RUN {UV_MOUNT} {CACHE_MOUNT} uv venv /opt/venv\n"
        'ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"\n'
        + _run(
            UV_MOUNT,
            CACHE_MOUNT,
            _lock_mount(),
            "uv pip sync --require-hashes /tmp/requirements.lock",
        )
        + "RUN pip install -U pip || true\n"
    )


def test_self_upgrade_kept_where_nothing_is_rewritten() -> None:
    text = "FROM python:3.12\nRUN pip install --upgrade pip\nRUN pip install .\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "local-project")]


def test_index_options_pass_through_without_credentials() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install --extra-index-url https://bot:s3cret@pypi.corp.example/simple \\
              --trusted-host pypi.corp.example -r requirements.txt
        """
    )
    assert "s3cret" not in result.text
    assert (
        "uv pip sync --require-hashes --extra-index-url https://pypi.corp.example/simple "
        "--allow-insecure-host pypi.corp.example /tmp/requirements.lock"
    ) in result.text
    assert (3, "index-credentials") in _codes(result)
    assert all("s3cret" not in f.message for f in result.findings)


def test_token_arg_used_in_index_url_is_reported() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        ARG PYPI_TOKEN
        ENV PIP_EXTRA_INDEX_URL=https://__token__:${PYPI_TOKEN}@pypi.corp.example/simple
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    codes = _codes(result)
    assert (2, "index-credentials") in codes
    assert (3, "index-credentials") in codes
    message = next(f.message for f in result.findings if f.line == 2)
    assert "--mount=type=secret" in message
    assert "UV_INDEX_<NAME>_PASSWORD" in message


def test_plain_pip_index_env_is_reported() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        ENV PIP_INDEX_URL=https://pypi.corp.example/simple
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert (2, "pip-env") in _codes(result)


def test_bind_mounted_requirements_become_the_lock() -> None:
    result = _rewrite(
        """\
        FROM python:3.13-slim
        RUN --mount=type=bind,source=requirements.txt,target=requirements.txt \\
            pip install -r requirements.txt
        """
    )
    assert (
        "--mount=type=bind,source=requirements.lock,target=requirements.lock \\\n"
        "    uv pip sync --require-hashes requirements.lock\n"
    ) in result.text


def test_file_still_read_by_a_kept_command_keeps_its_copy() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt /tmp/requirements.txt
        RUN pip wheel -w /wheels -r /tmp/requirements.txt
        RUN pip install -r /tmp/requirements.txt
        """
    )
    assert "COPY requirements.txt /tmp/requirements.txt\nRUN pip wheel" in result.text
    assert _lock_mount() in result.text
    assert (3, "not-install") in _codes(result)


def test_requirements_not_from_the_context_are_reported() -> None:
    text = "FROM python:3.12\nRUN wget -qO- https://x/a.tgz | tar xz\nRUN pip install -r requirements.txt\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "requirements-not-copied")]


def test_non_root_user_without_venv_is_reported() -> None:
    text = (
        "FROM python:3.12\nCOPY requirements.txt .\nUSER app\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(4, "non-root-user")]


def test_user_install_whose_site_is_copied_piecemeal_is_reported() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12 AS build
        COPY requirements.txt .
        RUN pip install --user -r requirements.txt
        FROM python:3.12-slim
        COPY --from=build /root/.local/lib /root/.local/lib
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "user-install")]


def test_runtime_copying_system_site_packages_installs_into_the_system_python() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM python:3.12-slim
        COPY --from=build /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages
        """
    )
    result = rewrite(text, PLAN)
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert "uv venv" not in result.text
    assert _codes(result) == [(3, "system-install")]
    assert "(system-layout)" in result.findings[0].message


def test_python_older_than_uv_supports_is_reported() -> None:
    text = "FROM python:3.7-alpine\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "python-too-old")]


def test_pip_and_poetry_inside_sh_c_are_reported() -> None:
    text = (
        "FROM python:3.12\n"
        'RUN bash -c "if [ $DEV ]; then poetry install; else pip install -r r.txt; fi"\n'
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(2, "poetry"), (2, "shell-unparsed")]


def test_a_lock_that_cannot_be_placed_undoes_the_whole_command() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12
        COPY requirements.txt .
        RUN pip install -r requirements.txt -r /elsewhere/extra.txt
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "requirements-not-copied")]


def test_prefixes_like_env_are_kept() -> None:
    result = _rewrite(
        """\
        FROM python:3.12
        COPY requirements.txt .
        RUN env PIP_NO_COLOR=1 pip install -r requirements.txt
        """
    )
    assert result.text.endswith(
        "    env PIP_NO_COLOR=1 uv pip sync --require-hashes /tmp/requirements.lock\n"
    )


def test_uv_base_image_needs_no_uv_copy() -> None:
    result = _rewrite(
        """\
        FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert "COPY --from=ghcr.io/astral-sh/uv" not in result.text
    assert "uv pip sync --require-hashes /tmp/requirements.lock" in result.text


def test_windows_shell_is_reported() -> None:
    text = textwrap.dedent(
        """\
        # escape=`
        FROM python:3.12-windowsservercore
        SHELL ["powershell", "-Command"]
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(5, "non-posix-shell")]


def test_already_on_uv_is_info_and_unchanged() -> None:
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN uv pip install --system -r requirements.txt\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert [(f.code, f.severity) for f in result.findings] == [("already-uv", "info")]


def test_exec_form_run_is_reported() -> None:
    text = 'FROM python:3.12\nCOPY requirements.txt .\nRUN ["pip", "install", "-r", "requirements.txt"]\n'
    assert _codes(rewrite(text, PLAN)) == [(3, "exec-form")]


def test_unknown_pip_option_is_kept() -> None:
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install --src /s -r requirements.txt --report r.json\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "unknown-option")]


def test_exec_form_copy_gets_a_lock_copy_and_the_other_install_runs_with_uv() -> None:
    result = _rewrite(
        """\
        FROM python:3.12
        COPY ["requirements.txt", "./"]
        RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt && pip install gunicorn
        """
    )
    assert 'COPY ["requirements.txt", "./"]' not in result.text  # read by the pip install only
    assert (
        _run(
            UV_MOUNT,
            CACHE_MOUNT,
            _lock_mount(),
            "--mount=type=cache,target=/root/.cache/pip "
            "uv pip sync --require-hashes /tmp/requirements.lock && uv pip install gunicorn",
        )
        in result.text
    )
    assert _codes(result) == [(3, "uv-pip-install")]


def test_lock_names_come_from_the_plan() -> None:
    plan = DockerPlan(
        uv_version=UV_VERSION,
        lock_for={
            "requirements/base.txt": "requirements.lock",
            "requirements/dev.txt": "requirements-dev.lock",
        },
    )
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements/ /src/requirements/
        RUN pip install -r /src/requirements/dev.txt
        RUN pip install -r /src/requirements/other.txt
        """,
        plan,
    )
    assert _lock_mount("requirements-dev.lock") in result.text
    assert "uv pip sync --require-hashes /tmp/requirements-dev.lock" in result.text
    assert "    uv pip install -r /src/requirements/other.txt\n" in result.text
    assert _codes(result) == [(4, "no-lock"), (4, "uv-pip-install")]
    assert result.locks == ("requirements-dev.lock",)


def test_several_requirement_files_sync_together() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt requirements-test.txt ./
        RUN pip install -r requirements.txt -r requirements-test.txt
        """
    )
    assert "COPY requirements.txt requirements-test.txt ./\n" in result.text  # several: kept
    assert _lock_mount() in result.text
    assert _lock_mount("requirements-test.lock") in result.text
    assert (
        "uv pip sync --require-hashes /tmp/requirements.lock /tmp/requirements-test.lock\n"
        in result.text
    )


def test_referenced_requirement_files() -> None:
    text = (FIXTURES / "dev-stage.in.Dockerfile").read_text()
    assert referenced_requirement_files(text) == ("requirements.txt", "requirements-dev.txt")


@pytest.mark.parametrize(
    ("name", "lock"),
    [
        ("requirements.txt", "requirements.lock"),
        ("./requirements-dev.txt", "requirements-dev.lock"),
        ("requirements_test.txt", "requirements-test.lock"),
        ("requirements/dev.txt", "requirements-dev.lock"),
        ("docs.txt", "requirements-docs.lock"),
    ],
)
def test_default_lock_name(name: str, lock: str) -> None:
    assert default_lock_name(name) == lock


def test_escape_char() -> None:
    assert escape_char("# escape=`\nFROM x\n") == "`"
    assert escape_char("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n") == "`"
    assert escape_char("FROM x\n# escape=`\n") == "\\"


# -- .dockerignore ---------------------------------------------------------------------------


def test_dockerignore_created_with_venv() -> None:
    assert dockerignore_update(None) == (".venv\n", [])


def test_dockerignore_venv_added_once() -> None:
    text, messages = dockerignore_update("__pycache__\n*.pyc")
    assert text == "__pycache__\n*.pyc\n.venv\n"
    assert messages == []
    assert dockerignore_update(text) == (text, [])


def test_dockerignore_reports_excluded_lock() -> None:
    text, messages = dockerignore_update("*.lock\n.venv/\n", copied=("requirements.lock",))
    assert text == "*.lock\n.venv/\n!requirements.lock\n"  # the bind mount needs it
    assert messages == [
        "line 1: excludes requirements.lock, which the Dockerfile now mounts: "
        "`!requirements.lock` added"
    ]
    assert dockerignore_update(text, copied=("requirements.lock",)) == (text, [])
    assert dockerignore_update("*\n!src\n!requirements.lock\n")[1] == []
    assert dockerignore_update("*\n!src\n") == (
        "*\n!src\n!requirements.lock\n",
        [
            "line 1: excludes requirements.lock, which the Dockerfile now mounts: "
            "`!requirements.lock` added"
        ],
    )


# -- review fixes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param("COPY requirements/ /app/requirements/", id="absolute-dest"),
        pytest.param("COPY ./requirements /app/requirements", id="dotted-source"),
        pytest.param("COPY requirements/ requirements/", id="relative-dest"),
    ],
)
def test_requirements_folder_copied_under_the_workdir(copy: str) -> None:
    result = rewrite(
        f"FROM python:3.12-slim\nWORKDIR /app\n{copy}\nRUN pip install -r requirements/base.txt\n",
        PLAN,
    )
    assert result.findings == ()
    assert _lock_mount("requirements-base.lock") in result.text
    assert "uv pip sync --require-hashes /tmp/requirements-base.lock\n" in result.text


def test_requirements_folder_copied_elsewhere_is_not_taken_for_the_workdir() -> None:
    text = (
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY requirements/ /app/requirements/\n"
        "RUN pip install -r requirements/base.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(4, "requirements-not-copied")]


def test_python2_from_the_system_packages_is_too_old() -> None:
    text = textwrap.dedent(
        """\
        FROM debian:jessie
        WORKDIR /app
        CMD ["./run.sh"]
        RUN apt-get update && apt-get install -y python2.7 python-pip
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(6, "python-too-old")]
    assert "line 4" in result.findings[0].message


def test_a_later_pip_install_in_the_new_venv_becomes_uv_pip_install() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY requirements.txt .
        COPY . .
        RUN pip install -r requirements.txt && pip install --no-cache-dir -e .
        CMD ["myapp"]
        """
    )
    # no pip in the venv (pip and setuptools would make the image larger than pip's): the
    # project goes into the venv with uv, mounted for this RUN like the sync's
    assert "uv venv /opt/venv\n" in result.text
    assert (
        "uv pip sync --require-hashes /tmp/requirements.lock && uv pip install -e .\n"
        in result.text
    )
    assert _codes(result) == [(5, "uv-pip-install")]
    assert rewrite(result.text, PLAN).text == result.text


def test_a_pip_install_in_a_later_stage_built_from_it_becomes_uv_pip_install() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim AS base
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM base AS dev
        RUN pip install --pre --trusted-host pypi.internal debugpy
        """
    )
    assert "uv venv /opt/venv\n" in result.text
    assert result.text.endswith(
        "FROM base AS dev\n"
        + _run(
            UV_MOUNT,
            CACHE_MOUNT,
            "uv pip install --prerelease=allow --allow-insecure-host pypi.internal debugpy",
        )
    )
    message = {(f.line, f.code): f.message for f in result.findings}[(5, "uv-pip-install")]
    assert "not in the lock: add them to the requirements" in message


@pytest.mark.parametrize(
    ("later", "why"),
    [
        pytest.param("RUN pip install $EXTRA", "expand at build time", id="variable"),
        pytest.param("RUN pip install --src /src -e git+x", "", id="dropped-value"),
        pytest.param("RUN pip install --global-option=x y", "--global-option", id="unknown"),
        pytest.param("RUN /usr/local/bin/pip install y", "by a path", id="system-pip-by-path"),
        pytest.param("RUN sudo pip install y", "another user", id="sudo"),
    ],
)
def test_a_later_pip_that_must_stay_pip_gets_pip_in_the_new_venv_and_says_so(
    later: str, why: str
) -> None:
    result = _rewrite(
        f"""\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        {later}
        """
    )
    if not why:  # --src only matters to pip: uv takes the rest
        assert "uv venv /opt/venv\n" in result.text
        assert "uv pip install -e git+x\n" in result.text
        return
    assert "uv venv --seed /opt/venv\n" in result.text
    assert f"{later}\n" in result.text
    seeded = [f for f in result.findings if f.code == "pip-seeded"]
    assert [f.line for f in seeded] == [4]
    assert why in seeded[0].message
    assert "uv venv --seed" in seeded[0].message


def test_packages_pip_installed_before_a_new_venv_stay_beside_the_lock() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        RUN pip install gunicorn
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["gunicorn", "app:app"]
        """
    )
    result = rewrite(text, PLAN)
    assert "RUN pip install gunicorn\n" in result.text
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(2, "inline-packages"), (4, "system-install")]
    assert "line 2" in result.findings[1].message


def test_user_install_after_a_new_venv_is_reported() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        COPY . .
        RUN pip install --user --no-deps .
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "pip-user-after-venv"), (5, "local-project")]


def test_base_image_running_its_own_cmd_gets_the_lock_in_its_own_python() -> None:
    result = rewrite((FIXTURES / "derived-base-image.in.Dockerfile").read_text(), PLAN)
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(5, "system-install")]
    assert "tiangolo/uvicorn-gunicorn:python3.11-slim" in result.findings[0].message


def test_build_stage_of_another_image_keeps_its_rewrite() -> None:
    """A stage only copied from (its venv) is not run: its base image's CMD does not matter."""
    result = _rewrite(
        """\
        FROM continuumio/miniconda3 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM continuumio/miniconda3
        COPY --from=build /opt/venv /opt/venv
        ENV PATH="/opt/venv/bin:$PATH"
        CMD ["python", "app.py"]
        """
    )
    assert "uv venv --system-site-packages /opt/venv\n" in result.text
    assert result.findings == ()


def test_official_python_image_gets_a_plain_venv() -> None:
    result = _rewrite(
        """\
        FROM docker.io/library/python:3-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert "uv venv /opt/venv\n" in result.text


def test_sudo_names_the_venv_it_would_not_see() -> None:
    """sudo resets the environment (env_reset): VIRTUAL_ENV does not reach uv."""
    result = _rewrite(
        """\
        FROM python:3.12
        COPY requirements.txt .
        RUN sudo -H pip install -r requirements.txt
        """
    )
    assert result.text.endswith(
        "    sudo -H uv pip sync --require-hashes --python /opt/venv /tmp/requirements.lock\n"
    )


def test_onbuild_pip_install_is_reported() -> None:
    text = (
        "FROM python:3.12-slim\nONBUILD COPY requirements.txt .\n"
        "ONBUILD RUN pip install --no-cache-dir -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "onbuild")]


def test_variable_in_the_pip_arguments_is_reported_as_such() -> None:
    text = (
        'FROM python:3.12-slim\nARG PIP_ARGS=""\nCOPY requirements.txt .\n'
        "RUN pip install ${PIP_ARGS} -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(4, "variable-arguments")]
    assert "${PIP_ARGS}" in result.findings[0].message


@pytest.mark.parametrize(
    "image",
    [
        "python:3.12-windowsservercore-ltsc2022",
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "mcr.microsoft.com/windows/nanoserver:ltsc2022",
    ],
)
def test_windows_base_image_is_reported(image: str) -> None:
    text = (
        f"FROM {image}\nCOPY requirements.txt C:/app/\nRUN pip install -r C:/app/requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "non-posix-shell")]
    assert "Windows" in result.findings[0].message


def test_variables_in_passed_options_still_expand() -> None:
    result = _rewrite(
        """\
        FROM python:3.12
        ARG INDEX=https://pypi.org/simple
        COPY requirements.txt .
        RUN pip install --index-url "$INDEX" -f ${WHEELS} -r requirements.txt
        """
    )
    assert (
        'uv pip sync --require-hashes --index-url "$INDEX" --find-links "${WHEELS}" '
        "/tmp/requirements.lock\n"
    ) in result.text


@pytest.mark.parametrize(
    "source",
    ["/usr/local", "/usr/local/", "/usr/local/bin", "/usr/lib/python3/dist-packages", "/"],
)
def test_runtime_copying_where_the_system_python_installs_keeps_it_there(source: str) -> None:
    text = textwrap.dedent(
        f"""\
        FROM python:3.12 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM build AS build2
        RUN true
        FROM python:3.12-slim
        COPY --from=build2 {source} {source}
        CMD ["gunicorn", "app:app"]
        """
    )
    result = rewrite(text, PLAN)
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(3, "system-install")]


def test_runtime_copying_other_folders_keeps_the_rewrite() -> None:
    result = _rewrite(
        """\
        FROM python:3.12 AS build
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM python:3.12-slim
        COPY --from=build /usr/local/share/data /data
        COPY --from=build /usr/libexec/tool /usr/bin/tool
        """
    )
    assert result.changed
    assert result.findings == ()


def test_requirements_from_a_folder_bind_mount_get_the_lock_mounted() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "RUN --mount=type=bind,source=requirements,target=/tmp/reqs pip install -r /tmp/reqs/prod.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.findings == ()
    assert _lock_mount("requirements-prod.lock") in result.text
    assert "uv pip sync --require-hashes /tmp/requirements-prod.lock\n" in result.text


def test_a_pip_install_left_for_want_of_its_lock_counts_as_kept() -> None:
    """It runs before the new venv (which would hide what it installs): the later sync stays."""
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        RUN pip install -r /elsewhere/base.txt
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    result = rewrite(text, PLAN)
    assert "RUN pip install -r /elsewhere/base.txt\n" in result.text
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(2, "requirements-not-copied"), (4, "system-install")]


def test_a_pip_install_r_left_after_the_sync_runs_with_uv_in_the_venv() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        RUN pip install -r /elsewhere/extra.txt
        """
    )
    assert "uv venv /opt/venv\n" in result.text
    assert "    uv pip install -r /elsewhere/extra.txt\n" in result.text
    assert _codes(result) == [(4, "requirements-not-copied"), (4, "uv-pip-install")]


def test_pinned_pip_tooling_before_a_new_venv_does_not_stop_the_rewrite() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        RUN pip install pip==24.0 "setuptools<70" wheel
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert result.changed
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text


def test_a_package_with_a_variable_version_is_an_inline_package() -> None:
    text = (
        "FROM python:3.12-slim\nCOPY requirements.txt /\n"
        'RUN pip install "apache-airflow==${AIRFLOW_VERSION}" -r /requirements.txt\n'
    )
    assert _codes(rewrite(text, PLAN)) == [(3, "inline-packages")]


@pytest.mark.parametrize(
    "cmd",
    [
        'CMD ["/usr/local/bin/python", "app.py"]',
        "ENTRYPOINT /usr/bin/python3 -m app",
        'HEALTHCHECK CMD ["/usr/local/bin/python3.12", "-c", "import app"]',
    ],
)
def test_cmd_naming_the_system_python_gets_the_lock_in_the_system_python(cmd: str) -> None:
    text = f"FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n{cmd}\n"
    result = rewrite(text, PLAN)
    assert "    uv pip install --require-hashes --system -r /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(3, "system-install")]
    assert "line 4" in result.findings[0].message


def test_wildcard_copy_of_the_requirements_gets_a_lock_copy() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY requirements*.txt ./
        RUN pip install -r requirements.txt
        """
    )
    assert "COPY requirements*.txt ./\n" in result.text
    assert _lock_mount() in result.text
    assert result.findings == ()


def test_wildcard_copy_that_brings_the_lock_too_needs_no_other() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY requirements.* /app/
        RUN pip install -r requirements.txt
        """
    )
    assert "--mount=type=bind" not in result.text
    assert "uv pip sync --require-hashes requirements.lock\n" in result.text


def test_prefix_and_target_installs_keep_their_folder() -> None:
    text = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install --prefix=/install -r requirements.txt\n"
    result = rewrite(text, PLAN)
    assert "uv pip install --require-hashes --prefix /install -r /tmp/requirements.lock\n" in (
        result.text
    )
    assert "uv venv" not in result.text
    assert result.findings == ()
    text = (
        "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install --root /r -r requirements.txt\n"
    )
    assert _codes(rewrite(text, PLAN)) == [(3, "target")]


def test_a_venv_created_but_not_used_by_pip_is_not_the_target() -> None:
    """pip was the system's: `python` on PATH must see the packages after the rewrite too."""
    result = _rewrite(
        """\
        FROM python:3.12
        RUN python -m venv /venv
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["python", "app.py"]
        """
    )
    assert 'uv venv /opt/venv\nENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"\n' in (
        result.text
    )
    assert "--python /venv" not in result.text


@pytest.mark.parametrize(
    ("setup", "run"),
    [
        pytest.param(
            'RUN python -m venv /venv\nENV PATH="/venv/bin:$PATH"',
            "RUN pip install -r requirements.txt",
            id="path",
        ),
        pytest.param(
            "RUN python -m venv /venv",
            "RUN . /venv/bin/activate && pip install -r requirements.txt",
            id="activate",
        ),
    ],
)
def test_a_venv_pip_runs_in_is_kept(setup: str, run: str) -> None:
    result = rewrite(f"FROM python:3.12\n{setup}\nCOPY requirements.txt .\n{run}\n", PLAN)
    assert "uv venv" not in result.text
    assert "uv pip sync --require-hashes --python /venv /tmp/requirements.lock\n" in result.text


def test_stage_on_the_build_platform_gets_uv_from_a_stage_of_that_platform() -> None:
    """COPY --from=<image> takes the target platform's uv, which a build-platform stage cannot run."""
    result = _rewrite(
        """\
        # syntax=docker/dockerfile:1
        # the builder
        FROM --platform=$BUILDPLATFORM python:3.12-alpine AS builder
        WORKDIR /app
        COPY requirements.txt /app
        RUN pip install -r requirements.txt
        FROM builder AS dev
        """
    )
    assert result.text.startswith(
        "# syntax=docker/dockerfile:1\n"
        "FROM --platform=$BUILDPLATFORM ghcr.io/astral-sh/uv:0.9.5 AS uv-buildplatform\n"
        "# the builder\n"
        "FROM --platform=$BUILDPLATFORM python:3.12-alpine AS builder\n"
    )
    assert "--mount=from=uv-buildplatform,source=/uv,target=/bin/uv" in result.text
    assert "COPY --from=uv" not in result.text
    assert result.findings == ()
    assert rewrite(result.text, PLAN).text == result.text


def test_stage_on_the_build_platform_with_numbered_stages_is_reported() -> None:
    text = textwrap.dedent(
        """\
        FROM --platform=$BUILDPLATFORM python:3.12-alpine
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM python:3.12-alpine
        COPY --from=0 /opt/venv /opt/venv
        """
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "build-platform")]
    assert "--platform=$BUILDPLATFORM" in result.findings[0].message


def test_stage_on_the_target_platform_is_rewritten() -> None:
    result = _rewrite(
        """\
        FROM --platform=$TARGETPLATFORM python:3.12-alpine
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert result.changed


def test_uv_copied_from_a_stage_of_the_build_platform_is_used() -> None:
    result = _rewrite(
        """\
        FROM --platform=$BUILDPLATFORM ghcr.io/astral-sh/uv:0.9.5 AS uv
        FROM --platform=$BUILDPLATFORM python:3.12-alpine AS builder
        COPY --from=uv /uv /bin/uv
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """
    )
    assert result.findings == ()
    assert result.text.count("COPY --from=") == 1
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text


def test_heredoc_run_by_another_interpreter_is_not_shell() -> None:
    text = (
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN <<EOF python3\n"
        "# pip install -r requirements.txt\nprint('hi')\nEOF\n"
    )
    result = rewrite(text, PLAN)
    assert result.text == text
    assert _codes(result) == [(3, "shell-unparsed")]


def test_heredoc_run_by_bash_is_shell() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN <<EOF bash
        set -e
        pip install -r requirements.txt
        EOF
        """
    )
    assert "\nuv pip sync --require-hashes /tmp/requirements.lock\nEOF\n" in result.text


def test_pip_install_into_the_venv_before_the_lock_is_kept_by_installing() -> None:
    """pip install adds; uv pip sync removes what the lock does not list."""
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        RUN python -m venv /opt/venv
        ENV PATH="/opt/venv/bin:$PATH"
        RUN pip install gunicorn
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        CMD ["gunicorn", "app:app"]
        """
    )
    result = rewrite(text, PLAN)
    assert "uv pip install --require-hashes --python /opt/venv -r /tmp/requirements.lock\n" in (
        result.text
    )
    assert _codes(result) == [(4, "inline-packages")]


def test_a_later_stage_sync_would_remove_a_project_installed_after_the_first() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim AS base
        COPY . .
        RUN pip install -r requirements.txt && pip install --no-deps -e .
        FROM base AS dev
        RUN pip install -r requirements-dev.txt
        """
    )
    result = rewrite(text, PLAN)
    assert "uv pip sync --require-hashes requirements.lock && uv pip install --no-deps -e .\n" in (
        result.text
    )
    assert "uv pip install --require-hashes -r requirements-dev.lock\n" in result.text
    assert _codes(result) == [(3, "uv-pip-install")]
    assert rewrite(result.text, PLAN).text == result.text


def test_a_requirements_file_copied_under_another_name_finds_its_lock() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt /app/reqs.txt
        RUN pip install -r /app/reqs.txt
        """
    )
    assert "COPY" not in result.text
    assert _lock_mount() in result.text
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text


def test_the_copied_file_decides_the_lock_not_its_name_in_the_image() -> None:
    plan = DockerPlan(
        uv_version=UV_VERSION,
        lock_for={
            "requirements.txt": "requirements.lock",
            "requirements/prod.txt": "requirements-prod.lock",
        },
    )
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements/prod.txt /tmp/requirements.txt
        RUN pip install -r /tmp/requirements.txt
        """,
        plan,
    )
    assert _lock_mount("requirements-prod.lock") in result.text
    assert result.locks == ("requirements-prod.lock",)


@pytest.mark.parametrize(
    "generate",
    [
        "RUN poetry export -f requirements.txt -o requirements.txt",
        "RUN pip-compile --output-file=requirements.txt requirements.in",
        "RUN uv pip compile requirements.in > requirements.txt",
    ],
)
def test_requirements_generated_in_the_image_are_reported(generate: str) -> None:
    text = f"FROM python:3.12-slim\nCOPY . .\n{generate}\nRUN pip install -r requirements.txt\n"
    result = rewrite(text, PLAN)
    assert result.text == text
    assert (4, "generated-requirements") in _codes(result)


def test_pip_install_uv_before_the_sync_does_not_stop_the_rewrite() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install uv==0.9.5 && pip install -r requirements.txt
        """
    )
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(3, "inline-packages")]


# -- context_sources -----------------------------------------------------------------------


def test_context_sources_expand_args_and_skip_other_stages() -> None:
    text = textwrap.dedent(
        """\
        ARG MODULE=inference
        ARG REL="${MODULE}/server"
        FROM python:3.12 AS build
        ARG REL
        ARG LOCAL=x
        COPY ./${REL}/requirements.txt ${LOCAL}/a /dst/
        COPY --from=build /build/lib /lib
        ADD https://example.com/file.tgz /tmp/
        COPY <<EOF /etc/conf
        hi
        EOF
        COPY $UNKNOWN/y /y
        """
    )
    from reqconv.docker import context_sources

    assert context_sources(text) == (("./inference/server/requirements.txt", 6), ("x/a", 6))
    # A build arg reaches only an ARG that declares it (UNKNOWN is never declared).
    assert context_sources(text, {"REL": "other", "UNKNOWN": "u"}) == (
        ("./other/requirements.txt", 6),
        ("x/a", 6),
    )


# -- issue 8: defects seen in real builds --------------------------------------------------


def test_a_lock_with_unhashed_entries_is_synced_without_require_hashes() -> None:
    plan = DockerPlan(uv_version=UV_VERSION, unhashed=frozenset({"requirements.lock"}))
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        """,
        plan,
    )
    assert "    uv pip sync /tmp/requirements.lock\n" in result.text
    assert "--require-hashes" not in result.text
    assert _codes(result) == [(3, "no-require-hashes")]
    assert "checks every hash the lock lists" in result.findings[0].message
    assert rewrite(result.text, plan).text == result.text


def test_an_unhashed_group_lock_leaves_the_hashed_main_lock_in_hash_mode() -> None:
    plan = DockerPlan(
        uv_version=UV_VERSION,
        lock_for={"requirements.txt": "requirements.lock", "dev.txt": "requirements-dev.lock"},
        unhashed=frozenset({"requirements-dev.lock"}),
    )
    result = _rewrite(
        """\
        FROM python:3.12-slim AS prod
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        FROM prod AS dev
        COPY dev.txt .
        RUN pip install -r dev.txt
        """,
        plan,
    )
    assert "uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text
    assert "uv pip install -r /tmp/requirements-dev.lock\n" in result.text
    assert _codes(result) == [(6, "no-require-hashes")]


@pytest.mark.parametrize(
    "rm",
    [
        "rm -rf /root/.cache",
        "rm -rf ~/.cache",
        "rm -rf $HOME/.cache/*",
        "rm -rf /root/.cache/uv",
        "rm -fr /root",
    ],
)
def test_no_cache_mount_on_a_run_that_removes_the_cache_folder(rm: str) -> None:
    text = (
        "FROM python:3.12-slim\n"
        "COPY requirements.txt .\n"
        f"RUN pip install --no-cache-dir -r requirements.txt && {rm}\n"
    )
    result = rewrite(text, PLAN)
    assert f"    uv pip sync --require-hashes /tmp/requirements.lock && {rm}\n" in result.text
    # only the `uv venv` RUN, which removes nothing, has uv's cache mounted
    assert [line for line in result.text.splitlines() if "--mount=type=cache" in line] == [
        f"RUN {UV_MOUNT} {CACHE_MOUNT} uv venv /opt/venv"
    ]
    assert _codes(result) == [(3, "no-cache-mount")]
    assert result.buildkit_line == 3  # uv and the lock are still mounted


def test_removing_another_cache_keeps_the_cache_mount() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "COPY requirements.txt .\n"
        "RUN pip install -r requirements.txt && rm -rf /root/.cache/pip /tmp/*\n"
    )
    result = rewrite(text, PLAN)
    assert "    uv pip sync" in result.text
    assert _codes(result) == []
    assert result.buildkit_line == 3
    # the lock is not mounted where the RUN removes /tmp/*: removing a mount point fails
    assert _lock_mount().replace("/tmp/", "/mnt/") in result.text
    assert "uv pip sync --require-hashes /mnt/requirements.lock && rm -rf" in result.text


def test_a_home_elsewhere_does_not_hit_the_cache_mount() -> None:
    text = (
        "FROM python:3.12-slim\n"
        "ENV HOME=/home/app\n"
        "COPY requirements.txt .\n"
        "RUN pip install -r requirements.txt && rm -rf ~/.cache\n"
    )
    result = rewrite(text, PLAN)
    assert "    uv pip sync" in result.text


def test_buildkit_is_noted_only_where_the_original_did_not_need_it() -> None:
    plain = "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    assert rewrite(plain, PLAN).buildkit_line == 3
    mounted = (
        "FROM python:3.12-slim\nCOPY requirements.txt .\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"
    )
    assert rewrite(mounted, PLAN).buildkit_line is None
    syntax = "# syntax=docker/dockerfile:1\n" + plain
    assert rewrite(syntax, PLAN).buildkit_line is None


def test_a_venv_made_and_activated_in_the_same_run_is_the_one_synced() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY requirements.txt .
        RUN python3 -m venv venv && . venv/bin/activate && pip install -r requirements.txt
        CMD ["venv/bin/python", "-m", "app"]
        """
    )
    result = rewrite(text, PLAN)
    assert "/opt/venv" not in result.text
    assert "uv venv" not in result.text
    assert (
        "python3 -m venv venv && . venv/bin/activate && "
        "uv pip sync --require-hashes --python venv /tmp/requirements.lock\n"
    ) in result.text
    assert _codes(result) == []
    assert rewrite(result.text, PLAN).text == result.text


def test_a_pip_install_before_the_venv_of_the_same_run_is_not_undone_by_the_sync() -> None:
    text = textwrap.dedent(
        """\
        FROM python:3.12-slim
        COPY requirements.txt .
        RUN pip install gunicorn
        RUN python3 -m venv /venv && . /venv/bin/activate && pip install -r requirements.txt
        """
    )
    result = rewrite(text, PLAN)
    assert "uv pip sync --require-hashes --python /venv /tmp/requirements.lock\n" in result.text
    assert _codes(result) == [(3, "inline-packages")]  # not pip-before-sync: it is outside /venv


@pytest.mark.parametrize(
    ("setup", "env"),
    [
        (
            "COPY corp.crt /usr/local/share/ca-certificates/corp.crt\nRUN update-ca-certificates\n",
            "UV_NATIVE_TLS=1",
        ),
        ("RUN apk add ca-certificates && update-ca-certificates\n", "UV_NATIVE_TLS=1"),
        ("ENV PIP_CERT=/etc/ssl/corp.pem\n", "SSL_CERT_FILE=/etc/ssl/corp.pem"),
        ("ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt\n",
         "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"),
    ],
)  # fmt: skip
def test_uv_is_told_to_trust_the_certificates_the_stage_sets_up(setup: str, env: str) -> None:
    text = (
        "FROM python:3.12-slim\n"
        + setup
        + "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)  # uv 0.9.5: before UV_SYSTEM_CERTS (uv 0.11)
    assert f"UV_PYTHON_DOWNLOADS=0 UV_CACHE_DIR=/root/.cache/uv {env}\n" in result.text
    assert [code for _line, code in _codes(result)] == ["tls-certificates"]
    assert rewrite(result.text, PLAN).text == result.text


def test_newer_uv_is_told_with_uv_system_certs() -> None:
    text = (
        "FROM python:3.12-slim\nRUN update-ca-certificates\n"
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, DockerPlan(uv_version="0.13.9"))
    assert "UV_PYTHON_DOWNLOADS=0 UV_CACHE_DIR=/root/.cache/uv UV_SYSTEM_CERTS=1\n" in result.text


def test_uv_reads_the_system_store_pip_read_when_the_base_image_brings_the_ca() -> None:
    # field test (docs/field-tests.md): a base image carrying a TLS proxy's CA in its system store
    # (a corporate image); pip trusted it (truststore), uv with its bundled roots did not
    # (`invalid peer certificate: UnknownIssuer`): the rewrite must not make the install fail
    text = "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    result = rewrite(text, DockerPlan(uv_version="0.13.9"))
    env = "UV_PYTHON_DOWNLOADS=0 UV_CACHE_DIR=/root/.cache/uv UV_SYSTEM_CERTS=1\n"
    assert env in result.text
    assert _codes(result) == []  # nothing this file did: said once in docs/docker.md
    assert "UV_NATIVE_TLS=1\n" in rewrite(text, PLAN).text  # uv before 0.11


def test_ssl_cert_file_is_read_by_uv_as_it_is() -> None:
    text = (
        "FROM python:3.12-slim\nRUN update-ca-certificates\nENV SSL_CERT_FILE=/etc/corp.pem\n"
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert (
        "ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=0 UV_CACHE_DIR=/root/.cache/uv\n"
        in (result.text)
    )
    assert _codes(result) == []


WHEELS = """\
FROM python:3.12-slim AS builder
COPY requirements.txt .
RUN pip wheel --wheel-dir=/wheels -r requirements.txt
FROM {final}
COPY --from=builder /wheels /tmp/wheels
RUN {install}
CMD ["python", "-m", "app"]
"""


def test_a_pip_wheel_stage_becomes_a_synced_venv_that_the_image_copies() -> None:
    text = WHEELS.format(final="python:3.12-slim", install="pip install /tmp/wheels/*.whl")
    result = rewrite(text, PLAN)
    assert "    uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text
    assert "COPY --from=builder /opt/venv /opt/venv\n" in result.text
    assert 'ENV VIRTUAL_ENV=/opt/venv PATH="/opt/venv/bin:$PATH"\n' in result.text
    assert "wheels" not in result.text
    assert _codes(result) == []
    assert rewrite(result.text, PLAN).text == result.text


def test_a_pip_self_upgrade_goes_in_the_stage_whose_wheel_install_gave_way_to_the_venv() -> None:
    # field test (django-on-docker's Dockerfile.prod): the image stage kept its
    # `pip install --upgrade pip`, which then upgraded the system pip, while the builder's went
    text = (
        "FROM python:3.12-slim AS builder\n"
        "RUN pip install --upgrade pip\n"
        "COPY requirements.txt .\n"
        "RUN pip wheel --wheel-dir=/wheels -r requirements.txt\n"
        "FROM python:3.12-slim\n"
        "COPY --from=builder /wheels /tmp/wheels\n"
        "RUN pip install --upgrade pip\n"
        "RUN pip install /tmp/wheels/*.whl\n"
        'CMD ["python", "-m", "app"]\n'
    )
    result = rewrite(text, PLAN)
    assert "COPY --from=builder /opt/venv /opt/venv\n" in result.text
    assert "--upgrade pip" not in result.text
    assert rewrite(result.text, PLAN).text == result.text


@pytest.mark.parametrize(
    ("final", "install", "code"),
    [
        ("python:3.11-slim", "pip install /tmp/wheels/*", "not-install"),  # another Python
        ("python:3.12-slim", "pip install /tmp/wheels/* gunicorn", "not-install"),
        ("python:3.12-slim", "true || pip install /tmp/wheels/*", "not-install"),
    ],
)  # fmt: skip
def test_the_wheels_stay_where_a_venv_could_not_stand_in(
    final: str, install: str, code: str
) -> None:
    text = WHEELS.format(final=final, install=install)
    result = rewrite(text, PLAN)
    assert result.text == text
    assert (3, code) in _codes(result)


def test_a_later_install_into_the_same_venv_adds_rather_than_removes() -> None:
    """treeherder's dev image: dev deps (main + dev), then main alone; a second sync of the main
    lock would remove the dev packages, so it installs."""
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements/ /app/requirements/
        RUN pip install -r /app/requirements/dev.txt
        RUN pip install -r /app/requirements/common.txt
        """,
        DockerPlan(
            uv_version=UV_VERSION,
            lock_for={
                "requirements/common.txt": "requirements.lock",
                "requirements/dev.txt": "requirements-dev.lock",
            },
        ),
    )
    assert "uv pip sync --require-hashes /tmp/requirements-dev.lock\n" in result.text
    assert "uv pip install --require-hashes -r /tmp/requirements.lock\n" in result.text
    assert rewrite(result.text, PLAN).text == result.text


def test_a_group_lock_after_the_main_one_in_the_same_stage_still_syncs() -> None:
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY requirements.txt requirements-dev.txt ./
        RUN pip install -r requirements.txt
        RUN pip install -r requirements-dev.txt
        """
    )
    assert "uv pip install" not in result.text
    assert result.text.count("uv pip sync") == 2


def test_a_stage_built_from_one_that_synced_adds_to_its_venv() -> None:
    # The venv comes with all the base stage put there; a sync would remove what its lock lacks.
    text = (FIXTURES / "dev-stage.in.Dockerfile").read_text()
    result = rewrite(text, PLAN)
    assert "    uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text
    assert "    uv pip install --require-hashes -r /tmp/requirements-dev.lock\n" in result.text
    assert rewrite(result.text, PLAN).text == result.text
    # the project the base stage installed after its sync stays in the venv
    plan = DockerPlan(uv_version=UV_VERSION, projects={"requirements.lock": ("-e", ".")})
    result = _rewrite(
        """\
        FROM python:3.12-slim AS base
        COPY . .
        RUN pip install -r requirements.txt
        FROM base AS dev
        RUN pip install -r requirements-dev.txt
        """,
        plan,
    )
    assert "    uv pip sync --require-hashes /tmp/requirements.lock\n" in result.text
    # the project's own RUN builds it: uv's cache is mounted there too
    assert (
        f"RUN {UV_MOUNT} \\\n    {CACHE_MOUNT} \\\n    uv pip install --no-deps -e .\nFROM base AS dev\n"
        in (result.text)
    )
    assert "    uv pip install --require-hashes -r requirements-dev.lock\n" in result.text
    assert rewrite(result.text, plan).text == result.text


def test_a_group_lock_after_a_sync_that_installed_the_project_adds_to_the_venv() -> None:
    plan = DockerPlan(uv_version=UV_VERSION, projects={"requirements.lock": ("-e", ".")})
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY . .
        RUN pip install -r requirements.txt
        RUN pip install -r requirements-dev.txt
        """,
        plan,
    )
    assert "uv pip install --require-hashes -r requirements-dev.lock\n" in result.text
    # a group lock whose requirements install the project too reinstalls it: it syncs
    both = DockerPlan(
        uv_version=UV_VERSION,
        projects={"requirements.lock": ("-e", "."), "requirements-dev.lock": ("-e", ".")},
    )
    result = _rewrite(
        """\
        FROM python:3.12-slim
        COPY . .
        RUN pip install -r requirements.txt
        RUN pip install -r requirements-dev.txt
        """,
        both,
    )
    assert (
        "uv pip sync --require-hashes requirements-dev.lock && uv pip install --no-deps -e .\n"
        in result.text
    )


def test_context_sources_include_bind_mounts_of_the_context() -> None:
    from reqconv.docker import context_sources

    text = (
        "FROM python:3.12-slim\n"
        "RUN --mount=type=bind,source=backend/requirements.lock,target=/tmp/r.lock "
        "--mount=from=ghcr.io/astral-sh/uv:0.9.5,source=/uv,target=/bin/uv "
        "--mount=type=cache,target=/root/.cache/uv --mount=source=.,target=/src uv pip sync x\n"
        "COPY app/ /app/\n"
    )
    assert context_sources(text) == (("backend/requirements.lock", 2), ("app/", 3))


def test_an_install_after_copy_all_moves_before_it() -> None:
    result = rewrite((FIXTURES / "copy-all.in.Dockerfile").read_text(), PLAN)
    lines = result.text.split("\n")
    assert lines.index("COPY . .") > lines.index(
        "    uv pip sync --require-hashes /tmp/requirements.lock"
    )
    assert _codes(result) == [(6, "moved-before-copy")]
    assert "line 3's COPY . ." in result.findings[0].message


@pytest.mark.parametrize(
    ("between", "run"),
    [
        pytest.param(
            "ENV PIP_INDEX_URL=https://x.example/simple", "pip install -r r.txt", id="env"
        ),
        pytest.param("RUN make", "pip install -r r.txt", id="run"),
        pytest.param("", "pip install -r r.txt && python manage.py collectstatic", id="chain"),
        pytest.param("", "pip install --find-links ./wheels -r r.txt", id="find-links"),
        pytest.param("COPY r.txt .", "pip install -r r.txt", id="own-copy"),
    ],
)
def test_an_install_that_may_need_the_source_stays_after_copy_all(between: str, run: str) -> None:
    text = f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n{between}\nRUN {run}\n"
    result = rewrite(text, PLAN)
    assert "moved-before-copy" not in [code for _line, code in _codes(result)]
    assert result.text.index("COPY . .") < result.text.index("uv pip")


# -- the project itself (-e . inside a requirements file) -----------------------------------


def test_a_lock_whose_requirements_install_the_project_installs_it_after_the_sync() -> None:
    plan = DockerPlan(uv_version=UV_VERSION, projects={"requirements.lock": ("-e", ".")})
    result = _rewrite(
        """\
        FROM python:3.12-slim
        WORKDIR /app
        COPY . .
        RUN pip install --no-cache-dir -r requirements.txt && python -c 'import svc'
        """,
        plan,
    )
    assert (
        "uv pip sync --require-hashes requirements.lock && uv pip install --no-deps -e . "
        "&& python -c 'import svc'\n" in result.text
    )
    assert rewrite(result.text, plan).text == result.text
    # Another lock (a dev file that does not include the -e . line) syncs alone.
    other = DockerPlan(uv_version=UV_VERSION, projects={"requirements-dev.lock": (".",)})
    assert (
        "--no-deps"
        not in _rewrite(
            """\
        FROM python:3.12-slim
        COPY . .
        RUN pip install -r requirements.txt
        """,
            other,
        ).text
    )


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("ARG HOME=/app\nENV HOME=${HOME}\n", id="home"),
        pytest.param("ENV XDG_CACHE_HOME=/app/.cache\n", id="xdg"),
        pytest.param("ENV HOME=/home/app\nWORKDIR /home/app\n", id="home-literal"),
    ],
)
def test_uv_cache_dir_is_pinned_to_the_cache_mount_whatever_home_says(setup: str) -> None:
    # issue 15: with HOME=/app uv cached into /app/.cache/uv, inside the layer, while the cache
    # mount stood idle at /root/.cache/uv (+525 MB against pip's image)
    text = (
        "FROM python:3.12-slim\n"
        + setup
        + "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    env = next(line for line in result.text.splitlines() if "UV_COMPILE_BYTECODE" in line)
    assert "UV_CACHE_DIR=/root/.cache/uv" in env.split()
    cached = [line for line in result.text.splitlines() if "--mount=type=cache" in line]
    assert cached == [f"RUN {UV_MOUNT} {CACHE_MOUNT} uv venv /opt/venv", f"    {CACHE_MOUNT} \\"]
    assert rewrite(result.text, PLAN).text == result.text


def test_a_stage_own_uv_cache_dir_is_where_the_cache_is_mounted() -> None:
    text = (
        "FROM python:3.12-slim\nENV UV_CACHE_DIR=/var/cache/uv\n"
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert "UV_CACHE_DIR=/root" not in result.text
    assert "--mount=type=cache,target=/root/.cache/uv" not in result.text
    assert result.text.count("--mount=type=cache,target=/var/cache/uv") == 2  # venv and sync


def test_a_stage_own_uv_env_gets_the_cache_dir_pinned() -> None:
    text = (
        "FROM python:3.12-slim\nENV UV_COMPILE_BYTECODE=1 HOME=/app\n"
        "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "RUN pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert result.text.count("ENV UV_CACHE_DIR=/root/.cache/uv\n") == 1  # once per stage
    assert result.text.index("ENV UV_CACHE_DIR") < result.text.index("uv venv")


def test_pip_cache_mount_elsewhere_becomes_uv_cache_dir() -> None:
    text = (
        "FROM python:3.12-slim\nENV HOME=/home/app\nCOPY requirements.txt .\n"
        "RUN --mount=type=cache,id=pip,target=/home/app/.cache/pip,sharing=locked \\\n"
        "    pip install -r requirements.txt\n"
    )
    result = rewrite(text, PLAN)
    assert "--mount=type=cache,id=pip,target=/root/.cache/uv,sharing=locked" in result.text
    assert "UV_CACHE_DIR=/root/.cache/uv" in result.text


def test_package_rewrite_is_the_function_even_after_its_module_is_imported() -> None:
    """``reqconv.docker`` loads what it exports on first use; importing the submodules named
    like two of its functions (as ``docker.plan`` and ``docker.builds`` do) must not turn the
    package's ``rewrite`` or ``instructions`` into a module."""
    code = (
        "import reqconv.docker.plan, reqconv.docker.builds\n"
        "from reqconv.docker import instructions, referenced_requirement_files, rewrite\n"
        "import reqconv.docker\n"
        "assert callable(rewrite) and reqconv.docker.rewrite is rewrite, rewrite\n"
        "assert callable(instructions) and reqconv.docker.instructions is instructions\n"
        "import sys\n"
        "print(referenced_requirement_files(sys.stdin.read()))\n"
    )
    text = (FIXTURES / "dev-stage.in.Dockerfile").read_text()
    run = subprocess.run(
        [sys.executable, "-c", code], input=text, capture_output=True, text=True, check=True
    )
    assert run.stdout == "('requirements.txt', 'requirements-dev.txt')\n"
