"""``--verify``: build the original Dockerfile and its rewrite on the user's engine, each from a
temporary copy of its build context, and prove the rewrite before it is written.

Per image: a cold build (``--no-cache``), a rebuild with nothing changed (the install step must
come from the cache), a rebuild after one source file changed, its size, and the interpreter its
CMD/ENTRYPOINT runs importing every locked package at its locked version. The rewrite passes when
its image built, its install step was cached on the unchanged rebuild and every import held; the
original's figures are measured the same way for the table, and never gate anything.

Processes go through ``engine.Engine``; this module writes only under its own temporary folder
(the copies of the context), never the user's files.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from packaging.markers import InvalidMarker, Marker

from reqconv.docker.builds import Build
from reqconv.docker.engine import Engine
from reqconv.docker.instructions import parse_dockerfile
from reqconv.docker.plan import ServicePlan
from reqconv.frozen import frozen

__all__ = [
    "Failure",
    "Measured",
    "Verification",
    "build_options",
    "built_locks",
    "failing_step",
    "failure_text",
    "locked_packages",
    "render",
    "step_seconds",
    "to_json",
    "verify",
    "verify_plan",
]

TAIL_LINES = 25
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "FTP_PROXY", "ALL_PROXY")
_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
_STEP_HEAD = re.compile(r"^#(\d+) \[([^\]]*)\] (.*)$")
# The install step of each side: pip's in the original, uv's in the rewrite.
_ORIGINAL_INSTALL = re.compile(r"\bpip3?(?:\.\d+)? install\b|-m pip install\b")
_REWRITTEN_INSTALL = re.compile(r"\buv pip (?:sync|install)\b")
_SKIP_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})

_MARKER_ENV = """
import json, os, platform, sys
impl = sys.implementation
print(json.dumps({
    "implementation_name": impl.name,
    "implementation_version": "%d.%d.%d" % impl.version[:3],
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""

# Every package at its locked version, and each of its top-level modules imported (top_level.txt,
# else the first part of the files it installed).
_IMPORTS = """
import importlib, importlib.metadata as md, json, sys
bad, modules = [], 0
for name, version in json.loads(sys.argv[1]):
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        bad.append("%s: not installed" % name)
        continue
    if dist.version != version:
        bad.append("%s: %s installed, %s locked" % (name, dist.version, version))
    tops = (dist.read_text("top_level.txt") or "").split()
    if not tops:
        for f in dist.files or ():
            parts = f.parts
            if not parts or parts[0] in ("..", "__pycache__", "bin"):
                continue
            if parts[0].endswith((".dist-info", ".data", ".pth")):
                continue
            head = parts[0]
            if len(parts) == 1:
                if not head.endswith((".py", ".so")):
                    continue
                head = head.split(".")[0]
            elif f.suffix not in (".py", ".so"):
                continue
            if head.isidentifier() and head not in tops:
                tops.append(head)
    for top in tops:
        try:
            importlib.import_module(top)
            modules += 1
        except Exception as e:
            bad.append("%s: import %s: %s: %s" % (name, top, type(e).__name__, e))
print(json.dumps({"bad": bad, "modules": modules, "prefix": sys.prefix}))
"""


@frozen(kw_only=True)
class Failure:
    """What stopped an image: the step (as BuildKit names it) and the log's last lines."""

    what: (
        str  # "cold build", "unchanged rebuild", "source-edit rebuild", "imports", "install cache"
    )
    step: str | None = None
    tail: str = ""


@frozen(kw_only=True)
class Measured:
    """One image's figures (None: not measured, because an earlier step failed)."""

    build_seconds: float | None = None
    install_seconds: float | None = None
    install_cached: bool | None = None  # the unchanged rebuild took the install step from cache
    edit_rebuild_seconds: float | None = None
    edit_reinstalled: bool | None = None  # the source edit ran the install step again
    image_bytes: int | None = None
    imports_ok: bool | None = None
    interpreter: str | None = None
    imported: int = 0  # packages checked
    problems: tuple[str, ...] = ()
    failure: Failure | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None and bool(self.imports_ok) and self.install_cached is not False


@frozen(kw_only=True)
class Verification:
    dockerfile: Path
    context: Path
    target: str | None
    edited: str  # the source file changed for the edit rebuild (context-relative)
    original: Measured
    rewritten: Measured

    @property
    def ok(self) -> bool:
        return self.rewritten.passed


@frozen(kw_only=True)
class _Step:
    name: str
    seconds: float | None = None
    cached: bool = False
    error: bool = False


def _steps(log: str) -> dict[str, _Step]:
    """BuildKit's plain progress log -> step number -> name, time, cached, failed."""
    steps: dict[str, _Step] = {}
    for line in log.splitlines():
        head = _STEP_HEAD.match(line)
        if head is not None:
            number = head.group(1)
            if number not in steps:
                name = re.sub(r"\s+", " ", f"[{head.group(2)}] {head.group(3)}")
                steps[number] = _Step(name=name)
            continue
        tail = re.match(r"^#(\d+) (CACHED|DONE (\d+(?:\.\d+)?)s|ERROR\b.*)$", line)
        if tail is None or tail.group(1) not in steps:
            continue
        step = steps[tail.group(1)]
        if tail.group(2) == "CACHED":
            steps[tail.group(1)] = _Step(name=step.name, seconds=0.0, cached=True)
        elif tail.group(3) is not None:
            steps[tail.group(1)] = _Step(name=step.name, seconds=float(tail.group(3)))
        else:
            steps[tail.group(1)] = _Step(name=step.name, seconds=step.seconds, error=True)
    return steps


def step_seconds(log: str, pattern: re.Pattern[str]) -> tuple[float | None, bool | None]:
    """Seconds of the RUN steps matching ``pattern`` (summed) and whether all were cached;
    ``(None, None)`` when no step matches."""
    found = [s for s in _steps(log).values() if " RUN " in f" {s.name} " and pattern.search(s.name)]
    if not found:
        return None, None
    return sum(s.seconds or 0.0 for s in found), all(s.cached for s in found)


def failing_step(log: str) -> str | None:
    """The step BuildKit reports as failed (``[stage 3/5] RUN ...``), or None."""
    for step in _steps(log).values():
        if step.error:
            return step.name
    match = re.search(r"^\s*> \[([^\]]*)\] (.*?):?$", log, re.M)
    return f"[{match.group(1)}] {match.group(2)}" if match else None


def _tail(log: str) -> str:
    return "\n".join(log.rstrip().splitlines()[-TAIL_LINES:])


def locked_packages(locks: Iterable[Path]) -> list[tuple[str, str, str | None]]:
    """``(name, version, marker)`` of every ``name==version`` entry of the exported locks."""
    entries: list[tuple[str, str, str | None]] = []
    for lock in locks:
        for line in lock.read_text("utf-8").splitlines():
            match = _LOCK_LINE.match(line.strip())
            if match is not None:
                entries.append((match.group(1), match.group(2), match.group(3)))
    return list(dict.fromkeys(entries))


def built_locks(text: str, target: str | None, locks: Sequence[str]) -> list[str]:
    """The ``locks`` the built stage installs: those named in the target stage (the last one
    without a target) or in a stage it starts ``FROM`` or copies ``--from``; all of ``locks``
    when none is named (a lock reached some other way)."""
    stages: list[tuple[str | None, str, set[str]]] = []  # name, text, stages it reads
    for command in parse_dockerfile(text):
        kind = command.cmd.upper()
        if kind == "FROM":
            value = command.value
            name = value[2] if len(value) >= 3 and value[1].upper() == "AS" else None
            stages.append((name, "", {value[0]} if value else set()))
            continue
        if not stages:
            continue
        name, body, reads = stages[-1]
        reads = reads | {f.split("=", 1)[1] for f in command.flags if f.startswith("--from=")}
        for flag in command.flags:
            for part in flag.split(","):
                if part.startswith("from="):
                    reads.add(part[len("from=") :])
        stages[-1] = (name, body + "\n" + command.original, reads)
    if not stages:
        return list(locks)
    by_name = {name: i for i, (name, _, _) in enumerate(stages) if name}
    start = by_name.get(target, len(stages) - 1) if target else len(stages) - 1
    seen: set[int] = set()
    todo = [start]
    while todo:
        index = todo.pop()
        if index in seen:
            continue
        seen.add(index)
        for read in stages[index][2]:
            if read in by_name:
                todo.append(by_name[read])
            elif read.isdigit() and int(read) < len(stages):
                todo.append(int(read))
    body = "\n".join(stages[i][1] for i in sorted(seen))
    named = [
        lock for lock in locks if re.search(r"(?<![\w.-])" + re.escape(lock) + r"(?![\w.-])", body)
    ]
    return named or list(locks)


def build_options(
    build: Build, build_args: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> list[str]:
    """``--build-arg`` (compose's, then the user's ``--build-arg``, then the proxy variables of
    the environment, as docker passes its configured proxies), ``--target``; ``--network host``
    when a proxy is on loopback (a bridge network could not reach it)."""
    env = os.environ if env is None else env
    options: list[str] = []
    for name, value in build.args:
        options += ["--build-arg", f"{name}={value}"]
    for arg in build_args:
        options += ["--build-arg", arg]
    given = {arg.split("=", 1)[0] for arg in build_args}
    loopback = False
    for upper in _PROXY_VARIABLES:
        for name in (upper, upper.lower()):
            value = env.get(name, "")
            if not value or name in given:
                continue
            options += ["--build-arg", f"{name}={value}"]
            if upper != "NO_PROXY" and urlsplit(value).hostname in (
                "127.0.0.1",
                "localhost",
                "::1",
            ):
                loopback = True
    if loopback:
        options += ["--network", "host"]
    if build.target:
        options += ["--target", build.target]
    return options


def _copy_context(source: Path, dest: Path, overlay: Mapping[str, str]) -> None:
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    for relative, text in overlay.items():
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _source_file(context: Path, avoid: Iterable[str]) -> str:
    """A source file of the context to change for the edit rebuild: the first ``.py`` file,
    else any other file that is no Dockerfile, requirements file or lock; else a new file."""
    avoided = {os.path.normpath(a) for a in avoid}
    candidates: list[str] = []
    for dirpath, dirnames, filenames in os.walk(context):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            relative = os.path.relpath(os.path.join(dirpath, name), context)
            lower = name.lower()
            if relative in avoided or "dockerfile" in lower or lower.startswith("."):
                continue
            if lower.endswith((".lock", ".txt", ".in", ".toml", ".yml", ".yaml")):
                continue
            candidates.append(relative)
    for relative in candidates:
        if relative.endswith(".py"):
            return relative
    return candidates[0] if candidates else "reqconv-verify-edit.txt"


def _interpreter(engine: Engine, tag: str) -> str:
    """The Python the image's CMD/ENTRYPOINT runs: the command itself, or its script's shebang;
    ``python`` from the image's PATH when the command is neither."""
    config = json.loads(engine.image_config(tag) or "{}") or {}
    command = [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    if len(command) >= 3 and command[0] in ("/bin/sh", "sh") and command[1] == "-c":
        command = shlex.split(str(command[2]))
    if not command:
        return "python"
    program = str(command[0])
    if "/" not in program:
        found = engine.run_in(tag, "/bin/sh", "-c", 'command -v "$1"', "sh", program)
        program = found.stdout.strip() or program
    if re.fullmatch(r"python[0-9.]*", Path(program).name):
        return program
    first = engine.run_in(tag, "/bin/sh", "-c", 'head -n 1 "$1"', "sh", program).stdout.strip()
    if first.startswith("#!"):
        words = first[2:].split()
        if words and Path(words[0]).name == "env" and len(words) > 1:
            words = words[1:]
        if words and re.fullmatch(r"python[0-9.]*", Path(words[0]).name):
            return words[0]
    return "python"


def _check_imports(
    engine: Engine, tag: str, packages: Sequence[tuple[str, str, str | None]]
) -> tuple[str, bool, int, tuple[str, ...]]:
    interpreter = _interpreter(engine, tag)
    environment = engine.run_in(tag, interpreter, "-c", _MARKER_ENV)
    if not environment.ok:
        return interpreter, False, 0, (f"{interpreter} does not run: {_tail(environment.stderr)}",)
    marker_env = json.loads(environment.stdout)
    wanted = []
    for name, version, marker in packages:
        try:
            if marker is not None and not Marker(marker).evaluate(marker_env):
                continue
        except InvalidMarker:
            pass
        wanted.append((name, version))
    done = engine.run_in(tag, interpreter, "-c", _IMPORTS, json.dumps(wanted))
    if not done.ok:
        return interpreter, False, 0, (f"the import check failed: {_tail(done.stderr)}",)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    bad = tuple(report["bad"])
    return interpreter, not bad, len(wanted), bad


def _measure(
    engine: Engine,
    *,
    workdir: Path,
    context: Path,
    text: str,
    overlay: Mapping[str, str],
    options: Sequence[str],
    packages: Sequence[tuple[str, str, str | None]],
    install: re.Pattern[str],
    edited: str,
    tag: str,
) -> Measured:
    copy = workdir / "context"
    _copy_context(context, copy, overlay)
    dockerfile = workdir / "Dockerfile"  # outside the context, as `-f` allows
    dockerfile.write_text(text, encoding="utf-8")

    def built(what: str, *extra: str) -> tuple[float, str] | Failure:
        done = engine.build(
            context=copy, dockerfile=dockerfile, tag=tag, options=[*options, *extra]
        )
        if not done.ok:
            return Failure(what=what, step=failing_step(done.stderr), tail=_tail(done.stderr))
        return done.seconds, done.stderr

    cold = built("cold build", "--no-cache")
    if isinstance(cold, Failure):
        return Measured(failure=cold)
    install_seconds, _ = step_seconds(cold[1], install)
    size = engine.image_bytes(tag)
    interpreter, imports_ok, count, problems = _check_imports(engine, tag, packages)
    again = built("unchanged rebuild")
    if isinstance(again, Failure):
        return Measured(build_seconds=cold[0], install_seconds=install_seconds, failure=again)
    _, cached = step_seconds(again[1], install)
    source = copy / edited
    with source.open("a", encoding="utf-8") as f:
        f.write("\n# changed by reqconv --verify\n" if edited.endswith(".py") else "\nchanged\n")
    edit = built("source-edit rebuild")
    failure = edit if isinstance(edit, Failure) else None
    if failure is None and not imports_ok:
        failure = Failure(what="imports", tail="\n".join(problems))
    elif failure is None and cached is False:
        failure = Failure(
            what="install cache",
            tail="the install step ran again on a rebuild with nothing changed",
        )
    edit_seconds, reinstalled = (None, None)
    if not isinstance(edit, Failure):
        edit_seconds = edit[0]
        _, edit_cached = step_seconds(edit[1], install)
        reinstalled = None if edit_cached is None else not edit_cached
    return Measured(
        build_seconds=cold[0],
        install_seconds=install_seconds,
        install_cached=cached,
        edit_rebuild_seconds=edit_seconds,
        edit_reinstalled=reinstalled,
        image_bytes=size,
        imports_ok=imports_ok,
        interpreter=interpreter,
        imported=count,
        problems=problems,
        failure=failure,
    )


def verify(
    engine: Engine,
    *,
    dockerfile: Path,
    build: Build,
    original: str,
    rewritten: str,
    overlay: Mapping[str, str],
    locks: Sequence[Path],
    build_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Verification:
    """Build ``original`` and ``rewritten`` (``overlay``: context-relative files the rewrite also
    writes, a ``.dockerignore``) from copies of ``build.context``; the images are removed after."""
    context = build.context
    options = build_options(build, build_args, env)
    packages = locked_packages(locks)
    relative = os.path.relpath(dockerfile, context)
    edited = _source_file(context, [relative, *overlay])
    run_id = uuid.uuid4().hex[:10]
    tags: list[str] = []
    measured: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory(prefix="reqconv-verify-") as scratch:
        for side, text, files, install in (
            ("original", original, {}, _ORIGINAL_INSTALL),
            ("rewritten", rewritten, overlay, _REWRITTEN_INSTALL),
        ):
            tag = f"reqconv-verify/{side}:{run_id}"
            tags.append(tag)
            workdir = Path(scratch) / side
            workdir.mkdir()
            try:
                measured[side] = _measure(
                    engine,
                    workdir=workdir,
                    context=context,
                    text=text,
                    overlay=files,
                    options=options,
                    packages=packages,
                    install=install,
                    edited=edited,
                    tag=tag,
                )
            finally:
                shutil.rmtree(workdir / "context", ignore_errors=True)
        engine.remove(tags)
    return Verification(
        dockerfile=dockerfile,
        context=context,
        target=build.target,
        edited=edited,
        original=measured["original"],
        rewritten=measured["rewritten"],
    )


def _seconds(value: float | None, cached: bool | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" + (" (install cached)" if cached else "")


def _size(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:.0f} MB"


def _ratio(before: float | int | None, after: float | int | None) -> str:
    if before is None or after is None or after <= 0 or before <= 0:
        return "-"
    return f"{before / after:.1f}x"


def render(v: Verification) -> str:
    """The table of one Dockerfile: original, rewritten, ratio (original ÷ rewritten)."""
    o, r = v.original, v.rewritten
    rows = [
        ("", "original", "rewritten", "ratio"),
        ("cold build", _seconds(o.build_seconds), _seconds(r.build_seconds),
         _ratio(o.build_seconds, r.build_seconds)),
        ("install step", _seconds(o.install_seconds), _seconds(r.install_seconds),
         _ratio(o.install_seconds, r.install_seconds)),
        ("source-edit rebuild",
         _seconds(o.edit_rebuild_seconds, o.edit_reinstalled is False),
         _seconds(r.edit_rebuild_seconds, r.edit_reinstalled is False),
         _ratio(o.edit_rebuild_seconds, r.edit_rebuild_seconds)),
        ("image size", _size(o.image_bytes), _size(r.image_bytes),
         _ratio(o.image_bytes, r.image_bytes)),
        ("imports", _imports(o), _imports(r), ""),
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  " + "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                         for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]  # fmt: skip
    head = f"{v.dockerfile.as_posix()}" + (f" (target {v.target})" if v.target else "")
    verdict = "verified" if v.ok else "FAILED"
    lines.insert(0, f"{head}: {verdict}; source edit: {v.edited}")
    return "\n".join(lines)


def _imports(m: Measured) -> str:
    if m.imports_ok is None:
        return "-"
    return f"{m.imported} ok" if m.imports_ok else f"{len(m.problems)} failed"


def failure_text(v: Verification) -> str:
    """Why the rewrite was not written: the failing step and the log's tail."""
    failure = v.rewritten.failure
    if failure is None:
        return f"{v.dockerfile.as_posix()}: the rewritten image did not pass"
    step = f" at step {failure.step}" if failure.step else ""
    return (
        f"{v.dockerfile.as_posix()}: the rewritten image failed its {failure.what}{step}; "
        f"the Dockerfile is left as it was:\n{failure.tail}"
    )


def _measured_json(m: Measured) -> dict[str, object]:
    return {
        "build_seconds": m.build_seconds,
        "install_seconds": m.install_seconds,
        "install_cached": m.install_cached,
        "edit_rebuild_seconds": m.edit_rebuild_seconds,
        "edit_reinstalled": m.edit_reinstalled,
        "image_bytes": m.image_bytes,
        "imports_ok": m.imports_ok,
        "interpreter": m.interpreter,
        "problems": list(m.problems),
        "failure": None
        if m.failure is None
        else {"what": m.failure.what, "step": m.failure.step, "log_tail": m.failure.tail},
    }


def to_json(v: Verification) -> dict[str, object]:
    return {
        "path": v.dockerfile.as_posix(),
        "target": v.target,
        "ok": v.ok,
        "verify": {
            "original": _measured_json(v.original),
            "rewritten": _measured_json(v.rewritten),
        },
    }


def verify_plan(
    engine: Engine,
    plan: ServicePlan,
    *,
    build_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    on_start: Callable[[Path], None] | None = None,
) -> list[Verification]:
    """Verify every Dockerfile of ``plan`` that its rewrite changes, once per build of it (each
    target and set of compose args), with the locks the built stage installs."""
    verifications = []
    for change in plan.changes:
        builds = plan.builds.get(change.path, ())
        if not change.changed or not builds:
            continue
        context = builds[0].context.absolute()  # one context per planned Dockerfile (plan.py)
        overlay = {}
        for other in plan.changes:
            if other is change or other.path in plan.builds or not other.changed:
                continue
            relative = os.path.relpath(other.path.absolute(), context)
            if not relative.startswith(".."):
                overlay[relative] = other.after_text
        for build in builds:
            if on_start is not None:
                on_start(change.path)
            locks = built_locks(change.after_text, build.target, plan.locks)
            verifications.append(
                verify(
                    engine,
                    dockerfile=change.path,
                    build=build,
                    original=change.before_text,
                    rewritten=change.after_text,
                    overlay=overlay,
                    locks=[plan.root / lock for lock in locks if (plan.root / lock).is_file()],
                    build_args=build_args,
                    env=env,
                )
            )
    return verifications
