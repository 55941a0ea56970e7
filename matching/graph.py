"""The consortium graph: groups, affinity and eligibility. It builds; it never solves.

Two views of the organizations and links (networkx):

* **containment** (directed, child → container): ``located_in`` and
  ``hosted_by`` point from the member to its container, ``governs`` from the
  governed to the government. An organization belongs to every park and every
  government it can reach, so an enterprise in a park governed by a district is
  governed by that district and by whoever governs the district.
* **affinity** (undirected): every link except ``governs`` (a government ties
  everyone together, which is no affinity at all), with length ``1 / weight``.
  The affinity of a candidate for a placement is ``min(1, 1 / d)``, where ``d``
  is the shortest-path length from the candidate's college or institute to the
  placement's host: a direct partnership of weight w gives w, two full-weight
  hops give 0.5, no path gives 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from matching.model import Candidate, Level, LinkKind, OrgKind, Placement, Round

_CONTAINERS = (LinkKind.LOCATED_IN, LinkKind.HOSTED_BY)


class ConsortiumGraph:
    def __init__(self, round_: Round) -> None:
        self._kinds = {o.id: o.kind for o in round_.organizations}
        self._levels = {o.id: o.level for o in round_.organizations}
        self.containment = nx.DiGraph()
        self.affinity_graph = nx.Graph()
        self.containment.add_nodes_from(self._kinds)
        self.affinity_graph.add_nodes_from(self._kinds)
        for link in round_.links:
            if link.kind is LinkKind.GOVERNS:
                self.containment.add_edge(link.target, link.source)
                continue
            if link.kind in _CONTAINERS:
                self.containment.add_edge(link.source, link.target)
            length = 1.0 / link.weight
            old = self.affinity_graph.get_edge_data(link.source, link.target)
            if old is None or old["length"] > length:
                self.affinity_graph.add_edge(link.source, link.target, length=length)
        self.rules = round_.rules
        self.containers = cache(self._containers)
        self._node = {org: i for i, org in enumerate(self.affinity_graph)}
        self._lengths = cache(self._length_matrix)
        self._affinity_row = cache(self._affinity_from)
        self._hops = cache(self._hops_from)
        # Without requirements or a distance rule nothing is ineligible: skip the checks.
        self.has_rules = self.rules.max_distance is not None

    def _containers(self, org: str) -> frozenset[str]:
        return frozenset(nx.descendants(self.containment, org))

    def parks_of(self, org: str) -> frozenset[str]:
        return frozenset(o for o in self.containers(org) if self._kinds[o] is OrgKind.PARK)

    def governments_of(self, org: str) -> frozenset[str]:
        return frozenset(o for o in self.containers(org) if self._kinds[o] is OrgKind.GOVERNMENT)

    def _length_matrix(self) -> object:
        return nx.to_scipy_sparse_array(
            self.affinity_graph, nodelist=list(self._node), weight="length", format="csr"
        )

    def _affinity_from(self, org: str) -> NDArray[np.float64]:
        """Affinity from `org` to every organization: min(1, 1 / d) by shortest
        path length d (scipy's Dijkstra), 0 where there is no path."""
        from scipy.sparse import csgraph  # imported when first needed: it costs 0.2 s

        lengths = csgraph.dijkstra(self._lengths(), directed=False, indices=self._node[org])
        affinity: NDArray[np.float64] = 1.0 / np.maximum(lengths, 1.0)
        return affinity

    def _hops_from(self, org: str) -> dict[str, int]:
        hops: dict[str, int] = nx.single_source_shortest_path_length(self.affinity_graph, org)
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
