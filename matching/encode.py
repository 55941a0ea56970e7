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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from matching.columns import Coded
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
    objective and the metrics read it)."""

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
    listed_groups: tuple[tuple[int, ...], ...]  # each listed placement's 1-based group
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

    def pref_group(self, c: int, p: int) -> int:
        """p's 1-based group in c's preferences (ties share one; p listed by c)."""
        return self.listed_groups[c][self.listed[c].index(p)]

    @cached_property
    def pref_rank(self) -> tuple[dict[int, int], ...]:
        """`pref_group` of every listed pair, one dict per candidate (worked out
        when first asked: the stable mechanisms, the checker, the explanations
        and the metrics read `pref_group`, and need none of these dicts)."""
        return tuple(
            dict(zip(ps, gs, strict=True))
            for ps, gs in zip(self.listed, self.listed_groups, strict=True)
        )

    def place_group(self, p: int, c: int) -> int:
        """c's 0-based group in p's ranking (the rank is ``group * N + lottery``)."""
        return self.place_rank[p][c] // len(self.candidate_ids)

    @cached_property
    def coverage(self) -> Coverage:
        """Which policies cover each pair (worked out when first asked)."""
        return Coverage(self.policies, self.n_candidates, self.n_placements)

    @property
    def has_mentors(self) -> bool:
        return any(m >= 0 for m in self.mentor_of)

    def affinity(self, c: int, p: int) -> float:
        """Graph affinity of candidate c for placement p."""
        return self.affinities.of(c, p)

    def pair_columns(self) -> tuple[Any, Any]:
        """Every acceptable pair in `pairs()` order, as two read-only numpy
        arrays (candidate indices, placement indices)."""
        return self._pair_columns

    @cached_property
    def _pair_columns(self) -> tuple[Any, Any]:
        # worked out once: the deletion filter asks it of dozens of flows
        size = sum(map(len, self.prefs))
        cands = np.repeat(np.arange(len(self.prefs), dtype=np.int64), list(map(len, self.prefs)))
        places = np.fromiter(chain.from_iterable(self.prefs), dtype=np.int64, count=size)
        cands.flags.writeable = places.flags.writeable = False
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
    listed, listed_groups, flat = _candidate_side(round_, p_index, p_lot)
    place_rank, refusals = _placement_side(round_, graph, flat, c_index, lottery, mentor_of)
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
        listed_groups=tuple(listed_groups),
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


@dataclass(frozen=True)
class _Flat:
    """Rankings (each a sequence of groups of ids) as integers: row r's ids are
    ``item[start[r]:start[r + 1]]``, in order, each with its 0-based group."""

    start: NDArray[np.int64]
    item: NDArray[np.int64]
    group: NDArray[np.int64]
    ties: bool  # some group holds more than one id

    @property
    def row(self) -> NDArray[np.int64]:
        """The row of each entry."""
        return np.repeat(np.arange(len(self.start) - 1, dtype=np.int64), np.diff(self.start))


def _flat(rankings: Sequence[Ranking], index: dict[str, int], coded: Coded | None) -> _Flat:
    """The rankings' ids as integers by `index`: as validation read them
    (`coded`, where it did), else one lookup per id, at C speed, and the rest
    by arrays (the one place a ranking's strings are read)."""
    if coded is not None:  # each group one id
        at = np.arange(len(coded.item), dtype=np.int64) - coded.start[coded.row]
        return _Flat(coded.start, coded.item, at, False)
    rows = len(rankings)
    ids = list(chain.from_iterable(r.ids for r in rankings))
    item = np.fromiter(map(index.__getitem__, ids), np.int64, len(ids))
    del ids
    start = np.zeros(rows + 1, np.int64)
    np.cumsum(np.fromiter(map(len, (r.ids for r in rankings)), np.int64, rows), out=start[1:])
    row = np.repeat(np.arange(rows, dtype=np.int64), np.diff(start))
    if not any(r.ties for r in rankings):  # each group one id
        return _Flat(start, item, np.arange(len(item), dtype=np.int64) - start[row], False)
    # each entry's group across all rows, less its row's first group
    per_row = np.fromiter(map(len, rankings), np.int64, rows)
    group_start = np.zeros(rows + 1, np.int64)
    np.cumsum(per_row, out=group_start[1:])
    sizes = np.fromiter(
        chain.from_iterable(r.sizes or (1,) * len(r.ids) for r in rankings),
        np.int64,
        int(group_start[-1]),
    )
    every = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return _Flat(start, item, every - group_start[row], True)


def _lookup(keys: NDArray[np.int64], values: NDArray[np.int64], wanted: Any) -> Any:
    """`values` at each of `wanted` in `keys` (distinct), -1 where absent."""
    # distinct: one order whatever the sort; timsort's, as the keys come in
    # sorted runs (a ranking's entries, rankings in order)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    at = np.searchsorted(ordered, wanted)
    at[at >= len(ordered)] = 0
    found = (ordered[at] == wanted) if len(ordered) else np.zeros(len(wanted), bool)
    return np.where(found, values[order][at] if len(ordered) else -1, -1)


def _candidate_side(
    round_: Round, p_index: dict[str, int], p_lot: dict[str, int]
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], _Flat]:
    """Each candidate's listed placements in tie-broken order (its own ties by
    the placement lottery) with their 1-based groups, and the same as one flat
    array (`_Flat`, row = candidate)."""
    flat = _flat([c.preferences for c in round_.candidates], p_index, round_.columns.preferences)
    if flat.ties:  # order each row by (group, placement lottery)
        lot = np.zeros(len(round_.placements), np.int64)
        lot[list(map(p_index.__getitem__, p_lot))] = list(p_lot.values())
        order = np.lexsort((lot[flat.item], flat.group, flat.row))
        flat = _Flat(flat.start, flat.item[order], flat.group[order], True)
    items = _shared(flat.item, len(round_.placements))
    ones: list[int] = (flat.group + 1).tolist()
    bounds: list[int] = flat.start.tolist()
    listed = [tuple(items[a:b]) for a, b in pairwise(bounds)]
    groups = [tuple(ones[a:b]) for a, b in pairwise(bounds)]
    return listed, groups, flat


