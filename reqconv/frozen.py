"""``@frozen``: the house's immutable record, a slotted dataclass that mypy holds frozen.

``@dataclass(frozen=True)`` makes CPython 3.11 generate ``__setattr__``, ``__delattr__`` and
``__hash__`` for every class, each by an ``exec``: that doubles the cost of creating a class
(0.53 ms against 0.33 ms on these machines). reqconv has about 90 such records, and a full
``reqconv check`` creates 52 dataclasses before it has compared anything. ``@frozen`` declares the same contract to type
checkers through PEP 681 (``frozen_default=True``: mypy rejects any assignment to a field, as
for ``frozen=True``), and at run time keeps the hash and equality of a frozen dataclass
(``unsafe_hash=True``, ``eq=True``) without the guard on ``setattr``. mypy strict runs on every
change (``nox -s typecheck``), so the guard is checked where it is cheap: before run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["frozen"]

T = TypeVar("T")


@overload
def frozen(cls: type[T], /) -> type[T]: ...


@overload
def frozen(*, kw_only: bool = False, order: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True)
def frozen(cls: Any = None, /, *, kw_only: bool = False, order: bool = False) -> Any:
    """``@frozen`` or ``@frozen(kw_only=True, order=True)`` on a class body of annotated fields."""
    make = dataclass(slots=True, eq=True, unsafe_hash=True, kw_only=kw_only, order=order)
    return make if cls is None else make(cls)
