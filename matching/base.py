"""The types every layer of the engine shares: what a mechanism takes and
gives, and the names of mechanisms and solvers. Encoding, objective,
solvers, mechanisms, verification, explanations and metrics all import from
here; nothing here imports from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from matching.errors import UnsupportedOption
from matching.model import Stability, Status


class MechanismName(StrEnum):
    """The mechanisms by contract name (`matching.mechanisms.REGISTRY` has one
    entry for each; a test ties the two)."""

    STABLE = "stable"
    STABLE_PLACEMENT = "stable-placement"
    OPTIMAL = "optimal"
    POLICY_STABLE = "policy-stable"


class Solver(StrEnum):
    """The welfare model's backends by name. `auto` (the default) solves the
    model without stability rows as a min-cost flow when its policies allow
    (matching.solvers.network), everything else with CBC; `cbc` and `highs` are
    the MILP through PuLP (matching.solvers.milp); `highspy` is HiGHS fed
    sparse arrays directly (matching.solvers.highs_direct; models with
    stability rows go to PuLP with HiGHS)."""

    AUTO = "auto"
    CBC = "cbc"
    HIGHS = "highs"
    HIGHSPY = "highspy"


SOLVERS = tuple(s.value for s in Solver)


class Stage(StrEnum):
    """The stages of one solve, in order (matching.engine): what a caller
    following a solve is told, and the points where it may stop it."""

    GRAPH = "graph"  # the consortium graph and the market's arrays
    SOLVE = "solve"  # the mechanism (a MILP within its time limit)
    VERIFY = "verify"  # the independent checker
    EXPLAIN = "explain"  # the reasons
    METRICS = "metrics"  # the figures and the input hash


class SolverStatus(StrEnum):
    """Every backend's status, translated into one vocabulary."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a solution, stopped by the time limit
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # stopped by the time limit before any solution


# assignment[c] is the placement index of candidate c, or -1 when unmatched.
Assignment = tuple[int, ...]


@dataclass(frozen=True)
class Weights:
    """The welfare objective's weights; see `matching.objective`."""

    match: float = 2.0
    candidate: float = 1.0
    placement: float = 0.5
    affinity: float = 0.25


@dataclass(frozen=True)
class SolveOptions:
    stability: Stability = Stability.IGNORED
    solver: Solver = Solver.AUTO
    time_limit: float | None = 300.0
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        # a solver named by its string ("cbc") is the Solver of that name
        try:
            object.__setattr__(self, "solver", Solver(self.solver))
        except ValueError:
            known = ", ".join(SOLVERS)
            raise UnsupportedOption(f"solver: unknown {self.solver!r} (known: {known})") from None


@dataclass(frozen=True)
class Plain:
    """What a backend gives for the welfare model without stability rows: the
    one outcome type of every backend (`matching.solvers.BACKENDS`)."""

    status: SolverStatus
    assignment: Assignment
    gap: float | None
    solver: str  # the backend that decided it: flow, cbc, highs, highspy


@dataclass(frozen=True)
class Outcome:
    assignment: Assignment
    status: Status = Status.OPTIMAL
    gap: float | None = None
    conflicts: tuple[str, ...] = ()
    solver: str | None = None
    stability: Stability = Stability.IGNORED
