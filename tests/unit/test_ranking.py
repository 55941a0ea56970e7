"""`Ranking` read as the sequence of its groups, whichever way it was made."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matching.model import Ranking

IDS = st.sampled_from([f"p{i}" for i in range(8)])


@st.composite
def groups(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """Groups of distinct ids, the occasional tie among them."""
    ids = draw(st.lists(IDS, unique=True, max_size=8))
    sizes = draw(st.lists(st.integers(1, 3), min_size=len(ids), max_size=len(ids)))
    out, at = [], 0
    for size in sizes:
        if at < len(ids):
            out.append(tuple(ids[at : at + size]))
            at += size
    return out


@given(groups())
def test_a_ranking_is_its_groups(gs: list[tuple[str, ...]]) -> None:
    r = Ranking.of(gs)
    assert list(r) == gs
    assert len(r) == len(gs)
    assert [r[i] for i in range(len(gs))] == gs
    assert [r[i] for i in range(-len(gs), 0)] == gs
    assert r[1:] == tuple(gs[1:])
    assert r.ids == tuple(i for g in gs for i in g)
    assert r.ties == any(len(g) > 1 for g in gs)


@given(groups(), groups())
def test_rankings_are_equal_when_their_groups_are(
    a: list[tuple[str, ...]], b: list[tuple[str, ...]]
) -> None:
    ra, rb = Ranking.of(a), Ranking.of(b)
    assert (ra == rb) == (a == b)
    if a == b:
        assert hash(ra) == hash(rb)


def test_without_ties_a_ranking_keeps_no_sizes() -> None:
    """The common case: one tuple of ids, one 1-tuple per group only when read."""
    plain = Ranking(("p1", "p2"))
    assert plain.sizes is None and Ranking.of([("p1",), ("p2",)]) == plain
    assert Ranking(("p1", "p2"), (1, 1)) == plain
    assert Ranking.of([("p1", "p2")]) != plain
    assert not Ranking() and list(Ranking()) == []
