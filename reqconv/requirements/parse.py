"""pip requirements files -> ``model.ReqFile``: each entry keeps its ``file:line``. The only importer of
``pip_requirements_parser``. It reads the files it includes, and never normalizes, groups or writes.

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
metadata) becomes a ``model.Unnamed`` in ``ReqFile.unnamed``: ``names.py`` names it (``--name-url``,
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

Refused (``ParseError``, ``path:line: what``): options pip does not know (``--use-pep517`` ...),
invalid requirements, unclosed quotes, bad ``--hash`` values, and Jinja template lines
(``{% if %}``, ``{{ var }}``): which branch applies is not known until the template is rendered.
"""

from __future__ import annotations

import configparser
import functools
import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from reqconv import fs
from reqconv.errors import InputError, InputErrors, Location, ParseError
from reqconv.model import Diagnostic, Include, Option, Req, ReqFile, Source, Unnamed
from reqconv.redact import has_credentials, redact_text, strip_credentials

if TYPE_CHECKING:
    import optparse

__all__ = ["export_command", "name_unnamed", "parse_file", "parse_text", "parse_tree", "with_names"]

# pip's req_file.COMMENT_RE: a comment starts at the line start or after whitespace.
COMMENT_RE = re.compile(r"(^|\s+)#.*$")
# pip's break_args_options: options start at the first space-separated token beginning with "-".
OPTION_START_RE = re.compile(r"(?:^| )-")
# pip-compile, pip-compile-multi and ``uv pip compile`` headers, and their ``# via`` annotations.
COMPILED_RE = re.compile(r"^#.*autogenerated by (?:pip-compile|uv)|^[ \t]*#[ \t]*via\b", re.M)
# ``uv export``'s header (``#    uv export --frozen ... --output-file requirements.txt``), and the
# one reqconv's lock step writes (``# To regenerate it, run: reqconv lock``): a file made from uv.lock.
UV_EXPORT_RE = re.compile(r"^#\s+(?P<command>uv\s+export\b.*?)\s*$")
REQCONV_EXPORT_RE = re.compile(r"^# To regenerate it, run: (?P<command>reqconv lock\b.*?)\s*$")
REQCONV_HEADER = "# Generated by reqconv from uv.lock"
EXPORT_HEADER_LINES = 12
JINJA_RE = re.compile(r"\{%|\{\{.*\}\}")
NAME_AT_RE = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
EXTRAS_RE = re.compile(r"^(.+?)(\[[^\]]+\])$")  # pip's _strip_extras
HEX_REF_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")
VERSION_REF_RE = re.compile(r"^[vV]?\d+(?:\.\d+)+(?:[-_.+]?[A-Za-z0-9]+)*$")
BRANCH_REFS = frozenset({"main", "master", "develop", "development", "dev", "trunk", "stable"})
# A backslash before a name character, in options: a Windows folder separator, not an escape.
WINDOWS_SEPARATOR_RE = re.compile(r"(?<!\\)\\(?=[A-Za-z0-9_.-])")
WINDOWS_ABSOLUTE_RE = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")  # C:\x, C:/x, \\server\share
URL_SCHEME_RE = re.compile(r"^(?:(git|hg|svn|bzr)\+)?([A-Za-z][A-Za-z0-9+.-]*):", re.I)
URL_SCHEMES = frozenset({"http", "https", "ftp", "file"})
VCS_NAMES = frozenset({"git", "hg", "svn", "bzr"})
# pip's utils.filetypes.ARCHIVE_EXTENSIONS
ARCHIVE_EXTENSIONS = (
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)
STRONG_HASHES = ("sha256", "sha384", "sha512")  # pip's hashes.STRONG_HASHES
URL_HASHES = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})

