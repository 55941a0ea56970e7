"""One measured solve, stage by stage, in its own process (so that the peak
memory is this solve's):

    python bench/stages.py ROUND MECHANISM [--stability S] [--time-limit T] [--solver B]

Prints one JSON line: seconds per stage, peak RSS in MB, the outcome and the
assignment."""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from matching import SolveOptions, Stability, io
from matching.engine import paused_gc, solve_timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("round", type=Path)
    parser.add_argument("mechanism")
    parser.add_argument("--stability", default="ignored")
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--solver", default="auto")
    args = parser.parse_args()
    options = SolveOptions(
        stability=Stability(args.stability), time_limit=args.time_limit, solver=args.solver
    )
    with paused_gc():
        t0 = time.perf_counter()
        round_ = io.load(args.round)
        t1 = time.perf_counter()
        result, timings = solve_timed(round_, args.mechanism, options)
        with tempfile.TemporaryDirectory() as tmp:
            t2 = time.perf_counter()
            (Path(tmp) / "result.json").write_text(io.dumps(io.result_to_dict(result)))
            t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "load": t1 - t0,
                "graph": timings.graph,
                "solve": timings.solve,
                "verify": timings.verify,
                "explain": timings.explain,
                "metrics": timings.metrics,
                "write": t3 - t2,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "matched": result.metrics.matched,
                "objective": result.objective,
                "status": result.status.value,
                "gap": result.gap,
                "blocking": len(result.blocking_pairs),
                "assignment": dict(result.assignments),
            }
        )
    )


if __name__ == "__main__":
    main()
