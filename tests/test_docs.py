from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_doc_examples_match_fixtures_and_goldens() -> None:
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "docs" / "check_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = [p for p in (ROOT / "docs").glob("*.md") if "<!-- file: " in p.read_text()]
    assert pages, "no doc page shows a fixture"
    assert module.stale_blocks() == []


def test_docker_page_shows_the_table_of_finding_codes() -> None:
    from reqconv.docker.reasons import markdown_table

    page = (ROOT / "docs" / "docker.md").read_text()
    assert markdown_table("kept") in page
    assert markdown_table("advice") in page


def test_docker_page_shows_the_table_of_system_packages() -> None:
    from reqconv.docker.packages import markdown_table

    page = (ROOT / "docs" / "docker.md").read_text()
    assert markdown_table() in page
