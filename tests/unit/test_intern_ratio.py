"""The internship regulation's ceilings (rules.intern_ratio): interns at most
10 % of an enterprise's staff and 20 % of a post's, generated as host and
post ceilings and listed as generated in the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matching import InvalidRound, io, load, parse_round, solve
from tests.helpers import Doc

ROUND = Path(__file__).parents[2] / "fixtures" / "rounds" / "intern-ratio.json"


def _doc() -> Doc:
    doc: Doc = json.loads(ROUND.read_text())
    return doc


def test_the_rule_generates_a_ceiling_per_enterprise_and_post_with_staff() -> None:
    generated = {p.id: (p.max, p.placements) for p in load(ROUND).generated_policies}
    assert generated == {
        # 25 staff: 2 interns; 400: 40; a post of 12: 2 (the whole part of 20 %)
        "intern-ratio:ent-small": (2, (("host", ("ent-small",)), ("kind", ("internship",)))),
        "intern-ratio:ent-large": (40, (("host", ("ent-large",)), ("kind", ("internship",)))),
        "intern-ratio:large-assay": (2, (("id", ("large-assay",)),)),
    }


def test_policy_stable_meets_them_and_the_result_says_which_are_generated() -> None:
    stable = solve(load(ROUND), "stable")
    broken = {p.id for p in stable.policies if not p.satisfied}
    assert broken == {"intern-ratio:ent-small", "intern-ratio:large-assay"}
    result = solve(load(ROUND), "policy-stable")
    assert all(p.satisfied for p in result.policies)
    assert result.policy_stable
    doc = io.result_to_dict(result)
    flags = {p["id"]: p.get("generated", False) for p in doc["policies"]}
    assert flags == {
        "jintan-cap": False,
        "intern-ratio:ent-large": True,
        "intern-ratio:ent-small": True,
        "intern-ratio:large-assay": True,
    }
    # an apprenticeship is no internship: the small enterprise's apprentice is not counted
    assert dict(result.assignments)["s4"] == "small-ferm"


def test_without_the_rule_staff_counts_change_nothing() -> None:
    doc = _doc()
    del doc["rules"]
    r = parse_round(doc)
    assert r.generated_policies == ()
    assert [p.id for p in solve(r, "policy-stable").policies] == ["jintan-cap"]


def test_the_document_keeps_staff_and_the_rule_both_ways(tmp_path: Path) -> None:
    original = load(ROUND)
    assert parse_round(io.parse_json(io.dumps(io.round_to_dict(original)))) == original
    io.write_csv_bundle(original, tmp_path)
    assert load(tmp_path) == original


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (lambda d: d["organizations"][4].update(staff=300), "organizations['col-czcit'].staff",
         "only an enterprise has staff, not a college"),
        (lambda d: d["placements"][2].update(staff=0), "placements['large-assay'].staff",
         "must be an integer ≥ 1"),
        (lambda d: d["rules"].update(intern_ratio="yes"), "rules.intern_ratio",
         "must be true or false"),
        (lambda d: d["policies"][0].update(id="intern-ratio:mine"),
         "policies['intern-ratio:mine'].id",
         "ids beginning 'intern-ratio:' are the generated ceilings'"),
    ],
)  # fmt: skip
def test_bad_staff_or_rule_is_named(change: object, field: str, says: str) -> None:
    doc = _doc()
    change(doc)  # type: ignore[operator]
    with pytest.raises(InvalidRound) as caught:
        parse_round(doc)
    assert any(p.field == field and says in p.message for p in caught.value.problems), (
        caught.value.problems
    )
