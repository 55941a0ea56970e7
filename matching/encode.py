"""The market: a validated round encoded as integer indices, the only place
positions exist.

Candidates, placements and mentors are numbered in id order. Everything a
mechanism or checker needs is precomputed here once, so that they never touch
ids, the graph or the document:

* the **lottery**: ``random.Random(seed)`` shuffles the sorted candidate ids
  (one order that breaks every placement's and mentor's ties: single
  tie-breaking), then the sorted placement ids (which breaks candidates' own
  ties). Same document and seed, same draw, whatever the file order.
* **acceptability**: (c, p) is acceptable when p is in c's preferences, c is in
  p's ranking (if p has one) and in p's mentor's ranking (if p has a mentor
  with one), and the pair breaks no eligibility rule of the graph.
* **ranks**: candidates' tie-broken preference lists over acceptable
  placements; each placement's strict rank of its acceptable candidates
  (``group * N + lottery``), where the group comes from the mentor's ranking for
  a mentor-led placement, from the placement's own ranking, or else from the
  graph's default score (higher first).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from typing import Any

from matching.graph import ConsortiumGraph
from matching.model import (
    Candidate,
    Mentor,
    OrgKind,
    OverrideKind,
    Placement,
    Ranking,
    Reason,
    Round,
)
from matching.policygroups import Coverage, PolicyGroup, Selections, resolve


class Affinities:
    """Graph affinity of each candidate's college or institute for each
    placement's host: the table is worked out when first read (the welfare
    objective and the metrics read it; scipy is imported then)."""

    def __init__(self, graph: ConsortiumGraph, round_: Round) -> None:
        sources = [c.affiliation for c in round_.candidates]
        hosts = [p.host for p in round_.placements]
        self._graph = graph
        self._sources = sorted({s for s in sources if s is not None})
        self._hosts = sorted(set(hosts))
        code: dict[str | None, int] = {s: i + 1 for i, s in enumerate(self._sources)}
        code[None] = 0  # no college or institute: no affinity
        host_code = {h: i for i, h in enumerate(self._hosts)}
        self.source_of = tuple(map(code.__getitem__, sources))
        self.host_of = tuple(map(host_code.__getitem__, hosts))

    @cached_property
    def table(self) -> Any:
        """Sources (0: none, then each college or institute) × hosts."""
        return self._graph.affinities([None, *self._sources], self._hosts)

    def of(self, c: int, p: int) -> float:
        return float(self.table[self.source_of[c], self.host_of[p]])


@dataclass(frozen=True)
class Market:
    candidate_ids: tuple[str, ...]
    placement_ids: tuple[str, ...]
    mentor_ids: tuple[str, ...]
    lottery: tuple[int, ...]
    # candidate side
    prefs: tuple[tuple[int, ...], ...]
    listed: tuple[tuple[int, ...], ...]
    pref_rank: tuple[dict[int, int], ...]
    pref_groups: tuple[int, ...]
    refusals: dict[tuple[int, int], tuple[Reason, str | None]]
    # placement side
    capacity: tuple[int, ...]
    mentor_of: tuple[int, ...]
    place_rank: tuple[dict[int, int], ...]
    place_groups: tuple[int, ...]
    mentor_capacity: tuple[int, ...]
    mentor_rank: tuple[dict[int, int], ...]
    policies: tuple[PolicyGroup, ...]
    affinities: Affinities
    # what the metrics count by, worked out here so they need neither round nor graph
    parks: tuple[str, ...]  # every park, in id order
    park_of: tuple[frozenset[str], ...]  # each placement's parks
    affiliation_of: tuple[str | None, ...]  # each candidate's college or institute
    kind_of: tuple[str, ...]
    tier_of: tuple[str | None, ...]
    # the coordinator's pins, candidate → placement (matching.overrides)
    pinned: dict[int, int] = field(default_factory=dict)

    @property
    def n_candidates(self) -> int:
        return len(self.candidate_ids)

    @property
    def n_placements(self) -> int:
        return len(self.placement_ids)

    def place_group(self, p: int, c: int) -> int:
        """c's 0-based group in p's ranking (the rank is ``group * N + lottery``)."""
        return self.place_rank[p][c] // len(self.candidate_ids)

    @cached_property
    def coverage(self) -> Coverage:
        """Which policies cover each pair (worked out when first asked)."""
        return Coverage(self.policies, self.n_candidates)

    @property
    def has_mentors(self) -> bool:
        return any(m >= 0 for m in self.mentor_of)

    def affinity(self, c: int, p: int) -> float:
        """Graph affinity of candidate c for placement p."""
        return self.affinities.of(c, p)

    def pair_columns(self) -> tuple[Any, Any]:
        """Every acceptable pair in `pairs()` order, as two numpy arrays (candidate
        indices, placement indices)."""
        import numpy as np

        size = sum(map(len, self.prefs))
        cands = np.repeat(np.arange(len(self.prefs), dtype=np.int64), list(map(len, self.prefs)))
        places = np.fromiter(chain.from_iterable(self.prefs), dtype=np.int64, count=size)
        return cands, places

    def pairs(self) -> Iterable[tuple[int, int]]:
        """Every acceptable pair, candidates in index order, placements in preference order."""
        for c, ps in enumerate(self.prefs):
            for p in ps:
                yield c, p


def draw_lottery(
    seed: int, candidate_ids: Iterable[str], placement_ids: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    rng = random.Random(seed)
    cands = sorted(candidate_ids)
    places = sorted(placement_ids)
    rng.shuffle(cands)
    rng.shuffle(places)
    return ({c: i for i, c in enumerate(cands)}, {p: i for i, p in enumerate(places)})


def _kept_order(old: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    """Positions 0… for the ids of `new`: those in `old` in its order first,
    then the others in `new`'s."""
    order = sorted(new, key=lambda i: (0, old[i]) if i in old else (1, new[i]))
    return {ident: n for n, ident in enumerate(order)}


