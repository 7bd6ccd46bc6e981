"""uv.py: argv builders as pure data, uv.lock reading, and the run seam against fake executables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from reqconv import uv
from reqconv.errors import UvError, UvNotFoundError
from reqconv.model import LockedPackage, LockedRequirement
from tests._builders import fake_executable

UV = Path("/opt/uv/bin/uv")
PROJECT = Path("/srv/app")

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake uv is a POSIX shell script")


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie nobody reaps, as under a container's init, is dead)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat_file = Path(f"/proc/{pid}/stat")
        if stat_file.exists() and stat_file.read_text().rsplit(")", 1)[-1].split()[0] == "Z":
            return False
        time.sleep(0.05)
    return True


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


# --------------------------------------------------------------------------------------------
# argv builders


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, [], id="plain"),
        pytest.param({"locked": True}, ["--locked"], id="locked"),
        pytest.param({"upgrade": True}, ["--upgrade"], id="upgrade"),
        pytest.param(
            {"upgrade_packages": ["fastapi", "idna"]},
            ["--upgrade-package", "fastapi", "--upgrade-package", "idna"],
            id="upgrade-packages",
        ),
        pytest.param({"offline": True}, ["--offline"], id="offline"),
    ],
)
def test_build_lock_argv(kwargs: dict[str, object], expected: list[str]) -> None:
    argv = uv.build_lock_argv(UV, PROJECT, **kwargs)  # type: ignore[arg-type]
    assert argv == [str(UV), "lock", "--project", str(PROJECT), *expected]


_EXPORT = [
    str(UV),
    "export",
    "--project",
    str(PROJECT),
    "--frozen",
    "--no-default-groups",
    "--no-emit-project",
]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            {"output": None},
            [*_EXPORT, "--format", "requirements.txt", "--no-header"],
            id="production-to-stdout",
        ),
        pytest.param(
            {"output": PROJECT / "requirements.lock"},
            [
                *_EXPORT,
                "--format",
                "requirements.txt",
                "--no-header",
                "--output-file",
                str(PROJECT / "requirements.lock"),
            ],
            id="production-to-file",
        ),
        pytest.param(
            {"output": None, "groups": ["dev"]},
            [*_EXPORT, "--format", "requirements.txt", "--no-header", "--group", "dev"],
            id="main-plus-group",
        ),
        pytest.param(
            {"output": None, "extras": ["dev"], "offline": True},
            [
                *_EXPORT,
                "--format",
                "requirements.txt",
                "--no-header",
                "--extra",
                "dev",
                "--offline",
            ],
            id="main-plus-extra",
        ),
        pytest.param(
            {"output": None, "fmt": "pylock.toml"},
            [*_EXPORT, "--format", "pylock.toml", "--no-header"],
            id="pylock",
        ),
    ],
)
def test_build_export_argv(kwargs: dict[str, object], expected: list[str]) -> None:
    assert uv.build_export_argv(UV, PROJECT, **kwargs) == expected  # type: ignore[arg-type]


def test_argv_never_carries_credentials_even_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UV_INDEX_PRIVATE_PASSWORD", "s3cret")
    argv = uv.build_lock_argv(UV, PROJECT) + uv.build_export_argv(UV, PROJECT, output=None)
    assert not any("s3cret" in arg for arg in argv)


# --------------------------------------------------------------------------------------------
# read_lock

SAMPLE_LOCK = textwrap.dedent(
    """\
    version = 1
    revision = 3
    requires-python = ">=3.11"

    [[package]]
    name = "Alpha_Pkg"
    version = "1.0"
    source = { registry = "https://pypi.org/simple" }
    sdist = { url = "https://files/alpha-1.0.tar.gz", hash = "sha256:aaa", size = 10 }
    wheels = [
        { url = "https://files/alpha-1.0-py3-none-any.whl", hash = "sha256:bbb", size = 10 },
    ]

    [[package]]
    name = "kappa"
    version = "1.0"
    source = { git = "https://github.com/org/kappa?tag=v1#0123abc" }

    [[package]]
    name = "svc"
    version = "0.1.0"
    source = { virtual = "." }
    dependencies = [{ name = "alpha-pkg" }]
    """
)


def test_read_lock_reads_names_versions_sources_and_hashes() -> None:
    summary = uv.read_lock(SAMPLE_LOCK)
    assert summary.requires_python == ">=3.11"
    assert summary.packages == (
        LockedPackage(
            name="alpha-pkg",  # type: ignore[arg-type]
            version="1.0",
            source="registry",
            hashes=("sha256:aaa", "sha256:bbb"),
        ),
        LockedPackage(name="kappa", version="1.0", source="git"),  # type: ignore[arg-type]
        LockedPackage(
            name="svc",  # type: ignore[arg-type]
            version="0.1.0",
            source="virtual",
            root=True,
            dependencies=(("alpha-pkg", ()),),  # type: ignore[arg-type]
        ),
    )
    assert summary.version_of("alpha-pkg") == "1.0"


def test_read_lock_of_an_empty_lock() -> None:
    assert uv.read_lock("version = 1\n").packages == ()


def test_read_lock_rejects_invalid_toml() -> None:
    with pytest.raises(UvError, match="not valid TOML"):
        uv.read_lock("[[package]\n")


# --------------------------------------------------------------------------------------------
# run


def test_run_returns_stdout(tmp_path: Path) -> None:
    assert uv.run(python("print('locked')"), cwd=tmp_path) == "locked\n"


def test_run_uses_cwd_and_env(tmp_path: Path) -> None:
    code = "import os; print(os.getcwd(), os.environ['REQCONV_PROBE'])"
    out = uv.run(python(code), cwd=tmp_path, env={**os.environ, "REQCONV_PROBE": "yes"})
    assert out.split() == [str(tmp_path.resolve()), "yes"]


def test_run_failure_carries_argv_status_and_redacted_stderr(tmp_path: Path) -> None:
    code = """\
        import sys
        sys.stderr.write("error: cannot reach https://bob:hunter2@pypi.corp/simple\\n")
        sys.exit(2)
        """
    argv = [*python(code), "--index", "https://bob:hunter2@pypi.corp/simple"]
    with pytest.raises(UvError) as excinfo:
        uv.run(argv, cwd=tmp_path)
    error = excinfo.value
    assert error.returncode == 2
    assert error.exit_code == 3
    assert "https://***@pypi.corp/simple" in error.stderr
    assert "https://***@pypi.corp/simple" in error.argv
    assert "hunter2" not in str(error)


@posix_only
def test_run_timeout_stops_uv_and_its_children(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    script = fake_executable(tmp_path / "uv", f'sleep 30 &\necho $! > "{pidfile}"\nwait\n')
    started = time.monotonic()
    with pytest.raises(UvError, match=r"timed out after 0\.5 s") as excinfo:
        uv.run([str(script), "lock"], cwd=tmp_path, timeout=0.5)
    assert time.monotonic() - started < 10
    assert excinfo.value.returncode is not None
    assert not alive(int(pidfile.read_text()))


@posix_only
def test_run_reports_a_kill_by_signal(tmp_path: Path) -> None:
    script = fake_executable(tmp_path / "uv", "kill -9 $$\n")
    with pytest.raises(UvError, match="killed by SIGKILL") as excinfo:
        uv.run([str(script), "lock"], cwd=tmp_path)
    assert excinfo.value.returncode == -9


def test_run_missing_binary_is_uv_not_found(tmp_path: Path) -> None:
    with pytest.raises(UvNotFoundError, match="pip install") as excinfo:
        uv.run([str(tmp_path / "nowhere" / "uv"), "lock"], cwd=tmp_path)
    assert excinfo.value.exit_code == 3


@posix_only
def test_run_unexecutable_file_is_a_uv_error(tmp_path: Path) -> None:
    path = tmp_path / "uv"
    path.write_text("not a program")
    with pytest.raises(UvError, match="cannot run"):
        uv.run([str(path), "lock"], cwd=tmp_path)


def test_stale_lock_is_told_apart_from_other_failures() -> None:
    stale = UvError(
        "failed",
        stderr="error: The lockfile at `uv.lock` needs to be updated, but `--locked` was\n"
        "       provided.\n",
    )
    missing = UvError(
        "failed", stderr="error: Unable to find lockfile at `uv.lock`, but `--locked` was provided."
    )
    unsolvable = UvError("failed", stderr="error: No solution found when resolving dependencies")
    assert uv.is_stale_lock_error(stale)
    assert uv.is_stale_lock_error(missing)
    assert not uv.is_stale_lock_error(unsolvable)


# --------------------------------------------------------------------------------------------
# find_uv and uv_version


@posix_only
def test_find_uv_prefers_dollar_uv(tmp_path: Path) -> None:
    script = fake_executable(tmp_path / "my-uv", "echo uv 0.13.9\n")
    assert uv.find_uv({"UV": str(script), "PATH": ""}) == script


def test_find_uv_dollar_uv_must_exist(tmp_path: Path) -> None:
    with pytest.raises(UvNotFoundError, match=r"\$UV is set to"):
        uv.find_uv({"UV": str(tmp_path / "missing")})


def test_find_uv_uses_the_uv_package() -> None:
    # uv is a runtime dependency: its package ships the binary.
    assert uv.find_uv({"PATH": ""}).name.startswith("uv")


@posix_only
def test_find_uv_falls_back_to_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uv", None)  # the uv package is not installed
    script = fake_executable(tmp_path / "uv", "echo uv 0.13.9\n")
    assert uv.find_uv({"PATH": str(tmp_path)}) == script


def test_find_uv_missing_everywhere_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uv", None)
    with pytest.raises(UvNotFoundError, match="pip install") as excinfo:
        uv.find_uv({"PATH": str(tmp_path)})
    assert excinfo.value.exit_code == 3


@posix_only
@pytest.mark.parametrize(
    ("output", "version"),
    [
        pytest.param("uv 0.13.9 (abc1234 2026-11-01)", "0.13.9", id="release"),
        pytest.param(f"uv {uv.MIN_UV_VERSION}", uv.MIN_UV_VERSION, id="minimum"),
    ],
)
def test_uv_version(tmp_path: Path, output: str, version: str) -> None:
    script = fake_executable(tmp_path / "uv", f'echo "{output}"\n')
    assert uv.uv_version(script) == version


@posix_only
def test_uv_version_too_old_names_the_minimum_and_the_upgrade(tmp_path: Path) -> None:
    script = fake_executable(tmp_path / "uv", 'echo "uv 0.4.30"\n')
    with pytest.raises(UvNotFoundError) as excinfo:
        uv.uv_version(script)
    message = str(excinfo.value)
    assert uv.MIN_UV_VERSION in message
    assert "uv self update" in message
    assert excinfo.value.exit_code == 3


@posix_only
def test_uv_version_of_something_else(tmp_path: Path) -> None:
    script = fake_executable(tmp_path / "uv", 'echo "Python 3.12"\n')
    with pytest.raises(UvNotFoundError, match="is not uv"):
        uv.uv_version(script)


def test_real_uv_is_recent_enough() -> None:
    assert uv.uv_version(uv.find_uv())


def test_run_drops_variables_that_would_override_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_FROZEN", "1")
    monkeypatch.setenv("UV_LOCKED", "1")
    monkeypatch.setenv("UV_NO_SOURCES", "1")
    monkeypatch.setenv("UV_INDEX_PRIVATE_PASSWORD", "kept")
    code = "import os; print(sorted(k for k in os.environ if k.startswith('UV_')))"
    out = uv.run(python(code), cwd=tmp_path)
    assert "UV_FROZEN" not in out
    assert "UV_LOCKED" not in out
    assert "UV_NO_SOURCES" not in out
    assert "UV_INDEX_PRIVATE_PASSWORD" in out


@posix_only
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_uv_starts_still_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    # Ctrl-C (or SIGTERM, which the lock step turns into one) landing inside Popen(): no Popen
    # object reached run(), so nothing stopped uv, which went on to write uv.lock after the
    # rollback. The signal now waits until run() holds the process, then stops it.
    pidfile = tmp_path / "uv.pid"
    script = fake_executable(tmp_path / "uv", f'echo $$ > "{pidfile}"\nsleep 30\n')
    real_popen = subprocess.Popen
    started: list[subprocess.Popen[str]] = []

    def popen_then_signal(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        process = real_popen(*args, **kwargs)
        started.append(process)
        os.kill(os.getpid(), sig)  # delivered before Popen() returns to run()
        return process

    monkeypatch.setattr(subprocess, "Popen", popen_then_signal)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            uv.run([str(script), "lock"], cwd=tmp_path, timeout=60)
    finally:
        signal.signal(signal.SIGTERM, previous)
    (process,) = started
    assert process.returncode is not None  # stopped and reaped by run()
    time.sleep(0.2)
    assert not pidfile.exists() or not alive(int(pidfile.read_text()))


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def test_export_argv_emits_index_urls_only_for_requirements_txt() -> None:
    argv = uv.build_export_argv(Path("uv"), Path("/svc"), output=None, emit_index_url=True)
    assert "--emit-index-url" in argv
    assert "--emit-index-url" not in uv.build_export_argv(Path("uv"), Path("/svc"), output=None)
    pylock = uv.build_export_argv(
        Path("uv"), Path("/svc"), output=None, fmt="pylock.toml", emit_index_url=True
    )
    assert "--emit-index-url" not in pylock


def test_run_gives_input_on_stdin_and_none_without_it(tmp_path: Path) -> None:
    echo = python("import sys; print(repr(sys.stdin.read()))")
    assert uv.run(echo, cwd=tmp_path, input="git+https://h/r.git\n") == "'git+https://h/r.git\\n'\n"
    assert uv.run(echo, cwd=tmp_path) == "''\n"


def test_name_argv_reads_stdin_without_dependencies() -> None:
    argv = uv.build_name_argv(Path("/bin/uv"), offline=True)
    assert argv[:3] == ["/bin/uv", "pip", "compile"]
    assert {"--no-deps", "--no-header", "--no-annotate", "-", "--offline"} <= set(argv)
    assert "--offline" not in uv.build_name_argv(Path("/bin/uv"))


@pytest.mark.parametrize(
    ("stdout", "name"),
    [
        ("kappa @ git+file:///r@5ec4d71a\n", "kappa"),
        ("My_Pkg[extra] @ https://h/main.zip\n    # via -r -\n", "my-pkg"),
        ("\n./local/folder\n", None),  # uv prints a path as written, without a name
        ("", None),
    ],
)
def test_name_from_compile(stdout: str, name: str | None) -> None:
    assert uv.name_from_compile(stdout) == name


def test_read_lock_reads_the_root_inputs_and_the_manifest() -> None:
    text = SAMPLE_LOCK + textwrap.dedent(
        """\

        [package.metadata]
        requires-dist = [
            { name = "alpha-pkg", extras = ["fast"], marker = "python_full_version >= '3.12'", specifier = ">=1" },
            { name = "kappa", git = "https://github.com/org/kappa?tag=v1" },
        ]

        [package.metadata.requires-dev]
        dev = [{ name = "kappa" }]

        [manifest]
        constraints = [{ name = "alpha-pkg", specifier = "<2" }]
        overrides = [{ name = "kappa", marker = "sys_platform == 'linux'" }]
        """
    )
    summary = uv.read_lock(text)
    root = summary.packages[-1]
    assert root.requires_dist == (
        LockedRequirement(
            name="alpha-pkg",  # type: ignore[arg-type]
            extras=("fast",),
            specifier=">=1",
            marker="python_full_version >= '3.12'",
        ),
        LockedRequirement(name="kappa", source="git"),  # type: ignore[arg-type]
    )
    kappa = LockedRequirement(name="kappa")  # type: ignore[arg-type]
    assert root.requires_dev == (("dev", (kappa,)),)
    alpha = LockedRequirement(name="alpha-pkg", specifier="<2")  # type: ignore[arg-type]
    assert summary.constraints == (alpha,)
    linux = LockedRequirement(name="kappa", marker="sys_platform == 'linux'")  # type: ignore[arg-type]
    assert summary.overrides == (linux,)


def test_lock_argv_for_check_strict() -> None:
    argv = uv.build_lock_argv(Path("/bin/uv"), Path("/p"), check=True, offline=True)
    assert argv == ["/bin/uv", "lock", "--project", "/p", "--check", "--offline"]
