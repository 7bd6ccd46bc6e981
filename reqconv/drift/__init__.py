"""Drift between a service's requirements files, pyproject.toml, uv.lock, exports and Dockerfiles.

``codes`` holds ``CODES``, the one registry of finding codes, and ``Finding``; one module per kind of
drift holds its pure comparisons (``requirements``, ``lockfile``, ``exports``, ``dockerfiles``, with
``markers``); ``check`` reads one service (through fs) and runs them; ``survey`` finds the services
and answers those it can without them (a matching fingerprint, a service not migrated yet). This
package re-exports the registry and the comparisons, each loaded on first use (PEP 562):
``reqconv check``'s fast path imports ``reqconv.drift.survey``, and importing this package must not
import the comparisons (packaging) for it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from reqconv.drift.codes import CODES, Code, Finding, codes_table, line_of
    from reqconv.drift.dockerfiles import (
        compare_copy_sources,
        compare_dockerfile_locks,
        compare_lock_sources,
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

# name -> the module of this package that defines it
_WHERE = {
    "CODES": "codes",
    "Code": "codes",
    "Finding": "codes",
    "codes_table": "codes",
    "line_of": "codes",
    "compare_copy_sources": "dockerfiles",
    "compare_dockerfile_locks": "dockerfiles",
    "compare_lock_sources": "dockerfiles",
    "compare_pip_left": "dockerfiles",
    "compare_uv_image": "dockerfiles",
    "Export": "exports",
    "ExportEntry": "exports",
    "compare_exports": "exports",
    "compare_set_exports": "exports",
    "parse_export": "exports",
    "compare_lock": "lockfile",
    "same_marker": "markers",
    "compare_compiled": "requirements",
    "compare_hashes": "requirements",
    "compare_requirements": "requirements",
}

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
    "compare_set_exports",
    "compare_uv_image",
    "line_of",
    "parse_export",
    "same_marker",
]


def __getattr__(name: str) -> object:
    """``drift.X`` for the names above: their module imported on first use."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'reqconv.drift' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"reqconv.drift.{module}"), name)
