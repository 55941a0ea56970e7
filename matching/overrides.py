"""The coordinator's overrides, as every mechanism honours them.

A **forbidden** pair is not acceptable: `matching.encode` refuses it (reason
`forbidden`) like a pair the graph's rules refuse, so no mechanism can place
it and the checker reports it as a capacity violation if one did.

A **pin** uses its seat before the mechanism runs. The mechanism sees the
market `without_pins`: pinned candidates want nothing, and each pinned seat
is gone from its placement, its mentor and the bounds of the policies
covering it (a floor needs that many fewer, a ceiling allows that many
fewer). The engine then puts the pinned candidates back. Checked on the
whole market (matching.verify), a pinned candidate blocks nothing (a pin is
not theirs to leave) and is never a placement's worst holder (the cutoff
others are measured against); a pair that would block if the pinned
candidate held the seat at its rank is reported as blocked by the pin
(`blocked_by_pins`), not as a blocking pair. So a stable mechanism gives a
result with no blocking pairs, and a policy-stable one a policy-stable
result, on the round with its pins.
"""

from __future__ import annotations

from dataclasses import replace

from matching.base import Assignment
from matching.encode import Market
from matching.policygroups import PolicyGroup


def without_pins(market: Market) -> Market:
    """The market the mechanism solves: the pinned candidates, the seats they
    use, and the placements whose seats (or whose mentor's) are all pinned
    taken out of everyone's lists."""
    if not market.pinned:
        return market
    capacity = list(market.capacity)
    mentor_capacity = list(market.mentor_capacity)
    for p in market.pinned.values():
        capacity[p] -= 1
        m = market.mentor_of[p]
        if m >= 0:
            mentor_capacity[m] -= 1
    closed = {
        p
        for p, (cap, m) in enumerate(zip(capacity, market.mentor_of, strict=True))
        if cap <= 0 or (m >= 0 and mentor_capacity[m] <= 0)
    }
    prefs = tuple(
        ()
        if c in market.pinned
        else tuple(p for p in ps if p not in closed)
        if closed.intersection(ps)
        else ps
        for c, ps in enumerate(market.prefs)
    )
    place_rank = tuple(
        {}
        if p in closed
        else {c: r for c, r in ranks.items() if c not in market.pinned}
        if not market.pinned.keys().isdisjoint(ranks)
        else ranks
        for p, ranks in enumerate(market.place_rank)
    )
    mentor_rank = tuple(
        {c: r for c, r in ranks.items() if c not in market.pinned} for ranks in market.mentor_rank
    )
    pins = [0] * len(market.policies)
    for c, p in market.pinned.items():
        for k in market.coverage.of(c, p):
            pins[k] += 1
    policies = tuple(_less(g, n) if n else g for g, n in zip(market.policies, pins, strict=True))
    return replace(
        market,
        prefs=prefs,
        place_rank=place_rank,
        mentor_rank=mentor_rank,
        capacity=tuple(max(cap, 0) for cap in capacity),
        mentor_capacity=tuple(max(cap, 0) for cap in mentor_capacity),
        policies=policies,
        pinned={},
    )


def _less(g: PolicyGroup, pins: int) -> PolicyGroup:
    """A policy's bounds on what is left after `pins` of its pairs are pinned.
    A ceiling the pins alone pass allows nothing more (the result reports it
    broken)."""
    return replace(
        g,
        min=None if g.min is None else max(g.min - pins, 0),
        max=None if g.max is None else max(g.max - pins, 0),
    )


def with_pins(market: Market, assignment: Assignment) -> Assignment:
    """The mechanism's assignment with the pinned candidates back in their seats."""
    if not market.pinned:
        return assignment
    return tuple(market.pinned.get(c, p) for c, p in enumerate(assignment))


__all__ = ["with_pins", "without_pins"]
