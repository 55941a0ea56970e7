"""The `optimal` mechanism: the welfare-optimal assignment under capacities,
eligibility and policies, orchestrated over the backends of
`matching.solvers` (the model itself is written in `matching.solvers.milp`,
and as a min-cost flow in `matching.solvers.network`).

With stability `required` the best stable matching; where the policies make
that impossible (or stability is `relaxed`), the matching with fewest blocking
pairs and then most welfare, said so (`Stability.RELAXED`).

Infeasible policies are a status: the deletion filter (Chinneck and Dravnieks
1991) over the policies finds a minimal conflicting set, and the matching
returned is the one that violates the policies least (sum of shortfalls and
excesses), then has the most welfare.

A time limit is a budget for the whole mechanism and returns the best matching
found, with its gap to the LP bound where one is known.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from matching.base import Assignment, Outcome, SolveOptions, SolverStatus, Weights
from matching.encode import Market
from matching.errors import SolverFailed, UnsupportedOption
from matching.mechanisms.deferred_acceptance import candidate_proposing
from matching.mechanisms.spa import spa_student
from matching.model import Stability, Status
from matching.objective import welfare
from matching.policygroups import PolicyGroup
from matching.solvers import milp, solve_plain
from matching.solvers.network import network, solve_flow
from matching.verify import blocking_pairs, occupancy, policy_values


def optimal(market: Market, options: SolveOptions, *, lifts: bool = True) -> Outcome:
    """The welfare optimum under `options` (see the module's docstring);
    without `lifts`, the policy-stable mechanism's matching is not tried as
    a start (that mechanism, falling back to this one, found none)."""
    left = _budget(options)
    policies = market.policies
    stability = options.stability
    # The candidate-optimal stable matching, which every stability mode starts from.
    stable = () if stability is Stability.IGNORED else _stable(market)
    if stability is Stability.REQUIRED:
        if _holds(market, stable):
            model = milp.build(market, options, policies, stability="strict")
            milp.start(market, model, stable)
            status = milp.run(model, left())
            if status is SolverStatus.NO_SOLUTION:
                return _unimproved(stable, options, Stability.REQUIRED)
            return _outcome(market, model, status, left(), Stability.REQUIRED)
        if not _stability_invariant_violation(market, stable):
            model = milp.build(market, options, policies, stability="strict")
            try:
                status = milp.run(model, left())
            except SolverFailed:  # no stable matching within the policies found in time
                status = SolverStatus.NO_SOLUTION
            if status not in (SolverStatus.INFEASIBLE, SolverStatus.NO_SOLUTION):
                return _outcome(market, model, status, left(), Stability.REQUIRED)
        stability = Stability.RELAXED
    plain = solve_plain(market, left(), policies)
    status, start, gap, used = plain.status, plain.assignment, plain.gap, plain.solver
    if status is SolverStatus.INFEASIBLE:
        return _infeasible(market, left)
    if stability is Stability.IGNORED:
        result_status = Status.OPTIMAL if status is SolverStatus.OPTIMAL else Status.TIME_LIMIT
        return Outcome(start, result_status, gap, (), used, Stability.IGNORED)
    # Fewest blocking pairs, then most welfare, from the best start at hand.
    start = _fewer_blocking(market, options, policies, start, stable, lifts)
    model = milp.build(market, options, policies, stability="counted")
    milp.start(market, model, start)
    milp.fewest_blocking_first(model)
    first = milp.run(model, left())
    if first is SolverStatus.NO_SOLUTION:
        return _unimproved(start, options, Stability.RELAXED)
    milp.then_most_welfare(model)
    second = milp.run(model, left())
    if SolverStatus.NO_SOLUTION in (first, second):
        return _unimproved(milp.assignment_of(market, model), options, Stability.RELAXED)
    if SolverStatus.FEASIBLE in (first, second):
        second = SolverStatus.FEASIBLE
    return _outcome(market, model, second, left(), Stability.RELAXED)


def _stable(market: Market) -> Assignment:
    return spa_student(market) if market.has_mentors else candidate_proposing(market)


def _fewer_blocking(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    start: Assignment,
    stable: Assignment,
    lifts: bool,
) -> Assignment:
    """A first incumbent for the fewest-blocking-pairs model, where the model is
    a network (each try is a min-cost flow, a fraction of a second): of `start`
    (the welfare optimum) and matchings that keep as many pairs of the stable
    matching as the policies allow (its pairs earn a bonus), with ranks weighed
    more than the welfare objective does, the one with fewest blocking pairs,
    then most welfare (the policy-stable matching too, where that mechanism
    supports the policies). On the M benchmark round: 3,868 blocking pairs where the
    welfare optimum has 5,307."""
    net = network(market, policies)
    if net is None:
        return start
    cands, places = market.pair_columns()
    kept = (np.asarray(stable, dtype=np.int64)[cands] == places).astype(np.float64)
    tries = [start, *(_policy_stable(market) if lifts else [])]
    for weights, bonus in ((options.weights, 1.0), (_RANKS, 0.0), (_RANKS, 1.0)):
        flow = solve_flow(market, weights, net, bonus=bonus * kept)
        if flow.status is SolverStatus.OPTIMAL:
            tries.append(flow.assignment)

    def worse(a: Assignment) -> tuple[int, float]:
        blocking = blocking_pairs(market, a, occupancy(market, a))
        return len(blocking), -welfare(market, a, options.weights)

    return min(tries, key=worse)


_RANKS = Weights(match=2.0, candidate=5.0, placement=5.0, affinity=0.0)


def _policy_stable(market: Market) -> list[Assignment]:
    """The policy-stable mechanism's matching as one more start, where that
    mechanism supports the round's policies and meets them by algorithm
    (not by this model, which it falls back to)."""
    from matching.mechanisms.flexible import lifted_matching

    try:
        found = lifted_matching(market)
    except UnsupportedOption:
        return []
    return [found] if found is not None and _holds(market, found) else []


def _budget(options: SolveOptions) -> Callable[[], SolveOptions]:
    """The time limit is a budget for the whole mechanism (it may solve several
    models in turn): each solve gets what is left of it, and at least a second."""
    if options.time_limit is None:
        return lambda: options
    deadline = time.monotonic() + options.time_limit
    return lambda: replace(options, time_limit=max(1.0, deadline - time.monotonic()))


def _unimproved(assignment: Assignment, options: SolveOptions, stability: Stability) -> Outcome:
    """The solver hit its time limit before improving on (or bounding) the
    matching it started from: return that matching, with no gap known."""
    return Outcome(assignment, Status.TIME_LIMIT, None, (), milp.named(options), stability)


def _holds(market: Market, assignment: Assignment) -> bool:
    return all(
        (g.min is None or v >= g.min) and (g.max is None or v <= g.max)
        for g, v in zip(market.policies, policy_values(market, assignment), strict=True)
    )


def _stability_invariant_violation(market: Market, stable: Assignment) -> bool:
    """Whether a policy that `stable` breaks is broken by every stable matching.

    Every stable matching places the same candidates (Roth 1984; for SPA,
    Abraham, Irving and Manlove 2007, Theorem 3.2), so a policy over candidates
    alone has the same value in all of them; without mentors every placement
    also fills the same number of seats (Roth 1986), so a policy over
    placements alone does too."""
    for g, v in zip(market.policies, policy_values(market, stable), strict=True):
        broken = (g.min is not None and v < g.min) or (g.max is not None and v > g.max)
        if broken and (g.placements is None or (g.candidates is None and not market.has_mentors)):
            return True
    return False


def _outcome(
    market: Market,
    model: milp.MilpModel,
    status: SolverStatus,
    options: SolveOptions,
    stability: Stability,
) -> Outcome:
    assignment, gap = milp.solution(market, model, status, options)
    result_status = Status.OPTIMAL if status is SolverStatus.OPTIMAL else Status.TIME_LIMIT
    return Outcome(assignment, result_status, gap, (), milp.named(options), stability)


def _feasible(market: Market, options: SolveOptions, policies: Sequence[PolicyGroup]) -> bool:
    found = solve_plain(market, options, policies, feasibility_only=True)
    return found.status is not SolverStatus.INFEASIBLE


def _infeasible(market: Market, left: Callable[[], SolveOptions]) -> Outcome:
    """The policies cannot all hold: name a minimal conflicting set and return
    the matching that violates them least."""
    kept = list(market.policies)
    for policy in market.policies:
        trial = [q for q in kept if q is not policy]
        if not _feasible(market, left(), trial):
            kept = trial
    conflicts = tuple(sorted(q.id for q in kept))
    options = left()
    least = solve_plain(market, options, market.policies, elastic=True)
    return Outcome(
        least.assignment, Status.INFEASIBLE, least.gap, conflicts, least.solver, Stability.IGNORED
    )
