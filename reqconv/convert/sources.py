"""Where packages come from: ``[tool.uv.sources]`` from URL, path and git lines.

A path is rebased onto the service folder; ``-e`` of git installs as a regular package; userinfo
is removed from a URL. Two lines naming one package from different sources are a
``ConflictError``, unless one names a ref of the repository the other takes at its default branch
(the ref is kept). A URL holding ``${VAR}`` cannot go to ``[tool.uv.sources]`` (uv expands no
variable there) and is written in the dependency itself (``name @ URL``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from reqconv import redact
from reqconv.convert.ledger import Ledger
from reqconv.errors import ConflictError, Location
from reqconv.model import Req, ReqFile, Source

__all__ = [
    "ENV_RE",
    "Sources",
    "env_reference_url",
    "rebase",
    "rebase_source",
    "source_text",
]

ENV_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")  # what pip and uv expand: ${NAME}, upper case


@dataclass
class Sources:
    """The source of each package named with one, and the ``${VAR}`` URLs written in place."""

    root: Path
    ledger: Ledger
    sources: dict[NormalizedName, tuple[Source, Location]] = field(default_factory=dict)
    direct: dict[NormalizedName, tuple[str, Location]] = field(default_factory=dict)  # ${VAR} URLs

    def add(self, req: Req, reqfile: ReqFile) -> None:
        """The source of ``req`` (a line of ``reqfile``) for ``[tool.uv.sources]``."""
        assert req.source is not None
        source = rebase_source(req.source, reqfile.path.parent, self.root)
        if source.editable and source.kind != "path":
            # ``-e git+...``: uv installs git and URL sources as regular packages.
            self.ledger.report(
                "editable-vcs",
                f"{req.name} is installed from git as a regular package; uv makes only "
                "local path sources editable",
                req.origin,
                severity="info",
            )
            source = replace(source, editable=False)
        if _secret_userinfo(source.url):
            # The parser strips these; a second guard costs nothing (issue 2, item 6).
            self.ledger.report(
                "credentials-removed",
                f"credentials removed from the source URL of {req.name}; uv reads them from "
                "netrc, the keyring or UV_INDEX_* variables",
                req.origin,
            )
            source = replace(source, url=redact.strip_credentials(source.url))
        name = canonicalize_name(req.name)
        known = self.sources.get(name)
        if known is None and name in self.direct:  # a `name @ ${VAR}` URL elsewhere
            raise ConflictError(
                f"{name} comes from two different sources: {self.direct[name][1]} and "
                f"{req.origin}; "
                "keep one (uv has one [tool.uv.sources] entry per package)",
                req.origin,
            )
        if known is None:
            self.sources[name] = (source, req.origin)
        elif known[0] != source and (kept := _refined(known[0], source)) is not None:
            # One line names the repository's default branch, the other a ref of it: pip's
            # later install of the ref replaced the first (a different direct URL reinstalls),
            # and the ref is the one that says what is installed.
            first, second = (known[1], req.origin) if kept is source else (req.origin, known[1])
            self.ledger.report(
                "source-ref-kept",
                f"{name}: {second} names a ref of the repository that {first} takes at its default "
                "branch; the ref is kept for [tool.uv.sources]",
                req.origin,
                severity="info",
            )
            if kept is source:
                self.sources[name] = (source, req.origin)
        elif known[0] != source:
            raise ConflictError(
                f"{name} comes from two different sources: {known[1]} and {req.origin}; "
                "keep one (uv has one [tool.uv.sources] entry per package)",
                req.origin,
            )

    def env_reference(self, req: Req, url: str, group: str | None) -> None:
        """A source whose URL holds ``${VAR}``: uv expands it in a dependency's own URL only."""
        assert req.source is not None
        name = canonicalize_name(req.name)
        known = self.direct.get(name)
        if name in self.sources or (known is not None and known[0] != url):
            first = known[1] if known is not None else self.sources[name][1]
            raise ConflictError(
                f"{name} comes from two different sources: {first} and {req.origin}; keep one",
                req.origin,
            )
        self.direct[name] = (url, req.origin)
        variables = ", ".join(f"${{{v}}}" for v in dict.fromkeys(ENV_RE.findall(url)))
        where = "[project] dependencies" if group is None else f"group {group!r}"
        editable = (
            "; it is installed as a regular package (uv makes only [tool.uv.sources] paths "
            "editable): write the path itself to keep it editable"
            if req.source.editable
            else ""
        )
        self.ledger.report(
            "url-from-env",
            f"{name}: uv expands {variables} in a dependency's own URL when it locks, not in "
            f"[tool.uv.sources]: written as '{name} @ {url}' in {where}; set {variables} where "
            f"`uv lock` runs (uv.lock records the value it had then){editable}",
            req.origin,
        )

    def is_project_itself(self, req: Req, reqfile: ReqFile) -> bool:
        source = req.source
        if source is None or source.kind != "path":
            return False
        return rebase_source(source, reqfile.path.parent, self.root).path in {".", ""}

    def compiled_differs(self, line: Req, reqfile: ReqFile) -> None:
        """A compiled line installed another source (a git tag, a URL) than the ``.in`` asks for:
        the lock follows the ``.in``; what production ran is said, with both lines."""
        name = canonicalize_name(line.name)
        wanted, where = self.sources[name]
        installed = (
            rebase_source(line.source, reqfile.path.parent, self.root) if line.source else None
        )
        if installed is not None and source_text(installed) == source_text(wanted):
            return
        was = source_text(installed) if installed is not None else str(line.requirement)
        now = source_text(wanted)
        self.ledger.report(
            "compiled-source-differs",
            f"{name}: the compiled file installed {was}, but {where} asks for {now}; the lock "
            f"follows {where}. To keep what production runs, write {was} there; else re-run "
            "pip-compile so that both files agree",
            line.origin,
            line.text,
        )


