"""MILP backends behind one interface and one status vocabulary.

A model is built with PuLP (readable, solver-neutral); `solve` runs it with a
named backend and translates the backend's status into `SolverStatus`:

    ``cbc``    COIN-OR CBC from the cbcbox wheel (``pulp[cbc]``; the default)
    ``highs``  HiGHS through highspy
"""

from __future__ import annotations

from enum import StrEnum

import cbcbox
import pulp

from matching.base import Solver
from matching.errors import UnsupportedOption

BACKENDS = (Solver.CBC, Solver.HIGHS)  # the ones PuLP drives


class SolverStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a solution, stopped by the time limit
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # stopped by the time limit before any solution


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


def solve(
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
