"""The policy-stable mechanism against brute force on tiny rounds with
ceilings on nested or disjoint groups of placements and mentors within them:
it meets every ceiling, leaves no blocking pair a policy does not excuse, and
no candidate gains by any other preference list; with a floor on a group of
candidates as well, it meets the floor wherever some matching does, and is
policy-stable wherever some matching is."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.errors import UnsupportedOption
from matching.mechanisms.flexible import _some_matching_meets
from tests import brute
from tests.helpers import Doc, assignment_of, market_of, result_of
from tests.strategies import rounds


@st.composite
def ceilinged(
    draw: st.DrawFn,
    max_candidates: int = 5,
    mentors: bool = False,
    floors: bool = False,
    max_placements: int = 4,
) -> Doc:
    """A tiny round with ceilings on nested or disjoint groups of placements:
    two parks, and the two hosts (each in a park or in none); with `mentors`,
    two mentors (each over placements of one host, so that the groups nest);
    with `floors`, a floor on a college's candidates."""
    doc = draw(
        rounds(
            max_candidates=max_candidates,
            max_placements=max_placements,
            max_capacity=2,
            mentors=mentors,
        )
    )
    if mentors:  # a mentor leads placements of one host only
        host_of = {"m0": "ent-a", "m1": "ent-b"}
        for p in doc["placements"]:
            if "mentor" in p:
                p["host"] = host_of[p["mentor"]]
    parks = ["park-1", "park-2"]
    doc["organizations"] = [*doc["organizations"], *({"id": p, "kind": "park"} for p in parks)]
    hosts = sorted({p["host"] for p in doc["placements"]})
    doc["links"] = [k for k in doc["links"] if k["kind"] != "located_in"]
    for host in hosts:
        park = draw(st.sampled_from([None, *parks]))
        if park:
            doc["links"].append({"source": host, "target": park, "kind": "located_in"})
    doc["policies"] = [
        {"id": f"{park}-cap", "kind": "ceiling", "placements": {"park": park},
         "max": draw(st.integers(0, 3))}
        for park in parks
        if draw(st.booleans())
    ] + [
        {"id": f"{host}-cap", "kind": "ceiling", "placements": {"host": host},
         "max": draw(st.integers(0, 2))}
        for host in hosts
        if draw(st.booleans())
    ]  # fmt: skip
    if floors:
        floor: Doc = {
            "id": "floor",
            "kind": "floor",
            "min": draw(st.integers(1, 3)),
            "candidates": {"college": draw(st.sampled_from(["col-1", "col-2"]))},
        }
        doc["policies"].append(floor)
    return doc


@settings(max_examples=150)
@given(st.booleans().flatmap(lambda mentors: ceilinged(mentors=mentors)))
def test_every_ceiling_met_and_no_blocking_pair_unexcused(doc: Doc) -> None:
    market = market_of(doc)
    result = result_of(doc, "policy-stable")
    a = assignment_of(market, result)
    assert a in set(brute.matchings(market))  # capacities, acceptability
    assert brute.policies_hold(market, a)
    assert None not in brute.excuses(market, a).values()
    assert result.policy_stable and result.unexcused == ()


@settings(max_examples=150)
@given(st.booleans().flatmap(lambda mentors: ceilinged(mentors=mentors)))
def test_without_a_binding_ceiling_it_is_deferred_acceptance(doc: Doc) -> None:
    """... or, with mentors, SPA-student: the candidate-optimal stable matching."""
    doc = {**doc, "policies": [{**p, "max": 100} for p in doc["policies"]]}
    assert result_of(doc, "policy-stable").assignments == result_of(doc, "stable").assignments


