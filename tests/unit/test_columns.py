"""Ids read as integers while validating (`matching.columns`): the lists
validation codes, those it leaves to be read one by one, and the market built
from the integers against the one built from the strings."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import parse_round
from matching.columns import Coded, code, ids_index
from matching.encode import encode
from tests.strategies import Doc, rounds

INDEX = ids_index(["b", "a", "常州信息", "Group 3"])


def test_ids_are_numbered_in_sorted_order() -> None:
    assert INDEX == {"Group 3": 0, "a": 1, "b": 2, "常州信息": 3}
    assert ids_index([]) == {}


def test_lists_of_known_distinct_ids_are_coded() -> None:
    coded = code([["b", "a"], [], ["常州信息"]], INDEX)
    assert coded is not None
    assert coded.start.tolist() == [0, 2, 2, 3]
    assert coded.item.tolist() == [2, 1, 3]
    assert coded.row.tolist() == [0, 0, 2]


def test_an_id_twice_in_two_lists_is_no_problem() -> None:
    assert code([["a", "b"], ["b", "a"]], INDEX) is not None


def test_lists_to_read_one_by_one_are_not_coded() -> None:
    for lists in (
        [["a"], ["a", ["b", "Group 3"]]],  # a tie group
        [["a", "z"]],  # an unknown id
        [["a"], ["b", "a", "b"]],  # an id twice in one list
        [["a", 1]],  # not a string
        [["a", None]],
        [["a", {"id": "b"}]],
    ):
        assert code(lists, INDEX) is None, lists  # type: ignore[arg-type]


@given(st.lists(st.lists(st.integers(0, 9), max_size=4), max_size=6), st.randoms())
def test_reordered_lists_keep_their_entries(lists: list[list[int]], rnd: random.Random) -> None:
    rows = len(lists) + rnd.randrange(3)
    position = rnd.sample(range(rows), len(lists))
    start = np.cumsum([0, *map(len, lists)])
    flat = np.array([i for row in lists for i in row], np.int64)
    moved = Coded(start, flat).reordered(np.array(position, np.int64), rows)
    expected: list[list[int]] = [[] for _ in range(rows)]
    for row, items in zip(position, lists, strict=True):
        expected[row] = items
    got = [moved.item[a:b].tolist() for a, b in zip(moved.start[:-1], moved.start[1:], strict=True)]
    assert got == expected


def _shuffled(doc: Doc, rnd: random.Random) -> Doc:
    out = dict(doc)
    for key in ("candidates", "placements"):
        out[key] = rnd.sample(doc[key], len(doc[key]))
    return out


def _market(m: Any) -> dict[str, Any]:
    return {f.name: getattr(m, f.name) for f in dataclasses.fields(m) if f.name != "affinities"}


@settings(max_examples=150, deadline=None)
@given(rounds(mentors=True, max_candidates=7, max_placements=4, ties=False), st.randoms())
def test_the_market_from_integers_is_the_market_from_strings(doc: Doc, rnd: random.Random) -> None:
    r = parse_round(_shuffled(doc, rnd))
    assert r.columns.preferences is not None  # no tie: every preference list was coded
    assert r.columns.rankings is not None  # nor tie in a ranking
    from_strings = dataclasses.replace(r)  # a round built otherwise: no columns
    assert from_strings.columns.preferences is None
    assert _market(encode(r)) == _market(encode(from_strings))


@settings(max_examples=60, deadline=None)
@given(rounds(max_candidates=6, max_placements=4, ties=True))
def test_a_round_with_ties_is_read_from_its_strings(doc: Doc) -> None:
    r = parse_round(doc)
    tied = any(c.preferences.ties for c in r.candidates)
    assert (r.columns.preferences is None) == tied
    assert _market(encode(r)) == _market(encode(dataclasses.replace(r)))
