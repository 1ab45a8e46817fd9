"""The plan as a graph: execution order, cycles named by id, and the critical path.

Edges follow the design's contract (SPEC §2): a dependency's SOURCE is done first and its
target needs it, so the source comes earlier in the execution order and on the critical path.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.plan.core.model import Enabler, Plan


class CycleError(ValueError):
    """The plan's dependencies form a cycle; `cycle` lists its ids, first id repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(f"cycle: {format_cycle(cycle)}")
        self.cycle = cycle


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of dependent items, prerequisites first.

    `basis` is "hours" when any estimate is known (unknown ones count as the average known
    estimate and are listed in `assumed`), else "items" (the chain is counted).
    """

    ids: tuple[str, ...]
    length: float
    basis: str
    assumed: tuple[str, ...] = ()


def prerequisites(plan: Plan) -> dict[str, list[str]]:
    """For each item id, the ids that must be done before it (the sources pointing at it), in input order."""
    graph: dict[str, list[str]] = {item_id: [] for item_id in plan.item_ids()}
    for dep in plan.dependencies:
        if dep.first not in graph[dep.then]:
            graph[dep.then].append(dep.first)
    return graph


def find_cycle(plan: Plan) -> list[str] | None:
    """The first cycle found (ids in done-first order, first repeated at the end), or None when acyclic."""
    return cycle_in(plan.item_ids(), [(d.first, d.then) for d in plan.dependencies])


def cycle_in(ids: list[str], edges: list[tuple[str, str]]) -> list[str] | None:
    """The first cycle among `(first, then)` edges over `ids` (edges naming other ids are ignored)."""
    graph: dict[str, list[str]] = {item_id: [] for item_id in ids}
    for first, then in edges:
        if first in graph and then in graph and first not in graph[then]:
            graph[then].append(first)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in graph:
        cycle = _visit(graph, start, state, [])
        if cycle:
            return cycle[::-1]  # walked from needer to prerequisite; name it in done-first order
    return None


def _visit(graph: dict[str, list[str]], node: str, state: dict[str, int], path: list[str]) -> list[str] | None:
    if state.get(node) == 2:
        return None
    if state.get(node) == 1:
        return path[path.index(node):] + [node]
    state[node] = 1
    path.append(node)
    for target in graph[node]:
        cycle = _visit(graph, target, state, path)
        if cycle:
            return cycle
    path.pop()
    state[node] = 2
    return None


def format_cycle(cycle: list[str]) -> str:
    """`A -> B -> A`."""
    return " -> ".join(cycle)


def ranks(plan: Plan) -> dict[str, int]:
    """Each item's rank: 0 without prerequisites, else one more than its highest prerequisite."""
    cycle = find_cycle(plan)
    if cycle:
        raise CycleError(cycle)
    graph = prerequisites(plan)
    rank: dict[str, int] = {}

    def of(node: str) -> int:
        if node not in rank:
            rank[node] = 1 + max((of(t) for t in graph[node]), default=-1)
        return rank[node]

    for node in graph:
        of(node)
    return rank


def execution_order(plan: Plan) -> list[str]:
    """Item ids in a topological order: by rank, enablers before features, then input order."""
    rank = ranks(plan)
    position = {item.item_id: (0 if isinstance(item, Enabler) else 1, index)
                for items in (plan.enablers, plan.features) for index, item in enumerate(items)}
    return sorted(rank, key=lambda item_id: (rank[item_id], *position[item_id]))


def critical_path(plan: Plan) -> CriticalPath:
    """The longest chain through the dependencies, weighted by estimate hours where known."""
    order = execution_order(plan)
    graph = prerequisites(plan)
    weight, basis, assumed = _weights(plan)
    best: dict[str, tuple[float, list[str]]] = {}
    for node in order:
        before = max((best[t] for t in sorted(graph[node], key=order.index)), key=lambda b: b[0], default=(0.0, []))
        best[node] = (before[0] + weight[node], before[1] + [node])
    length, ids = max((best[node] for node in order), key=lambda b: b[0])
    return CriticalPath(tuple(ids), length, basis, tuple(i for i in ids if i in assumed))


def _weights(plan: Plan) -> tuple[dict[str, float], str, set[str]]:
    known = {item.item_id: item.estimate_hours for item in plan.items() if item.estimate_hours is not None}
    if not known:
        return {item_id: 1.0 for item_id in plan.item_ids()}, "items", set()
    average = sum(known.values()) / len(known)
    weights = {item_id: known.get(item_id, average) for item_id in plan.item_ids()}
    return weights, "hours", set(plan.item_ids()) - set(known)
