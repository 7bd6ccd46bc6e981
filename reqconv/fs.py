"""The only module that writes files.

Reads keep the encoding, BOM and newline style so that a write can restore them; writes are atomic
(temp file in the target's folder, fsync, ``os.replace``) and happen only when the bytes change.
``Transaction`` snapshots files before a multi-step change and restores every one byte for byte (and
removes the files it created) when any step fails. ``folder_lock`` keeps two reqconv processes from
changing one service at the same time.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType

from reqconv.errors import BusyError, InputError, Location
from reqconv.frozen import frozen

__all__ = [
    "FOLDER_WAIT",
    "TextFile",
    "Transaction",
    "atomic_write",
    "folder_lock",
    "folder_locks",
    "read_bytes",
    "read_text",
    "terminate_as_interrupt",
    "write_if_changed",
]


@frozen
class TextFile:
    """A decoded text file. ``text`` uses ``\\n`` newlines; ``encode`` restores the original form."""

    path: Path
    text: str
    newline: str = "\n"
    encoding: str = "utf-8"  # codec name for ``str.encode``
    bom: bytes = b""

    def encode(self, text: str) -> bytes:
        """``text`` (with ``\\n`` newlines) in this file's encoding, BOM and newline style."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return self.bom + text.encode(self.encoding)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(path: Path, data: bytes) -> TextFile:
    """Decode bytes read from ``path``: UTF-8 (BOM or not), UTF-16 with a BOM; keep the newline style."""
    bom, encoding = b"", "utf-8"
    for candidate, name in _BOMS:
        if data.startswith(candidate):
            bom, encoding = candidate, name
            break
    try:
        text = data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"cannot decode as {encoding}: {e.reason} (save the file as UTF-8)",
            Location(path, line),
        ) from e
    newline = "\n"
    if "\r\n" in text:
        newline = "\r\n"
    elif "\r" in text:
        newline = "\r"
    if newline != "\n":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return TextFile(path=path, text=text, newline=newline, encoding=encoding, bom=bom)


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a missing or unreadable file is an ``InputError``."""
    try:
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", Location(path)) from e


def read_text(path: Path) -> TextFile:
    """Read and decode ``path``; a missing or unreadable file is an ``InputError``."""
    return decode(path, read_bytes(path))


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, ``os.replace``.

    A failure (read-only folder, full disk) is an ``InputError`` naming the file; the target is
    then as it was.
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _new_file_mode()
    try:
        import tempfile  # writers only: `reqconv check` reads

        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise InputError(f"cannot write: {e.strerror or e}", Location(path)) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise InputError(f"cannot write: {e.strerror or e}", Location(path)) from e
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ (the mtime stays when they match). True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data)
    return True


class Transaction:
    """Snapshot files, change them, and restore them all if anything fails.

    ``track(path)`` records a file's bytes (or its absence) before anything, reqconv or uv, changes
    it. Leaving the ``with`` block by an exception (including ``KeyboardInterrupt``) restores every
    tracked file byte for byte and removes the ones that did not exist before.
    """

    def __init__(self) -> None:
        self._before: dict[Path, bytes | None] = {}
        self._signals: contextlib.AbstractContextManager[None] = contextlib.nullcontext()

    def track(self, path: Path) -> None:
        path = path.absolute()
        if path in self._before:
            return
        try:
            self._before[path] = path.read_bytes()
        except FileNotFoundError:
            self._before[path] = None

    def write(self, path: Path, data: bytes) -> bool:
        """Track ``path``, then ``write_if_changed``."""
        self.track(path)
        return write_if_changed(path, data)

    def rollback(self) -> list[Path]:
        """Restore every tracked file; go on past a file that cannot be restored (read-only
        mount) and return those, so that one failure does not leave the others changed."""
        failed = []
        for path, data in self._before.items():
            try:
                if data is None:
                    if path.exists():
                        path.unlink()
                else:
                    write_if_changed(path, data)
            except (OSError, InputError):
                failed.append(path)
        return failed

    def __enter__(self) -> Transaction:
        self._signals = terminate_as_interrupt()
        self._signals.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                self.rollback()
        finally:
            self._signals.__exit__(None, None, None)


# SIGTERM: a cancelled CI job, `timeout`, `docker stop`; SIGHUP: the terminal went away.
_TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP unwind as Ctrl-C does, so that a ``Transaction`` restores every file.

    Their default ends Python on the spot, with pyproject.toml, uv.lock and the exports half new.
    Only the main thread may set handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in _TERMINATING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


# Folders this process holds a lock on (resolved path -> depth): a nested ``folder_lock`` of the
# same folder (a command that locks, then a step that locks again) must not wait on itself, since a
# second flock on another descriptor of the same folder would block until the first is released.
_held: dict[Path, int] = {}
_held_guard = threading.Lock()

# How often a waiting process tries again; flock has no timeout of its own.
_POLL_SECONDS = 0.1

#: How long a run waits for another one on the same service by default: long enough for its lock
#: against a slow index, short enough that a stuck CI job does not wait for ever.
FOLDER_WAIT = 600.0


@contextlib.contextmanager
def folder_lock(
    folder: Path, *, timeout: float, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` while the block runs; wait up to ``timeout`` seconds.

    ``flock`` on a descriptor of the folder itself, not on a lock file: nothing is created in the
    user's tree (no stray ``.lock`` to commit or to clean up), and the kernel releases the lock when
    the holder exits in any way, ``kill -9`` included, so a crashed run never blocks the next. Both
    Linux and macOS lock directory descriptors. The lock is advisory: it orders reqconv processes,
    not editors. ``on_wait`` is called once when the folder is busy, before waiting. Waiting longer
    than ``timeout`` is a ``BusyError``; nothing has been read or written by then.
    """
    key = folder.resolve()
    with _held_guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; the runs are not serialized there
        yield
        return
    try:
        fd = os.open(key, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as e:
        raise InputError(f"cannot open the folder: {e.strerror or e}", Location(folder)) from e
    try:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait is not None:
                    on_wait()
                waited = True
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"another reqconv run is changing this service and did not finish within "
                        f"{timeout:g} s; nothing was changed. Run again when it is done (or give "
                        "--wait more seconds)",
                        Location(folder),
                    ) from None
                time.sleep(_POLL_SECONDS)
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)  # releases the flock


@contextlib.contextmanager
def folder_locks(
    folders: Iterable[Path],
    *,
    timeout: float = FOLDER_WAIT,
    on_wait: Callable[[Path], None] | None = None,
) -> Iterator[None]:
    """``folder_lock`` on each existing folder of ``folders``, taken in one order (sorted resolved
    paths), so that two runs over overlapping sets of services cannot wait on each other."""
    with contextlib.ExitStack() as stack:
        for folder in sorted({f.resolve() for f in folders if f.is_dir()}):
            notice = (lambda f=folder: on_wait(f)) if on_wait is not None else None
            stack.enter_context(folder_lock(folder, timeout=timeout, on_wait=notice))
        yield
