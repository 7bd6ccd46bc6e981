"""What uv checks in the hash modes the Docker rewrite chooses between (real uv, local wheels).

A lock with an entry that has no hash (a git source or a local folder) is synced without
``--require-hashes``, which refuses it; these tests show that uv then still verifies every hash
the lock does list, and that the flag is what refuses the unhashed entry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reqconv.errors import UvError
from tests._builders import make_wheel
from tests.integration.conftest import UvEnv

pytestmark = pytest.mark.uv


def _setup(uv_env: UvEnv, tmp_path: Path, alpha_hash: str | None = None) -> Path:
    wheels = tmp_path / "wheels"
    alpha = make_wheel(wheels, "alpha-hm", "1.0")
    beta = make_wheel(tmp_path / "local", "beta-hm", "1.0")
    digest = alpha_hash or hashlib.sha256(alpha.read_bytes()).hexdigest()
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        f"alpha-hm==1.0 \\\n    --hash=sha256:{digest}\n"
        f"beta-hm @ {beta.as_uri()}\n"  # no hash, as uv export writes a git source
    )
    uv_env.run("venv", "--no-project", str(tmp_path / "venv"), cwd=tmp_path)
    return lock


def _sync(uv_env: UvEnv, tmp_path: Path, *flags: str) -> str:
    return uv_env.run(
        "pip", "sync", *flags, "--python", str(tmp_path / "venv"),
        "--find-links", str(tmp_path / "wheels"), "requirements.lock",
        cwd=tmp_path,
    )  # fmt: skip


def test_require_hashes_refuses_a_lock_with_an_unhashed_entry(
    uv_env: UvEnv, tmp_path: Path
) -> None:
    _setup(uv_env, tmp_path)
    with pytest.raises(UvError) as caught:
        _sync(uv_env, tmp_path, "--require-hashes")
    assert "all requirements must have a hash" in str(caught.value)
    assert "beta-hm" in str(caught.value)


def test_without_the_flag_the_same_lock_installs(uv_env: UvEnv, tmp_path: Path) -> None:
    _setup(uv_env, tmp_path)
    _sync(uv_env, tmp_path)
    installed = uv_env.run("pip", "list", "--python", str(tmp_path / "venv"), cwd=tmp_path)
    assert "alpha-hm" in installed
    assert "beta-hm" in installed


def test_without_the_flag_a_listed_hash_is_still_checked(uv_env: UvEnv, tmp_path: Path) -> None:
    _setup(uv_env, tmp_path, alpha_hash="0" * 64)
    with pytest.raises(UvError) as caught:
        _sync(uv_env, tmp_path)
    assert "alpha-hm" in str(caught.value)
    assert "hash" in str(caught.value).lower()
