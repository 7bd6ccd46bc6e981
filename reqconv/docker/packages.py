"""Which system packages (apt, apk) only the build needs: the table ``--multi-stage`` decides by.

Each entry is a package name, whether the builder alone needs it (``build``) or the running image
too (``runtime``), a one-line reason, and for a ``-dev`` package the runtime libraries it stands
for (Debian bookworm's names for apt, Alpine's for apk), which the runtime stage installs instead.
A package not in the table is ``unclassified``: it stays in both stages. docs/docker.md shows the
table (tests/test_docs.py checks it).
"""

from __future__ import annotations

from typing import Literal

from reqconv.frozen import frozen

__all__ = ["PACKAGES", "PackageRule", "classify", "markdown_table"]

Manager = Literal["apt", "apk"]


@frozen
class PackageRule:
    manager: Manager
    name: str
    kind: Literal["build", "runtime"]
    reason: str
    runtime: tuple[str, ...] = ()  # what the runtime stage installs instead (a -dev's library)


_COMPILER = "a compiler or build tool: needed to build wheels, not to run them"
_HEADERS = "C headers to compile against; the runtime stage gets the library itself"
_VCS = "fetches VCS requirements during the install"
_PYDEV = "Python's headers, for compiling extensions"


def _build(manager: Manager, reason: str, *names: str) -> tuple[PackageRule, ...]:
    return tuple(PackageRule(manager, name, "build", reason) for name in names)


def _dev(manager: Manager, name: str, *runtime: str) -> PackageRule:
    return PackageRule(manager, name, "build", _HEADERS, runtime)


def _runtime(manager: Manager, reason: str, *names: str) -> tuple[PackageRule, ...]:
    return tuple(PackageRule(manager, name, "runtime", reason) for name in names)


_RULES: tuple[PackageRule, ...] = (
    *_build("apt", _COMPILER, "build-essential", "gcc", "g++", "cpp", "clang", "make", "cmake",
            "pkg-config", "pkgconf", "autoconf", "automake", "libtool", "ninja-build", "swig",
            "gfortran", "cargo", "rustc"),
    *_build("apt", _PYDEV, "python3-dev", "python-dev", "python3-all-dev"),
    *_build("apt", _VCS, "git", "mercurial", "subversion"),
    _dev("apt", "libpq-dev", "libpq5"),
    _dev("apt", "libffi-dev", "libffi8"),
    _dev("apt", "libssl-dev", "libssl3"),
    _dev("apt", "zlib1g-dev", "zlib1g"),
    _dev("apt", "libjpeg-dev", "libjpeg62-turbo"),
    _dev("apt", "libjpeg62-turbo-dev", "libjpeg62-turbo"),
    _dev("apt", "libpng-dev", "libpng16-16"),
    _dev("apt", "libxml2-dev", "libxml2"),
    _dev("apt", "libxslt1-dev", "libxslt1.1"),
    _dev("apt", "default-libmysqlclient-dev", "libmariadb3"),
    _dev("apt", "libmariadb-dev", "libmariadb3"),
    _dev("apt", "libsqlite3-dev", "libsqlite3-0"),
    _dev("apt", "libbz2-dev", "libbz2-1.0"),
    _dev("apt", "liblzma-dev", "liblzma5"),
    _dev("apt", "libyaml-dev", "libyaml-0-2"),
    _dev("apt", "libsasl2-dev", "libsasl2-2"),
    _dev("apt", "libldap2-dev", "libldap-2.5-0"),
    _dev("apt", "libkrb5-dev", "libkrb5-3", "libgssapi-krb5-2"),
    _dev("apt", "unixodbc-dev", "unixodbc"),
    _dev("apt", "libmagic-dev", "libmagic1"),
    _dev("apt", "libsnappy-dev", "libsnappy1v5"),
    _dev("apt", "libfreetype6-dev", "libfreetype6"),
    *_runtime("apt", "a library or tool the application uses when it runs",
              "libpq5", "libffi8", "libssl3", "zlib1g", "libjpeg62-turbo", "libxml2",
              "libxslt1.1", "libmariadb3", "libgl1", "libglib2.0-0", "libmagic1",
              "tesseract-ocr", "poppler-utils", "ffmpeg", "unixodbc"),
    *_runtime("apt", "the running container uses it (certificates, time zones, health checks)",
              "ca-certificates", "tzdata", "curl", "wget", "netcat-openbsd", "tini", "dumb-init",
              "gosu", "procps", "locales"),
    *_build("apk", _COMPILER, "build-base", "gcc", "g++", "musl-dev", "linux-headers", "make",
            "cmake", "pkgconf", "autoconf", "automake", "libtool", "cargo", "rust"),
    *_build("apk", _PYDEV, "python3-dev"),
    *_build("apk", _VCS, "git"),
    _dev("apk", "libffi-dev", "libffi"),
    _dev("apk", "openssl-dev", "libssl3"),
    _dev("apk", "postgresql-dev", "libpq"),
    _dev("apk", "libpq-dev", "libpq"),
    _dev("apk", "zlib-dev", "zlib"),
    _dev("apk", "jpeg-dev", "libjpeg-turbo"),
    _dev("apk", "libxml2-dev", "libxml2"),
    _dev("apk", "libxslt-dev", "libxslt"),
    _dev("apk", "mariadb-dev", "mariadb-connector-c"),
    *_runtime("apk", "a library or tool the application uses when it runs",
              "libpq", "libffi", "libssl3", "zlib", "libjpeg-turbo", "libxml2", "libxslt"),
    *_runtime("apk", "the running container uses it (certificates, time zones, health checks)",
              "ca-certificates", "tzdata", "curl", "wget", "tini", "bash"),
)  # fmt: skip

PACKAGES: dict[tuple[Manager, str], PackageRule] = {(r.manager, r.name): r for r in _RULES}


def classify(manager: Manager, name: str) -> PackageRule | None:
    """The table's entry for ``name`` (``pkg=1.2`` and ``pkg:amd64`` count as ``pkg``), or None."""
    bare = name.split("=", 1)[0].split(":", 1)[0]
    return PACKAGES.get((manager, bare))


def markdown_table() -> str:
    """The rows docs/docker.md shows (the docs test compares them)."""
    rows = [
        "| manager | package | stage | because | runtime stage installs |",
        "|---|---|---|---|---|",
    ]
    for rule in _RULES:
        stage = "builder" if rule.kind == "build" else "both"
        instead = ", ".join(f"`{name}`" for name in rule.runtime)
        rows.append(f"| {rule.manager} | `{rule.name}` | {stage} | {rule.reason} | {instead} |")
    return "\n".join(rows) + "\n"
