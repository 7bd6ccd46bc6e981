"""``reqconv lock`` against ``uv lock`` alone: whole-process medians on a generated local-index project.

Run it as ``python bench/lock_bench.py [--runs N] [--packages N]``, or call ``main()`` (``nox -s
bench`` does, through ``bench/run.py``). Both commands resolve from scratch each run (uv.lock removed
first) against the same flat ``file://`` index with a warm uv cache, offline. reqconv's overhead is
everything it adds to the lock: Python start-up, ``uv --version``, the export, the credential scan
and the writes. Target: at most 20 % of the ``uv lock`` time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make reqconv and the test builders importable
    sys.path.insert(0, str(ROOT))

from reqconv import uv  # noqa: E402
from tests._builders import make_wheel, write_flat_index  # noqa: E402

TARGET_OVERHEAD_PCT = 20.0
VERSIONS = ("1.0", "1.1", "2.0")


def chain_index(root: Path, packages: int) -> Path:
    """A flat index in ``root/index`` of ``packages`` names, 3 versions each, each depending on the
    next three; returns its page."""
    index = root / "index"
    for i in range(packages):
        requires = [f"pkg{j:04d}>=1.0" for j in range(i + 1, min(i + 4, packages))]
        for version in VERSIONS:
            make_wheel(index, f"pkg{i:04d}", version, requires)
    return write_flat_index(index)


def build_project(root: Path, packages: int) -> tuple[Path, Path]:
    """A flat index of ``packages`` names (3 versions each, a chain of dependencies), and a project
    depending on a fifth of them; returns (index page, project folder)."""
    page = chain_index(root, packages)
    project = root / "service"
    project.mkdir()
    direct = "".join(f'    "pkg{i:04d}",\n' for i in range(0, packages, 5))
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "bench-service"
            version = "0.1.0"
            requires-python = ">={major}.{minor}"
            dependencies = [
            {direct}]

            [tool.uv]
            package = false
            """
        ).format(major=sys.version_info.major, minor=sys.version_info.minor, direct=direct)
    )
    return page, project


def bench_env(uv_bin: Path, page: Path, cache: Path) -> dict[str, str]:
    """The developer's environment without UV_*/PIP_*, pointed at the local index, offline."""
    # Without PYTHONDONTWRITEBYTECODE: users' installs have bytecode caches (see bench/run.py).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PIP_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        UV=str(uv_bin),
        UV_CACHE_DIR=str(cache),
        UV_NO_INDEX="1",
        UV_FIND_LINKS=page.as_uri(),
        UV_OFFLINE="1",
        UV_PYTHON_DOWNLOADS="never",
        UV_PYTHON=sys.executable,  # uv lock only reads it; nothing is installed into it
        UV_NO_PROGRESS="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    return env


Command = tuple[Sequence[str], Path, Sequence[Path]]  # argv, folder, files removed before each run


