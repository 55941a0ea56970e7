"""Welfare-optimal assignment under capacities, eligibility and policies (a MILP).

Binary x[c, p] for every acceptable pair; maximise Σ w(c, p) x[c, p]
(`matching.objective`) subject to

    Σ_p x[c, p] ≤ 1                    each candidate placed at most once
    Σ_c x[c, p] ≤ capacity(p)          each placement
    Σ_{p led by m} Σ_c x[c, p] ≤ capacity(m)   each mentor
    min ≤ Σ_{(c, p) in group} x[c, p] ≤ max     each policy

With stability `required`, every acceptable pair must not block (the SPA
definition of Abraham, Irving and Manlove 2007, which is Gale–Shapley's when
a placement has no mentor). With prefix sums ``T[c, j]`` (c placed at its j-th
choice or better), ``S[p, i]`` (seats of p held by candidates p ranks above its
i-th) and ``L[m, i]`` (likewise for mentor m), a pair (c, p) with y = 1 − T is
blocked from blocking by

    capacity(p) · (y − z − b) ≤ S[p, i]            p is full of better candidates, or
    capacity(m) · (y − (1 − z) − b) ≤ L[m, i']     m is full of better candidates

(z chooses which holds; without a mentor only the first, with z = 0). b = 1
marks a blocking pair: fixed to 0 when stability is required; when the
policies make that impossible (or stability is `relaxed`), the model first
minimises Σ b and then maximises welfare among the matchings with that few
blocking pairs, and says so (`Stability.RELAXED`).

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
from dataclasses import dataclass, field, replace

import numpy as np
import pulp

from matching.base import Assignment, Outcome, SolveOptions, Solver, Weights
from matching.encode import Market, PolicyGroup
from matching.errors import SolverFailed
from matching.mechanisms.deferred_acceptance import candidate_proposing
from matching.mechanisms.spa import spa_student
from matching.model import Stability, Status
from matching.objective import pair_weight, pair_weights, welfare
from matching.solvers import SolverStatus, solve
from matching.solvers.network import network, solve_flow
from matching.verify import blocking_pairs, occupancy, policy_values


@dataclass
class _Model:
    problem: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    welfare: pulp.LpAffineExpression
    blocking: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)
    switch: dict[tuple[int, int], pulp.LpVariable] = field(default_factory=dict)
    warm: bool = False
    slack: list[pulp.LpVariable] = field(default_factory=list)
    # A policy that covers no acceptable pair is a constant: it holds or it cannot.
    impossible: bool = False
    built_in: float = 0.0  # seconds it took to build


def optimal(market: Market, options: SolveOptions) -> Outcome:
    left = _budget(options)
    policies = market.policies
    stability = options.stability
    # The candidate-optimal stable matching, which every stability mode starts from.
    stable = () if stability is Stability.IGNORED else _stable(market)
    if stability is Stability.REQUIRED:
        if _holds(market, stable):
            model = _build(market, options, policies, stability="strict")
            _start(market, model, stable)
            status = _run(model, left())
            if status is SolverStatus.NO_SOLUTION:
                return _unimproved(stable, options, Stability.REQUIRED)
            return _outcome(market, model, status, left(), Stability.REQUIRED)
        if not _stability_invariant_violation(market, stable):
            model = _build(market, options, policies, stability="strict")
            try:
                status = _run(model, left())
            except SolverFailed:  # no stable matching within the policies found in time
                status = SolverStatus.NO_SOLUTION
            if status not in (SolverStatus.INFEASIBLE, SolverStatus.NO_SOLUTION):
                return _outcome(market, model, status, left(), Stability.REQUIRED)
        stability = Stability.RELAXED
    status, start, gap, used = _plain(market, left(), policies)
    if status is SolverStatus.INFEASIBLE:
        return _infeasible(market, left)
    if stability is Stability.IGNORED:
        result_status = Status.OPTIMAL if status is SolverStatus.OPTIMAL else Status.TIME_LIMIT
        return Outcome(start, result_status, gap, (), used, Stability.IGNORED)
    # Fewest blocking pairs, then most welfare, from the best start at hand.
    start = _fewer_blocking(market, options, policies, start, stable)
    model = _build(market, options, policies, stability="counted")
    _start(market, model, start)
    blocking = pulp.lpSum(model.blocking.values())
    model.problem.setObjective(-blocking)
    first = _run(model, left())
    if first is SolverStatus.NO_SOLUTION:
        return _unimproved(start, options, Stability.RELAXED)
    fewest = round(pulp.value(blocking))
    model.problem += blocking <= fewest, "fewest_blocking"
    model.problem.setObjective(model.welfare)
    second = _run(model, left())
    if SolverStatus.NO_SOLUTION in (first, second):
        return _unimproved(_assignment(market, model), options, Stability.RELAXED)
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
) -> Assignment:
    """A first incumbent for the fewest-blocking-pairs model, where the model is
    a network (each try is a min-cost flow, a fraction of a second): of `start`
    (the welfare optimum) and matchings that keep as many pairs of the stable
    matching as the policies allow (its pairs earn a bonus), with ranks weighed
    more than the welfare objective does, the one with fewest blocking pairs,
    then most welfare. On the M benchmark round: 3,868 blocking pairs where the
    welfare optimum has 5,307."""
    net = network(market, policies)
    if net is None:
        return start
    cands, places = market.pair_columns()
    kept = (np.asarray(stable, dtype=np.int64)[cands] == places).astype(np.float64)
    tries = [start]
    for weights, bonus in ((options.weights, 1.0), (_RANKS, 0.0), (_RANKS, 1.0)):
        flow = solve_flow(market, weights, net, bonus=bonus * kept)
        if flow.status is SolverStatus.OPTIMAL:
            tries.append(flow.assignment)

    def worse(a: Assignment) -> tuple[int, float]:
        blocking = blocking_pairs(market, a, occupancy(market, a))
        return len(blocking), -welfare(market, a, options.weights)

    return min(tries, key=worse)


_RANKS = Weights(match=2.0, candidate=5.0, placement=5.0, affinity=0.0)


def _budget(options: SolveOptions) -> Callable[[], SolveOptions]:
    """The time limit is a budget for the whole mechanism (it may solve several
    models in turn): each solve gets what is left of it, and at least a second."""
    if options.time_limit is None:
        return lambda: options
    deadline = time.monotonic() + options.time_limit
    return lambda: replace(options, time_limit=max(1.0, deadline - time.monotonic()))


def _plain(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool = False,
    feasibility_only: bool = False,
) -> tuple[SolverStatus, Assignment, float | None, str]:
    """The model without stability rows: status, assignment, gap and the solver
    that found them (`auto` takes the min-cost flow when the model is a network)."""
    net = network(market, policies) if options.solver is Solver.AUTO else None
    if net is not None:
        flow = solve_flow(
            market, options.weights, net, elastic=elastic, feasibility_only=feasibility_only
        )
        if flow.status is not SolverStatus.NO_SOLUTION:  # else the MILP decides
            return flow.status, flow.assignment, 0.0, "flow"
    if options.solver is Solver.HIGHSPY:
        from matching.solvers.highs_direct import solve_plain

        out = solve_plain(
            market,
            options.weights,
            policies,
            time_limit=options.time_limit,
            elastic=elastic,
            feasibility_only=feasibility_only,
        )
        if out.status is SolverStatus.NO_SOLUTION:
            raise SolverFailed(f"solver highspy found no matching within {options.time_limit} s")
        return out.status, out.assignment, out.gap, "highspy"
    model = _build(market, options, policies, stability=None, elastic=elastic)
    if feasibility_only:
        model.problem.setObjective(pulp.LpAffineExpression())
    status = _run(model, options)
    if status is SolverStatus.INFEASIBLE:
        return status, (-1,) * market.n_candidates, None, _pulp_backend(options)
    assignment, gap = _solution(market, model, status, options)
    return status, assignment, gap, _pulp_backend(options)


def _unimproved(assignment: Assignment, options: SolveOptions, stability: Stability) -> Outcome:
    """The solver hit its time limit before improving on (or bounding) the
    matching it started from: return that matching, with no gap known."""
    return Outcome(assignment, Status.TIME_LIMIT, None, (), _named(options), stability)


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


def _assignment(market: Market, model: _Model) -> Assignment:
    assignment = [-1] * market.n_candidates
    for (c, p), var in model.x.items():
        if (var.varValue or 0) > 0.5:
            assignment[c] = p
    return tuple(assignment)


def _start(market: Market, model: _Model, assignment: Assignment) -> None:
    """Give the solver `assignment` as its first incumbent: x, and for a
    counted model the blocking indicators b and the mentor switches z that
    make it feasible."""
    for (c, p), var in model.x.items():
        var.setInitialValue(1 if assignment[c] == p else 0)
    blocking = set(blocking_pairs(market, assignment, occupancy(market, assignment)))
    occ = occupancy(market, assignment)
    for pair, var in model.blocking.items():
        var.setInitialValue(1 if pair in blocking else 0)
    for (c, p), var in model.switch.items():
        full = occ.count[p] >= market.capacity[p]
        better = full and market.place_rank[p][c] < market.place_rank[p][occ.worst[p]]
        # z = 0 needs p full of candidates it ranks above c; otherwise rely on the mentor.
        var.setInitialValue(0 if full and not better else 1)
    model.warm = True


def _run(model: _Model, options: SolveOptions) -> SolverStatus:
    if model.impossible:
        return SolverStatus.INFEASIBLE
    if not model.problem.variables():
        return SolverStatus.OPTIMAL
    limit = options.time_limit
    if limit is not None:
        # PuLP writes the model out and reads the solution back outside the
        # solver's clock, which takes about twice as long as building it did
        # (M with stability: 2.9 s to build, 6.4 s around the solver).
        limit = max(1.0, limit - 2 * model.built_in)
    status = solve(model.problem, _pulp_backend(options), limit, warm_start=model.warm)
    if status is SolverStatus.NO_SOLUTION and not model.warm:
        raise SolverFailed(
            f"solver {options.solver} found no matching within {options.time_limit} s"
        )
    return status


def _outcome(
    market: Market, model: _Model, status: SolverStatus, options: SolveOptions, stability: Stability
) -> Outcome:
    assignment, gap = _solution(market, model, status, options)
    result_status = Status.OPTIMAL if status is SolverStatus.OPTIMAL else Status.TIME_LIMIT
    return Outcome(assignment, result_status, gap, (), _named(options), stability)


def _solution(
    market: Market, model: _Model, status: SolverStatus, options: SolveOptions
) -> tuple[Assignment, float]:
    """The solved model's assignment and its gap to the LP bound (0 when proven optimal)."""
    assignment = _assignment(market, model)
    if status is not SolverStatus.FEASIBLE:
        return assignment, 0.0
    found = pulp.value(model.problem.objective)
    for var in model.problem.variables():
        var.cat = pulp.LpContinuous
    solve(model.problem, _pulp_backend(options), options.time_limit)
    bound = float(pulp.value(model.problem.objective))
    return assignment, max(0.0, (bound - found) / max(1.0, abs(bound)))


