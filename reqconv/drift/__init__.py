"""Drift between a service's requirements files, pyproject.toml, uv.lock, exports and Dockerfiles.

``codes`` holds ``CODES``, the one registry of finding codes, and ``Finding``; one module per kind of
drift holds its pure comparisons (``requirements``, ``lockfile``, ``exports``, ``dockerfiles``, with
``markers``); ``check`` reads one service (through fs) and runs them. This package re-exports the
registry and the comparisons.
"""

from __future__ import annotations

from reqconv.drift.codes import CODES, Code, Finding, codes_table, line_of
from reqconv.drift.dockerfiles import (
    compare_copy_sources,
    compare_dockerfile_locks,
    compare_pip_left,
    compare_uv_image,
)
from reqconv.drift.exports import (
    Export,
    ExportEntry,
    compare_exports,
    compare_set_exports,
    parse_export,
)
from reqconv.drift.lockfile import compare_lock
from reqconv.drift.markers import same_marker
from reqconv.drift.requirements import compare_compiled, compare_hashes, compare_requirements

__all__ = [
    "CODES",
    "Code",
    "Export",
    "ExportEntry",
    "Finding",
    "codes_table",
    "compare_compiled",
    "compare_copy_sources",
    "compare_dockerfile_locks",
    "compare_exports",
    "compare_hashes",
    "compare_lock",
    "compare_pip_left",
    "compare_requirements",
    "compare_set_exports",
    "compare_uv_image",
    "line_of",
    "parse_export",
    "same_marker",
]
