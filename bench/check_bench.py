"""``reqconv check`` against ``uv lock --check --offline`` on one locked ~150-package service.

Run it as ``python bench/check_bench.py [--runs N] [--packages N]``, or call ``main()`` (``nox -s
bench`` does, through ``bench/run.py``). The service is made by ``reqconv convert`` from a
requirements file against a local ``file://`` index (offline, warm cache), so it has what a migrated
service has: pyproject.toml, uv.lock, requirements.lock and the ``.reqconv-fingerprint`` the lock
step records. The two commands run alternately in one session (so that a noisy neighbour slows both
alike); whole-process medians, start-up included. Goal: reqconv's check at most half of uv's.

Also measured, to show where the time goes: the full comparison (the fingerprint removed; goal
150 ms), the bare interpreter (``python -c pass``, the floor of any Python command) and ``python -X
importtime`` of the fast path and of the full comparison.

And a monorepo root (issue 19): four services converted from requirement files naming different
packages of the same index, plus a plugin never migrated (requirements files and a pip
Dockerfile). ``reqconv check .`` at the root, alternating with ``uv lock --check --offline`` in each
of the four; goal: reqconv's check at most half of the sum of uv's four.
"""

from __future__ import annotations

import argparse
import os
import resource
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

from bench.lock_bench import bench_env, chain_index  # noqa: E402
from reqconv import fingerprint, uv  # noqa: E402

TARGET_RATIO = 0.5
TARGET_FULL_SECONDS = 0.150
MONOREPO_SERVICES = ("apps/backend", "apps/worker", "apps/scheduler", "plugins/public/file-manager")
UNMIGRATED = "plugins/private/acme"


def build_service(root: Path, packages: int) -> tuple[Path, Path]:
    """A flat index of ``packages`` names (each depending on the next three) and a service whose
    requirements.txt names every fifth; returns (index page, service folder, not yet converted)."""
    page = chain_index(root, packages)
    service = root / "service"
    service.mkdir()
    (service / "requirements.txt").write_text(
        "".join(f"pkg{i:04d}>=1.0\n" for i in range(0, packages, 5))
    )
    return page, service


def build_monorepo(root: Path, packages: int) -> list[Path]:
    """Four services (requirements naming every fifth package, from a different offset each) and
    one never migrated; returns the four, not yet converted."""
    services = []
    for offset, name in enumerate(MONOREPO_SERVICES):
        service = root / name
        service.mkdir(parents=True)
        (service / "requirements.txt").write_text(
            "".join(f"pkg{i:04d}>=1.0\n" for i in range(offset, packages, 5))
        )
        services.append(service)
    plugin = root / UNMIGRATED
    plugin.mkdir(parents=True)
    (plugin / "requirements.txt").write_text("pkg0001>=1.0\npkg0002>=1.0\n")
    (plugin / "Dockerfile").write_text(
        "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    return services


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> float:
    return _times(argv, cwd, env)[0]


def _times(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run: on a loaded machine the CPU time moves
    much less with the neighbours' load than the wall time does."""
    cpu = _cpu()
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr.decode()}"
        )
    return elapsed, cpu


def alternating_medians(
    commands: Mapping[str, Sequence[str]], *, cwd: Path, env: Mapping[str, str], runs: int
) -> dict[str, float]:
    """Median wall time of each command, run in turn ``runs`` times after one warm-up round, and
    its median CPU time as ``cpu:NAME``."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for attempt in range(runs + 1):
        for name, argv in commands.items():
            elapsed, cpu = _times(argv, cwd, env)
            if attempt:
                times[name].append(elapsed)
                cpus[name].append(cpu)
    medians = {name: statistics.median(values) for name, values in times.items()}
    medians.update({f"cpu:{name}": statistics.median(values) for name, values in cpus.items()})
    return medians


def _importtime(argv: Sequence[str], cwd: Path, env: Mapping[str, str], top: int = 8) -> list[str]:
    """The slowest imports (cumulative microseconds) of one run under ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _self, cumulative, name = line.removeprefix("import time:").split("|", 2)
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name[1:]))  # nested imports keep their indent
    total = sum(cumulative for cumulative, name in rows if not name.startswith(" "))
    lines = [f"all imports {total / 1000:.1f} ms"]
    for cumulative, name in sorted(rows, reverse=True)[:top]:
        lines.append(f"{cumulative / 1000:6.1f} ms  {name.strip()}")
    return lines


