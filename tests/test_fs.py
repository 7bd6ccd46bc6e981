from __future__ import annotations

import codecs
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reqconv import fs
from reqconv.errors import BusyError, InputError


@pytest.mark.parametrize(
    ("data", "encoding", "newline", "bom"),
    [
        pytest.param(b"a\nb\n", "utf-8", "\n", b"", id="utf8-lf"),
        pytest.param(b"a\r\nb\r\n", "utf-8", "\r\n", b"", id="utf8-crlf"),
        pytest.param(codecs.BOM_UTF8 + b"a\nb\n", "utf-8", "\n", codecs.BOM_UTF8, id="utf8-bom"),
        pytest.param(
            codecs.BOM_UTF16_LE + "a\r\nb\r\n".encode("utf-16-le"),
            "utf-16-le",
            "\r\n",
            codecs.BOM_UTF16_LE,
            id="utf16-bom-crlf",
        ),
    ],
)
def test_decode_then_encode_round_trips_bytes(
    data: bytes, encoding: str, newline: str, bom: bytes
) -> None:
    tf = fs.decode(Path("x"), data)
    assert tf.text == "a\nb\n"
    assert (tf.encoding, tf.newline, tf.bom) == (encoding, newline, bom)
    assert tf.encode(tf.text) == data


def test_encode_applies_original_newline_to_new_lines() -> None:
    tf = fs.decode(Path("x"), b"a\r\n")
    assert tf.encode("a\nb\n") == b"a\r\nb\r\n"


def test_undecodable_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"ok\n\xff\xfe\xfd bad\n"[0:3] + b"\xc3\x28\n")
    with pytest.raises(InputError, match=r"r\.txt:2: cannot decode"):
        fs.read_text(path)


def test_missing_file_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        fs.read_text(tmp_path / "nope.txt")


def test_write_if_changed_leaves_identical_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"same")
    os.utime(path, (1, 1))
    assert fs.write_if_changed(path, b"same") is False
    assert path.stat().st_mtime == 1
    assert fs.write_if_changed(path, b"new") is True
    assert path.read_bytes() == b"new"


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old")
    path.chmod(0o640)
    fs.atomic_write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_atomic_write_new_file_honours_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fs.atomic_write(tmp_path / "n", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n").stat().st_mode) == 0o644


def test_transaction_restores_and_removes_on_failure(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.write_bytes(b"original\r\n")
    created = tmp_path / "created"

    def change_then_fail() -> None:
        with fs.Transaction() as tx:
            tx.write(kept, b"changed")
            tx.write(created, b"new")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        change_then_fail()
    assert kept.read_bytes() == b"original\r\n"
    assert not created.exists()


def test_transaction_keeps_changes_on_success(tmp_path: Path) -> None:
    path = tmp_path / "f"
    with fs.Transaction() as tx:
        assert tx.write(path, b"x") is True
    assert path.read_bytes() == b"x"


def test_write_failure_names_the_file(tmp_path: Path) -> None:
    missing_folder = tmp_path / "gone" / "f"
    with pytest.raises(InputError, match=r"gone/f: cannot write"):
        fs.atomic_write(missing_folder, b"x")


def test_rollback_goes_on_past_a_file_it_cannot_restore(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "first", tmp_path / "second"
    first.parent.mkdir()
    first.write_bytes(b"1")
    second.write_bytes(b"2")
    tx = fs.Transaction()
    tx.write(first, b"changed")
    tx.write(second, b"changed")
    shutil.rmtree(first.parent)
    first.parent.write_bytes(b"a file where the folder was: first cannot be restored, even by root")
    assert tx.rollback() == [first.absolute()]
    assert second.read_bytes() == b"2"


def test_sigterm_inside_a_transaction_restores_files(tmp_path: Path) -> None:
    import signal

    path = tmp_path / "f"
    path.write_bytes(b"before")

    def terminated() -> None:
        with fs.Transaction() as tx:
            tx.write(path, b"after")
            os.kill(os.getpid(), signal.SIGTERM)

    with pytest.raises(KeyboardInterrupt):
        terminated()
    assert path.read_bytes() == b"before"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def _hold_lock_in_child(folder: Path, ready: Path) -> subprocess.Popen[bytes]:
    """A second process that takes ``fs.folder_lock`` on ``folder`` and keeps it until killed."""
    code = (
        "import sys, time, pathlib\n"
        "from reqconv import fs\n"
        "with fs.folder_lock(pathlib.Path(sys.argv[1]), timeout=5):\n"
        "    pathlib.Path(sys.argv[2]).touch()\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(folder), str(ready)])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert child.poll() is None, "the child exited before it held the lock"
        assert time.monotonic() < deadline, "the child never took the lock"
        time.sleep(0.02)
    return child


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_folder_lock_held_by_another_process_times_out_with_a_clear_error(tmp_path: Path) -> None:
    child = _hold_lock_in_child(tmp_path, tmp_path.parent / f"{tmp_path.name}.ready")
    waits: list[str] = []
    try:
        with (
            pytest.raises(BusyError, match="another reqconv run is changing this service") as info,
            fs.folder_lock(tmp_path, timeout=0.3, on_wait=lambda: waits.append("waiting")),
        ):
            pytest.fail("the lock was taken while another process held it")
    finally:
        child.kill()
        child.wait()
    assert waits == ["waiting"]  # told once, not once per poll
    assert info.value.exit_code == 3
    assert str(tmp_path) in str(info.value)


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_folder_lock_is_free_again_once_its_holder_is_killed(tmp_path: Path) -> None:
    child = _hold_lock_in_child(tmp_path, tmp_path.parent / f"{tmp_path.name}.ready")
    child.kill()  # SIGKILL: no cleanup code runs; the kernel drops the flock
    child.wait()
    with fs.folder_lock(tmp_path, timeout=5):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lock file left behind


def test_folder_lock_nests_in_one_process(tmp_path: Path) -> None:
    with fs.folder_lock(tmp_path, timeout=0.1), fs.folder_lock(tmp_path / ".", timeout=0.1):
        pass
    with fs.folder_lock(tmp_path, timeout=0.1):  # released after the outer block
        pass


def test_folder_lock_of_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with (
        pytest.raises(InputError, match="cannot open the folder"),
        fs.folder_lock(tmp_path / "nope", timeout=0.1),
    ):
        pass
