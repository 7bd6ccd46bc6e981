"""Builders for a local package index: tiny wheels and sdists made with the stdlib, no downloads.

Archives are reproducible (fixed timestamps and order), so their sha256 stays the same from one
session to the next. ``make_sdist`` ships a minimal in-tree PEP 517 backend (``backend-path``), so
uv can build it offline with no build requirement to fetch. ``write_files`` writes a tree of
text files, ``git_commit`` makes it a tagged git commit; ``fake_executable`` / ``fake_uv``
write a POSIX shell script that stands in for a program (uv that dies, hangs or misbehaves).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import stat
import subprocess
import tarfile
import textwrap
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = [
    "INDEX_PACKAGES",
    "build_index",
    "fake_executable",
    "fake_uv",
    "git_commit",
    "make_sdist",
    "make_source_tree",
    "make_wheel",
    "metadata_text",
    "write_files",
    "write_flat_index",
]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _dist_name(name: str) -> str:
    return name.replace("-", "_").replace(".", "_").lower()


def metadata_text(
    name: str,
    version: str,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    python_requires: str | None = None,
    metadata_version: str = "2.1",
) -> str:
    """Core metadata (``METADATA``/``PKG-INFO``) with ``Requires-Dist`` and ``Provides-Extra``."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if python_requires is not None:
        lines.append(f"Requires-Python: {python_requires}")
    lines.extend(f"Requires-Dist: {req}" for req in requires)
    for extra, reqs in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            marker = f'extra == "{extra}"'
            if ";" in req:
                base, _, own = req.partition(";")
                lines.append(f"Requires-Dist: {base.strip()}; ({own.strip()}) and {marker}")
            else:
                lines.append(f"Requires-Dist: {req}; {marker}")
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _wheel_files(name: str, version: str, metadata: str) -> list[tuple[str, bytes]]:
    dist = _dist_name(name)
    info = f"{dist}-{version}.dist-info"
    files = [
        (f"{dist}/__init__.py", f'__version__ = "{version}"\n'.encode()),
        (f"{info}/METADATA", metadata.encode()),
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: reqconv-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        ),
    ]
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in files)
    record += f"{info}/RECORD,,\n"
    files.append((f"{info}/RECORD", record.encode()))
    return files


def _write_zip(path: Path, files: list[tuple[str, bytes]]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files:
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    path.write_bytes(buffer.getvalue())


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    python_requires: str | None = None,
) -> Path:
    """A pure-Python ``py3-none-any`` wheel of ``name`` with a one-line module."""
    directory.mkdir(parents=True, exist_ok=True)
    metadata = metadata_text(name, version, requires, extras, python_requires)
    path = directory / f"{_dist_name(name)}-{version}-py3-none-any.whl"
    _write_zip(path, _wheel_files(name, version, metadata))
    return path


# A PEP 517 backend in a dozen lines: it writes the same wheel as ``make_wheel`` from the PKG-INFO
# shipped in the sdist, so building needs nothing beyond the standard library.
_BACKEND = textwrap.dedent(
    '''\
    """Minimal in-tree build backend for the test index (stdlib only)."""
    import base64, hashlib, os, zipfile

    def _meta():
        with open("PKG-INFO", encoding="utf-8") as f:
            text = f.read()
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        return text, fields["Name"], fields["Version"]

    def _hash(data):
        digest = hashlib.sha256(data).digest()
        return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        text, name, version = _meta()
        dist = name.replace("-", "_").replace(".", "_").lower()
        info = dist + "-" + version + ".dist-info"
        files = [
            (dist + "/__init__.py", ("__version__ = %r\\n" % version).encode()),
            (info + "/METADATA", text.encode()),
            (info + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: reqconv-tests\\n"
             b"Root-Is-Purelib: true\\nTag: py3-none-any\\n"),
        ]
        record = "".join("%s,%s,%d\\n" % (p, _hash(d), len(d)) for p, d in files)
        files.append((info + "/RECORD", (record + info + "/RECORD,,\\n").encode()))
        filename = dist + "-" + version + "-py3-none-any.whl"
        with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
            for path, data in files:
                zf.writestr(path, data)
        return filename
    '''
)


def _source_files(
    name: str,
    version: str,
    requires: Iterable[str],
    extras: Mapping[str, Iterable[str]] | None,
    python_requires: str | None,
) -> list[tuple[str, bytes]]:
    pkg_info = metadata_text(name, version, requires, extras, python_requires, "2.2")
    pyproject = textwrap.dedent(
        """\
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["_backend"]
        """
    )
    return [
        ("PKG-INFO", pkg_info.encode()),
        ("pyproject.toml", pyproject.encode()),
        ("_backend/backend.py", _BACKEND.encode()),
        (f"{_dist_name(name)}/__init__.py", f'__version__ = "{version}"\n'.encode()),
    ]


