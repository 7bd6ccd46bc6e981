"""``reqconv add``/``remove``: ``read`` (the service and the argument, the checks before a write)
-> ``plan`` (every new file content) -> ``write`` (one ``fs.Transaction``: write, re-lock,
re-export)."""

from __future__ import annotations

from reqconv.change.plan import Compiled, Plan, plan_add, plan_remove
from reqconv.change.write import LockMove, Result, apply

__all__ = ["Compiled", "LockMove", "Plan", "Result", "apply", "plan_add", "plan_remove"]
