"""Issue 14's checker: every blocking pair of every result is excused by a
policy (named) or not, as an enumeration written apart from matching.verify
says, for every matching of tiny rounds and for every mechanism's result."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from matching.verify import policy_stability, verify
from tests import brute
from tests.helpers import Doc, assignment_of, market_of, result_of
from tests.strategies import rounds


@settings(max_examples=60)
@given(rounds(mentors=True, policies=True, max_candidates=4))
def test_the_checker_classifies_every_matching_as_the_enumeration_does(doc: Doc) -> None:
    market = market_of(doc)
    for a in brute.matchings(market):
        got = policy_stability(market, a, verify(market, a))
        want = brute.excuses(market, a)
        assert {(c, p): k for c, p, k in got.excused} == {
            pair: k for pair, k in want.items() if k is not None
        }
        assert set(got.unexcused) == {pair for pair, k in want.items() if k is None}
        assert got.policy_stable == (brute.policies_hold(market, a) and None not in want.values())


@pytest.mark.parametrize("mechanism", ["stable", "optimal"])
@given(doc=rounds(mentors=True, policies=True, max_candidates=4))
def test_every_result_says_which_pairs_a_policy_excuses(mechanism: str, doc: Doc) -> None:
    market = market_of(doc)
    result = result_of(doc, mechanism)
    a = assignment_of(market, result)
    want = brute.excuses(market, a)
    cids, pids = market.candidate_ids, market.placement_ids
    assert set(result.excused) == {
        (cids[c], pids[p], market.policies[k].id) for (c, p), k in want.items() if k is not None
    }
    assert set(result.unexcused) == {(cids[c], pids[p]) for (c, p), k in want.items() if k is None}
    # the contract's own fields keep their meaning
    assert set(result.blocking_pairs) == {(cids[c], pids[p]) for c, p in want}
    # an excused pair is explained by its policy (a pair the lottery made, of
    # placements tied in the candidate's own list, is not explained at all)
    why = {(cid, e.placement): e for cid, es in result.explanations for e in es}
    for cid, pid, policy in result.excused:
        if (cid, pid) in why:
            assert why[cid, pid].policy == policy


def _round(policies: list[dict[str, object]]) -> Doc:
    """Two candidates who want p1 (in Jintan) first, c2 nothing else; p1 ranks c1 above c2."""
    return {
        "id": "ps",
        "seed": 1,
        "organizations": [
            {"id": "park-jintan", "kind": "park"},
            {"id": "ent-a", "kind": "enterprise"},
            {"id": "ent-b", "kind": "enterprise"},
            {"id": "col-1", "kind": "college", "level": "higher_vocational"},
            {"id": "col-2", "kind": "college", "level": "secondary_vocational"},
        ],
        "links": [{"source": "ent-a", "target": "park-jintan", "kind": "located_in"}],
        "placements": [
            {"id": "p1", "host": "ent-a", "kind": "internship", "capacity": 2,
             "ranking": ["c1", "c2"]},
            {"id": "p2", "host": "ent-b", "kind": "internship", "capacity": 2,
             "ranking": ["c1", "c2"]},
        ],
        "candidates": [
            {"id": "c1", "kind": "student", "college": "col-1", "preferences": ["p1", "p2"]},
            {"id": "c2", "kind": "student", "college": "col-2", "preferences": ["p1"]},
        ],
        "policies": policies,
    }  # fmt: skip


def test_a_seat_a_ceiling_keeps_empty_is_no_injustice() -> None:
    ceiling = {
        "id": "jintan-cap",
        "kind": "ceiling",
        "placements": {"park": "park-jintan"},
        "max": 1,
    }
    result = result_of(_round([ceiling]), "policy-stable")
    assert dict(result.assignments) == {"c1": "p1", "c2": None}
    # c2 would take p1's free seat: waste, but the park is at its ceiling
    assert result.blocking_pairs == (("c2", "p1"),)
    assert result.excused == (("c2", "p1", "jintan-cap"),)
    assert result.unexcused == () and result.policy_stable and not result.stable
    assert [(e.reason.value, e.policy) for e in dict(result.explanations)["c2"]] == [
        ("policy", "jintan-cap")
    ]


def test_envy_no_policy_explains_is_unexcused() -> None:
    """The welfare optimum places both, c2 in Jintan over c1 whom p1 ranks
    first: c1 replacing c2 keeps the park at its ceiling, so nothing excuses it."""
    ceiling = {
        "id": "jintan-cap",
        "kind": "ceiling",
        "placements": {"park": "park-jintan"},
        "max": 1,
    }
    result = result_of(_round([ceiling]), "optimal")
    assert dict(result.assignments) == {"c1": "p2", "c2": "p1"}
    assert result.unexcused == (("c1", "p1"),) and result.excused == ()
    assert not result.policy_stable


def test_plain_stable_matching_breaks_the_ceiling_and_is_not_policy_stable() -> None:
    ceiling = {
        "id": "jintan-cap",
        "kind": "ceiling",
        "placements": {"park": "park-jintan"},
        "max": 1,
    }
    result = result_of(_round([ceiling]), "stable")
    assert dict(result.assignments) == {"c1": "p1", "c2": "p1"}
    assert result.stable and not result.policy_stable  # stable, and the park over its ceiling
