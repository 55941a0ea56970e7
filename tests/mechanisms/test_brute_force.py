"""Every mechanism against brute force on tiny rounds."""

from __future__ import annotations

import pytest
from hypothesis import given

from matching.errors import UnsupportedOption
from matching.mechanisms.deferred_acceptance import placement_proposing
from matching.mechanisms.spa import spa_lecturer
from tests import brute
from tests.helpers import Doc, Stability, assignment_of, market_of, result_of
from tests.strategies import rounds


def _best(market, stable, c, pick):
    return pick(brute.position(market, c, a[c]) for a in stable)


@given(rounds())
def test_stable_is_the_candidate_optimal_stable_matching(doc: Doc) -> None:
    market = market_of(doc)
    got = assignment_of(market, result_of(doc, "stable"))
    stable = brute.stable_matchings(market)
    assert got in stable
    for c in range(market.n_candidates):
        assert brute.position(market, c, got[c]) == _best(market, stable, c, min)


@given(rounds(mentors=True))
def test_stable_with_mentors_is_the_student_optimal_spa_matching(doc: Doc) -> None:
    market = market_of(doc)
    got = assignment_of(market, result_of(doc, "stable"))
    stable = brute.stable_matchings(market)
    assert got in stable  # SPA always admits a stable matching (AIM 2007, Thm 3.1)
    for c in range(market.n_candidates):
        assert brute.position(market, c, got[c]) == _best(market, stable, c, min)


@given(rounds(mentors=True, max_candidates=5, max_placements=4))
def test_spa_lecturer_is_the_student_pessimal_spa_matching(doc: Doc) -> None:
    """The SPA-lecturer algorithm (the re-match's, with mentors) gives each
    candidate its worst stable outcome (AIM 2007, §4)."""
    market = market_of(doc)
    got = spa_lecturer(market)
    stable = brute.stable_matchings(market)
    assert got in stable
    for c in range(market.n_candidates):
        assert brute.position(market, c, got[c]) == _best(market, stable, c, max)


@given(rounds())
def test_spa_lecturer_without_mentors_is_placement_proposing(doc: Doc) -> None:
    market = market_of(doc)
    assert spa_lecturer(market) == placement_proposing(market)


@given(rounds())
def test_stable_placement_is_the_placement_optimal_stable_matching(doc: Doc) -> None:
    market = market_of(doc)
    got = assignment_of(market, result_of(doc, "stable-placement"))
    stable = brute.stable_matchings(market)
    assert got in stable
    # In hospitals/residents the placement-optimal stable matching is the
    # candidate-pessimal one: every candidate gets its worst stable partner.
    for c in range(market.n_candidates):
        assert brute.position(market, c, got[c]) == _best(market, stable, c, max)


def test_stable_placement_refuses_mentors() -> None:
    doc = {
        "id": "m",
        "organizations": [{"id": "e", "kind": "enterprise"}],
        "links": [],
        "mentors": [{"id": "studio-wang", "capacity": 1, "ranking": ["s"]}],
        "placements": [
            {
                "id": "p",
                "host": "e",
                "kind": "apprenticeship",
                "capacity": 1,
                "mentor": "studio-wang",
            }
        ],
        "candidates": [{"id": "s", "kind": "apprentice", "preferences": ["p"]}],
    }
    with pytest.raises(UnsupportedOption, match="stable-placement does not support mentors"):
        result_of(doc, "stable-placement")


@pytest.mark.parametrize("solver", ["auto", "cbc", "highspy"])
@given(doc=rounds(mentors=True, policies=True, max_candidates=4))
def test_optimal_equals_the_enumerated_optimum_under_policies(solver: str, doc: Doc) -> None:
    market = market_of(doc)
    result = result_of(doc, "optimal", solver=solver)
    feasible = [a for a in brute.matchings(market) if brute.policies_hold(market, a)]
    if not feasible:
        assert result.status.value == "infeasible"
        conflicts = [g for g in market.policies if g.id in result.conflicts]
        everything = list(brute.matchings(market))
        assert not any(brute.policies_hold(market, a, conflicts) for a in everything)
        for dropped in conflicts:  # minimal: without any one of them, feasible
            rest = [g for g in conflicts if g is not dropped]
            assert any(brute.policies_hold(market, a, rest) for a in everything)
        # The matching returned violates the policies least, then has the most welfare.
        least = min(brute.violation(market, a) for a in everything)
        best = max(
            brute.welfare(market, a) for a in everything if brute.violation(market, a) == least
        )
        assert brute.violation(market, assignment_of(market, result)) == least
        assert result.objective == pytest.approx(best, abs=1e-5)
        return
    assert result.status.value == "optimal"
    best = max(brute.welfare(market, a) for a in feasible)
    assert result.objective == pytest.approx(best, abs=1e-5)
    assert all(p.satisfied for p in result.policies)


@given(rounds(mentors=True, policies=True, max_candidates=4))
def test_optimal_with_stability_required(doc: Doc) -> None:
    market = market_of(doc)
    result = result_of(doc, "optimal", stability=Stability.REQUIRED)
    feasible = [a for a in brute.matchings(market) if brute.policies_hold(market, a)]
    if not feasible:
        assert result.status.value == "infeasible"
        return
    fewest = min(len(brute.blocking(market, a)) for a in feasible)
    best = max(
        brute.welfare(market, a) for a in feasible if len(brute.blocking(market, a)) == fewest
    )
    assert len(result.blocking_pairs) == fewest
    assert result.stable == (fewest == 0)
    assert result.stability is (Stability.REQUIRED if fewest == 0 else Stability.RELAXED)
    assert result.objective == pytest.approx(best, abs=1e-5)


@given(rounds(max_candidates=4))
def test_optimal_without_policies_never_beats_brute_force_and_highs_agrees(doc: Doc) -> None:
    market = market_of(doc)
    best = max(brute.welfare(market, a) for a in brute.matchings(market))
    for solver in ("auto", "cbc", "highs", "highspy"):
        assert result_of(doc, "optimal", solver=solver).objective == pytest.approx(best, abs=1e-5)
