"""The consortium graph: groups, affinity, eligibility and the default score."""

from __future__ import annotations

import copy
import heapq
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import parse_round, solve
from matching.encode import encode
from matching.graph import ConsortiumGraph
from matching.model import Reason

DOC: dict[str, Any] = {
    "id": "graph",
    "seed": 1,
    "organizations": [
        {"id": "gov-city", "kind": "government"},
        {"id": "gov-district", "kind": "government"},
        {"id": "park-a", "kind": "park"},
        {"id": "ent-1", "kind": "enterprise"},
        {"id": "ent-2", "kind": "enterprise"},
        {"id": "ent-3", "kind": "enterprise"},
        {"id": "studio", "kind": "studio"},
        {"id": "col-u", "kind": "college", "level": "undergraduate"},
        {"id": "col-s", "kind": "college", "level": "secondary_vocational"},
    ],
    "links": [
        {"source": "gov-city", "target": "gov-district", "kind": "governs"},
        {"source": "gov-district", "target": "park-a", "kind": "governs"},
        {"source": "gov-city", "target": "col-s", "kind": "governs"},
        {"source": "ent-1", "target": "park-a", "kind": "located_in"},
        {"source": "ent-2", "target": "park-a", "kind": "located_in"},
        {"source": "studio", "target": "ent-1", "kind": "hosted_by"},
        {"source": "col-u", "target": "ent-1", "kind": "partnership", "weight": 0.8},
    ],
    "placements": [
        {"id": "p1", "host": "ent-1", "kind": "internship", "capacity": 1, "skills": ["qc"]},
        {"id": "p2", "host": "ent-2", "kind": "internship", "capacity": 1},
        {
            "id": "p3",
            "host": "ent-3",
            "kind": "research_host",
            "capacity": 1,
            "requirements": {"min_level": "undergraduate", "skills": ["assay"]},
        },
        {"id": "p4", "host": "studio", "kind": "apprenticeship", "capacity": 1},
    ],
    "candidates": [
        {
            "id": "u",
            "kind": "student",
            "college": "col-u",
            "skills": ["assay", "qc"],
            "preferences": ["p3", "p1", "p2", "p4"],
        },
        {
            "id": "s",
            "kind": "apprentice",
            "college": "col-s",
            "skills": ["assay"],
            "preferences": ["p3", "p1", "p2", "p4"],
        },
    ],
}


def graph() -> tuple[ConsortiumGraph, Any]:
    r = parse_round(DOC)
    return ConsortiumGraph(r), r


def test_parks_and_governments_are_resolved_through_containment() -> None:
    g, _ = graph()
    assert g.parks_of("ent-1") == {"park-a"}
    assert g.parks_of("studio") == {"park-a"}  # hosted by an enterprise in the park
    assert g.parks_of("ent-3") == frozenset()
    assert g.governments_of("ent-2") == {"gov-district", "gov-city"}
    assert g.governments_of("col-s") == {"gov-city"}


def test_affinity_is_strongest_for_a_direct_partnership() -> None:
    g, r = graph()
    u = next(c for c in r.candidates if c.id == "u")
    p = {p.id: p for p in r.placements}
    assert g.affinity(u, p["p1"]) == pytest.approx(0.8)  # direct, weight 0.8
    assert g.affinity(u, p["p4"]) == pytest.approx(1 / 2.25)  # 1.25 + 1
    assert g.affinity(u, p["p2"]) == pytest.approx(1 / 3.25)  # via the park
    assert g.affinity(u, p["p3"]) == 0.0  # no path
    s = next(c for c in r.candidates if c.id == "s")
    assert g.affinity(s, p["p1"]) == 0.0  # governs links carry no affinity


