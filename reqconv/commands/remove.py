"""`reqconv remove`: the mirror of ``add``: a package out of pyproject.toml and the requirements
file of its group, then re-lock and re-export, or no file changed at all.

A thin shell over ``reqconv.change`` (see ``commands._change`` for the service lock and the report).
"""

from __future__ import annotations

from reqconv.commands import Output
from reqconv.commands._change import ChangeOptions, execute
from reqconv.frozen import frozen

__all__ = ["RemoveOptions", "run"]


@frozen(kw_only=True)
class RemoveOptions(ChangeOptions):
    names: tuple[str, ...]


def run(options: RemoveOptions, out: Output) -> int:
    """Remove ``options.names`` from one service; 1 when ``--check`` finds work."""
    from reqconv import change

    return execute(
        lambda: change.plan_remove(options.project, options.names, group=options.table()),
        options,
        out,
    )