def round_robin(market: Any) -> tuple[int, ...]:
    """Flexible deferred acceptance written plainly (KK 2015, without mentors):
    after each proposal every placement keeps its best `capacity`, and every
    ceiling the first `max` seats of the round-robin over its children (its
    largest subgroups and the placements in none of them, in the order of
    their smallest placement), each child's seats in its own order."""
    limits: dict[frozenset[int], int] = {}
    for g in market.policies:
        if g.max is not None and g.placements:
            limits[g.placements] = min(g.max, limits.get(g.placements, g.max))
    held: dict[int, int] = {}

    def seats(members: frozenset[int]) -> list[int]:
        inner = [s for s in limits if s < members]
        tops = [s for s in inner if not any(s < t for t in inner)]
        loose = members - frozenset().union(*tops) - {-1}
        kids = [(min(s), seats(s)[: limits[s]]) for s in tops]
        for p in loose:
            here = sorted((c for c, q in held.items() if q == p), key=market.place_rank[p].get)
            kids.append((p, here[: market.capacity[p]]))
        kids.sort()
        return [kid[k] for k in range(len(held)) for _, kid in kids if k < len(kid)]

    nxt = [0] * market.n_candidates
    root = frozenset({-1, *range(market.n_placements)})  # above every group, with no limit
    while True:
        free = [c for c in range(market.n_candidates) if c not in held]
        c = next((c for c in free if nxt[c] < len(market.prefs[c])), None)
        if c is None:
            return tuple(held.get(c, -1) for c in range(market.n_candidates))
        held[c] = market.prefs[c][nxt[c]]
        nxt[c] += 1
        kept = set(seats(root))
        held = {c: p for c, p in held.items() if c in kept}


@settings(max_examples=150)
@given(ceilinged(max_candidates=8, max_placements=6))
def test_it_is_the_round_robin_of_every_ceiling(doc: Doc) -> None:
    """Which holder a ceiling sends away: the one its round-robin over its
    children seated last, as a plain implementation of the choice finds it
    (the mechanism's own shortcuts give the same matching)."""
    market = market_of(doc)
    assert assignment_of(market, result_of(doc, "policy-stable")) == round_robin(market)


def _lists(pids: list[str]) -> list[list[str]]:
    return [list(x) for n in range(len(pids) + 1) for x in itertools.permutations(pids, n)]


@settings(max_examples=60, deadline=None)
@given(st.booleans().flatmap(lambda mentors: ceilinged(max_candidates=4, mentors=mentors)))
def test_no_candidate_gains_by_misreporting(doc: Doc) -> None:
    """Strategy-proofness, exhaustively: every candidate, every other list over
    the placements (a strict list; the truthful one's ties broken as the engine does)."""
    market = market_of(doc)
    truthful = result_of(doc, "policy-stable")
    got = dict(truthful.assignments)
    pids = [p["id"] for p in doc["placements"]]
    for c, cand in enumerate(doc["candidates"]):
        cid = cand["id"]
        true_order = [market.placement_ids[p] for p in market.prefs[c]]

        def value(pid: Any, order: list[str] = true_order) -> int:
            return order.index(pid) if pid in order else len(order)

        for lie in _lists(pids):
            liar = {**cand, "preferences": lie}
            other = {
                **doc,
                "candidates": [liar if x["id"] == cid else x for x in doc["candidates"]],
            }
            gained = dict(result_of(other, "policy-stable").assignments)[cid]
            assert value(gained) >= value(got[cid]), (cid, lie, gained, got[cid])


@settings(max_examples=150, deadline=None)
@given(st.booleans().flatmap(lambda mentors: ceilinged(mentors=mentors, floors=True)))
def test_a_floor_is_met_wherever_a_matching_meets_it(doc: Doc) -> None:
    """... and the result is policy-stable wherever some matching is (brute
    force; the floor's members lifted, or, where no lift reaches the floor, the
    welfare model with the fewest blocking pairs)."""
    market = market_of(doc)
    result = result_of(doc, "policy-stable")
    a = assignment_of(market, result)
    assert a in set(brute.matchings(market))
    within = [m for m in brute.matchings(market) if brute.policies_hold(market, m)]
    if within:
        assert brute.policies_hold(market, a)
    if any(None not in brute.excuses(market, m).values() for m in within):
        assert result.policy_stable, result.unexcused


@settings(max_examples=150, deadline=None)
@given(st.booleans().flatmap(lambda mentors: ceilinged(mentors=mentors, floors=True)))
def test_the_lift_search_is_skipped_only_where_no_matching_meets_the_policies(doc: Doc) -> None:
    """The network's answer to whether some matching meets every policy (asked
    before searching lifts) is brute force's."""
    market = market_of(doc)
    some = any(brute.policies_hold(market, m) for m in brute.matchings(market))
    assert _some_matching_meets(market) == some


