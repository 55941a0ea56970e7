"""The coordinator's overrides through every mechanism (issue 16): a pinned
pair uses its seat before the mechanism runs, a forbidden pair is never
placed, and the checker and the explanations know both. Against brute force
over every matching of tiny random rounds, with a definition of stability
under pins written apart from matching.verify: a pinned candidate blocks
nothing and ranks first wherever it is pinned."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from matching import parse_round
from matching.encode import Market
from matching.errors import InvalidRound
from matching.model import Reason
from tests import brute
from tests.helpers import Doc, assignment_of, market_of, result_of
from tests.mechanisms.test_flexible import ceilinged
from tests.strategies import rounds

REASONS = ["hardship", "health", "disability", "legal", "other"]


@st.composite
def overridden(draw: st.DrawFn, **kwargs: Any) -> Doc:
    """A tiny random round with random pins (where the candidate asked to go,
    within the seats) and forbidden pairs."""
    return with_overrides(draw, draw(rounds(**kwargs)))


@st.composite
def ceilinged_overridden(draw: st.DrawFn) -> Doc:
    """The policy-stable mechanism's rounds (ceilings on nested groups of
    placements, mentors, a college's floor) with overrides."""
    doc = draw(st.booleans().flatmap(lambda m: ceilinged(mentors=m, floors=not m)))
    return with_overrides(draw, doc)


def with_overrides(draw: st.DrawFn, doc: Doc) -> Doc:
    seats = {p["id"]: p["capacity"] for p in doc["placements"]}
    mentor_of = {p["id"]: p.get("mentor") for p in doc["placements"]}
    mentor_seats = {m["id"]: m["capacity"] for m in doc.get("mentors", [])}
    overrides: list[Doc] = []
    for cand in doc["candidates"]:
        listed = [p for g in cand["preferences"] for p in (g if isinstance(g, list) else [g])]
        if not listed:
            continue
        choice = draw(st.sampled_from(["none", "none", "pin", "forbid"]))
        p = draw(st.sampled_from(listed))
        m = mentor_of[p]
        if choice == "pin" and seats[p] > 0 and (m is None or mentor_seats[m] > 0):
            seats[p] -= 1
            if m is not None:
                mentor_seats[m] -= 1
        elif choice != "forbid":
            continue
        overrides.append(
            {
                "candidate": cand["id"],
                "placement": p,
                "kind": choice,
                "reason": draw(st.sampled_from(REASONS)),
                "note": "说明",
            }
        )
    assume(overrides)
    doc["overrides"] = overrides
    return doc


def forbidden(doc: Doc) -> set[tuple[str, str]]:
    return {(o["candidate"], o["placement"]) for o in doc["overrides"] if o["kind"] == "forbid"}


def pinned(doc: Doc) -> dict[str, str]:
    return {o["candidate"]: o["placement"] for o in doc["overrides"] if o["kind"] == "pin"}


def _honoured(doc: Doc, mechanism: str, **options: Any) -> tuple[Market, Any, tuple[int, ...]]:
    result = result_of(doc, mechanism, **options)
    market = market_of(doc)
    a = assignment_of(market, result)
    placed = dict(result.assignments)
    assert all(placed[c] == p for c, p in pinned(doc).items())
    assert not {(c, p) for c, p in placed.items() if p is not None} & forbidden(doc)
    assert not result.capacity_violations
    assert {(o.candidate, o.placement, o.kind.value) for o in result.overrides} == {
        (o["candidate"], o["placement"], o["kind"]) for o in doc["overrides"]
    }
    return market, result, a


@settings(max_examples=150, deadline=None)
@given(overridden(mentors=False))
def test_stable_mechanisms_honour_overrides_against_brute_force(doc: Doc) -> None:
    market, result, a = _honoured(doc, "stable")
    stable = [s for s in brute.with_the_pins(market) if not brute.pinned_blocking(market, s)]
    assert a in stable
    assert result.stable and not result.blocking_pairs
    for s in stable:  # candidate-optimal among the stable matchings with the pins
        for c in range(market.n_candidates):
            assert brute.position(market, c, a[c]) <= brute.position(market, c, s[c])
    market, result, b = _honoured(doc, "stable-placement")
    assert b in stable
    for s in stable:  # and every candidate weakly prefers each to placement-optimal
        for c in range(market.n_candidates):
            assert brute.position(market, c, b[c]) >= brute.position(market, c, s[c])


@settings(max_examples=100, deadline=None)
@given(overridden(mentors=True))
def test_spa_honours_overrides_against_brute_force(doc: Doc) -> None:
    market, result, a = _honoured(doc, "stable")
    assert not brute.pinned_blocking(market, a)
    assert result.stable


