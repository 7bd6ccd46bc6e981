from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _check_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "docs" / "check_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_doc_examples_match_fixtures_and_goldens() -> None:
    pages = [p for p in (ROOT / "docs").glob("*.md") if "<!-- file: " in p.read_text()]
    assert pages, "no doc page shows a fixture"
    assert _check_docs().stale_blocks() == []


def test_every_printed_block_is_a_file_a_run_or_says_why_not() -> None:
    assert _check_docs().unmarked_blocks() == []


@pytest.mark.uv
@pytest.mark.slow
def test_every_printed_run_is_what_it_prints_now() -> None:
    problems, not_compared = _check_docs().stale_runs()
    assert problems == []
    # Only the runs that reach PyPI are left to `python docs/check_docs.py --network`.
    assert all("needs the network" in line for line in not_compared)


def _site(tmp_path: Path, page: str) -> Path:
    (tmp_path / "README.md").write_text("# x\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(page)
    return tmp_path


@pytest.mark.parametrize(
    ("page", "problem"),
    [
        pytest.param("x:\n\n```\nwrote a\n```\n", "with no file/run/illustrative", id="bare"),
        pytest.param("```json\n{}\n```\n", "with no file/run/illustrative", id="json"),
        pytest.param("<!-- illustrative: -->\n```\nx\n```\n", "with no reason", id="no-reason"),
        pytest.param("<!-- run: nope -->\n```\nx\n```\n", "no run named 'nope'", id="run"),
    ],
)
def test_an_unmarked_printed_block_is_a_problem(tmp_path: Path, page: str, problem: str) -> None:
    (found,) = _check_docs().unmarked_blocks(_site(tmp_path, page))
    assert found.startswith("docs/page.md:")
    assert problem in found


def test_input_blocks_and_marked_blocks_need_nothing_more(tmp_path: Path) -> None:
    page = "```sh\nreqconv convert .\n```\n<!-- illustrative: a map -->\n```\na -> b\n```\n"
    assert _check_docs().unmarked_blocks(_site(tmp_path, page)) == []


@pytest.mark.uv
def test_a_stale_run_fails_the_check_and_update_rewrites_it(tmp_path: Path) -> None:
    stale = "::error file=svc/requirements.txt,line=4,title=R101::an old message\n"
    root = _site(tmp_path, f"Before.\n\n<!-- run: check-github -->\n```\n{stale}```\n\nAfter.\n")
    check_docs = _check_docs()

    problems, _ = check_docs.stale_runs(root)
    (problem,) = problems
    assert problem.startswith("docs/page.md:4: run check-github prints otherwise now:")
    assert "line=5,title=R101::'zeta>=1.0' is not in [project] dependencies" in problem

    assert check_docs.stale_runs(root, update=True) == ([], [])
    page = (root / "docs" / "page.md").read_text()
    assert stale not in page
    assert page.startswith("Before.\n\n<!-- run: check-github -->\n```\n::error file=svc/")
    assert page.endswith("```\n\nAfter.\n")
    assert check_docs.stale_runs(root) == ([], [])


def test_docker_page_shows_the_table_of_finding_codes() -> None:
    from reqconv.docker.reasons import markdown_table

    page = (ROOT / "docs" / "docker.md").read_text()
    assert markdown_table("kept") in page
    assert markdown_table("advice") in page


def test_docker_page_shows_the_table_of_system_packages() -> None:
    from reqconv.docker.packages import markdown_table

    page = (ROOT / "docs" / "docker.md").read_text()
    assert markdown_table() in page