def _pulp_backend(options: SolveOptions) -> str:
    """The backend PuLP drives: HiGHS when the direct one was asked for (it only
    builds models without stability rows), CBC for `auto`."""
    return {Solver.HIGHSPY: Solver.HIGHS, Solver.AUTO: Solver.CBC}.get(
        options.solver, options.solver
    )


def _named(options: SolveOptions) -> str:
    """The solver a result names when a PuLP model decided it."""
    return str(Solver.CBC if options.solver is Solver.AUTO else options.solver)


def _build(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    stability: str | None,
    elastic: bool = False,
) -> _Model:
    started = time.monotonic()
    problem = pulp.LpProblem("placement", pulp.LpMaximize)
    x = {(c, p): problem.add_variable(f"x_{c}_{p}", cat=pulp.LpBinary) for c, p in market.pairs()}
    weights = options.weights
    welfare = pulp.lpSum(
        w * v for w, v in zip(pair_weights(market, weights), x.values(), strict=True)
    )
    model = _Model(problem, x, welfare)

    by_place: list[list[pulp.LpVariable]] = [[] for _ in range(market.n_placements)]
    for (_, p), var in x.items():
        by_place[p].append(var)
    for c, ps in enumerate(market.prefs):
        if len(ps) > 1:
            problem += pulp.lpSum(x[(c, p)] for p in ps) <= 1, f"candidate_{c}"
    for p, vars_ in enumerate(by_place):
        if len(vars_) > market.capacity[p]:
            problem += pulp.lpSum(vars_) <= market.capacity[p], f"placement_{p}"
    for m, cap in enumerate(market.mentor_capacity):
        led = [v for p, vs in enumerate(by_place) if market.mentor_of[p] == m for v in vs]
        if len(led) > cap:
            problem += pulp.lpSum(led) <= cap, f"mentor_{m}"
    keys = list(x)
    cands = np.fromiter((c for c, _ in keys), dtype=np.int64, count=len(keys))
    places = np.fromiter((p for _, p in keys), dtype=np.int64, count=len(keys))
    for i, policy in enumerate(policies):
        covered = [x[keys[k]] for k in np.flatnonzero(policy.members(cands, places))]
        if not covered and not elastic:
            model.impossible |= (policy.min or 0) > 0
            continue
        total = pulp.lpSum(covered)
        slack = problem.add_variable(f"slack_{i}", lowBound=0) if elastic else 0
        if elastic:
            model.slack.append(slack)
        if policy.min is not None:
            problem += total + slack >= policy.min, f"floor_{i}"
        if policy.max is not None:
            problem += total - slack <= policy.max, f"ceiling_{i}"
    if stability is not None:
        _add_stability(market, model, counted=stability == "counted")
    if elastic:
        big = (
            sum(
                max((pair_weight(market, c, p, weights) for p in ps), default=0.0)
                for c, ps in enumerate(market.prefs)
            )
            + 1.0
        )
        problem.setObjective(welfare - big * pulp.lpSum(model.slack))
    else:
        problem.setObjective(welfare)
    model.built_in = time.monotonic() - started
    return model


