"""The straightforward welfare model in PuLP: one binary per acceptable pair,
capacity rows, policy rows, nothing else. The weights come from the engine's
market (so that both models maximise the same objective); the model is
written here independently of `matching.mechanisms.welfare`.

python bench/peer_pulp.py ROUND cbc|highs → one JSON line."""

from __future__ import annotations

import json
import resource
import sys
import time

import cbcbox
import pulp

from matching import Weights, io
from matching.encode import encode
from matching.objective import pair_weight


def main() -> None:
    market = encode(io.load(sys.argv[1]))
    backend = sys.argv[2]
    t0 = time.perf_counter()
    prob = pulp.LpProblem("peer", pulp.LpMaximize)
    x = {(c, p): prob.add_variable(f"x{c}_{p}", cat=pulp.LpBinary) for c, p in market.pairs()}
    prob.setObjective(
        pulp.lpSum(pair_weight(market, c, p, Weights()) * v for (c, p), v in x.items())
    )
    by_c: dict[int, list[pulp.LpVariable]] = {}
    by_p: dict[int, list[pulp.LpVariable]] = {}
    for (c, p), v in x.items():
        by_c.setdefault(c, []).append(v)
        by_p.setdefault(p, []).append(v)
    for vs in by_c.values():
        prob += pulp.lpSum(vs) <= 1
    for p, vs in by_p.items():
        prob += pulp.lpSum(vs) <= market.capacity[p]
    for g in market.policies:
        total = pulp.lpSum(v for (c, p), v in x.items() if g.covers(c, p))
        if g.min is not None:
            prob += total >= g.min
        if g.max is not None:
            prob += total <= g.max
    t1 = time.perf_counter()
    solver = (
        pulp.COIN_CMD(path=cbcbox.cbc_bin_path(), msg=False, threads=1)
        if backend == "cbc"
        else pulp.HiGHS(msg=False)
    )
    prob.solve(solver)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "build": t1 - t0,
                "solve": t2 - t1,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "objective": round(pulp.value(prob.objective), 6),
                "status": pulp.LpStatus[prob.status],
            }
        )
    )


if __name__ == "__main__":
    main()
