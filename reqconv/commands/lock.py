"""`reqconv lock` (stub: being built)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reqconv.commands import Output, WriteMode


@dataclass(frozen=True, kw_only=True, slots=True)
class LockOptions:
    paths: tuple[Path, ...]
    export_groups: tuple[str, ...] = ()
    pylock: bool = False
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()
    offline: bool = False
    mode: WriteMode = WriteMode()


def run(options: LockOptions, out: Output) -> int:
    raise NotImplementedError
