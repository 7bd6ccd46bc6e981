"""Every case of ``fixtures/builds/`` builds with ``docker build`` before and after ``reqconv convert``.

For each case: build the original Dockerfile(s) (pip, against the loopback index), run the real
``reqconv convert`` (real uv lock against the same index), check a second run would change nothing,
build the rewritten Dockerfile(s), then, in the built stage of both images, run the interpreter that
the image's own CMD runs with and import every package of the stage's lock at its locked version,
plus the app's own modules, and check the rewritten image is no larger than pip's, to the byte,
once the venv's own files and the files ``convert`` added or changed are counted out of both, each
measured in the image (``docker image inspect``'s size; ``REQCONV_BUILD_SIZES=<file>`` appends
each pair to that file as a JSON line, the table of docs/benchmarks.md). No build reaches anything
but the loopback index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker

from tests._dockerbuild import (
    IndexProxy,
    build,
    docker,
    final_interpreter,
    module_name,
    reqconv_env,
    run_python,
    serve_index,
    uv_cache_paths,
)
from tests.builds.cases import Case, all_cases, case_index

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# Every build runs every step: BuildKit keys its cache on the Dockerfile and the files it copies,
# not on the index, so a layer cached by another session (the bench installs real wheels from the
# same requirements on the same base image) would stand in for this session's install.
_FRESH = ("--no-cache",)

_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")

# The marker environment of the interpreter that runs it (what packaging.markers computes).
_MARKER_ENV = """
import json, os, platform, sys
impl = sys.implementation
print(json.dumps({
    "implementation_name": impl.name,
    "implementation_version": "%d.%d.%d" % impl.version[:3],
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}))
"""

_CHECK = """
import importlib, importlib.metadata as md, json, sys
packages, modules = json.loads(sys.argv[1] if len(sys.argv) > 1 else {payload!r})
bad = []
for name, version, module in packages:
    try:
        importlib.import_module(module)
        found = md.version(name)
    except Exception as e:
        bad.append("%s: %r" % (name, e))
        continue
    if found != version:
        bad.append("%s: %s installed, %s locked" % (name, found, version))
for module in modules:
    try:
        importlib.import_module(module)
    except Exception as e:
        bad.append("%s: %r" % (module, e))
print(json.dumps({{"prefix": sys.prefix, "bad": bad}}))
"""


def _locked(service: Path, locks: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """``(name, version, marker)`` of every entry of the export files."""
    entries = []
    for lock in locks:
        path = service / lock
        assert path.is_file(), f"{lock} was not written by reqconv convert"
        for line in path.read_text("utf-8").splitlines():
            match = _LOCK_LINE.match(line.strip())
            if match is not None:
                entries.append((match.group(1), match.group(2), match.group(3)))
    assert entries, f"{locks} lock no package"
    return entries


def _check_stage(
    tag: str, packages: list[tuple[str, str, str | None]], modules: tuple[str, ...]
) -> str:
    """Import ``packages`` (at their versions) and ``modules`` with the CMD's interpreter."""
    interpreter = final_interpreter(tag)
    environment = json.loads(run_python(tag, interpreter, _MARKER_ENV))
    wanted = [
        (name, version, module_name(name))
        for name, version, marker in packages
        if marker is None or Marker(marker).evaluate(environment)
    ]
    payload = json.dumps([wanted, list(modules)])
    report = json.loads(run_python(tag, interpreter, _CHECK.format(payload=payload)))
    assert report["bad"] == [], f"{tag} ({interpreter}, CMD's interpreter): {report['bad']}"
    return interpreter


_CACHE_MOUNT_TARGET = re.compile(r"--mount=type=cache,(?:[^\s,]+,)*?target=([^\s,]+)")


def _uv_cache_left(tag: str, dockerfile_text: str) -> list[str]:
    """What of uv's cache the image holds (issue 15: +525 MB when HOME moved it off the mount).
    The empty mount point of a cache mount is no cache: BuildKit leaves the folder it created for
    the mount in the image, empty (BuildKit 0.8 of Docker 20.10 here; users report the same of
    later versions, moby/buildkit#1673), so `find` cannot come back empty while the cache is a
    cache mount at that path; anything inside the folder would be listed."""
    targets = set(_CACHE_MOUNT_TARGET.findall(dockerfile_text))
    return [path for path in uv_cache_paths(tag) if path not in targets]