# optparse ``dest`` -> pip's long option name, for global options.
_GLOBAL_OPTIONS = {
    "index_url": "index-url",
    "extra_index_urls": "extra-index-url",
    "no_index": "no-index",
    "find_links": "find-links",
    "no_binary": "no-binary",
    "only_binary": "only-binary",
    "prefer_binary": "prefer-binary",
    "require_hashes": "require-hashes",
    "pre": "pre",
    "trusted_hosts": "trusted-host",
    "use_features": "use-feature",
}
# Per-requirement options other than --hash (which goes to ``Req.hashes``).
_LINE_OPTIONS = {
    "config_settings": "config-settings",
    "global_options": "global-option",
    "install_options": "install-option",
}
# No-ops since pip 10 (PEP 470), still known to pip-requirements-parser.
_LEGACY_OPTIONS = {
    "allow_all_external": "allow-all-external",
    "allow_external": "allow-external",
    "allow_unverified": "allow-unverified",
    "always_unzip": "always-unzip",
    "no_use_wheel": "no-use-wheel",
}
_ALL_OPTIONS = {
    **_GLOBAL_OPTIONS,
    **_LINE_OPTIONS,
    **_LEGACY_OPTIONS,
    "hashes": "hash",
    "requirements": "requirement",
    "constraints": "constraint",
    "editables": "editable",
}


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
    parser = _FileParser(path)
    errors: list[ParseError] = []
    template = False
    for number, line in _logical_lines(text, parser.diagnostics, path):
        if template and JINJA_RE.search(line):
            continue  # a template is refused once, at its first template line
        try:
            parser.line(number, line)
        except ParseError as e:
            errors.append(e)
            template = template or JINJA_RE.search(line) is not None
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
        tree.visit(_normal(path), None)
    if tree.errors:  # every bad line of every file, in one report
        raise InputErrors.of(tree.errors)
    return tree.files


def name_unnamed(unnamed: Unnamed, name: str) -> Req:
    """The requirement ``unnamed`` is once its package is known to be ``name``."""
    text = name + unnamed.extras + (f" ; {unnamed.marker}" if unnamed.marker else "")
    requirement = _pep508(text, unnamed.origin)
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


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path))


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


# --------------------------------------------------------------------------------------------
# Logical lines


def _logical_lines(
    text: str, diagnostics: list[Diagnostic], path: Path
) -> Iterator[tuple[int, str]]:
    """pip's ``join_lines`` then ``ignore_comments``: (first physical line number, stripped text)."""
    start = 0
    parts: list[str] = []
    comment_at = 0  # physical line of a comment that a "\\" continues, 0 when none
    for number, raw in enumerate(text.split("\n"), start=1):
        is_comment = COMMENT_RE.match(raw) is not None
        if parts and comment_at and raw.strip() and not is_comment:
            diagnostics.append(
                Diagnostic(
                    code="continued-comment",
                    message=f"pip reads this line as part of the comment on line {comment_at}, "
                    "which ends with '\\'; it is ignored",
                    location=Location(path, number),
                )
            )
        if not raw.endswith("\\") or is_comment:
            if parts:
                parts.append(" " + raw if is_comment else raw)
                line, parts, comment_at = "".join(parts), [], 0
            else:
                line, start = raw, number
        else:
            if not parts:
                start = number
            parts.append(raw.strip("\\"))
            if not comment_at and "#" in raw and COMMENT_RE.search(raw.strip("\\")):
                comment_at = number
            continue
        if "#" in line:
            line = COMMENT_RE.sub("", line)
        line = line.strip()
        if line:
            yield start, line
    if parts:
        line = "".join(parts)
        if "#" in line:
            line = COMMENT_RE.sub("", line)
        line = line.strip()
        if line:
            yield start, line


# --------------------------------------------------------------------------------------------
# One file


