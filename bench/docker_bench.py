"""Docker builds of the backend fixture, original (pip) against rewritten (uv): ``nox -s bench-docker``.

``fixtures/builds/backend`` is built with its pip Dockerfile and with the Dockerfile ``reqconv
convert`` writes, on the same stand-in base images (``scripts/docker-setup.sh``), from the same
real wheels: once, the backend's requirements (both files, resolved for every platform as a lock
needs) are downloaded from PyPI into ``bench/.cache/`` and then served on loopback, so the timed
builds use no network. Three scenarios, each run ``--runs`` times (median reported):

- cold: ``--no-cache`` (on this engine it also bypasses the cache mounts);
- source edit: a warm build, then an edit of ``app/main.py``, then the measured rebuild;
- one more dependency: a warm build, then ``orjson`` added (a line in requirements.txt for pip;
  ``reqconv add`` for the converted service, which re-locks and re-exports), then the rebuild.

For each: the whole ``docker build``, the install step(s) (BuildKit's own step times: pip's ``RUN
pip install``; uv's ``RUN uv venv`` plus ``RUN ... uv pip sync``; 0 when the step was cached), the
part of pip's step spent upgrading pip, setuptools and wheel (which the rewrite drops: the 4x target
is judged on pip's install without it), and the image size. Writes the table into docs/benchmarks.md (``--no-write``: print only).

``--compile-analysis`` builds the cold scenario once more per run with byte-compilation off on both
sides (the bench's copies only: ``ENV PIP_COMPILE=0`` after pip's FROM, ``UV_COMPILE_BYTECODE=0``
in the rewrite's ENV line), in the same turns, and reports each side's install step without
compiling, the seconds compiling took (the difference of the medians), the ratio without it, the
.pyc files each image holds, pip's phases (BuildKit's line stamps) and uv's own timing lines.

``--index pypi`` runs the same scenarios against the real PyPI instead (``nox -s bench-docker --
--index pypi``; needs the network, so never the default): the service is converted against PyPI
(host uv, the host's CA bundle), and the per-run base image carries the same machine plumbing for
both builds: the host's CA bundle at /etc/ssl/certs/ca-certificates.crt (this machine reaches PyPI
through a TLS-intercepting proxy, as behind a company proxy) and the stand-in's index variables
pointed at PyPI (``pypi_env``). The builds use Docker's default network, no proxy of the bench's.
The table goes between its own markers (``PYPI_START``/``PYPI_END``), apart from the loopback one.
Cold builds are checked to be cold: uv prepared every package it installed (``--no-cache`` gives
its cache mount a fresh one on this engine), and pip's log has no ``Using cached``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._dockerbuild import (  # noqa: E402
    INDEX_HOST,
    INDEX_URL,
    Build,
    IndexProxy,
    build,
    docker,
    engine_problem,
    serve_index,
)

CASE = ROOT / "fixtures" / "builds" / "backend"
CACHE = ROOT / "bench" / ".cache"
LOGS = CACHE / "logs"  # the last build log of each scenario, to see where the time went
ADDED = "orjson==3.10.12"  # the dependency the third scenario adds (a single wheel, no deps)
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-docker: start -->", "<!-- bench-docker: end -->"
PYPI_START, PYPI_END = "<!-- bench-docker-pypi: start -->", "<!-- bench-docker-pypi: end -->"
PYPI_URL = "https://pypi.org/simple"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")  # the host's, copied into the base (pypi)
_TAG = "reqconv-bench/backend"
BASE = "python:3.11-slim"  # what the backend fixture starts FROM


def fetch_wheels(folder: Path) -> Path:
    """The backend's packages (every platform's pins) as CPython 3.11 manylinux wheels, once."""
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
    with tempfile.TemporaryDirectory() as tmp:
        # What uv lock needs is what it locks: lock a copy against PyPI, read the pins from uv.lock.
        service = Path(tmp) / "backend"
        shutil.copytree(CASE, service, ignore=shutil.ignore_patterns("case.toml"))
        with (service / "requirements.txt").open("a", encoding="utf-8") as f:
            f.write(f"{ADDED}\n")
        _reqconv(env, "convert", "--no-docker", str(service))
        lock = tomllib.loads((service / "uv.lock").read_text("utf-8"))
        pins = [
            f"{package['name']}=={package['version']}"
            for package in lock["package"]
            if "registry" in package.get("source", {})
        ]
        (Path(tmp) / "pins.txt").write_text("\n".join([*pins, "pip", "setuptools", "wheel"]) + "\n")
        _download(folder, Path(tmp) / "pins.txt")
        # uv's lock also wants the dependencies only other platforms install (tzdata for psycopg on
        # Windows): add every unconditional-or-marker dependency the wheels name, until closed.
        while missing := _missing_dependencies(folder):
            (Path(tmp) / "more.txt").write_text("\n".join(sorted(missing)) + "\n")
            _download(folder, Path(tmp) / "more.txt")
    stamp.write_text("")
    return folder


def _pip() -> list[str]:
    """This interpreter's pip, else ``$PIP_PYTHON``'s (default python3): a venv that ``uv sync``
    made has no pip (scripts/docker-setup.sh does the same)."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return [os.environ.get("PIP_PYTHON", "python3"), "-m", "pip"]


