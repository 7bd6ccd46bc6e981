"""A URL, path or VCS requirement of a requirements file -> a requirement and its ``Source``, or
an ``Unnamed`` when nothing in the line or its folder names the package.

pip's rules (``pip/_internal/req/constructors.py``): a marker splits off a URL at ``"; "``, extras
off a path; a git ``@ref`` is a rev, tag or branch by its shape; a name comes from ``#egg=``, a
wheel or sdist filename, or the folder's static metadata (``setup.py`` is never run or read); a
relative path is read beside the file, else from the nearest of three parent folders that holds
it. Credentials in a URL are removed (and reported). See ``parse`` for the whole format.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from reqconv.errors import Location, ParseError
from reqconv.frozen import frozen
from reqconv.model import Diagnostic, Source, Unnamed
from reqconv.redact import has_credentials, redact_text, strip_credentials

__all__ = [
    "ENV_RE",
    "URL_SCHEME_RE",
    "DirectReader",
    "expand_env",
    "file_url_path",
    "is_plain",
    "pep508",
]

NAME_AT_RE = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@")
EXTRAS_RE = re.compile(r"^(.+?)(\[[^\]]+\])$")  # pip's _strip_extras
HEX_REF_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")
VERSION_REF_RE = re.compile(r"^[vV]?\d+(?:\.\d+)+(?:[-_.+]?[A-Za-z0-9]+)*$")
BRANCH_REFS = frozenset({"main", "master", "develop", "development", "dev", "trunk", "stable"})
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


URL_HASHES = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512"})


@frozen
class _Target:
    source: Source | None
    name: str | None
    version: str | None = None
    hashes: tuple[str, ...] = ()
    why: str = ""  # why ``name`` is None, for the message


ENV_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")  # what pip and uv expand: ${NAME}, upper case


def expand_env(text: str) -> str:
    """``${VAR}`` replaced by its value where it is set (pip's and uv's rule), else kept."""
    if "${" not in text:
        return text
    return ENV_RE.sub(lambda m: os.environ.get(m.group(1), m.group(0)), text)


def is_plain(spec: str) -> bool:
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


def pep508(spec: str, origin: Location) -> Requirement:
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
        # packaging's message repeats the line, URL and all.
        why = redact_text(str(e))
        raise ParseError(f"invalid requirement {redact_text(spec)!r}{hint}: {why}", origin) from e


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


def file_url_path(url: str) -> str:
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
    import configparser  # setup.cfg only: not on check's path

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


@dataclass(slots=True)
class DirectReader:
    """Reads the URL, path and VCS requirements of one file (``path``); what it cannot carry over
    as given goes to ``diagnostics`` (the file's list, shared with ``lines.FileParser``)."""

    path: Path
    diagnostics: list[Diagnostic]

    def read(
        self, origin: Location, spec: str, *, editable: bool
    ) -> tuple[Requirement, Source | None, tuple[str, ...]] | Unnamed | None:
        """A URL or path requirement: (requirement without url, source, hashes of the URL), or
        an ``Unnamed`` when nothing in the line or its folder names it."""
        named: Requirement | None = None
        extras = marker = ""
        if not editable and NAME_AT_RE.match(spec):
            named = pep508(spec, origin)
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
                    return pep508(spec, origin), None, ()
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
            named = pep508(text + (f" ; {marker}" if marker else ""), origin)
        elif target.source is None and target.version and not named.specifier:
            named = pep508(
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
            location = file_url_path(location)
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
        native = expand_env(path)
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