@dataclass(slots=True)
class _FileParser:
    path: Path
    requirements: list[Req] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unnamed: list[Unnamed] = field(default_factory=list)

    def line(self, number: int, line: str) -> None:
        origin = Location(self.path, number)
        if JINJA_RE.search(line):
            raise ParseError(
                f"Jinja template syntax is not pip syntax: {redact_text(line)!r} "
                "(render the template first)",
                origin,
            )
        start = OPTION_START_RE.search(line)
        if start is None:
            self.requirement(origin, line, line, editable=False)
            return
        spec, rest = line[: start.start()].strip(), line[start.start() :]
        if "\\" in rest and WINDOWS_SEPARATOR_RE.search(rest):
            # ``-r sub\\dev.txt``: pip's shlex reads ``subdev.txt``; the author meant a folder.
            fixed = WINDOWS_SEPARATOR_RE.sub("/", rest)
            self.diagnostics.append(
                Diagnostic(
                    code="windows-separator",
                    message=f"pip reads '\\' in options as an escape and would drop it from "
                    f"'{redact_text(rest)}'; read as '{redact_text(fixed)}' (write '/' so that "
                    "pip reads it the same)",
                    location=origin,
                )
            )
            rest = fixed
        try:
            # pip shlex-splits the options; without quotes or escapes that is a plain split.
            tokens = shlex.split(rest) if any(c in rest for c in "'\"\\") else rest.split()
        except ValueError as e:
            raise ParseError(f"cannot split options in {redact_text(line)!r}: {e}", origin) from e
        hashes = _hash_tokens(tokens)
        if spec and hashes is not None:
            self.requirement(
                origin, line, spec, editable=False, hashes=_check_hashes(hashes, origin)
            )
            return
        values, arguments = _parse_options(tokens, origin)
        if arguments:
            self.ignored(origin, f"argument(s) {' '.join(arguments)!r} after an option")
        editables = _as_list(values.pop("editables", []))
        if spec or editables:
            self.requirement_with_options(origin, line, spec, editables, values)
        else:
            self.option_line(origin, values)

    def ignored(self, origin: Location, what: str) -> None:
        self.diagnostics.append(
            Diagnostic(
                code="ignored-option",
                message=f"pip ignores {redact_text(what)}; not carried over",
                location=origin,
            )
        )

    def requirement_with_options(
        self,
        origin: Location,
        line: str,
        spec: str,
        editables: list[str],
        values: dict[str, _OptionValue],
    ) -> None:
        editable = not spec
        if editable:
            spec, *rest = editables
        else:
            rest = editables
        for extra in rest:
            self.ignored(origin, f"a second requirement (-e {extra})")
        hashes = _as_list(values.pop("hashes", []))
        options: list[str] = []
        for dest, name in _LINE_OPTIONS.items():
            for value in _as_list(values.pop(dest, [])):
                key, sep, _ = value.partition("=")
                if dest == "config_settings" and not (key and sep):
                    raise ParseError(
                        f"--config-settings {redact_text(value)!r}: pip takes KEY=VALUE "
                        "(pip would refuse this line)",
                        origin,
                    )
                if editable and dest != "config_settings":
                    self.ignored(origin, f"--{name} on an editable requirement")
                else:
                    options.append(f"--{name}={shlex.quote(value)}")
        if hashes and editable:
            self.ignored(origin, "--hash on an editable requirement")
            hashes = []
        for dest, given in values.items():
            shown = "".join(f" {item}" for item in _as_list(given))
            self.ignored(origin, f"--{_ALL_OPTIONS[dest]}{shown} on a requirement line")
        self.requirement(
            origin,
            line,
            spec,
            editable=editable,
            hashes=_check_hashes(hashes, origin),
            options=tuple(options),
        )

    def option_line(self, origin: Location, values: dict[str, _OptionValue]) -> None:
        for dest, value in values.items():
            if dest in ("requirements", "constraints"):
                for target in _as_list(value):
                    self.include(
                        origin, "requirement" if dest == "requirements" else "constraint", target
                    )
            elif dest in _GLOBAL_OPTIONS:
                name = _GLOBAL_OPTIONS[dest]
                if isinstance(value, bool):
                    self.options.append(Option(name=name, value=None, origin=origin))
                else:
                    for item in _as_list(value):
                        self.options.append(Option(name=name, value=item, origin=origin))
            elif dest in _LEGACY_OPTIONS:
                self.diagnostics.append(
                    Diagnostic(
                        code="unsupported-option",
                        message=f"--{_LEGACY_OPTIONS[dest]} is a legacy pip option without "
                        "effect since pip 10; ignored",
                        location=origin,
                    )
                )
            else:
                self.ignored(origin, f"--{_ALL_OPTIONS[dest]} without a requirement")

    def include(
        self, origin: Location, kind: Literal["requirement", "constraint"], target: str
    ) -> None:
        flag = "-r" if kind == "requirement" else "-c"
        scheme = URL_SCHEME_RE.match(target)
        if scheme and len(scheme.group(2)) > 1 and scheme.group(2).lower() != "file":
            self.diagnostics.append(
                Diagnostic(
                    code="remote-include",
                    message=f"{flag} {redact_text(target)} names a URL, which reqconv does not "
                    "download: save the file in the service and name it by its path",
                    location=origin,
                    # The requirements of an -r not followed would be missing from the result.
                    severity="error" if kind == "requirement" else "warning",
                )
            )
            return
        if "${" in target:
            self.diagnostics.append(
                Diagnostic(
                    code="unresolved-include",
                    message=f"{flag} {redact_text(target)} names its file through an environment "
                    "variable, which pip and uv expand when they install; reqconv reads the files "
                    "once: write the path itself",
                    location=origin,
                    severity="error" if kind == "requirement" else "warning",
                )
            )
            return
        if "\0" in target:
            raise ParseError(f"{flag} {target!r} names no file (it holds a NUL byte)", origin)
        local = _file_url_path(target) if target.lower().startswith("file:") else target
        self.includes.append(
            Include(
                kind=kind,
                target=target,
                path=_normal(self.path.parent / local),
                origin=origin,
            )
        )

    # ----------------------------------------------------------------------------------------
    # Requirements

    def requirement(
        self,
        origin: Location,
        line: str,
        spec: str,
        *,
        editable: bool,
        hashes: tuple[str, ...] = (),
        options: tuple[str, ...] = (),
    ) -> None:
        source: Source | None = None
        url_hashes: tuple[str, ...] = ()
        if not editable and _is_plain(spec):
            req = _pep508(spec, origin)
        else:
            direct = self.direct(origin, spec, editable=editable)
            if direct is None:
                return
            if isinstance(direct, Unnamed):
                # Named later (names.py: --name-url, or uv reads the URL's metadata).
                self.unnamed.append(
                    replace(
                        direct,
                        text=redact_text(line),
                        hashes=hashes + direct.hashes,
                        options=options,
                    )
                )
                return
            req, source, url_hashes = direct
        self.requirements.append(
            Req(
                name=canonicalize_name(req.name),
                requirement=req,
                origin=origin,
                text=redact_text(line),
                source=source,
                hashes=hashes + url_hashes,
                options=options,
            )
        )

    def direct(
        self, origin: Location, spec: str, *, editable: bool
    ) -> tuple[Requirement, Source | None, tuple[str, ...]] | Unnamed | None:
        """A URL or path requirement: (requirement without url, source, hashes of the URL), or
        an ``Unnamed`` when nothing in the line or its folder names it."""
        named: Requirement | None = None
        extras = marker = ""
        if not editable and NAME_AT_RE.match(spec):
            named = _pep508(spec, origin)
            assert named.url is not None
            location, named.url = named.url, None
        else:
            location = spec
            scheme = URL_SCHEME_RE.match(spec)
            is_url = scheme is not None and (
                scheme.group(1) is not None or scheme.group(2).lower() in URL_SCHEMES | VCS_NAMES
            )
            if not editable:
                # pip splits a marker off a URL at "; " and off anything else at ";".
                location, sep, marker = spec.partition("; " if is_url else ";")
                location, marker = location.strip(), marker.strip() if sep else ""
            if not is_url:
                found = EXTRAS_RE.match(location)
                if found:
                    location, extras = found.group(1), found.group(2)
                if not editable and not _looks_like_path(location):
                    return _pep508(spec, origin), None, ()
        target = self.locate(origin, location, editable=editable, named=named is not None)
        if target is None:
            return None
        if named is None:
            if target.name is None:
                scheme = URL_SCHEME_RE.match(location)
                given = location
                if scheme and scheme.group(1) is None and scheme.group(2).lower() in VCS_NAMES:
                    given = f"{scheme.group(2).lower()}+{location}"  # git://h/r: git+git://h/r
                return Unnamed(
                    origin=origin,
                    text="",
                    location=redact_text(location),
                    target=given,
                    source=target.source,
                    extras=extras,
                    marker=marker,
                    editable=editable,
                    hashes=target.hashes,
                    askable=target.source is not None and target.source.kind in ("git", "url"),
                    why=target.why,
                )
            text = target.name + extras
            if target.source is None and target.version and not editable:
                text += f"=={target.version}"
            named = _pep508(text + (f" ; {marker}" if marker else ""), origin)
        elif target.source is None and target.version and not named.specifier:
            named = _pep508(
                f"{named.name}{_extras(named)}=={target.version}"
                + (f" ; {named.marker}" if named.marker else ""),
                origin,
            )
        return named, target.source, target.hashes

    def locate(
        self, origin: Location, location: str, *, editable: bool, named: bool = False
    ) -> _Target | None:
        """What a URL or path points at. None when it is reported and cannot be carried."""
        scheme = URL_SCHEME_RE.match(location)
        vcs = scheme.group(1) if scheme else None
        if scheme and vcs is None and scheme.group(2).lower() in VCS_NAMES:
            vcs = scheme.group(2)  # pip's parse_editable reads "git://" as "git+git://"
            location = f"{vcs}+{location}"
        if vcs is not None:
            return self.vcs(origin, vcs.lower(), location, editable=editable)
        if scheme and scheme.group(2).lower() == "file":
            location = _file_url_path(location)
        elif scheme and len(scheme.group(2)) > 1:  # not a Windows drive letter
            if editable:
                raise ParseError(
                    f"{redact_text(location)!r} is not a valid editable requirement: use a local "
                    "path or a VCS URL (git+https://...)",
                    origin,
                )
            return self.url(origin, location)
        return self.local(origin, location, editable=editable, named=named)

    def vcs(self, origin: Location, vcs: str, url: str, *, editable: bool) -> _Target | None:
        url, _, fragment = url.partition("#")
        params = _fragment(fragment)
        name = params.get("egg")
        if vcs != "git":
            if not name:
                return _Target(
                    source=None,
                    name=None,
                    why=f"uv has no {vcs} sources: it can be kept by name only",
                )
            self.diagnostics.append(
                Diagnostic(
                    code="unsupported-vcs",
                    message=f"{vcs} URLs have no uv source ({redact_text(url)}); "
                    f"{name} is kept by name only",
                    location=origin,
                )
            )
            return _Target(source=None, name=name)
        url = url[len("git+") :]
        parts = _urlsplit(url, origin)
        if not parts.netloc and not url.lower().startswith("file:"):
            raise ParseError(
                f"invalid git URL {redact_text(url)!r}: write git+https://host/repo.git or "
                "git+ssh://git@host/repo.git",
                origin,
            )
        path, ref = parts.path, None
        if "@" in path:
            path, ref = path.rsplit("@", 1)
        repo = urlunsplit(parts._replace(path=path, fragment=""))
        repo = self.credentials(origin, repo, keep_ssh_user=parts.scheme.lower() == "ssh")
        tag = rev = branch = None
        if ref:
            if HEX_REF_RE.match(ref):
                rev = ref
            elif VERSION_REF_RE.match(ref):
                tag = ref
            elif ref in BRANCH_REFS:
                branch = ref
            else:
                rev = ref
        source = Source(
            kind="git",
            url=repo,
            tag=tag,
            rev=rev,
            branch=branch,
            subdirectory=params.get("subdirectory"),
            editable=editable,
        )
        return _Target(source=source, name=name)

    def url(self, origin: Location, url: str) -> _Target:
        url, _, fragment = url.partition("#")
        params = _fragment(fragment)
        hashes = tuple(f"{k}:{v}" for k, v in params.items() if k in URL_HASHES)
        source = Source(
            kind="url",
            url=self.credentials(origin, url, keep_ssh_user=False),
            subdirectory=params.get("subdirectory"),
        )
        name, version = _name_from_filename(unquote(_urlsplit(url, origin).path.rsplit("/", 1)[-1]))
        return _Target(
            source=source, name=params.get("egg") or name, version=version, hashes=hashes
        )

    def local(self, origin: Location, path: str, *, editable: bool, named: bool) -> _Target:
        path, _, fragment = path.partition("#")
        egg = _fragment(fragment).get("egg")
        # A file written on Windows: read ``.\\dist\\x.whl`` and ``C:\\x`` here too. ``${VAR}``
        # is read as pip and uv would expand it now (the source keeps it as written).
        native = _expand_env(path)
        native = native.replace("\\", "/") if os.sep == "/" else native
        absolute = os.path.isabs(native) or WINDOWS_ABSOLUTE_RE.match(path) is not None
        base = self.path.parent if absolute else _base_of(self.path.parent, native)
        where = Path(native) if absolute else base / native
        if base != self.path.parent:
            self.diagnostics.append(
                Diagnostic(
                    code="path-from-parent",
                    message=f"{path!r} names no project or archive beside {self.path.name}; "
                    f"read as {os.path.normpath(where)}, as pip reads it when run from {base} "
                    "(pip reads requirement paths from its working folder)",
                    location=origin,
                    severity="info",
                )
            )
        name, version = _name_from_filename(native.rstrip("/\\").rsplit("/", 1)[-1])
        if name is None and where.is_dir():
            name = _name_from_project(where)
        name = egg or name
        if absolute and not where.exists():
            if name is None and not named:  # nothing to keep: its name must be given
                return _Target(
                    source=None, name=None, why="it does not exist here: a build machine's path?"
                )
            self.diagnostics.append(
                Diagnostic(
                    code="build-machine-path",
                    message=f"{path} does not exist here (a path of the machine that ran "
                    "pip freeze?); kept by name"
                    + (f" and version {version}" if version else "")
                    + " only",
                    location=origin,
                )
            )
            return _Target(source=None, name=name, version=version)
        source = Source(kind="path", path=path, base=base, editable=editable)
        return _Target(
            source=source,
            name=name,
            why="" if name else _unnamed_why(where, self.path, not absolute),
        )

    def credentials(self, origin: Location, url: str, *, keep_ssh_user: bool) -> str:
        if not has_credentials(url):
            return url
        userinfo = _urlsplit(url, origin).netloc.rpartition("@")[0]
        if keep_ssh_user and ":" not in userinfo and "$" not in userinfo:
            return url  # ssh://git@host: a login name, not a secret
        self.diagnostics.append(
            Diagnostic(
                code="credentials-removed",
                message=f"credentials removed from {redact_text(url)}; give them to git or uv "
                "through a credential helper or netrc instead",
                location=origin,
            )
        )
        return strip_credentials(url)


