"""The pipeline: round → graph → market → mechanism → verify → explain → result."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from matching import mechanisms
from matching.base import Outcome, SolveOptions, Stage
from matching.encode import Market, encode
from matching.explain import explain
from matching.graph import ConsortiumGraph
from matching.io import Doc, result_to_dict, round_hash
from matching.mechanisms.rematch import Seats, fewest_moves, moves, seats
from matching.metrics import measure
from matching.model import OverrideKind, PolicyStatus, Result, Round
from matching.overrides import with_pins, without_pins
from matching.verify import policy_stability, verify


@dataclass(frozen=True)
class Timings:
    """Seconds spent in each stage of one solve."""

    graph: float
    solve: float
    verify: float
    explain: float
    metrics: float  # the summary figures, welfare among them, and the input hash

    @property
    def total(self) -> float:
        return self.graph + self.solve + self.verify + self.explain + self.metrics


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while building millions of small,
    acyclic objects (it would otherwise rescan them over and over; about a
    quarter of the time on large rounds). Reference counting still frees memory."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


OnStage = Callable[[Stage], None]
Run = Callable[[Market, SolveOptions], Outcome]


def solve_timed(
    round_: Round,
    mechanism: str = "stable",
    options: SolveOptions | None = None,
    on_stage: OnStage | None = None,
) -> tuple[Result, Timings]:
    with paused_gc():
        return _solve_timed(round_, mechanism, options, on_stage or _quiet)


def _quiet(stage: Stage) -> None:
    return None


def _solve_timed(
    round_: Round,
    mechanism: str,
    options: SolveOptions | None,
    on_stage: OnStage,
    run: Run | None = None,
    ties_from: Round | None = None,
) -> tuple[Result, Timings]:
    options = options or SolveOptions(stability=round_.stability)
    run = run or mechanisms.get(mechanism)
    on_stage(Stage.GRAPH)
    t0 = time.perf_counter()
    market = encode(round_, ConsortiumGraph(round_), ties_from)
    on_stage(Stage.SOLVE)
    t1 = time.perf_counter()
    outcome = run(without_pins(market), options)
    assignment = with_pins(market, outcome.assignment)
    on_stage(Stage.VERIFY)
    t2 = time.perf_counter()
    check = verify(market, assignment)
    fairness = policy_stability(market, assignment, check)
    on_stage(Stage.EXPLAIN)
    t3 = time.perf_counter()
    reasons = explain(market, assignment, check, options.weights, fairness)
    on_stage(Stage.METRICS)
    t4 = time.perf_counter()
    metrics = measure(market, assignment, options.weights)
    input_hash = round_hash(round_)
    t5 = time.perf_counter()
    cids, pids = market.candidate_ids, market.placement_ids
    generated = {p.id for p in round_.generated_policies}
    result = Result(
        round=round_.id,
        mechanism=mechanism,
        seed=round_.seed,
        status=outcome.status,
        assignments=tuple(
            (cid, pids[p] if p >= 0 else None) for cid, p in zip(cids, assignment, strict=True)
        ),
        stable=check.stable,
        blocking_pairs=_named(check.blocking_pairs, cids, pids),
        policies=tuple(
            PolicyStatus(
                g.id,
                (g.min is None or v >= g.min) and (g.max is None or v <= g.max),
                v,
                g.min,
                g.max,
                g.id in generated,
            )
            for g, v in zip(market.policies, check.policy_values, strict=True)
        ),
        capacity_violations=check.capacity_violations,
        metrics=metrics,
        explanations=tuple((cids[c], reasons[c]) for c in sorted(reasons)),
        objective=metrics.welfare,
        gap=outcome.gap,
        conflicts=outcome.conflicts,
        stability=outcome.stability,
        solver=outcome.solver,
        input_hash=input_hash,
        policy_stable=fairness.policy_stable,
        excused=_named(fairness.excused, cids, pids, [g.id for g in market.policies]),
        unexcused=_named(fairness.unexcused, cids, pids),
        overrides=round_.overrides,
        blocked_by_pins=_named(check.blocked_by_pins, cids, pids, cids),
    )
    return result, Timings(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)


def _named(rows: Sequence[tuple[int, ...]], *ids: Sequence[str]) -> tuple[Any, ...]:
    """Rows of indices as rows of ids, `ids[k]` naming column k (column by
    column: hundreds of thousands of excused pairs at C speed)."""
    columns = zip(*rows, strict=True)
    return tuple(zip(*map(map, [names.__getitem__ for names in ids], columns), strict=True))


def solve(
    round_: Round,
    mechanism: str = "stable",
    options: SolveOptions | None = None,
    on_stage: OnStage | None = None,
) -> Result:
    """Solve a validated round with a mechanism by name, verified and explained.
    `on_stage` is told each stage as it begins; it may raise to stop the solve
    there (the service's worker reports the stages to the people following a
    run, and stops a cancelled one)."""
    return solve_timed(round_, mechanism, options, on_stage)[0]


@dataclass(frozen=True)
class Rematched:
    """A re-match and how far it moved from the published result."""

    result: Result
    moves: int  # candidates placed differently (a displaced one always is)
    displaced: tuple[str, ...]  # who held a seat that is gone
    seats: Seats
    # the blocking pairs the seat guarantee makes: (candidate, placement, the
    # holder it ranks below the candidate, who kept the seat from the published result)
    guaranteed: tuple[tuple[str, str, str], ...] = ()


def rematch(
    round_: Round,
    published: Round,
    previous: Mapping[str, str | None],
    options: SolveOptions | None = None,
    on_stage: OnStage | None = None,
) -> Rematched:
    """Re-match a changed round against the assignments published for the
    round as it was (`previous`: candidate id → placement id or None),
    verified and explained like any solve: ties broken as they were, nobody
    who keeps a seat worse off, stable where that allows, the fewest moves
    (matching.mechanisms.rematch). A pin the round adds takes its seat
    first; a holder it displaces may go anywhere."""
    held: list[Seats] = []
    markets: list[Market] = []
    before = encode(published)
    index = {pid: p for p, pid in enumerate(before.placement_ids)}
    was = tuple(index[p] if (p := previous.get(c)) in index else -1 for c in before.candidate_ids)
    checked = verify(before, was)
    values = checked.policy_values
    enforced = frozenset(
        g.id
        for g, v in zip(before.policies, values, strict=True)
        if (g.min is None or v >= g.min) and (g.max is None or v <= g.max)
    )

    def run(market: Market, opts: SolveOptions) -> Outcome:
        held.append(seats(market, previous))
        markets.append(market)
        return fewest_moves(market, opts, held[0], enforced, checked.stable)

    with paused_gc():
        result, _ = _solve_timed(round_, "stable", options, on_stage or _quiet, run, published)
    places = {p.id: i for i, p in enumerate(round_.placements)}
    assignment = tuple(places[p] if p is not None else -1 for _, p in result.assignments)
    pinned = {o.candidate for o in round_.overrides if o.kind is OverrideKind.PIN}
    return Rematched(
        result,
        moves(held[0], assignment),
        tuple(cid for c in held[0].displaced() if (cid := result.assignments[c][0]) not in pinned),
        held[0],
        _guaranteed(markets[0], held[0], assignment, result),
    )


def _guaranteed(
    market: Market, held: Seats, assignment: tuple[int, ...], result: Result
) -> tuple[tuple[str, str, str], ...]:
    """Each blocking pair (c, p) of the re-match where a candidate who kept
    their seat from the published result stands below c: at p, where p is
    full, by p's ranking; else at any placement of p's mentor (full), by the
    mentor's."""
    cids, pids = market.candidate_ids, market.placement_ids
    c_index = {c: i for i, c in enumerate(cids)}
    p_index = {p: i for i, p in enumerate(pids)}
    keepers: dict[int, list[int]] = {}  # per placement, and per mentor as -1 - m
    for c, (p, keep) in enumerate(zip(held.seat, held.kept, strict=True)):
        if keep and assignment[c] == p:
            keepers.setdefault(p, []).append(c)
            if market.mentor_of[p] >= 0:
                keepers.setdefault(-1 - market.mentor_of[p], []).append(c)
    seated = Counter(p for p in assignment if p >= 0)
    out = []
    for cid, pid in result.blocking_pairs:
        c, p = c_index[cid], p_index[pid]
        m = market.mentor_of[p]
        if seated[p] < market.capacity[p] and m >= 0:
            rank, at = market.mentor_rank[m], keepers.get(-1 - m, [])
        else:
            rank, at = market.place_rank[p], keepers.get(p, [])
        below = [k for k in at if rank[k] > rank[c]]
        if below:
            out.append((cid, pid, cids[max(below, key=rank.__getitem__)]))
    return tuple(out)


def rematch_document(done: Rematched, published: Round) -> Doc:
    """The re-match's result document: the result's, with `rematch` (the
    published round's hash, the moves, who was displaced, and the blocking
    pairs the seat guarantee makes, each with the holder who kept the seat)."""
    doc = result_to_dict(done.result)
    doc["rematch"] = {
        "published": round_hash(published),
        "moves": done.moves,
        "displaced": list(done.displaced),
        "guaranteed": [list(triple) for triple in done.guaranteed],
    }
    return doc
