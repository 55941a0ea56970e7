"""Summary figures of an assignment: what a coordinator compares runs by."""

from __future__ import annotations

from collections import Counter
from itertools import compress

from matching.base import Assignment, Weights
from matching.encode import Market
from matching.model import GroupFill, Metrics
from matching.objective import welfare


def measure(market: Market, assignment: Assignment, weights: Weights) -> Metrics:
    matched = [c for c, p in enumerate(assignment) if p >= 0]
    ranks = Counter(market.pref_group(c, assignment[c]) for c in matched)
    park_of = market.park_of
    placed_at = Counter(assignment[c] for c in matched)
    by_park = tuple(
        (
            park,
            GroupFill(
                sum(placed_at[p] for p in range(market.n_placements) if park in park_of[p]),
                sum(market.capacity[p] for p in range(market.n_placements) if park in park_of[p]),
            ),
        )
        for park in market.parks
    )
    placed = [p >= 0 for p in assignment]

    return Metrics(
        matched=len(matched),
        unmatched=len(assignment) - len(matched),
        capacity=sum(market.capacity),
        rank_histogram=tuple(sorted(ranks.items())),
        mean_rank=round(sum(r * n for r, n in ranks.items()) / len(matched), 6)
        if matched
        else None,
        welfare=welfare(market, assignment, weights),
        by_park=by_park,
        by_college=_fills(list(market.affiliation_of), placed),
        by_kind=_fills(list(market.kind_of), placed),
        by_tier=_fills(list(market.tier_of), placed),
    )


def _fills(keys: list[str | None], placed: list[bool]) -> tuple[tuple[str, GroupFill], ...]:
    """Placed and total candidates per key (None: not counted), keys in order."""
    total = Counter(keys)
    hits = Counter(compress(keys, placed))
    counted = sorted((key, n) for key, n in total.items() if key is not None)
    return tuple((key, GroupFill(hits[key], n)) for key, n in counted)
