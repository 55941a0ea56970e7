"""The `policy-stable` mechanism: fair where the government's quotas allow
(matching.verify.PolicyStability), by algorithm, on the tie-broken
preferences of the market.

**Ceilings and mentors: flexible deferred acceptance.** Candidates propose
down their lists, as in deferred acceptance (Kamada and Kojima, "Efficient
matching under distributional constraints", AER 2015; hierarchies of regions
as in Goto et al., AIJ 2016). The ceilings on groups of placements (a
park's, a host's within it) and the mentors (each over the placements that
name it) form a tree over the placements, and each node holds at most its
limit in all. When a proposal takes a node past it:

* a placement rejects its worst holder;
* a mentor rejects its worst holder (the SPA-student rule of Abraham,
  Irving and Manlove 2007: with no ceiling this is matching.mechanisms.spa);
* a ceiling gives up the seat its round-robin over its children filled last:
  descending from it, the last child among those holding the most, down to a
  placement or a mentor, which rejects its worst.

Each node's choice is substitutable and obeys the law of aggregate demand, so
the outcome meets every ceiling and mentor capacity, is policy-stable (no
candidate envies a placement or mentor holding someone it ranks lower, and
every free seat a candidate wants lies in a group at its ceiling: the weak
stability of KK 2015, Theorem 2), and is strategy-proof for candidates
(KK 2015, Theorem 1; Hatfield and Milgrom 2005). Unlike plain stability
within the ceilings, such a matching always exists under them.

**Floors on groups of candidates placed anywhere** (the secondary-vocational
floor, a college's): where the matching above leaves a floor short, the
floor's members move up every placement's and mentor's ranking by the same
number of places (a ranking after another one place more, so that the lift
is one number: minority reserves in the manner of Hafalir, Yenmez and
Yildirim, TE 2013, as one reserve for the whole market), by a lift that
meets the floor exactly where one is found, else the least that meets it
(doubling, then narrowing). A member then holds a seat that someone outside
the group ranked above it wants only where the floor needs it: moving that
one in would take the floor below its minimum, which excuses the pair; within
the group and outside it each ranking keeps its order. Where no lift meets a
floor because ceilings send the lifted members away, the ceilings keep them
(their round-robin passes over them while anyone else holds a seat under
the ceiling); where even that falls short of a floor that some matching
meets, the welfare model with the fewest blocking pairs takes over
(matching.mechanisms.welfare, `relaxed`) and the result says so (its solver
and stability); where no matching meets the floors, it says which conflict
(asked first, of one maximum flow over the welfare model's network, so that
no lift is searched for floors no matching meets).

What holds and what cannot: with floors, fairness and non-wastefulness
conflict in general and a policy-stable matching need not exist (Fragiadakis,
Iwasaki, Troyan, Ueda and Yokoo, ACM TEAC 2015, for floors on placements);
for floors on candidates under our excuses, brute force over thousands of
random rounds of up to five candidates found none without one where the
floors can be met, and the mechanism returned one each time (a finding, not a
theorem; tests/mechanisms/test_flexible.py keeps checking it). The lift is
not strategy-proof: a member who lists fewer placements can change the lift
the others get.

Refused with an error naming the policy, never ignored: ceilings on groups
of candidates; floors that select placements (a park's minimum fill, or a
college's within a park: lifting candidates there cannot send them from
placements they prefer; the extended-seat and multi-stage deferred
acceptance of Fragiadakis et al. assume every candidate acceptable
everywhere, which our rounds are not); and ceilings or mentors on crossing
groups (kinds across parks: no strategy-proof mechanism finds a matching
making every policy-allowed move, Kamada and Kojima, JET 2017).

Each guarantee is tested against brute force and exhaustive misreports on
small rounds (tests/mechanisms/test_flexible.py).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.base import Assignment, Outcome, SolveOptions, SolverStatus
from matching.encode import Market
from matching.errors import UnsupportedOption
from matching.model import Stability
from matching.policygroups import PolicyGroup


@dataclass(frozen=True)
class PolicyTree:
    """Placements (nodes 0 … n − 1), then the ceilings and mentors over them,
    largest first, each under the smallest group that holds it."""

    n_placements: int
    parent: tuple[int, ...]
    limit: tuple[int, ...]
    order: tuple[int, ...]  # a child's place among its siblings: its smallest placement
    mentor: tuple[int, ...]  # the mentor a node is, else -1


def policy_tree(market: Market) -> PolicyTree:
    """The round's ceilings on groups of placements and its mentors as a tree:
    any two groups are disjoint or one holds the other. An UnsupportedOption
    names the first policy (or mentor) this mechanism cannot honour."""
    # members, limit, where a problem names it, how another's problem names it, mentor
    groups: list[tuple[frozenset[int], int, str, str, int]] = []
    for m, ps in _led(market).items():
        name = f"mentor {market.mentor_ids[m]!r}"
        groups.append((frozenset(ps), market.mentor_capacity[m], name, name, m))
    for g in market.policies:
        if g.max is None:
            continue  # a floor: see candidate_floors
        if g.candidates is not None or g.placements is None:
            raise UnsupportedOption(
                f"policies[{g.id!r}]: mechanism policy-stable supports ceilings on groups of "
                "placements only, not on candidates; use optimal"
            )
        if g.placements:  # a ceiling over no placement holds nothing back
            groups.append((g.placements, g.max, f"policies[{g.id!r}]", f"ceiling {g.id!r}", -1))
    for k, (members, _, where, _, _) in enumerate(groups):
        for other, _, _, other_name, _ in groups[:k]:
            if members & other and not (members <= other or other <= members):
                raise UnsupportedOption(
                    f"{where}: its placements cross those of {other_name} (neither holds the "
                    "other; mechanism policy-stable supports nested or disjoint groups); "
                    "use optimal"
                )
    n_p = market.n_placements
    # larger first; of equal groups, a ceiling above a mentor, the tighter inside
    tree = sorted(groups, key=lambda g: (-len(g[0]), g[4] >= 0, -g[1]))
    parent = [-1] * (n_p + len(tree))
    for k, (members, *_) in enumerate(tree):
        for j in range(k - 1, -1, -1):  # the smallest group before it that holds it
            if members <= tree[j][0]:
                parent[n_p + k] = n_p + j
                break
        for q in members:
            parent[q] = n_p + k  # overwritten by ever smaller groups: the innermost
    return PolicyTree(
        n_p,
        tuple(parent),
        tuple([*market.capacity, *(g[1] for g in tree)]),
        tuple([*range(n_p), *(min(g[0]) for g in tree)]),
        tuple([-1] * n_p + [g[4] for g in tree]),
    )


def _led(market: Market) -> dict[int, list[int]]:
    """Each mentor's placements, mentors in index order."""
    led: dict[int, list[int]] = {}
    for p, m in enumerate(market.mentor_of):
        if m >= 0:
            led.setdefault(m, []).append(p)
    return dict(sorted(led.items()))