def _groups(ranking: Ranking) -> dict[str, int]:
    return {item: g for g, group in enumerate(ranking) for item in group}


def encode(
    round_: Round, graph: ConsortiumGraph | None = None, ties_from: Round | None = None
) -> Market:
    """The market of a validated round: ids ↔ indices, the lottery, each side's
    orders, refusals, capacities and policy groups (one function per side).

    `ties_from`: the round whose lottery breaks ties (a re-match breaks them
    as the published round did: its candidates and placements keep their
    order, those new since come after, in this round's own order)."""
    graph = graph or ConsortiumGraph(round_)
    cands = round_.candidates
    places = round_.placements
    c_index = {c.id: i for i, c in enumerate(cands)}
    p_index = {p.id: i for i, p in enumerate(places)}
    m_index = {m.id: i for i, m in enumerate(round_.mentors)}
    c_lot, p_lot = draw_lottery(round_.seed, c_index, p_index)
    if ties_from is not None:
        c_old, p_old = draw_lottery(
            ties_from.seed,
            [c.id for c in ties_from.candidates],
            [p.id for p in ties_from.placements],
        )
        c_lot, p_lot = _kept_order(c_old, c_lot), _kept_order(p_old, p_lot)
    lottery = tuple(c_lot[c.id] for c in cands)
    mentor_of = tuple(m_index[p.mentor] if p.mentor is not None else -1 for p in places)
    accepts = _acceptance(round_, mentor_of)
    listed, pref_rank, listers = _candidate_side(round_, p_index, p_lot)
    place_rank, refusals = _placement_side(round_, graph, accepts, listers, lottery, mentor_of)
    pinned: dict[int, int] = {}
    for o in round_.overrides:
        c, p = c_index[o.candidate], p_index[o.placement]
        if o.kind is OverrideKind.FORBID:
            refusals[(c, p)] = (Reason.FORBIDDEN, None)
            place_rank[p].pop(c, None)
        else:  # a pin: acceptable whatever the ranking or the rules say
            refusals.pop((c, p), None)
            pinned[c] = p
    refused: dict[int, set[int]] = {}
    for c, p in refusals:
        refused.setdefault(c, set()).add(p)
    prefs = tuple(
        tuple(p for p in order if p not in refused[c]) if c in refused else order
        for c, order in enumerate(listed)
    )
    n = len(cands)
    place_groups = [
        _written_groups(placement, round_.mentors[m] if m >= 0 else None)
        or max(ranks.values(), default=0) // max(n, 1) + 1
        for placement, m, ranks in zip(places, mentor_of, place_rank, strict=True)
    ]
    for c, p in pinned.items():  # a pinned candidate p does not rank: after all it ranks
        place_rank[p].setdefault(c, place_groups[p] * n + lottery[c])
    selections = Selections(round_, graph)
    return Market(
        candidate_ids=tuple(c.id for c in cands),
        placement_ids=tuple(p.id for p in places),
        mentor_ids=tuple(m.id for m in round_.mentors),
        lottery=lottery,
        prefs=prefs,
        listed=tuple(listed),
        pref_rank=tuple(pref_rank),
        pref_groups=tuple(len(c.preferences) for c in cands),
        refusals=refusals,
        capacity=tuple(p.capacity for p in places),
        mentor_of=mentor_of,
        place_rank=tuple(place_rank),
        place_groups=tuple(place_groups),
        mentor_capacity=tuple(m.capacity for m in round_.mentors),
        mentor_rank=_mentor_side(round_, mentor_of, place_rank),
        policies=tuple(resolve(policy, selections) for policy in round_.all_policies),
        affinities=Affinities(graph, round_),
        parks=tuple(sorted(o.id for o in round_.organizations if o.kind is OrgKind.PARK)),
        park_of=tuple(graph.parks_of(p.host) for p in places),
        affiliation_of=tuple(c.affiliation for c in cands),
        kind_of=tuple(c.kind.value for c in cands),
        tier_of=tuple(c.tier.value if c.tier is not None else None for c in cands),
        pinned=pinned,
    )


