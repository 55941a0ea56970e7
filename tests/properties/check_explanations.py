"""An independent reader of explanations: each reason re-derived from the round
document and the result alone (the tie-broken orders from the naive encoder,
the welfare from the document-only objective; no `Market`)."""

from __future__ import annotations

from typing import Any

from matching.model import Reason, Result
from tests.unit.test_encode_reference import naive
from tests.unit.test_objective_reference import pair_weights


def check(doc: dict[str, Any], result: Result) -> None:
    assigned = dict(result.assignments)
    explanations = dict(result.explanations)
    places = {p["id"]: p for p in doc["placements"]}
    doc_prefs = {c["id"]: c["preferences"] for c in doc["candidates"]}
    mentors = {m["id"]: m for m in doc.get("mentors", [])}
    holders: dict[str, list[str]] = {}
    for cid, pid in assigned.items():
        if pid is not None:
            holders.setdefault(pid, []).append(cid)
    ref = naive(doc)
    weights = pair_weights(doc)
    excused = {(c, p): policy for c, p, policy in result.excused}

    def rank_at(pid: str, cid: str) -> int:
        return ref["ranked"][pid].index(cid)

    for cid in ref["listed"]:
        # strictly above the assignment in c's own preference groups
        group = {
            pid: g
            for g, item in enumerate(doc_prefs[cid])
            for pid in (item if isinstance(item, list) else [item])
        }
        mine_g = group[assigned[cid]] if assigned[cid] else len(doc_prefs[cid])
        listed = ref["listed"][cid]
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
                case Reason.POLICY if (cid, e.placement) in excused:
                    # a blocking pair a policy excuses: the result names that one
                    # (the classification itself is checked against an enumeration
                    # in tests/mechanisms/test_policy_stability.py)
                    assert excused[cid, e.placement] == e.policy
                case Reason.POLICY:
                    status = {s.id: s for s in result.policies}[e.policy]
                    # at or past a bound (past it when the policies are infeasible)
                    assert (status.max is not None and status.value >= status.max) or (
                        status.min is not None and status.value <= status.min
                    )
                case Reason.WELFARE:
                    assert result.mechanism == "optimal"
                    gain = weights[cid, e.placement]
                    if assigned[cid]:
                        gain -= weights[cid, assigned[cid]]
                    assert abs(gain - (e.gain or 0)) < 1e-6
                    if result.status.value == "optimal":
                        assert gain <= 1e-6
