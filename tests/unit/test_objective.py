"""The welfare objective computed pair by pair (explanations) and as arrays
(the solvers, the metrics) gives the same floats."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from matching import load
from matching.base import Weights
from matching.encode import Market, encode
from matching.mechanisms.deferred_acceptance import candidate_proposing
from matching.objective import pair_weight, pair_weights, welfare
from tests.helpers import Doc, market_of
from tests.strategies import rounds

ROUNDS = Path(__file__).parents[2] / "fixtures" / "rounds"
ODD = Weights(match=1.5, candidate=0.7, placement=0.3, affinity=0.9)


def _check(market: Market, weights: Weights) -> None:
    pairs = list(market.pairs())
    assert pair_weights(market, weights).tolist() == [
        pair_weight(market, c, p, weights) for c, p in pairs
    ]
    matched = candidate_proposing(market)
    expected = sum(pair_weight(market, c, p, weights) for c, p in enumerate(matched) if p >= 0)
    assert welfare(market, matched, weights) == round(expected, 6)


@pytest.mark.parametrize("name", ["changzhou-2027.json", "contract-example.json"])
@pytest.mark.parametrize("weights", [Weights(), ODD])
def test_pair_weights_and_welfare_match_pair_weight_exactly(name: str, weights: Weights) -> None:
    _check(encode(load(ROUNDS / name)), weights)


@given(rounds(mentors=True))
def test_the_same_on_random_rounds(doc: Doc) -> None:
    _check(market_of(doc), Weights())
