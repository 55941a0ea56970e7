"""The welfare model as a min-cost flow, when the policies allow it.

Without stability rows, the model is a bipartite b-matching. Its side
constraints keep it a network when every policy bounds one side only (its
candidates or its placements, not both) and each side's groups, mentors
included, are laminar (any two are nested or disjoint): parks, colleges,
kinds within colleges. Then the groups become a tree of nodes on each side,

    source → candidate groups (outer → inner) → candidate → placement
           → placement groups and mentors (inner → outer) → sink

with a policy's floor and ceiling as the lower and upper bounds of its
group's arc, and an arc source → sink for the candidates left unmatched.
The constraint matrix is then totally unimodular, so the flow's optimum is
the MILP's, found by OR-Tools' cost-scaling min-cost flow in a fraction of the
time a MILP solver takes (../shared/peer-figures.md: 6.7 s at 100,000
candidates, where HiGHS on the LP takes 154 s).

Costs are integers: each pair's weight is scaled by S (10⁹, or less where the
costs would overflow the solver's 64-bit arithmetic) and rounded, so the
matching found is optimal for the exact weights to within ``k / S`` in total
for k assigned pairs (at most 10⁻⁴ for 100,000 pairs; HiGHS's default MIP
gap is 10⁻⁴ of the objective).

Whether the bounds can be met at all (the deletion filter's question, asked
once per policy) is a maximum flow, `within_bounds`, quicker than a min-cost
flow with no costs.

Elastic policies (for the least-violating matching of infeasible policies)
stay a network: a floor's arc is split into a part up to the floor that earns
a large reward and a part above it, a ceiling's into a part up to the ceiling
and a part above it that costs as much; so the flow minimises the total
shortfall and excess, then maximises welfare, as the elastic MILP does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import max_flow, min_cost_flow

from matching.base import Plain, SolverStatus, Weights
from matching.encode import Market
from matching.objective import pair_weights
from matching.policygroups import PolicyGroup

_SOURCE, _SINK = 0, 1
_HEADROOM = 2.0**62  # the solver multiplies costs by the node count


@dataclass(frozen=True)
class _Group:
    members: frozenset[int]
    size: int  # the most that can flow through: members, or their seats
    lo: int  # floor (0: none)
    hi: int  # ceiling (at most `size`)


@dataclass(frozen=True)
class Network:
    """The laminar groups of each side, outermost first, with each group's parent
    (-1: none) and each candidate's and placement's innermost group (-1: none)."""

    candidate_groups: tuple[_Group, ...]
    candidate_parent: tuple[int, ...]
    candidate_leaf: tuple[int, ...]
    placement_groups: tuple[_Group, ...]
    placement_parent: tuple[int, ...]
    placement_leaf: tuple[int, ...]


def network(market: Market, policies: Sequence[PolicyGroup]) -> Network | None:
    """The model's network structure, or None when the policies do not allow one
    (a policy over both sides, crossing groups on one side, a floor above its
    ceiling)."""
    n, m = market.n_candidates, market.n_placements
    cand_side: list[_Group] = []
    place_side: list[_Group] = []
    for g in policies:
        if g.candidates is not None and g.placements is not None:
            return None
        lo, hi = g.min or 0, g.max
        if hi is not None and lo > hi:
            return None
        if g.placements is None:
            members = g.candidates if g.candidates is not None else frozenset(range(n))
            size = len(members)
            side = cand_side
        else:
            members, side = g.placements, place_side
            size = sum(market.capacity[p] for p in members)
        side.append(_Group(members, size, lo, size if hi is None else min(hi, size)))
    led: dict[int, set[int]] = {}
    for p, mentor in enumerate(market.mentor_of):
        if mentor >= 0:
            led.setdefault(mentor, set()).add(p)
    for mentor, places in led.items():
        # A mentor's capacity is never elastic: nothing can flow beyond it.
        cap = min(market.mentor_capacity[mentor], sum(market.capacity[p] for p in places))
        place_side.append(_Group(frozenset(places), cap, 0, cap))
    cands = _laminar(cand_side, n)
    placements = _laminar(place_side, m)
    if cands is None or placements is None:
        return None
    return Network(*cands, *placements)


def _laminar(
    groups: list[_Group], size: int
) -> tuple[tuple[_Group, ...], tuple[int, ...], tuple[int, ...]] | None:
    """The groups outermost first, each one's parent and each element's innermost
    group; None when two groups cross. Larger groups come first, so when a group
    is reached its members' innermost groups so far must be one group (its
    parent) or none."""
    ordered = tuple(sorted(groups, key=lambda g: -len(g.members)))
    leaf = [-1] * size
    parent: list[int] = []
    for k, group in enumerate(ordered):
        inside = {leaf[e] for e in group.members}
        if len(inside) > 1:
            return None
        parent.append(inside.pop() if inside else -1)
        for e in group.members:
            leaf[e] = k
    return ordered, tuple(parent), tuple(leaf)


def _nodes(market: Market, net: Network) -> tuple[int, int, int]:
    """The node count and the first candidate's and placement's node: source,
    sink, candidate groups, placement groups, candidates, placements."""
    c0 = 2 + len(net.candidate_groups) + len(net.placement_groups)
    p0 = c0 + market.n_candidates
    return p0 + market.n_placements, c0, p0


def _arcs(market: Market, net: Network, elastic: bool) -> tuple[Any, Any, Any, Any, Any]:
    """Every arc but the pairs', as arrays (tail, head, lower bound, capacity,
    reward: in units of `big`, elastic only, -1 a reward, +1 a penalty): the
    candidate groups', the candidates', the placements', the placement
    groups' and the unmatched candidates'."""
    n, m = market.n_candidates, market.n_placements
    cg0 = 2
    pg0 = cg0 + len(net.candidate_groups)
    _, c0, p0 = _nodes(market, net)
    rows: list[tuple[int, int, int, int, int]] = []

    def bounded(tail: int, head: int, group: _Group) -> None:
        if not elastic:
            rows.append((tail, head, group.lo, group.hi, 0))
            return
        # Up to the floor earns `big`, above the ceiling costs it.
        floor = min(group.lo, group.size)
        if floor:
            rows.append((tail, head, 0, floor, -1))
        if group.hi > floor:
            rows.append((tail, head, 0, group.hi - floor, 0))
        if group.size > max(group.hi, floor):
            rows.append((tail, head, 0, group.size - max(group.hi, floor), 1))

    for k, group in enumerate(net.candidate_groups):
        up = net.candidate_parent[k]
        bounded(_SOURCE if up < 0 else cg0 + up, cg0 + k, group)
    first = np.array(rows, dtype=np.int64).reshape(-1, 5)
    rows.clear()
    for k, group in enumerate(net.placement_groups):
        up = net.placement_parent[k]
        bounded(pg0 + k, _SINK if up < 0 else pg0 + up, group)
    rows.append((_SOURCE, _SINK, 0, n, 0))  # the unmatched
    last = np.array(rows, dtype=np.int64).reshape(-1, 5)
    c_leaf = np.asarray(net.candidate_leaf, dtype=np.int64)
    p_leaf = np.asarray(net.placement_leaf, dtype=np.int64)
    candidates = np.column_stack(
        (
            np.where(c_leaf < 0, _SOURCE, cg0 + c_leaf),
            c0 + np.arange(n, dtype=np.int64),
            np.zeros(n, np.int64),
            np.ones(n, np.int64),
            np.zeros(n, np.int64),
        )
    )
    placements = np.column_stack(
        (
            p0 + np.arange(m, dtype=np.int64),
            np.where(p_leaf < 0, _SINK, pg0 + p_leaf),
            np.zeros(m, np.int64),
            np.asarray(market.capacity, dtype=np.int64),
            np.zeros(m, np.int64),
        )
    )
    arcs = np.concatenate((first, candidates, placements, last))
    return arcs[:, 0], arcs[:, 1], arcs[:, 2], arcs[:, 3], arcs[:, 4]


def within_bounds(market: Market, net: Network) -> Plain:
    """A matching within the network's bounds (every policy's, every
    capacity), or INFEASIBLE: a maximum flow (push-relabel, a few times
    quicker than the min-cost flow on a national round) from a super source
    feeding what the lower bounds leave each node to send, to a super sink
    draining what they leave each to take, which saturates them exactly when
    the bounds can be met (the classic reduction of flows with lower bounds)."""
    n = market.n_candidates
    n_nodes, c0, p0 = _nodes(market, net)
    pair_c, pair_p = market.pair_columns()
    tail, head, low, cap, _ = _arcs(market, net, elastic=False)
    if np.any(low > cap):
        return Plain(SolverStatus.INFEASIBLE, (-1,) * n, 0.0, "flow")
    supply = _supply(n_nodes, n, tail, head, low)
    gives, takes = np.flatnonzero(supply > 0), np.flatnonzero(supply < 0)
    source, sink = n_nodes, n_nodes + 1
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(
        np.concatenate([tail, c0 + pair_c, np.full(len(gives), source), takes]),
        np.concatenate([head, p0 + pair_p, gives, np.full(len(takes), sink)]),
        np.concatenate([cap - low, np.ones(len(pair_c), np.int64), supply[gives], -supply[takes]]),
    )
    if solver.solve(source, sink) != solver.OPTIMAL:  # the caller takes a MILP
        return Plain(SolverStatus.NO_SOLUTION, (-1,) * n, None, "flow")
    if solver.optimal_flow() < supply[gives].sum():
        return Plain(SolverStatus.INFEASIBLE, (-1,) * n, 0.0, "flow")
    return Plain(SolverStatus.OPTIMAL, _assigned(solver, len(tail), pair_c, pair_p, n), 0.0, "flow")


def _supply(n_nodes: int, n: int, tail: Any, head: Any, low: Any) -> Any:
    """Each node's supply: the candidates at the source, taken at the sink;
    a lower bound l on u → v sends l units from u to v up front."""
    supply = np.zeros(n_nodes, dtype=np.int64)
    supply[_SOURCE] += n
    supply[_SINK] -= n
    np.subtract.at(supply, tail, low)
    np.add.at(supply, head, low)
    return supply


def _assigned(solver: Any, first: int, pair_c: Any, pair_p: Any, n: int) -> tuple[int, ...]:
    """The matching a solved flow carries on the pairs' arcs (from arc `first` on)."""
    flows = solver.flows(np.arange(first, first + len(pair_c)))
    assignment = np.full(n, -1, dtype=np.int64)
    used = flows > 0
    assignment[pair_c[used]] = pair_p[used]
    return tuple(assignment.tolist())