def candidate_floors(market: Market) -> list[PolicyGroup]:
    """The round's floors, each on a group of candidates placed anywhere; a
    floor that selects placements is refused (lifting candidates at some
    placements cannot send them there from placements they prefer)."""
    floors = []
    for g in market.policies:
        if g.min is None:
            continue
        if g.candidates is None or g.placements is not None:
            raise UnsupportedOption(
                f"policies[{g.id!r}]: mechanism policy-stable supports floors on groups of "
                "candidates placed anywhere (a college's, a level's), not floors that select "
                "placements; use optimal"
            )
        floors.append(g)
    return floors


def deferred_acceptance(
    market: Market,
    tree: PolicyTree,
    rank: Sequence[dict[int, int]],
    mentor_rank: Sequence[dict[int, int]],
    kept: Sequence[frozenset[int]] = (),
) -> Assignment:
    """Candidate-proposing deferred acceptance over the tree, by the given
    rankings (the market's, or lifted). A placement over its capacity rejects
    its worst holder, a mentor its worst by its ranking; a ceiling gives up the
    seat its round-robin over its children (subgroups, mentors and placements,
    in the order of their smallest placement) filled last, found by
    descending: at each level the last child among those holding the most,
    down to a placement, which rejects its worst, or a mentor, which rejects
    its worst. Candidates in `kept[p]` (a floor's lifted members) are left out
    of the ceilings' round-robin while anyone else holds a seat under them.

    A placement whose only group is a ceiling at its limit, and which would be
    the one to give the seat back (it would hold the most, and be the last of
    those that do), takes a proposal as a full placement does: the proposer
    or its worst holder goes. Without lifted members that is what the ceiling
    does, in one step instead of five (take the seat, count up, descend, give
    it back, count down): on the national round with park ceilings, 98% of
    the ceilings' rejections."""
    prefs, n_p, n_c = market.prefs, tree.n_placements, market.n_candidates
    parent, limit, order, mentor = tree.parent, tree.limit, tree.order, tree.mentor
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
    step = n_c + 1  # a held heap's entry: -(rank · step + candidate)
    count = [0] * len(parent)  # seats held in the node's subtree
    loose = [0] * len(parent)  # … of them by candidates a ceiling may send away
    children: list[list[int]] = [[] for _ in parent]
    for node in sorted(range(len(parent)), key=order.__getitem__):
        if parent[node] >= 0:
            children[parent[node]].append(node)
    # per group, per number loose, the children holding that many as a set of
    # bits by their place among the group's children (the highest: the last),
    # and the most any child holds loose: the child that filled the group's
    # last round-robin seat is found in one step
    bit = [0] * len(parent)
    for kids in children:
        for i, node in enumerate(kids):
            bit[node] = 1 << i
    sized = [[0] * (2 + max((limit[k] for k in kids), default=0)) for kids in children]
    most = [0] * len(parent)
    # who holds a seat, worst on top: per placement -(rank · step + candidate)
    # of all and of the loose, per mentor (-mentor rank, candidate, placement); an
    # entry is stale once its candidate has left that placement (a candidate
    # never proposes to a placement twice)
    held: list[list[int]] = [[] for _ in range(n_p)]
    held_loose: list[list[int]] = [[] for _ in range(n_p)] if kept else held
    led: dict[int, list[tuple[int, int, int]]] = {}
    above: list[list[int]] = []  # per placement: the groups over it, innermost first
    for p in range(n_p):
        groups, node = [], parent[p]
        while node >= 0:
            groups.append(node)
            node = parent[node]
        above.append(groups)
    # per placement: (node, its group) from the placement up, the root's group -1
    chain = [list(zip([p, *groups], [*groups, -1], strict=True)) for p, groups in enumerate(above)]
    led_above = [[node for node in groups if mentor[node] >= 0] for groups in above]
    # a placement's group where that is its only one and a ceiling, else -1
    solo = [gs[0] if len(gs) == 1 and mentor[gs[0]] < 0 else -1 for gs in above]
    where = [-1] * n_c
    is_kept = [False] * n_c
    nxt = [0] * n_c
    free = list(range(n_c - 1, -1, -1))

    def moved(p: int, by: int, loosely: bool) -> None:
        """Count `by` (±1) more seats at p and in every group above it."""
        for node, up in chain[p]:
            count[node] += by
            if loosely:
                before = loose[node]
                loose[node] = after = before + by
                if up >= 0:
                    sizes, b = sized[up], bit[node]
                    sizes[before] ^= b
                    sizes[after] ^= b
                    if after > most[up] or (before == most[up] and not sizes[before]):
                        most[up] = after

    def worst(heap: list[int], p: int) -> int:
        c = -heap[0] % step
        while where[c] != p:
            pop(heap)
            c = -heap[0] % step
        return c

    def leave(c: int) -> None:
        moved(where[c], -1, not is_kept[c])
        where[c] = -1
        free.append(c)

    def sent_away(group: int) -> int:
        """Whom a ceiling over its max sends away."""
        node = group
        while node >= n_p and mentor[node] < 0:
            if most[node]:
                node = children[node][sized[node][most[node]].bit_length() - 1]
            else:  # every holder is kept: the last child holding any
                node = next(k for k in reversed(children[node]) if count[k])
        if node >= n_p:
            heap = led[node]
            while where[heap[0][1]] != heap[0][2]:
                pop(heap)
            return heap[0][1]
        return worst(held_loose[node] if loose[node] else held[node], node)

    while free:
        c = free.pop()
        mine = prefs[c]
        for k in range(nxt[c], len(mine)):
            p = mine[k]
            r = rank[p][c] * step + c  # the order of the held heaps' entries
            keep = c in kept[p] if kept else False
            here = count[p]
            full = here >= limit[p]
            if not full and not kept and (g := solo[p]) >= 0 and count[g] >= limit[g]:
                # would p, one more seat held, hold the most and be the last of those?
                full = here >= most[g] or (here + 1 == most[g] and sized[g][most[g]] < bit[p])
            heap = held[p]
            if full:
                if not here:
                    continue  # no seat at all
                loser = -heap[0] % step
                while where[loser] != p:
                    pop(heap)
                    loser = -heap[0] % step
                if -heap[0] < r:
                    continue  # p prefers all it holds
                swapped = is_kept[loser] == keep  # a swap: no count changes
                if swapped:
                    replace(heap, -r)  # c's entry in the loser's place
                    where[loser] = -1
                    free.append(loser)
                else:
                    leave(loser)
            else:
                swapped = False
            is_kept[c] = keep
            where[c] = p
            if kept and not keep:
                push(held_loose[p], -r)
            for node in led_above[p]:
                push(led.setdefault(node, []), (-mentor_rank[mentor[node]][c], c, p))
            if not swapped:
                push(heap, -r)
                moved(p, 1, not keep)
                for node in above[p]:
                    if count[node] > limit[node]:
                        leave(sent_away(node))
            nxt[c] = k + 1
            break
    return tuple(where)


