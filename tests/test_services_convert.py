"""Every service of ../shared/services converted with ``--no-lock``: nothing lost, idempotent.

Each tree is copied to tmp; ``reqconv convert --no-lock`` runs on each ``service_dirs`` entry of
MANIFEST.tsv. The requirements are read here by a small scanner of this test's own (not reqconv's
parser): every requirement of every requirements file of the service, its ``-r`` and ``-c``
includes too, must be in the result (``[project]`` dependencies and extras, dependency groups,
``[tool.uv]`` constraints/overrides/sources, or a compiled file's pins carried to the lock) unless
the run failed naming ``file:line``. A second run changes no byte and ``--check`` exits 0.
"""

from __future__ import annotations

import csv
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from reqconv import cli
from reqconv.commands.convert import ConvertOptions
from reqconv.requirements import discover
from reqconv.service import plan_service
from tests import _shared

SERVICES = _shared.SERVICES
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE_RE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")
_LOCATION_RE = re.compile(r"^reqconv: error: \S+:\d+: ", re.MULTILINE)


def _rows() -> list[dict[str, str]]:
    if not SERVICES.is_dir():
        return []
    with (SERVICES / "MANIFEST.tsv").open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


SERVICE_DIRS = _shared.params(
    (
        pytest.param(row["folder"], folder, id=f"{row['folder']}:{folder}")
        for row in _rows()
        for folder in row["service_dirs"].split(",")
    ),
    SERVICES,
    arity=2,
)
pytestmark = _shared.needs(SERVICES)


# Folders refused before issue 17 (two images' files pinning one package apart) that convert as
# alternative sets; no other folder gets any.
ALTERNATIVE_SETS = frozenset({"LAION-AI__Open-Assistant:backend"})


@dataclass(frozen=True)
class Wanted:
    name: str
    where: str  # file:line
    compiled: bool  # from a compiled .txt: carried as a pin for the lock


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        if raw.endswith("\\"):
            buffer += raw[:-1] + " "
            continue
        lines.append((start, buffer + raw))
        buffer = ""
    if buffer:
        lines.append((start, buffer))
    return lines


def _name(line: str) -> str | None:
    egg = _EGG_RE.search(line)
    if egg is not None:
        return canonicalize_name(egg.group(1))
    text = re.sub(r"\s--hash[=\s]\S+", "", line)
    text = re.sub(r"^(-e|--editable)\s+", "", text).strip()
    text = re.split(r"\s+#", text)[0].strip()
    text = re.split(r"\s+(?=--?[a-z])", text)[0].strip()  # per-line options
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None  # an unnamed URL or path: reqconv must name it or fail with file:line


def _scan(path: Path, compiled: set[Path], seen: set[Path], wanted: list[Wanted]) -> None:
    path = path.resolve()
    if path in seen or not path.is_file():
        return
    seen.add(path)
    for number, raw in _logical_lines(path.read_text(encoding="utf-8-sig", errors="replace")):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE_RE.match(line)
        if include is not None:
            _scan(path.parent / include.group(2), compiled, seen, wanted)
            continue
        if line.startswith("-") and not line.startswith(("-e", "--editable")):
            continue  # an option line (--index-url, ...): not a requirement
        name = _name(line)
        wanted.append(Wanted(name or f"<unnamed {line}>", f"{path}:{number}", path in compiled))


def _requirements(root: Path) -> list[Wanted]:
    wanted: list[Wanted] = []
    seen: set[Path] = set()
    roles = discover.discover(root)
    compiled = {role.compiled.resolve() for role in roles if role.compiled is not None}
    for role in roles:
        _scan(role.path, compiled, seen, wanted)
    for path in compiled:
        _scan(path, compiled, seen, wanted)
    return wanted


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    if isinstance(value, dict):
        return [item for v in value.values() for item in _strings(v)]
    return []