def _download(folder: Path, requirements: Path) -> None:
    subprocess.run(
        [*_pip(), "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
         "--abi", "abi3", "--abi", "none",
         "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64",
         "--platform", "manylinux_2_28_x86_64", "--platform", "any",
         "--dest", str(folder), "-r", str(requirements)],
        check=True,
    )  # fmt: skip


# Platforms a universal lock for Python >= 3.11 considers (the markers seen in practice).
_ENVIRONMENTS = [
    {"sys_platform": system, "platform_system": name, "os_name": os_name,
     "python_version": version, "python_full_version": f"{version}.0",
     "platform_machine": "x86_64", "implementation_name": "cpython",
     "platform_python_implementation": "CPython"}
    for system, name, os_name in (("linux", "Linux", "posix"), ("win32", "Windows", "nt"),
                                  ("darwin", "Darwin", "posix"))
    for version in ("3.11", "3.12", "3.13", "3.14")
]  # fmt: skip


def _missing_dependencies(folder: Path) -> set[str]:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    have: set[str] = set()
    wanted: set[str] = set()
    for wheel in folder.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            name = next(
                n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1
            )
            metadata = zf.read(name).decode("utf-8", "replace")
        have.add(canonicalize_name(wheel.name.split("-", 1)[0]))
        for line in metadata.splitlines():
            if line.startswith("Requires-Dist:"):
                requirement = Requirement(line.split(":", 1)[1].strip())
                marker = requirement.marker
                if marker is None or (
                    "extra" not in str(marker)
                    and any(marker.evaluate(environment) for environment in _ENVIRONMENTS)
                ):
                    wanted.add(canonicalize_name(requirement.name))
    return wanted - have


@dataclass(frozen=True)
class Run:
    build: float
    install: float  # the install step(s) as the Dockerfile has them
    size: int
    upgrade: float = 0.0  # of ``install``: pip upgrading itself, setuptools and wheel (pip only)
    # ``--compile-analysis`` only: .pyc files under the install locations of the image, and the
    # phases of the step: uv's own timing lines ("Bytecode compiled": seconds), pip's stamps.
    pyc: int | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def install_alone(self) -> float:
        """The install step without pip's self-upgrade, which the rewrite drops."""
        return self.install - self.upgrade


def _self_upgrade_seconds(log: Build) -> float:
    """Seconds of pip's install step spent before its ``-r`` install started: BuildKit's plain log
    stamps each output line with the seconds since its step began (``#9 7.204 Collecting
    fastapi==...``). The ``-r`` install begins at the first ``Collecting`` line after the
    self-upgrade's ``Successfully installed`` (its own dependencies, such as wheel's
    ``packaging``, are collected before that), or at the first one pip marks ``(from -r ...)``.
    0.0 when the step was cached."""
    steps: dict[str, str] = {}
    for line in log.log.splitlines():
        head = re.match(r"#(\d+) \[[^\]]*\] (.*)", line)
        if head is not None:
            steps.setdefault(head.group(1), head.group(2))
    number = next((n for n, text in steps.items() if "pip install" in text), None)
    if number is None or f"#{number} CACHED" in log.log.splitlines():
        return 0.0
    upgraded = False
    for line in log.log.splitlines():
        found = re.match(rf"#{number} (\d+(?:\.\d+)?) (.*)", line)
        if found is None:
            continue
        text = found.group(2)
        if text.startswith("Successfully installed") and not upgraded:
            upgraded = True
        elif text.startswith("Collecting ") and (upgraded or "(from -r " in text):
            return float(found.group(1))
    raise SystemExit("bench: no `Collecting` line of the -r install in pip's build log")


# uv's summary lines, e.g. "#12 2.981 Bytecode compiled 972 files in 2.60s" ("57ms" below a second).
_UV_LINE = re.compile(
    r"#\d+ \d+(?:\.\d+)? (Resolved|Prepared|Uninstalled|Installed|Bytecode compiled) "
    r"(\d+) \w+ in (\d+(?:\.\d+)?)(ms|s)\b"
)
UV_PHASES = ("Resolved", "Prepared", "Installed", "Bytecode compiled")


