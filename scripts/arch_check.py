"""The layout's rules, checked from the source: ``python scripts/arch_check.py [PACKAGE_DIR]``.

Reads every module of the package (default ``reqconv/``) with ``ast``: its imports wherever they
stand (module level, in a function, under ``if TYPE_CHECKING:``: a lazy import is still an edge),
relative ones resolved, ``from pkg.x import y`` counted as an import of ``pkg.x.y`` when ``y`` is a
submodule. Prints one line per problem and exits 1 when there is any:
- an import cycle (the cycle, ``a -> b -> a``);
- a module outside ``<pkg>/commands/`` and ``<pkg>/cli.py`` that imports ``<pkg>.commands``;
- a ``commands/*.py`` module longer than ``COMMAND_MAX_LINES``;
- a class longer than ``CLASS_MAX_LINES``.
Importing a module also runs its parent packages' ``__init__``; those implicit edges are not
counted (a package's ``__init__`` re-exporting its own submodules would otherwise be a cycle).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

COMMAND_MAX_LINES = 250
CLASS_MAX_LINES = 350


@dataclass(frozen=True, kw_only=True, slots=True)
class Module:
    name: str
    path: Path
    is_package: bool
    tree: ast.Module


def read_package(root: Path) -> dict[str, Module]:
    """Every module under the package folder ``root``, by dotted name."""
    modules: dict[str, Module] = {}
    base = root.name
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join((base, *parts))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name=name, path=path, is_package=is_package, tree=tree)
    return modules


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name ``from <node.module>`` refers to."""
    if not node.level:
        return node.module or ""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    if not node.module:
        return package
    return f"{package}.{node.module}" if package else node.module


def _owner(name: str, modules: Mapping[str, Module]) -> str | None:
    """The longest module of the package that ``name`` is or lies in."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: Module, modules: Mapping[str, Module]) -> dict[str, int]:
    """The package's modules that ``module`` imports, each with the first line importing it."""
    found: dict[str, int] = {}

    def add(target: str | None, line: int) -> None:
        if target is not None and target != module.name:
            found.setdefault(target, line)

    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(_owner(alias.name, modules), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules else _owner(base, modules), node.lineno)
    return found


def import_graph(modules: Mapping[str, Module]) -> dict[str, dict[str, int]]:
    return {name: imports_of(module, modules) for name, module in modules.items()}


def _components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            if todo:
                child = todo.pop(0)
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, sorted(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(sorted(component))
    return result


def _cycle_in(component: Sequence[str], graph: Mapping[str, Iterable[str]]) -> list[str]:
    """One shortest cycle through the component's first module (breadth first)."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node]):
            if child not in members:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle in {component}")  # pragma: no cover - a component has one


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle per group of modules that import each other, as ``[a, b, ..., a]``."""
    return [_cycle_in(c, graph) for c in _components(graph) if len(c) > 1]


def problems(root: Path) -> list[str]:
    """Every broken rule in the package folder ``root``, one line each."""
    modules = read_package(root)
    graph = import_graph(modules)
    base = root.name
    commands = f"{base}.commands"

    def shown(path: Path) -> str:
        return path.relative_to(root.parent).as_posix()

    found: list[str] = []
    for cycle in cycles(graph):
        found.append(f"import cycle: {' -> '.join(cycle)}")
    for name, targets in sorted(graph.items()):
        if name == commands or name.startswith(f"{commands}.") or name == f"{base}.cli":
            continue
        for target, line in sorted(targets.items()):
            if target == commands or target.startswith(f"{commands}."):
                path = shown(modules[name].path)
                found.append(f"{path}:{line}: {name} imports {target} (only cli and commands may)")
    for name, module in sorted(modules.items()):
        if name.startswith(f"{commands}.") and not module.is_package:
            length = len(module.path.read_text(encoding="utf-8").splitlines())
            if length > COMMAND_MAX_LINES:
                found.append(
                    f"{shown(module.path)}: command module has {length} lines (at most {COMMAND_MAX_LINES})"
                )
        for node in ast.walk(module.tree):
            if isinstance(node, ast.ClassDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > CLASS_MAX_LINES:
                    found.append(
                        f"{shown(module.path)}:{node.lineno}: class {node.name} has {length} lines"
                        f" (at most {CLASS_MAX_LINES})"
                    )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "reqconv"
    found = problems(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
