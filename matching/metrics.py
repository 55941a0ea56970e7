"""Summary figures of an assignment: what a coordinator compares runs by."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import compress
from operator import attrgetter

from matching.base import Assignment, Weights
from matching.encode import Market
from matching.model import Candidate, GroupFill, Metrics, OrgKind
from matching.objective import welfare


def measure(market: Market, assignment: Assignment, weights: Weights) -> Metrics:
    round_ = market.round
    matched = [c for c, p in enumerate(assignment) if p >= 0]
    ranks = Counter(market.pref_rank[c][assignment[c]] for c in matched)
    graph = market.graph
    parks = sorted(o.id for o in round_.organizations if o.kind is OrgKind.PARK)
    park_of = [graph.parks_of(p.host) for p in round_.placements]
    placed_at = Counter(assignment[c] for c in matched)
    by_park = tuple(
        (
            park,
            GroupFill(
                sum(placed_at[p] for p in range(market.n_placements) if park in park_of[p]),
                sum(market.capacity[p] for p in range(market.n_placements) if park in park_of[p]),
            ),
        )
        for park in parks
    )
    cands = round_.candidates
    placed = [p >= 0 for p in assignment]

    def by(key: Callable[[Candidate], str | None]) -> tuple[tuple[str, GroupFill], ...]:
        return _fills(list(map(key, cands)), placed)

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
        by_college=by(attrgetter("affiliation")),
        by_kind=by(lambda c: c.kind.value),
        by_tier=by(_tier),
    )


def _tier(candidate: Candidate) -> str | None:
    return candidate.tier.value if candidate.tier is not None else None


def _fills(keys: list[str | None], placed: list[bool]) -> tuple[tuple[str, GroupFill], ...]:
    """Placed and total candidates per key (None: not counted), keys in order."""
    total = Counter(keys)
    hits = Counter(compress(keys, placed))
    counted = sorted((key, n) for key, n in total.items() if key is not None)
    return tuple((key, GroupFill(hits[key], n)) for key, n in counted)
