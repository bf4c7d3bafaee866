"""The import graph of the portal package, as docs/dev/architecture.md reports it: how many modules, the import
cycles (strongly connected components, imports inside functions and under TYPE_CHECKING included) and the longest
chain of imports.

    .venv/bin/python scripts/import_graph.py
"""

from __future__ import annotations

import functools
import sys

import grimp


def main() -> None:
    sys.setrecursionlimit(10_000)
    graph = grimp.build_graph("portal", include_external_packages=False)
    modules = sorted(graph.modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            components.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    component_of = {m: i for i, c in enumerate(components) for m in c}

    @functools.cache
    def longest(i: int) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for module in components[i]:
            for imported in graph.find_modules_directly_imported_by(module):
                j = component_of[imported]
                if j != i and len(longest(j)) > len(best):
                    best = longest(j)
        return (components[i][0], *best)

    cycles = sorted((c for c in components if len(c) > 1), key=len, reverse=True)
    chain = max((longest(i) for i in range(len(components))), key=len)
    print(f"{len(modules)} modules; {len(cycles)} import cycles, sizes {[len(c) for c in cycles]}")
    for cycle in cycles:
        print("  cycle:", " ".join(cycle))
    print(f"longest chain: {len(chain)} modules: {' -> '.join(chain)}")


if __name__ == "__main__":
    main()
