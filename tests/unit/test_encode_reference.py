"""`encode` against a naive encoder written from docs/round-format.md alone
(issue 12): for random rounds, each candidate's acceptable placements in
tie-broken order, each placement's group and lottery order of its
acceptable applicants, and the reason each refused pair is refused."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings

from matching import parse_round
from matching.encode import encode
from tests.strategies import Doc, rounds
from tests.unit.test_objective_reference import placement_groups


def _lottery(doc: Doc) -> tuple[dict[str, int], dict[str, int]]:
    """`random.Random(seed)` shuffles the sorted candidate ids, then the sorted
    placement ids: one order for every placement, one for candidates' ties."""
    rng = random.Random(doc.get("seed", 0))
    cands = sorted(c["id"] for c in doc["candidates"])
    places = sorted(p["id"] for p in doc["placements"])
    rng.shuffle(cands)
    rng.shuffle(places)
    return {c: i for i, c in enumerate(cands)}, {p: i for i, p in enumerate(places)}


def _groups(ranking: list[Any]) -> list[list[str]]:
    return [item if isinstance(item, list) else [item] for item in ranking]


def naive(doc: Doc) -> dict[str, Any]:
    c_lot, p_lot = _lottery(doc)
    places = {p["id"]: p for p in doc["placements"]}
    order = {pid: placement_groups(doc, p)[0] for pid, p in places.items()}
    prefs: dict[str, list[str]] = {}
    every: dict[str, list[str]] = {}
    refused: dict[tuple[str, str], str] = {}
    for c in doc["candidates"]:
        listed = [
            pid
            for group in _groups(c["preferences"])
            for pid in sorted(group, key=p_lot.__getitem__)
        ]
        every[c["id"]] = listed
        prefs[c["id"]] = [pid for pid in listed if c["id"] in order[pid]]
        refused.update(
            {(c["id"], pid): "not_acceptable" for pid in listed if c["id"] not in order[pid]}
        )
    ranked = {
        pid: sorted(who, key=lambda cid, g=who: (g[cid], c_lot[cid])) for pid, who in order.items()
    }
    return {
        "listed": every,
        "prefs": prefs,
        "ranked": ranked,
        "groups": order,
        "refused": refused,
    }


@settings(max_examples=200, deadline=None)
@given(rounds(mentors=True, max_candidates=6, max_placements=4))
def test_encode_agrees_with_a_naive_encoder(doc: Doc) -> None:
    market = encode(parse_round(doc))
    ref = naive(doc)
    cids, pids = market.candidate_ids, market.placement_ids
    assert {cids[c]: [pids[p] for p in ps] for c, ps in enumerate(market.prefs)} == ref["prefs"]
    for p, ranks in enumerate(market.place_rank):
        pid = pids[p]
        assert [cids[c] for c in sorted(ranks, key=ranks.__getitem__)] == ref["ranked"][pid]
        assert {cids[c]: market.place_group(p, c) for c in ranks} == ref["groups"][pid]
    refused = {(cids[c], pids[p]): why.value for (c, p), (why, _) in market.refusals.items()}
    assert refused == ref["refused"]
