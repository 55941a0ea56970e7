"""Every class of bad input, with the exact message that names the field and the id."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import InvalidRound, parse_round, validate
from matching.io import parse_json

BASE = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "rounds" / "contract-example.json").read_text()
)


def problems(mutate: Callable[[dict[str, Any]], object]) -> list[str]:
    doc = copy.deepcopy(BASE)
    mutate(doc)
    with pytest.raises(InvalidRound) as caught:
        parse_round(doc)
    return [str(p) for p in caught.value.problems]


def cand(doc: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return doc["candidates"][i]  # type: ignore[no-any-return]


def place(doc: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return doc["placements"][i]  # type: ignore[no-any-return]


CASES: list[tuple[str, Callable[[dict[str, Any]], object], list[str]]] = [
    (
        "unknown placement in preferences",
        lambda d: cand(d).__setitem__("preferences", ["p1", "zz"]),
        ["candidates['s1'].preferences: unknown placement 'zz'"],
    ),
    (
        # the lists without ties are checked together, those with ties one by one
        "unknown placements in a plain list and beside a tie group",
        lambda d: (
            cand(d, 0).__setitem__("preferences", ["p1", "zz"]),
            cand(d, 1).__setitem__("preferences", [["p2", "p1"], "ww"]),
        ),
        [
            "candidates['s1'].preferences: unknown placement 'zz'",
            "candidates['s2'].preferences: unknown placement 'ww'",
        ],
    ),
    (
        "a bad id in a plain list beside a tie group",
        lambda d: cand(d, 1).__setitem__("preferences", ["p1", 5]),
        ["candidates['s2'].preferences[1]: must be a string id, got 5"],
    ),
    (
        "a repeat and an unknown placement beside a tie group",
        lambda d: cand(d, 1).__setitem__("preferences", ["p1", "p1", "yy"]),
        [
            "candidates['s2'].preferences: 'p1' appears more than once",
            "candidates['s2'].preferences: unknown placement 'yy'",
        ],
    ),
    (
        "unknown candidate in a ranking",
        lambda d: place(d, 2).__setitem__("ranking", ["s3", "ghost"]),
        ["placements['p3'].ranking: unknown candidate 'ghost'"],
    ),
    (
        "unknown candidate in a mentor's ranking",
        lambda d: d["mentors"][0]["ranking"].append("ghost"),
        ["mentors['studio-wang'].ranking: unknown candidate 'ghost'"],
    ),
    (
        "unknown host",
        lambda d: place(d).__setitem__("host", "ent-nowhere"),
        ["placements['p1'].host: unknown organization 'ent-nowhere'"],
    ),
    (
        "unknown mentor",
        lambda d: place(d).__setitem__("mentor", "studio-li"),
        ["placements['p1'].mentor: unknown mentor 'studio-li'"],
    ),
    (
        "unknown college",
        lambda d: cand(d).__setitem__("college", "col-x"),
        ["candidates['s1'].college: unknown college 'col-x'"],
    ),
    (
        "college that is not a college",
        lambda d: cand(d).__setitem__("college", "ri-001"),
        ["candidates['s1'].college: unknown college 'ri-001'"],
    ),
    (
        "unknown link end",
        lambda d: d["links"][0].__setitem__("target", "park-mars"),
        ["links[0].target: unknown organization 'park-mars'"],
    ),
    (
        "duplicate candidate id",
        lambda d: d["candidates"].append(dict(cand(d))),
        ["candidates['s1']: duplicate id"],
    ),
    (
        "duplicate placement id",
        lambda d: d["placements"].append(dict(place(d, 1))),
        ["placements['p2']: duplicate id"],
    ),
    (
        "id twice in one preference list",
        lambda d: cand(d).__setitem__("preferences", ["p1", ["p2", "p1"]]),
        ["candidates['s1'].preferences: 'p1' appears more than once"],
    ),
    (
        "id twice in one ranking",
        lambda d: place(d, 2).__setitem__("ranking", ["s3", "s3"]),
        ["placements['p3'].ranking: 's3' appears more than once"],
    ),
    (
        "zero capacity",
        lambda d: place(d).__setitem__("capacity", 0),
        ["placements['p1'].capacity: must be an integer ≥ 1, got 0"],
    ),
    (
        "fractional capacity",
        lambda d: place(d).__setitem__("capacity", 2.5),
        ["placements['p1'].capacity: must be an integer ≥ 1, got 2.5"],
    ),
    (
        "boolean capacity",
        lambda d: place(d).__setitem__("capacity", True),
        ["placements['p1'].capacity: must be an integer ≥ 1, got True"],
    ),
    (
        "string capacity",
        lambda d: place(d).__setitem__("capacity", "2"),
        ["placements['p1'].capacity: must be an integer ≥ 1, got '2'"],
    ),
    (
        "NaN capacity",
        lambda d: place(d).__setitem__("capacity", float("nan")),
        ["placements['p1'].capacity: must be an integer ≥ 1, got nan"],
    ),
    (
        "infinite weight",
        lambda d: d["links"][2].__setitem__("weight", float("inf")),
        ["links[2].weight: must be a finite number in (0, 1], got inf"],
    ),
    (
        "mentor capacity",
        lambda d: d["mentors"][0].__setitem__("capacity", -1),
        ["mentors['studio-wang'].capacity: must be an integer ≥ 1, got -1"],
    ),
    (
        "floor above its ceiling",
        lambda d: d["policies"].append(
            {"id": "c2", "kind": "ceiling", "candidates": {"college": "col-czcit"}, "max": 1}
        ),
        ["policies['czcit-floor'].min: floor 2 is above ceiling 'c2' max 1 on the same group"],
    ),
    (
        "one policy with min above max",
        lambda d: d["policies"][0].__setitem__("min", 500),
        ["policies['jintan-cap']: floor min 500 is above ceiling max 400"],
    ),
    (
        "floor without min",
        lambda d: d["policies"][1].pop("min"),
        ["policies['czcit-floor'].min: a floor needs min"],
    ),
    (
        "unknown policy attribute",
        lambda d: d["policies"][0].__setitem__("placements", {"city": "x"}),
        [
            "policies['jintan-cap'].placements.city: unknown attribute "
            "(allowed: governed_by, host, id, kind, mentor, park)"
        ],
    ),
    (
        "unknown park in a policy",
        lambda d: d["policies"][0].__setitem__("placements", {"park": "park-mars"}),
        ["policies['jintan-cap'].placements.park: unknown park 'park-mars'"],
    ),
    (
        "mentor-led ranking contradicting its mentor",
        lambda d: place(d).__setitem__("ranking", ["s1", "s2"]),
        [
            "placements['p1'].ranking: ranks 's1' above 's2', contradicting the ranking of "
            "mentor 'studio-wang'"
        ],
    ),
    (
        "mentor-led ranking naming whom the mentor does not rank",
        lambda d: d["mentors"][0].__setitem__("ranking", ["s2", "s1"]),
        ["placements['p1'].ranking: ranks 's3', whom its mentor 'studio-wang' does not rank"],
    ),
    (
        "unknown candidate kind",
        lambda d: cand(d).__setitem__("kind", "teacher"),
        ["candidates['s1'].kind: unknown value 'teacher' (allowed: student, apprentice, project)"],
    ),
    (
        "unknown placement kind",
        lambda d: place(d).__setitem__("kind", "job"),
        [
            "placements['p1'].kind: unknown value 'job' "
            "(allowed: apprenticeship, internship, research_host)"
        ],
    ),
    (
        "unknown organization kind",
        lambda d: d["organizations"][0].__setitem__("kind", "army"),
        [
            "organizations['gov-cz'].kind: unknown value 'army' "
            "(allowed: government, park, enterprise, college, institute, studio)"
        ],
    ),
    (
        "unknown college level",
        lambda d: d["organizations"][4].__setitem__("level", "phd"),
        [
            "organizations['col-czcit'].level: unknown value 'phd' "
            "(allowed: secondary_vocational, higher_vocational, undergraduate, postgraduate)"
        ],
    ),
    (
        "empty round",
        lambda d: d.update(candidates=[], placements=[], mentors=[]),
        ["candidates: the round has no candidates", "placements: the round has no placements"],
    ),
    (
        "missing preferences",
        lambda d: cand(d).pop("preferences"),
        ["candidates['s1'].preferences: missing"],
    ),
    (
        "empty id",
        lambda d: cand(d).__setitem__("id", ""),
        [
            "candidates[0].id: must be a non-empty id",
            # nothing declares s1 any more, so the rankings that name it are wrong too
            "placements['p1'].ranking: unknown candidate 's1'",
            "placements['p3'].ranking: unknown candidate 's1'",
            "mentors['studio-wang'].ranking: unknown candidate 's1'",
        ],
    ),
    (
        "id too long",
        lambda d: place(d, 3).__setitem__("id", "p" * 201),
        [
            "placements[3].id: id longer than 200 characters",
            "candidates['rp7'].preferences: unknown placement 'p9'",
        ],
    ),
    (
        "control character in an id",
        lambda d: cand(d, 3).__setitem__("id", "rp\x007"),
        ["candidates[3].id: id 'rp\\x007' contains a control or surrogate character"],
    ),
    (
        "lone surrogate in an id",
        lambda d: cand(d, 3).__setitem__("id", "rp\ud8007"),
        ["candidates[3].id: id 'rp\\ud8007' contains a control or surrogate character"],
    ),
    (
        "nested tie group",
        lambda d: cand(d).__setitem__("preferences", [["p1", ["p2"]]]),
        ["candidates['s1'].preferences[0][1]: tie groups cannot be nested"],
    ),
    (
        "empty tie group",
        lambda d: cand(d).__setitem__("preferences", ["p1", []]),
        ["candidates['s1'].preferences[1]: empty tie group"],
    ),
    (
        "seed not an integer",
        lambda d: d.__setitem__("seed", "abc"),
        ["seed: must be an integer ≥ 0, got 'abc'"],
    ),
    (
        "candidates not a list",
        lambda d: d.__setitem__("candidates", {"s1": {}}),
        ["candidates: must be a list, got {'s1': {}}"],
    ),
    (
        "negative max distance",
        lambda d: d.__setitem__("rules", {"max_distance": -1}),
        ["rules.max_distance: must be an integer ≥ 0, got -1"],
    ),
]


@pytest.mark.parametrize(("name", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(
    name: str, mutate: Callable[[dict[str, Any]], object], expected: list[str]
) -> None:
    assert problems(mutate) == expected


def test_every_problem_is_reported_at_once() -> None:
    def many(d: dict[str, Any]) -> None:
        cand(d).__setitem__("preferences", ["zz"])
        place(d).__setitem__("capacity", 0)
        d["links"][0].__setitem__("kind", "owns")

    assert len(problems(many)) == 3


def test_valid_unicode_and_spaces_in_ids() -> None:
    doc = copy.deepcopy(BASE)
    doc["organizations"].append({"id": "常州信息", "kind": "college"})
    doc["candidates"].append(
        {"id": "Group 3", "kind": "student", "college": "常州信息", "preferences": ["p2"]}
    )
    r = parse_round(doc)
    assert any(c.id == "Group 3" for c in r.candidates)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "a", "id": "b"}', "round: duplicate key 'id' in an object"),
        ('{"id": ', "round: not valid JSON: Expecting value at line 1 column 8"),
        (b"\xff\xfe", "round: not UTF-8: invalid start byte"),
        ("[" * 100_000, "round: JSON nested too deeply"),
    ],
)
def test_json_level_problems(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidRound) as caught:
        parse_json(text)
    assert [str(p) for p in caught.value.problems] == [message]


def test_nan_literal_is_named_at_its_field() -> None:
    text = json.dumps(BASE).replace('"capacity": 2', '"capacity": NaN', 1)
    with pytest.raises(InvalidRound) as caught:
        parse_round(parse_json(text))
    assert [str(p) for p in caught.value.problems] == [
        "placements['p1'].capacity: must be an integer ≥ 1, got nan"
    ]


# Each candidate field, good values (None: left out) and bad ones: a round's
# candidates are read a field at a time when every value is good, and one by
# one otherwise (to name each problem); both ways must read the same round or
# name the same problems. Two candidates of a college with one number is bad too.
GOOD: dict[str, list[object]] = {
    "kind": ["student", "project", "apprentice"],
    "college": ["col-czcit", None],
    "institute": ["ri-001", None],
    "tier": ["young_reserve", "top_innovative", None],
    "level": ["undergraduate", "higher_vocational", None],
    "skills": [None, [], ["发酵", "qc", "qc"], ["a" * 4000]],
    "name": ["张三", "李四", None, "两\n行", "a" * 200],
    "number": ["2027001", "2027002", "2027003", None],
}
BAD: dict[str, list[object]] = {
    "kind": ["nobody", None, 3, True, ["student"]],
    "college": ["ri-001", "zz", "", 5, [], True],
    "institute": ["col-czcit", {}, 1.5],
    "tier": ["Young_Reserve", 1.0, 0],
    "level": ["phd", ["undergraduate"]],
    "skills": [["a", None], ["a", 1], "qc", ["x\x00"], ["a" * 4001], {"a": 1}],
    "name": ["a" * 201, "a\x01", 7, "\ud800"],
    "number": [1, "b\ud800", "x" * 201],
}


def _outcome(doc: dict[str, Any]) -> object:
    try:
        return parse_round(doc)
    except InvalidRound as exc:
        return [str(p) for p in exc.problems]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries({k: st.sampled_from(v) for k, v in GOOD.items()}),
        min_size=4,
        max_size=4,
    ),
    st.none()
    | st.tuples(
        st.integers(0, 3),
        st.sampled_from(sorted(BAD)).flatmap(
            lambda k: st.tuples(st.just(k), st.sampled_from(BAD[k]))
        ),
    ),
)
def test_candidates_read_at_once_as_one_by_one(
    fields: list[dict[str, object]], bad: tuple[int, tuple[str, object]] | None
) -> None:
    doc = copy.deepcopy(BASE)
    for record, values in zip(doc["candidates"], fields, strict=True):
        record.update(values)
    if bad is not None:
        i, (key, value) = bad
        doc["candidates"][i][key] = value
    at_once = _outcome(doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "_candidate_columns", lambda *_: None)
        one_by_one = _outcome(doc)
    assert at_once == one_by_one