@dataclass(frozen=True, slots=True)
class _Target:
    source: Source | None
    name: str | None
    version: str | None = None
    hashes: tuple[str, ...] = ()
    why: str = ""  # why ``name`` is None, for the message


# --------------------------------------------------------------------------------------------
# Helpers


ENV_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")  # what pip and uv expand: ${NAME}, upper case


def _expand_env(text: str) -> str:
    """``${VAR}`` replaced by its value where it is set (pip's and uv's rule), else kept."""
    if "${" not in text:
        return text
    return ENV_RE.sub(lambda m: os.environ.get(m.group(1), m.group(0)), text)


def _is_plain(spec: str) -> bool:
    """A PEP 508 requirement without URL, which pip would not take for a path or an archive."""
    if spec.startswith(".") or any(c in spec for c in "/\\@:"):
        return False
    head = spec.split(";", 1)[0].strip().lower()
    found = EXTRAS_RE.match(head)
    if found:
        head = found.group(1)
    return not head.endswith(ARCHIVE_EXTENSIONS)


# pip resolves the paths of requirement lines against its working folder (``-r``/``-c`` against the
# including file): https://github.com/astral-sh/uv/pull/1421. That folder is usually the service, a
# parent of ``requirements/dev.txt``: look this many folders up when the path is not beside the file.
_PARENT_LOOKUP = 3