def _placement_side(
    round_: Round,
    graph: ConsortiumGraph,
    listed: _Flat,
    c_index: dict[str, int],
    lottery: tuple[int, ...],
    mentor_of: tuple[int, ...],
) -> tuple[list[dict[int, int]], dict[tuple[int, int], tuple[Reason, str | None]]]:
    """Each placement's rank of its acceptable applicants (group · N + lottery)
    and the refused pairs with their reasons (not acceptable, ineligible).

    Whom a placement accepts, with the group each is ranked in: its ranking's
    and its mentor's members, the mentor's groups first; all in one group
    under a mentor without a ranking; anybody when neither ranks (then ranked
    by the graph's default score, or in one group under a mentor). The
    applicants are read as arrays, sorted by (placement, candidate)."""
    cands = round_.candidates
    places = round_.placements
    n, m = len(cands), len(places)
    # every application (p, c), by placement, then candidate
    by_place = np.argsort(_narrow(listed.item, m), kind="stable")
    pe = listed.item[by_place]
    ce = listed.row[by_place]
    del by_place
    mentor = np.asarray(mentor_of, dtype=np.int64)[pe] if m else np.zeros(0, np.int64)
    p_ranked = np.array([p.ranking is not None for p in places], bool)[pe]
    m_ranked = np.array([x.ranking is not None for x in round_.mentors], bool)
    led = mentor >= 0
    by_mentor = m_ranked[mentor] & led if len(m_ranked) else np.zeros(len(pe), bool)
    own = _flat([p.ranking or Ranking() for p in places], c_index, round_.columns.rankings)
    g_p = _lookup(own.row * n + own.item, own.group, pe * n + ce)
    del own
    theirs = _flat([x.ranking or Ranking() for x in round_.mentors], c_index, None)
    g_m = _lookup(theirs.row * n + theirs.item, theirs.group, np.where(led, mentor, 0) * n + ce)
    del theirs, mentor
    answers = p_ranked | by_mentor  # the placement says whom it accepts
    accepted = (~by_mentor | (g_m >= 0)) & (~p_ranked | (g_p >= 0))
    group = np.where(by_mentor, g_m, np.where(led, 0, g_p))
    del g_p, g_m, led, by_mentor, p_ranked
    need = [p.requirements for p in places]
    checked = np.array([graph.has_rules or bool(r.min_level or r.skills) for r in need], bool)
    refusals: dict[tuple[int, int], tuple[Reason, str | None]] = {}
    refused = answers & ~accepted
    for c, p in zip(ce[refused].tolist(), pe[refused].tolist(), strict=True):
        refusals[(c, p)] = (Reason.NOT_ACCEPTABLE, None)
    eligible = ~refused
    for k in np.flatnonzero(eligible & checked[pe]).tolist():
        c, p = int(ce[k]), int(pe[k])
        rule = graph.ineligibility(cands[c], places[p])
        if rule is not None:
            refusals[(c, p)] = (Reason.INELIGIBLE, rule)
            eligible[k] = False
    ranked = eligible & answers
    rank = group[ranked] * n + np.asarray(lottery, dtype=np.int64)[ce[ranked]]
    del group
    place_rank = _dicts(m, pe[ranked], _shared(ce[ranked], n), rank)
    unranked = eligible & ~answers
    if unranked.any():
        for p, who in enumerate(_rows(m, pe[unranked], ce[unranked])):
            if not who:
                continue
            if mentor_of[p] >= 0:  # a mentor without a ranking: one group
                place_rank[p] = {c: lottery[c] for c in who}
            else:
                by_score = _score_groups(graph, places[p], [(c, cands[c]) for c in who])
                place_rank[p] = {c: g * n + lottery[c] for c, g in by_score.items()}
    return place_rank, refusals


def _rows(rows: int, row: Any, values: Any) -> list[list[int]]:
    """`values` split by `row` (sorted), one list per row 0… rows - 1."""
    bounds: list[int] = np.searchsorted(row, np.arange(rows + 1)).tolist()
    flat: list[int] = values.tolist()
    return [flat[a:b] for a, b in pairwise(bounds)]


def _narrow(values: NDArray[np.int64], size: int) -> Any:
    """`values` (each in 0… size - 1) in the narrowest unsigned type that holds
    them: numpy sorts 16-bit integers by radix, a stable sort of a round's two
    million applications by placement in a sixth of the time of 64-bit ones."""
    return values.astype(np.min_scalar_type(max(size - 1, 0)), copy=False)


def _shared(values: Any, size: int) -> list[int]:
    """`values` (each in 0… size - 1) as a list of Python ints, one object per
    value: a round's two million applications name its 100,000 candidates and
    10,000 placements, and one int object per entry would be 28 bytes each."""
    out: list[int] = np.array(range(size), dtype=object)[values].tolist()
    return out


def _dicts(rows: int, row: Any, k: list[int], values: Any) -> list[dict[int, int]]:
    """One dict per row 0… rows - 1 of its keys `k` → `values` (rows sorted)."""
    bounds: list[int] = np.searchsorted(row, np.arange(rows + 1)).tolist()
    v: list[int] = values.tolist()
    return [dict(zip(k[a:b], v[a:b], strict=True)) for a, b in pairwise(bounds)]


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
