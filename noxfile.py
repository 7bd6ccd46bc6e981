"""Development sessions: tests, tests-newest, tests-lowest, lint, typecheck, docs, bench, bench-docker,
mutation."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, golden and integration tests (real uv, local index, no network)."""
    session.install("-e", ".[test]")
    session.env["REQCONV_REQUIRE_UV"] = "1"
    session.run("pytest", *session.posargs)


@nox.session(name="tests-newest", venv_backend="none")
def tests_newest(session: nox.Session) -> None:
    """The suite without Docker, every dependency at its newest release (fresh, not uv.lock)."""
    session.run("bash", "scripts/test-env.sh", "newest", *session.posargs, external=True)


@nox.session(name="tests-lowest", venv_backend="none")
def tests_lowest(session: nox.Session) -> None:
    """The suite without Docker, at the lowest versions pyproject.toml allows (lowest-direct)."""
    session.run("bash", "scripts/test-env.sh", "lowest", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, the tests and this file."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Every file example and printed run of the docs is what reqconv produces today (local
    index, offline); ``-- --network`` also reruns the run against PyPI, ``-- --update`` rewrites
    stale runs."""
    session.install("-e", ".[test]")
    session.run("python", "docs/check_docs.py", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Whole-process timings (medians); see bench/README in docs/benchmarks.md."""
    session.install("-e", ".")
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(name="bench-docker")
def bench_docker(session: nox.Session) -> None:
    """Real image builds: the backend fixture's pip Dockerfile against the rewritten one, then
    the C-extension fixture single-stage against ``--multi-stage`` (bench/multistage_bench.py).

    Needs root and Docker: runs scripts/docker-setup.sh first (for this session's uv version), then
    writes the table into docs/benchmarks.md. The first run downloads the wheels (PyPI) with
    ``pip download``, which a uv-made session has no pip for until it is installed.

    ``nox -s bench-docker -- --index pypi``: the backend's builds against the real PyPI instead of
    the wheels on loopback (needs the network; its own section of docs/benchmarks.md); the
    multi-stage bench, loopback only, is skipped then.
    """
    session.install("-e", ".", "pip")
    python = f"{session.bin}/python"
    session.run("bash", "scripts/docker-setup.sh", env={"PYTHON": python}, external=True)
    session.run("python", "bench/docker_bench.py", *session.posargs)
    args = " ".join(session.posargs)
    if "--index pypi" in args or "--index=pypi" in args:
        session.log("--index pypi: bench/multistage_bench.py (loopback only) not run")
        return
    session.run("python", "bench/multistage_bench.py", *_multistage_args(session.posargs))


def _multistage_args(posargs: list[str]) -> list[str]:
    """The options of ``bench-docker`` that bench/multistage_bench.py takes too (``--runs``,
    ``--no-write``); the backend bench's own (``--compile-analysis``, ``--index``) are not its."""
    kept: list[str] = []
    args = iter(posargs)
    for arg in args:
        if arg == "--runs":
            kept += [arg, next(args, "3")]
        elif arg.startswith("--runs=") or arg == "--no-write":
            kept.append(arg)
    return kept


@nox.session
def mutation(session: nox.Session) -> None:
    """mutmut over the pure core that parses and compares ([tool.mutmut] in pyproject.toml; the
    score and what survives: docs/reliability.md). About 5 minutes on 2 cores; not in CI."""
    session.install("-e", ".[test]", "mutmut==3.8.1")
    session.run("mutmut", "run", "--max-children", "2", *session.posargs)
    session.run("mutmut", "results")
