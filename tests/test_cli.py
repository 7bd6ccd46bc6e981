"""Wiring only (pre-commit's main_test idea): options reach commands.*, errors map to exit codes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reqconv import cli, errors
from reqconv.commands import add, convert, docker, lock, remove


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    code = info.value.code
    assert isinstance(code, int)
    return code


def test_version_fast_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["--version"]) == 0
    assert capsys.readouterr().out.startswith("reqconv ")


def test_python_dash_m_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reqconv", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("convert", "lock", "docker", "add", "remove"):
        assert command in result.stdout


def test_convert_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[convert.ConvertOptions] = []

    def fake_run(options: convert.ConvertOptions, out: object) -> int:
        seen.append(options)
        return 1

    monkeypatch.setattr(convert, "run", fake_run)
    argv = ["convert", "a", "b", "--no-lock", "--no-docker", "--check", "--group", "dev=d.txt"]
    assert _exit_code([*argv, "--dev-style", "extras", "--main", "m.txt"]) == 1
    (options,) = seen
    assert options.paths == (Path("a"), Path("b"))
    assert (options.lock, options.docker) == (False, False)
    assert options.mode.check
    assert not options.mode.writes
    assert options.groups == ("dev=d.txt",)
    assert options.dev_style == "extras"
    assert options.main == Path("m.txt")


def _recorder(seen: list[Any], code: int = 0) -> Callable[[Any, Any], int]:
    def fake_run(options: Any, out: Any) -> int:
        seen.append(options)
        return code

    return fake_run


def test_convert_defaults_to_current_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[convert.ConvertOptions] = []
    monkeypatch.setattr(convert, "run", _recorder(seen))
    assert _exit_code(["convert"]) == 0
    assert seen[0].paths == (Path(),)
    assert seen[0].lock
    assert seen[0].docker


def test_lock_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[lock.LockOptions] = []
    monkeypatch.setattr(lock, "run", _recorder(seen))
    argv = ["lock", "svc", "--export-group", "dev", "--pylock", "-P", "fastapi", "--offline"]
    assert _exit_code(argv) == 0
    (options,) = seen
    assert options.export_groups == ("dev",)
    assert options.pylock
    assert options.upgrade_packages == ("fastapi",)
    assert options.offline


def test_docker_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[docker.DockerOptions] = []
    monkeypatch.setattr(docker, "run", _recorder(seen))
    assert _exit_code(["docker", "svc", "--dockerfile", "Dockerfile.prod", "--dry-run"]) == 0
    (options,) = seen
    assert options.dockerfiles == (Path("Dockerfile.prod"),)
    assert options.mode.dry_run


def test_add_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[add.AddOptions] = []
    monkeypatch.setattr(add, "run", _recorder(seen))
    argv = ["add", "httpx>=0.27", "--dev", "--project", "svc", "--upgrade-spec", "--no-lock"]
    assert _exit_code([*argv, "--wait", "5", "--dry-run", "--", "-e", "../libs/x"]) == 0
    (options,) = seen
    assert options.requirements == ("httpx>=0.27", "-e", "../libs/x")
    assert (options.group, options.project, options.wait) == ("dev", Path("svc"), 5.0)
    assert options.upgrade_spec
    assert not options.lock
    assert options.mode.dry_run


def test_remove_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[remove.RemoveOptions] = []
    monkeypatch.setattr(remove, "run", _recorder(seen, 1))
    assert _exit_code(["remove", "a", "b", "--group", "docs", "--check"]) == 1
    (options,) = seen
    assert options.names == ("a", "b")
    assert options.group == "docs"
    assert options.project == Path()
    assert options.mode.check


def test_docker_verify_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[docker.DockerOptions] = []
    monkeypatch.setattr(docker, "run", _recorder(seen))
    argv = ["docker", "svc", "--multi-stage", "--verify", "--build-arg", "PY=3.11"]
    assert _exit_code(argv) == 0
    (options,) = seen
    assert options.multi_stage
    assert options.verify
    assert options.build_args == ("PY=3.11",)


def test_convert_verify_options_reach_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[convert.ConvertOptions] = []
    monkeypatch.setattr(convert, "run", _recorder(seen))
    assert _exit_code(["convert", "svc", "--verify", "--multi-stage"]) == 0
    (options,) = seen
    assert options.verify
    assert options.multi_stage


@pytest.mark.parametrize("module", [docker, convert])
def test_verify_and_multi_stage_reach_command_with_all(
    module: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(module, "run", _recorder(seen))
    argv = [module.__name__.rpartition(".")[2], "--all", "--verify", "--multi-stage", "-j", "2"]
    assert _exit_code([*argv, "--build-arg", "PY=3.11", "."]) == 0
    (options,) = seen
    assert (options.verify, options.multi_stage) == (True, True)
    assert options.build_args == ("PY=3.11",)
    assert options.every is not None
    assert options.every.jobs == 2


def test_group_and_dev_together_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["add", "x", "--dev", "--group", "docs"]) == 2
    assert "--group NAME or --dev" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        pytest.param(errors.ParseError("bad", errors.Location(Path("r.txt"), 3)), 2, id="parse"),
        pytest.param(errors.ConflictError("both"), 2, id="conflict"),
        pytest.param(errors.UvError("uv failed", returncode=1), 3, id="uv"),
        pytest.param(errors.UvNotFoundError("no uv"), 3, id="uv-missing"),
        pytest.param(KeyboardInterrupt(), 130, id="interrupt"),
        pytest.param(RuntimeError("bug"), 4, id="internal"),
    ],
)
def test_errors_map_to_exit_codes(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    exc: BaseException,
    code: int,
) -> None:
    def fail(options: object, out: object) -> int:
        raise exc

    monkeypatch.setattr(convert, "run", fail)
    assert _exit_code(["convert"]) == code
    err = capsys.readouterr().err
    if isinstance(exc, errors.ParseError):
        assert "reqconv: error: r.txt:3: bad" in err
    if code == 4:
        assert "please report" in err
    if code == 130:
        assert "interrupted" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["convert", "--no-such-flag"]) == 2
    assert "--no-such-flag" in capsys.readouterr().err


def test_bad_dev_style_exits_2() -> None:
    assert _exit_code(["convert", "--dev-style", "nope"]) == 2


def test_every_bad_line_of_the_run_is_printed_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 7 item 7: two bad lines in two files of one service, a third in another service.
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "requirements.txt").write_text("foo==\nalpha\n-r more.txt\n")
    (first / "more.txt").write_text("ok\nbar>=1,,2\n")
    (second / "requirements.txt").write_text("beta\nbaz[\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    assert _exit_code(["convert", "--no-lock", "--no-docker", str(first), str(second)]) == 2

    lines = capsys.readouterr().err.splitlines()
    errors_shown = [line for line in lines if line.startswith("reqconv: error: ")]
    assert [line.split(": ")[2] for line in errors_shown] == [
        f"{first / 'requirements.txt'}:1",
        f"{first / 'more.txt'}:2",
        f"{second / 'requirements.txt'}:2",
    ]
    assert "'foo=='" in errors_shown[0]
    assert "'bar>=1,,2'" in errors_shown[1]
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def _imports_of(argv: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Exit code and the modules imported by ``reqconv ARGV`` in a fresh interpreter."""
    code = (
        "import sys\n"
        "from reqconv import cli\n"
        "try:\n"
        f"    cli.main({argv!r})\n"
        "except SystemExit as e:\n"
        "    print(e.code)\n"
        "    print(' '.join(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    exit_code, modules = result.stdout.splitlines()[-2:]
    return int(exit_code), set(modules.split())


def test_check_with_a_matching_fingerprint_imports_neither_typer_nor_pathlib(
    tmp_path: Path,
) -> None:
    from reqconv import fingerprint

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (tmp_path / fingerprint.FILE_NAME).write_text(
        fingerprint.render(
            str(tmp_path),
            files=["pyproject.toml"],
            probed=[],
            folders=[],
            uv_version=None,
            in_sync=True,
        )
    )
    code, modules = _imports_of(["check", "."], tmp_path)
    assert code == 0
    assert not {"typer", "click", "pathlib", "typing", "hashlib", "packaging"} & modules


def test_check_at_a_root_answers_fingerprints_and_unmigrated_services_without_the_comparison(
    tmp_path: Path,
) -> None:
    """A root with a service whose fingerprint matches and one never migrated: neither needs the
    full comparison, so neither packaging nor the comparison module is imported."""
    from reqconv import fingerprint

    service = tmp_path / "apps" / "backend"
    service.mkdir(parents=True)
    (service / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (service / fingerprint.FILE_NAME).write_text(
        fingerprint.render(
            str(service),
            files=["pyproject.toml"],
            probed=[],
            folders=[],
            uv_version=None,
            in_sync=True,
        )
    )
    plugin = tmp_path / "plugins" / "acme"
    plugin.mkdir(parents=True)
    (plugin / "requirements.txt").write_text("alpha\n")
    for argv, expected in (
        (["check"], 0),
        (["check", "--format", "json"], 0),
        (["check", "--require-migrated"], 1),
    ):
        code, modules = _imports_of(argv, tmp_path)
        assert code == expected, argv
        assert not {"typer", "packaging", "reqconv.drift.codes", "pathlib"} & modules, argv
        if "json" not in argv:  # json needs re; the naming rule does not
            assert "re" not in modules, argv
    # The same root with the plugin's requirements in a [project]: compared in full.
    (plugin / "pyproject.toml").write_text('[project]\nname = "acme"\nversion = "0"\n')
    code, modules = _imports_of(["check"], tmp_path)
    assert code == 1  # alpha is not in pyproject
    assert "reqconv.drift.codes" in modules


def test_check_without_a_fingerprint_runs_the_comparison_without_typer(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (tmp_path / "requirements.txt").write_text("alpha\n")
    code, modules = _imports_of(["check", "--format", "github", "."], tmp_path)
    assert code == 1  # alpha is not in pyproject
    assert "reqconv.drift.codes" in modules
    # what this service has no use for: no Dockerfile to rewrite, no uv to run, nothing to write
    unused = {"typer", "reqconv.uv", "tempfile", "uuid", "difflib"}
    unused |= {f"reqconv.docker.{m}" for m in ("rewrite", "model", "reasons", "dockerignore")}
    assert not unused & modules


@pytest.mark.parametrize(
    "argv", [["check", "--help"], ["check", "--format", "xml", "."], ["check", "--bogus"]]
)
def test_check_arguments_it_does_not_know_go_through_typer(argv: list[str], tmp_path: Path) -> None:
    code, modules = _imports_of(argv, tmp_path)
    assert "typer" in modules
    assert code == (0 if "--help" in argv else 2)


def test_check_options_reach_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from reqconv.commands import check

    seen: list[check.CheckOptions] = []
    monkeypatch.setattr(check, "run", _recorder(seen))
    assert _exit_code(["check", "--strict", "--format=json", "-q", str(tmp_path), "b"]) == 0
    (options,) = seen
    assert options == check.CheckOptions(
        paths=(tmp_path, Path("b")), format="json", strict=True, quiet=True
    )
    seen.clear()
    assert _exit_code(["check", "--require-migrated", "--strict", str(tmp_path)]) == 0
    assert seen == [
        check.CheckOptions(paths=(tmp_path,), strict=True, require_migrated=True),
    ]


def test_check_help_names_require_migrated(capsys: pytest.CaptureFixture[str]) -> None:
    """typer declares the option too (``--help``, and arguments the lean reader leaves to it)."""
    assert _exit_code(["check", "--help"]) == 0
    assert "--require-migrated" in capsys.readouterr().out


def _options_of(command: str) -> set[str]:
    import typer
    from typer.core import TyperGroup

    app = cli.app
    assert isinstance(app, typer.Typer)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return {opt for param in group.commands[command].params for opt in param.opts}


def test_the_options_the_readme_promises_every_command_takes() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    said = " ".join(readme.split())
    commands = ["convert", "lock", "docker", "check", "add", "remove"]
    assert [c for c in commands if f"| `reqconv {c} " in readme] == commands  # the README's table
    assert "Every command takes `--json` (a machine report; for `check`, the same as" in said
    assert "and `--quiet`. Every command but `check`, which only reads, takes `--check`" in said
    assert "`convert`, `docker`, `add` and `remove` also take `--dry-run`" in said
    for command in commands:
        options = _options_of(command)
        assert {"--json", "--quiet"} <= options, command
        assert ("--check" in options) == (command != "check"), command
        assert ("--dry-run" in options) == (command in {"convert", "docker", "add", "remove"})


@pytest.mark.parametrize("lean", [True, False], ids=["without-typer", "typer"])
def test_check_json_is_format_json(
    lean: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    (tmp_path / "requirements.txt").write_text("alpha\n")
    if not lean:  # what typer parses when check's own reader hands the arguments on
        monkeypatch.setattr(cli, "_lean_check", lambda args: None)
    assert _exit_code(["check", "--format", "json", str(tmp_path)]) == 1
    expected = capsys.readouterr().out
    assert '"code": "R101"' in expected

    assert _exit_code(["check", "--json", str(tmp_path)]) == 1
    assert capsys.readouterr().out == expected
    assert _exit_code(["check", "--json", "--format", "json", str(tmp_path)]) == 1
    assert capsys.readouterr().out == expected


def test_check_json_with_another_format_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(["check", "--json", "--format", "github", str(tmp_path)]) == 2
    assert "--json is --format json, not --format github" in capsys.readouterr().err


def test_the_full_check_turns_the_garbage_collector_back_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full comparison runs without the cyclic GC; a caller's process gets it back."""
    import gc

    seen: list[bool] = []

    def run_check(*args: Any, **kwargs: Any) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(cli, "_run_check", run_check)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "svc"\nversion = "1"\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "."])
    assert exit_info.value.code == 0
    assert seen == [False]
    assert gc.isenabled()
