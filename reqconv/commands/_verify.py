"""``--verify``'s report, shared by ``reqconv docker`` and ``convert`` (no subcommand of its own):
the builds run in ``reqconv.docker.verify``; this prints each Dockerfile's table and failure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from reqconv.commands import Output
from reqconv.errors import VerifyError

if TYPE_CHECKING:
    from collections.abc import Callable

    from reqconv.docker.plan import ServicePlan
    from reqconv.docker.verify import Verification
    from reqconv.service import ServiceConversion

__all__ = ["reported_on_failure", "require_engine", "service_verifier", "verify_plans"]


def verify_plans(
    plans: Sequence[ServicePlan], build_args: Sequence[str], out: Output, *, quiet: bool
) -> list[Verification]:
    """``--verify``: build every rewritten Dockerfile and its original, print each table (and
    why a rewrite failed); ``DockerEngineError`` (exit 3) before any build without an engine."""
    from reqconv.docker.engine import find_engine
    from reqconv.docker.verify import failure_text, render, verify_plan

    engine = find_engine()
    verified: list[Verification] = []

    def started(path: Path) -> None:
        if not quiet:
            out.err(f"{path.as_posix()}: building the original and the rewrite ({engine.client})")

    for plan in plans:
        for verification in verify_plan(engine, plan, build_args=build_args, on_start=started):
            verified.append(verification)
            if not quiet:
                out.out(render(verification))
            if not verification.ok:
                out.err(failure_text(verification))
    return verified


def require_engine(enabled: bool) -> None:
    """With ``enabled`` (``--verify`` that writes): ``DockerEngineError`` (exit 3, saying what
    to do) unless a Docker engine answers."""
    if enabled:
        from reqconv.docker.engine import find_engine

        find_engine()


def service_verifier(
    enabled: bool, build_args: Sequence[str], out: Output, quiet: bool
) -> Callable[[ServiceConversion], bool] | None:
    """``convert --verify``'s hook for ``service.write`` (None without ``enabled``): verify a
    service's planned Dockerfiles (its lock just written) and keep them on the service
    (``verified``); True when every rewrite passed."""
    if not enabled:
        return None

    def verify(planned: ServiceConversion) -> bool:
        if planned.docker is None:
            return True
        planned.verified = verify_plans([planned.docker], build_args, out, quiet=quiet)
        return all(v.ok for v in planned.verified)

    return verify


@contextmanager
def reported_on_failure(report: Callable[[], None], enabled: bool) -> Iterator[None]:
    """With ``enabled`` (``--json``), run ``report`` (the report with the builds' figures) when
    ``--verify``'s ``VerifyError`` passes through, before cli.py prints it and exits 1."""
    try:
        yield
    except VerifyError:
        if enabled:
            report()
        raise
