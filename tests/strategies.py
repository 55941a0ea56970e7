"""Hypothesis strategies for round documents, in one place.

`rounds(...)` draws a valid contract document: a small consortium (one park,
one or two colleges, hosts in and out of the park), placements with
capacities, candidates' preference lists with the occasional tie, rankings
that are present, empty-ish or missing (default score), optional mentors and
optional policies.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

Doc = dict[str, Any]

ORGS: list[Doc] = [
    {"id": "gov", "kind": "government"},
    {"id": "park", "kind": "park"},
    {"id": "ent-a", "kind": "enterprise"},
    {"id": "ent-b", "kind": "enterprise"},
    {"id": "col-1", "kind": "college", "level": "undergraduate"},
    {"id": "col-2", "kind": "college", "level": "secondary_vocational"},
    {"id": "studio", "kind": "studio"},
]
LINKS: list[Doc] = [
    {"source": "gov", "target": "park", "kind": "governs"},
    {"source": "ent-a", "target": "park", "kind": "located_in"},
    {"source": "col-1", "target": "ent-a", "kind": "partnership", "weight": 0.8},
    {"source": "col-2", "target": "ent-b", "kind": "partnership", "weight": 0.5},
    {"source": "studio", "target": "ent-a", "kind": "hosted_by"},
]
SKILLS = ["fermentation", "assay", "qc"]


def _ranking(draw: st.DrawFn, items: list[str], *, ties: bool) -> list[Any]:
    order = draw(st.permutations(items))
    out: list[Any] = []
    for item in order:
        if ties and out and draw(st.integers(0, 4)) == 0:
            last = out.pop()
            out.append([*(last if isinstance(last, list) else [last]), item])
        else:
            out.append(item)
    return out


@st.composite
def rounds(
    draw: st.DrawFn,
    *,
    max_candidates: int = 5,
    max_placements: int = 3,
    mentors: bool = False,
    policies: bool = False,
    ties: bool = True,
    max_capacity: int = 2,
) -> Doc:
    n_c = draw(st.integers(1, max_candidates))
    n_p = draw(st.integers(1, max_placements))
    cids = [f"c{i}" for i in range(n_c)]
    pids = [f"p{i}" for i in range(n_p)]
    candidates: list[Doc] = []
    applicants: dict[str, list[str]] = {p: [] for p in pids}
    for cid in cids:
        listed = draw(st.lists(st.sampled_from(pids), unique=True, max_size=n_p))
        for p in listed:
            applicants[p].append(cid)
        cand: Doc = {
            "id": cid,
            "kind": draw(st.sampled_from(["student", "apprentice", "project"])),
            "preferences": _ranking(draw, listed, ties=ties),
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2)),
        }
        if draw(st.booleans()):
            cand["college"] = draw(st.sampled_from(["col-1", "col-2"]))
        if draw(st.booleans()):
            cand["tier"] = draw(st.sampled_from(["young_reserve", "engineering_technician"]))
        candidates.append(cand)
    mentor_docs: list[Doc] = []
    if mentors:
        mentor_docs = [
            {"id": "m0", "capacity": draw(st.integers(1, 3))},
            {"id": "m1", "capacity": draw(st.integers(1, 2))},
        ]
        for m in mentor_docs:
            m["ranking"] = _ranking(draw, cids, ties=ties)
    placements: list[Doc] = []
    for pid in pids:
        place: Doc = {
            "id": pid,
            "host": draw(st.sampled_from(["ent-a", "ent-b"])),
            "kind": draw(st.sampled_from(["apprenticeship", "internship", "research_host"])),
            "capacity": draw(st.integers(1, max_capacity)),
        }
        mentor = draw(st.sampled_from([None, "m0", "m1"])) if mentors else None
        if mentor is not None:
            place["mentor"] = mentor
        elif draw(st.integers(0, 3)) > 0:
            # rank most applicants, sometimes leaving one out (unacceptable)
            ranked = applicants[pid] + draw(st.lists(st.sampled_from(cids), max_size=2))
            ranked = sorted(set(ranked))
            if ranked and draw(st.integers(0, 3)) == 0:
                ranked = ranked[1:]
            place["ranking"] = _ranking(draw, ranked, ties=ties)
        else:
            place["skills"] = draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))
        placements.append(place)
    doc: Doc = {
        "id": "random",
        "seed": draw(st.integers(0, 2**31)),
        "organizations": ORGS,
        "links": LINKS,
        "placements": placements,
        "candidates": candidates,
    }
    if mentor_docs:
        doc["mentors"] = mentor_docs
    if policies:
        doc["policies"] = draw(_policies(n_c))
    return doc


@st.composite
def _policies(draw: st.DrawFn, n_c: int) -> list[Doc]:
    options: list[Doc] = [
        {"kind": "ceiling", "placements": {"park": "park"}, "max": draw(st.integers(0, n_c))},
        {"kind": "floor", "candidates": {"college": "col-2"}, "min": draw(st.integers(0, 2))},
        {"kind": "floor", "placements": {"host": "ent-b"}, "min": draw(st.integers(0, 2))},
        {"kind": "ceiling", "candidates": {"kind": "student"}, "max": draw(st.integers(0, n_c))},
        {
            "kind": "floor",
            "candidates": {"college": "col-1"},
            "placements": {"host": "ent-a"},
            "min": draw(st.integers(0, 2)),
        },
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(options))), unique=True, max_size=3))
    return [{"id": f"pol{i}", **options[i]} for i in sorted(chosen)]
