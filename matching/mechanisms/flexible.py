"""Flexible deferred acceptance for ceilings on nested or disjoint groups of
placements (Kamada and Kojima, "Efficient matching under distributional
constraints", AER 2015; hierarchies of regions as in Goto et al., AIJ 2016),
on the tie-broken preferences of the market.

Candidates propose down their lists, as in deferred acceptance. Each
placement holds its best proposers up to its capacity; a group of placements
under a ceiling (a park's, a host's within it) holds at most its `max` in
all: when a proposal takes it past that, the group gives up the seat its
round-robin filled last (its children, subgroups and placements in a fixed
order, each taking its next seat in turn): descending from the group, the
last child among those holding the most, down to a placement's worst holder.
The groups' choice is substitutable and obeys the law of aggregate demand,
so the outcome

* meets every ceiling, and
* is policy-stable (matching.verify.PolicyStability): no candidate envies
  a placement holding someone it ranks lower, and every free seat a
  candidate wants lies in a group at its ceiling ("weak stability", KK 2015,
  Theorem 2), and
* is strategy-proof for candidates (KK 2015, Theorem 1),

each tested against brute force and exhaustive misreports on small rounds
with nested and disjoint ceilings (tests/mechanisms/test_flexible.py).
Unlike plain stability within the ceilings, such a matching always exists
under them.

What the literature proves cannot be had, and is therefore refused here with
an error naming the policy rather than ignored: under floors, fairness (no
envy) and non-wastefulness conflict, and a policy-stable matching need not
exist (Fragiadakis, Iwasaki, Troyan, Ueda and Yokoo, ACM TEAC 2015); with
ceilings on crossing groups (kinds across parks) no strategy-proof mechanism
finds a matching making every policy-allowed move (Kamada and Kojima, JET
2017). Mentors (SPA) are not built yet.
"""

from __future__ import annotations

import heapq

from matching.base import Assignment
from matching.encode import Market
from matching.errors import UnsupportedOption


def ceiling_groups(market: Market) -> list[tuple[frozenset[int], int]]:
    """The round's ceilings as (member placements, max), laminar: any two
    groups are disjoint or one holds the other. An UnsupportedOption names the
    first policy this mechanism cannot honour."""
    if market.has_mentors:
        raise UnsupportedOption(
            "mechanism policy-stable does not support mentors yet; use stable or optimal"
        )
    groups: list[tuple[frozenset[int], int, str]] = []
    for g in market.policies:
        if g.min is not None:
            raise UnsupportedOption(
                f"policies[{g.id!r}]: mechanism policy-stable does not support floors "
                "(a policy-stable matching may not exist under them); use optimal"
            )
        if g.candidates is not None or g.placements is None:
            raise UnsupportedOption(
                f"policies[{g.id!r}]: mechanism policy-stable supports ceilings on groups of "
                "placements only, not on candidates; use optimal"
            )
        assert g.max is not None
        for other, _, name in groups:
            if g.placements & other and not (g.placements <= other or other <= g.placements):
                raise UnsupportedOption(
                    f"policies[{g.id!r}]: its placements cross those of ceiling {name!r} "
                    "(neither holds the other; mechanism policy-stable supports nested or "
                    "disjoint groups); use optimal"
                )
        groups.append((g.placements, g.max, g.id))
    # a ceiling over no placement holds nothing back
    return [(members, cap) for members, cap, _ in groups if members]


def flexible_deferred_acceptance(market: Market) -> Assignment:
    """Candidate-proposing deferred acceptance under laminar ceilings. The
    groups form a tree over the placements (a group's parent: the smallest
    group holding it); a group over its max gives up the seat its round-robin
    over its children (subgroups and placements, in the order of their
    smallest placement index) filled last, found by descending: at each
    level the last child among those holding the most."""
    groups = ceiling_groups(market)
    prefs, rank, capacity = market.prefs, market.place_rank, market.capacity
    n_p = market.n_placements
    # nodes: the placements (0 … n_p − 1), then the groups, largest first
    tree = sorted(groups, key=lambda g: (-len(g[0]), -g[1]))
    parent = [-1] * (n_p + len(tree))
    limit = [0] * n_p + [cap for _, cap in tree]
    for k, (members, _) in enumerate(tree):
        node = n_p + k
        # the smallest group before it (as large or larger) that holds it
        for j in range(k - 1, -1, -1):
            if members <= tree[j][0]:
                parent[node] = n_p + j
                break
        for q in members:
            parent[q] = node  # overwritten by ever smaller groups: the innermost
    first = [min(members) for members, _ in tree]
    order = list(range(n_p)) + first  # a child's place among its siblings
    count = [0] * len(parent)  # seats held in the node's subtree
    # per group and count, its children holding that many (a max-heap of
    # (position, node), stale entries skipped): the last child among those
    # holding the most is found without scanning the group
    sized: list[dict[int, list[tuple[int, int]]]] = [{} for _ in parent]
    held: list[list[tuple[int, int]]] = [[] for _ in capacity]  # max-heap by rank: (-rank, c)
    nxt = [0] * market.n_candidates
    free = list(range(market.n_candidates - 1, -1, -1))

    def moved(node: int, by: int) -> list[int]:
        """Count `by` more seats in `node` and every group above it; the groups, innermost first."""
        chain = []
        while node >= 0:
            count[node] += by
            up = parent[node]
            if up >= 0:
                heapq.heappush(sized[up].setdefault(count[node], []), (-order[node], node))
                chain.append(up)
            node = up
        return chain

    while free:
        c = free.pop()
        mine = prefs[c]
        while nxt[c] < len(mine):
            p = mine[nxt[c]]
            nxt[c] += 1
            r = rank[p][c]
            heap = held[p]
            if len(heap) >= capacity[p]:
                if -heap[0][0] < r:
                    continue  # p prefers all it holds
                _, loser = heapq.heapreplace(heap, (-r, c))
                free.append(loser)
                break
            heapq.heappush(heap, (-r, c))
            for group in moved(p, 1):
                if count[group] > limit[group]:
                    node = group
                    while node >= n_p:
                        node = _last_of_the_largest(sized[node], count)
                    _, loser = heapq.heappop(held[node])
                    moved(node, -1)
                    free.append(loser)
            break
    assignment = [-1] * market.n_candidates
    for q, heap in enumerate(held):
        for _, c in heap:
            assignment[c] = q
    return tuple(assignment)


def _last_of_the_largest(sized: dict[int, list[tuple[int, int]]], count: list[int]) -> int:
    """The child that filled the group's last round-robin seat: among those
    holding the most, the last in the group's order."""
    for size in sorted(sized, reverse=True):
        heap = sized[size]
        while heap:
            _, node = heap[0]
            if count[node] == size and size > 0:
                return node
            heapq.heappop(heap)  # stale: the child holds another number now
    raise AssertionError("a group over its ceiling holds nobody")
