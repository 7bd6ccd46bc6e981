"""Drift between a service's requirements files, pyproject.toml, uv.lock, exports and Dockerfiles.

``compare`` holds the pure comparisons and ``CODES``, the one registry of finding codes; ``check``
reads one service (through fs) and runs them; ``survey`` finds the services and answers those it
can without them (a matching fingerprint, a service not migrated yet). This package re-exports the
comparisons, loaded on first use: ``reqconv check``'s fast path imports ``reqconv.drift.survey``,
and importing this package must not import ``compare`` (packaging) for it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
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
    "compare_pip_left",
    "compare_requirements",
    "compare_uv_image",
    "line_of",
    "parse_export",
    "same_marker",
]


def __getattr__(name: str) -> object:
    """``drift.X`` for the names above: ``compare`` imported on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'reqconv.drift' has no attribute {name!r}")
    from reqconv.drift import compare

    return getattr(compare, name)
