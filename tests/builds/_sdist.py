"""A tiny sdist with a C extension, for builds that must compile: no setuptools, no download.

Its PEP 517 backend sits in the sdist (``backend-path``) and needs nothing from an index: it
runs ``cc`` on one C file against the interpreter's headers and zips a platform wheel, so pip and
uv build it offline wherever a compiler and ``Python.h`` exist (the full ``python:3.11``
stand-in), and fail where they do not (``-slim``). ``prepare_metadata_for_build_wheel`` answers
without compiling, so a lock on a host without the headers still resolves it.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

__all__ = ["make_c_sdist"]

_C = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}

static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "a + b, in C"}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedup", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speedup(void) { return PyModule_Create(&module); }
"""

_BACKEND = '''\
"""A PEP 517 backend that compiles {module}/_speedup.c with cc (tests only)."""
import base64, hashlib, os, subprocess, sys, sysconfig, tempfile, zipfile

NAME, VERSION, MODULE = {name!r}, {version!r}, {module!r}
DIST_INFO = "%s-%s.dist-info" % (MODULE, VERSION)
METADATA = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION)


def _tag():
    py = "cp%d%d" % sys.version_info[:2]
    return "%s-%s-%s" % (py, py, sysconfig.get_platform().replace("-", "_").replace(".", "_"))


def _wheel_text():
    return "Wheel-Version: 1.0\\nGenerator: reqconv-tests\\nRoot-Is-Purelib: false\\nTag: %s\\n" % _tag()


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    folder = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "METADATA"), "w") as f:
        f.write(METADATA)
    with open(os.path.join(folder, "WHEEL"), "w") as f:
        f.write(_wheel_text())
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        so = os.path.join(tmp, "_speedup" + sysconfig.get_config_var("EXT_SUFFIX"))
        subprocess.check_call([
            os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2",
            "-I", sysconfig.get_paths()["include"],
            os.path.join(here, MODULE, "_speedup.c"), "-o", so,
        ])
        files = [
            (MODULE + "/__init__.py", open(os.path.join(here, MODULE, "__init__.py"), "rb").read()),
            (MODULE + "/" + os.path.basename(so), open(so, "rb").read()),
            (DIST_INFO + "/METADATA", METADATA.encode()),
            (DIST_INFO + "/WHEEL", _wheel_text().encode()),
        ]
    record = ""
    for path, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\\n" % (path, digest, len(data))
    files.append((DIST_INFO + "/RECORD", (record + DIST_INFO + "/RECORD,,\\n").encode()))
    name = "%s-%s-%s.whl" % (MODULE, VERSION, _tag())
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for path, data in files:
            zf.writestr(path, data)
    return name
'''

_PYPROJECT = """\
[build-system]
requires = []
build-backend = "build_backend"
backend-path = ["."]

[project]
name = "{name}"
version = "{version}"
"""


def make_c_sdist(directory: Path, name: str = "cspeedup", version: str = "1.0") -> Path:
    """``<name>-<version>.tar.gz``: module ``name`` with an ``add(a, b)`` written in C."""
    module = name.replace("-", "_")
    base = f"{module}-{version}"
    files = {
        "pyproject.toml": _PYPROJECT.format(name=name, version=version),
        "build_backend.py": _BACKEND.format(name=name, version=version, module=module),
        f"{module}/__init__.py": f"from {module}._speedup import add\n\n__version__ = {version!r}\n",
        f"{module}/_speedup.c": _C,
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for relative, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{relative}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 315532800  # 1980-01-01: the same bytes, the same hash, every run
            tar.addfile(info, io.BytesIO(data))
    return path