def _uv_timings(log: Build) -> dict[str, float]:
    """uv's own timing lines of the build: phase -> seconds (and "<phase> count" -> how many
    packages or files), from the log's last sync step."""
    found: dict[str, float] = {}
    for line in log.log.splitlines():
        match = _UV_LINE.match(line)
        if match is not None:
            phase, count, value, unit = match.groups()
            found[phase] = float(value) / (1000 if unit == "ms" else 1)
            found[f"{phase} count"] = float(count)
    return found


def _pip_phases(log: Build) -> dict[str, float]:
    """pip's ``-r`` install in BuildKit's line stamps: from its first ``Collecting`` line to its
    ``Installing collected packages`` line (resolving and downloading: "collect"), then to its
    ``Successfully installed`` line (unpacking and, unless turned off, byte-compiling: "install").
    The last such lines of the log are the ``-r`` install's (the self-upgrade's come first)."""
    start = _self_upgrade_seconds(log)
    installing = done = None
    for line in log.log.splitlines():
        found = re.match(
            r"#\d+ (\d+(?:\.\d+)?) (Installing collected packages|Successfully installed)", line
        )
        if found is None:
            continue
        if found.group(2) == "Installing collected packages":
            installing = float(found.group(1))
        else:
            done = float(found.group(1))
    if installing is None or done is None or not start:
        return {}
    return {"collect": installing - start, "install": done - installing}


def _pyc_count(tag: str) -> int:
    """.pyc files where the two Dockerfiles install: the venv, and the system Python's
    site-/dist-packages under /usr/local (Debian's pip as root installs there)."""
    done = docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", tag, "-c",
        "find /opt/venv /usr/local/lib -name '*.pyc' 2>/dev/null | wc -l",
    )  # fmt: skip
    return int(done.stdout.strip())


def no_compile(text: str, kind: str) -> str:
    """The bench's copy of a Dockerfile with byte-compilation off.

    pip: ``ENV PIP_COMPILE=0`` after each FROM. Not ``PIP_NO_COMPILE=1``: pip reads an option's
    environment variable through ``strtobool`` into the option's destination, and ``--no-compile``
    stores into ``compile``, so ``PIP_NO_COMPILE=1`` sets ``compile`` to 1 and pip compiles.
    uv: the rewrite's ``UV_COMPILE_BYTECODE=1`` becomes ``UV_COMPILE_BYTECODE=0``.
    """
    if kind == "pip":
        changed, n = re.subn(r"(?im)^(\s*FROM\s.*)$", r"\g<1>\nENV PIP_COMPILE=0", text)
    else:
        changed, n = re.subn(r"\bUV_COMPILE_BYTECODE=1\b", "UV_COMPILE_BYTECODE=0", text)
    if n == 0:
        raise SystemExit(f"bench: could not turn byte-compiling off in the {kind} Dockerfile")
    return changed


def _install_seconds(log: Build, kind: str) -> float:
    steps = ["pip install"] if kind == "pip" else ["uv venv", "uv pip sync"]
    total = 0.0
    for needle in steps:
        seconds = log.step_seconds(needle)
        if seconds is None:
            raise SystemExit(f"bench: no `{needle}` step in the {kind} build")
        total += seconds
    return total


