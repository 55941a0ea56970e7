"""Policy groups: which candidates and placements each policy covers, its
selectors resolved through the consortium graph (one value → members index
per attribute, so thirty-six college floors over 100,000 candidates stay
linear)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from matching.graph import ConsortiumGraph
from matching.model import Candidate, Placement, Policy, Round, Selector


@dataclass(frozen=True)
class PolicyGroup:
    """A policy with its members resolved to indices (None: everybody)."""

    id: str
    min: int | None
    max: int | None
    candidates: frozenset[int] | None
    placements: frozenset[int] | None

    def members(self, cands: Any, places: Any) -> Any:
        """Which of the pairs (cands[k], places[k]) the policy covers, as a boolean
        array (numpy; the vectorised twin of `covers`)."""
        import numpy as np

        mask = np.ones(len(cands), dtype=bool)
        for chosen, column in ((self.candidates, cands), (self.placements, places)):
            if chosen is not None:
                keep = np.zeros(int(column.max(initial=-1)) + 1, dtype=bool)
                inside = [i for i in chosen if i < len(keep)]
                keep[inside] = True
                mask &= keep[column] if len(keep) else False
        return mask

    def covers(self, c: int, p: int) -> bool:
        return (self.candidates is None or c in self.candidates) and (
            self.placements is None or p in self.placements
        )


class Coverage:
    """Which policies cover a pair, found by kind of pair: the candidates fall
    into a few kinds by the policies that select them (thirty-six college
    floors: thirty-seven kinds), the placements likewise (three park
    ceilings: four), and a pair's policies, those that select both its
    candidate and its placement (or nobody on that side), are worked out once
    per kind of pair. A kind of pair is one int, `kind(c, p)`: pairs of one
    kind are covered by the same policies."""

    def __init__(
        self, policies: tuple[PolicyGroup, ...], n_candidates: int, n_placements: int
    ) -> None:
        self.policies = policies
        self.candidate_kind, self._candidate_kinds = _kinds(
            [g.candidates for g in policies], n_candidates
        )
        self.placement_kind, self._placement_kinds = _kinds(
            [g.placements for g in policies], n_placements
        )
        self.n_placement_kinds = len(self._placement_kinds)
        self._pairs: dict[int, tuple[int, ...]] = {-1: ()}  # -1: no pair

    def kind(self, c: int, p: int) -> int:
        return self.candidate_kind[c] * self.n_placement_kinds + self.placement_kind[p]

    def of(self, c: int, p: int) -> tuple[int, ...]:
        """The policies covering (c, p), in the round's order."""
        return self.of_kind(self.kind(c, p))

    def of_kind(self, kind: int) -> tuple[int, ...]:
        """The policies covering the pairs of a kind (-1: none)."""
        found = self._pairs.get(kind)
        if found is None:
            there = set(self._placement_kinds[kind % self.n_placement_kinds])
            mine = self._candidate_kinds[kind // self.n_placement_kinds]
            found = self._pairs[kind] = tuple(k for k in mine if k in there)
        return found

    def values(self, assignment: tuple[int, ...]) -> list[int]:
        """Each policy's value: the assigned pairs it covers."""
        out = [0] * len(self.policies)
        ck, pk, n = self.candidate_kind, self.placement_kind, self.n_placement_kinds
        kinds = Counter(ck[c] * n + pk[p] for c, p in enumerate(assignment) if p >= 0)
        for kind, pairs in kinds.items():
            for k in self.of_kind(kind):
                out[k] += pairs
        return out


def _kinds(chosen: list[frozenset[int] | None], n: int) -> tuple[list[int], list[tuple[int, ...]]]:
    """Members 0 … n − 1 by the policies that select them (`chosen[k]`: policy
    k's members, None for everybody): each member's kind (0: selected by name
    by none), and each kind's policies in the round's order."""
    named: list[list[int]] = [[] for _ in range(n)]
    for k, members in enumerate(chosen):
        for i in members or ():
            named[i].append(k)
    index: dict[tuple[int, ...], int] = {(): 0}
    kind = [index.setdefault(tuple(mine), len(index)) for mine in named]
    everybody = [k for k, members in enumerate(chosen) if members is None]
    return kind, [tuple(sorted([*mine, *everybody])) for mine in index]


def resolve(policy: Policy, selections: Selections) -> PolicyGroup:
    return PolicyGroup(
        policy.id,
        policy.min,
        policy.max,
        selections.candidates(policy.candidates),
        selections.placements(policy.placements),
    )


class Selections:
    """Whom a selector picks, by index. Each attribute's values are read once
    per round (a value → members index), however many policies select by it:
    one floor per college over 100,000 candidates stays linear."""

    def __init__(self, round_: Round, graph: ConsortiumGraph) -> None:
        self._round, self._graph = round_, graph
        self._by: dict[tuple[str, str], dict[str, set[int]]] = {}

    def candidates(self, selector: Selector) -> frozenset[int] | None:
        return self._select("candidate", selector)

    def placements(self, selector: Selector) -> frozenset[int] | None:
        return self._select("placement", selector)

    def _select(self, side: str, selector: Selector) -> frozenset[int] | None:
        if not selector:
            return None
        chosen: set[int] | None = None
        for attr, wanted in selector:
            index = self._index(side, attr)
            picked = set().union(*(index.get(value, ()) for value in wanted))
            chosen = picked if chosen is None else chosen & picked
        return frozenset(chosen or ())

    def _index(self, side: str, attr: str) -> dict[str, set[int]]:
        key = (side, attr)
        if key not in self._by:
            graph = self._graph
            rows: Iterable[Iterable[str]] = (
                (_candidate_values(c, attr, graph) for c in self._round.candidates)
                if side == "candidate"
                else (_placement_values(p, attr, graph) for p in self._round.placements)
            )
            index: dict[str, set[int]] = {}
            for i, values in enumerate(rows):
                for value in values:
                    index.setdefault(value, set()).add(i)
            self._by[key] = index
        return self._by[key]


def _placement_values(p: Placement, attr: str, graph: ConsortiumGraph) -> Iterable[str]:
    match attr:
        case "park":
            return graph.parks_of(p.host)
        case "governed_by":
            return graph.governments_of(p.host)
        case "host":
            return (p.host,)
        case "kind":
            return (p.kind.value,)
        case "mentor":
            return (p.mentor,) if p.mentor is not None else ()
        case "id":
            return (p.id,)
    raise ValueError(f"unknown placement attribute {attr!r}")


def _candidate_values(c: Candidate, attr: str, graph: ConsortiumGraph) -> Iterable[str]:
    match attr:
        case "college":
            return (c.college,) if c.college is not None else ()
        case "institute":
            return (c.institute,) if c.institute is not None else ()
        case "governed_by":
            return graph.governments_of(c.affiliation) if c.affiliation is not None else ()
        case "kind":
            return (c.kind.value,)
        case "tier":
            return (c.tier.value,) if c.tier is not None else ()
        case "level":
            level = graph.level_of(c)
            return (level.value,) if level is not None else ()
        case "id":
            return (c.id,)
    raise ValueError(f"unknown candidate attribute {attr!r}")