def _acceptance(round_: Round, mentor_of: tuple[int, ...]) -> list[dict[str, int] | None]:
    """Whom each placement accepts, with the group each is ranked in (None:
    anybody, ranked later by the graph's default score, or all in one group
    under a mentor without a ranking): its ranking's and its mentor's members,
    the mentor's groups first."""
    place_members = [
        _groups(p.ranking) if p.ranking is not None else None for p in round_.placements
    ]
    mentor_members = [_groups(m.ranking) if m.ranking is not None else None for m in round_.mentors]
    accepts: list[dict[str, int] | None] = []
    for p in range(len(round_.placements)):
        mine = place_members[p]
        theirs = mentor_members[mentor_of[p]] if mentor_of[p] >= 0 else None
        if theirs is not None:
            both = theirs if mine is None else {k: g for k, g in theirs.items() if k in mine}
            accepts.append(both)
        elif mine is not None and mentor_of[p] >= 0:
            accepts.append(dict.fromkeys(mine, 0))
        else:
            accepts.append(mine)
    return accepts


def _candidate_side(
    round_: Round, p_index: dict[str, int], p_lot: dict[str, int]
) -> tuple[list[tuple[int, ...]], list[dict[int, int]], list[list[int]]]:
    """Each candidate's listed placements in tie-broken order (its own ties by
    the placement lottery) with their 1-based groups, and each placement's
    listers in candidate order."""
    listed: list[tuple[int, ...]] = []
    pref_rank: list[dict[int, int]] = []
    listers: list[list[int]] = [[] for _ in round_.placements]
    for c, cand in enumerate(round_.candidates):
        groups = cand.preferences
        named = list(chain.from_iterable(groups))
        if len(named) == len(groups):  # strict: no tie for the lottery to break
            order = list(map(p_index.__getitem__, named))
            ranks = dict(zip(order, range(1, len(order) + 1), strict=True))
        else:
            tied = sorted(
                (g, p_lot[pid], p_index[pid]) for g, group in enumerate(groups) for pid in group
            )
            order = [p for _, _, p in tied]
            ranks = {p: g + 1 for g, _, p in tied}
        listed.append(tuple(order))
        pref_rank.append(ranks)
        for p in order:
            listers[p].append(c)
    return listed, pref_rank, listers


