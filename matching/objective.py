"""The welfare objective, shared by the `optimal` mechanism and the metrics.

For an assigned pair (c, p):

    w(c, p) = W_match
            + W_candidate · (K_c − g_c + 1) / K_c
            + W_placement · (K_p − g_p) / K_p
            + W_affinity  · a(c, p)

where g_c is p's 1-based position group in c's preferences (ties share it)
and K_c the number of groups c listed; g_p is c's 0-based group in p's ranking
(its mentor's, or its default-score groups) and K_p the number of groups; a is
the graph affinity in [0, 1]. So a first choice scores W_candidate, a last
choice W_candidate / K_c. The welfare of a matching is the sum over its
pairs. With the default weights (2, 1, 0.5, 0.25) one more placed candidate is
worth more than any improvement of ranks for one pair.
"""

from __future__ import annotations

from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.base import Assignment, Weights
from matching.encode import Market


def pair_weight(market: Market, c: int, p: int, weights: Weights) -> float:
    k_c = market.pref_groups[c]
    k_p = market.place_groups[p]
    return (
        weights.match
        + weights.candidate * (k_c - market.pref_group(c, p) + 1) / k_c
        + weights.placement * (k_p - market.place_group(p, c)) / k_p
        + weights.affinity * market.affinity(c, p)
    )


def pair_weights(market: Market, weights: Weights) -> NDArray[np.float64]:
    """`pair_weight` of every acceptable pair, in `Market.pairs()` order, as an
    array: the ranks read at C speed, the affinity from one row per college."""
    n = market.n_candidates
    cands, places = market.pair_columns()
    size = len(cands)
    groups = map(map, map(attrgetter("__getitem__"), market.pref_rank), market.prefs)
    g_c = np.fromiter(chain.from_iterable(groups), dtype=np.int64, count=size)
    g_p = np.empty(size, dtype=np.int64)
    g_p[_pair_order(market, cands, places)] = _placement_major_ranks(market, size) // max(n, 1)
    return _weights(market, weights, cands, places, g_c, g_p)


def _weights(
    market: Market,
    weights: Weights,
    cands: NDArray[np.int64],
    places: NDArray[np.int64],
    g_c: NDArray[np.int64],
    g_p: NDArray[np.int64],
) -> NDArray[np.float64]:
    """`pair_weight` for the pairs (cands[k], places[k]) with their groups, the
    same operations in the same order (so the same floats)."""
    k_c = np.asarray(market.pref_groups, dtype=np.int64)[cands]
    k_p = np.asarray(market.place_groups, dtype=np.int64)[places]
    out: NDArray[np.float64] = (
        weights.match
        + weights.candidate * (k_c - g_c + 1) / k_c
        + weights.placement * (k_p - g_p) / k_p
        + weights.affinity * _affinities(market, cands, places)
    )
    return out


def _pair_order(market: Market, cands: NDArray[np.int64], places: NDArray[np.int64]) -> Any:
    """The pairs' positions sorted by (candidate, placement)."""
    return np.argsort(cands * market.n_placements + places)  # distinct pairs: one order


def _placement_major_ranks(market: Market, size: int) -> Any:
    """Every pair's rank in its placement's order, sorted by (candidate,
    placement): read placement by placement (each placement's ranks stay in the
    cache), then sorted, which costs less than a lookup per pair."""
    ranks = market.place_rank
    cands = np.fromiter(chain.from_iterable(ranks), np.int64, size)
    values = np.fromiter(chain.from_iterable(map(dict.values, ranks)), np.int64, size)
    places = np.repeat(np.arange(len(ranks), dtype=np.int64), list(map(len, ranks)))
    return values[np.argsort(cands * len(ranks) + places)]  # distinct pairs: one order


def _affinities(market: Market, cands: NDArray[np.int64], places: NDArray[np.int64]) -> Any:
    """Graph affinity of every pair, from one row per college or institute."""
    table = market.affinities
    by_cand = np.asarray(table.source_of, dtype=np.int64)
    by_place = np.asarray(table.host_of, dtype=np.int64)
    return table.table[by_cand[cands], by_place[places]]


def welfare(market: Market, assignment: Assignment, weights: Weights) -> float:
    n = market.n_candidates
    matched = [(c, p) for c, p in enumerate(assignment) if p >= 0]
    cands = np.fromiter((c for c, _ in matched), np.int64, len(matched))
    places = np.fromiter((p for _, p in matched), np.int64, len(matched))
    g_c = np.fromiter((market.pref_group(c, p) for c, p in matched), np.int64, len(matched))
    g_p = np.fromiter((market.place_rank[p][c] // n for c, p in matched), np.int64, len(matched))
    each = _weights(market, weights, cands, places, g_c, g_p)
    total: float = sum(each.tolist())  # in candidate order, as ever
    return round(total, 6)
