"""`auto` solves the welfare model as a min-cost flow exactly when its policies
keep it a network, and finds what the MILP finds (brute force checks both on
random rounds in test_brute_force.py)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import assume, given, settings

from matching.base import SolverStatus
from matching.solvers.network import network, within_bounds
from tests import brute
from tests.helpers import Doc, market_of, result_of
from tests.strategies import LINKS, ORGS, rounds


def _round(policies: list[Doc]) -> Doc:
    cands = [
        {"id": "s1", "kind": "student", "college": "col-1", "preferences": ["pa", "pb"]},
        {"id": "s2", "kind": "student", "college": "col-2", "preferences": ["pa", "pb"]},
        {"id": "s3", "kind": "apprentice", "college": "col-2", "preferences": ["pa"]},
        {"id": "s4", "kind": "student", "preferences": ["pb", "pa"]},
    ]
    places = [
        {"id": "pa", "host": "ent-a", "kind": "internship", "capacity": 2},
        {"id": "pb", "host": "ent-b", "kind": "internship", "capacity": 1},
    ]
    return {
        "id": "net",
        "organizations": copy.deepcopy(ORGS),
        "links": copy.deepcopy(LINKS),
        "placements": places,
        "candidates": cands,
        "policies": policies,
    }


PARK_CEILING = {"id": "park-cap", "kind": "ceiling", "placements": {"park": "park"}, "max": 1}
COL2_FLOOR = {"id": "col2-floor", "kind": "floor", "candidates": {"college": "col-2"}, "min": 2}
STUDENT_CEILING = {"id": "students", "kind": "ceiling", "candidates": {"kind": "student"}, "max": 2}
BOTH_SIDES = {
    "id": "both",
    "kind": "floor",
    "candidates": {"college": "col-1"},
    "placements": {"host": "ent-b"},
    "min": 1,
}


@pytest.mark.parametrize(
    ("policies", "solver"),
    [
        ([], "flow"),
        ([PARK_CEILING, COL2_FLOOR], "flow"),  # one group on each side
        ([COL2_FLOOR, STUDENT_CEILING], "cbc"),  # col-2 and students cross (s2 is in both)
        ([BOTH_SIDES], "cbc"),  # a policy over pairs, not one side
    ],
)
def test_auto_takes_the_flow_exactly_when_the_policies_allow(
    policies: list[Doc], solver: str
) -> None:
    doc = _round(policies)
    auto = result_of(doc, "optimal")
    milp = result_of(doc, "optimal", solver="cbc")
    assert auto.solver == solver
    assert auto.status.value == milp.status.value == "optimal"
    assert auto.objective == pytest.approx(milp.objective, abs=1e-6)
    assert all(p.satisfied for p in auto.policies)


def test_infeasible_policies_on_a_network_name_the_conflict_and_violate_least() -> None:
    # Both col-2 candidates are wanted, but the park (ent-a's pa) takes one.
    only_pa = {"id": "col2-floor", "kind": "floor", "candidates": {"college": "col-2"}, "min": 2}
    doc = _round([PARK_CEILING, only_pa])
    doc["candidates"][1]["preferences"] = ["pa"]
    auto = result_of(doc, "optimal")
    milp = result_of(doc, "optimal", solver="cbc")
    assert auto.solver == "flow"
    assert auto.status.value == milp.status.value == "infeasible"
    assert auto.conflicts == milp.conflicts == ("col2-floor", "park-cap")
    assert auto.objective == pytest.approx(milp.objective, abs=1e-6)
    assert [p.value for p in auto.policies] == [p.value for p in milp.policies]


@settings(max_examples=150)
@given(rounds(max_candidates=5, max_placements=3, policies=True, mentors=True))
def test_whether_the_bounds_can_be_met_is_brute_forces_answer(doc: Doc) -> None:
    """The maximum flow that decides feasibility (the deletion filter's, and
    the policy-stable mechanism's before it searches lifts) agrees with
    trying every matching, wherever the policies form a network."""
    market = market_of(doc)
    net = network(market, market.policies)
    assume(net is not None)
    assert net is not None
    some = any(brute.policies_hold(market, m) for m in brute.matchings(market))
    found = within_bounds(market, net)
    assert (found.status is not SolverStatus.INFEASIBLE) == some
    if some:  # and the matching it found keeps within them
        assert found.assignment in set(brute.matchings(market))
        assert brute.policies_hold(market, found.assignment)
