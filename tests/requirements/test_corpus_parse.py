"""Parse every requirements file of the real-world corpus (``../shared/corpus`` beside the checkout).

The corpus stores ``owner/repo/a/b.txt`` as ``owner__repo__a__b.txt``; the files are laid back into
trees so that ``-r``/``-c`` resolve. Each file must parse, or be refused with ``file:line: reason``;
and no requirement line may vanish: its name is a ``Req``, or the line has a diagnostic.
Run ``python -m tests.test_corpus_parse`` for the summary alone.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from reqconv.errors import InputError, InputErrors
from reqconv.model import ReqFile
from reqconv.requirements.parse import parse_tree
from tests import _shared

CORPUS = _shared.CORPUS
REQUIREMENTS = CORPUS / "requirements"
pytestmark = _shared.needs(REQUIREMENTS)
# An independent, rougher reading of a line than the parser's: a name at the start of the line.
NAME_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[|[<>=!~;@]|$)")


def lay_out(target: Path) -> list[Path]:
    """Copy the flat corpus files to ``target/owner__repo/a/b.txt``; return the relative paths."""
    paths = []
    for flat in sorted(REQUIREMENTS.iterdir()):
        owner, repo, *parts = flat.name.split("__")
        relative = Path(f"{owner}__{repo}", *parts)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(flat, target / relative)
        paths.append(relative)
    return paths


@dataclass
class Summary:
    clean: list[Path] = field(default_factory=list)
    warned: dict[Path, Counter[str]] = field(default_factory=dict)
    refused: dict[Path, str] = field(default_factory=dict)
    trees: dict[Path, dict[Path, ReqFile]] = field(default_factory=dict)
    errors: dict[Path, InputError] = field(default_factory=dict)

    def lines(self) -> Iterator[str]:
        total = len(self.clean) + len(self.warned) + len(self.refused)
        yield (
            f"{total} corpus requirements files: {len(self.clean)} clean, "
            f"{len(self.warned)} with warnings, {len(self.refused)} refused"
        )
        codes: Counter[str] = Counter()
        for counter in self.warned.values():
            codes.update(counter)
        for code, count in sorted(codes.items()):
            yield f"  warning {code}: {count}"
        for path, counter in sorted(self.warned.items()):
            yield f"  warned  {path}: {', '.join(sorted(counter))}"
        for path, reason in sorted(self.refused.items()):
            yield f"  refused {path}: {reason}"


def summarize(root: Path, paths: list[Path]) -> Summary:
    """Parse each file (with its includes) from ``root`` (the current folder)."""
    summary = Summary()
    for path in paths:
        try:
            tree = parse_tree([path])
        except InputError as e:  # a ParseError, or InputErrors of every bad line
            summary.errors[path] = e
            summary.refused[path] = str(e).splitlines()[0]
            continue
        summary.trees[path] = tree
        own = tree[path]
        if own.diagnostics:
            summary.warned[path] = Counter(d.code for d in own.diagnostics)
        else:
            summary.clean.append(path)
    return summary


def _requirement_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line, text) of lines that install something: not blank, comment or option (but -e)."""
    lines = text.replace("\r\n", "\n").split("\n")
    number = 0
    while number < len(lines):
        start, line = number + 1, lines[number]
        while line.endswith("\\") and number + 1 < len(lines) and not line.lstrip().startswith("#"):
            number += 1
            line = line[:-1] + lines[number]
        number += 1
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line or (line.startswith("-") and not line.startswith(("-e", "--editable"))):
            continue
        yield start, line


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Summary]]:
    root = tmp_path_factory.mktemp("corpus")
    paths = lay_out(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        yield root, summarize(root, paths)


def test_corpus_summary(corpus: tuple[Path, Summary], capsys: pytest.CaptureFixture[str]) -> None:
    _, summary = corpus
    with capsys.disabled():
        print("\n" + "\n".join(summary.lines()))
    assert summary.clean
    assert len(summary.refused) < len(summary.clean)


def test_refusals_name_file_and_line(corpus: tuple[Path, Summary]) -> None:
    _, summary = corpus
    every = [
        error
        for found in summary.errors.values()
        for error in (found.errors if isinstance(found, InputErrors) else (found,))
    ]
    for error in every:
        assert error.location is not None
        assert error.location.line > 0
        assert str(error).startswith(f"{error.location.path}:{error.location.line}: ")


def test_no_requirement_is_dropped_in_silence(corpus: tuple[Path, Summary]) -> None:
    root, summary = corpus
    checked = 0
    for tree in summary.trees.values():
        for path, parsed in tree.items():
            named = {(r.origin.line, r.name) for r in parsed.requirements}
            lines_with_req = {r.origin.line for r in parsed.requirements}
            # A line without a name is kept to be named (convert names it or refuses it).
            lines_with_req |= {u.origin.line for u in parsed.unnamed}
            reported = {d.location.line for d in parsed.diagnostics if d.location is not None}
            text = (root / path).read_bytes().decode("utf-8-sig")
            for number, line in _requirement_lines(text):
                checked += 1
                if number in reported:
                    continue
                match = NAME_RE.match(line)
                if match and "://" not in line and not line.startswith("-"):
                    assert (number, canonicalize_name(match.group(1))) in named, (path, number)
                else:
                    assert number in lines_with_req, (path, number, line)
    assert checked > 1000


def test_names_agree_with_pip_requirements_parser(corpus: tuple[Path, Summary]) -> None:
    import pip_requirements_parser as prp

    root, summary = corpus
    for path, tree in summary.trees.items():
        theirs = prp.RequirementsFile.from_file(str(root / path))
        ours = {r.name for r in tree[path].requirements}
        for item in theirs.requirements:
            if item.req is not None and item.req.name:
                assert canonicalize_name(item.req.name) in ours, (path, item.line_number)


def main() -> int:
    if not REQUIREMENTS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    import os

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = lay_out(root)
        previous = Path.cwd()
        os.chdir(root)
        try:
            summary = summarize(root, paths)
        finally:
            os.chdir(previous)
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
