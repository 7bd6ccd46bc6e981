"""`reqconv docker` (stub: being built)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reqconv.commands import Output, WriteMode


@dataclass(frozen=True, kw_only=True, slots=True)
class DockerOptions:
    paths: tuple[Path, ...]
    dockerfiles: tuple[Path, ...] = ()
    mode: WriteMode = WriteMode()


def run(options: DockerOptions, out: Output) -> int:
    raise NotImplementedError
