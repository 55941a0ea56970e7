"""The consortium graph: groups, affinity and eligibility. It builds; it never solves.

Two views of the organizations and links, as adjacency maps (a consortium
has thousands of organizations, not millions: plain Python searches them
faster than networkx and scipy are imported):

* **containment** (directed, child → container): ``located_in`` and
  ``hosted_by`` point from the member to its container, ``governs`` from the
  governed to the government. An organization belongs to every park and every
  government it can reach, so an enterprise in a park governed by a district is
  governed by that district and by whoever governs the district.
* **affinity** (undirected): every link except ``governs`` (a government ties
  everyone together, which is no affinity at all), with length ``1 / weight``
  (the shortest of parallel links). The affinity of a candidate for a
  placement is ``min(1, 1 / d)``, where ``d`` is the shortest-path length
  (Dijkstra) from the candidate's college or institute to the placement's
  host: a direct partnership of weight w gives w, two full-weight hops give
  0.5, no path gives 0.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from functools import cache

import numpy as np
from numpy.typing import NDArray

from matching.model import Candidate, Level, LinkKind, OrgKind, Placement, Round

_CONTAINERS = (LinkKind.LOCATED_IN, LinkKind.HOSTED_BY)


class ConsortiumGraph:
    def __init__(self, round_: Round) -> None:
        self._kinds = {o.id: o.kind for o in round_.organizations}
        self._levels = {o.id: o.level for o in round_.organizations}
        self._up: dict[str, list[str]] = {org: [] for org in self._kinds}
        self._near: dict[str, dict[str, float]] = {org: {} for org in self._kinds}
        for link in round_.links:
            if link.kind is LinkKind.GOVERNS:
                self._up.setdefault(link.target, []).append(link.source)
                continue
            if link.kind in _CONTAINERS:
                self._up.setdefault(link.source, []).append(link.target)
            length = 1.0 / link.weight
            for a, b in ((link.source, link.target), (link.target, link.source)):
                near = self._near.setdefault(a, {})
                if near.get(b, length) >= length:
                    near[b] = length
        self.rules = round_.rules
        self.containers = cache(self._containers)
        self._node = {org: i for i, org in enumerate(self._near)}
        self._prune_leaves()
        self._affinity_row = cache(self._affinity_from)
        self._hops = cache(self._hops_from)
        # Without requirements or a distance rule nothing is ineligible: skip the checks.
        self.has_rules = self.rules.max_distance is not None

    def _containers(self, org: str) -> frozenset[str]:
        """Every organization `org` reaches by containment, itself excluded."""
        seen: set[str] = set()
        todo = list(self._up.get(org, ()))
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(self._up.get(node, ()))
        seen.discard(org)
        return frozenset(seen)

    def parks_of(self, org: str) -> frozenset[str]:
        return frozenset(o for o in self.containers(org) if self._kinds[o] is OrgKind.PARK)

    def governments_of(self, org: str) -> frozenset[str]:
        return frozenset(o for o in self.containers(org) if self._kinds[o] is OrgKind.GOVERNMENT)

    def _prune_leaves(self) -> None:
        """Set aside the organizations with one neighbour (most enterprises: one
        park): a shortest path never passes through one, so each distance
        search runs on the others (`_core`), and a leaf's distance is its
        neighbour's plus the link's length, added for all leaves at once."""
        # leaf → its neighbour (two leaves linked only to each other are
        # reached only from one another: each one's distance from the other)
        leaves = {v: next(iter(near)) for v, near in self._near.items() if len(near) == 1}
        self._core = {
            u: {v: length for v, length in near.items() if v not in leaves}
            for u, near in self._near.items()
            if u not in leaves
        }
        self._leaf = np.fromiter(map(self._node.__getitem__, leaves), np.int64, len(leaves))
        self._via = np.fromiter(map(self._node.__getitem__, leaves.values()), np.int64, len(leaves))
        self._leaf_length = np.fromiter(
            (self._near[v][u] for v, u in leaves.items()), np.float64, len(leaves)
        )

    def _affinity_from(self, org: str) -> NDArray[np.float64]:
        """Affinity from `org` to every organization: min(1, 1 / d) by shortest
        path length d, 0 where there is no path. Each distance is the least of
        `d(u) + length(u, v)` over v's nearer neighbours u, the sums taken in
        that order, so the floats are those of any Dijkstra (scipy's included):
        a leaf's one neighbour is its only nearer one."""
        far = float("inf")
        dist: dict[str, float] = {org: 0.0}
        done: set[str] = set()
        heap = [(0.0, org)]
        while heap:
            d, u = heapq.heappop(heap)
            if u in done:
                continue
            done.add(u)
            # the links between non-leaves (from `org`, if a leaf, its one link)
            for v, length in (self._core[u] if u in self._core else self._near[u]).items():
                if v not in done and d + length < dist.get(v, far):
                    dist[v] = d + length
                    heapq.heappush(heap, (d + length, v))
        distance = np.full(len(self._node), far)
        distance[np.fromiter(map(self._node.__getitem__, dist), np.int64, len(dist))] = list(
            dist.values()
        )
        distance[self._leaf] = distance[self._via] + self._leaf_length
        distance[self._node[org]] = 0.0
        affinity: NDArray[np.float64] = 1.0 / np.maximum(distance, 1.0)
        return affinity

    def _hops_from(self, org: str) -> dict[str, int]:
        """Links from `org` to each organization it reaches (breadth first)."""
        hops = {org: 0}
        todo = deque([org])
        while todo:
            u = todo.popleft()
            for v in self._near[u]:
                if v not in hops:
                    hops[v] = hops[u] + 1
                    todo.append(v)
        return hops

    def affinity(self, candidate: Candidate, placement: Placement) -> float:
        source = candidate.affiliation
        if source is None:
            return 0.0
        return float(self._affinity_row(source)[self._node[placement.host]])

    def affinities(
        self, sources: Sequence[str | None], hosts: Sequence[str]
    ) -> NDArray[np.float64]:
        """The affinity of each source (a college or institute; None: none) for
        each host, as a len(sources) × len(hosts) matrix."""
        columns = np.fromiter(map(self._node.__getitem__, hosts), np.int64, len(hosts))
        out = np.zeros((len(sources), len(hosts)))
        for i, source in enumerate(sources):
            if source is not None:
                out[i] = self._affinity_row(source)[columns]
        return out

    def level_of(self, candidate: Candidate) -> Level | None:
        """The candidate's own level, else its college's."""
        if candidate.level is not None:
            return candidate.level
        return self._levels.get(candidate.college) if candidate.college is not None else None

    def ineligibility(self, candidate: Candidate, placement: Placement) -> str | None:
        """The first eligibility rule the pair breaks, as a checkable string, or None."""
        need = placement.requirements
        if need.min_level is None and not need.skills and not self.has_rules:
            return None
        if need.min_level is not None:
            level = self.level_of(candidate)
            if level is None or level.order < need.min_level.order:
                return f"min_level {need.min_level}"
        missing = sorted(set(need.skills) - set(candidate.skills))
        if missing:
            return "skills " + ",".join(missing)
        limit = self.rules.max_distance
        if limit is not None and candidate.affiliation is not None:
            hops = self._hops(candidate.affiliation).get(placement.host)
            if hops is None or hops > limit:
                return f"max_distance {limit}"
        return None

    def default_score(self, candidate: Candidate, placement: Placement) -> float:
        """How a placement without a ranking scores a candidate: the share of the
        placement's wanted skills the candidate has, plus affinity (each in [0, 1]).
        Rounded so that equal scores tie exactly; ties go to the seeded lottery."""
        wanted = set(placement.skills) or set(placement.requirements.skills)
        skills = len(wanted & set(candidate.skills)) / len(wanted) if wanted else 0.0
        return round(skills + self.affinity(candidate, placement), 9)