def alternating_medians(
    commands: Mapping[str, Command], *, env: Mapping[str, str], runs: int
) -> dict[str, float]:
    """Median wall time of each command, the commands run in turn ``runs`` times after one warm-up
    round (so that a noisy neighbour on these shared machines slows them alike); each command's
    files are removed before each of its runs, so that every lock starts from scratch."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for attempt in range(runs + 1):
        for name, (argv, cwd, clean) in commands.items():
            for path in clean:
                path.unlink(missing_ok=True)
            start = time.perf_counter()
            result = subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, check=False)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                raise SystemExit(
                    f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr.decode()}"
                )
            if attempt:  # the first round warms uv's cache and the OS's file cache
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def in_process_median(project: Path, env: Mapping[str, str], runs: int) -> float:
    """Median of ``commands.lock.run`` called in this process (no start-up, no imports)."""
    from reqconv.commands import CollectedOutput, WriteMode
    from reqconv.commands.lock import LockOptions, run

    options = LockOptions(paths=(project,), mode=WriteMode(quiet=True))
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        times = []
        for attempt in range(runs + 1):
            for name in ("uv.lock", "requirements.lock"):
                (project / name).unlink(missing_ok=True)
            start = time.perf_counter()
            run(options, CollectedOutput())
            if attempt:
                times.append(time.perf_counter() - start)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Measure and print; returns seconds (``lock-uv``, ``lock-reqconv`` and the parts of the
    difference) and ``lock-overhead-pct``. ``argv=None`` means defaults (not ``sys.argv``: bench/run.py calls this)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--packages", type=int, default=400)
    args = parser.parse_args([] if argv is None else argv)

    uv_bin = uv.find_uv()
    version = uv.uv_version(uv_bin)
    script = Path(sys.executable).with_name("reqconv")  # the installed console script
    if not script.is_file():
        raise SystemExit(f"no reqconv console script beside {sys.executable}: install reqconv")
    with tempfile.TemporaryDirectory(prefix="reqconv-lock-bench-") as tmp:
        page, project = build_project(Path(tmp), args.packages)
        env = bench_env(uv_bin, page, Path(tmp) / "cache")
        source_env = dict(env)  # the in-process breakdown imports reqconv from this tree
        env.pop("PYTHONPATH", None)  # the installed reqconv, as a user runs it
        lock_file = project / "uv.lock"
        exports = [project / "requirements.lock"]

        # `reqconv convert` (parse, write pyproject, lock, export) from a requirements file that
        # lists the same direct dependencies, against `uv lock` of the project it wrote.
        service = Path(tmp) / "req-service"
        service.mkdir()
        (service / "requirements.txt").write_text(
            "".join(f"pkg{i:04d}>=1.0\n" for i in range(0, args.packages, 5))
        )
        made = [service / "pyproject.toml", service / "uv.lock", service / "requirements.lock"]

        runs = args.runs
        # In this order each round: uv export reads the uv.lock `uv lock` just wrote, and `uv lock`
        # of the converted service reads the pyproject.toml convert just wrote.
        medians = alternating_medians(
            {
                "uv-lock": ([str(uv_bin), "lock", "--project", str(project)], project, [lock_file]),
                "uv-export": (uv.build_export_argv(uv_bin, project, output=None), project, []),
                "uv-version": ([str(uv_bin), "--version"], project, []),
                "cli-help": ([str(script), "lock", "--help"], project, []),
                "reqconv-lock": (
                    [str(script), "lock", "--quiet", str(project)],
                    project,
                    [lock_file, *exports],
                ),
                "reqconv-convert": (
                    [str(script), "convert", "--no-docker", "--quiet", str(service)],
                    service,
                    made,
                ),
                "uv-lock-converted": (
                    [str(uv_bin), "lock", "--project", str(service)],
                    service,
                    [service / "uv.lock"],
                ),
            },
            env=env,
            runs=runs,
        )
        lock_s, export_s, version_s = (
            medians["uv-lock"],
            medians["uv-export"],
            medians["uv-version"],
        )
        startup_s, reqconv_s = medians["cli-help"], medians["reqconv-lock"]
        convert_s, convert_lock_s = medians["reqconv-convert"], medians["uv-lock-converted"]
        in_process_s = in_process_median(project, source_env, runs)
        locked = sum(1 for line in lock_file.read_text().splitlines() if line == "[[package]]")

    overhead = (reqconv_s - lock_s) / lock_s * 100
    own = in_process_s - lock_s - export_s - version_s
    start_up = reqconv_s - in_process_s
    results = {
        "lock-uv": lock_s,
        "lock-export-uv": export_s,
        "lock-version-uv": version_s,
        "lock-cli-help": startup_s,
        "lock-start-up": start_up,
        "lock-reqconv-in-process": in_process_s,
        "lock-reqconv": reqconv_s,
        "lock-own": own,
        "lock-overhead-pct": overhead,
        "convert-with-lock": convert_s,
        "convert-uv-lock": convert_lock_s,
        "convert-overhead-pct": (convert_s - convert_lock_s) / convert_lock_s * 100,
    }
    verdict = "ok" if overhead <= TARGET_OVERHEAD_PCT else "OVER"
    print(
        f"lock bench: uv {version}, {locked} locked packages, alternating medians of {runs} runs "
        "(the installed console script)"
    )
    print(f"  uv lock alone          {lock_s:8.3f}s  (the ratios below are against this run)")
    print(f"  reqconv lock           {reqconv_s:8.3f}s")
    print("  of which, besides uv lock:")
    print(f"    uv export            {export_s:8.3f}s")
    print(f"    uv --version         {version_s:8.3f}s")
    print(
        f"    start-up and imports {start_up:8.3f}s  (`reqconv lock --help` alone: {startup_s:.3f}s)"
    )
    print(f"    lock command's own   {own:8.3f}s  (in-process run {in_process_s:.3f}s minus uv)")
    print(
        f"  reqconv overhead       {overhead:7.1f}%   target <= {TARGET_OVERHEAD_PCT:.0f}%  {verdict}"
    )
    convert_overhead = results["convert-overhead-pct"]
    print(
        f"  reqconv convert (lock)  {convert_s:8.3f}s  vs uv lock of the converted service "
        f"{convert_lock_s:.3f}s"
    )
    verdict = "ok" if convert_overhead <= TARGET_OVERHEAD_PCT else "OVER"
    print(
        f"  convert overhead       {convert_overhead:7.1f}%   target <= {TARGET_OVERHEAD_PCT:.0f}%  {verdict}"
    )
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