def _size(tag: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


# Index variables a base image may set (the stand-ins set PIP_INDEX_URL, PIP_TRUSTED_HOST and
# UV_DEFAULT_INDEX, scripts/docker-setup.sh), and what ``--index pypi`` sets them to.
_INDEX_VARIABLES = {
    "PIP_INDEX_URL": PYPI_URL,
    "UV_DEFAULT_INDEX": PYPI_URL,
    "UV_INDEX_URL": PYPI_URL,
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_TRUSTED_HOST": "",
    "PIP_FIND_LINKS": "",
    "UV_INDEX": "",
    "UV_EXTRA_INDEX_URL": "",
    "UV_FIND_LINKS": "",
    "UV_INSECURE_HOST": "",
}


def pypi_env(image_env: list[str]) -> dict[str, str]:
    """The ENV the per-run base sets so that pip and uv both use PyPI, given the base image's
    ``Config.Env``: ``PIP_INDEX_URL`` and ``UV_DEFAULT_INDEX`` always; every other index variable
    the image sets, emptied (or pointed at PyPI). An index-like variable this does not know stops
    the bench rather than leave a build on another index."""
    names = {item.split("=", 1)[0] for item in image_env}
    env = {"PIP_INDEX_URL": PYPI_URL, "UV_DEFAULT_INDEX": PYPI_URL}
    env.update({name: value for name, value in _INDEX_VARIABLES.items() if name in names})
    unknown = sorted(
        name
        for name in names - env.keys()
        if name.startswith(("PIP_", "UV_"))
        and re.search(r"INDEX|FIND_LINKS|TRUSTED|INSECURE", name)
    )
    if unknown:
        raise SystemExit(
            f"bench: the base image sets index variables it cannot override: {unknown}"
        )
    return dict(sorted(env.items()))


def base_dockerfile(image: str, plumbing: dict[str, str] | None = None) -> str:
    """The per-run base: ``image`` plus the nonce file; with ``plumbing`` (``--index pypi``), also
    the host's CA bundle (``ca-certificates.crt`` of the context) and those ENV settings. The same
    base for pip's build and uv's."""
    lines = [f"FROM {image}", "COPY nonce /.reqconv-bench"]
    if plumbing is not None:
        lines.append(f"COPY ca-certificates.crt {CA_BUNDLE}")
        lines.append("ENV " + " ".join(f'{name}="{value}"' for name, value in plumbing.items()))
    return "\n".join(lines) + "\n"


def cold_problem(kind: str, log: Build) -> str | None:
    """Why a cold build was not cold, or None: uv prepared (fetched) fewer packages than it
    installed, so its cache mount held some; pip took something from its cache."""
    if kind == "uv":
        timings = _uv_timings(log)
        installed = timings.get("Installed count")
        prepared = timings.get("Prepared count", 0.0)
        if installed is None:
            return "no `Installed N packages` line in uv's log"
        if prepared != installed:
            return (
                f"uv prepared {prepared:.0f} of the {installed:.0f} packages it installed: "
                "its cache mount was not empty"
            )
    elif re.search(r"^#\d+ \d+(?:\.\d+)? +Using cached ", log.log, re.MULTILINE):
        return "pip took packages from its cache (`Using cached` in its log)"
    return None


def lock_packages(text: str) -> int:
    """Packages an exported requirements.lock pins (one ``name==version`` line each)."""
    return len(re.findall(r"(?m)^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?==", text))


def _convert_env(index: IndexProxy | None, home: Path) -> dict[str, str]:
    """Host-side reqconv (convert, add): the loopback index through ``index``'s proxy, or with
    None the real PyPI (the host's CA bundle for uv: this machine's proxy intercepts TLS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV"))}
    if index is not None:
        env.update(index.env())
    elif CA_BUNDLE.is_file():
        env["SSL_CERT_FILE"] = str(CA_BUNDLE)
    env.update(
        UV_DEFAULT_INDEX=INDEX_URL if index is not None else PYPI_URL,
        UV_CACHE_DIR=str(home / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


def _reqconv(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reqconv", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"bench: reqconv {' '.join(args)} exited {done.returncode}\n{done.stdout}{done.stderr}"
        )


class Bench:
    def __init__(
        self,
        work: Path,
        index: IndexProxy | None,
        scratch: Path,
        plumbing: dict[str, str] | None = None,
    ) -> None:
        """``index`` None and ``plumbing`` (``pypi_env``): ``--index pypi``."""
        self.work, self.index, self.scratch = work, index, scratch
        self.plumbing = plumbing
        self.env = _convert_env(index, work.parent / "home")
        self.scenario = "prepare"
        self.base = BASE
        self.bases: list[str] = []
        self.analysis = False  # count .pyc files and keep the phases of each build

    def _tree(self, kind: str) -> Path:
        return self.work / kind

    def fresh(self, kind: str) -> Path:
        """A clean copy of the service: the original (pip) or converted (uv) tree."""
        tree = self._tree(kind)
        shutil.rmtree(tree, ignore_errors=True)
        shutil.copytree(self.work / f"{kind}.pristine", tree)
        return tree

    def prepare(self) -> None:
        pip = self.work / "pip.pristine"
        shutil.copytree(CASE, pip, ignore=shutil.ignore_patterns("case.toml"))
        uv = self.work / "uv.pristine"
        shutil.copytree(pip, uv)
        _reqconv(self.env, "convert", str(uv))

    def new_base(self) -> None:
        """A fresh variant of the base image, so that no earlier build's layers match.

        BuildKit keys its cache on content: a second bench run (or run #2) would find the layers of
        "the requirements plus orjson" cached from run #1. The variant adds a 13-byte file (a
        LABEL alone is not enough: the cache follows the layers, not the image id).
        """
        nonce = uuid.uuid4().hex[:12]
        self.base = f"{_TAG}-base:{nonce}"
        self.bases.append(self.base)
        context = self.scratch / "base"
        context.mkdir(parents=True, exist_ok=True)
        (context / "nonce").write_text(nonce + "\n", "utf-8")
        if self.plumbing is not None:
            shutil.copyfile(CA_BUNDLE, context / "ca-certificates.crt")
        (context / "Dockerfile").write_text(base_dockerfile(BASE, self.plumbing), "utf-8")
        docker("build", "-q", "-t", self.base, str(context))
        if self.plumbing is not None:
            env = docker("image", "inspect", "--format", "{{json .Config.Env}}", self.base).stdout
            if INDEX_URL in env or INDEX_URL.rstrip("/") in env:
                raise SystemExit(f"bench: the PyPI base still names the loopback index: {env}")

    def build(self, kind: str, *extra: str, compile_bytecode: bool = True) -> Run:
        tree = self._tree(kind)
        tag = f"{_TAG}-{kind}:bench"
        text = (tree / "Dockerfile").read_text("utf-8")
        text = re.sub(
            rf"(?im)^(\s*FROM\s+){re.escape(BASE)}(\s|$)", rf"\g<1>{self.base}\g<2>", text
        )
        assert self.base in text, "the Dockerfile does not start FROM " + BASE
        if not compile_bytecode:
            text = no_compile(text, kind)
        log = build(tree, text, tag, self.index, self.scratch, extra=extra)
        LOGS.mkdir(parents=True, exist_ok=True)
        suffix = "" if self.plumbing is None else "-pypi"
        (LOGS / f"{kind}-{self.scenario}{suffix}.log").write_text(log.log, "utf-8")
        if "--no-cache" in extra and (problem := cold_problem(kind, log)) is not None:
            raise SystemExit(f"bench: the {kind} {self.scenario} build was not cold: {problem}")
        upgrade = _self_upgrade_seconds(log) if kind == "pip" else 0.0
        pyc, phases = None, {}
        if self.analysis:  # after the timed build: neither counts in its time
            pyc = _pyc_count(tag)
            phases = _pip_phases(log) if kind == "pip" else _uv_timings(log)
        return Run(
            build=log.seconds,
            install=_install_seconds(log, kind),
            size=_size(tag),
            upgrade=upgrade,
            pyc=pyc,
            phases=phases,
        )

    def cold(self, kind: str, *, compile_bytecode: bool = True) -> Run:
        self.new_base()
        self.fresh(kind)
        return self.build(kind, "--no-cache", compile_bytecode=compile_bytecode)

    def source_edit(self, kind: str, n: int) -> Run:
        self.new_base()
        tree = self.fresh(kind)
        self.build(kind)
        with (tree / "app" / "main.py").open("a", encoding="utf-8") as f:
            f.write(f"\n# edit {n}\n")
        return self.build(kind)

    def add_dependency(self, kind: str) -> Run:
        self.new_base()
        tree = self.fresh(kind)
        self.build(kind)
        if kind == "pip":
            with (tree / "requirements.txt").open("a", encoding="utf-8") as f:
                f.write(f"{ADDED}\n")
        else:
            _reqconv(self.env, "add", "--project", str(tree), ADDED)
        return self.build(kind)


def _median(runs: list[Run]) -> Run:
    counts = [r.pyc for r in runs if r.pyc is not None]
    phases = {
        name: statistics.median(r.phases[name] for r in runs if name in r.phases)
        for name in {name for r in runs for name in r.phases}
    }
    return Run(
        build=statistics.median(r.build for r in runs),
        install=statistics.median(r.install for r in runs),
        size=int(statistics.median(r.size for r in runs)),
        upgrade=statistics.median(r.upgrade for r in runs),
        pyc=int(statistics.median(counts)) if counts else None,
        phases=phases,
    )


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    server = docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
        f"Docker {server} (BuildKit), stand-in `python:3.11-slim` (Debian's Python 3.11)"
    )


def _seconds(value: float) -> str:
    return "cached (0 s)" if value == 0 else f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"


def _load(load: tuple[float, float] | None) -> str:
    if load is None:
        return ""
    return f" Load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end."


def pypi_intro(
    packages: int, uv_version: str, runs: int, plumbing: dict[str, str], today: str
) -> list[str]:
    """The heading and the first paragraphs of the ``--index pypi`` section."""
    settings = ", ".join(f"`{name}={value}`" for name, value in plumbing.items())
    return [
        f"## Docker builds against PyPI (network, through this machine's proxy) ({today})",
        "",
        "`nox -s bench-docker -- --index pypi` (`python bench/docker_bench.py --index pypi`): the",
        "builds and scenarios of the loopback table, with pip and uv both fetching from the real PyPI",
        f"at build time; the service converted against PyPI too ({packages} pins in its",
        "`requirements.lock`, of which uv installs those for Linux), uv",
        f"{uv_version}, medians of {runs}. Needs the network, so never the default.",
        "",
        "Machine plumbing, the same for both builds (as a company proxy's CA would be): this machine",
        "reaches PyPI through a TLS-intercepting proxy, so the bench's per-run base image (the one",
        f"with the nonce file) copies the host's CA bundle to `{CA_BUNDLE}` and sets",
        f"{settings} in place of the stand-in's loopback index. pip (Debian's, then the one its",
        "self-upgrade installs) and uv (with the rewrite's `UV_SYSTEM_CERTS=1`) trust that bundle",
        "with no further setting. Builds use Docker's default network. Cold is cold on both sides:",
        "`--no-cache` gives uv's cache mount a fresh, empty one on this engine (the bench stops unless",
        "uv prepared every package it installed) and pip has no cache (`--no-cache-dir`; its",
        "self-upgrade runs in a fresh layer with no `~/.cache/pip`); after adding a dependency uv",
        "keeps its cache mount, as in the loopback table. Download times depend on PyPI, its CDN and",
        "the proxy at the time of the run.",
    ]


def render(
    results: dict[str, dict[str, Run]],
    runs: int,
    uv_version: str,
    packages: int,
    *,
    plumbing: dict[str, str] | None = None,
    load: tuple[float, float] | None = None,
) -> str:
    """The section for docs/benchmarks.md: the loopback one, or with ``plumbing`` the PyPI one."""
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    if plumbing is None:
        lines = [
            START,
            f"## Docker builds: the backend fixture, pip against uv ({today})",
            "",
            "`nox -s bench-docker` (`python bench/docker_bench.py`): `fixtures/builds/backend` built with its",
            "pip Dockerfile and with the one `reqconv convert` writes, from the same real wheels",
            f"({packages} packages downloaded once from PyPI, served on loopback), uv {uv_version}, medians of {runs}.",
        ]
    else:
        lines = [PYPI_START, *pypi_intro(packages, uv_version, runs, plumbing, today), ""]
    lines += [
        f"Machine: {_machine()}; shared with other jobs, so runs vary.{_load(load)}",
        "",
        "| scenario | pip build | uv build | pip install step | of which pip's self-upgrade "
        "| uv install step | pip image | uv image |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "cold": "cold (`--no-cache`)",
        "edit": "after a source edit",
        "add": f"after adding `{ADDED}`",
    }
    for key, label in names.items():
        pip, uv = results[key]["pip"], results[key]["uv"]
        lines.append(
            f"| {label} | {_seconds(pip.build)} | {_seconds(uv.build)} | {_seconds(pip.install)} "
            f"| {_seconds(pip.upgrade)} | {_seconds(uv.install)} | {pip.size / 1e6:.0f} MB "
            f"| {uv.size / 1e6:.0f} MB |"
        )
    cold_pip, cold_uv = results["cold"]["pip"], results["cold"]["uv"]
    as_file = cold_pip.install / cold_uv.install if cold_uv.install else float("inf")
    ratio = cold_pip.install_alone / cold_uv.install if cold_uv.install else float("inf")
    add_pip, add_uv = results["add"]["pip"], results["add"]["uv"]
    add_ratio = add_pip.build / add_uv.build if add_uv.build else float("inf")
    edit = results["edit"]["uv"].install
    size_diff = (cold_uv.size - cold_pip.size) / 1e6
    lines += [
        "",
        "Install step: pip's `RUN pip install --upgrade pip setuptools wheel && pip install -r`; uv's",
        "`RUN uv venv` plus `RUN uv pip sync` (BuildKit's step times). pip's self-upgrade: the part",
        "of its step before the `-r` install's first `Collecting` line (BuildKit stamps each line).",
        "Both ratios are against the same uv run: uv's cold install step (median).",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| uv install step ≥ 4x faster than pip's install alone (its step without the self-upgrade the rewrite drops), cold | {ratio:.1f}x | {'yes' if ratio >= 4 else '**no**'} |",
        f"| (for reference) against pip's step as the file has it, self-upgrade included | {as_file:.1f}x | not judged |",
        f"| a source edit reinstalls nothing | uv install step {_seconds(edit)} | {'yes' if edit == 0 else '**no**'} |",
        f"| rebuild after adding one dependency ≥ 5x faster than pip's | {add_ratio:.1f}x | {'yes' if add_ratio >= 5 else '**no**'} |",
        f"| uv image no larger than pip's | {size_diff:+.0f} MB | {'yes' if size_diff <= 0 else '**no**'} |",
    ]
    lines += render_ceilings(results)
    if "nocompile" in results:
        lines += render_compile(results, runs)
    lines.append(END if plumbing is None else PYPI_END)
    return "\n".join(lines) + "\n"


def render_ceilings(results: dict[str, dict[str, Run]]) -> list[str]:
    """The highest ratios uv could reach on this machine while it byte-compiles what pip does
    (``--compile-analysis`` runs only, which read uv's own phase lines of every build): pip's time
    against uv's byte-compiling alone, then against uv's four phases (resolving, preparing,
    installing, byte-compiling), as if nothing else in uv's step took time."""
    cold_pip, cold_uv = results["cold"]["pip"], results["cold"]["uv"]
    add_pip, add_uv = results["add"]["pip"], results["add"]["uv"]
    if not cold_uv.phases.get("Bytecode compiled") or not add_uv.phases.get("Bytecode compiled"):
        return []  # no compile timings (or none measurable): no ceiling to draw

    def work(run: Run) -> float:
        return sum(run.phases.get(name, 0.0) for name in UV_PHASES)

    outside = add_uv.build - add_uv.install  # the rebuild's time outside the install step
    rows = (
        ("cold install step", cold_pip.install_alone, "install alone", 0.0, cold_uv, 4),
        ("rebuild after adding one dependency", add_pip.build, "build", outside, add_uv, 5),
    )
    files = cold_uv.phases.get("Bytecode compiled count", 0.0)
    lines = [
        "",
        "Ceilings (same runs): the ratio uv would reach if its install step took no more than the"
        f" byte-compiling of the {files:,.0f} files pip compiles too (uv's `Bytecode compiled`"
        " line), or no more than its own four phase lines (resolving, preparing, installing,"
        " byte-compiling) with no process start, `uv venv` or layer work around them. After"
        " adding a dependency the rebuild's time outside the install step counts on uv's side, as"
        " it does in the ratio.",
        "",
        "| ceiling | pip | uv: byte-compiling alone | ratio at most | uv: its four phases "
        "| ratio at most | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, pip_seconds, what, extra, uv, target in rows:
        compile_only = uv.phases["Bytecode compiled"] + extra
        phases = work(uv) + extra
        plus = f" + {_seconds(extra)} outside the step" if extra else ""
        lines.append(
            f"| {label} | {_seconds(pip_seconds)} ({what}) "
            f"| {_seconds(uv.phases['Bytecode compiled'])}{plus} | {pip_seconds / compile_only:.1f}x "
            f"| {_seconds(work(uv))}{plus} | {pip_seconds / phases:.1f}x | {target}x |"
        )
    return lines


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def _phase(run: Run, name: str) -> str:
    if name not in run.phases:
        return "—"
    count = run.phases.get(f"{name} count")
    return _seconds(run.phases[name]) + (f" ({count:.0f})" if count is not None else "")


def render_compile(results: dict[str, dict[str, Run]], runs: int) -> list[str]:
    """The ``--compile-analysis`` table: the cold scenario with byte-compiling on (as written) and
    off on both sides, what compiling cost each side, and the phases of each side's step."""
    pip_on, uv_on = results["cold"]["pip"], results["cold"]["uv"]
    pip_off, uv_off = results["nocompile"]["pip"], results["nocompile"]["uv"]
    pip_compile = pip_on.install_alone - pip_off.install_alone
    uv_compile = uv_on.install - uv_off.install
    pyc = ["—" if r.pyc is None else f"{r.pyc:,}" for r in (pip_on, uv_on, pip_off, uv_off)]
    lines = [
        "",
        f"### Byte-compiling, cold (`--compile-analysis`, medians of {runs})",
        "",
        "The cold scenario built once more per run with byte-compiling off on both sides, in the",
        "same turns: pip with `ENV PIP_COMPILE=0` after its FROM (`PIP_NO_COMPILE=1` would turn",
        "it *on*: pip reads the variable as the value of `--no-compile`'s destination, `compile`),",
        "uv with the rewrite's `UV_COMPILE_BYTECODE=1` set to 0. pip's install alone is its step",
        "without the self-upgrade, as for the target; .pyc files counted under `/opt/venv` and",
        "`/usr/local/lib` of each image.",
        "",
        "| cold | pip install alone | pip's self-upgrade | uv install step | ratio | .pyc files pip / uv |",
        "|---|---|---|---|---|---|",
        f"| byte-compiling on (as written) | {_seconds(pip_on.install_alone)} "
        f"| {_seconds(pip_on.upgrade)} | {_seconds(uv_on.install)} "
        f"| {_ratio(pip_on.install_alone, uv_on.install)} | {pyc[0]} / {pyc[1]} |",
        f"| byte-compiling off on both sides | {_seconds(pip_off.install_alone)} "
        f"| {_seconds(pip_off.upgrade)} | {_seconds(uv_off.install)} "
        f"| {_ratio(pip_off.install_alone, uv_off.install)} | {pyc[2]} / {pyc[3]} |",
        f"| compiling (difference of the medians) | {pip_compile:.1f} s "
        f"| {pip_on.upgrade - pip_off.upgrade:.1f} s | {uv_compile:.1f} s "
        f"| compile alone: {_ratio(pip_compile, uv_compile)} | |",
        "",
        "Phases (medians): pip's `-r` install from BuildKit's line stamps (collect: first",
        "`Collecting` to `Installing collected packages`, resolving and downloading; install: to",
        "`Successfully installed`, unpacking and compiling); uv's own summary lines (count in",
        "brackets).",
        "",
        "| cold | pip collect | pip install | uv Resolved | uv Prepared | uv Installed | uv Bytecode compiled |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, pip, uv in (
        ("byte-compiling on", pip_on, uv_on),
        ("byte-compiling off", pip_off, uv_off),
    ):
        lines.append(
            f"| {label} | {_phase(pip, 'collect')} | {_phase(pip, 'install')} "
            + " ".join(f"| {_phase(uv, name)}" for name in UV_PHASES)
            + " |"
        )
    return lines


def write_doc(section: str, start: str = START, end: str = END) -> None:
    """``section`` (which begins with ``start`` and ends with ``end``) in place of the one
    between those markers in docs/benchmarks.md, or at its end (also multistage_bench's)."""
    text = DOC.read_text("utf-8")
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument(
        "--compile-analysis",
        action="store_true",
        help="also build the cold scenario with byte-compiling off on both sides, each run",
    )
    parser.add_argument(
        "--index",
        choices=("loopback", "pypi"),
        default="loopback",
        help="where builds and the conversion get packages: the wheels served on loopback "
        "(default, no network) or the real PyPI (network; a section of its own in the docs)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    from reqconv.docker.plan import resolve_uv_version

    uv_version = resolve_uv_version()
    problem = engine_problem([BASE, f"ghcr.io/astral-sh/uv:{uv_version}"])
    if problem is not None:
        raise SystemExit(f"bench: {problem}")
    plumbing: dict[str, str] | None = None
    served: contextlib.AbstractContextManager[IndexProxy | None]
    if args.index == "pypi":
        if not CA_BUNDLE.is_file():
            raise SystemExit(f"bench: no CA bundle at {CA_BUNDLE} to copy into the base image")
        image_env = docker("image", "inspect", "--format", "{{json .Config.Env}}", BASE).stdout
        plumbing = pypi_env(json.loads(image_env) or [])
        served, packages = contextlib.nullcontext(None), 0
    else:
        wheels = fetch_wheels(CACHE / "backend-wheels")
        packages = len(list(wheels.glob("*.whl")))
        served = serve_index(wheels)
    results: dict[str, dict[str, Run]] = {"cold": {}, "edit": {}, "add": {}}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="reqconv-bench-docker-") as tmp, served as index:
        bench = Bench(Path(tmp) / "work", index, Path(tmp) / "dockerfiles", plumbing)
        (Path(tmp) / "work").mkdir()
        bench.prepare()
        if plumbing is not None:
            lock = (Path(tmp) / "work" / "uv.pristine" / "requirements.lock").read_text("utf-8")
            if INDEX_HOST in lock:
                raise SystemExit(
                    "bench: the lock export converted against PyPI names the loopback index"
                )
            packages = lock_packages(lock)
        bench.analysis = args.compile_analysis
        try:
            scenarios: dict[str, Callable[[int, str], Run]] = {
                "cold": lambda n, kind: bench.cold(kind),
                "edit": lambda n, kind: bench.source_edit(kind, n),
                "add": lambda n, kind: bench.add_dependency(kind),
            }
            if args.compile_analysis:
                results["nocompile"] = {}
                scenarios["nocompile"] = lambda n, kind: bench.cold(kind, compile_bytecode=False)
            measured: dict[tuple[str, str], list[Run]] = {}
            # pip and uv take turns, so that both see the same load on these shared machines.
            for n in range(args.runs):
                for key, scenario in scenarios.items():
                    bench.scenario = key
                    for kind in ("pip", "uv"):
                        run = scenario(n, kind)
                        print(
                            f"bench: {kind} {key} #{n + 1}: build {run.build:.2f} s, "
                            f"install {run.install:.2f} s (self-upgrade {run.upgrade:.2f} s), "
                            f"{run.size / 1e6:.0f} MB"
                            + ("" if run.pyc is None else f", {run.pyc} .pyc")
                            + "".join(f", {k} {v:g}" for k, v in run.phases.items()),
                            file=sys.stderr,
                        )
                        measured.setdefault((key, kind), []).append(run)
            for (key, kind), runs in measured.items():
                results[key][kind] = _median(runs)
        finally:
            images = [f"{_TAG}-pip:bench", f"{_TAG}-uv:bench", *bench.bases]
            docker("image", "rm", "--force", *images, check=False)
        if index is not None and index.refused:
            raise SystemExit(
                f"bench: builds asked for something other than the index: {index.refused}"
            )
    load = (load_start, os.getloadavg()[0])
    section = render(results, args.runs, uv_version, packages, plumbing=plumbing, load=load)
    print(section)
    if not args.no_write:
        if plumbing is None:
            write_doc(section)
        else:
            write_doc(section, PYPI_START, PYPI_END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
