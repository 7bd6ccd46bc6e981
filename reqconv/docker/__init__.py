"""Dockerfile reading and rewriting: ``pip install -r FILE`` becomes ``uv pip sync LOCK``.

A package of steps, each module one stage of the data (see docs/architecture.md):
``instructions`` (BuildKit parse, stages, ``ARG`` expansion) -> ``shell`` (the commands inside a
``RUN``, with positions) -> ``pip`` (a pip invocation as data) -> ``facts``, ``environment`` and
``stages`` (the parsed file; what is true at a line of a stage; what later stages do with it) ->
``decide`` (per install: rewrite, or keep with a code from ``reasons.RULES``) -> ``edit`` (a
decision as edits; ``mounts`` and ``locks`` place uv and the lock; ``text`` applies the edits),
driven by ``rewrite``. ``checks`` reports what concerns the file as a whole, ``dockerignore`` keeps
``.venv`` out of the context. Pure: text in, text or model out; never reads, writes or prints.
``dockerfile`` and ``bashlex`` are imported inside the functions that need them, and each name
below on first use (``rewrite`` brings the steps it drives: shell, pip, facts, decide, edit), so
importing this package (``reqconv check`` does, for ``builds``) costs nothing.

Two modules read files, and neither is re-exported here: ``builds`` (which Dockerfiles build a
service, from which context: compose files, CI workflows; the only importer of yaml) and ``plan``
(a service's Dockerfiles planned: each one read, rewritten for its build context, nothing
written).

What ``rewrite`` does and keeps is documented in docs/docker.md.
"""

from __future__ import annotations

import sys
import types

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy knows the name)
if TYPE_CHECKING:
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

#: Where each exported name lives: imported on first use, so that ``reqconv check`` (which needs
#: ``builds`` and ``instructions`` only, and those only for a service with a Dockerfile) does not
#: load the rules, the model or the rewrite driver.
_HOME = {
    "DEFAULT_VENV": "model",
    "DockerFinding": "model",
    "DockerPlan": "model",
    "DockerResult": "model",
    "default_lock_name": "model",
    "RULES": "reasons",
    "base_python_versions": "instructions",
    "context_sources": "instructions",
    "copied_files": "instructions",
    "escape_char": "instructions",
    "instructions": "instructions",
    "dockerignore_check": "dockerignore",
    "dockerignore_update": "dockerignore",
    "referenced_requirement_files": "rewrite",
    "rewrite": "rewrite",
}
# Exported functions that share their name with a submodule.
_SHADOWED = frozenset({"instructions", "rewrite"})


def __getattr__(name: str) -> object:
    """An exported name, its module imported on first use."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'reqconv.docker' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"reqconv.docker.{home}"), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """This package's module type: importing the submodule ``rewrite`` (or ``instructions``) sets
    the package's attribute of that name to the module (the import system does, for every
    submodule), which must not replace the function of that name that the package exports."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
