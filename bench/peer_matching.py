"""The `matching` library's HospitalResident on a round document (run in its own
virtual environment: the library shares our import name).

python peer_matching.py ROUND → one JSON line: build and solve seconds, peak MB,
the assignment."""

from __future__ import annotations

import json
import resource
import sys
import time

from matching.games import HospitalResident

sys.setrecursionlimit(1_000_000)


def main() -> None:
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    t0 = time.perf_counter()
    residents = {c["id"]: [p for p in c["preferences"]] for c in doc["candidates"]}
    hospitals = {p["id"]: [c for c in p["ranking"]] for p in doc["placements"]}
    capacities = {p["id"]: p["capacity"] for p in doc["placements"]}
    # the library wants mutual lists: keep only acceptable pairs on both sides
    ranked = {h: set(cs) for h, cs in hospitals.items()}
    residents = {r: [h for h in hs if r in ranked[h]] for r, hs in residents.items()}
    applied: dict[str, set[str]] = {}
    for r, hs in residents.items():
        for h in hs:
            applied.setdefault(h, set()).add(r)
    hospitals = {h: [r for r in cs if r in applied.get(h, ())] for h, cs in hospitals.items()}
    game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
    t1 = time.perf_counter()
    solution = game.solve(optimal="resident")
    t2 = time.perf_counter()
    assignment = {c["id"]: None for c in doc["candidates"]}
    for hospital, matched in solution.items():
        for resident in matched:
            assignment[resident.name] = hospital.name
    print(
        json.dumps(
            {
                "build": t1 - t0,
                "solve": t2 - t1,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "assignment": assignment,
            }
        )
    )


if __name__ == "__main__":
    main()
