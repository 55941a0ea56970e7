"""The welfare model as a MILP, built with PuLP (readable, solver-neutral) and
solved by a named backend whose status is translated into `SolverStatus`:

    ``cbc``    COIN-OR CBC from the cbcbox wheel (``pulp[cbc]``; the default)
    ``highs``  HiGHS through highspy

Binary x[c, p] for every acceptable pair; maximise Σ w(c, p) x[c, p]
(`matching.objective`) subject to

    Σ_p x[c, p] ≤ 1                    each candidate placed at most once
    Σ_c x[c, p] ≤ capacity(p)          each placement
    Σ_{p led by m} Σ_c x[c, p] ≤ capacity(m)   each mentor
    min ≤ Σ_{(c, p) in group} x[c, p] ≤ max     each policy

With stability rows, every acceptable pair must not block (the SPA definition
of Abraham, Irving and Manlove 2007, which is Gale–Shapley's when a placement
has no mentor). With prefix sums ``T[c, j]`` (c placed at its j-th choice or
better), ``S[p, i]`` (seats of p held by candidates p ranks above its i-th)
and ``L[m, i]`` (likewise for mentor m), a pair (c, p) with y = 1 − T is
blocked from blocking by

    capacity(p) · (y − z − b) ≤ S[p, i]            p is full of better candidates, or
    capacity(m) · (y − (1 − z) − b) ≤ L[m, i']     m is full of better candidates

(z chooses which holds; without a mentor only the first, with z = 0). b = 1
marks a blocking pair: fixed to 0 in a `strict` model, counted in a `counted`
one (the mechanism minimises their sum first).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cbcbox
import numpy as np
import pulp

from matching.base import Assignment, Plain, SolveOptions, Solver, SolverStatus
from matching.encode import Market
from matching.errors import SolverFailed, UnsupportedOption
from matching.objective import pair_weight, pair_weights
from matching.policygroups import PolicyGroup
from matching.verify import blocking_pairs, occupancy

BACKENDS = (Solver.CBC, Solver.HIGHS)  # the ones PuLP drives


def solve_plain(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool = False,
    feasibility_only: bool = False,
) -> Plain:
    """The model without stability rows, built with PuLP and solved by CBC or
    HiGHS (`auto` and `highspy` name CBC and HiGHS here)."""
    model = build(market, options, policies, stability=None, elastic=elastic)
    if feasibility_only:
        model.problem.setObjective(pulp.LpAffineExpression())
    status = run(model, options)
    if status is SolverStatus.INFEASIBLE:
        return Plain(status, (-1,) * market.n_candidates, None, pulp_backend(options))
    assignment, gap = solution(market, model, status, options)
    return Plain(status, assignment, gap, pulp_backend(options))


@dataclass
class MilpModel:
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


def build(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    stability: str | None,
    elastic: bool = False,
) -> MilpModel:
    started = time.monotonic()
    problem = pulp.LpProblem("placement", pulp.LpMaximize)
    x = {(c, p): problem.add_variable(f"x_{c}_{p}", cat=pulp.LpBinary) for c, p in market.pairs()}
    weights = options.weights
    welfare = pulp.lpSum(
        w * v for w, v in zip(pair_weights(market, weights), x.values(), strict=True)
    )
    model = MilpModel(problem, x, welfare)

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
        add_stability(market, model, counted=stability == "counted")
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


def add_stability(market: Market, model: MilpModel, *, counted: bool) -> None:
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


def keep_seats(market: Market, model: MilpModel, seat: Sequence[int], kept: Sequence[bool]) -> None:
    """Each candidate who keeps a seat is placed there or at a placement it
    prefers (re-matching a published round: nobody worse off)."""
    for c, p in enumerate(seat):
        if kept[c]:
            ps = market.prefs[c]
            at_least = ps[: ps.index(p) + 1]
            model.problem += pulp.lpSum(model.x[(c, q)] for q in at_least) == 1, f"keep_{c}"


def keep_fewest_blocking(model: MilpModel) -> None:
    """Keep the counted model at the fewest blocking pairs just found."""
    blocking = pulp.lpSum(model.blocking.values())
    model.problem += blocking <= round(pulp.value(blocking)), "fewest_blocking"


def fewest_moves(model: MilpModel, seat: Sequence[int]) -> None:
    """Place as few candidates as possible differently from `seat` (each
    candidate's placement before, -1: none, any other negative: one no
    longer there)."""
    by_candidate: dict[int, list[pulp.LpVariable]] = {}
    for (c, _p), var in model.x.items():
        by_candidate.setdefault(c, []).append(var)
    moved: list[pulp.LpAffineExpression] = []
    for c, p in enumerate(seat):
        if p == -1:
            moved.append(pulp.lpSum(by_candidate.get(c, [])))  # placed at all: a move
        elif (c, p) in model.x:
            moved.append(1 - model.x[(c, p)])
    model.problem.setObjective(-pulp.lpSum(moved))


def fewest_blocking_first(model: MilpModel) -> None:
    """Make the counted model minimise its blocking pairs."""
    model.problem.setObjective(-pulp.lpSum(model.blocking.values()))


def then_most_welfare(model: MilpModel) -> None:
    """Keep the fewest blocking pairs just found and maximise welfare among them."""
    keep_fewest_blocking(model)
    model.problem.setObjective(model.welfare)


def start(market: Market, model: MilpModel, assignment: Assignment) -> None:
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


def run(model: MilpModel, options: SolveOptions) -> SolverStatus:
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
    status = solve_problem(model.problem, pulp_backend(options), limit, warm_start=model.warm)
    if status is SolverStatus.NO_SOLUTION and not model.warm:
        raise SolverFailed(
            f"solver {options.solver} found no matching within {options.time_limit} s"
        )
    return status


def solution(
    market: Market, model: MilpModel, status: SolverStatus, options: SolveOptions
) -> tuple[Assignment, float]:
    """The solved model's assignment and its gap to the LP bound (0 when proven optimal)."""
    assignment = assignment_of(market, model)
    if status is not SolverStatus.FEASIBLE:
        return assignment, 0.0
    found = pulp.value(model.problem.objective)
    for var in model.problem.variables():
        var.cat = pulp.LpContinuous
    solve_problem(model.problem, pulp_backend(options), options.time_limit)
    bound = float(pulp.value(model.problem.objective))
    return assignment, max(0.0, (bound - found) / max(1.0, abs(bound)))


