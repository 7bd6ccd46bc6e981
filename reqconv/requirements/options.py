"""pip's options in a requirements file: the option table, held by pip-requirements-parser (the
only importer of ``pip_requirements_parser``, on first need), and ``--hash`` values checked.

One optparse parser is built once (the library builds one per line, most of its run time); each
line gets fresh values. Global options (``GLOBAL_OPTIONS``) go to ``ReqFile.options``, the
per-requirement ones (``LINE_OPTIONS``) stay with their requirement, and pip's legacy no-ops
(``LEGACY_OPTIONS``) are reported.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from reqconv.errors import Location, ParseError
from reqconv.redact import redact_text

if TYPE_CHECKING:
    import optparse

__all__ = [
    "ALL_OPTIONS",
    "GLOBAL_OPTIONS",
    "LEGACY_OPTIONS",
    "LINE_OPTIONS",
    "STRONG_HASHES",
    "OptionValue",
    "as_list",
    "check_hashes",
    "hash_tokens",
    "parse_options",
]

STRONG_HASHES = ("sha256", "sha384", "sha512")  # pip's hashes.STRONG_HASHES


# optparse ``dest`` -> pip's long option name, for global options.
GLOBAL_OPTIONS = {
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
LINE_OPTIONS = {
    "config_settings": "config-settings",
    "global_options": "global-option",
    "install_options": "install-option",
}


# No-ops since pip 10 (PEP 470), still known to pip-requirements-parser.
LEGACY_OPTIONS = {
    "allow_all_external": "allow-all-external",
    "allow_external": "allow-external",
    "allow_unverified": "allow-unverified",
    "always_unzip": "always-unzip",
    "no_use_wheel": "no-use-wheel",
}


ALL_OPTIONS = {
    **GLOBAL_OPTIONS,
    **LINE_OPTIONS,
    **LEGACY_OPTIONS,
    "hashes": "hash",
    "requirements": "requirement",
    "constraints": "constraint",
    "editables": "editable",
}


def hash_tokens(tokens: list[str]) -> list[str] | None:
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


def check_hashes(hashes: list[str], origin: Location) -> tuple[str, ...]:
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


OptionValue = str | bool | list[str]


def as_list(value: OptionValue) -> list[str]:
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


def parse_options(tokens: list[str], origin: Location) -> tuple[dict[str, OptionValue], list[str]]:
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
    given: dict[str, OptionValue] = {}
    for dest, value in vars(values).items():
        if not value or dest not in ALL_OPTIONS:
            continue
        # "-i=URL": optparse keeps the "=", pip-requirements-parser strips it.
        if isinstance(value, str):
            given[dest] = value.lstrip("=")
        elif isinstance(value, list):
            given[dest] = [str(item).lstrip("=") for item in value]
        else:
            given[dest] = True
    return given, list(arguments)