def _dijkstra(doc: dict[str, Any], source: str) -> dict[str, float]:
    """Shortest path lengths from `source` over every non-governs link, by the
    textbook Dijkstra on the whole graph (no leaf set aside)."""
    near: dict[str, dict[str, float]] = {o["id"]: {} for o in doc["organizations"]}
    for k in doc["links"]:
        if k["kind"] != "governs":
            length = 1.0 / k.get("weight", 1.0)
            for a, b in ((k["source"], k["target"]), (k["target"], k["source"])):
                near[a][b] = min(near[a].get(b, length), length)
    dist, done, heap = {source: 0.0}, set(), [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if u not in done:
            done.add(u)
            for v, length in near[u].items():
                if v not in done and d + length < dist.get(v, float("inf")):
                    dist[v] = d + length
                    heapq.heappush(heap, (d + length, v))
    return dist


@st.composite
def consortia(draw: st.DrawFn) -> dict[str, Any]:
    """Up to eight organizations and random links between them: chains, stars,
    leaves (one neighbour), pairs on their own and organizations with none."""
    n = draw(st.integers(1, 8))
    orgs = [{"id": f"o{i}", "kind": "enterprise"} for i in range(n)]
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1])
    links = {
        (a, b): {
            "source": f"o{a}",
            "target": f"o{b}",
            "kind": draw(st.sampled_from(["partnership", "located_in"])),
            "weight": draw(st.sampled_from([1.0, 0.8, 0.5, 0.3])),
        }
        for a, b in draw(st.lists(pairs, max_size=12))
    }
    return {
        "id": "g",
        "organizations": orgs,
        "links": list(links.values()),
        "placements": [],
        "candidates": [],
    }


@given(consortia())
def test_affinity_is_the_shortest_path_over_the_whole_graph(doc: dict[str, Any]) -> None:
    """Leaves (one neighbour) are set aside from the search and added after:
    the floats are those of Dijkstra on the whole graph, from every source,
    a leaf's included."""
    g = ConsortiumGraph(parse_round(doc, whole=False))
    ids = [o["id"] for o in doc["organizations"]]
    for source in ids:
        dist = _dijkstra(doc, source)
        row = g.affinities([source], ids)[0]
        assert list(row) == [1.0 / max(dist[v], 1.0) if v in dist else 0.0 for v in ids]


def test_eligibility_rules_name_the_rule() -> None:
    g, r = graph()
    u, s = sorted(r.candidates, key=lambda c: c.id != "u")
    p3 = next(p for p in r.placements if p.id == "p3")
    assert g.ineligibility(u, p3) is None
    assert g.ineligibility(s, p3) == "min_level undergraduate"
    doc = copy.deepcopy(DOC)
    doc["candidates"][0]["skills"] = ["qc"]
    r2 = parse_round(doc)
    assert ConsortiumGraph(r2).ineligibility(r2.candidates[1], p3) == "skills assay"


def test_max_distance_rule() -> None:
    doc = copy.deepcopy(DOC)
    doc["rules"] = {"max_distance": 1}
    r = parse_round(doc)
    result = solve(r)
    reasons = {e.placement: (e.reason, e.rule) for e in dict(result.explanations)["u"]}
    assert reasons["p3"] == (Reason.INELIGIBLE, "max_distance 1")  # no path to ent-3
    assert dict(result.assignments)["u"] == "p1"  # one hop: the partnership


def test_default_score_ranks_by_skills_then_affinity_then_lottery() -> None:
    r = parse_round(DOC)
    market = encode(r)
    p1 = market.placement_ids.index("p1")
    u, s = market.candidate_ids.index("u"), market.candidate_ids.index("s")
    # p1 wants qc: u has it and is partnered (1 + 0.8); s has neither (0).
    assert market.place_rank[p1][u] < market.place_rank[p1][s]


def test_policy_groups_follow_the_graph() -> None:
    doc = copy.deepcopy(DOC)
    doc["policies"] = [
        {
            "id": "district",
            "kind": "ceiling",
            "placements": {"governed_by": "gov-district"},
            "max": 5,
        },
        {
            "id": "secondary",
            "kind": "floor",
            "candidates": {"level": "secondary_vocational"},
            "min": 0,
        },
    ]
    market = encode(parse_round(doc))
    district, secondary = market.policies
    assert district.placements == {market.placement_ids.index(p) for p in ("p1", "p2", "p4")}
    assert secondary.candidates == {market.candidate_ids.index("s")}


def test_fixture_generator_reproduces_the_committed_round() -> None:
    from fixtures.changzhou import dump, generate

    committed = Path(__file__).parents[2] / "fixtures" / "rounds" / "changzhou-2027.json"
    assert dump(generate()) == committed.read_text()
    doc = json.loads(committed.read_text())
    kinds = [o["kind"] for o in doc["organizations"]]
    assert kinds.count("enterprise") == 794 and kinds.count("park") == 3
    levels = [o.get("level") for o in doc["organizations"] if o["kind"] == "college"]
    assert (
        levels.count("undergraduate"),
        levels.count("higher_vocational"),
        levels.count("secondary_vocational"),
    ) == (5, 8, 23)
    assert len(doc["candidates"]) == 5000