@settings(max_examples=80, deadline=None)
@given(overridden(policies=True, max_candidates=4))
def test_optimal_honours_overrides_and_policies(doc: Doc) -> None:
    market, result, a = _honoured(doc, "optimal")
    feasible = [s for s in brute.with_the_pins(market) if brute.policies_hold(market, s)]
    if not feasible:
        assert not all(p.satisfied for p in result.policies)
        return
    assert all(p.satisfied for p in result.policies)
    best = max(brute.welfare(market, s) for s in feasible)
    assert brute.welfare(market, a) == pytest.approx(best, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(ceilinged_overridden())
def test_policy_stable_honours_overrides(doc: Doc) -> None:
    market, result, a = _honoured(doc, "policy-stable")
    if not all(p.satisfied for p in result.policies) or result.solver is not None:
        return  # the pins alone break a ceiling, or the floor needed the MILP
    first = brute.pins_first(market)
    excuses = brute.excuses(first, a)
    assert None not in [k for (c, _), k in excuses.items() if c not in market.pinned]
    assert result.policy_stable


@settings(max_examples=150, deadline=None)
@given(overridden(mentors=False))
def test_pins_blocking_and_explanations_are_checkable(doc: Doc) -> None:
    market, result, a = _honoured(doc, "stable")
    ids, pids = market.candidate_ids, market.placement_ids
    # a pair blocked by a pin: it would block were the pinned candidate at its rank
    # (a pinned candidate its placement does not rank is ranked after all it ranks)
    real = set(brute.blocking(market, a))
    under_pins = set(brute.pinned_blocking(market, a))
    expected = {(c, p) for c, p in real if c not in market.pinned and (c, p) not in under_pins}
    assert {(ids.index(c), pids.index(p)) for c, p, _ in result.blocked_by_pins} == expected
    placed_at = dict(result.assignments)
    for _, p, d in result.blocked_by_pins:
        assert pinned(doc)[d] == p == placed_at[d]
    by_pin = {(c, p): d for c, p, d in result.blocked_by_pins}
    for cid, reasons in result.explanations:
        for e in reasons:
            if e.reason is Reason.FORBIDDEN:
                assert (cid, e.placement) in forbidden(doc)
            elif e.reason is Reason.PINNED:
                assert cid in pinned(doc) or by_pin[cid, e.placement] == e.cutoff
            else:
                assert cid not in pinned(doc)
            if e.reason is Reason.FULL:
                c, p = ids.index(cid), pids.index(e.placement)
                cutoff = ids.index(e.cutoff or "")
                assert a[cutoff] == p
                assert market.place_rank[p].get(cutoff, -1) < market.place_rank[p][c]


def test_a_pin_beats_the_ranking_and_its_blocked_pair_is_reported() -> None:
    doc: Doc = {
        "id": "pin",
        "seed": 1,
        "organizations": [{"id": "e", "kind": "enterprise"}],
        "placements": [
            {"id": "p1", "host": "e", "kind": "internship", "capacity": 1, "ranking": ["a", "b"]},
            {"id": "p2", "host": "e", "kind": "internship", "capacity": 1, "ranking": ["a", "b"]},
        ],
        "candidates": [
            {"id": "a", "kind": "student", "preferences": ["p1", "p2"]},
            {"id": "b", "kind": "student", "preferences": ["p1", "p2"]},
        ],
        "overrides": [
            {
                "candidate": "b",
                "placement": "p1",
                "kind": "pin",
                "reason": "disability",
                "by": "办公室",
            }
        ],
    }
    result = result_of(doc)
    assert dict(result.assignments) == {"a": "p2", "b": "p1"}
    assert result.stable and result.blocked_by_pins == (("a", "p1", "b"),)
    assert dict(result.explanations)["a"][0].reason is Reason.PINNED
    assert dict(result.explanations)["a"][0].cutoff == "b"
    forbid = copy.deepcopy(doc)
    forbid["overrides"] = [
        {"candidate": "a", "placement": "p1", "kind": "forbid", "reason": "legal"}
    ]
    result = result_of(forbid)
    assert dict(result.assignments) == {"a": "p2", "b": "p1"}
    assert dict(result.explanations)["a"][0].reason is Reason.FORBIDDEN


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"candidate": "x", "placement": "p1", "kind": "pin"}, "overrides[0].candidate: unknown"),
        ({"candidate": "a", "placement": "p9", "kind": "pin"}, "overrides[0].placement: unknown"),
        ({"candidate": "a", "placement": "p1", "kind": "push"}, "overrides[0].kind"),
        ({"candidate": "a", "placement": "p1", "kind": "pin", "reason": "bored"}, "reason"),
        ({"candidate": "a", "placement": "p3", "kind": "pin"}, "does not list placement 'p3'"),
    ],
)
def test_bad_overrides_name_the_field(override: Doc, message: str) -> None:
    doc: Doc = {
        "id": "bad",
        "organizations": [{"id": "e", "kind": "enterprise"}],
        "placements": [
            {"id": f"p{i}", "host": "e", "kind": "internship", "capacity": 1} for i in (1, 2, 3)
        ],
        "candidates": [{"id": "a", "kind": "student", "preferences": ["p1", "p2"]}],
        "overrides": [{"reason": "other", **override}],
    }
    with pytest.raises(InvalidRound) as e:
        parse_round(doc)
    assert message in str(e.value)


def test_more_pins_than_seats_is_refused() -> None:
    doc: Doc = {
        "id": "full",
        "organizations": [{"id": "e", "kind": "enterprise"}],
        "placements": [{"id": "p1", "host": "e", "kind": "internship", "capacity": 1}],
        "candidates": [{"id": c, "kind": "student", "preferences": ["p1"]} for c in ("a", "b")],
        "overrides": [
            {"candidate": c, "placement": "p1", "kind": "pin", "reason": "health"}
            for c in ("a", "b")
        ],
    }
    with pytest.raises(InvalidRound, match=r"overrides\[1\].placement: more pins than placement"):
        parse_round(doc)
    doc["overrides"][1] = {**doc["overrides"][0], "kind": "forbid"}
    with pytest.raises(InvalidRound, match="a second override of candidate 'a'"):
        parse_round(doc)