class Lifts:
    """The placements' and mentors' rankings with each floor's members moved
    up. A floor's lift is one number t: with R
    rankers (placements without a mentor, and mentors, in the order of their
    smallest placement), every ranker lifts the members t // R places and the
    first t % R rankers one place more, so that t + 1 lifts one ranker one
    place more than t does. The lifts of the floors a candidate is in add up;
    otherwise each ranking keeps its order, ties by the old rank."""

    def __init__(self, market: Market, floors: list[PolicyGroup]) -> None:
        self.market = market
        rankers = [(p, -1, [p]) for p, m in enumerate(market.mentor_of) if m < 0]
        rankers += [(ps[0], m, ps) for m, ps in _led(market).items()]
        rankers.sort()
        self.rankers = [(m, ps) for _, m, ps in rankers]
        self.n = n = market.n_candidates + 1
        # every ranker's ranking as arrays (a national round's two million
        # entries at C speed): the candidates by ranker, then old rank
        tables = [
            market.mentor_rank[m] if m >= 0 else market.place_rank[ps[0]] for m, ps in self.rankers
        ]
        sizes = np.fromiter(map(len, tables), np.int64, len(tables))
        start = np.zeros(len(tables) + 1, np.int64)
        np.cumsum(sizes, out=start[1:])
        row = np.repeat(np.arange(len(tables), dtype=np.int64), sizes)
        cands = np.fromiter(itertools.chain.from_iterable(tables), np.int64, int(start[-1]))
        old = np.fromiter(
            itertools.chain.from_iterable(t.values() for t in tables), np.int64, int(start[-1])
        )
        cands = cands[np.lexsort((old, row))]
        del old
        place = np.arange(len(cands), dtype=np.int64) - start[row]  # 0… within its ranker
        keys: list[int] = cands.tolist()
        bounds: list[int] = start.tolist()
        ranks: list[int] = (place * n + place).tolist()
        self.base = [
            dict(zip(keys[a:b], ranks[a:b], strict=True)) for a, b in itertools.pairwise(bounds)
        ]
        # per floor, per ranker: the members it would lift, in the ranker's order
        self.members: list[list[list[int]]] = []
        for g in floors:
            inside = np.zeros(n, bool)
            inside[list(g.candidates or ())] = True
            at = np.flatnonzero(inside[cands])
            who: list[int] = cands[at].tolist()
            cuts: list[int] = np.searchsorted(at, start).tolist()
            self.members.append([who[a:b] for a, b in itertools.pairwise(cuts)])
        # a lift that puts every member above everybody at every ranker
        self.full = (1 + max(map(len, self.base), default=0)) * max(len(self.rankers), 1)

    def ranks(
        self, lift: tuple[int, ...], keep: bool
    ) -> tuple[list[dict[int, int]], list[dict[int, int]], list[frozenset[int]]]:
        """The placements' and mentors' rankings under the floors' lifts, and,
        with `keep`, whom each placement lifts (the ceilings keep them; see
        deferred_acceptance)."""
        market, n, count = self.market, self.n, max(len(self.rankers), 1)
        rank: list[dict[int, int]] = [{} for _ in range(market.n_placements)]
        mentor_rank: list[dict[int, int]] = [{} for _ in market.mentor_ids]
        kept: list[frozenset[int]] = [frozenset()] * market.n_placements if keep else []
        # the floors lifted at all, each as t // R and t % R
        lifted_floors = [(k, t // count, t % count) for k, t in enumerate(lift) if t]
        for r, ((m, ps), base) in enumerate(zip(self.rankers, self.base, strict=True)):
            ranks = base
            lifted: set[int] = set()
            for k, whole, part in lifted_floors:
                up, who = whole + (r < part), self.members[k][r]
                if up and who:
                    if ranks is base:
                        ranks = dict(base)
                    down = up * n
                    for c in who:
                        ranks[c] -= down
                    if keep:
                        lifted.update(who)
            if m >= 0:
                mentor_rank[m] = ranks
            for p in ps:
                rank[p] = ranks  # read only for p's own applicants
            if keep:
                mine = frozenset(lifted)
                for p in ps:
                    kept[p] = mine
        return rank, mentor_rank, kept


def policy_stable(market: Market, options: SolveOptions) -> Outcome:
    """Flexible deferred acceptance, the floors' members lifted where a floor
    is short; where no lift meets the floors, the welfare model with the
    fewest blocking pairs (see the module's docstring)."""
    found = lifted_matching(market)
    if found is not None:
        return Outcome(found)
    from matching.mechanisms.welfare import optimal

    relaxed = SolveOptions(Stability.RELAXED, options.solver, options.time_limit)
    return optimal(market, relaxed, lifts=False)  # not the lift search again


def lifted_matching(market: Market) -> Assignment | None:
    """Flexible deferred acceptance, with each short floor's members lifted by
    the least that meets it; None where no lift meets every floor."""
    tree = policy_tree(market)
    floors = candidate_floors(market)
    plain = deferred_acceptance(market, tree, market.place_rank, market.mentor_rank)
    if _meets(market, plain):
        return plain
    if not _some_matching_meets(market):
        return None  # no lift meets floors no matching meets
    lifts = Lifts(market, floors)
    for keep in (False, True):
        lifted = _least_lift(market, tree, floors, lifts, plain, keep)
        if _meets(market, lifted):
            return lifted
    return None


def _least_lift(
    market: Market,
    tree: PolicyTree,
    floors: list[PolicyGroup],
    lifts: Lifts,
    plain: Assignment,
    keep: bool,
) -> Assignment:
    """The matching under a lift of each floor that meets it exactly, else the
    least that meets it (or the full lift, where none does), every floor's
    lift searched at once: doubled until it meets the floor, then narrowed,
    each step guessing from the two ends' values where the floor is met
    exactly (every other step halving, so that the search ends whatever the
    values). With `keep`, the ceilings keep the lifted members."""
    step = max(len(lifts.rankers), 1)  # one place at every ranker
    at = [k for k, g in enumerate(market.policies) if g.min is not None]  # the floors' places
    low = [(0, -1)] * len(floors)  # (lift, value) known to leave the floor short
    high: list[tuple[int, int] | None] = [None] * len(floors)  # … known to meet it
    lift = (0,) * len(floors)
    tried: dict[tuple[int, ...], Assignment] = {lift: plain}
    for turn in itertools.count():
        values = market.coverage.values(tried[lift])
        nxt = []
        for k, g in enumerate(floors):
            t, v, want = lift[k], values[at[k]], g.min or 0
            hi = high[k]
            if v >= want and (hi is None or t < hi[0]):
                high[k] = hi = (t, v)
            elif v < want and t >= low[k][0]:
                low[k] = (t, v)
            lo_t, lo_v = low[k]
            if hi is None:
                nxt.append(min(lifts.full, max(step, 2 * t)))
            elif hi[0] - lo_t <= 1 or hi[1] == want:  # the least, or exactly met
                nxt.append(hi[0])
            elif turn % 2 and hi[1] > lo_v:
                guess = lo_t + -(-(hi[0] - lo_t) * (want - lo_v) // (hi[1] - lo_v))
                nxt.append(min(max(guess, lo_t + 1), hi[0] - 1))
            else:
                nxt.append((lo_t + hi[0]) // 2)
        key = tuple(nxt)
        if key in tried:
            return tried[key]
        rank, mentor_rank, kept = lifts.ranks(key, keep)
        tried[key] = deferred_acceptance(market, tree, rank, mentor_rank, kept)
        lift = key
    raise AssertionError("unreachable")


def _some_matching_meets(market: Market) -> bool:
    """Whether some matching meets every policy, asked of the welfare model's
    network (one maximum flow, a second on a national round, where the lift
    search would run deferred acceptance dozens of times in vain); True where
    the policies do not form a network."""
    from matching.solvers.network import network, within_bounds

    net = network(market, market.policies)
    return net is None or within_bounds(market, net).status is not SolverStatus.INFEASIBLE


def _meets(market: Market, a: Assignment) -> bool:
    """Whether `a` meets every floor."""
    values = market.coverage.values(a)
    return all(v >= g.min for g, v in zip(market.policies, values, strict=True) if g.min)
