"""SPA-student: the student-optimal stable matching of the student–project
allocation problem (Abraham, Irving and Manlove, "Two algorithms for the
Student-Project Allocation problem", J. Discrete Algorithms 5(1), 2007, §3).

Placements are the projects and mentors the lecturers; a placement without a
mentor acts as its own lecturer with its own capacity, so with no mentors
this is candidate-proposing deferred acceptance. A mentor's ranking of its
placements' applicants (``Market.place_rank``) is the lecturer's list ``L_k``;
a placement's projected list ``L_k^j`` is the same order restricted to its
acceptable candidates.

Deletions are kept as rank thresholds: once a project (a lecturer) is full,
every candidate ranked below its worst assignee is deleted from it (from all
of its projects). Thresholds only fall, exactly as deletions only accumulate.
Every candidate gets the best project it has in any stable matching. The
paper's algorithm runs in O(total length of the preference lists); the heaps
add a log factor.
"""

from __future__ import annotations

import heapq

from matching.base import Assignment
from matching.encode import Market


class _Seats:
    """Who holds seats at one project or lecturer; the worst found lazily."""

    __slots__ = ("capacity", "count", "heap", "threshold")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.count = 0
        self.heap: list[tuple[int, int, int]] = []  # (-rank, candidate, stamp)
        self.threshold = float("inf")

    def worst(self, stamp: list[int]) -> tuple[int, int]:
        heap = self.heap
        while heap[0][2] != stamp[heap[0][1]]:
            heapq.heappop(heap)
        return -heap[0][0], heap[0][1]


def spa_student(market: Market) -> Assignment:
    n_mentors = len(market.mentor_ids)
    lecturer = [m if m >= 0 else n_mentors + p for p, m in enumerate(market.mentor_of)]
    projects = [_Seats(cap) for cap in market.capacity]
    lecturers = [_Seats(cap) for cap in market.mentor_capacity]
    lecturers += [_Seats(cap) for cap in market.capacity]
    rank = market.place_rank
    prefs = market.prefs
    assigned = [-1] * market.n_candidates
    stamp = [0] * market.n_candidates  # changes whenever c's assignment does
    nxt = [0] * market.n_candidates

    def unassign(c: int) -> None:
        p = assigned[c]
        projects[p].count -= 1
        lecturers[lecturer[p]].count -= 1
        assigned[c] = -1
        stamp[c] += 1
        free.append(c)

    free = list(range(market.n_candidates - 1, -1, -1))
    while free:
        c = free.pop()
        mine = prefs[c]
        while nxt[c] < len(mine):
            p = mine[nxt[c]]
            nxt[c] += 1
            r = rank[p][c]
            proj, lect = projects[p], lecturers[lecturer[p]]
            if r > proj.threshold or r > lect.threshold:
                continue  # (c, p) was deleted
            assigned[c] = p
            stamp[c] += 1
            for seats in (proj, lect):
                seats.count += 1
                heapq.heappush(seats.heap, (-r, c, stamp[c]))
            if proj.count > proj.capacity:
                unassign(proj.worst(stamp)[1])
            elif lect.count > lect.capacity:
                unassign(lect.worst(stamp)[1])
            for seats in (proj, lect):
                if seats.count == seats.capacity:
                    seats.threshold = min(seats.threshold, seats.worst(stamp)[0])
            break
    return tuple(assigned)


def spa_lecturer(market: Market) -> Assignment:
    """SPA-lecturer (Abraham, Irving and Manlove 2007, §4): the
    lecturer-optimal stable matching, which is the student-pessimal one. An
    undersubscribed lecturer offers to the first student on its list who
    still lists, above its current project, an undersubscribed project of
    that lecturer; the student takes the first such project on its own list
    and deletes every project after it. A lecturer whose project someone
    leaves looks down its list from the top again (an earlier student may
    now qualify); otherwise it goes on from where it was.

    With no mentors it is placement-proposing deferred acceptance."""
    n_mentors = len(market.mentor_ids)
    lecturer = [m if m >= 0 else n_mentors + p for p, m in enumerate(market.mentor_of)]
    n_lecturers = n_mentors + market.n_placements
    capacity = [*market.mentor_capacity, *market.capacity]
    ranking: list[dict[int, int]] = [*market.mentor_rank, *market.place_rank]
    # each lecturer's list, best first: those its own placements rank
    order: list[list[int]] = [[] for _ in range(n_lecturers)]
    for k in range(n_lecturers):
        if k < n_mentors or market.mentor_of[k - n_mentors] < 0:
            order[k] = sorted(ranking[k], key=ranking[k].__getitem__)
    prefs = market.prefs
    cut = [len(ps) for ps in prefs]  # a student's list ends before this index
    position = [dict(zip(ps, range(len(ps)), strict=True)) for ps in prefs]
    assigned = [-1] * market.n_candidates
    count = [0] * market.n_placements
    load = [0] * n_lecturers
    pointer = [0] * n_lecturers
    waiting = [k for k in range(n_lecturers - 1, -1, -1) if order[k] and capacity[k] > 0]
    queued = set(waiting)

    def offer(k: int, s: int) -> int:
        """The first project of lecturer k that s lists above its own, not
        deleted, undersubscribed (-1: none)."""
        for p in prefs[s][: cut[s]]:
            if lecturer[p] == k and count[p] < market.capacity[p] and p != assigned[s]:
                return p
        return -1

    while waiting:
        k = waiting.pop()
        queued.discard(k)
        students = order[k]
        while load[k] < capacity[k] and pointer[k] < len(students):
            s = students[pointer[k]]
            p = offer(k, s)
            if p < 0:
                pointer[k] += 1
                continue
            old = assigned[s]
            if old >= 0:
                count[old] -= 1
                load[lecturer[old]] -= 1
                back = lecturer[old]
                pointer[back] = 0
                if back not in queued and back != k:
                    queued.add(back)
                    waiting.append(back)
            assigned[s] = p
            count[p] += 1
            load[k] += 1
            cut[s] = position[s][p] + 1  # every project after p deleted
    return tuple(assigned)
