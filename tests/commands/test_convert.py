"""convert end to end (no uv): golden pyprojects over the example monorepo, idempotence, preservation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reqconv.commands import CollectedOutput, WriteMode
from reqconv.commands.convert import ConvertOptions, run
from reqconv.errors import InputError, InputErrors, ParseError
from tests._goldens import check_golden

ROOT = Path(__file__).resolve().parents[2]
MONOREPO = ROOT / "fixtures" / "monorepo"
SERVICES = ["apps/backend", "apps/worker", "plugins/private-plugin", "plugins/public/file-manager"]


def _options(*paths: Path, **mode: bool) -> ConvertOptions:
    return ConvertOptions(paths=paths, lock=False, docker=False, mode=WriteMode(**mode))


def _copy_service(tmp_path: Path, service: str) -> Path:
    target = tmp_path / service
    shutil.copytree(MONOREPO / service, target)
    (target / "pyproject.expected.toml").unlink(missing_ok=True)
    return target


def test_every_fixture_service_has_a_golden() -> None:
    found = sorted(
        path.parent.relative_to(MONOREPO).as_posix()
        for path in MONOREPO.glob("**/requirements*.txt")
    )
    assert sorted(set(found)) == SERVICES
    for service in SERVICES:
        assert (MONOREPO / service / "pyproject.expected.toml").is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_golden_pyproject(tmp_path: Path, service: str, request: pytest.FixtureRequest) -> None:
    target = _copy_service(tmp_path, service)
    assert run(_options(target), CollectedOutput()) == 0
    got = (target / "pyproject.toml").read_bytes()
    check_golden(request, MONOREPO / service / "pyproject.expected.toml", got)


@pytest.mark.parametrize("service", SERVICES)
def test_second_convert_writes_nothing_and_check_passes(tmp_path: Path, service: str) -> None:
    target = _copy_service(tmp_path, service)
    assert run(_options(target), CollectedOutput()) == 0
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    out = CollectedOutput()
    assert run(_options(target), out) == 0
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
    assert run(_options(target, check=True), CollectedOutput()) == 0


def test_check_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    out = CollectedOutput()
    assert run(_options(target, check=True), out) == 1
    assert not (target / "pyproject.toml").exists()
    assert any(chunk.startswith("--- /dev/null\n+++ ") for chunk in out.stdout)


def test_dry_run_prints_diff_exits_0_writes_nothing(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    out = CollectedOutput()
    assert run(_options(target, dry_run=True), out) == 0
    assert not (target / "pyproject.toml").exists()
    assert "fastapi==0.115.6" in "\n".join(out.stdout)


EXISTING = """\
# Service metadata, hand written.
[project]
name = "backend"   # keep this comment
version = "1.2.3"
description = "The API"
dependencies = [
    # the web framework
    "fastapi>=0.100",
]

[tool.ruff]
line-length = 88

