"""Small helpers shared by the tests: build a market or a result from a document."""

from __future__ import annotations

from typing import Any

from matching import SolveOptions, parse_round, solve
from matching.encode import Market, encode
from matching.model import Result, Stability

Doc = dict[str, Any]


def market_of(doc: Doc) -> Market:
    return encode(parse_round(doc))


def result_of(doc: Doc, mechanism: str = "stable", **options: Any) -> Result:
    r = parse_round(doc)
    opts = SolveOptions(stability=options.pop("stability", r.stability), **options)
    return solve(r, mechanism, opts)


def assignment_of(market: Market, result: Result) -> tuple[int, ...]:
    index = {pid: i for i, pid in enumerate(market.placement_ids)}
    mine = dict(result.assignments)
    return tuple(index[mine[c]] if mine[c] is not None else -1 for c in market.candidate_ids)


__all__ = ["Doc", "Stability", "assignment_of", "market_of", "result_of"]