def monorepo_medians(
    reqconv: Path, uv_bin: Path, root: Path, env: Mapping[str, str], runs: int
) -> dict[str, float]:
    """``reqconv check .`` at the root against ``uv lock --check --offline`` in each migrated
    service, all in turn; medians, and the sum of uv's."""
    services = build_monorepo(root, 150)
    for service in services:
        _time([str(reqconv), "convert", "--no-docker", "--quiet", str(service)], service, env)
        assert (service / fingerprint.FILE_NAME).is_file(), "convert recorded no fingerprint"
    commands: dict[str, Sequence[str]] = {"root-reqconv": [str(reqconv), "check", "--quiet", "."]}
    for service in services:
        relative = service.relative_to(root).as_posix()
        commands[f"root-uv {relative}"] = [
            str(uv_bin),
            "lock",
            "--check",
            "--offline",
            "--directory",
            str(service),
        ]
    medians = alternating_medians(commands, cwd=root, env=env, runs=runs)
    uv_sum = sum(v for k, v in medians.items() if k.startswith("root-uv "))
    uv_cpu = sum(v for k, v in medians.items() if k.startswith("cpu:root-uv "))
    return {
        **medians,
        "root-uv-sum": uv_sum,
        "root-ratio": medians["root-reqconv"] / uv_sum,
        "cpu:root-uv-sum": uv_cpu,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Measure and print; returns seconds and ``check-ratio`` (reqconv / uv, fast path)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--packages", type=int, default=150)
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also run the full comparison with the reqconv package found in DIR (e.g. `git "
        "archive REV reqconv | tar -x -C DIR`), in turn with this tree's, both as `python -c`",
    )
    args = parser.parse_args([] if argv is None else argv)

    uv_bin = uv.find_uv()
    version = uv.uv_version(uv_bin)
    reqconv = Path(sys.executable).with_name("reqconv")  # the console script pre-commit runs
    with tempfile.TemporaryDirectory(prefix="reqconv-check-bench-") as tmp:
        page, service = build_service(Path(tmp), args.packages)
        env = bench_env(uv_bin, page, Path(tmp) / "cache")
        env.pop("PYTHONPATH", None)  # the installed reqconv, as a user runs it
        _time([str(reqconv), "convert", "--no-docker", "--quiet", str(service)], service, env)
        locked = (service / "uv.lock").read_text().count("[[package]]")
        stamp = service / fingerprint.FILE_NAME
        assert stamp.is_file(), "convert recorded no fingerprint"

        check = [str(reqconv), "check", "--quiet", "."]
        uv_check = [str(uv_bin), "lock", "--check", "--offline"]
        fast = alternating_medians(
            {
                "check-reqconv": check,
                "check-uv": uv_check,
                "check-python-floor": [sys.executable, "-c", "pass"],
                # pip's console-script template imports `re` before reqconv: the floor of any
                # `reqconv` command installed by pip (pre-commit's hook environments are)
                "check-script-floor": [sys.executable, "-c", "import re, sys"],
            },
            cwd=service,
            env=env,
            runs=args.runs,
        )
        breakdown = _importtime(
            ["-c", "from reqconv.cli import main; main()", "check", "."], service, env
        )
        saved = stamp.read_bytes()
        stamp.unlink()
        full_commands: dict[str, Sequence[str]] = {
            "check-reqconv-full": check,
            "check-uv-again": uv_check,
        }
        if args.baseline is not None:
            for name, tree in (("this-tree", ROOT), ("baseline", args.baseline.resolve())):
                full_commands[f"check-full-{name}"] = [
                    sys.executable,
                    "-c",
                    f"import sys; sys.path.insert(0, {str(tree)!r}); "
                    "from reqconv.cli import main; main()",
                    "check",
                    ".",
                ]
        full = alternating_medians(full_commands, cwd=service, env=env, runs=args.runs)
        full_breakdown = _importtime([str(reqconv), "check", "."], service, env, top=12)
        stamp.write_bytes(saved)
        monorepo = Path(tmp) / "monorepo"
        root = monorepo_medians(reqconv, uv_bin, monorepo, env, args.runs)

    ratio = fast["check-reqconv"] / fast["check-uv"]
    results = {**fast, **full, **root, "check-ratio": ratio}
    results["check-ratio-full"] = full["check-reqconv-full"] / full["check-uv-again"]
    results["check-floor-ratio"] = fast["check-python-floor"] / fast["check-uv"]
    results["check-script-floor-ratio"] = fast["check-script-floor"] / fast["check-uv"]
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
    print(
        f"check bench: uv {version}, {locked} locked packages, alternating medians of {args.runs}"
    )
    print(f"  uv lock --check --offline      {fast['check-uv'] * 1000:7.1f} ms")
    print(f"  reqconv check (fingerprint)    {fast['check-reqconv'] * 1000:7.1f} ms")
    print(f"  ratio                          {ratio:7.2f}   target <= {TARGET_RATIO}  {verdict}")
    print(
        f"  python -c pass (the floor)     {fast['check-python-floor'] * 1000:7.1f} ms"
        f"  = {results['check-floor-ratio']:.2f} of uv's"
    )
    print(
        f"  python -c 'import re, sys'     {fast['check-script-floor'] * 1000:7.1f} ms"
        f"  = {results['check-script-floor-ratio']:.2f} of uv's (pip's console-script start)"
    )
    print(
        f"  reqconv check, full comparison {full['check-reqconv-full'] * 1000:7.1f} ms"
        f"  (uv {full['check-uv-again'] * 1000:.1f} ms, ratio {results['check-ratio-full']:.2f})"
    )
    print(
        f"    its CPU time (user + system) {full['cpu:check-reqconv-full'] * 1000:7.1f} ms"
        f"  (python -c pass: {fast['cpu:check-python-floor'] * 1000:.1f} ms)"
    )
    if args.baseline is not None:
        for name in ("this-tree", "baseline"):
            print(
                f"    {name:10s} (python -c)    {full[f'check-full-{name}'] * 1000:7.1f} ms,"
                f" CPU {full[f'cpu:check-full-{name}'] * 1000:.1f} ms"
            )
    full_verdict = "ok" if full["check-reqconv-full"] <= TARGET_FULL_SECONDS else "OVER"
    print(f"  full comparison target         {TARGET_FULL_SECONDS * 1000:7.1f} ms  {full_verdict}")
    root_verdict = "ok" if root["root-ratio"] <= TARGET_RATIO else "OVER"
    print(
        f"  monorepo root: {len(MONOREPO_SERVICES)} migrated services + 1 not migrated "
        f"({UNMIGRATED})"
    )
    for name, seconds in root.items():
        if name.startswith("root-uv "):
            print(f"    uv lock --check --offline in {name[8:]:28s} {seconds * 1000:7.1f} ms")
    print(
        f"    sum of uv's four                                {root['root-uv-sum'] * 1000:7.1f} ms"
    )
    print(
        f"    reqconv check . at the root                     {root['root-reqconv'] * 1000:7.1f} ms"
    )
    print(
        f"    CPU time: reqconv {root['cpu:root-reqconv'] * 1000:.1f} ms, "
        f"uv's four {root['cpu:root-uv-sum'] * 1000:.1f} ms"
    )
    print(
        f"    ratio                                           {root['root-ratio']:7.2f}"
        f"   target <= {TARGET_RATIO}  {root_verdict}"
    )
    print("  imports of the fast path (python -X importtime):")
    for line in breakdown:
        print(f"    {line}")
    print("  imports of the full comparison:")
    for line in full_breakdown:
        print(f"    {line}")
    return results


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main(sys.argv[1:])
