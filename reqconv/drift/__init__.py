"""Drift between a service's requirements files, pyproject.toml, uv.lock, exports and Dockerfiles.

``compare`` holds the pure comparisons and ``CODES``, the one registry of finding codes; ``check``
reads one service (through fs) and runs them. This package re-exports the comparisons.
"""

from __future__ import annotations

from reqconv.drift.compare import (
    CODES,
    Code,
    Export,
    ExportEntry,
    Finding,
    codes_table,
    compare_compiled,
    compare_copy_sources,
    compare_dockerfile_locks,
    compare_exports,
    compare_hashes,
    compare_lock,
    compare_lock_sources,
    compare_pip_left,
    compare_requirements,
    compare_uv_image,
    line_of,
    parse_export,
    same_marker,
)

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
    "compare_lock_sources",
    "compare_pip_left",
    "compare_requirements",
    "compare_uv_image",
    "line_of",
    "parse_export",
    "same_marker",
]