def test_the_least_lift_that_meets_the_floor() -> None:
    """Two enterprises rank col-1's candidate above col-2's; the floor wants
    one of col-2's placed. Lifting col-2 one place at p (the first ranker)
    meets it exactly, and a1's envy of p is excused by the floor; lifting it
    one place everywhere would place both of col-2's, one more than the floor
    needs, and leave both envies unexcused."""
    doc: Doc = {
        "id": "lift",
        "organizations": [
            {"id": "e", "kind": "enterprise"},
            {"id": "col-1", "kind": "college"},
            {"id": "col-2", "kind": "college"},
        ],
        "placements": [
            {"id": "p", "host": "e", "kind": "internship", "capacity": 1, "ranking": ["a1", "b1"]},
            {"id": "q", "host": "e", "kind": "internship", "capacity": 1, "ranking": ["a2", "b2"]},
        ],
        "candidates": [
            {"id": "a1", "kind": "student", "college": "col-1", "preferences": ["p"]},
            {"id": "a2", "kind": "student", "college": "col-1", "preferences": ["q"]},
            {"id": "b1", "kind": "student", "college": "col-2", "preferences": ["p"]},
            {"id": "b2", "kind": "student", "college": "col-2", "preferences": ["q"]},
        ],
        "policies": [
            {"id": "col-2-floor", "kind": "floor", "candidates": {"college": "col-2"}, "min": 1}
        ],
    }
    stable = result_of(doc, "stable")
    assert dict(stable.assignments) == {"a1": "p", "a2": "q", "b1": None, "b2": None}
    result = result_of(doc, "policy-stable")
    assert dict(result.assignments) == {"a1": None, "a2": "q", "b1": "p", "b2": None}
    assert result.policy_stable
    assert result.excused == (("a1", "p", "col-2-floor"),)


def _doc(policies: list[dict[str, Any]], mentors: bool = False) -> Doc:
    doc: Doc = {
        "id": "r",
        "organizations": [
            {"id": "park-1", "kind": "park"},
            {"id": "e", "kind": "enterprise"},
            {"id": "e2", "kind": "enterprise"},
            {"id": "col", "kind": "college"},
        ],
        "links": [{"source": "e", "target": "park-1", "kind": "located_in"}],
        "placements": [
            {"id": "p", "host": "e", "kind": "internship", "capacity": 2},
            {"id": "p2", "host": "e", "kind": "apprenticeship", "capacity": 1},
            {"id": "q", "host": "e2", "kind": "internship", "capacity": 1},
        ],
        "candidates": [{"id": "s", "kind": "student", "college": "col", "preferences": ["p"]}],
        "policies": policies,
    }
    if mentors:
        doc["mentors"] = [{"id": "m", "capacity": 1}]
        doc["placements"][0]["mentor"] = doc["placements"][1]["mentor"] = "m"
    return doc


@pytest.mark.parametrize(
    ("policies", "mentors", "says"),
    [
        ([{"id": "f", "kind": "floor", "placements": {"park": "park-1"}, "min": 1}], False,
         "policies['f']: mechanism policy-stable supports floors on groups of candidates"),
        ([{"id": "f", "kind": "floor", "placements": {"park": "park-1"},
           "candidates": {"college": "col"}, "min": 1}], False,
         "policies['f']: mechanism policy-stable supports floors on groups of candidates placed "
         "anywhere"),
        ([{"id": "k", "kind": "ceiling", "candidates": {"college": "col"}, "max": 1}], False,
         "policies['k']: mechanism policy-stable supports ceilings on groups of placements only"),
        ([{"id": "a", "kind": "ceiling", "placements": {"park": "park-1"}, "max": 1},
          {"id": "b", "kind": "ceiling", "placements": {"kind": "internship", "host": "e2"},
           "max": 1},
          {"id": "c", "kind": "ceiling", "placements": {"kind": "internship"}, "max": 1}], False,
         "policies['c']: its placements cross those of ceiling 'a'"),
        ([{"id": "k", "kind": "ceiling", "placements": {"kind": "internship"}, "max": 1}], True,
         "policies['k']: its placements cross those of mentor 'm'"),
    ],
)  # fmt: skip
def test_what_it_cannot_honour_is_refused_by_name(
    policies: list[dict[str, Any]], mentors: bool, says: str
) -> None:
    with pytest.raises(UnsupportedOption, match=says.replace("[", r"\[").replace("]", r"\]")):
        result_of(_doc(policies, mentors), "policy-stable")