def _prefix(
    problem: pulp.LpProblem, name: str, terms: Sequence[pulp.LpAffineExpression]
) -> list[pulp.LpAffineExpression]:
    """before[i] = Σ terms[:i], as chained continuous variables (linear size)."""
    before: list[pulp.LpAffineExpression] = [pulp.LpAffineExpression()]
    for i, term in enumerate(terms[:-1]):
        var = problem.add_variable(f"{name}_{i + 1}", lowBound=0)
        problem += var == before[-1] + term, f"{name}_{i + 1}"
        before.append(pulp.LpAffineExpression(var))
    return before


def _add_stability(market: Market, model: _Model, *, counted: bool) -> None:
    problem, x = model.problem, model.x
    # T: c placed at its j-th acceptable choice or better (inclusive prefix).
    placed_by: dict[tuple[int, int], pulp.LpAffineExpression] = {}
    for c, ps in enumerate(market.prefs):
        before = _prefix(problem, f"T_{c}", [x[(c, p)] for p in ps] + [0])
        for j, p in enumerate(ps):
            placed_by[(c, p)] = before[j + 1]
    # S: seats of p held by candidates p ranks above c.
    better_at: dict[tuple[int, int], pulp.LpAffineExpression] = {}
    for p, ranks in enumerate(market.place_rank):
        order = sorted(ranks, key=ranks.__getitem__)
        before = _prefix(problem, f"S_{p}", [x[(c, p)] for c in order])
        for i, c in enumerate(order):
            better_at[(c, p)] = before[i]
    # L: seats of mentor m held by candidates m ranks above c.
    led: list[list[int]] = [[] for _ in market.mentor_ids]
    for p, m in enumerate(market.mentor_of):
        if m >= 0:
            led[m].append(p)
    better_mentor: dict[tuple[int, int], pulp.LpAffineExpression] = {}
    for m, ranks in enumerate(market.mentor_rank):
        order = sorted(ranks, key=ranks.__getitem__)
        terms = [pulp.lpSum(x[(c, p)] for p in led[m] if (c, p) in x) for c in order]
        before = _prefix(problem, f"L_{m}", terms)
        for i, c in enumerate(order):
            better_mentor[(c, m)] = before[i]
    for c, p in x:
        y = 1 - placed_by[(c, p)]
        b: pulp.LpAffineExpression | int = 0
        if counted:
            var = problem.add_variable(f"b_{c}_{p}", cat=pulp.LpBinary)
            model.blocking[(c, p)] = var
            b = var
        cap = market.capacity[p]
        m = market.mentor_of[p]
        if m < 0:
            problem += cap * (y - b) <= better_at[(c, p)], f"stable_{c}_{p}"
            continue
        z = problem.add_variable(f"z_{c}_{p}", cat=pulp.LpBinary)
        model.switch[(c, p)] = z
        problem += cap * (y - z - b) <= better_at[(c, p)], f"stable_{c}_{p}"
        problem += (
            (market.mentor_capacity[m] * (y - (1 - z) - b) <= better_mentor[(c, m)]),
            f"stable_mentor_{c}_{p}",
        )


def _feasible(market: Market, options: SolveOptions, policies: Sequence[PolicyGroup]) -> bool:
    status, _, _, _ = _plain(market, options, policies, feasibility_only=True)
    return status is not SolverStatus.INFEASIBLE


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
    _, assignment, gap, used = _plain(market, options, market.policies, elastic=True)
    return Outcome(assignment, Status.INFEASIBLE, gap, conflicts, used, Stability.IGNORED)