def assignment_of(market: Market, model: MilpModel) -> Assignment:
    assignment = [-1] * market.n_candidates
    for (c, p), var in model.x.items():
        if (var.varValue or 0) > 0.5:
            assignment[c] = p
    return tuple(assignment)


def pulp_backend(options: SolveOptions) -> str:
    """The backend PuLP drives: HiGHS when the direct one was asked for (it only
    builds models without stability rows), CBC for `auto`."""
    return {Solver.HIGHSPY: Solver.HIGHS, Solver.AUTO: Solver.CBC}.get(
        options.solver, options.solver
    )


def named(options: SolveOptions) -> str:
    """The solver a result names when a PuLP model decided it."""
    return str(Solver.CBC if options.solver is Solver.AUTO else options.solver)


def _solver(backend: str, time_limit: float | None, warm_start: bool) -> pulp.LpSolver:
    match backend:
        case "cbc":
            return pulp.COIN_CMD(
                path=cbcbox.cbc_bin_path(),
                msg=False,
                timeLimit=time_limit,
                threads=1,
                warmStart=warm_start,
            )
        case "highs":
            return pulp.HiGHS(msg=False, timeLimit=time_limit, warmStart=warm_start)
    raise UnsupportedOption(f"solver: unknown backend {backend!r} (known: {', '.join(BACKENDS)})")


def solve_problem(
    problem: pulp.LpProblem, backend: str, time_limit: float | None, *, warm_start: bool = False
) -> SolverStatus:
    """Solve `problem` in place; with `warm_start`, from the variables' initial values."""
    problem.solve(_solver(backend, time_limit, warm_start))
    if problem.status == pulp.LpStatusInfeasible:
        return SolverStatus.INFEASIBLE
    if problem.sol_status == pulp.LpSolutionOptimal and problem.status == pulp.LpStatusOptimal:
        return SolverStatus.OPTIMAL
    if problem.sol_status == pulp.LpSolutionIntegerFeasible:
        return SolverStatus.FEASIBLE
    if problem.sol_status == pulp.LpSolutionInfeasible:
        return SolverStatus.INFEASIBLE
    return SolverStatus.NO_SOLUTION
