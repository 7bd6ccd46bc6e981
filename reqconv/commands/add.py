"""`reqconv add`: a requirement into pyproject.toml and the requirements file of its group, then
re-lock and re-export, or no file changed at all.

A thin shell over ``reqconv.change`` (see ``commands._change`` for the service lock and the report).
"""

from __future__ import annotations

from reqconv.commands import Output
from reqconv.commands._change import ChangeOptions, execute
from reqconv.frozen import frozen

__all__ = ["AddOptions", "run"]


@frozen(kw_only=True)
class AddOptions(ChangeOptions):
    requirements: tuple[str, ...]
    upgrade_spec: bool = False


def run(options: AddOptions, out: Output) -> int:
    """Add ``options.requirements`` to one service; 1 when ``--check`` finds work."""
    from reqconv import change

    return execute(
        lambda: change.plan_add(
            options.project,
            options.requirements,
            group=options.table(),
            upgrade_spec=options.upgrade_spec,
            offline=options.offline,
        ),
        options,
        out,
    )
