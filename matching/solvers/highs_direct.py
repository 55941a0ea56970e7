"""The welfare model without stability rows, built directly as a sparse matrix
and handed to HiGHS (highspy) with presolve off.

The model is a bipartite b-matching with side constraints (policies): one
binary column per acceptable pair, a row per candidate, per placement, per
mentor and per policy bound. Building it as arrays skips the modelling layer,
which dominates on large rounds; HiGHS's presolve is turned off because on
these models it costs more than it saves (see ../shared/peer-figures.md: the
same optimum, several times faster).
"""

from __future__ import annotations

from collections.abc import Sequence

import highspy
import numpy as np
from scipy import sparse

from matching.base import Plain, SolverStatus, Weights
from matching.encode import Market
from matching.objective import pair_weights
from matching.policygroups import PolicyGroup


def solve_plain(
    market: Market,
    weights: Weights,
    policies: Sequence[PolicyGroup],
    *,
    time_limit: float | None,
    elastic: bool = False,
    feasibility_only: bool = False,
) -> Plain:
    cands, places = market.pair_columns()
    n_pairs = len(cands)
    cost = np.zeros(n_pairs + (len(policies) if elastic else 0))
    if not feasibility_only:
        cost[:n_pairs] = pair_weights(market, weights)
    if elastic:
        cost[n_pairs:] = -(float(cost[:n_pairs].sum()) + 1.0)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []
    row = 0

    def add_rows(keys: np.ndarray, caps: Sequence[float]) -> None:
        nonlocal row
        rows.append(keys + row)
        cols.append(np.arange(n_pairs))
        vals.append(np.ones(n_pairs))
        lower.extend([-highspy.kHighsInf] * len(caps))
        upper.extend(caps)
        row += len(caps)

    add_rows(cands, [1.0] * market.n_candidates)
    add_rows(places, [float(c) for c in market.capacity])
    if market.mentor_ids:
        mentor = np.asarray(market.mentor_of)[places]
        led = mentor >= 0
        rows.append(mentor[led] + row)
        cols.append(np.flatnonzero(led))
        vals.append(np.ones(int(led.sum())))
        lower.extend([-highspy.kHighsInf] * len(market.mentor_ids))
        upper.extend(float(c) for c in market.mentor_capacity)
        row += len(market.mentor_ids)
    for i, g in enumerate(policies):
        covered = np.flatnonzero(g.members(cands, places))
        for bound, sign in ((g.min, 1.0), (g.max, -1.0)):
            if bound is None:
                continue
            members = covered.astype(np.int64)
            rows.append(np.full(len(members), row))
            cols.append(members)
            vals.append(np.ones(len(members)))
            if elastic:  # floor: Σ + s ≥ min; ceiling: Σ − s ≤ max
                rows.append(np.array([row]))
                cols.append(np.array([n_pairs + i]))
                vals.append(np.array([sign]))
            lower.append(float(bound) if sign > 0 else -highspy.kHighsInf)
            upper.append(highspy.kHighsInf if sign > 0 else float(bound))
            row += 1

    n_cols = len(cost)
    matrix = sparse.csc_matrix(
        (
            np.concatenate(vals) if vals else np.array([]),
            (
                np.concatenate(rows) if rows else np.array([], dtype=np.int64),
                np.concatenate(cols) if cols else np.array([], dtype=np.int64),
            ),
        ),
        shape=(row, n_cols),
    )
    if n_cols == 0:
        feasible = all(lo <= 0 for lo in lower)
        status = SolverStatus.OPTIMAL if feasible else SolverStatus.INFEASIBLE
        return Plain(status, (-1,) * market.n_candidates, 0.0, "highspy")

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, row
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.concatenate([np.ones(n_pairs), np.full(n_cols - n_pairs, highspy.kHighsInf)])
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs + [
        highspy.HighsVarType.kContinuous
    ] * (n_cols - n_pairs)

    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == highspy.kSolutionStatusFeasible
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return Plain(SolverStatus.INFEASIBLE, (-1,) * market.n_candidates, None, "highspy")
    if not has_solution:
        return Plain(SolverStatus.NO_SOLUTION, (-1,) * market.n_candidates, None, "highspy")
    values = np.asarray(h.getSolution().col_value[:n_pairs])
    assignment = [-1] * market.n_candidates
    for k in np.flatnonzero(values > 0.5):
        assignment[int(cands[k])] = int(places[k])
    if model_status == highspy.HighsModelStatus.kOptimal:
        return Plain(SolverStatus.OPTIMAL, tuple(assignment), 0.0, "highspy")
    return Plain(SolverStatus.FEASIBLE, tuple(assignment), float(info.mip_gap), "highspy")
