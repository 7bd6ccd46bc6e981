"""`reqconv convert` (stub: being built)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reqconv.commands import Output, WriteMode


@dataclass(frozen=True, kw_only=True, slots=True)
class ConvertOptions:
    paths: tuple[Path, ...]
    main: Path | None = None
    groups: tuple[str, ...] = ()  # NAME=FILE
    dev_style: Literal["groups", "extras"] | None = None
    lock: bool = True
    docker: bool = True
    export_groups: tuple[str, ...] = ()
    offline: bool = False
    mode: WriteMode = WriteMode()


def run(options: ConvertOptions, out: Output) -> int:
    raise NotImplementedError
