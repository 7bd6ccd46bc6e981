"""Every Dockerfile of the shared real-world corpus: no crash, and every ``pip install -r`` is
either rewritten or reported with its line. Prints the share of each (``pytest -s`` shows it)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from reqconv.docker import DockerPlan, DockerResult, instructions, rewrite
from tests import _shared

CORPUS = _shared.CORPUS / "dockerfiles"
PLAN = DockerPlan(uv_version="0.9.5")

# The test's own oracle, independent of reqconv's shell parsing: a RUN that mentions pip (or
# ``python -m pip``, or ``uv pip``) with ``install`` and a ``-r``/``--requirement(s)`` option.
_PIP_INSTALL_R = re.compile(
    r"\bpip[0-9.]*\b(?:(?!&&|;|\n).)*?\binstall\b(?:(?!&&|;|\n).)*?\s(?:-r|--requirements?)[\s=]",
    re.S,
)


def _dockerfiles() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.is_file())


pytestmark = _shared.needs(CORPUS)

# The README's figures: "half of the corpus's `pip install -r` runs and nine in ten of the real
# services' are rewritten". Floors as (numerator, denominator) of the rewritten share.
README_SAYS = "half of the corpus's `pip install -r` runs and nine in ten of the real services'"
CORPUS_FLOOR = (1, 2)
SERVICES_FLOOR = (9, 10)


def _at_least(rewritten: int, total: int, floor: tuple[int, int]) -> bool:
    return rewritten * floor[1] >= total * floor[0]


def test_the_readme_quotes_the_floors_checked_here() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert README_SAYS in " ".join(readme.split())


@pytest.mark.parametrize(
    ("rewritten", "total", "floor", "met"),
    [
        (10, 20, CORPUS_FLOOR, True),
        (9, 20, CORPUS_FLOOR, False),
        (108, 120, SERVICES_FLOOR, True),
        (107, 120, SERVICES_FLOOR, False),
    ],
)
def test_at_least(rewritten: int, total: int, floor: tuple[int, int], met: bool) -> None:
    assert _at_least(rewritten, total, floor) is met


def _install_lines(text: str) -> list[int]:
    import dockerfile

    return [
        c.start_line
        for c in dockerfile.parse_string(text)
        if c.cmd.upper() == "RUN" and _PIP_INSTALL_R.search(c.original)
    ]


def _results() -> dict[str, tuple[str, DockerResult]]:
    results = {}
    for path in _dockerfiles():
        text = path.read_text(encoding="utf-8")
        results[path.name] = (text, rewrite(text, PLAN))
    return results


@pytest.mark.parametrize("path", _shared.params(_dockerfiles(), CORPUS), ids=lambda p: p.name[:60])
def test_no_crash_and_every_install_accounted_for(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = rewrite(text, PLAN)
    instructions(result.text)  # the result parses
    assert rewrite(result.text, PLAN).text == result.text  # idempotent
    reported = {f.line for f in result.findings}
    for line in _install_lines(text):
        assert line in result.rewritten or line in reported, f"{path.name}:{line}"
    for finding in result.findings:  # each warning says what was kept and what to do instead
        if finding.severity == "warning" and finding.code not in ("index-credentials", "pip-env"):
            assert "kept:" in finding.message, f"{path.name}:{finding.line}: {finding.message}"


def test_corpus_figures(capsys: pytest.CaptureFixture[str]) -> None:
    rewritten = 0
    reasons: Counter[str] = Counter()
    files_changed = 0
    for _name, (text, result) in _results().items():
        by_line: dict[int, str] = {}
        for finding in result.findings:  # a line's -r reason before its inline-packages one
            if by_line.get(finding.line) in (None, "inline-packages"):
                by_line[finding.line] = finding.code
        files_changed += result.changed
        for line in _install_lines(text):
            if line in result.rewritten:
                rewritten += 1
            else:
                reasons[by_line[line]] += 1
    total = rewritten + sum(reasons.values())
    assert total > 0
    assert _at_least(rewritten, total, CORPUS_FLOOR), f"{rewritten} of {total} rewritten"
    with capsys.disabled():
        print(
            f"\ncorpus: {len(_dockerfiles())} Dockerfiles, {files_changed} rewritten; "
            f"{total} RUN with pip install -r: {rewritten} rewritten "
            f"({100 * rewritten // total}%), {total - rewritten} reported: "
            + ", ".join(f"{code} {count}" for code, count in reasons.most_common())
        )


# -- the real service trees (../shared/services): every Dockerfile that builds each service --------

SERVICES = _shared.SERVICES


def _service_dirs() -> list[tuple[str, str]]:
    manifest = SERVICES / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [line.split("\t") for line in manifest.read_text().splitlines()[1:] if line.strip()]
    return [(row[0], service) for row in rows for service in row[3].split(",")]


@pytest.fixture(scope="module")
def services_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trees, copied: reqconv never runs inside ../shared/services (its README)."""
    import shutil

    copy = tmp_path_factory.mktemp("services")
    for folder in dict.fromkeys(folder for folder, _service in _service_dirs()):
        shutil.copytree(SERVICES / folder, copy / folder)
    return copy


def _service_figures(copy: Path) -> tuple[int, Counter[str], int]:
    """(rewritten, kept reasons, Dockerfiles) over every (service, Dockerfile) pair: each
    ``pip install -r`` RUN of a Dockerfile that builds the service is rewritten or kept with
    a code (a Dockerfile left alone counts each of its installs under the code that says why)."""
    from reqconv.docker.builds import scan
    from reqconv.docker.plan import plan_service
    from reqconv.docker.reasons import RULES

    rewritten = 0
    reasons: Counter[str] = Counter()
    files = 0
    for folder, service in _service_dirs():
        root = copy / folder / service
        plan = plan_service(root, uv_version="0.9.5")
        after = {change.path: change.after_text for change in plan.changes}
        kept: dict[Path, dict[int, str]] = {}
        left: dict[Path, str] = {}
        for d in plan.diagnostics:
            if d.location is None:
                continue
            rule = RULES.get(d.code)
            if d.location.line and rule is not None and rule.kind == "kept":
                codes = kept.setdefault(d.location.path, {})
                if codes.get(d.location.line) in (None, "inline-packages", "local-project"):
                    codes[d.location.line] = d.code
            elif d.code.startswith("build-context-") and d.code != "build-context-ambiguous":
                left[d.location.path] = d.code
        for dockerfile in dict.fromkeys(b.dockerfile for b in scan(root).builds):
            text = dockerfile.read_text(encoding="utf-8")
            lines = _install_lines(text)
            if not lines:
                continue
            files += 1
            for line in lines:
                code = left.get(dockerfile) or kept.get(dockerfile, {}).get(line)
                if code is None:
                    assert after.get(dockerfile, text) != text, f"{dockerfile}:{line}"
                    rewritten += 1
                else:
                    reasons[code] += 1
    return rewritten, reasons, files


@_shared.needs(SERVICES)
def test_services_figures(services_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rewritten, reasons, files = _service_figures(services_copy)
    total = rewritten + sum(reasons.values())
    assert total > 0
    assert _at_least(rewritten, total, SERVICES_FLOOR), f"{rewritten} of {total} rewritten"
    with capsys.disabled():
        print(
            f"\nservices: {len(_service_dirs())} services, {files} (service, Dockerfile) pairs "
            f"with pip install -r; {total} RUN: {rewritten} rewritten "
            f"({100 * rewritten // total}%), {total - rewritten} kept: "
            + ", ".join(f"{code} {count}" for code, count in reasons.most_common())
        )