# What a rewritten image holds that pip's cannot, counted out of both images file by file, each
# measured inside the image (issue 15 item 4):
# - the venv's own files (`uv venv` writes activation scripts for eight shells, pyvenv.cfg,
#   CACHEDIR.TAG: 29.8 KB with uv 0.13.9, and has no option to leave them out);
# - the files `reqconv convert` adds to or changes in the service (pyproject.toml, uv.lock, the
#   exports, the longer Dockerfile) where a `COPY . .` brings them in;
# - what each installer writes beside a wheel's files: RECORD, INSTALLER, direct_url.json, uv's
#   uv_cache.json, and the console-script launchers (uv's are ~90 bytes longer than pip's, its
#   RECORD lists no .pyc and is shorter).
# The rest of the rewritten image must be no larger than the rest of pip's, to the byte. What made
# images larger in the field (pip and setuptools seeded into the venv: 20 MB; uv's cache in a
# layer: hundreds of MB) is in the rest.
_ACCOUNT = """
import hashlib, json, os, sys
venvs, wanted, dists = json.loads(sys.argv[1] if len(sys.argv) > 1 else {payload!r})
# what an installer writes into a .dist-info, not the wheel: PEP 376, 610 and 710's files, and
# uv's own record of how it built a local project
INSTALLER_FILES = (
    "RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "provenance.json",
    "uv_cache.json", "uv_build.json",
)
def recorded(dist_info):
    # the files a distribution's RECORD lists, as absolute paths
    site = os.path.dirname(dist_info)
    try:
        with open(os.path.join(dist_info, "RECORD"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    entries = (line.rsplit(",", 2)[0] for line in lines)
    return [os.path.normpath(os.path.join(site, entry)) for entry in entries if entry]
def own_files(root):
    owned = set()
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath.endswith(".dist-info") and "RECORD" in filenames:
            owned.update(recorded(dirpath))
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        links = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
        for name in links + filenames:
            path = os.path.join(dirpath, name)
            if path in owned:
                continue
            if os.path.basename(dirpath) == "__pycache__":
                source = os.path.join(os.path.dirname(dirpath), name.split(".")[0] + ".py")
                if source in owned:
                    continue
            found.append((path, os.lstat(path).st_size))
    return found
def installed_by(dirpath):
    # the project of a .dist-info folder when it is one of `dists` (None: one uv installed)
    project = os.path.basename(dirpath)[: -len(".dist-info")].rsplit("-", 1)[0]
    project = project.replace("_", "-").replace(".", "-").lower()
    if dists is not None:
        return project if project in dists else None
    try:
        with open(os.path.join(dirpath, "INSTALLER"), encoding="utf-8") as f:
            return project if f.read().strip() == "uv" else None
    except OSError:
        return None
venv = [item for root in venvs if os.path.isdir(root) for item in own_files(root)]
converted, metadata, installed = [], [], []
for dirpath, dirnames, filenames in os.walk("/"):
    if dirpath == "/":
        dirnames[:] = [d for d in dirnames if d not in ("proc", "sys", "dev")]
    for name in filenames:
        if name in wanted:
            path = os.path.join(dirpath, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest in wanted[name]:
                converted.append((path, os.lstat(path).st_size))
    if not dirpath.endswith(".dist-info"):
        continue
    project = installed_by(dirpath)
    if project is None:
        continue
    installed.append(project)
    for own in INSTALLER_FILES:
        path = os.path.join(dirpath, own)
        if os.path.isfile(path):
            metadata.append((path, os.lstat(path).st_size))
    for path in recorded(dirpath):
        if os.path.basename(os.path.dirname(path)) == "bin" and os.path.isfile(path):
            metadata.append((path, os.lstat(path).st_size))
print(json.dumps({{"venv": venv, "converted": converted, "metadata": metadata, "dists": installed}}))
"""

_UV_VENV = re.compile(r"\buv venv(?:\s+--?[\w-]+(?:=\S+)?)*\s+(/[^\s;&|]+)")


def _size(tag: str) -> int:
    """The image's size in bytes, as ``docker image inspect`` gives it."""
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


