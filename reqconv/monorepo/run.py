"""One task per service, run in parallel across processes (``-j``), each heard of as it goes.

A task is a module-level function (pickled by name) taking one job and returning a
``ServiceReport``; it catches its own errors (a failed service is a report, never an exception),
so one service failing leaves the others to finish. With one worker the tasks run in this
process, one after another; with more, in a ``ProcessPoolExecutor`` of *spawned* processes (a
fork would copy whatever threads and locks this process holds). A task says which stage it is in
(``stage``), through a queue when it runs in a worker; the caller hears each stage and each
finished report through ``on_event``, in this process.
"""

from __future__ import annotations

import os
import queue as queue_module
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from reqconv import fs
from reqconv.frozen import frozen
from reqconv.monorepo.report import Detail, ServiceReport

if TYPE_CHECKING:
    import multiprocessing.queues

__all__ = ["Event", "Job", "run_all", "stage", "workers_for"]


class Job(Protocol):
    @property
    def root(self) -> Path: ...


J = TypeVar("J", bound=Job)


@frozen
class Event:
    """A service entered a stage (``planning``, ``locking``, ...), or is done (``report`` set)."""

    path: Path
    stage: str
    report: ServiceReport | None = None


# Where ``stage`` sends its news (at most one): a callback in this process, or the queue of a
# worker's parent.
_posts: list[Callable[[Path, str], None]] = []


def stage(path: Path, name: str) -> None:
    """Tell whoever runs the tasks that the service in ``path`` entered stage ``name``."""
    for post in _posts:
        post(path, name)


def _init_worker(events: multiprocessing.queues.Queue[tuple[Path, str]]) -> None:
    # Ctrl-C is the parent's to handle: it stops each worker once, with SIGTERM, which a worker's
    # transaction turns into a rollback of its service (fs.terminate_as_interrupt). A second
    # signal in the middle of that rollback would leave the service half restored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _posts[:] = [lambda path, name: events.put((path, name))]


# Set in a worker once a task of it was interrupted: the services queued to it never start.
_interrupted: list[bool] = []


def _guarded(task: Callable[[J], ServiceReport], job: J) -> ServiceReport:
    """``task(job)`` in a worker, unless an earlier task there was interrupted (SIGTERM from the
    parent): ProcessPoolExecutor hands a worker its next queued job even then."""
    if _interrupted:
        raise KeyboardInterrupt
    try:
        return task(job)
    except KeyboardInterrupt:
        _interrupted.append(True)
        raise


def workers_for(asked: int | None, services: int) -> int:
    """How many processes: ``-j N`` (default: the core count), never more than the cores or the
    services, at least one."""
    cores = os.cpu_count() or 1
    return max(1, min(asked or cores, cores, services))


def _drain(
    events: multiprocessing.queues.Queue[tuple[Path, str]], on_event: Callable[[Event], None]
) -> None:
    while True:
        try:
            path, name = events.get_nowait()
        except queue_module.Empty:
            return
        on_event(Event(path, name))


def _broken(job: Job, error: BaseException) -> ServiceReport:
    """A worker that died (killed, out of memory): the service failed, exit 4."""
    return ServiceReport(
        path=job.root,
        status="failed",
        exit_code=4,
        details=[Detail(severity="error", message=f"the worker process failed: {error!r}")],
    )


def run_all(
    task: Callable[[J], ServiceReport],
    jobs: Sequence[J],
    *,
    workers: int,
    on_event: Callable[[Event], None],
    tick: Callable[[], None] = lambda: None,
) -> list[ServiceReport]:
    """``task(job)`` for every job, ``workers`` at a time; the reports in the jobs' order.

    ``tick`` is called about ten times a second while workers run (a progress display's clock).
    """
    if workers <= 1:
        _posts[:] = [lambda path, name: on_event(Event(path, name))]
        try:
            reports = []
            for job in jobs:
                report = task(job)
                on_event(Event(job.root, "done", report))
                reports.append(report)
            return reports
        finally:
            _posts.clear()
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    events: multiprocessing.queues.Queue[tuple[Path, str]] = context.Queue()
    results: dict[int, ServiceReport] = {}
    with (
        fs.terminate_as_interrupt(),  # SIGTERM/SIGHUP stop the workers as Ctrl-C does
        ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(events,)
        ) as pool,
    ):
        try:
            futures: dict[Future[ServiceReport], int] = {
                pool.submit(_guarded, task, job): i for i, job in enumerate(jobs)
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(events, on_event)
                tick()
                for future in done:
                    index = futures[future]
                    try:
                        report = future.result()
                    except Exception as e:  # BrokenProcessPool: the worker died
                        report = _broken(jobs[index], e)
                    results[index] = report
                    on_event(Event(jobs[index].root, "done", report))
        except KeyboardInterrupt:
            # Each worker rolls its own service back on SIGTERM; queued services never start.
            for child in multiprocessing.active_children():
                child.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    _drain(events, on_event)  # the workers have exited: what they said has all arrived
    events.close()
    return [results[i] for i in range(len(jobs))]
