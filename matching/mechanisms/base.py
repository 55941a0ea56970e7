"""What every mechanism takes and gives."""

from __future__ import annotations

from dataclasses import dataclass, field

from matching.model import Stability, Status

# The solvers by name: `auto` (the default) solves the model without stability
# rows as a min-cost flow when its policies allow (matching.solvers.network),
# and everything else with CBC; `cbc` and `highs` are the MILP through PuLP
# (matching.solvers); `highspy` is HiGHS fed sparse arrays directly
# (matching.solvers.highs_direct; models with stability rows go to PuLP with
# HiGHS).
SOLVERS = ("auto", "cbc", "highs", "highspy")

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
    solver: str = "auto"
    time_limit: float | None = 300.0
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Outcome:
    assignment: Assignment
    status: Status = Status.OPTIMAL
    gap: float | None = None
    conflicts: tuple[str, ...] = ()
    solver: str | None = None
    stability: Stability = Stability.IGNORED
