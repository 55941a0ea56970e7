"""An independent reader of explanations: each reason re-derived from the round
document and the result alone."""

from __future__ import annotations

from typing import Any

from matching.base import Weights
from matching.encode import Market
from matching.model import Reason, Result
from matching.objective import pair_weight


def check(doc: dict[str, Any], market: Market, result: Result) -> None:
    assigned = dict(result.assignments)
    explanations = dict(result.explanations)
    places = {p["id"]: p for p in doc["placements"]}
    doc_prefs = {c["id"]: c["preferences"] for c in doc["candidates"]}
    mentors = {m["id"]: m for m in doc.get("mentors", [])}
    holders: dict[str, list[str]] = {}
    for cid, pid in assigned.items():
        if pid is not None:
            holders.setdefault(pid, []).append(cid)
    p_index = {pid: i for i, pid in enumerate(market.placement_ids)}
    c_index = {cid: i for i, cid in enumerate(market.candidate_ids)}

    def rank_at(pid: str, cid: str) -> int:
        return market.place_rank[p_index[pid]][c_index[cid]]

    for cid in market.candidate_ids:
        c = c_index[cid]
        # strictly above the assignment in c's own preference groups
        group = {
            pid: g
            for g, item in enumerate(doc_prefs[cid])
            for pid in (item if isinstance(item, list) else [item])
        }
        mine_g = group[assigned[cid]] if assigned[cid] else len(doc_prefs[cid])
        listed = [market.placement_ids[p] for p in market.listed[c]]
        above = [pid for pid in listed if group[pid] < mine_g]
        got = explanations.get(cid, ())
        assert [e.placement for e in got] == above, cid
        for e in got:
            p = places[e.placement]
            mine = holders.get(e.placement, [])
            ranked = [x for g in p.get("ranking", []) for x in (g if isinstance(g, list) else [g])]
            mentor = mentors.get(p.get("mentor"))
            mentor_ranked = [
                x
                for g in (mentor or {}).get("ranking", [])
                for x in (g if isinstance(g, list) else [g])
            ]
            match e.reason:
                case Reason.NOT_ACCEPTABLE:
                    assert ("ranking" in p and cid not in ranked) or (
                        mentor is not None and "ranking" in mentor and cid not in mentor_ranked
                    )
                case Reason.INELIGIBLE:
                    assert e.rule
                case Reason.FULL:
                    assert len(mine) == p["capacity"]
                    assert e.cutoff in mine
                    assert all(
                        rank_at(e.placement, x) <= rank_at(e.placement, e.cutoff) for x in mine
                    )
                    if result.mechanism.startswith("stable"):
                        assert rank_at(e.placement, cid) > rank_at(e.placement, e.cutoff)
                case Reason.MENTOR_FULL:
                    assert mentor is not None and e.mentor == mentor["id"]
                    led = [
                        x
                        for x, q in assigned.items()
                        if q is not None and places[q].get("mentor") == mentor["id"]
                    ]
                    assert len(led) == mentor["capacity"] and e.cutoff in led
                    assert len(mine) < p["capacity"]
                case Reason.POLICY:
                    status = {s.id: s for s in result.policies}[e.policy]
                    # at or past a bound (past it when the policies are infeasible)
                    assert (status.max is not None and status.value >= status.max) or (
                        status.min is not None and status.value <= status.min
                    )
                case Reason.WELFARE:
                    assert result.mechanism == "optimal"
                    w = Weights()
                    gain = pair_weight(market, c, p_index[e.placement], w)
                    if assigned[cid]:
                        gain -= pair_weight(market, c, p_index[assigned[cid]], w)
                    assert abs(gain - (e.gain or 0)) < 1e-6
                    if result.status.value == "optimal":
                        assert gain <= 1e-6
