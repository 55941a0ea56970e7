"""Deferred acceptance for the hospitals/residents problem (Gale and Shapley
1962; Roth 1984), on the tie-broken preferences of the market.

* `candidate_proposing` returns the candidate-optimal stable matching: every
  candidate weakly prefers it to every other stable matching.
* `placement_proposing` returns the placement-optimal stable matching.

Both ignore mentors (see `spa`) and policies (reported by `verify`).
"""

from __future__ import annotations

import heapq

from matching.base import Assignment
from matching.encode import Market


def candidate_proposing(market: Market) -> Assignment:
    """Candidates propose down their lists; each placement holds its best
    `capacity` proposers and rejects the rest. O(number of acceptable pairs · log capacity)."""
    prefs = market.prefs
    rank = market.place_rank
    capacity = market.capacity
    step = market.n_candidates + 1
    # each placement's holders, worst on top: -(rank · step + candidate), one
    # int per entry (cheaper to make and compare than a (rank, candidate) pair)
    held: list[list[int]] = [[] for _ in capacity]
    nxt = [0] * market.n_candidates
    free = list(range(market.n_candidates - 1, -1, -1))
    push, replace = heapq.heappush, heapq.heapreplace
    while free:
        c = free.pop()
        mine = prefs[c]
        for k in range(nxt[c], len(mine)):
            p = mine[k]
            r = rank[p][c] * step + c
            heap = held[p]
            if len(heap) < capacity[p]:
                push(heap, -r)
            elif -heap[0] > r:
                free.append(-replace(heap, -r) % step)
            else:
                continue
            nxt[c] = k + 1
            break
    assignment = [-1] * market.n_candidates
    for p, heap in enumerate(held):
        for entry in heap:
            assignment[-entry % step] = p
    return tuple(assignment)


def placement_proposing(market: Market) -> Assignment:
    """Placements offer their free seats down their rankings; each candidate
    keeps the best offer so far. O(number of acceptable pairs)."""
    n = market.n_candidates
    position = [dict(zip(ps, range(len(ps)), strict=True)) for ps in market.prefs]
    ranked = [sorted(ranks, key=ranks.__getitem__) for ranks in market.place_rank]
    nxt = [0] * market.n_placements
    seats = list(market.capacity)
    holding = [-1] * n
    active = list(range(market.n_placements - 1, -1, -1))
    while active:
        p = active.pop()
        order = ranked[p]
        while seats[p] > 0 and nxt[p] < len(order):
            c = order[nxt[p]]
            nxt[p] += 1
            current = holding[c]
            if current >= 0 and position[c][current] < position[c][p]:
                continue
            holding[c] = p
            seats[p] -= 1
            if current >= 0:
                seats[current] += 1
                active.append(current)
    return tuple(holding)
