"""Dockerfile reading and rewriting: ``pip install -r FILE`` becomes ``uv pip sync LOCK``.

A package of steps, each module one stage of the data (see docs/architecture.md):
``instructions`` (BuildKit parse, stages, ``ARG`` expansion) -> ``shell`` (the commands inside a
``RUN``, with positions) -> ``pip`` (a pip invocation as data) -> ``facts``, ``environment`` and
``stages`` (the parsed file; what is true at a line of a stage; what later stages do with it) ->
``decide`` (per install: rewrite, or keep with a code from ``reasons.RULES``) -> ``edit`` (a
decision as edits; ``mounts`` and ``locks`` place uv and the lock; ``text`` applies the edits),
driven by ``rewrite``. ``checks`` reports what concerns the file as a whole, ``dockerignore`` keeps
``.venv`` out of the context. Pure: text in, text or model out; never reads, writes or prints.
``dockerfile`` and ``bashlex`` are imported inside the functions that need them, and ``rewrite``
(with the steps it drives: shell, pip, facts, decide, edit) on first use of its two names below, so
importing this package (``reqconv check`` does, for ``builds``) is cheap.

Two modules read files, and neither is re-exported here: ``builds`` (which Dockerfiles build a
service, from which context: compose files, CI workflows; the only importer of yaml) and ``plan``
(a service's Dockerfiles planned: each one read, rewritten for its build context, nothing
written).

What ``rewrite`` does and keeps is documented in docs/docker.md.
"""

from __future__ import annotations

import sys
import types

from reqconv.docker.dockerignore import dockerignore_check, dockerignore_update
from reqconv.docker.instructions import (
    base_python_versions,
    context_sources,
    copied_files,
    escape_char,
    instructions,
)
from reqconv.docker.model import (
    DEFAULT_VENV,
    DockerFinding,
    DockerPlan,
    DockerResult,
    default_lock_name,
)
from reqconv.docker.reasons import RULES

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
    from reqconv.docker.rewrite import referenced_requirement_files, rewrite

__all__ = [
    "DEFAULT_VENV",
    "RULES",
    "DockerFinding",
    "DockerPlan",
    "DockerResult",
    "base_python_versions",
    "context_sources",
    "copied_files",
    "default_lock_name",
    "dockerignore_check",
    "dockerignore_update",
    "escape_char",
    "instructions",
    "referenced_requirement_files",
    "rewrite",
]


_LAZY = frozenset({"referenced_requirement_files", "rewrite"})


def __getattr__(name: str) -> object:
    """``rewrite`` and ``referenced_requirement_files``: the rewrite driver imported on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'reqconv.docker' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module("reqconv.docker.rewrite"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """This package's module type: importing the submodule ``rewrite`` sets the package's
    attribute of that name to the module (the import system does, for every submodule), which
    must not replace the function ``reqconv.docker.rewrite`` that the package exports."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