def solve_flow(
    market: Market,
    weights: Weights,
    net: Network,
    *,
    elastic: bool = False,
    bonus: NDArray[np.float64] | None = None,
) -> Plain:
    """The welfare optimum (with `bonus` added to each pair's weight, in
    `Market.pairs()` order, when given)."""
    n = market.n_candidates
    n_nodes, c0, p0 = _nodes(market, net)
    pair_c, pair_p = market.pair_columns()
    gain = np.asarray(pair_weights(market, weights), dtype=np.float64)
    if bonus is not None:
        gain = gain + bonus
    tail, head, low, cap, rewards = _arcs(market, net, elastic)
    if np.any(low > cap):
        return Plain(SolverStatus.INFEASIBLE, (-1,) * n, 0.0, "flow")
    # A reward or penalty worth more than all the welfare there is.
    big = float(gain.sum()) + 1.0
    reward = np.asarray(rewards, dtype=np.float64) * big
    largest = max(big if elastic else 0.0, float(gain.max(initial=0.0)), 1.0)
    scale = min(1e9, _HEADROOM / (largest * (n_nodes + 1) * 4))

    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([tail, c0 + pair_c]),
        np.concatenate([head, p0 + pair_p]),
        np.concatenate([cap - low, np.ones(len(pair_c), dtype=np.int64)]),
        np.concatenate([np.rint(reward * scale), -np.rint(gain * scale)]).astype(np.int64),
    )
    solver.set_nodes_supplies(np.arange(n_nodes), _supply(n_nodes, n, tail, head, low))
    status = solver.solve()
    if status == solver.INFEASIBLE:
        return Plain(SolverStatus.INFEASIBLE, (-1,) * n, 0.0, "flow")
    if status != solver.OPTIMAL:  # BAD_COST_RANGE and the like: the caller takes a MILP
        return Plain(SolverStatus.NO_SOLUTION, (-1,) * n, None, "flow")
    return Plain(SolverStatus.OPTIMAL, _assigned(solver, len(tail), pair_c, pair_p, n), 0.0, "flow")
