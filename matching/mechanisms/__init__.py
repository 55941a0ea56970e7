"""The mechanisms by contract name. Each is `solve(market, options) -> Outcome`."""

from __future__ import annotations

from collections.abc import Callable

from matching.base import Assignment, MechanismName, Outcome, SolveOptions, Weights
from matching.encode import Market
from matching.errors import UnsupportedOption
from matching.mechanisms.deferred_acceptance import candidate_proposing, placement_proposing
from matching.mechanisms.flexible import policy_stable
from matching.mechanisms.spa import spa_student

Mechanism = Callable[[Market, SolveOptions], Outcome]


def _stable(market: Market, options: SolveOptions) -> Outcome:
    """Candidate-optimal stable matching (SPA-student when there are mentors)."""
    if market.has_mentors:
        return Outcome(spa_student(market))
    return Outcome(candidate_proposing(market))


def _stable_placement(market: Market, options: SolveOptions) -> Outcome:
    """Placement-optimal stable matching (placement-proposing deferred acceptance)."""
    if market.has_mentors:
        led = sorted({market.mentor_ids[m] for m in market.mentor_of if m >= 0})
        named = ", ".join(repr(m) for m in led[:3]) + (" …" if len(led) > 3 else "")
        raise UnsupportedOption(
            f"mechanism stable-placement does not support mentors ({len(led)} lead "
            f"placements: {named}); use stable or optimal"
        )
    return Outcome(placement_proposing(market))


def _optimal(market: Market, options: SolveOptions) -> Outcome:
    """Welfare-optimal assignment under policies (a MILP; PuLP is imported only here)."""
    from matching.mechanisms.welfare import optimal

    return optimal(market, options)


REGISTRY: dict[MechanismName, Mechanism] = {
    MechanismName.STABLE: _stable,
    MechanismName.STABLE_PLACEMENT: _stable_placement,
    MechanismName.OPTIMAL: _optimal,
    MechanismName.POLICY_STABLE: policy_stable,
}


def get(name: str) -> Mechanism:
    try:
        return REGISTRY[MechanismName(name)]
    except ValueError:
        known = ", ".join(REGISTRY)
        raise UnsupportedOption(f"mechanism: unknown {name!r} (known: {known})") from None


__all__ = [
    "REGISTRY",
    "Assignment",
    "Mechanism",
    "MechanismName",
    "Outcome",
    "SolveOptions",
    "Weights",
    "get",
]