[tool.custom]
keep = [1, 2,   3]
"""


def test_existing_pyproject_keeps_unrelated_text_byte_for_byte(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    (target / "pyproject.toml").write_text(EXISTING)
    assert run(_options(target), CollectedOutput()) == 0
    got = (target / "pyproject.toml").read_text()
    assert got.startswith(
        '# Service metadata, hand written.\n[project]\nname = "backend"   # keep this comment\n'
    )
    assert "[tool.ruff]\nline-length = 88\n\n[tool.custom]\nkeep = [1, 2,   3]\n" in got
    assert "# the web framework" in got
    assert '"fastapi==0.115.6"' in got
    assert "fastapi>=0.100" not in got


@pytest.mark.parametrize(
    ("prefix", "newline"),
    [pytest.param(b"", b"\r\n", id="crlf"), pytest.param(b"\xef\xbb\xbf", b"\n", id="bom")],
)
def test_line_endings_and_bom_are_kept(tmp_path: Path, prefix: bytes, newline: bytes) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    (target / "pyproject.toml").write_bytes(prefix + EXISTING.encode().replace(b"\n", newline))
    assert run(_options(target), CollectedOutput()) == 0
    data = (target / "pyproject.toml").read_bytes()
    assert data.startswith(prefix + b"# Service metadata")
    body = data[len(prefix) :]
    if newline == b"\r\n":
        assert body.count(b"\n") == body.count(b"\r\n")
    else:
        assert b"\r" not in body
    assert run(_options(target, check=True), CollectedOutput()) == 0


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    with (target / "requirements-dev.txt").open("a") as f:
        f.write("this is not a requirement ==\n")
    before = sorted(p.name for p in target.iterdir())
    with pytest.raises(ParseError) as info:
        run(_options(target), CollectedOutput())
    assert str(info.value).startswith(f"{target / 'requirements-dev.txt'}:6:")
    assert sorted(p.name for p in target.iterdir()) == before


def test_bad_input_in_second_service_writes_nothing_in_first(tmp_path: Path) -> None:
    first = _copy_service(tmp_path, "apps/backend")
    second = _copy_service(tmp_path, "apps/worker")
    (second / "requirements.in").write_text("celery[redis>=5\n")
    with pytest.raises(ParseError):
        run(_options(first, second), CollectedOutput())
    assert not (first / "pyproject.toml").exists()


def test_folder_without_requirements_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no requirements files found"):
        run(_options(tmp_path), CollectedOutput())


def test_json_report_accounts_for_every_requirement_line(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "plugins/private-plugin")
    out = CollectedOutput()
    assert run(_options(target, dry_run=True, json=True), out) == 0
    report = json.loads("".join(out.stdout))
    (service,) = report["services"]
    accounted = {line["location"] for line in service["lines"]}
    requirements = target / "requirements.txt"
    for number, line in enumerate(requirements.read_text().splitlines(), start=1):
        if line.strip() and not line.startswith("#"):
            assert f"{requirements}:{number}" in accounted, line
    assert "PRIVATE_PYPI_TOKEN" not in "".join(out.stdout + out.stderr)


def test_credentials_never_written_and_env_vars_named(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "plugins/private-plugin")
    out = CollectedOutput()
    assert run(_options(target), out) == 0
    text = (target / "pyproject.toml").read_text()
    assert "${PRIVATE_PYPI_TOKEN}" not in text
    assert "https://pypi.internal.example.com/simple" in text
    assert "_PASSWORD" in "\n".join(out.stderr)


def test_explicit_main_and_group_replace_discovery(tmp_path: Path) -> None:
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "prod.txt").write_text("requests>=2\n")
    (tmp_path / "deps" / "qa.txt").write_text("pytest\n")
    options = ConvertOptions(
        paths=(tmp_path,),
        main=Path("deps/prod.txt"),
        groups=("qa=deps/qa.txt",),
        lock=False,
        docker=False,
    )
    assert run(options, CollectedOutput()) == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert '"requests>=2"' in text
    assert "qa = [" in text


def test_pyproject_with_only_tool_tables_gets_a_project_table(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    tools = "# linters\n[tool.ruff]\nline-length = 88\n"
    (target / "pyproject.toml").write_text(tools)
    assert run(_options(target), CollectedOutput()) == 0
    text = (target / "pyproject.toml").read_text()
    assert text.startswith(
        '[project]\nname = "backend"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'
    )
    assert "\n\n" + tools in text  # the comment stays above its table
    assert '"fastapi==0.115.6"' in text
    assert run(_options(target, check=True), CollectedOutput()) == 0


def test_project_without_name_or_version_gets_them(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    (target / "pyproject.toml").write_text('[project]\ndescription = "API"\n')
    assert run(_options(target), CollectedOutput()) == 0
    text = (target / "pyproject.toml").read_text()
    assert 'name = "backend"' in text
    assert 'version = "0.1.0"' in text
    assert 'description = "API"' in text


def test_unchanged_pyproject_with_mixed_line_endings_is_not_rewritten(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    assert run(_options(target), CollectedOutput()) == 0
    path = target / "pyproject.toml"
    lines = path.read_bytes().split(b"\n")
    mixed = b"\r\n".join(lines[:3]) + b"\r\n" + b"\n".join(lines[3:])
    path.write_bytes(mixed)
    assert run(_options(target, check=True), CollectedOutput()) == 0
    assert run(_options(target), CollectedOutput()) == 0
    assert path.read_bytes() == mixed


def test_credentials_message_names_the_index_as_written(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "plugins/private-plugin")
    (target / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\n\n'
        '[[tool.uv.index]]\nname = "corp"\nurl = "https://pypi.internal.example.com/simple"\n'
    )
    out = CollectedOutput()
    assert run(_options(target), out) == 0
    messages = "\n".join(out.stderr)
    assert "UV_INDEX_CORP_USERNAME" in messages
    assert "UV_INDEX_PYPI_INTERNAL" not in messages
    assert (target / "pyproject.toml").read_text().count("[[tool.uv.index]]") == 1


def test_no_lock_with_a_dockerfile_warns_that_the_lock_is_missing(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    options = ConvertOptions(paths=(target,), lock=False, docker=True)
    out = CollectedOutput()
    assert run(options, out) == 0
    assert (
        "uv pip sync --require-hashes /tmp/requirements.lock" in (target / "Dockerfile").read_text()
    )
    warnings = [
        line for line in out.stderr if "lock-missing" in line or "does not exist yet" in line
    ]
    assert len(warnings) == 1
    assert "run `reqconv lock`" in warnings[0]


def test_pyproject_that_is_a_folder_is_input_error(tmp_path: Path) -> None:
    target = _copy_service(tmp_path, "apps/backend")
    (target / "pyproject.toml").mkdir()
    with pytest.raises(InputError, match=r"pyproject\.toml: cannot read"):
        run(_options(target), CollectedOutput())


def test_an_include_not_followed_fails_the_run_a_constraint_only_warns(tmp_path: Path) -> None:
    # A requirement reported but not carried fails the run (issue 7 item 1's rule); a constraint
    # not carried is no missing dependency.
    (tmp_path / "requirements.txt").write_text(
        "alpha\n-r https://example.com/base.txt\n-r ${SHARED}/extra.txt\n-c https://example.com/c.txt\n"
    )
    with pytest.raises(InputErrors) as info:
        run(_options(tmp_path), CollectedOutput())
    assert [str(e.location) for e in info.value.errors] == [
        f"{tmp_path / 'requirements.txt'}:2",
        f"{tmp_path / 'requirements.txt'}:3",
    ]
    assert "save the file in the service and name it by its path" in str(info.value.errors[0])
    assert "write the path itself" in str(info.value.errors[1])
    assert not (tmp_path / "pyproject.toml").exists()

    (tmp_path / "requirements.txt").write_text("alpha\n-c https://example.com/c.txt\n")
    out = CollectedOutput()
    assert run(_options(tmp_path), out) == 0
    assert any(":2: warning: -c https://example.com/c.txt names a URL" in e for e in out.stderr)


def test_json_report_after_writing_would_change_nothing(tmp_path: Path) -> None:
    # Issue 7 item 8: would_change described the state before the files were written.
    target = _copy_service(tmp_path, "apps/backend")
    out = CollectedOutput()
    assert run(_options(target, json=True), out) == 0
    report = json.loads("".join(out.stdout))
    assert report["would_change"] is False
    assert report["services"][0]["written"] == [(target / "pyproject.toml").as_posix()]
    check = CollectedOutput()
    assert run(_options(target, check=True, json=True), check) == 0
    assert json.loads("".join(check.stdout))["would_change"] is False


def test_an_unset_variable_in_a_url_stops_a_locking_run_before_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQCONV_SDK_CHANNEL", raising=False)
    (tmp_path / "requirements.txt").write_text(
        "alpha\nsdk @ https://files.example.com/${REQCONV_SDK_CHANNEL}/sdk-1.0.tar.gz\n"
    )
    locking = ConvertOptions(paths=(tmp_path,), lock=True, docker=False)
    with pytest.raises(InputError) as info:
        run(locking, CollectedOutput())
    assert str(info.value).startswith(
        f"{tmp_path / 'requirements.txt'}:2: ${{REQCONV_SDK_CHANNEL}} is not set"
    )
    assert not (tmp_path / "pyproject.toml").exists()

    assert run(_options(tmp_path), CollectedOutput()) == 0  # --no-lock: written for uv to expand
    assert (
        '"sdk @ https://files.example.com/${REQCONV_SDK_CHANNEL}/sdk-1.0.tar.gz"'
        in (tmp_path / "pyproject.toml").read_text()
    )
