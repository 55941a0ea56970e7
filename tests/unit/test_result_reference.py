"""The checker (blocking pairs) and the metrics against references written from
docs/round-format.md and the round document alone, with no `Market`
(issue 12): a slip in the shared encoding cannot hide in both."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings

from matching import parse_round, solve
from matching.io import result_to_dict
from tests.strategies import Doc, rounds
from tests.unit.test_encode_reference import naive


def _groups(ranking: list[Any]) -> list[list[str]]:
    return [item if isinstance(item, list) else [item] for item in ranking]


def blocking_pairs(doc: Doc, assignments: dict[str, str | None]) -> list[list[str]]:
    """Pairs (c, p), acceptable to both, where c prefers p to what it got (in
    its tie-broken order) and p has a free seat or prefers c to one of its
    assignees (Gale and Shapley 1962; rounds without mentors)."""
    ref = naive(doc)
    capacity = {p["id"]: p["capacity"] for p in doc["placements"]}
    held: dict[str, list[str]] = {pid: [] for pid in capacity}
    for c, p in assignments.items():
        if p is not None:
            held[p].append(c)
    out = []
    for c, prefs in ref["prefs"].items():
        got = assignments[c]
        better = prefs if got is None else prefs[: prefs.index(got)]
        for p in better:
            order = ref["ranked"][p]
            if len(held[p]) < capacity[p] or any(
                order.index(c) < order.index(other) for other in held[p]
            ):
                out.append([c, p])
    return sorted(out)


def _parks_of(doc: Doc) -> dict[str, set[str]]:
    """Each organization's parks: located_in and hosted_by links, followed."""
    up: dict[str, set[str]] = {}
    for link in doc.get("links", []):
        if link["kind"] in ("located_in", "hosted_by"):
            up.setdefault(link["source"], set()).add(link["target"])
    parks = {o["id"] for o in doc["organizations"] if o["kind"] == "park"}
    out = {}
    for org in (o["id"] for o in doc["organizations"]):
        seen, todo = set(), [org]
        while todo:
            for nxt in up.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[org] = seen & parks
    return out


def metrics(doc: Doc, assignments: dict[str, str | None]) -> dict[str, Any]:
    cands = {c["id"]: c for c in doc["candidates"]}
    places = {p["id"]: p for p in doc["placements"]}
    placed = {c: p for c, p in assignments.items() if p is not None}
    ranks = Counter(
        next(g for g, group in enumerate(_groups(cands[c]["preferences"]), 1) if p in group)
        for c, p in placed.items()
    )
    parks_of = _parks_of(doc)

    def fill(key: str) -> dict[str, tuple[int, int]]:
        def of(c: Doc) -> object:
            return c.get("college") or c.get("institute") if key == "affiliation" else c.get(key)

        total = Counter(of(c) for c in cands.values())
        hits = Counter(of(cands[c]) for c in placed)
        return {str(k): (hits[k], n) for k, n in total.items() if k is not None}

    parks = sorted(o["id"] for o in doc["organizations"] if o["kind"] == "park")
    return {
        "matched": len(placed),
        "unmatched": len(assignments) - len(placed),
        "capacity": sum(p["capacity"] for p in places.values()),
        "rank_histogram": {str(r): n for r, n in sorted(ranks.items())},
        "mean_rank": sum(r * n for r, n in ranks.items()) / len(placed) if placed else None,
        "by_park": {
            park: (
                sum(1 for p in placed.values() if park in parks_of[places[p]["host"]]),
                sum(p["capacity"] for p in places.values() if park in parks_of[p["host"]]),
            )
            for park in parks
        },
        "by_college": fill("affiliation"),
        "by_kind": fill("kind"),
        "by_tier": fill("tier"),
    }


def _check_metrics(doc: Doc, result: dict[str, Any]) -> None:
    ref = metrics(doc, result["assignments"])
    got = result["metrics"]
    for key in ("matched", "unmatched", "capacity", "rank_histogram"):
        assert got[key] == ref[key], key
    assert got["mean_rank"] == (
        None if ref["mean_rank"] is None else pytest.approx(ref["mean_rank"])
    )
    for key in ("by_park", "by_college", "by_kind", "by_tier"):
        assert {k: (v["matched"], v["total"]) for k, v in got[key].items()} == ref[key], key


@settings(max_examples=150, deadline=None)
@given(rounds(max_candidates=6, max_placements=4))
def test_blocking_pairs_and_metrics_agree_with_references(doc: Doc) -> None:
    for mechanism in ("stable", "optimal"):
        result = result_to_dict(solve(parse_round(doc), mechanism=mechanism))
        assert sorted(result["blocking_pairs"]) == blocking_pairs(doc, result["assignments"])
        assert result["stable"] == (not result["blocking_pairs"])
        _check_metrics(doc, result)


@settings(max_examples=80, deadline=None)
@given(rounds(mentors=True, policies=True))
def test_metrics_agree_with_references_with_mentors_and_policies(doc: Doc) -> None:
    _check_metrics(doc, result_to_dict(solve(parse_round(doc), mechanism="optimal")))