def _placement_side(
    round_: Round,
    graph: ConsortiumGraph,
    accepts: list[dict[str, int] | None],
    listers: list[list[int]],
    lottery: tuple[int, ...],
    mentor_of: tuple[int, ...],
) -> tuple[list[dict[int, int]], dict[tuple[int, int], tuple[Reason, str | None]]]:
    """Each placement's rank of its acceptable applicants (group · N + lottery)
    and the refused pairs with their reasons (not acceptable, ineligible)."""
    cands = round_.candidates
    places = round_.placements
    n = len(cands)
    refusals: dict[tuple[int, int], tuple[Reason, str | None]] = {}
    checked = [
        graph.has_rules or bool(p.requirements.min_level or p.requirements.skills) for p in places
    ]
    # Placement by placement (each placement's ranking stays in the cache).
    cids = [c.id for c in cands]
    place_rank: list[dict[int, int]] = []
    unranked: list[list[int]] = [[] for _ in places]  # applicants ranked after this loop
    # The common case: every applicant ranked, no rule to check. Their groups
    # are looked up at C speed here and turned into ranks for all such
    # placements at once after the loop.
    fast: list[tuple[int, list[int | None]]] = []  # (placement, its applicants' groups)
    for p, placement in enumerate(places):
        accepted = accepts[p]
        if accepted is not None and not checked[p]:
            found = list(map(accepted.get, map(cids.__getitem__, listers[p])))
            if None not in found:
                fast.append((p, found))
                place_rank.append({})
                continue
        ranks = {}
        for c in listers[p]:
            group = None if accepted is None else accepted.get(cids[c])
            if accepted is not None and group is None:
                refusals[(c, p)] = (Reason.NOT_ACCEPTABLE, None)
                continue
            rule = graph.ineligibility(cands[c], placement) if checked[p] else None
            if rule is not None:
                refusals[(c, p)] = (Reason.INELIGIBLE, rule)
            elif group is None:
                unranked[p].append(c)
            else:
                ranks[c] = group * n + lottery[c]
        place_rank.append(ranks)
    if fast:
        import numpy as np

        size = sum(len(listers[p]) for p, _ in fast)
        group_of = np.fromiter(chain.from_iterable(f for _, f in fast), np.int64, size)
        who = np.fromiter(chain.from_iterable(listers[p] for p, _ in fast), np.int64, size)
        ranked: list[int] = (group_of * n + np.asarray(lottery, dtype=np.int64)[who]).tolist()
        start = 0
        for p, _ in fast:
            end = start + len(listers[p])
            place_rank[p] = dict(zip(listers[p], ranked[start:end], strict=True))
            start = end
    for p, placement in enumerate(places):
        if not unranked[p]:
            continue
        if mentor_of[p] >= 0:  # a mentor without a ranking: one group
            place_rank[p] = {c: lottery[c] for c in unranked[p]}
        else:
            by_score = _score_groups(graph, placement, [(c, cands[c]) for c in unranked[p]])
            place_rank[p] = {c: g * n + lottery[c] for c, g in by_score.items()}
    return place_rank, refusals


def _mentor_side(
    round_: Round, mentor_of: tuple[int, ...], place_rank: list[dict[int, int]]
) -> tuple[dict[int, int], ...]:
    """A mentor ranks candidates as its placements do (they share its ranking)."""
    mentor_rank: list[dict[int, int]] = [{} for _ in round_.mentors]
    for p, m in enumerate(mentor_of):
        if m >= 0:
            mentor_rank[m].update(place_rank[p])
    return tuple(mentor_rank)


def _written_groups(placement: Placement, mentor: Mentor | None) -> int | None:
    """K_p of the welfare objective: the groups of the ranking as written (its
    mentor's where a mentor leads it; one group under a mentor without a
    ranking), whoever applied; None for the default score, whose groups are
    those of the applicants' scores."""
    if mentor is not None:
        return len(mentor.ranking) if mentor.ranking is not None else 1
    return len(placement.ranking) if placement.ranking is not None else None


def _score_groups(
    graph: ConsortiumGraph, placement: Placement, applicants: list[tuple[int, Candidate]]
) -> dict[int, int]:
    scores = {c: graph.default_score(cand, placement) for c, cand in applicants}
    distinct = sorted(set(scores.values()), reverse=True)
    group_of = {s: g for g, s in enumerate(distinct)}
    return {c: group_of[s] for c, s in scores.items()}


__all__ = ["Market", "draw_lottery", "encode"]
