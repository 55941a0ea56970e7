"""Flexible deferred acceptance for ceilings on disjoint groups of placements
(Kamada and Kojima, "Efficient matching under distributional constraints",
AER 2015), on the tie-broken preferences of the market.

Candidates propose down their lists, as in deferred acceptance. Each
placement holds its best proposers up to its capacity; a group of placements
under a ceiling (a park's, a host's) holds at most its `max` in all: when a
proposal takes it past that, the group gives up the seat its round-robin
filled last (its members in a fixed order, each taking its next-best holder
in turn), that is the worst holder of the last member, in order, among those
holding the most. The group's choice is substitutable and obeys the law of
aggregate demand, so the outcome

* meets every ceiling, and
* is policy-stable (matching.verify.PolicyStability): no candidate envies
  a placement holding someone it ranks lower, and every free seat a
  candidate wants lies in a group at its ceiling ("weak stability", KK 2015,
  Theorem 2), and
* is strategy-proof for candidates (KK 2015, Theorem 1),

each tested against brute force and exhaustive misreports on small rounds
(tests/mechanisms/test_flexible.py). Unlike plain stability, such a matching
always exists under ceilings on disjoint groups.

What the literature proves cannot be had, and is therefore refused here with
an error naming the policy rather than ignored: under floors, fairness (no
envy) and non-wastefulness conflict, and a policy-stable matching need not
exist (Fragiadakis, Iwasaki, Troyan, Ueda and Yokoo, ACM TEAC 2015); with
ceilings on crossing groups (kinds across parks) no strategy-proof mechanism
finds a matching making every policy-allowed move (Kamada and Kojima, JET
2017). Nested ceilings (hosts within parks) and mentors (SPA) are not built
yet.
"""

from __future__ import annotations

import heapq

from matching.base import Assignment
from matching.encode import Market
from matching.errors import UnsupportedOption


def ceiling_groups(market: Market) -> list[tuple[tuple[int, ...], int]]:
    """The round's ceilings as (member placements in index order, max); an
    UnsupportedOption naming the first policy this mechanism cannot honour."""
    if market.has_mentors:
        raise UnsupportedOption(
            "mechanism policy-stable does not support mentors yet; use stable or optimal"
        )
    groups: list[tuple[tuple[int, ...], int]] = []
    owner: dict[int, str] = {}
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
        members = tuple(sorted(g.placements))
        for p in members:
            if p in owner:
                raise UnsupportedOption(
                    f"policies[{g.id!r}]: its placements overlap those of ceiling "
                    f"{owner[p]!r} (mechanism policy-stable supports disjoint groups); "
                    "use optimal"
                )
            owner[p] = g.id
        groups.append((members, g.max))
    return groups


def flexible_deferred_acceptance(market: Market) -> Assignment:
    groups = ceiling_groups(market)
    prefs, rank, capacity = market.prefs, market.place_rank, market.capacity
    group_of = [-1] * market.n_placements
    order = [0] * market.n_placements  # a placement's position within its group
    for g, (members, _) in enumerate(groups):
        for i, p in enumerate(members):
            group_of[p], order[p] = g, i
    limit = [cap for _, cap in groups]
    total = [0] * len(groups)
    # per group and size, the members holding that many (a max-heap of
    # (position, placement), stale entries skipped): the last member among
    # those holding the most is found without scanning the group
    sized: list[dict[int, list[tuple[int, int]]]] = [{} for _ in groups]
    held: list[list[tuple[int, int]]] = [[] for _ in capacity]  # max-heap by rank: (-rank, c)
    nxt = [0] * market.n_candidates
    free = list(range(market.n_candidates - 1, -1, -1))

    def resized(p: int) -> None:
        g = group_of[p]
        heapq.heappush(sized[g].setdefault(len(held[p]), []), (-order[p], p))

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
            g = group_of[p]
            if g < 0:
                break
            resized(p)
            total[g] += 1
            if total[g] > limit[g]:
                q = _last_of_the_largest(sized[g], held)
                _, loser = heapq.heappop(held[q])
                total[g] -= 1
                resized(q)
                free.append(loser)
            break
    assignment = [-1] * market.n_candidates
    for p, heap in enumerate(held):
        for _, c in heap:
            assignment[c] = p
    return tuple(assignment)


def _last_of_the_largest(
    sized: dict[int, list[tuple[int, int]]], held: list[list[tuple[int, int]]]
) -> int:
    """The member that filled the group's last round-robin seat: among those
    holding the most, the last in the group's order."""
    for size in sorted(sized, reverse=True):
        heap = sized[size]
        while heap:
            _, p = heap[0]
            if len(held[p]) == size:
                return p
            heapq.heappop(heap)  # stale: p holds another number now
    raise AssertionError("a group over its ceiling holds nobody")
