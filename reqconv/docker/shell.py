"""The shell inside a ``RUN``: its simple commands, with their positions in the file (bashlex).

``bashlex`` is imported here only, inside ``parse_shell``. A ``Script`` is the shell text of a RUN
(its logical line or a heredoc body) with the file offset of each character; a ``Cmd`` is one
simple command of it, and says whether it runs at the top level (alone or in an ``&&``/``;``
chain), which is where reqconv may replace it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

__all__ = [
    "PIP_INSTALL_RE",
    "POSIX_SHELLS",
    "PYTHON_NAME_RE",
    "Cmd",
    "Script",
    "command_start",
    "has_substitution",
    "parse_shell",
    "venv_created",
    "walk_commands",
]

PYTHON_NAME_RE = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
PIP_INSTALL_RE = re.compile(r"\bpip[0-9.]*\b.*\binstall\b")
POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


@dataclass(slots=True)
class Script:
    """Shell text from a RUN (its logical line or a heredoc body) and its offsets in the file."""

    text: str
    offsets: list[int]
    heredoc: bool

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(slots=True)
class Cmd:
    """One simple command found by bashlex, with what reqconv needs to know about it."""

    node: Any
    script: Script
    top: bool  # at the top level of the script (alone, or in an && / ; chain)
    chain: Any | None  # the ListNode it belongs to, when top
    words: list[Any]  # WordNodes after the leading assignments
    assignments: list[str]
    in_substitution: bool = False  # inside a ``$(...)``/backticks of another command's word


def walk_commands(script: Script, trees: Sequence[Any]) -> list[Cmd]:
    found: list[Cmd] = []

    def visit(node: Any, top: bool, chain: Any | None, subst: bool = False) -> None:
        kind = node.kind
        if kind == "command":
            words = [part for part in node.parts if part.kind == "word"]
            assignments = []
            for part in node.parts:
                if part.kind == "assignment":
                    assignments.append(part.word)
                elif part.kind == "word":
                    break
            found.append(Cmd(node, script, top, chain, words, assignments, subst))
            for part in node.parts:  # $(...) inside words
                for child in getattr(part, "parts", []) or []:
                    visit(child, False, None, True)
            return
        if kind == "list":
            separators = {p.op for p in node.parts if p.kind == "operator"}
            chain_ok = top and separators <= {"&&", ";", "\n"}
            for part in node.parts:
                if part.kind != "operator":
                    visit(part, chain_ok, node if chain_ok else None, subst)
            return
        for attr in ("parts", "list", "command"):
            children = getattr(node, attr, None)
            if isinstance(children, list):
                for child in children:
                    visit(child, False, None, subst or kind in ("commandsubstitution",))
            elif children is not None and hasattr(children, "kind"):
                visit(children, False, None, subst or kind in ("commandsubstitution",))

    for tree in trees:
        visit(tree, True, None)
    return found


def parse_shell(script: Script) -> list[Any] | None:
    import bashlex

    try:
        return list(bashlex.parse(script.text))
    except Exception:  # bashlex raises ParsingError, NotImplementedError, and assertion errors
        return None


def has_substitution(word: Any) -> bool:
    if "$" in word.word or "`" in word.word:
        return True
    return any(part.kind != "word" for part in (getattr(word, "parts", None) or []))


_PREFIX_COMMANDS = frozenset({"sudo", "env", "exec", "nice", "time", "command"})


def command_start(words: Sequence[Any]) -> int:
    """Index of the real command after prefixes such as ``sudo -H`` or ``env X=1`` (kept as is)."""
    at = 0
    while at < len(words) and PurePosixPath(words[at].word).name in _PREFIX_COMMANDS:
        at += 1
        while at < len(words) and (words[at].word.startswith("-") or "=" in words[at].word):
            at += 1
    return at


def venv_created(cmd: Cmd) -> str | None:
    """The folder of ``python -m venv X`` / ``virtualenv X`` / ``uv venv X``."""
    words = [w.word for w in cmd.words]
    if not words:
        return None
    name = PurePosixPath(words[0]).name
    args: list[str] = []
    if (PYTHON_NAME_RE.match(name) and words[1:3] == ["-m", "venv"]) or (
        PYTHON_NAME_RE.match(name) and words[1:3] == ["-m", "virtualenv"]
    ):
        args = words[3:]
    elif name == "virtualenv":
        args = words[1:]
    elif name == "uv" and words[1:2] == ["venv"]:
        args = words[2:]
        positional = [a for a in args if not a.startswith("-")]
        return positional[0] if positional else ".venv"
    else:
        return None
    positional = [a for a in args if not a.startswith("-")]
    return positional[-1] if positional else None
