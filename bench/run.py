"""Whole-process benchmarks (medians of N runs), rerunnable: ``nox -s bench`` or ``python bench/run.py``.

Measures what a user waits for, process start included:
- ``reqconv --version``;
- ``reqconv convert --no-lock --dry-run`` on a typical 50-line service and on a generated 2,000-line file;
- ``reqconv lock`` against ``uv lock`` alone on the same local-index project (bench/lock_bench.py);
- ``reqconv check`` against ``uv lock --check --offline`` on a locked ~150-package service
  (bench/check_bench.py; goal: a ratio of at most 0.5);
- ``reqconv convert --all`` on 8 services, ``-j 2`` against ``-j 1`` (bench/monorepo_bench.py;
  the ratio, below 1 when the services overlap).
Targets on the 2-core machines: 0.15 s, 0.3 s, 1.0 s, and reqconv's own overhead <= 20 % of the lock.
Never asserted in tests: timings are read here, by a person or CI's log.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"version": 0.15, "convert-50": 0.3, "convert-2000": 1.0}

_TYPICAL = """\
fastapi==0.115.6
uvicorn[standard]==0.34.0
pydantic==2.10.4
pydantic-settings>=2.6,<3
sqlalchemy==2.0.36
alembic~=1.14
psycopg[binary]==3.2.3 ; sys_platform == "linux"
httpx>=0.27  # health checks
python-multipart==0.0.20
redis==5.2.1
celery[redis]==5.4.0
boto3==1.35.90
structlog==24.4.0
sentry-sdk[fastapi]==2.19.2
orjson==3.10.12
tenacity==9.0.0
jinja2==3.1.5
passlib[bcrypt]==1.7.4
python-jose[cryptography]==3.3.0
email-validator==2.2.0
"""

_TYPICAL_DEV = """\
-r requirements.txt
pytest==8.3.4
pytest-asyncio>=0.24
pytest-cov==6.0.0
ruff==0.8.4
mypy==1.14.0
types-requests
factory-boy==3.3.1
freezegun==1.5.1
respx==0.22.0
"""


def _typical_service(root: Path) -> Path:
    """A 50-line service: requirements.txt (with an index and comments) + a dev file."""
    service = root / "svc50"
    service.mkdir()
    header = "# API service\n--index-url https://pypi.org/simple\n\n"
    body = _TYPICAL + "\n".join(f"# note {i}" for i in range(14)) + "\n"
    (service / "requirements.txt").write_text(header + body)
    (service / "requirements-dev.txt").write_text(_TYPICAL_DEV)
    return service


def _big_service(root: Path, lines: int = 2000) -> Path:
    """A generated 2,000-line requirements file: pins, ranges, extras, markers, hashes, comments."""
    service = root / "svc2000"
    service.mkdir()
    out = []
    for i in range(lines):
        kind = i % 10
        name = f"package-{i:04d}"
        if kind == 0:
            out.append(f"# section {i}")
        elif kind == 1:
            out.append(f"{name}[extra-a,extra-b]>=1.{i % 7},<3")
        elif kind == 2:
            out.append(f'{name}=={i % 9}.{i % 5}.0 ; python_version >= "3.9"')
        elif kind == 3:
            out.append(f"{name}~=2.{i % 4}")
        else:
            out.append(f"{name}=={i % 9}.{i % 5}.{i % 3}")
    (service / "requirements.txt").write_text("\n".join(out) + "\n")
    return service


def _reqconv() -> list[str]:
    exe = shutil.which("reqconv")
    return [exe] if exe else [sys.executable, "-m", "reqconv"]


def bench_environ() -> dict[str, str]:
    """The environment without UV_*/PIP_* and without PYTHONDONTWRITEBYTECODE.

    Users' installs have bytecode caches (pip compiles at install time; Python writes them on first
    import). Some shells, these machines' included, set PYTHONDONTWRITEBYTECODE=1, which makes every
    run compile every module from source (~0.15 s here): not what a user waits for. The warm-up run
    writes the caches.
    """
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_")) and k != "PYTHONDONTWRITEBYTECODE"
    }


def median_seconds(argv: Sequence[str], *, runs: int, cwd: Path | None = None) -> float:
    """Median wall time of ``runs`` whole-process runs (after one warm-up run)."""
    env = bench_environ()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(
                f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr.decode()}"
            )
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-lock-bench", action="store_true", help="skip the uv lock comparison")
    parser.add_argument(
        "--no-check-bench", action="store_true", help="skip the uv lock --check comparison"
    )
    parser.add_argument(
        "--no-monorepo-bench", action="store_true", help="skip convert --all -j 2 against -j 1"
    )
    parser.add_argument(
        "--check-baseline",
        metavar="DIR",
        help="check bench: also time the full comparison of the reqconv package in DIR",
    )
    args = parser.parse_args(argv)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        small, big = _typical_service(root), _big_service(root)
        cmd = _reqconv()
        results["version"] = median_seconds([*cmd, "--version"], runs=args.runs)
        convert = [*cmd, "convert", "--no-lock", "--dry-run", "--quiet"]
        results["convert-50"] = median_seconds([*convert, str(small)], runs=args.runs)
        results["convert-2000"] = median_seconds([*convert, str(big)], runs=max(5, args.runs // 3))
    print(f"{'benchmark':<28}{'median':>10}{'target':>10}")
    for name, value in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if value <= target else "OVER")
        print(f"{name:<28}{value:>9.3f}s{target or 0:>9.2f}s  {verdict}")
    if not args.no_lock_bench and (HERE / "lock_bench.py").exists():
        sys.path.insert(0, str(HERE))
        import lock_bench  # type: ignore[import-not-found]

        results.update(lock_bench.main())
    if not args.no_check_bench and (HERE / "check_bench.py").exists():
        sys.path.insert(0, str(HERE.parent))
        from bench import check_bench

        baseline = ["--baseline", args.check_baseline] if args.check_baseline else []
        results.update(check_bench.main(baseline))
    if not args.no_monorepo_bench and (HERE / "monorepo_bench.py").exists():
        sys.path.insert(0, str(HERE))
        import monorepo_bench  # type: ignore[import-not-found]

        results.update(monorepo_bench.main())
    return results


if __name__ == "__main__":
    main()
