"""Properties of every mechanism on random rounds larger than brute force can reach."""

from __future__ import annotations

import copy
import hashlib
import random
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import SolveOptions, io, parse_round, solve
from matching.encode import encode
from tests.properties import check_explanations
from tests.strategies import rounds

MEDIUM = rounds(max_candidates=25, max_placements=8, max_capacity=4)
MENTORED = rounds(max_candidates=25, max_placements=8, max_capacity=4, mentors=True)
POLICED = rounds(max_candidates=12, max_placements=5, max_capacity=3, mentors=True, policies=True)


def _shuffled(doc: dict[str, Any], seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    out = copy.deepcopy(doc)
    for key in ("organizations", "links", "placements", "candidates", "mentors", "policies"):
        if key in out:
            rng.shuffle(out[key])
    return out


@given(MEDIUM)
def test_stable_results_have_no_blocking_pair_and_respect_capacities(doc: dict[str, Any]) -> None:
    for mechanism in ("stable", "stable-placement"):
        result = solve(parse_round(doc), mechanism)
        assert result.stable and not result.blocking_pairs
        assert not result.capacity_violations


@given(MENTORED)
def test_spa_results_are_stable_and_respect_mentor_capacities(doc: dict[str, Any]) -> None:
    result = solve(parse_round(doc), "stable")
    assert result.stable
    assert not result.capacity_violations


@given(POLICED)
def test_optimal_respects_policies_or_says_infeasible(doc: dict[str, Any]) -> None:
    result = solve(parse_round(doc), "optimal")
    assert not result.capacity_violations
    if result.status.value == "infeasible":
        assert result.conflicts
    else:
        assert all(p.satisfied for p in result.policies)


@given(POLICED)
def test_the_flow_and_the_milp_find_the_same_optimum(doc: dict[str, Any]) -> None:
    r = parse_round(doc)
    auto = solve(r, "optimal", SolveOptions(solver="auto"))
    milp = solve(r, "optimal", SolveOptions(solver="highspy"))
    assert auto.status == milp.status
    assert auto.conflicts == milp.conflicts
    assert auto.objective == pytest.approx(milp.objective, abs=1e-5)


@given(MENTORED, st.integers(0, 1000))
def test_file_order_does_not_matter(doc: dict[str, Any], shuffle_seed: int) -> None:
    a = parse_round(doc)
    b = parse_round(_shuffled(doc, shuffle_seed))
    assert a == b
    assert io.round_hash(a) == io.round_hash(b)
    whole = orjson.dumps(io.round_to_dict(a), option=orjson.OPT_SORT_KEYS)
    assert io.round_hash(a) == hashlib.sha256(whole).hexdigest()
    assert io.dumps(io.result_to_dict(solve(a))) == io.dumps(io.result_to_dict(solve(b)))


@given(MEDIUM)
def test_same_seed_same_bytes(doc: dict[str, Any]) -> None:
    first = io.dumps(io.result_to_dict(solve(parse_round(doc), "stable")))
    again = io.dumps(io.result_to_dict(solve(parse_round(copy.deepcopy(doc)), "stable")))
    assert first == again


@given(MENTORED)
def test_explanations_check_out_for_stable(doc: dict[str, Any]) -> None:
    r = parse_round(doc)
    check_explanations.check(doc, solve(r, "stable"))


@given(POLICED)
def test_explanations_check_out_for_optimal(doc: dict[str, Any]) -> None:
    r = parse_round(doc)
    check_explanations.check(doc, solve(r, "optimal"))


@given(MEDIUM)
def test_every_candidate_is_in_the_result(doc: dict[str, Any]) -> None:
    result = solve(parse_round(doc))
    assert sorted(c for c, _ in result.assignments) == sorted(c["id"] for c in doc["candidates"])
    assert result.metrics.matched + result.metrics.unmatched == len(doc["candidates"])


@given(MEDIUM)
def test_metrics_count_placed_candidates_per_group(doc: dict[str, Any]) -> None:
    result = solve(parse_round(doc), "stable")
    placed = {c for c, p in result.assignments if p is not None}
    for field, fills in (
        ("college", result.metrics.by_college),
        ("kind", result.metrics.by_kind),
        ("tier", result.metrics.by_tier),
    ):
        groups = sorted({c[field] for c in doc["candidates"] if field in c})
        expected = tuple(
            (
                g,
                sum(1 for c in doc["candidates"] if c.get(field) == g and c["id"] in placed),
                sum(1 for c in doc["candidates"] if c.get(field) == g),
            )
            for g in groups
        )
        assert tuple((g, f.matched, f.total) for g, f in fills) == expected
    assert result.metrics.matched == len(placed)


@given(POLICED)
def test_a_pairs_policies_are_those_that_cover_it(doc: dict[str, Any]) -> None:
    """Coverage works a pair's policies out once per kind of pair: the same
    policies, in the same order, as asking each policy."""
    market = encode(parse_round(doc))
    for c in range(market.n_candidates):
        for p in range(market.n_placements):
            expected = tuple(k for k, g in enumerate(market.policies) if g.covers(c, p))
            assert market.coverage.of(c, p) == expected
