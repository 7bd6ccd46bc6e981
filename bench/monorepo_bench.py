"""``reqconv convert --all`` on 8 services: ``-j 2`` against ``-j 1``, whole-process medians.

Run it as ``python bench/monorepo_bench.py [--runs N] [--services N] [--packages N]``, or call
``main()`` (``nox -s bench`` does, through ``bench/run.py``). Each service is a requirements file
of direct dependencies from one generated local ``file://`` index (bench/lock_bench.py's chain of
packages), converted and locked from scratch on every run (everything convert wrote is removed
first), offline with a warm uv cache. The result is the ratio ``-j 2`` / ``-j 1``: below 1 when
the services' runs overlap. It is printed, never asserted (the machines are shared).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make reqconv and the test builders importable
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lock_bench import bench_env, chain_index  # type: ignore[import-not-found]  # noqa: E402

from reqconv import uv  # noqa: E402

MADE = ("pyproject.toml", "uv.lock", "requirements.lock", ".reqconv-fingerprint")


def build_monorepo(root: Path, services: int, packages: int) -> tuple[Path, Path]:
    """A flat index of ``packages`` names and ``services`` service folders under ``root/repo``
    (``apps/svc-N``), each depending on its own slice of the names; returns (index page, repo)."""
    page = chain_index(root, packages)
    repo = root / "repo"
    for n in range(services):
        service = repo / "apps" / f"svc-{n}"
        service.mkdir(parents=True)
        names = range(n, packages, max(1, services))
        (service / "requirements.txt").write_text("".join(f"pkg{i:04d}>=1.0\n" for i in names))
    return page, repo


def _clean(repo: Path) -> None:
    for service in (repo / "apps").iterdir():
        for name in MADE:
            (service / name).unlink(missing_ok=True)


def median_seconds(argv: Sequence[str], *, repo: Path, env: Mapping[str, str], runs: int) -> float:
    """Median wall time of ``runs`` runs after one warm-up, each from requirements files only."""
    times = []
    for attempt in range(runs + 1):
        _clean(repo)
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=repo, env=dict(env), capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(
                f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout.decode()}"
                f"{result.stderr.decode()}"
            )
        if attempt:
            times.append(elapsed)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Measure and print; returns ``monorepo-j1``, ``monorepo-j2`` (seconds) and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--services", type=int, default=8)
    parser.add_argument("--packages", type=int, default=200)
    args = parser.parse_args([] if argv is None else argv)

    uv_bin = uv.find_uv()
    version = uv.uv_version(uv_bin)
    with tempfile.TemporaryDirectory(prefix="reqconv-monorepo-bench-") as tmp:
        page, repo = build_monorepo(Path(tmp), args.services, args.packages)
        env = bench_env(uv_bin, page, Path(tmp) / "cache")
        base = [sys.executable, "-m", "reqconv", "convert", "--all", "--no-docker", "--quiet"]
        one = median_seconds([*base, "-j", "1", "."], repo=repo, env=env, runs=args.runs)
        two = median_seconds([*base, "-j", "2", "."], repo=repo, env=env, runs=args.runs)
    ratio = two / one
    print(
        f"\nreqconv convert --all, {args.services} services ({args.packages}-package index, "
        f"uv {version}, {args.runs} runs each, medians)"
    )
    print(f"{'-j 1':<28}{one:>9.3f}s")
    print(f"{'-j 2':<28}{two:>9.3f}s")
    print(f"{'ratio -j 2 / -j 1':<28}{ratio:>10.2f}")
    return {"monorepo-j1": one, "monorepo-j2": two, "monorepo-ratio": ratio}


if __name__ == "__main__":
    main(sys.argv[1:])
