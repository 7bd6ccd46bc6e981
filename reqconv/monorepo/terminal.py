"""The terminal of a run over many services: the only importer of ``rich``.

What the terminal can show is decided once (``Terminal.detect``): color when ``--color always``, or
with ``auto`` (the default) when the stream is a terminal and ``NO_COLOR`` is unset
(https://no-color.org); a live progress display (services done / total, the one in each stage) on
stderr only when stderr is a terminal that takes color, a plain line per finished service when it
is a terminal without (``NO_COLOR``, ``--color never``), and nothing when it is not a terminal (CI
logs stay clean). ``--quiet`` and ``--json`` show no progress. ``reqconv check``'s fast path never
imports this module.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, TextIO

from reqconv.frozen import frozen
from reqconv.monorepo.report import COLUMNS

if TYPE_CHECKING:
    import rich.progress

    from reqconv.monorepo.run import Event

__all__ = ["ColorChoice", "Progress", "Terminal", "table"]

ColorChoice = Literal["auto", "always", "never"]

_STYLES = {
    "failed": "bold red",
    "would change": "yellow",
    "converted": "green",
    "locked": "green",
    "rewritten": "green",
}


def _color(choice: ColorChoice, stream: TextIO, env: Mapping[str, str]) -> bool:
    if choice != "auto":
        return choice == "always"
    if env.get("NO_COLOR"):  # no-color.org: set and not empty
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@frozen(kw_only=True)
class Terminal:
    """What a run shows: ``color`` on stdout, and its ``progress`` on stderr."""

    color: bool = False
    progress: Literal["live", "lines", "none"] = "none"
    stream: TextIO = field(default=sys.stderr, repr=False)

    @classmethod
    def detect(
        cls,
        choice: ColorChoice,
        *,
        quiet: bool = False,
        json: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> Terminal:
        env = os.environ if env is None else env
        err_tty = bool(getattr(sys.stderr, "isatty", None) and sys.stderr.isatty())
        progress: Literal["live", "lines", "none"] = "none"
        if err_tty and not quiet and not json:
            progress = "live" if _color(choice, sys.stderr, env) else "lines"
        return cls(color=_color(choice, sys.stdout, env), progress=progress, stream=sys.stderr)

    def progress_for(self, total: int) -> Progress:
        return Progress(total, self)


class Progress:
    """Services done / total and what is under way, while a run goes (a context manager)."""

    def __init__(self, total: int, terminal: Terminal) -> None:
        self._total = total
        self._done = 0
        self._terminal = terminal
        self._stages: dict[Path, str] = {}
        self._finished: set[Path] = set()
        self._live: rich.progress.Progress | None = None
        self._task: rich.progress.TaskID | None = None

    def __enter__(self) -> Progress:
        if self._terminal.progress == "live":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as Live

            console = Console(file=self._terminal.stream, force_terminal=True, highlight=False)
            # rich's refresh thread keeps the spinner and the clock going while a service locks
            # (the workers are spawned, not forked: no thread is copied into them); stdout is
            # left alone.
            self._live = Live(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                refresh_per_second=8,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._task = self._live.add_task("services", total=self._total)
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _describe(self) -> str:
        if not self._stages:
            return "services"
        path, stage = next(reversed(self._stages.items()))
        more = f" (+{len(self._stages) - 1} more)" if len(self._stages) > 1 else ""
        return f"{stage} {path.as_posix()}{more}"

    def event(self, event: Event) -> None:
        """A service entered a stage or finished."""
        if event.report is None:
            if event.path not in self._finished:  # a worker's news can come after its report
                self._stages[event.path] = event.stage
        else:
            self._finished.add(event.path)
            self._stages.pop(event.path, None)
            self._done += 1
            if self._terminal.progress == "lines":
                self._terminal.stream.write(
                    f"reqconv: {self._done}/{self._total} {event.path.as_posix()}: "
                    f"{event.report.status}\n"
                )
                self._terminal.stream.flush()
        if self._live is not None and self._task is not None:
            self._live.update(self._task, completed=self._done, description=self._describe())
            self._live.refresh()

    def tick(self) -> None:
        if self._live is not None:
            self._live.refresh()


def table(rows: Sequence[Sequence[str]], *, color: bool) -> str:
    """The summary table (``report.COLUMNS``), its status column in color when ``color``."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=1000,  # no wrapping: a log keeps one line per service
        highlight=False,
        emoji=False,
    )
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for column in COLUMNS:
        grid.add_column(column.upper(), no_wrap=True)
    for row in rows:
        cells = [Text(cell) for cell in row]
        if color:
            cells[1].stylize(_STYLES.get(row[1], ""))
        grid.add_row(*cells)
    console.print(grid)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")