def _files(tree: Path) -> dict[str, str]:
    """Every file of ``tree``: relative path -> sha256."""
    return {
        path.relative_to(tree).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in tree.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


def _wanted(files: Mapping[str, str]) -> dict[str, list[str]]:
    wanted: dict[str, list[str]] = {}
    for relative, digest in files.items():
        wanted.setdefault(relative.rsplit("/", 1)[-1], []).append(digest)
    return wanted


def _account(
    tag: str, venvs: list[str], wanted: Mapping[str, list[str]], dists: list[str] | None
) -> dict[str, Any]:
    """What the image holds of: the venv's own files under ``venvs``; the files of ``wanted``
    (name -> hashes); the installer's own files of the distributions ``dists`` (``RECORD``,
    ``INSTALLER``, ``direct_url.json`` and the like, console-script launchers; None: those uv
    installed). Each as ``(path, bytes)``, and the distributions as ``dists``."""
    interpreter = final_interpreter(tag)
    payload = json.dumps([venvs, wanted, dists])
    report: dict[str, Any] = json.loads(
        run_python(tag, interpreter, _ACCOUNT.format(payload=payload))
    )
    return report


def _check_size(
    case: Case,
    number: int,
    session_id: str,
    rewritten: str,
    files: tuple[Mapping[str, str], Mapping[str, str]],
) -> dict[str, Any]:
    """The rewritten image (uv) is no larger than the original (pip) but for the venv's own files
    and the files ``convert`` added or changed, each measured in both images (issue 15 item 4)."""
    spec = case.builds[number]
    pip_tag = f"reqconv-build/{case.name}-{number}-pip:{session_id}"
    uv_tag = f"reqconv-build/{case.name}-{number}-uv:{session_id}"
    pip, uv = _size(pip_tag), _size(uv_tag)
    before, after = files
    changed = {path for path, digest in after.items() if before.get(path) != digest}
    venvs = sorted(set(_UV_VENV.findall(rewritten)))
    uv_parts = _account(uv_tag, venvs, _wanted({p: after[p] for p in changed}), None)
    pip_parts = _account(
        pip_tag, venvs, _wanted({p: before[p] for p in changed if p in before}), uv_parts["dists"]
    )
    parts = ("venv", "converted", "metadata")
    uv_extra = sum(size for part in parts for _path, size in uv_parts[part])
    pip_extra = sum(size for part in parts for _path, size in pip_parts[part])
    row = {
        "case": case.name,
        "build": spec.name,
        "pip": pip,
        "uv": uv,
        "venv_own": sum(size for _path, size in uv_parts["venv"])
        - sum(size for _path, size in pip_parts["venv"]),
        "converted": sum(size for _path, size in uv_parts["converted"])
        - sum(size for _path, size in pip_parts["converted"]),
        "metadata": sum(size for _path, size in uv_parts["metadata"])
        - sum(size for _path, size in pip_parts["metadata"]),
        "rest": (uv - uv_extra) - (pip - pip_extra),
    }
    record = os.environ.get("REQCONV_BUILD_SIZES")
    if record:
        with open(record, "a", encoding="utf-8") as out:
            out.write(json.dumps(row))
            out.write("\n")
    assert uv - uv_extra <= pip - pip_extra, (
        f"{case.name} {spec.name}: the rewritten image is {row['rest']} bytes larger than pip's "
        f"beyond the venv's own files ({row['venv_own']} B: {uv_parts['venv']}), the "
        f"converted files ({row['converted']} B: {uv_parts['converted']}) and the installers' "
        f"metadata ({row['metadata']} B); see `docker history`"
    )
    return row


def _convert(service: Path, case: Case, index: IndexProxy, tmp_path: Path, *extra: str) -> None:
    env = reqconv_env(index, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "reqconv", "convert", *case.convert_args, *extra, str(service)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"reqconv convert {' '.join(extra)} exited {done.returncode}\n{done.stdout}{done.stderr}"
    )


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.name)
def test_case_builds_and_imports_before_and_after_the_rewrite(
    case: Case,
    docker_engine: str,
    real_wheels: Path,
    image_tags: list[str],
    session_id: str,
    tmp_path: Path,
) -> None:
    index_dir = case_index(case, tmp_path / "index", real_wheels)
    work = tmp_path / case.name
    shutil.copytree(case.root, work, ignore=shutil.ignore_patterns("case.toml"))
    service = work / case.service
    scratch = tmp_path / "dockerfiles"
    with serve_index(index_dir) as index:
        originals = []
        for number, spec in enumerate(case.builds):
            text = (work / spec.dockerfile).read_text("utf-8")
            originals.append(text)
            tag = f"reqconv-build/{case.name}-{number}-pip:{session_id}"
            image_tags.append(tag)
            build(work / spec.context, text, tag, index, scratch, target=spec.target, extra=_FRESH)

        before = _files(work)
        _convert(service, case, index, tmp_path)
        _convert(service, case, index, tmp_path, "--check")  # a second run changes nothing
        after = _files(work)

        for number, spec in enumerate(case.builds):
            text = (work / spec.dockerfile).read_text("utf-8")
            if case.rewritten:
                assert text != originals[number], f"{spec.dockerfile} was not rewritten"
            else:
                assert text == originals[number], f"{spec.dockerfile} was rewritten"
            tag = f"reqconv-build/{case.name}-{number}-uv:{session_id}"
            image_tags.append(tag)
            build(work / spec.context, text, tag, index, scratch, target=spec.target, extra=_FRESH)
            assert _uv_cache_left(tag, text) == [], f"{spec.dockerfile}: uv's cache in the image"

        for number, spec in enumerate(case.builds):
            packages = _locked(service, spec.locks)
            for kind in ("pip", "uv"):
                _check_stage(
                    f"reqconv-build/{case.name}-{number}-{kind}:{session_id}",
                    packages,
                    case.imports,
                )
            rewritten = (work / spec.dockerfile).read_text("utf-8")
            _check_size(case, number, session_id, rewritten, (before, after))
    assert index.refused == [], f"builds asked for something other than the index: {index.refused}"
