"""Independent checks of any assignment, whichever mechanism produced it.

Nothing here calls a mechanism. Blocking pairs follow the SPA definition of
Abraham, Irving and Manlove (2007, §2), which is the Gale–Shapley one for a
placement without a mentor: an acceptable pair (c, p), with c unplaced or
preferring p to its placement, blocks when

    (a) p and its mentor both have free seats, or
    (b) p has a free seat, its mentor is full, and either c is already with
        that mentor or the mentor ranks c above its worst assignee, or
    (c) p is full and ranks c above its worst assignee.

With the coordinator's pins (matching.overrides) a pinned candidate blocks
nothing and is never a worst assignee; a pair that blocks only because p
holds a pinned candidate it ranks below c (or does not rank) is reported in
`blocked_by_pins` with that candidate instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matching.base import Assignment
from matching.encode import Market
from matching.policygroups import PolicyGroup

UNRANKED = 2**63  # where a pinned candidate its placement does not rank stands


@dataclass(frozen=True)
class Occupancy:
    """Seats taken and the worst-ranked holder, per placement and per mentor."""

    count: tuple[int, ...]
    worst: tuple[int, ...]  # candidate index, -1 when empty
    mentor_count: tuple[int, ...]
    mentor_worst: tuple[int, ...]


@dataclass(frozen=True)
class Verification:
    occupancy: Occupancy
    blocking_pairs: tuple[tuple[int, int], ...]
    capacity_violations: tuple[str, ...]
    policy_values: tuple[int, ...]
    blocked_by_pins: tuple[tuple[int, int, int], ...] = ()  # (c, p, the pinned holder)

    @property
    def stable(self) -> bool:
        return not self.blocking_pairs


def occupancy(market: Market, assignment: Assignment) -> Occupancy:
    count = [0] * market.n_placements
    worst = [-1] * market.n_placements
    m_count = [0] * len(market.mentor_ids)
    m_worst = [-1] * len(market.mentor_ids)
    pinned = market.pinned
    for c, p in enumerate(assignment):
        if p < 0:
            continue
        rank = market.place_rank[p].get(c) if c not in pinned else None
        count[p] += 1
        if rank is not None and (worst[p] < 0 or market.place_rank[p][worst[p]] < rank):
            worst[p] = c
        m = market.mentor_of[p]
        if m >= 0:
            m_count[m] += 1
            ranks = market.mentor_rank[m]
            if c in ranks and c not in pinned and (m_worst[m] < 0 or ranks[m_worst[m]] < ranks[c]):
                m_worst[m] = c
    return Occupancy(tuple(count), tuple(worst), tuple(m_count), tuple(m_worst))


def verify(market: Market, assignment: Assignment) -> Verification:
    occ = occupancy(market, assignment)
    pairs = blocking_pairs(market, assignment, occ)
    return Verification(
        occ,
        tuple(pairs),
        tuple(_capacity_violations(market, assignment, occ)),
        tuple(policy_values(market, assignment)),
        tuple(_blocked_by_pins(market, assignment, occ, set(pairs))) if market.pinned else (),
    )


def blocking_pairs(market: Market, assignment: Assignment, occ: Occupancy) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    rank = market.place_rank
    # Case (c), the common one, with each full placement's worst rank worked out once.
    cutoff = [
        rank[p].get(w) if w >= 0 and n >= cap else None
        for p, (w, n, cap) in enumerate(zip(occ.worst, occ.count, market.capacity, strict=True))
    ]
    # Case (a), worked out once per placement: a seat free there and
    # at its mentor (or none), which any candidate preferring it takes.
    mentor_free = [n < cap for n, cap in zip(occ.mentor_count, market.mentor_capacity, strict=True)]
    room = [
        n < cap and (m < 0 or mentor_free[m])
        for n, cap, m in zip(occ.count, market.capacity, market.mentor_of, strict=True)
    ]
    pinned = market.pinned
    for c, current in enumerate(assignment):
        if c in pinned:
            continue  # a pin is not the candidate's to leave
        for p in market.prefs[c]:
            if p == current:
                break
            worst = cutoff[p]
            if worst is not None:
                if rank[p][c] < worst:
                    out.append((c, p))
            elif room[p] or _blocks(market, assignment, occ, c, p):
                out.append((c, p))
    return out


def _blocks(market: Market, assignment: Assignment, occ: Occupancy, c: int, p: int) -> bool:
    rank = market.place_rank[p]
    p_full = occ.count[p] >= market.capacity[p]
    if p_full:  # (every holder pinned: no worst holder to replace)
        return occ.worst[p] >= 0 and rank[c] < rank[occ.worst[p]]
    m = market.mentor_of[p]
    if m < 0 or occ.mentor_count[m] < market.mentor_capacity[m]:
        return True
    current = assignment[c]
    if current >= 0 and market.mentor_of[current] == m:
        return True
    ranks = market.mentor_rank[m]
    worst = occ.mentor_worst[m]
    return worst >= 0 and ranks[c] < ranks[worst]


def _blocked_by_pins(
    market: Market, assignment: Assignment, occ: Occupancy, blocking: set[tuple[int, int]]
) -> list[tuple[int, int, int]]:
    """(c, p, d): c prefers full p, which holds pinned d and ranks d below c
    (or does not rank d), and (c, p) does not block otherwise."""
    held: dict[int, list[int]] = {}
    for d, p in market.pinned.items():
        held.setdefault(p, []).append(d)
    out: list[tuple[int, int, int]] = []
    for c, current in enumerate(assignment):
        if c in market.pinned:
            continue
        for p in market.prefs[c]:
            if p == current:
                break
            if p not in held or occ.count[p] < market.capacity[p] or (c, p) in blocking:
                continue
            rank = market.place_rank[p]
            below = [d for d in held[p] if rank.get(d, UNRANKED) > rank[c]]
            if below:
                out.append((c, p, max(below, key=lambda d: rank.get(d, UNRANKED))))
    return out


def _capacity_violations(market: Market, assignment: Assignment, occ: Occupancy) -> list[str]:
    out: list[str] = []
    for c, p in enumerate(assignment):
        if p >= 0 and p not in market.prefs[c]:
            out.append(
                f"candidate {market.candidate_ids[c]!r} placed at "
                f"{market.placement_ids[p]!r}, which is not acceptable"
            )
    for p, n in enumerate(occ.count):
        if n > market.capacity[p]:
            out.append(
                f"placement {market.placement_ids[p]!r} holds {n} > capacity {market.capacity[p]}"
            )
    for m, n in enumerate(occ.mentor_count):
        if n > market.mentor_capacity[m]:
            out.append(
                f"mentor {market.mentor_ids[m]!r} holds {n} > capacity {market.mentor_capacity[m]}"
            )
    return out


@dataclass(frozen=True)
class PolicyStability:
    """Each blocking pair, excused by a policy or not (the weak stability of
    Kamada and Kojima, JET 2017, carried over to floors and ceilings).

    A blocking pair (c, p) is **envy** when p holds someone it ranks below c,
    free seat or not, or when p's mentor is full, c is not with it, and it
    holds someone it ranks below c: the move is c replacing that
    lowest-ranked holder. Otherwise it is **waste** (p, and its mentor or c
    already with it, has a free seat): the move is c into it. The pair is
    excused by the first policy (in the round's order) that the move would
    break: a floor it takes below its minimum or a ceiling it takes above its
    maximum; a waste pair also by a ceiling covering (c, p) already at its
    maximum, which leaves the seat empty whatever the move does to its count.
    Otherwise it is unexcused. A result is policy-stable when it meets every
    policy and no pair is unexcused."""

    excused: tuple[tuple[int, int, int], ...]  # (candidate, placement, policy index)
    unexcused: tuple[tuple[int, int], ...]
    policies_met: bool

    @property
    def policy_stable(self) -> bool:
        return self.policies_met and not self.unexcused


def policy_stability(
    market: Market, assignment: Assignment, check: Verification
) -> PolicyStability:
    occ, values, policies = check.occupancy, check.policy_values, market.policies
    coverage = market.coverage
    met = all(
        (g.min is None or v >= g.min) and (g.max is None or v <= g.max)
        for g, v in zip(policies, values, strict=True)
    )
    if not check.blocking_pairs:
        return PolicyStability((), (), met)
    excused: list[tuple[int, int, int]] = []
    unexcused: list[tuple[int, int]] = []
    # the kind of pair of each candidate's seat (matching.policygroups.Coverage),
    # worked out once: a move only ever takes candidates from the seats they hold
    kind, of = coverage.kind, coverage.of_kind
    held = [kind(c, p) if p >= 0 else -1 for c, p in enumerate(assignment)]
    place_rank, mentor_of, worst = market.place_rank, market.mentor_of, occ.worst
    worst_rank = [place_rank[p][w] if w >= 0 else -1 for p, w in enumerate(worst)]
    # a pair's excuse depends only on the kinds of the pairs the move touches
    # (a few in any round), each combination worked out once
    excuses: dict[tuple[int, int, int, bool], int | None] = {}
    for c, p in check.blocking_pairs:
        current = assignment[c]
        m = mentor_of[p]
        if worst[p] >= 0 and worst_rank[p] > place_rank[p][c]:
            other, waste = held[worst[p]], False  # envy: p holds someone it ranks below c
        elif (
            m >= 0
            and occ.mentor_count[m] >= market.mentor_capacity[m]
            and not (current >= 0 and mentor_of[current] == m)
        ):
            other, waste = held[occ.mentor_worst[m]], False
        else:
            other, waste = -1, True
        into = kind(c, p)
        key = (held[c], other, into, waste)
        if key in excuses:
            why = excuses[key]
        else:
            why = _excuse(policies, values, [of(held[c]), of(other)], of(into), waste)
            excuses[key] = why
        if why is None:
            unexcused.append((c, p))
        else:
            excused.append((c, p, why))
    return PolicyStability(tuple(excused), tuple(unexcused), met)


def _excuse(
    policies: Sequence[PolicyGroup],
    values: tuple[int, ...],
    out: Sequence[Sequence[int]],
    into: Sequence[int],
    waste: bool,
) -> int | None:
    """The first policy that the move breaks (`out`: the policies covering
    each pair that leaves; `into`: those covering the pair that arrives); only
    a policy covering one of the pairs can."""
    inside = set(into)
    left: dict[int, int] = {}
    for covering in out:
        for k in covering:
            left[k] = left.get(k, 0) + 1
    for k in sorted(inside | left.keys()):
        g, value = policies[k], values[k]
        after = value + (k in inside) - left.get(k, 0)
        if g.min is not None and after < min(g.min, value):
            return k
        if g.max is not None and after > max(g.max, value):
            return k
        if waste and k in inside and g.max is not None and value >= g.max:
            return k
    return None


def policy_values(market: Market, assignment: Assignment) -> list[int]:
    return market.coverage.values(assignment)