def _unnamed_why(where: Path, file: Path, relative: bool) -> str:
    if not where.is_dir():
        if where.exists():
            return ""
        above = f", nor in the {_PARENT_LOOKUP} folders above" if relative else ""
        return f"{where} does not exist{above}"
    if not _is_installable(where):
        above = f", nor do the {_PARENT_LOOKUP} folders above" if relative else ""
        return f"{where} holds no pyproject.toml, setup.py or setup.cfg{above}"
    why = (
        f"{where} declares no static name: no [project] name in pyproject.toml, no [metadata] "
        "name in setup.cfg, no PKG-INFO; setup.py is not read"
    )
    if file.parent.resolve().is_relative_to(where.resolve()):
        why += "; if it is the project itself, `uv sync` installs it when [tool.uv] package = true"
    return why


def _is_installable(where: Path) -> bool:
    """A project folder or an archive pip could install."""
    if where.is_dir():
        return any((where / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg"))
    return where.is_file()


def _base_of(folder: Path, relative: str) -> Path:
    """The folder ``relative`` is read from: ``folder``, or the nearest parent where it is installable."""
    for base in (folder, *list(folder.resolve().parents)[:_PARENT_LOOKUP]):
        if _is_installable(base / relative):
            return folder if base == folder else _relative_to_cwd(base, folder)
    return folder


def _relative_to_cwd(base: Path, folder: Path) -> Path:
    """``base`` (resolved) written the way ``folder`` is: relative stays relative (``a/b/..`` -> ``a``)."""
    if folder.is_absolute():
        return base
    return Path(os.path.normpath(folder / os.path.relpath(base, folder.resolve())))


def _looks_like_path(location: str) -> bool:
    """What pip would take for a local directory or archive rather than a project name."""
    return (
        location.startswith((".", "~"))
        or any(c in location for c in "/\\")
        or location.lower().startswith("file:")
        or location.lower().endswith(ARCHIVE_EXTENSIONS)
    )


def _pep508(spec: str, origin: Location) -> Requirement:
    try:
        return Requirement(spec)
    except InvalidRequirement as e:
        hint = ""
        if "${" in spec:
            hint = (
                " (pip expands ${VAR} from the environment when it installs; reqconv writes "
                "pyproject.toml once, so write the value itself)"
            )
        elif re.search(r"[^=!<>~]=[^=]", spec) and not re.search(r"[=!<>~]=", spec):
            hint = " ('=' is not an operator: did you mean '=='?)"
        elif found := re.search(r"(?:[<>!~]=?|==)\s*([A-Za-z][\w.]*)", spec.split(";", 1)[0]):
            hint = f" ({found.group(1)!r} is not a PEP 440 version)"
        raise ParseError(f"invalid requirement {redact_text(spec)!r}{hint}: {e}", origin) from e


def _extras(req: Requirement) -> str:
    return f"[{','.join(sorted(req.extras))}]" if req.extras else ""


def _urlsplit(url: str, origin: Location) -> SplitResult:
    try:
        return urlsplit(url)
    except ValueError as e:
        raise ParseError(f"invalid URL {redact_text(url)!r}: {e}", origin) from e


def _fragment(fragment: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in fragment.split("&"):
        key, sep, value = item.partition("=")
        if sep and key:
            params[key.strip()] = unquote(value.strip())
    return params


def _file_url_path(url: str) -> str:
    """``file:./x`` -> ``./x``, ``file:///abs`` -> ``/abs``, ``file://localhost/abs`` -> ``/abs``."""
    rest = url[len("file:") :]
    if rest.startswith("//"):
        host, _, path = rest[2:].partition("/")
        rest = "/" + path if host in ("", "localhost") else "//" + rest[2:]
        if re.match(r"^/[A-Za-z]:", rest):
            rest = rest[1:]  # file:///C:/x
    return unquote(rest)


def _name_from_filename(filename: str) -> tuple[str | None, str | None]:
    """(name, version) of a wheel or sdist filename; (None, None) for anything else."""
    lower = filename.lower()
    try:
        if lower.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, str(version)
        if lower.endswith((".tar.gz", ".zip")):
            sname, sversion = parse_sdist_filename(filename)
            return sname, str(sversion)
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    return None, None


def _name_from_project(folder: Path) -> str | None:
    """The project name a local folder declares statically, if any."""
    try:
        data = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            return str(table["name"])
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read(folder / "setup.cfg", encoding="utf-8")
        name = config.get("metadata", "name", fallback=None)
    except (configparser.Error, UnicodeDecodeError):
        name = None
    if name and name.strip():
        return name.strip()
    # An unpacked sdist: its PKG-INFO is the core metadata the build wrote.
    try:
        pkg_info = (folder / "PKG-INFO").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(r"^Name:[ \t]*(\S+)[ \t]*$", pkg_info.split("\n\n", 1)[0], re.M)
    return found.group(1) if found else None


def _hash_tokens(tokens: list[str]) -> list[str] | None:
    """The values when every token is ``--hash=V`` or ``--hash V`` (compiled files), else None."""
    hashes: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--hash="):
            hashes.append(token[len("--hash=") :])
        elif token == "--hash" and i + 1 < len(tokens):
            i += 1
            hashes.append(tokens[i])
        else:
            return None
        i += 1
    return hashes


def _check_hashes(hashes: list[str], origin: Location) -> tuple[str, ...]:
    for value in hashes:
        algorithm, sep, digest = value.partition(":")
        if not sep or not digest:
            raise ParseError(
                f"--hash {value!r} must be a hash name and a value, like --hash=sha256:abcde...",
                origin,
            )
        if algorithm not in STRONG_HASHES:
            raise ParseError(
                f"--hash {value!r}: pip allows {', '.join(STRONG_HASHES)} only", origin
            )
    return tuple(hashes)


_OptionValue = str | bool | list[str]


def _as_list(value: _OptionValue) -> list[str]:
    if isinstance(value, bool):
        return []
    return [value] if isinstance(value, str) else value


@functools.cache
def _option_parser() -> tuple[optparse.OptionParser, type[Exception]]:
    # pip-requirements-parser holds pip's own option table; it builds a parser per line (most of
    # its run time), so build one here and give each line fresh values.
    import pip_requirements_parser as prp

    parser = prp.build_parser()
    # pip accepts -C/--config-settings on requirement lines; pip-requirements-parser 32 does not.
    parser.add_option(
        "-C", "--config-settings", dest="config_settings", action="append", default=[]
    )
    return parser, prp.OptionParsingError


def _parse_options(
    tokens: list[str], origin: Location
) -> tuple[dict[str, _OptionValue], list[str]]:
    """pip's optparse over one line's option tokens: {dest: value} for the options given."""
    import optparse

    parser, parsing_error = _option_parser()
    defaults = {
        dest: ([] if isinstance(value, list) else value) for dest, value in parser.defaults.items()
    }
    try:
        values, arguments = parser.parse_args(tokens, optparse.Values(defaults))
    except parsing_error as e:
        message = str(getattr(e, "msg", e)).strip()
        message = message.removeprefix("pip_requirements_parser: error: ")
        raise ParseError(f"{redact_text(message)} (pip would refuse this line)", origin) from e
    given: dict[str, _OptionValue] = {}
    for dest, value in vars(values).items():
        if not value or dest not in _ALL_OPTIONS:
            continue
        # "-i=URL": optparse keeps the "=", pip-requirements-parser strips it.
        if isinstance(value, str):
            given[dest] = value.lstrip("=")
        elif isinstance(value, list):
            given[dest] = [str(item).lstrip("=") for item in value]
        else:
            given[dest] = True
    return given, list(arguments)
