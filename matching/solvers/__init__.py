"""The welfare model's backends behind one interface: each takes the model
without stability rows (a market, its policies, the options) and gives a
`Plain` outcome, or None to hand the model on to the next backend.
`BACKENDS` names, for each `Solver`, the backends tried in turn:

    auto     the min-cost flow where the policies keep the model a network
             (`network`), else the MILP with CBC (`milp`)
    cbc      the MILP with CBC
    highs    the MILP with HiGHS through PuLP
    highspy  the model as sparse arrays, handed to HiGHS directly (`highs_direct`)

Models with stability rows are MILPs only (`matching.solvers.milp`). Each
backend imports its solver library when first used, so a round solved by
deferred acceptance never loads PuLP, HiGHS or OR-Tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from matching.base import Plain, SolveOptions, Solver, SolverStatus
from matching.encode import Market
from matching.errors import SolverFailed
from matching.policygroups import PolicyGroup


class Backend(Protocol):
    def __call__(
        self,
        market: Market,
        options: SolveOptions,
        policies: Sequence[PolicyGroup],
        *,
        elastic: bool,
        feasibility_only: bool,
    ) -> Plain | None: ...


def _flow(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool,
    feasibility_only: bool,
) -> Plain | None:
    from matching.solvers.network import network, solve_flow, within_bounds

    net = network(market, policies)
    if net is None:
        return None
    if feasibility_only and not elastic:
        flow = within_bounds(market, net)
    else:
        flow = solve_flow(market, options.weights, net, elastic=elastic)
    return None if flow.status is SolverStatus.NO_SOLUTION else flow  # else the MILP decides


def _milp(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool,
    feasibility_only: bool,
) -> Plain | None:
    from matching.solvers.milp import solve_plain

    return solve_plain(
        market, options, policies, elastic=elastic, feasibility_only=feasibility_only
    )


def _highspy(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool,
    feasibility_only: bool,
) -> Plain | None:
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
    return out


BACKENDS: dict[Solver, tuple[Backend, ...]] = {
    Solver.AUTO: (_flow, _milp),
    Solver.CBC: (_milp,),
    Solver.HIGHS: (_milp,),
    Solver.HIGHSPY: (_highspy,),
}


def solve_plain(
    market: Market,
    options: SolveOptions,
    policies: Sequence[PolicyGroup],
    *,
    elastic: bool = False,
    feasibility_only: bool = False,
) -> Plain:
    """The welfare model without stability rows, by the backends `options.solver` names."""
    for backend in BACKENDS[options.solver]:
        found = backend(
            market, options, policies, elastic=elastic, feasibility_only=feasibility_only
        )
        if found is not None:
            return found
    raise AssertionError(f"no backend of {options.solver} decided")
