"""``reqconv check`` on every service of ``../shared/services`` right after ``reqconv convert``
(no lock, no Docker: offline): no finding. A service already on uv upstream (CTFd: pyproject.toml,
uv.lock, and a requirements.txt that is ``uv export``'s output) is left as it was by convert, and
check finds only its Dockerfile's ``pip install -r`` (D401), no requirements drift; a service
convert refuses is refused by check with the same exit code, or, when it has no pyproject.toml
[project] nor uv.lock, named as not migrated yet (M504)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from reqconv import cli
from reqconv.drift import survey
from reqconv.drift.check import check_service
from tests import _shared

SERVICES = _shared.SERVICES

pytestmark = _shared.needs(SERVICES)


def _service_dirs() -> list[tuple[str, str]]:
    if not SERVICES.is_dir():
        return []
    with (SERVICES / "MANIFEST.tsv").open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(row["folder"], d) for row in rows for d in row["service_dirs"].split(",")]


def _code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as excinfo:
        cli.main(argv)
    assert isinstance(excinfo.value.code, int)
    return excinfo.value.code


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("services")
    for folder in sorted({folder for folder, _ in _service_dirs()}):
        shutil.copytree(SERVICES / folder, root / folder)
    return root


@pytest.mark.parametrize(("folder", "service"), _shared.params(_service_dirs(), SERVICES, arity=2))
def test_no_finding_after_convert(trees: Path, folder: str, service: str) -> None:
    root = trees / folder / service
    had_lock = (root / "uv.lock").is_file()
    converted = _code(["convert", "--no-lock", "--no-docker", "--offline", "-q", str(root)])
    if converted != 0:
        assert converted == 2
        if survey.not_migrated(str(root)) is None:
            assert _code(["check", str(root)]) == 2  # the same bad input, the same exit code
        else:  # nothing was written: check names it as not migrated yet, without parsing it
            assert _code(["check", str(root)]) == 0
            assert _code(["check", "--require-migrated", str(root)]) == 1
        return
    findings = check_service(root).findings
    if had_lock:
        # already on uv (CTFd): its requirements.txt is uv's export of uv.lock, no R1xx finding;
        # its Dockerfile still runs `pip install -r`, which a locked service should not
        assert {f.code for f in findings} == {"D401"}
    else:
        assert findings == []
