"""The real-world trees beside the checkout: ``../shared/corpus`` and ``../shared/services``.

A test over them carries ``needs(folder)``. When the folder is missing it fails under ``CI`` (a run
that skipped the corpus would pass without checking the figures the README quotes, as a missing uv
or Docker engine already fails), and skips elsewhere, saying where the folder was looked for
(tests/conftest.py). Parameters read from a tree go through ``params``, so that a missing tree
leaves one placeholder to fail or skip, not an empty list whose test vanishes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
SERVICES = SHARED / "services"


def in_ci() -> bool:
    """``CI`` is set, as every CI service sets it (``CI=true``), and not to a false value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def needs(folder: Path) -> pytest.MarkDecorator:
    """The test reads ``folder``: without it, fail under CI, else skip with the reason."""
    return pytest.mark.needs_tree(folder)


def missing(folder: Path) -> str | None:
    """Why a test that needs ``folder`` cannot run, or ``None`` when it can."""
    if folder.is_dir():
        return None
    return f"{folder} is missing (the shared trees must be beside the checkout)"


def params(values: Iterable[object], folder: Path, *, arity: int = 1) -> list[object]:
    """``values``, or one placeholder parameter when ``folder`` is missing."""
    if folder.is_dir():
        return list(values)
    return [pytest.param(*([None] * arity), id=f"no-{folder.name}")]