def make_source_tree(
    directory: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    python_requires: str | None = None,
) -> Path:
    """An unpacked project (what a git repository or a path source holds) that builds offline."""
    for relative, data in _source_files(name, version, requires, extras, python_requires):
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return directory


def make_sdist(
    directory: Path,
    name: str,
    version: str,
    requires: Iterable[str] = (),
    extras: Mapping[str, Iterable[str]] | None = None,
    python_requires: str | None = None,
) -> Path:
    """A ``.tar.gz`` sdist (PKG-INFO 2.2, pyproject.toml, in-tree backend) that builds offline."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = _dist_name(name)
    root = f"{dist}-{version}"
    files = [
        (f"{root}/{relative}", data)
        for relative, data in _source_files(name, version, requires, extras, python_requires)
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for arcname, data in files:
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))
    # mtime=0 in the gzip header and in every member: the same bytes every time.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=buffer, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    path = directory / f"{root}.tar.gz"
    path.write_bytes(buffer.getvalue())
    return path


# name -> version -> (kind, requires, extras). The shapes the integration tests need: several
# versions, a dependency, an extra, a marker-dependent dependency, and an sdist-only name.
INDEX_PACKAGES: dict[str, dict[str, tuple[str, tuple[str, ...], dict[str, tuple[str, ...]]]]] = {
    "alpha": {
        "1.0": ("wheel", (), {}),
        "1.1": ("wheel", (), {}),
        "2.0": ("wheel", (), {}),
    },
    "beta": {
        "1.0": ("wheel", ("alpha>=1.0",), {}),
        "1.5": ("wheel", ("alpha>=1.0",), {}),
        "2.0": ("wheel", ("alpha>=2.0",), {}),
    },
    "gamma": {
        "1.0": ("wheel", (), {"extra": ("beta>=1.0",)}),
        "1.2": ("wheel", (), {"extra": ("beta>=1.0",)}),
    },
    "delta": {
        "1.0": ("wheel", ('zeta; python_version < "3.8"', 'eta; sys_platform == "linux"'), {}),
    },
    "epsilon": {"1.0": ("sdist", ("alpha",), {})},
    "zeta": {"1.0": ("wheel", (), {})},
    "eta": {"1.0": ("wheel", (), {}), "1.1": ("wheel", (), {})},
}


def write_flat_index(directory: Path) -> Path:
    """``directory/index.html``: a flat find-links page linking every archive with its sha256.

    uv records no hash for an archive it finds in a plain local folder; through this page (a
    ``file://`` URL) it records the ``#sha256=`` of each link, so exports carry ``--hash`` lines.
    """
    links = []
    for path in sorted(directory.iterdir()):
        if path.name.endswith((".whl", ".tar.gz")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            links.append(f'<a href="{path.as_uri()}#sha256={digest}">{path.name}</a><br>')
    page = directory / "index.html"
    page.write_text(
        "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n",
        encoding="utf-8",
    )
    return page


def build_index(directory: Path) -> Path:
    """A folder holding every ``INDEX_PACKAGES`` distribution and its ``index.html`` page."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, versions in INDEX_PACKAGES.items():
        for version, (kind, requires, extras) in versions.items():
            if kind == "sdist":
                make_sdist(directory, name, version, requires, extras)
            else:
                make_wheel(directory, name, version, requires, extras)
    write_flat_index(directory)
    return directory


def fake_executable(path: Path, body: str) -> Path:
    """An executable ``/bin/sh`` script at ``path`` running ``body`` (dedented)."""
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_uv(path: Path, body: str) -> Path:
    """A stand-in uv: ``--version`` answers ``uv 0.13.9``, any other call runs ``body``."""
    version = 'if [ "$1" = "--version" ]; then echo "uv 0.13.9"; exit 0; fi\n'
    return fake_executable(path, version + textwrap.dedent(body))


def write_files(root: Path, files: Mapping[str, str], *, dedent: bool = False) -> Path:
    """Each ``files`` entry (a path relative to ``root``: its text) written, folders made as
    needed; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if dedent else text)
    return root


def git_commit(folder: Path, message: str, tag: str) -> Path:
    """Commit everything in ``folder`` (a git repository, made on first use) and tag the commit."""

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)

    if not (folder / ".git").exists():
        git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", message)
    git("tag", tag)
    return folder
