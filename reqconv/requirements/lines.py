"""One requirements file's text -> its entries: pip's logical lines (``join_lines`` then
``ignore_comments``), then each line routed by what it holds: a plain requirement (straight to
``packaging``), a URL or path requirement (``direct``), options (``options``: global ones,
per-requirement ones, ``-r``/``-c`` includes). ``FileParser`` collects what each line became.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name

from reqconv.errors import Location, ParseError
from reqconv.model import Diagnostic, Include, Option, Req, Source, Unnamed
from reqconv.redact import redact_text
from reqconv.requirements.direct import (
    URL_SCHEME_RE,
    DirectReader,
    file_url_path,
    is_plain,
    pep508,
)
from reqconv.requirements.options import (
    ALL_OPTIONS,
    GLOBAL_OPTIONS,
    LEGACY_OPTIONS,
    LINE_OPTIONS,
    OptionValue,
    as_list,
    check_hashes,
    hash_tokens,
    parse_options,
)

__all__ = ["COMMENT_RE", "JINJA_RE", "FileParser", "logical_lines", "normal_path"]

# pip's req_file.COMMENT_RE: a comment starts at the line start or after whitespace.
COMMENT_RE = re.compile(r"(^|\s+)#.*$")
# pip's break_args_options: options start at the first space-separated token beginning with "-".
OPTION_START_RE = re.compile(r"(?:^| )-")
JINJA_RE = re.compile(r"\{%|\{\{.*\}\}")
# A backslash before a name character, in options: a Windows folder separator, not an escape.
WINDOWS_SEPARATOR_RE = re.compile(r"(?<!\\)\\(?=[A-Za-z0-9_.-])")


def logical_lines(
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


@dataclass(slots=True)
class FileParser:
    path: Path
    requirements: list[Req] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unnamed: list[Unnamed] = field(default_factory=list)
    urls: DirectReader = field(init=False)

    def __post_init__(self) -> None:
        self.urls = DirectReader(self.path, self.diagnostics)

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
        hashes = hash_tokens(tokens)
        if spec and hashes is not None:
            self.requirement(
                origin, line, spec, editable=False, hashes=check_hashes(hashes, origin)
            )
            return
        values, arguments = parse_options(tokens, origin)
        if arguments:
            self.ignored(origin, f"argument(s) {' '.join(arguments)!r} after an option")
        editables = as_list(values.pop("editables", []))
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
        values: dict[str, OptionValue],
    ) -> None:
        editable = not spec
        if editable:
            spec, *rest = editables
        else:
            rest = editables
        for extra in rest:
            self.ignored(origin, f"a second requirement (-e {extra})")
        hashes = as_list(values.pop("hashes", []))
        options: list[str] = []
        for dest, name in LINE_OPTIONS.items():
            for value in as_list(values.pop(dest, [])):
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
            shown = "".join(f" {item}" for item in as_list(given))
            self.ignored(origin, f"--{ALL_OPTIONS[dest]}{shown} on a requirement line")
        self.requirement(
            origin,
            line,
            spec,
            editable=editable,
            hashes=check_hashes(hashes, origin),
            options=tuple(options),
        )

    def option_line(self, origin: Location, values: dict[str, OptionValue]) -> None:
        for dest, value in values.items():
            if dest in ("requirements", "constraints"):
                for target in as_list(value):
                    self.include(
                        origin, "requirement" if dest == "requirements" else "constraint", target
                    )
            elif dest in GLOBAL_OPTIONS:
                name = GLOBAL_OPTIONS[dest]
                if isinstance(value, bool):
                    self.options.append(Option(name=name, value=None, origin=origin))
                else:
                    for item in as_list(value):
                        self.options.append(Option(name=name, value=item, origin=origin))
            elif dest in LEGACY_OPTIONS:
                self.diagnostics.append(
                    Diagnostic(
                        code="unsupported-option",
                        message=f"--{LEGACY_OPTIONS[dest]} is a legacy pip option without "
                        "effect since pip 10; ignored",
                        location=origin,
                    )
                )
            else:
                self.ignored(origin, f"--{ALL_OPTIONS[dest]} without a requirement")

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
        local = file_url_path(target) if target.lower().startswith("file:") else target
        self.includes.append(
            Include(
                kind=kind,
                target=target,
                path=normal_path(self.path.parent / local),
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
        if not editable and is_plain(spec):
            req = pep508(spec, origin)
        else:
            direct = self.urls.read(origin, spec, editable=editable)
            if direct is None:
                return
            if isinstance(direct, Unnamed):
                # Named later (convert/names.py: --name-url, or uv reads the URL's metadata).
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


def normal_path(path: Path) -> Path:
    """``os.path.normpath`` of ``path``: the form of ``Include.path`` and of ``parse_tree``'s keys."""
    return Path(os.path.normpath(path))
