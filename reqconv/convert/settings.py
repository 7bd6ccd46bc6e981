"""pip's options routed to uv settings (https://docs.astral.sh/uv/reference/settings/).

``--index-url``/``--extra-index-url`` become named ``[[tool.uv.index]]`` entries (``index_name``:
the host, then host and path, then ``-2``...; credentials removed, with the ``UV_INDEX_<NAME>_*``
variables to set), ``--find-links``, ``--pre``, ``--no-binary``/``--only-binary`` (as pip resolves
them against each other), ``--trusted-host``, ``--no-index`` and ``-C`` config settings have their
uv forms; an option without one is reported with why. Variables in these URLs are not expanded by
uv in pyproject.toml: reported, with the environment variable to set instead.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from reqconv import redact
from reqconv.convert.ledger import Ledger
from reqconv.convert.sources import rebase
from reqconv.errors import Location
from reqconv.model import Conversion, Index, Option, Req, ReqFile, Source, UvSettings

__all__ = ["Settings", "index_name", "rename_indexes"]

# Options with no uv form, and why (https://docs.astral.sh/uv/pip/compatibility/).
_NO_UV_EQUIVALENT = {
    "prefer-binary": "uv has no --prefer-binary; pin a version with wheels or use no-build-package",
    "require-hashes": "uv.lock records hashes and `uv sync` verifies them; exports add --hash",
    "use-feature": "pip feature flags have no uv meaning",
    "use-deprecated": "pip feature flags have no uv meaning",
    "process-dependency-links": "removed from pip; use [tool.uv.sources]",
    "no-deps": "uv resolves dependencies of every package",
}


@dataclass
class Settings:
    """The uv settings of one conversion, as the option lines give them."""

    root: Path
    ledger: Ledger
    config_settings: dict[NormalizedName, dict[str, list[str]]] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)
    index_names: dict[str, str] = field(default_factory=dict)  # url -> name
    find_links: list[str] = field(default_factory=list)
    prerelease: Literal["allow"] | None = None
    no_binary: list[str] = field(default_factory=list)
    no_build: list[str] = field(default_factory=list)
    insecure_hosts: list[str] = field(default_factory=list)
    no_index: bool = False
    options_seen: set[Location] = field(default_factory=set)

    def config_setting(self, req: Req, option: str) -> bool:
        """``-C KEY=VALUE`` -> ``[tool.uv] config-settings-package``; False when not KEY=VALUE."""
        raw = option.split("=", 1)[1] if "=" in option else ""
        try:
            (value,) = shlex.split(raw)
        except ValueError:
            return False
        key, sep, setting = value.partition("=")
        if not sep or not key:
            return False
        name = canonicalize_name(req.name)
        values = self.config_settings.setdefault(name, {}).setdefault(key, [])
        if setting not in values:
            values.append(setting)  # pip makes a list of a key given twice
        self.ledger.outcome(
            req.origin, req.text, "mapped", f"tool.uv.config-settings-package.{name}"
        )
        return True

    def index(self, option: Option, default: bool) -> None:
        assert option.value is not None
        url = redact.strip_credentials(option.value.strip())
        credentials = redact.has_credentials(option.value)
        if url not in self.index_names:
            if default and any(ix.default for ix in self.indexes):
                # pip keeps the last --index-url; uv allows one default, so the first wins.
                self.ledger.report(
                    "second-index-url",
                    f"a second --index-url {redact.redact_text(option.value)} is written as an "
                    "extra index; uv allows one default index",
                    option.origin,
                )
                default = False
            name = index_name(url, set(self.index_names.values()))
            self.index_names[url] = name
            self.indexes.append(Index(name=name, url=url, default=default, origin=option.origin))
        # The same URL again (from another file, or with credentials this time) is one index.
        position = next(i for i, ix in enumerate(self.indexes) if ix.url == url)
        index = self.indexes[position]
        if default and not any(ix.default for ix in self.indexes):
            index = replace(index, default=True)
        if credentials:
            index = replace(index, needs_credentials=True)
            self.ledger.report("credentials-removed", credentials_message(index), option.origin)
        self.indexes[position] = index

    def option(self, option: Option, reqfile: ReqFile) -> None:
        origin = option.origin
        text = f"--{option.name}" + (f" {option.value}" if option.value is not None else "")
        if origin in self.options_seen:
            return
        self.options_seen.add(origin)
        name = option.name
        value = option.value.strip() if option.value is not None else None
        needs_value = name in {
            "index-url",
            "extra-index-url",
            "find-links",
            "no-binary",
            "only-binary",
            "trusted-host",
        }
        if needs_value and not value:
            self.ledger.report("no-uv-equivalent", f"--{name} has no value; ignored", origin, text)
            return
        assert value is not None or not needs_value
        if value is not None and "${" in redact.strip_credentials(value):
            # uv does not expand variables in pyproject.toml settings; its environment does.
            variable = {
                "index-url": "UV_DEFAULT_INDEX",
                "extra-index-url": "UV_INDEX",
                "find-links": "UV_FIND_LINKS",
            }.get(name)
            hint = f"set {variable}={value} where uv runs" if variable else "set it by hand"
            self.ledger.report(
                "url-from-env",
                f"--{name} {value}: uv does not expand variables in pyproject.toml; {hint}",
                origin,
                text,
            )
            return
        if name in {"index-url", "extra-index-url"}:
            self.index(option, default=name == "index-url")
            self.ledger.outcome(origin, text, "mapped", "tool.uv.index")
        elif name == "find-links":
            assert value is not None
            if "://" in value:
                link = redact.strip_credentials(value)
                if redact.has_credentials(value):
                    self.ledger.report(
                        "credentials-removed",
                        f"credentials removed from find-links {link}; uv reads them from "
                        "netrc or the keyring",
                        origin,
                    )
            else:
                link = rebase(value, reqfile.path.parent, self.root)
            if link not in self.find_links:
                self.find_links.append(link)
            self.ledger.outcome(origin, text, "mapped", "tool.uv.find-links")
        elif name == "pre":
            self.prerelease = "allow"
            self.ledger.outcome(origin, text, "mapped", "tool.uv.prerelease")
        elif name in {"no-binary", "only-binary"}:
            assert value is not None
            target, other = (
                (self.no_binary, self.no_build)
                if name == "no-binary"
                else (self.no_build, self.no_binary)
            )
            key = "tool.uv.no-binary" if name == "no-binary" else "tool.uv.no-build"
            _binary_option(target, other, value)
            self.ledger.outcome(origin, text, "mapped", key)
        elif name == "trusted-host":
            assert value is not None
            if value not in self.insecure_hosts:
                self.insecure_hosts.append(value)
            self.ledger.outcome(origin, text, "mapped", "tool.uv.allow-insecure-host")
        elif name == "no-index":
            self.no_index = True
            self.ledger.outcome(origin, text, "mapped", "tool.uv.no-index")
        else:
            reason = _NO_UV_EQUIVALENT.get(name, "uv has no equivalent setting")
            severity: Literal["warning", "info"] = "info" if name == "require-hashes" else "warning"
            self.ledger.report(
                "no-uv-equivalent",
                f"--{name} was not carried over: {reason}",
                origin,
                text,
                severity=severity,
            )

    def uv_settings(
        self, sources: Sequence[tuple[NormalizedName, Source]], constraints: Sequence[str]
    ) -> UvSettings:
        """``[tool.uv]`` as these options, ``sources`` and ``-c`` ``constraints`` make it."""
        return UvSettings(
            indexes=tuple(self.indexes),
            sources=tuple(sources),
            find_links=tuple(self.find_links),
            constraints=tuple(constraints),
            prerelease=self.prerelease,
            no_binary=tuple(self.no_binary),
            no_build=tuple(self.no_build),
            allow_insecure_host=tuple(self.insecure_hosts),
            no_index=self.no_index,
            config_settings_package=tuple(
                (
                    name,
                    tuple(
                        (key, values[0] if len(values) == 1 else tuple(values))
                        for key, values in settings.items()
                    ),
                )
                for name, settings in self.config_settings.items()
            ),
        )


def credentials_message(index: Index) -> str:
    prefix = index.env_prefix
    return (
        f"credentials removed from index {index.name!r} ({index.url}); set {prefix}_USERNAME "
        f"and {prefix}_PASSWORD for uv"
    )


def rename_indexes(conversion: Conversion, names: Mapping[str, str]) -> Conversion:
    """``conversion`` with its credentials messages naming each index as the written pyproject
    does (``names``: URL without trailing ``/`` -> name): uv reads ``UV_INDEX_<NAME>_...`` by the
    name in the file, which may be an existing index's or carry a ``-2``."""
    messages: dict[str, str] = {}
    for index in conversion.spec.uv.indexes:
        name = names.get(index.url.rstrip("/"))
        if index.needs_credentials and name is not None and name != index.name:
            old = redact.redact_text(credentials_message(index))
            messages[old] = redact.redact_text(credentials_message(replace(index, name=name)))
    if not messages:
        return conversion
    diagnostics = tuple(
        replace(d, message=messages[d.message])
        if d.code == "credentials-removed" and d.message in messages
        else d
        for d in conversion.diagnostics
    )
    return replace(conversion, diagnostics=diagnostics)


