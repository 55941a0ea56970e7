"""Charts are well-formed standalone SVG that carry the figures they draw."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from matching import charts, io, solve

ROUNDS = Path(__file__).parents[2] / "fixtures" / "rounds"
SVG = "{http://www.w3.org/2000/svg}"


def _result() -> dict[str, object]:
    return io.result_to_dict(solve(io.load(ROUNDS / "changzhou-2027.json")))


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_each_chart_is_svg_with_its_figures() -> None:
    result = _result()
    metrics = result["metrics"]
    drawn = charts.result_charts(result)
    assert set(drawn) == {"rank-histogram", "by-park", "by-college", "by-kind", "by-tier"}
    texts = _texts(drawn["rank-histogram"])
    for rank, n in metrics["rank_histogram"].items():  # type: ignore[index]
        assert rank in texts and str(n) in texts
    assert str(metrics["unmatched"]) in texts  # type: ignore[index]
    park_texts = " ".join(_texts(drawn["by-park"]))
    for park, fill in metrics["by_park"].items():  # type: ignore[index]
        assert park in park_texts and f"{fill['matched']}/{fill['total']}" in park_texts


def test_names_are_escaped() -> None:
    svg = charts.fill_bars({"<script>&": {"matched": 1, "total": 2, "rate": 0.5}}, "a < b")
    assert "<script>" not in svg
    assert "<script>&" in _texts(svg)  # parsed back to the name itself


def test_the_consortium_graph_draws_every_organization() -> None:
    doc = json.loads((ROUNDS / "contract-example.json").read_text())
    svg = charts.consortium_graph(doc["organizations"], doc["links"])
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == len(doc["organizations"])
    assert len(list(root.iter(f"{SVG}line"))) >= 1
