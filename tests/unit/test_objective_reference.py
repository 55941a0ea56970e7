"""The welfare objective of docs/round-format.md, computed from the round
document alone: no `Market`, no `pair_weight`, no encoder, so a slip in the
engine's encoding of the objective cannot hide behind shared code.

    w(c, p) = 2 + (K_c − g_c + 1)/K_c + 0.5·(K_p − g_p)/K_p + 0.25·a(c, p)

K_p counts the groups of p's ranking as written (its mentor's where a mentor
leads it), whoever applied (issue 11, item 14: the engine counted groups only
up to the last applicant).
"""

from __future__ import annotations

import heapq
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from matching import parse_round, solve
from matching.io import result_to_dict
from tests.strategies import Doc, rounds

KP_REPRO: Doc = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "rounds" / "kp-repro.json").read_text()
)


def _groups(ranking: list[Any]) -> list[list[str]]:
    return [item if isinstance(item, list) else [item] for item in ranking]


def _affinity(doc: Doc, source: str | None, host: str) -> float:
    """min(1, 1/d), d the shortest undirected path over every link but `governs`,
    each of length 1/weight; 0 with no path or no college or institute."""
    if source is None:
        return 0.0
    edges: dict[str, list[tuple[str, float]]] = {}
    for link in doc.get("links", []):
        if link["kind"] == "governs":
            continue
        length = 1 / link.get("weight", 1.0)
        edges.setdefault(link["source"], []).append((link["target"], length))
        edges.setdefault(link["target"], []).append((link["source"], length))
    best = {source: 0.0}
    queue = [(0.0, source)]
    while queue:
        d, node = heapq.heappop(queue)
        if d > best[node]:
            continue
        for nxt, length in edges.get(node, []):
            if d + length < best.get(nxt, float("inf")):
                best[nxt] = d + length
                heapq.heappush(queue, (d + length, nxt))
    if host not in best:
        return 0.0
    return 1.0 if best[host] == 0 else min(1.0, 1 / best[host])


def placement_groups(doc: Doc, p: Doc) -> tuple[dict[str, int], int]:
    """Each acceptable applicant's 0-based group in p's order, and K_p."""
    applicants = [
        c["id"]
        for c in doc["candidates"]
        if p["id"] in itertools.chain.from_iterable(_groups(c["preferences"]))
    ]
    mentor = next((m for m in doc.get("mentors", []) if m["id"] == p.get("mentor")), None)
    if mentor is not None:
        if mentor.get("ranking") is None:
            order, k = {c: 0 for c in applicants}, 1
        else:
            written = _groups(mentor["ranking"])
            order, k = {c: g for g, group in enumerate(written) for c in group}, len(written)
        if p.get("ranking") is not None:
            mine = set(itertools.chain.from_iterable(_groups(p["ranking"])))
            order = {c: g for c, g in order.items() if c in mine}
        return {c: g for c, g in order.items() if c in applicants}, k
    if p.get("ranking") is not None:
        written = _groups(p["ranking"])
        order = {c: g for g, group in enumerate(written) for c in group}
        return {c: g for c, g in order.items() if c in applicants}, len(written)
    cands = {c["id"]: c for c in doc["candidates"]}
    wanted = set(p.get("skills") or p.get("requirements", {}).get("skills") or [])
    scores = {}
    for cid in applicants:
        cand = cands[cid]
        share = len(wanted & set(cand.get("skills", []))) / len(wanted) if wanted else 0.0
        source = cand.get("college") or cand.get("institute")
        # rounded as the engine does, so that scores equal on paper tie exactly
        scores[cid] = round(share + _affinity(doc, source, p["host"]), 9)
    distinct = sorted(set(scores.values()), reverse=True)
    return {c: distinct.index(s) for c, s in scores.items()}, max(len(distinct), 1)


def pair_weights(doc: Doc) -> dict[tuple[str, str], float]:
    """w(c, p) for every acceptable pair of the document."""
    places = {p["id"]: p for p in doc["placements"]}
    groups = {pid: placement_groups(doc, p) for pid, p in places.items()}
    out = {}
    for c in doc["candidates"]:
        prefs = _groups(c["preferences"])
        for g_c, group in enumerate(prefs, start=1):
            for pid in group:
                order, k_p = groups[pid]
                if c["id"] not in order:
                    continue
                a = _affinity(doc, c.get("college") or c.get("institute"), places[pid]["host"])
                k_c = len(prefs)
                out[c["id"], pid] = (
                    2 + (k_c - g_c + 1) / k_c + 0.5 * (k_p - order[c["id"]]) / k_p + 0.25 * a
                )
    return out


def best_welfare(doc: Doc) -> float:
    """The optimum by enumeration: every assignment within the capacities."""
    weights = pair_weights(doc)
    places = {p["id"]: p for p in doc["placements"]}
    mentor_cap = {m["id"]: m["capacity"] for m in doc.get("mentors", [])}
    options = [[None, *(p for (cid, p) in weights if cid == c["id"])] for c in doc["candidates"]]
    best = 0.0
    for choice in itertools.product(*options):
        used: dict[str, int] = {}
        for pid in choice:
            if pid is not None:
                used[pid] = used.get(pid, 0) + 1
                mentor = places[pid].get("mentor")
                if mentor is not None:
                    used["mentor:" + mentor] = used.get("mentor:" + mentor, 0) + 1
        if any(n > places[k]["capacity"] for k, n in used.items() if k in places):
            continue
        if any(n > mentor_cap[k[7:]] for k, n in used.items() if k.startswith("mentor:")):
            continue
        total = sum(
            weights[c["id"], pid]
            for c, pid in zip(doc["candidates"], choice, strict=True)
            if pid is not None
        )
        best = max(best, total)
    return best


def _objective_of(doc: Doc, assignments: dict[str, str | None]) -> float:
    weights = pair_weights(doc)
    return sum(weights[c, p] for c, p in assignments.items() if p is not None)


def test_the_issue_round_has_the_documented_optimum() -> None:
    weights = pair_weights(KP_REPRO)
    assert weights["x", "p"] == pytest.approx(3 + 0.5 * 2 / 3)
    assert weights["x", "q"] == pytest.approx(3.3)
    assert weights["y", "q"] == pytest.approx(3.55)
    result = result_to_dict(solve(parse_round(KP_REPRO), mechanism="optimal"))
    assert result["assignments"] == {"a": None, "x": "p", "y": "q", "z": None}
    assert result["objective"] == 6.883333
    assert result["metrics"]["welfare"] == 6.883333


@settings(max_examples=60, deadline=None)
@given(rounds(mentors=True, max_candidates=4, max_placements=3))
def test_optimal_reaches_the_documented_optimum(doc: Doc) -> None:
    result = result_to_dict(solve(parse_round(doc), mechanism="optimal"))
    assert result["objective"] == pytest.approx(best_welfare(doc), abs=1e-5)
    assert result["objective"] == pytest.approx(_objective_of(doc, result["assignments"]), abs=1e-5)


@settings(max_examples=60, deadline=None)
@given(rounds(mentors=True))
def test_the_reported_welfare_of_any_mechanism_is_the_documented_one(doc: Doc) -> None:
    result = result_to_dict(solve(parse_round(doc), mechanism="stable"))
    expected = _objective_of(doc, result["assignments"])
    assert result["metrics"]["welfare"] == pytest.approx(expected, abs=1e-5)
