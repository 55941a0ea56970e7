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

from matching.encode import Market
from matching.mechanisms.base import Assignment, Weights


def pair_weight(market: Market, c: int, p: int, weights: Weights) -> float:
    k_c = market.pref_groups[c]
    k_p = market.place_groups[p]
    return (
        weights.match
        + weights.candidate * (k_c - market.pref_rank[c][p] + 1) / k_c
        + weights.placement * (k_p - market.place_group(p, c)) / k_p
        + weights.affinity * market.affinity(c, p)
    )


def welfare(market: Market, assignment: Assignment, weights: Weights) -> float:
    total = sum(pair_weight(market, c, p, weights) for c, p in enumerate(assignment) if p >= 0)
    return round(total, 6)
