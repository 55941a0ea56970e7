"""Independent checks of any assignment, whichever mechanism produced it.

Nothing here calls a mechanism. Blocking pairs follow the SPA definition of
Abraham, Irving and Manlove (2007, §2), which is the Gale–Shapley one for a
placement without a mentor: an acceptable pair (c, p), with c unplaced or
preferring p to its placement, blocks when

    (a) p and its mentor both have free seats, or
    (b) p has a free seat, its mentor is full, and either c is already with
        that mentor or the mentor ranks c above its worst assignee, or
    (c) p is full and ranks c above its worst assignee.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.base import Assignment
from matching.encode import Market


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

    @property
    def stable(self) -> bool:
        return not self.blocking_pairs


def occupancy(market: Market, assignment: Assignment) -> Occupancy:
    count = [0] * market.n_placements
    worst = [-1] * market.n_placements
    m_count = [0] * len(market.mentor_ids)
    m_worst = [-1] * len(market.mentor_ids)
    for c, p in enumerate(assignment):
        if p < 0:
            continue
        rank = market.place_rank[p].get(c)
        count[p] += 1
        if rank is not None and (worst[p] < 0 or market.place_rank[p][worst[p]] < rank):
            worst[p] = c
        m = market.mentor_of[p]
        if m >= 0:
            m_count[m] += 1
            ranks = market.mentor_rank[m]
            if c in ranks and (m_worst[m] < 0 or ranks[m_worst[m]] < ranks[c]):
                m_worst[m] = c
    return Occupancy(tuple(count), tuple(worst), tuple(m_count), tuple(m_worst))


def verify(market: Market, assignment: Assignment) -> Verification:
    occ = occupancy(market, assignment)
    return Verification(
        occ,
        tuple(blocking_pairs(market, assignment, occ)),
        tuple(_capacity_violations(market, assignment, occ)),
        tuple(policy_values(market, assignment)),
    )


def blocking_pairs(market: Market, assignment: Assignment, occ: Occupancy) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    rank = market.place_rank
    # Case (c), the common one, with each full placement's worst rank worked out once.
    cutoff = [
        rank[p].get(w) if w >= 0 and n >= cap else None
        for p, (w, n, cap) in enumerate(zip(occ.worst, occ.count, market.capacity, strict=True))
    ]
    for c, current in enumerate(assignment):
        for p in market.prefs[c]:
            if p == current:
                break
            worst = cutoff[p]
            if worst is not None:
                if rank[p][c] < worst:
                    out.append((c, p))
            elif _blocks(market, assignment, occ, c, p):
                out.append((c, p))
    return out


def _blocks(market: Market, assignment: Assignment, occ: Occupancy, c: int, p: int) -> bool:
    rank = market.place_rank[p]
    p_full = occ.count[p] >= market.capacity[p]
    if p_full:
        return rank[c] < rank[occ.worst[p]]
    m = market.mentor_of[p]
    if m < 0 or occ.mentor_count[m] < market.mentor_capacity[m]:
        return True
    current = assignment[c]
    if current >= 0 and market.mentor_of[current] == m:
        return True
    ranks = market.mentor_rank[m]
    return ranks[c] < ranks[occ.mentor_worst[m]]


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


def policy_values(market: Market, assignment: Assignment) -> list[int]:
    return [
        sum(1 for c, p in enumerate(assignment) if p >= 0 and policy.covers(c, p))
        for policy in market.policies
    ]
