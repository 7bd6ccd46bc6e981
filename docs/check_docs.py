"""Keep the docs true to the code. Every fenced block of README.md and docs/*.md that shows
something reqconv printed or wrote carries a marker on the line before it:

- ``<!-- file: PATH -->``: the block equals that file (a fixture input or a golden output the
  tests check), byte for byte;
- ``<!-- run: NAME -->``: the block is what the run ``NAME`` of ``RUNS`` below prints, run here
  against a copy of its tree and the tests' local package index (tests/_builders.py; no
  network), so a stale run fails the check. A run marked ``network`` reaches PyPI: it is
  compared only with ``--network``;
- ``<!-- illustrative: REASON -->``: not reproduced, and why.

A block with no marker and no language, or in ``text``, ``console`` or ``json``, is taken for
printed output and must carry one of the three. Blocks in ``sh``, ``toml``, ``yaml`` or
``dockerfile`` are what the reader types or writes.

Run by ``nox -s docs`` and by tests/test_docs.py; exit 1 with the problems listed. ``--update``
writes each stale run's output into its page (review the diff); ``--network`` also runs the
network runs (and, with ``--update``, copies their written files into docs/examples).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK_RE = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```\n", re.DOTALL)
FENCE_RE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```\n", re.DOTALL | re.MULTILINE)
MARKER_RE = re.compile(r"<!-- (?P<kind>file|run|illustrative): ?(?P<arg>.*?) -->\n$")
# Languages of what a reader types or writes; a block in any other is taken for printed output.
INPUT_LANGUAGES = frozenset({"sh", "toml", "yaml", "dockerfile"})

# (program, *args): "reqconv" runs this checkout's reqconv, "uv" the uv it finds;
# ("append", path, text) appends to a file of the copy.
Step = tuple[str, ...]


@dataclass(frozen=True)
class Run:
    """A printed run: ``tree`` (from the checkout) copied to ``<tmp>/<into>``, ``setup`` run in
    ``<tmp>/<setup_cwd>``, then ``argv`` in ``<tmp>/<cwd>``; the block is its ``stream`` (``out``, ``err``, or ``out+err``: stdout
    then stderr), or only the lines that match ``lines``."""

    tree: str
    into: str
    argv: Step
    setup: tuple[Step, ...] = ()
    setup_cwd: str = "."
    cwd: str = "."
    stream: str = "out"
    exit_code: int = 0
    lines: str | None = None
    network: bool = False
    unset: tuple[str, ...] = ()  # variables of the environment the run goes without
    # With --network --update: files of the run's copy to keep in the checkout (copy -> checkout).
    keep: dict[str, str] = field(default_factory=dict)


_CHECK_SETUP: tuple[Step, ...] = (
    ("reqconv", "convert", "svc"),
    ("append", "svc/requirements.txt", "zeta>=1.0\n"),
)

RUNS: dict[str, Run] = {
    "add": Run(
        tree="fixtures/add/before",
        into="worker",
        setup=(("reqconv", "lock", "worker"),),
        argv=("reqconv", "add", "gamma[extra]>=1.2"),
        cwd="worker",
    ),
    "remove": Run(
        tree="fixtures/add/before",
        into="worker",
        setup=(("reqconv", "lock", "worker"),),
        argv=("reqconv", "remove", "--dev", "zeta"),
        cwd="worker",
    ),
    "check-text": Run(
        tree="docs/examples/check",
        into=".",
        setup=_CHECK_SETUP,
        argv=("reqconv", "check", "svc"),
        stream="out+err",
        exit_code=1,
    ),
    "check-github": Run(
        tree="docs/examples/check",
        into=".",
        setup=_CHECK_SETUP,
        argv=("reqconv", "check", "--format", "github", "svc"),
        exit_code=1,
    ),
    "check-json": Run(
        tree="docs/examples/check",
        into=".",
        setup=_CHECK_SETUP,
        argv=("reqconv", "check", "--format", "json", "svc"),
        exit_code=1,
    ),
    "convert-uv-export": Run(
        tree="docs/examples/uv-export",
        into=".",
        setup=(
            ("reqconv", "convert", "--no-docker", "."),
            ("uv", "export", "--frozen", "--no-dev", "--output-file", "requirements.txt"),
        ),
        setup_cwd="svc",
        argv=("reqconv", "convert", "--no-docker", "."),
        cwd="svc",
        stream="err",
        lines=r"info: requirements.txt is uv's export",
    ),
    "convert-credentials": Run(
        tree="fixtures/monorepo",
        into=".",
        argv=("reqconv", "convert", "--no-lock", "--no-docker", "plugins/private-plugin"),
        stream="err",
        lines=r"warning: credentials removed",
    ),
    "lock-no-python": Run(
        tree="docs/examples/no-python",
        into=".",
        argv=("reqconv", "convert", "--no-docker", "."),
        cwd="svc",
        stream="err",
        exit_code=3,
        unset=("UV_PYTHON",),  # uv looks for an installed Python, as on a user's machine
        lines=r"^reqconv: error: ",
    ),
    "convert-worker": Run(
        tree="fixtures/monorepo/apps/worker",
        into="apps/worker",
        argv=("reqconv", "convert", "apps/worker"),
        stream="err+out",
        network=True,
        keep={
            "apps/worker/pyproject.toml": "docs/examples/worker/pyproject.toml",
            "apps/worker/requirements.lock": "docs/examples/worker/requirements.lock",
            "apps/worker/Dockerfile": "docs/examples/worker/Dockerfile",
        },
    ),
}


def _environment(tmp: Path, index: Path | None) -> dict[str, str]:
    """No uv or pip settings of the caller; caches in ``tmp``; offline against ``index``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(
        HOME=str(tmp / "home"),
        XDG_CACHE_HOME=str(tmp / "home" / ".cache"),
        XDG_CONFIG_HOME=str(tmp / "home" / ".config"),
        UV_CACHE_DIR=str(tmp / "home" / ".cache" / "uv"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        UV_PYTHON=sys.executable,  # locks and exports only: uv changes no environment here
        NO_COLOR="1",
    )
    if index is not None:
        env.update(UV_NO_INDEX="1", UV_FIND_LINKS=(index / "index.html").as_uri(), UV_OFFLINE="1")
    return env


def _execute(step: Step, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if step[0] == "reqconv":
        argv = [sys.executable, "-m", "reqconv", *step[1:]]
    elif step[0] == "uv":
        argv = [env["UV"], *step[1:]]
    else:
        raise ValueError(f"unknown program in {step}")
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def _prepare(run: Run, work: Path, env: dict[str, str]) -> str:
    """Copy the tree and run the set-up in ``work``; a problem or ""."""
    shutil.copytree(ROOT / run.tree, work / run.into, dirs_exist_ok=True)
    for step in run.setup:
        if step[0] == "append":
            with (work / step[1]).open("a", encoding="utf-8") as f:
                f.write(step[2])
            continue
        done = _execute(step, work / run.setup_cwd, env)
        if done.returncode != 0:
            return f"set-up step {' '.join(step)} exited {done.returncode}: {done.stderr}"
    return ""


def perform(
    run: Run, tmp: Path, index: Path | None, prepared: dict[object, Path] | None = None
) -> tuple[str, str]:
    """(what the block should show, a problem or ""), from ``run`` done in the empty ``tmp``.

    A ``check`` run, which writes nothing, reuses the set-up of an earlier check run with the same
    one (``prepared``)."""
    sys.path.insert(0, str(ROOT))  # reqconv and tests._builders of this checkout
    from reqconv import uv

    env = _environment(tmp, None if run.network else index)
    env["UV"] = str(uv.find_uv())
    for name in run.unset:
        env.pop(name, None)
    key = (run.tree, run.into, run.setup, run.setup_cwd, run.unset, run.network)
    reads_only = run.argv[:2] == ("reqconv", "check") and prepared is not None
    if reads_only and prepared is not None and key in prepared:
        work = prepared[key]
    else:
        work = tmp / "work"
        problem = _prepare(run, work, env)
        if problem:
            return "", problem
        if reads_only and prepared is not None:
            prepared[key] = work
    done = _execute(run.argv, work / run.cwd, env)
    streams = {"out": done.stdout, "err": done.stderr}
    text = "".join(streams[name] for name in run.stream.split("+"))
    if run.lines is not None:
        text = "".join(line for line in text.splitlines(True) if re.search(run.lines, line))
    problem = ""
    if done.returncode != run.exit_code:
        problem = f"exited {done.returncode}, not {run.exit_code}: {done.stderr.strip()}"
    for source, target in run.keep.items():
        (tmp / "kept").mkdir(exist_ok=True)
        shutil.copy(work / source, tmp / "kept" / target.replace("/", "__"))
    return text, problem


def _blocks(page: Path) -> list[tuple[int, str, str, str, str]]:
    """(line, marker kind, marker argument, language, body) of every fenced block of ``page``."""
    text = page.read_text()
    found = []
    for match in FENCE_RE.finditer(text):
        before = text[: match.start()]
        marker = MARKER_RE.search(before[before.rfind("\n", 0, len(before) - 1) + 1 :])
        kind, arg = (marker["kind"], marker["arg"]) if marker else ("", "")
        found.append((before.count("\n") + 1, kind, arg, match["lang"], match["body"]))
    return found


def _pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def stale_blocks(root: Path = ROOT) -> list[str]:
    """``page: path`` for each ``file:`` block that differs from its file."""
    problems = []
    for page in _pages(root):
        for match in BLOCK_RE.finditer(page.read_text()):
            target = root / match["path"]
            if not target.is_file():
                problems.append(f"{page.relative_to(root)}: {match['path']} does not exist")
            elif target.read_text() != match["body"]:
                problems.append(f"{page.relative_to(root)}: block differs from {match['path']}")
    return problems


def unmarked_blocks(root: Path = ROOT) -> list[str]:
    """``page:line`` of each block that looks printed and carries no marker; unknown runs."""
    problems = []
    for page in _pages(root):
        for line, kind, arg, lang, _body in _blocks(page):
            where = f"{page.relative_to(root)}:{line}"
            if kind == "" and lang not in INPUT_LANGUAGES:
                problems.append(f"{where}: printed output with no file/run/illustrative marker")
            elif kind == "illustrative" and not arg.strip():
                problems.append(f"{where}: illustrative with no reason")
            elif kind == "run" and arg not in RUNS:
                problems.append(f"{where}: no run named {arg!r} in docs/check_docs.py")
    return problems


def stale_runs(
    root: Path = ROOT, *, network: bool = False, update: bool = False
) -> tuple[list[str], list[str]]:
    """(problems, runs not compared): each ``run:`` block that is not what its run prints now.

    With ``update``, stale blocks are rewritten in their pages instead of reported."""
    sys.path.insert(0, str(ROOT))
    from tests._builders import build_index

    problems: list[str] = []
    skipped: list[str] = []
    outputs: dict[str, tuple[str, str]] = {}
    prepared: dict[object, Path] = {}
    with tempfile.TemporaryDirectory(prefix="reqconv-docs-") as name:
        tmp = Path(name)
        index = build_index(tmp / "index")

        def output(run_name: str) -> tuple[str, str]:
            if run_name not in outputs:
                scratch = tmp / f"run-{len(outputs)}"
                scratch.mkdir()
                outputs[run_name] = perform(RUNS[run_name], scratch, index, prepared)
                if update and network:
                    _keep(RUNS[run_name], scratch, root)
            return outputs[run_name]

        for page in _pages(root):
            text = page.read_text()
            new = _compare_page(page, text, root, output, network, update, problems, skipped)
            if update and new != text:
                page.write_text(new)
    return problems, skipped


def _keep(run: Run, scratch: Path, root: Path) -> None:
    for target in run.keep.values():
        kept = scratch / "kept" / target.replace("/", "__")
        if kept.is_file():
            shutil.copy(kept, root / target)


def _compare_page(
    page: Path,
    text: str,
    root: Path,
    output: Callable[[str], tuple[str, str]],
    network: bool,
    update: bool,
    problems: list[str],
    skipped: list[str],
) -> str:
    pieces: list[str] = []
    done = 0
    for match in FENCE_RE.finditer(text):
        before = text[: match.start()]
        marker = MARKER_RE.search(before[before.rfind("\n", 0, len(before) - 1) + 1 :])
        if marker is None or marker["kind"] != "run" or marker["arg"] not in RUNS:
            continue
        where = f"{page.relative_to(root)}:{before.count(chr(10)) + 1}"
        if RUNS[marker["arg"]].network and not network:
            skipped.append(f"{where}: run {marker['arg']} (needs the network: --network)")
            continue
        got, problem = output(marker["arg"])
        if problem:
            problems.append(f"{where}: run {marker['arg']} {problem}")
        elif got != match["body"]:
            if update:
                pieces += [text[done : match.start("body")], got]
                done = match.end("body")
            else:
                problems.append(f"{where}: run {marker['arg']} prints otherwise now:\n{got}")
    return "".join(pieces) + text[done:]


def main(argv: list[str]) -> int:
    network, update = "--network" in argv, "--update" in argv
    problems = stale_blocks() + unmarked_blocks()
    stale, skipped = stale_runs(network=network, update=update)
    problems += stale
    if update:  # file blocks may follow from the kept files
        problems = stale_blocks() + unmarked_blocks() + stale
    for line in skipped:
        print(f"not compared: {line}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
