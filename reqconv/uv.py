"""Everything reqconv asks of uv: find it, build its argv (pure), run it (the one seam), read uv.lock
(``read_lock``, from ``lock/uvlock.py``: reading a lock needs no subprocess).

The only importer of ``subprocess`` besides ``docker/engine.py`` (the Docker client of
``--verify``). Every failure (missing binary, exit status, signal, timeout) becomes a ``UvError``
whose argv and stderr went through ``redact``. Credentials reach uv through
the environment (``UV_INDEX_<NAME>_USERNAME`` / ``_PASSWORD``) and never through argv.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Literal

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from reqconv.errors import UvError, UvNotFoundError
from reqconv.lock.uvlock import read_lock
from reqconv.redact import redact_text

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIN_UV_VERSION",
    "OVERRIDING_VARIABLES",
    "ExportFormat",
    "Runner",
    "build_export_argv",
    "build_lock_argv",
    "build_name_argv",
    "find_uv",
    "is_stale_lock_error",
    "name_from_compile",
    "observed",
    "read_lock",
    "run",
    "uv_version",
]

#: The signature of ``run``: the seam tests replace with a fake uv (argv in, stdout out).
Runner = Callable[..., str]

# 0.6.15 is the first uv that takes ``--format requirements.txt`` verbatim (earlier releases only
# knew ``requirements-txt``) and the first whose ``uv export`` writes PEP 751 ``pylock.toml``
# (astral-sh/uv#12955, #12957). Everything else reqconv relies on is older: ``uv export`` with
# ``--no-emit-project`` and ``--frozen`` (0.4), named ``[[tool.uv.index]]`` with
# ``UV_INDEX_<NAME>_USERNAME``/``_PASSWORD`` (0.4.23), ``[dependency-groups]`` with ``--group``
# (0.4.27), ``[tool.uv] constraint-dependencies``, and ``--no-default-groups`` (0.5.x, #10618).
MIN_UV_VERSION = "0.6.15"

# Variables that would override what reqconv states in argv: whether `uv lock` locks or only
# checks (`UV_FROZEN=1` turns it into a validity check that never updates uv.lock; `UV_LOCKED=1`
# into `--check`), which groups an export holds, and whether [tool.uv.sources] counts at all
# (`UV_NO_SOURCES=1`, set for `uv build --no-sources`, locks path and git sources from the index).
# CI shells often set the first two for `uv sync`.
OVERRIDING_VARIABLES = frozenset(
    {
        "UV_FROZEN",
        "UV_LOCKED",
        "UV_NO_DEV",
        "UV_NO_GROUP",
        "UV_NO_DEFAULT_GROUPS",
        "UV_ONLY_GROUP",
        "UV_NO_SOURCES",
    }
)

# A lock of a large service against a slow private index takes minutes, not hours.
DEFAULT_TIMEOUT = 900.0

ExportFormat = Literal["requirements.txt", "pylock.toml"]

_INSTALL_HINT = (
    "reqconv depends on the `uv` package: reinstall reqconv (`pip install reqconv`), or "
    "`pip install -U uv`, or see https://docs.astral.sh/uv/getting-started/installation/; "
    "or point $UV at a uv binary"
)
_VERSION_RE = re.compile(r"^uv\s+(?P<version>\d+(?:\.\d+)*\S*)")
# `uv lock --locked` (and `--check`) on a lock that is missing or out of date; any other failure
# (resolution, network, bad pyproject) reports something else and exits with the same status 1.
_STALE_RE = re.compile(
    r"needs to be updated, but `--(?:locked|check)` was provided"
    r"|Unable to find lockfile at .*, but `--(?:locked|check)` was provided"
)


def find_uv(env: Mapping[str, str] | None = None) -> Path:
    """The uv binary, looked up as nox does: ``$UV``, the ``uv`` package's binary, then PATH."""
    env = os.environ if env is None else env
    explicit = env.get("UV")
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise UvNotFoundError(f"$UV is set to {explicit!r}, which is not an executable file")
    try:
        from uv import find_uv_bin

        return Path(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv", path=env.get("PATH"))
    if found is not None:
        return Path(found)
    raise UvNotFoundError(f"uv not found: {_INSTALL_HINT}")


def uv_version(uv: Path) -> str:
    """The version ``uv --version`` reports; one older than ``MIN_UV_VERSION`` is an error."""
    output = run([str(uv), "--version"], cwd=Path.cwd(), timeout=60)
    match = _VERSION_RE.match(output.strip())
    if match is None:
        raise UvNotFoundError(f"{uv} is not uv: `uv --version` printed {output.strip()!r}")
    version = match.group("version")
    try:
        too_old = Version(version) < Version(MIN_UV_VERSION)
    except InvalidVersion as e:
        raise UvNotFoundError(f"cannot read the version of {uv}: {version!r}") from e
    if too_old:
        raise UvNotFoundError(
            f"{uv} is uv {version}; reqconv needs uv {MIN_UV_VERSION} or newer: run "
            f"`uv self update` or `pip install -U 'uv>={MIN_UV_VERSION}'`, or point $UV at a newer uv"
        )
    return version


def build_lock_argv(
    uv: Path,
    project: Path,
    *,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    offline: bool = False,
    locked: bool = False,
    check: bool = False,
) -> list[str]:
    """``uv lock`` for the project in ``project``; ``locked`` (``--locked``) and ``check``
    (``--check``, what `reqconv check --strict` asks) only check, writing nothing."""
    argv = [str(uv), "lock", "--project", str(project)]
    if locked:
        argv.append("--locked")
    if check:
        argv.append("--check")
    if upgrade:
        argv.append("--upgrade")
    for name in upgrade_packages:
        argv += ["--upgrade-package", name]
    if offline:
        argv.append("--offline")
    return argv


def build_export_argv(
    uv: Path,
    project: Path,
    *,
    output: Path | None,
    groups: Sequence[str] = (),
    extras: Sequence[str] = (),
    fmt: ExportFormat = "requirements.txt",
    offline: bool = False,
    emit_index_url: bool = False,
    only_groups: Sequence[str] = (),
    hashes: bool = True,
) -> list[str]:
    """``uv export`` of what production installs (plus ``groups``/``extras``), from uv.lock as is.

    ``--no-default-groups`` rather than ``--no-dev`` alone: it drops ``dev`` *and* any other group
    named in ``[tool.uv] default-groups``. Each of ``groups`` is then added back with ``--group``,
    so a group's export holds the main dependencies plus the group, which is what a Docker dev stage
    installs with one ``uv pip sync`` (``--only-group`` would leave the main dependencies out).
    ``--no-header``: the caller writes its own header naming ``reqconv lock``. ``output=None``
    prints to stdout, so that reqconv writes the file itself (atomically, after its credential
    check) instead of letting uv write it in place.
    """
    argv = [
        str(uv),
        "export",
        "--project",
        str(project),
        "--frozen",
        "--no-default-groups",
        "--no-emit-project",
        "--format",
        fmt,
        "--no-header",
    ]
    for group in groups:
        argv += ["--group", group]
    for extra in extras:
        argv += ["--extra", extra]
    for group in only_groups:  # the group alone, as a pip-compiled group file holds it
        argv += ["--only-group", group]
    if not hashes:
        argv.append("--no-hashes")
    if emit_index_url and fmt == "requirements.txt":
        # A project with its own indexes: `uv pip sync` of the export (in an image, without the
        # pyproject) must look there, not on PyPI alone (a private name could be taken there).
        argv.append("--emit-index-url")
    if offline:
        argv.append("--offline")
    if output is not None:
        argv += ["--output-file", str(output)]
    return argv


def build_name_argv(uv: Path, *, offline: bool = False) -> list[str]:
    """``uv pip compile`` of the requirements text on stdin, without dependencies.

    For an unnamed ``git+...`` or archive URL uv fetches it (or reads it from its cache, where the
    lock finds it again), builds its metadata and prints ``name @ url``. The text arrives on stdin,
    so a credential in the URL never shows in argv.
    """
    argv = [str(uv), "pip", "compile", "--no-deps", "--no-header", "--no-annotate", "--quiet", "-"]
    if offline:
        argv.append("--offline")
    return argv


_NAME_AT_RE = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*@")


def name_from_compile(stdout: str) -> str | None:
    """The package name in ``uv pip compile``'s ``name @ url`` line; None when it printed none."""
    for line in stdout.splitlines():
        if line.strip() and not line.startswith(("#", " ", "-")):
            match = _NAME_AT_RE.match(line)
            return canonicalize_name(match.group(1)) if match else None
    return None


def is_stale_lock_error(error: UvError) -> bool:
    """True when ``uv lock --locked`` failed only because uv.lock is missing or out of date."""
    # uv wraps its messages to the terminal width: match on whitespace-collapsed text.
    return _STALE_RE.search(" ".join(error.stderr.split())) is not None


def _describe(argv: Sequence[str]) -> str:
    return " ".join(argv[:2]) if len(argv) > 1 else (argv[0] if argv else "uv")


def _signal_group(process: subprocess.Popen[str], sig: int) -> None:
    """Signal uv and everything it started (build backends, git): it leads its own group."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, sig)
        else:  # pragma: no cover - Windows has no process groups to signal; uv is alone
            process.send_signal(sig)
    except ProcessLookupError:
        pass


def _stop(process: subprocess.Popen[str]) -> None:
    """Terminate uv's process group, then kill it if it does not exit within a few seconds."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL if os.name == "posix" else signal.SIGTERM)
        process.wait()


_HELD_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM or SIGHUP arriving while uv starts: recorded, not raised inside Popen().

    An exception raised inside ``Popen()`` after the fork leaves no Popen object to stop uv with:
    uv (in its own session, out of reach of the terminal's Ctrl-C) went on locking and wrote
    uv.lock after the rollback. ``run`` raises ``KeyboardInterrupt`` for them once it holds uv.
    Signals this process ignores stay ignored.
    """
    held: list[int] = []
    previous: dict[int, Callable[[int, FrameType | None], object] | int | None] = {}
    if threading.current_thread() is not threading.main_thread():  # handlers are main's only
        yield held
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    try:
        for sig in _HELD_SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:
                previous[sig] = signal.signal(sig, hold)
        yield held
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _start(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    shown: tuple[str, ...],
    stdin: bool = False,
) -> subprocess.Popen[str]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            # Its own process group, so that a timeout or Ctrl-C stops uv *and* its children.
            start_new_session=os.name == "posix",
        )
    except FileNotFoundError as e:
        raise UvNotFoundError(
            f"cannot run {argv[0]}: {e.strerror or e}; {_INSTALL_HINT}", argv=shown
        ) from e
    except OSError as e:
        raise UvError(f"cannot run {argv[0]}: {e.strerror or e}", argv=shown) from e


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    input: str | None = None,
) -> str:
    """Run uv and return its stdout; any failure is a ``UvError`` (argv and stderr redacted).

    ``input``: text for uv's stdin (``-`` as a requirements file); without it stdin is empty.

    ``env`` (default: this process's) minus ``OVERRIDING_VARIABLES``; credentials such as
    ``UV_INDEX_<NAME>_PASSWORD`` pass through to uv in it, never in argv.
    """
    base = os.environ if env is None else env
    child_env = {k: v for k, v in base.items() if k not in OVERRIDING_VARIABLES}
    shown = tuple(redact_text(arg) for arg in argv)
    if not _observers:
        return _run(argv, shown, cwd=cwd, env=child_env, timeout=timeout, input=input)
    started = time.monotonic()
    try:
        return _run(argv, shown, cwd=cwd, env=child_env, timeout=timeout, input=input)
    finally:
        for observer in list(_observers):
            observer(shown, time.monotonic() - started)


#: Who hears of each uv run (its redacted argv and how long it took): ``--verbose``.
_observers: list[Callable[[tuple[str, ...], float], None]] = []


@contextlib.contextmanager
def observed(observer: Callable[[tuple[str, ...], float], None]) -> Iterator[None]:
    """``observer`` hears of every uv run (redacted argv, seconds) while the block runs."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def _run(
    argv: Sequence[str],
    shown: tuple[str, ...],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float | None,
    input: str | None,
) -> str:
    child_env = env
    with _signals_held() as held:
        process = _start(argv, cwd=cwd, env=child_env, shown=shown, stdin=input is not None)
    with process:
        try:
            if held:  # Ctrl-C (or SIGTERM) while uv started: now that it can be stopped
                raise KeyboardInterrupt
            stdout, stderr = process.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            _stop(process)
            stdout, stderr = process.communicate()
            raise UvError(
                f"`{_describe(shown)}` timed out after {timeout:g} s",
                argv=shown,
                returncode=process.returncode,
                stderr=redact_text(stderr or ""),
            ) from e
        except BaseException:  # KeyboardInterrupt above all: never leave uv running behind us
            _stop(process)
            raise
    if process.returncode < 0:
        try:
            name = signal.Signals(-process.returncode).name
        except ValueError:
            name = f"signal {-process.returncode}"
        raise UvError(
            f"`{_describe(shown)}` was killed by {name}",
            argv=shown,
            returncode=process.returncode,
            stderr=redact_text(stderr),
        )
    if process.returncode != 0:
        raise UvError(
            f"`{_describe(shown)}` failed",
            argv=shown,
            returncode=process.returncode,
            stderr=redact_text(stderr),
        )
    return stdout