def _binary_option(target: list[str], other: list[str], value: str) -> None:
    """pip's ``--no-binary``/``--only-binary`` value: names, ``:all:`` or ``:none:`` (clears).

    As pip's ``handle_mutual_excludes``: ``:all:`` clears the other option too, and a name leaves
    the other option's list (``--no-binary x`` then ``--only-binary x``: x is binary only).
    """
    for raw in value.split(","):
        part = raw.strip()
        if not part:
            continue
        if part == ":none:":
            target.clear()
        elif part == ":all:":
            other.clear()
            target[:] = [":all:"]
        else:
            name = canonicalize_name(part)
            if name in other:
                other.remove(name)
            if target != [":all:"] and name not in target:
                target.append(name)


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG_RE.sub("-", text.lower()).strip("-")


def index_name(url: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A stable ``[[tool.uv.index]]`` name for ``url`` (no credentials), unique among ``taken``.

    The host slug (``pypi.example.com`` -> ``pypi-example-com``); when taken, the slug of host and
    path without a trailing ``simple``; when that is taken too, ``-2``, ``-3``...
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        path = parts.path
    except ValueError:
        host, path = "", url
    base = _slug(host) or "index"
    if base not in taken:
        return base
    path_slug = _slug(re.sub(r"/simple/?$", "", path))
    if path_slug:
        base = f"{base}-{path_slug}"
        if base not in taken:
            return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
