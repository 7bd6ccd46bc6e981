"""Every Dockerfile of the shared real-world corpus: no crash, and every ``pip install -r`` is
either rewritten or reported with its line. Prints the share of each (``pytest -s`` shows it)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from reqconv.docker import DockerPlan, DockerResult, instructions, rewrite

CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus" / "dockerfiles"
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


pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


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


@pytest.mark.parametrize("path", _dockerfiles(), ids=lambda p: p.name[:60])
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
    with capsys.disabled():
        print(
            f"\ncorpus: {len(_dockerfiles())} Dockerfiles, {files_changed} rewritten; "
            f"{total} RUN with pip install -r: {rewritten} rewritten "
            f"({100 * rewritten // total}%), {total - rewritten} reported: "
            + ", ".join(f"{code} {count}" for code, count in reasons.most_common())
        )