def source_text(source: Source) -> str:
    """A source as one comparable, redacted text: ``git+URL@REF#subdirectory=...``, a URL, a path."""
    if source.kind == "path":
        return source.path
    ref = source.tag or source.rev or source.branch
    text = ("git+" if source.kind == "git" else "") + source.url + (f"@{ref}" if ref else "")
    if source.subdirectory:
        text += f"#subdirectory={source.subdirectory}"
    return redact.redact_text(text)


def env_reference_url(source: Source) -> str | None:
    """``source`` as a PEP 508 URL when it holds ``${VAR}`` (uv expands it there, not in
    ``[tool.uv.sources]``); None when it holds none."""
    ref = source.tag or source.rev or source.branch
    if source.kind == "git":
        text = f"git+{source.url}" + (f"@{ref}" if ref else "")
    elif source.kind == "url":
        text = source.url
    else:
        text = source.path
    if source.subdirectory:
        text += f"#subdirectory={source.subdirectory}"
    return text if ENV_RE.search(text) else None


def _secret_userinfo(url: str) -> bool:
    """Userinfo that is a secret: not the login name of ``ssh://git@host`` (as the parser keeps)."""
    if not redact.has_credentials(url):
        return False
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return not (parts.scheme.lower() == "ssh" and ":" not in userinfo and "$" not in userinfo)


def rebase(path: str, base: Path, root: Path) -> str:
    """``path`` (relative to ``base``) as a POSIX path relative to ``root``; absolute stays."""
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute() or re.match(r"^[A-Za-z]:/", posix):
        return posix
    if "://" in posix or posix.startswith("${"):
        return path
    joined = posixpath.normpath((base / posix).as_posix())
    relative = posixpath.relpath(joined, root.as_posix())
    return relative


def _refined(a: Source, b: Source) -> Source | None:
    """Of two git sources of one repository where exactly one names a ref (tag, rev or branch), that
    one; else None (a real conflict)."""
    if a.kind != "git" or b.kind != "git" or a.url.rstrip("/") != b.url.rstrip("/"):
        return None
    if a.subdirectory != b.subdirectory:
        return None
    a_ref = a.tag or a.rev or a.branch
    b_ref = b.tag or b.rev or b.branch
    if (a_ref is None) == (b_ref is None):
        return None
    return a if a_ref is not None else b


def rebase_source(source: Source, base: Path, root: Path) -> Source:
    if source.kind != "path":
        return replace(source, base=None) if source.base is not None else source
    folder = source.base if source.base is not None else base
    return replace(source, path=rebase(source.path, folder, root), base=root)
