"""Keep the docs true to the code: every fenced block that follows a ``<!-- file: PATH -->`` marker
must equal that file (a fixture input or a golden output the tests check), byte for byte.

Run by ``nox -s docs`` and by tests/test_docs.py. Exit 1 with the stale blocks listed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK_RE = re.compile(r"<!-- file: (?P<path>[^ ]+) -->\n```[a-z]*\n(?P<body>.*?)```\n", re.DOTALL)


def stale_blocks(root: Path = ROOT) -> list[str]:
    """``page: path`` for each marked block that differs from its file."""
    problems = []
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    for page in pages:
        for match in BLOCK_RE.finditer(page.read_text()):
            target = root / match["path"]
            if not target.is_file():
                problems.append(f"{page.relative_to(root)}: {match['path']} does not exist")
            elif target.read_text() != match["body"]:
                problems.append(f"{page.relative_to(root)}: block differs from {match['path']}")
    return problems


def main() -> int:
    problems = stale_blocks()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
