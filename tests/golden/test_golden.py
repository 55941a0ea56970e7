"""Hand-checked rounds: the assignments are worked out on paper (and by brute force)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import load, solve
from matching.model import Reason

ROUNDS = Path(__file__).parents[2] / "fixtures" / "rounds"


def assignments(name: str, mechanism: str = "stable") -> dict[str, str | None]:
    return dict(solve(load(ROUNDS / name), mechanism).assignments)


def test_hospitals_residents_both_optimal_stable_matchings() -> None:
    # Candidate-proposing: r1, r2, r5 ask h1 (ranks r1 > r2 > r5, keeps r1, r2);
    # r3, r4 ask h2 (keeps both); r5 then asks h2, which ranks r3, r4 above r5.
    assert assignments("gale-shapley-hospitals.json") == {
        "r1": "h1",
        "r2": "h1",
        "r3": "h2",
        "r4": "h2",
        "r5": None,
    }
    # Placement-proposing: h1 offers r3, r1; h2 offers r1, r2. r1 keeps h1 and
    # refuses h2, which offers r3 (who trades h1 up for h2), and so on.
    assert assignments("gale-shapley-hospitals.json", "stable-placement") == {
        "r1": "h1",
        "r2": "h1",
        "r3": "h2",
        "r4": "h2",
        "r5": None,
    }


def test_spa_example_after_abraham_irving_manlove_2007() -> None:
    # Three lecturers offering eight projects to seven students; the instance
    # has a single stable matching (checked by enumeration in test_brute_force).
    assert assignments("spa-aim-2007.json") == {
        "s1": "p1",
        "s2": "p5",
        "s3": "p4",
        "s4": "p2",
        "s5": None,
        "s6": None,
        "s7": "p3",
    }


def test_contract_example_with_explanations() -> None:
    result = solve(load(ROUNDS / "contract-example.json"))
    assert dict(result.assignments) == {"rp7": "p9", "s1": "p1", "s2": "p1", "s3": "p3"}
    explanations = dict(result.explanations)
    # s2 asked p3 first, but p3 ranks only s3 and s1.
    assert [(e.placement, e.reason) for e in explanations["s2"]] == [("p3", Reason.NOT_ACCEPTABLE)]
    # s3 wanted p1; p1 (ranked by studio-wang: s2, s1, s3) is full with s2 and s1.
    assert [(e.placement, e.reason, e.cutoff) for e in explanations["s3"]] == [
        ("p1", Reason.FULL, "s1")
    ]
    assert result.stable and not result.blocking_pairs


@pytest.mark.parametrize("name", sorted(p.name for p in ROUNDS.glob("*.json")))
def test_every_committed_round_solves_stably(name: str) -> None:
    result = solve(load(ROUNDS / name))
    assert result.stable
    assert not result.capacity_violations
    doc = json.loads((ROUNDS / name).read_text())
    assert len(result.assignments) == len(doc["candidates"])