def _result_names(root: Path) -> set[str]:
    data = tomllib.loads((root / "pyproject.toml").read_text())
    project = data.get("project", {})
    uv = data.get("tool", {}).get("uv", {})
    entries = [
        *_strings(project.get("dependencies")),
        *_strings(project.get("optional-dependencies")),
        *_strings(data.get("dependency-groups")),
        *_strings(uv.get("constraint-dependencies")),
        *_strings(uv.get("override-dependencies")),
        *_strings(uv.get("dev-dependencies")),
    ]
    names: set[str] = {canonicalize_name(Requirement(entry).name) for entry in entries}
    names |= {canonicalize_name(name) for name in uv.get("sources", {})}
    return names


def _convert(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["convert", "--no-lock", *args])
    captured = capsys.readouterr()
    code = exit_info.value.code
    return code if isinstance(code, int) else 4, captured.out + captured.err


def _snapshot(tree: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(tree.rglob("*")) if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize(("folder", "service"), SERVICE_DIRS)
def test_service_converts_without_losing_a_requirement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str, service: str
) -> None:
    tree = tmp_path / folder
    shutil.copytree(SERVICES / folder, tree)
    root = tree / service
    wanted = _requirements(root)
    roles, exports = discover.discover_exports(root)
    if not roles and exports:
        # CTFd: its requirements.txt is `uv export`'s output of its own uv.lock (docs/convert.md,
        # "Files exported from uv.lock"): already on uv, convert changes nothing and says why.
        untouched = _snapshot(tree)
        code, output = _convert(capsys, str(root))
        assert code == 0, output
        assert "already on uv" in output
        assert "is uv's export of uv.lock (uv export " in output
        assert _snapshot(tree) == untouched
        return
    assert wanted, "the service has requirements"
    originals = {path: path.read_bytes() for path in tree.rglob("*requirements*") if path.is_file()}
    untouched = _snapshot(tree)

    code, output = _convert(capsys, str(root))
    if code != 0:
        # A failed run names file:line and writes nothing.
        assert code == 2, output
        assert _LOCATION_RE.search(output), output
        assert _snapshot(tree) == untouched
        return
    assert "Traceback" not in output

    # Alternative sets (docs/variants.md) only where two images' files conflict.
    tool = tomllib.loads((root / "pyproject.toml").read_text()).get("tool", {})
    assert ("reqconv" in tool) == (f"{folder}:{service}" in ALTERNATIVE_SETS), output
    found = _result_names(root)
    pins = {pin.name for pin in plan_service(root, ConvertOptions(paths=(root,))).conversion.pins}
    missing = [
        item
        for item in wanted
        if item.name not in found and not (item.compiled and item.name in pins)
    ]
    assert missing == [], output
    for path, data in originals.items():  # requirements files are never edited or deleted
        assert path.read_bytes() == data

    before = _snapshot(tree)
    code, output = _convert(capsys, str(root))
    assert code == 0, output
    assert _snapshot(tree) == before, "a second run changed a file"
    code, output = _convert(capsys, "--check", str(root))
    assert code == 0, output


@pytest.mark.slow
def test_two_images_of_one_folder_convert_as_alternative_sets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Open-Assistant's backend: the API image's requirements.txt and the worker image's
    requirements_worker.txt pin cryptography 41.0.0 and 39.0.0 (refused before docs/variants.md)."""
    tree = tmp_path / "LAION-AI__Open-Assistant"
    shutil.copytree(SERVICES / "LAION-AI__Open-Assistant", tree)
    code, output = _convert(capsys, str(tree / "backend"))
    assert code == 0, output
    data = tomllib.loads((tree / "backend" / "pyproject.toml").read_text())
    assert data["tool"]["uv"]["conflicts"] == [[{"group": "backend"}, {"group": "worker"}]]
    assert data["tool"]["reqconv"]["variants"] == {
        "backend": "requirements.txt",
        "worker": "requirements_worker.txt",
    }
    assert "cryptography==41.0.0" in data["dependency-groups"]["backend"]
    assert "cryptography==39.0.0" in data["dependency-groups"]["worker"]
    assert "sqlalchemy==1.4.41" in data["project"]["dependencies"]
    api = (tree / "docker" / "Dockerfile.backend").read_text()
    worker = (tree / "docker" / "Dockerfile.backend-worker").read_text()
    assert "backend/requirements-backend.lock" in api
    assert "requirements-worker.lock" not in api
    assert "backend/requirements-worker.lock" in worker
    assert "requirements-backend.lock" not in worker
