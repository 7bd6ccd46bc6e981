"""pip requirements files -> ``model.ReqFile``: each entry keeps its ``file:line``. It reads the
files it includes, and never normalizes, groups or writes.

Follows pip's format (https://pip.pypa.io/en/stable/reference/requirements-file-format/), the way
uv's ``crates/uv-requirements-txt`` documents its own subset.

Supported:
- Lines as pip reads them: a ``\\`` at the end of a line joins the next one (also inside a specifier
  or a marker), a comment line ending in ``\\`` does not, and a ``#`` at the start of a line or after
  whitespace starts a comment. Errors point at the physical line where the logical line starts.
- Requirements: PEP 508 names, extras, specifiers (``===`` too), markers (old ``sys.platform`` names too).
- ``name @ URL``, bare URLs and paths: ``git+https://host/repo.git@ref#egg=name&subdirectory=sub``,
  ``https://host/pkg-1.0.tar.gz#egg=pkg``, ``./pkg[extra]``, ``../libs/x``, ``file:./x``,
  ``./dist/foo-1.0-py3-none-any.whl``, and ``-e``/``--editable`` with a local path or a git URL.
  A git ``@ref`` is a ``rev`` when it is 7 to 40 hex digits, a ``tag`` when it looks like a version
  (``v1.2``, ``2.5.0``, ``1.0rc1``), a ``branch`` when it is ``main``, ``master``, ``develop``,
  ``development``, ``dev``, ``trunk`` or ``stable``, and a ``rev`` otherwise (uv accepts any ref there).
  An unnamed URL or path gets its name from ``#egg=``, a wheel or sdist filename, or the folder's
  ``pyproject.toml`` (``[project]`` or ``[tool.poetry]`` name) or ``setup.cfg`` (``[metadata] name``);
  ``setup.py`` is neither run nor read (its name may be computed). A relative path is read beside
  the file, or else from the nearest of three parent folders where it names a project or an archive
  (pip reads it from the folder it runs in, often the parent of ``requirements/``). Windows paths
  (``.\\dist\\x.whl``, ``C:\\x``) are read on any system.
- Global options: ``-i/--index-url``, ``--extra-index-url``, ``-f/--find-links``, ``--no-index``,
  ``--pre``, ``--only-binary``, ``--no-binary``, ``--prefer-binary``, ``--trusted-host``,
  ``--require-hashes``, ``--use-feature``, and ``-r/--requirement``, ``-c/--constraint`` (followed by
  ``parse_tree``, relative to the including file; a cycle is reported and cut).
- Per-requirement options: ``--hash``, ``-C/--config-settings``, ``--global-option``, ``--install-option``.
- ``${VAR}`` references are kept as written (a local path is read with the variable's value, as
  pip would, only to learn the package's name). UTF-8 (BOM or not), UTF-16 with a BOM
  and CRLF are ``fs.read_text``'s job.

A URL or path line that names no package (no ``#egg=``, no ``name @``, no readable project
metadata) becomes a ``model.Unnamed`` in ``ReqFile.unnamed``: ``convert.names`` names it (``--name-url``,
or uv reads the URL's metadata) or refuses it at its line; it is never dropped.

Reported, not carried (a ``Diagnostic`` at the line; its code in brackets): hg, svn and bzr URLs
[unsupported-vcs] (kept by name); absolute paths
that do not exist here, such as ``pip freeze``'s ``name @ file:///...`` [build-machine-path];
``-r URL`` [remote-include]; ``-r`` targets with ``${VAR}`` [unresolved-include] (both of
severity ``error`` for ``-r``: the run fails, its requirements would be missing); an include that
closes a cycle [include-cycle]; global options on a requirement line, per-requirement options on an
option line, trailing arguments [ignored-option] (pip ignores all three); pip's legacy no-op options
(``--allow-external`` ...) [unsupported-option]; credentials in a requirement URL, removed from
the source [credentials-removed]; a line that pip swallows into a comment ending in ``\\``
[continued-comment]. A relative path found in a parent folder rather than beside the file is an
info [path-from-parent]. A ``\\`` before a name character in an option (``-r sub\\dev.txt``), which
pip's shlex would drop, is read as ``/`` and reported [windows-separator].

How: plain requirement lines (the vast majority) go straight to ``packaging``, and so do lines
whose only options are ``--hash``. URL, path and editable specs are read here by pip's rules
(``pip/_internal/req/constructors.py``: a marker splits off a URL at ``"; "``, extras off a path).
Other option lines go through pip's own option table, held by pip-requirements-parser, imported on
first need, with one optparse parser built once (the library builds one per line, most of its
run time). Tests check these paths against pip-requirements-parser on samples and on the corpus.

The steps, one module each: ``lines`` (logical lines, and what each line is), ``direct`` (URL,
path and VCS requirements), ``options`` (pip's option table, the only importer of
``pip_requirements_parser``); this module reads files, follows includes and is the public API.

Refused (``ParseError``, ``path:line: what``): options pip does not know (``--use-pep517`` ...),
invalid requirements, unclosed quotes, bad ``--hash`` values, and Jinja template lines
(``{% if %}``, ``{{ var }}``): which branch applies is not known until the template is rendered.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from reqconv import fs
from reqconv.errors import InputError, InputErrors, Location, ParseError
from reqconv.model import Diagnostic, Include, Req, ReqFile, Unnamed
from reqconv.redact import redact_text
from reqconv.requirements.direct import pep508
from reqconv.requirements.lines import FileParser, logical_lines, normal_path

__all__ = ["export_command", "name_unnamed", "parse_file", "parse_text", "parse_tree", "with_names"]

# pip-compile, pip-compile-multi and ``uv pip compile`` headers, and their ``# via`` annotations.
COMPILED_RE = re.compile(r"^#.*autogenerated by (?:pip-compile|uv)|^[ \t]*#[ \t]*via\b", re.M)
# ``uv export``'s header (``#    uv export --frozen ... --output-file requirements.txt``), and the
# one reqconv's lock step writes (``# To regenerate it, run: reqconv lock``): a file made from uv.lock.
UV_EXPORT_RE = re.compile(r"^#\s+(?P<command>uv\s+export\b.*?)\s*$")
REQCONV_EXPORT_RE = re.compile(r"^# To regenerate it, run: (?P<command>reqconv lock\b.*?)\s*$")
REQCONV_HEADER = "# Generated by reqconv from uv.lock"
EXPORT_HEADER_LINES = 12


# --------------------------------------------------------------------------------------------
# Public API


def export_command(text: str) -> str | None:
    """The command (credentials redacted) a requirements file's header says made it from uv.lock
    (``uv export ...``, or ``reqconv lock ...`` under reqconv's header); ``None`` for any other file.

    Only the leading comment lines count; a BOM and CRLF newlines are allowed.
    """
    lines = text.removeprefix("\ufeff").splitlines()[:EXPORT_HEADER_LINES]
    reqconv = False
    for raw in lines:
        line = raw.rstrip("\r")
        if not line.startswith("#"):
            if line.strip():
                break  # the first requirement: the header is over
            continue
        reqconv = reqconv or line.startswith(REQCONV_HEADER)
        match = UV_EXPORT_RE.match(line) or (reqconv and REQCONV_EXPORT_RE.match(line)) or None
        if match is not None:
            return redact_text(match["command"])
    return None


def parse_text(text: str, path: Path) -> ReqFile:
    """Parse a requirements file's decoded text (``\\n`` newlines); ``path`` places it on disk.

    Every bad line is found: one raises its ``ParseError``, several an ``InputErrors`` of them all.
    """
    reqfile, errors = _parse(text, path)
    if errors:
        raise InputErrors.of(errors)
    return reqfile


def _parse(text: str, path: Path) -> tuple[ReqFile, list[ParseError]]:
    """The file's good lines, and one error per bad line (each bad line is skipped)."""
    parser = FileParser(path)
    errors: list[ParseError] = []
    for number, line in logical_lines(text, parser.diagnostics, path):
        try:
            parser.line(number, line)
        except ParseError as e:  # every bad line, Jinja template lines too (README: Guarantees)
            errors.append(e)
    return ReqFile(
        path=path,
        requirements=tuple(parser.requirements),
        options=tuple(parser.options),
        includes=tuple(parser.includes),
        diagnostics=tuple(parser.diagnostics),
        compiled=COMPILED_RE.search(text) is not None,
        line_count=text.count("\n") + (1 if text and not text.endswith("\n") else 0),
        unnamed=tuple(parser.unnamed),
    ), errors


def parse_file(path: Path) -> ReqFile:
    """Read ``path`` (any BOM, CRLF) and parse it."""
    return parse_text(fs.read_text(path).text, path)


def parse_tree(paths: Iterable[Path]) -> dict[Path, ReqFile]:
    """Parse each file and, recursively, the files its ``-r``/``-c`` lines name.

    Keys are ``os.path.normpath`` forms, as in ``Include.path``. An include that would close a cycle
    is replaced by an ``include-cycle`` diagnostic in the including file, so the includes form a DAG.
    """
    tree = _Tree()
    for path in paths:
        tree.visit(normal_path(path), None)
    if tree.errors:  # every bad line of every file, in one report
        raise InputErrors.of(tree.errors)
    return tree.files


def name_unnamed(unnamed: Unnamed, name: str) -> Req:
    """The requirement ``unnamed`` is once its package is known to be ``name``."""
    text = name + unnamed.extras + (f" ; {unnamed.marker}" if unnamed.marker else "")
    requirement = pep508(text, unnamed.origin)
    return Req(
        name=canonicalize_name(requirement.name),
        requirement=requirement,
        origin=unnamed.origin,
        text=unnamed.text,
        source=unnamed.source,
        hashes=unnamed.hashes,
        options=unnamed.options,
    )


def with_names(
    reqfile: ReqFile, names: dict[Location, str], diagnostics: Iterable[Diagnostic] = ()
) -> ReqFile:
    """``reqfile`` with each unnamed line that ``names`` names (by its origin) made a ``Req``."""
    named = [name_unnamed(u, names[u.origin]) for u in reqfile.unnamed if u.origin in names]
    return replace(
        reqfile,
        requirements=tuple(
            sorted((*reqfile.requirements, *named), key=lambda req: req.origin.line)
        ),
        unnamed=tuple(u for u in reqfile.unnamed if u.origin not in names),
        diagnostics=reqfile.diagnostics + tuple(diagnostics),
    )


# --------------------------------------------------------------------------------------------
# Include trees


@dataclass(slots=True)
class _Tree:
    files: dict[Path, ReqFile] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)  # real paths: a symlink cannot hide a cycle
    errors: list[InputError] = field(default_factory=list)
    failed: set[Path] = field(default_factory=set)

    def visit(self, path: Path, via: Include | None) -> None:
        if path in self.files or path in self.failed:
            return
        try:
            text = fs.read_text(path).text
        except InputError as e:
            self.failed.add(path)
            if via is None or not isinstance(e.__cause__, OSError):
                self.errors.append(e)
                return
            reason = e.__cause__.strerror or str(e.__cause__)
            error = ParseError(f"cannot read included file {via.target}: {reason}", via.origin)
            error.__cause__ = e
            self.errors.append(error)
            return
        real = os.path.realpath(path)
        self.active.add(real)
        parsed, errors = _parse(text, path)
        self.errors.extend(errors)
        self.files[path] = parsed  # placeholder, so a diamond is parsed once
        kept: list[Include] = []
        cycles: list[Diagnostic] = []
        for include in parsed.includes:
            if os.path.realpath(include.path) in self.active:
                cycles.append(
                    Diagnostic(
                        code="include-cycle",
                        message=f"{'-r' if include.kind == 'requirement' else '-c'} "
                        f"{include.target} includes a file that includes this one; "
                        "not followed again",
                        location=include.origin,
                    )
                )
                continue
            kept.append(include)
            self.visit(include.path, include)
        self.active.discard(real)
        if cycles:
            self.files[path] = replace(
                parsed, includes=tuple(kept), diagnostics=parsed.diagnostics + tuple(cycles)
            )
