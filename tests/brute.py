"""Brute force over every matching of a tiny market: the reference the
mechanisms are tested against. Written apart from `matching.verify`."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace

from matching.base import Assignment, Weights
from matching.encode import Market
from matching.objective import pair_weight


def matchings(market: Market) -> Iterator[Assignment]:
    """Every assignment of acceptable pairs within placement and mentor capacities."""
    choices = [[-1, *ps] for ps in market.prefs]
    for combo in itertools.product(*choices):
        seats = [0] * market.n_placements
        mentor_seats = [0] * len(market.mentor_ids)
        ok = True
        for p in combo:
            if p < 0:
                continue
            seats[p] += 1
            m = market.mentor_of[p]
            if m >= 0:
                mentor_seats[m] += 1
                ok &= mentor_seats[m] <= market.mentor_capacity[m]
            ok &= seats[p] <= market.capacity[p]
        if ok:
            yield tuple(combo)


def prefers(market: Market, c: int, p: int, q: int) -> bool:
    """c strictly prefers p to q (q = -1: unmatched)."""
    order = market.prefs[c]
    return q < 0 or order.index(p) < order.index(q)


def blocking(market: Market, a: Assignment) -> list[tuple[int, int]]:
    out = []
    for c in range(market.n_candidates):
        for p in market.prefs[c]:
            if not prefers(market, c, p, a[c]):
                continue
            rank = market.place_rank[p]
            at_p = [d for d in range(market.n_candidates) if a[d] == p]
            p_free = len(at_p) < market.capacity[p]
            m = market.mentor_of[p]
            if m < 0:
                if p_free or any(rank[c] < rank[d] for d in at_p):
                    out.append((c, p))
                continue
            mrank = market.mentor_rank[m]
            at_m = [
                d for d in range(market.n_candidates) if a[d] >= 0 and market.mentor_of[a[d]] == m
            ]
            m_free = len(at_m) < market.mentor_capacity[m]
            if (
                (p_free and m_free)
                or (p_free and (c in at_m or any(mrank[c] < mrank[d] for d in at_m)))
                or (not p_free and any(rank[c] < rank[d] for d in at_p))
            ):
                out.append((c, p))
    return out


def policies_hold(market: Market, a: Assignment, policies: object = None) -> bool:
    chosen = market.policies if policies is None else policies
    for policy in chosen:  # type: ignore[attr-defined]
        n = sum(1 for c, p in enumerate(a) if p >= 0 and policy.covers(c, p))
        if (policy.min is not None and n < policy.min) or (
            policy.max is not None and n > policy.max
        ):
            return False
    return True


def violation(market: Market, a: Assignment) -> int:
    """How far `a` is from meeting the policies: per policy, its shortfall or
    excess (the larger, should a floor exceed its ceiling), summed."""
    total = 0
    for policy in market.policies:
        n = sum(1 for c, p in enumerate(a) if p >= 0 and policy.covers(c, p))
        short = policy.min - n if policy.min is not None else 0
        excess = n - policy.max if policy.max is not None else 0
        total += max(0, short, excess)
    return total


def welfare(market: Market, a: Assignment, weights: Weights | None = None) -> float:
    w = weights or Weights()
    return sum(pair_weight(market, c, p, w) for c, p in enumerate(a) if p >= 0)


def stable_matchings(market: Market) -> list[Assignment]:
    return [a for a in matchings(market) if not blocking(market, a)]


def position(market: Market, c: int, p: int) -> int:
    return market.prefs[c].index(p) if p >= 0 else len(market.prefs[c])


def _count(policy: object, a: Assignment) -> int:
    return sum(1 for c, p in enumerate(a) if p >= 0 and policy.covers(c, p))  # type: ignore[attr-defined]


def excuses(market: Market, a: Assignment) -> dict[tuple[int, int], int | None]:
    """Each blocking pair (brute force's own) → the index of the policy that
    excuses it, or None: the move made on a copy of the assignment and every
    policy counted again (issue 14's definition, written apart from verify)."""
    out: dict[tuple[int, int], int | None] = {}
    for c, p in blocking(market, a):
        at_p = [d for d in range(market.n_candidates) if a[d] == p]
        moved = list(a)
        moved[c] = p
        waste = True
        rank = market.place_rank[p]
        m = market.mentor_of[p]
        below = [d for d in at_p if rank[d] > rank[c]]
        if below:
            moved[max(below, key=lambda d: rank[d])] = -1  # envy: p's lowest goes
            waste = False
        elif m >= 0:
            at_m = [
                d for d in range(market.n_candidates) if a[d] >= 0 and market.mentor_of[a[d]] == m
            ]
            if len(at_m) >= market.mentor_capacity[m] and c not in at_m:
                mrank = market.mentor_rank[m]
                moved[max(at_m, key=lambda d: mrank[d])] = -1  # envy: the mentor's lowest goes
                waste = False
        out[(c, p)] = None
        for k, policy in enumerate(market.policies):
            before, after = _count(policy, a), _count(policy, tuple(moved))
            low, high = policy.min, policy.max
            if (
                (low is not None and after < low and after < before)
                or (high is not None and after > high and after > before)
                or (waste and high is not None and policy.covers(c, p) and before >= high)
            ):
                out[(c, p)] = k
                break
    return out


# ------------------------------------------------- the coordinator's pins


def pins_first(market: Market) -> Market:
    """The market in which each pinned candidate ranks first at its
    placement and its mentor (the reference's reading of a pin)."""
    place_rank = [dict(r) for r in market.place_rank]
    mentor_rank = [dict(r) for r in market.mentor_rank]
    for d, p in market.pinned.items():
        place_rank[p][d] = -1 - d
        m = market.mentor_of[p]
        if m >= 0:
            mentor_rank[m][d] = -1 - d
    return replace(market, place_rank=tuple(place_rank), mentor_rank=tuple(mentor_rank))


def with_the_pins(market: Market) -> list[tuple[int, ...]]:
    return [a for a in matchings(market) if all(a[c] == p for c, p in market.pinned.items())]


def pinned_blocking(market: Market, a: tuple[int, ...]) -> list[tuple[int, int]]:
    """Blocking pairs under pins: pinned candidates rank first and block nothing."""
    return [(c, p) for c, p in blocking(pins_first(market), a) if c not in market.pinned]
