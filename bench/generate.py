"""Seeded benchmark rounds: popularity-skewed preferences, capacities 1–10 with
total capacity about 0.9 × candidates, three parks, 36 colleges.

    python bench/generate.py S out.json [--mentors] [--policies]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

SIZES = {
    "S": (1_000, 100, 10),
    "M": (5_000, 500, 10),
    "L": (20_000, 2_000, 15),
    "XL": (100_000, 10_000, 20),
}
PARKS = ("park-a", "park-b", "park-c")
N_COLLEGES = 36


def generate(
    size: str, *, seed: int = 1, mentors: bool = False, policies: bool = False
) -> dict[str, Any]:
    n, m, length = SIZES[size]
    rng = np.random.default_rng(seed)
    hosts = max(3, m // 2)
    orgs: list[dict[str, Any]] = [{"id": "gov", "kind": "government"}]
    orgs += [{"id": p, "kind": "park"} for p in PARKS]
    orgs += [{"id": f"e{h}", "kind": "enterprise"} for h in range(hosts)]
    orgs += [
        {"id": f"c{k}", "kind": "college", "level": "higher_vocational"} for k in range(N_COLLEGES)
    ]
    park_of = rng.integers(0, 4, hosts)  # 3: no park
    links: list[dict[str, Any]] = [{"source": "gov", "target": p, "kind": "governs"} for p in PARKS]
    links += [
        {"source": f"e{h}", "target": PARKS[park_of[h]], "kind": "located_in"}
        for h in range(hosts)
        if park_of[h] < 3
    ]
    for k in range(N_COLLEGES):
        for h in sorted(set(rng.integers(0, hosts, 8).tolist())):
            links.append(
                {
                    "source": f"c{k}",
                    "target": f"e{h}",
                    "kind": "partnership",
                    "weight": round(float(rng.uniform(0.5, 1.0)), 2),
                }
            )

    # capacities in 1..10 with mean about 0.9 n / m
    mean = 0.9 * n / m
    caps = np.clip(np.rint(rng.normal(mean, 1.5, m)), 1, 10).astype(int)
    host_of = rng.integers(0, hosts, m)
    popularity = 1.0 / (np.arange(m) + 1) ** 0.7
    rng.shuffle(popularity)
    logp = np.log(popularity)

    prefs = np.empty((n, length), dtype=np.int64)
    for start in range(0, n, 2_000):  # Gumbel top-k: weighted sampling without replacement
        stop = min(n, start + 2_000)
        keys = logp + rng.gumbel(size=(stop - start, m))
        top = np.argpartition(-keys, length, axis=1)[:, :length]
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
        prefs[start:stop] = np.take_along_axis(top, order, axis=1)
    quality = rng.normal(size=n)
    college = rng.integers(0, N_COLLEGES, n)

    applicants: list[list[int]] = [[] for _ in range(m)]
    for c in range(n):
        for p in prefs[c]:
            applicants[p].append(c)
    n_mentors = m // 20 if mentors else 0
    mentor_of = (
        np.where(rng.random(m) < 0.5, rng.integers(0, max(1, n_mentors), m), -1)
        if mentors
        else np.full(m, -1)
    )
    placements = []
    for p in range(m):
        rec: dict[str, Any] = {
            "id": f"p{p}",
            "host": f"e{host_of[p]}",
            "kind": "internship",
            "capacity": int(caps[p]),
        }
        if mentor_of[p] >= 0:
            rec["mentor"] = f"m{mentor_of[p]}"
        else:
            apps = np.array(applicants[p], dtype=np.int64)
            score = quality[apps] + 0.5 * rng.normal(size=len(apps))
            rec["ranking"] = [f"s{c}" for c in apps[np.argsort(-score, kind="stable")]]
        placements.append(rec)
    mentor_docs = []
    for k in range(n_mentors):
        led = np.flatnonzero(mentor_of == k)
        apps = np.array(sorted({c for p in led for c in applicants[p]}), dtype=np.int64)
        score = quality[apps] + 0.5 * rng.normal(size=len(apps)) if len(apps) else apps
        seats = int(caps[led].sum()) if len(led) else 1
        mentor_docs.append(
            {
                "id": f"m{k}",
                "capacity": max(1, int(seats * 0.7)),
                "ranking": [f"s{c}" for c in apps[np.argsort(-score, kind="stable")]],
            }
        )
    candidates = [
        {
            "id": f"s{c}",
            "kind": "student",
            "college": f"c{college[c]}",
            "preferences": [f"p{p}" for p in prefs[c]],
        }
        for c in range(n)
    ]
    doc: dict[str, Any] = {
        "id": f"bench-{size}",
        "seed": seed,
        "organizations": orgs,
        "links": links,
        "placements": placements,
        "candidates": candidates,
    }
    if mentor_docs:
        doc["mentors"] = mentor_docs
    if policies:
        doc["policies"] = _policies(caps, host_of, park_of, college)
    return doc


def _policies(caps: Any, host_of: Any, park_of: Any, college: Any) -> list[dict[str, Any]]:
    """Park floors at 20 % and ceilings at 80 % of each park's seats; a floor of
    50 % of each college's candidates placed."""
    out: list[dict[str, Any]] = []
    for i, park in enumerate(PARKS):
        seats = int(caps[park_of[host_of] == i].sum())
        out.append(
            {
                "id": f"{park}-floor",
                "kind": "floor",
                "placements": {"park": park},
                "min": int(seats * 0.2),
            }
        )
        out.append(
            {
                "id": f"{park}-ceiling",
                "kind": "ceiling",
                "placements": {"park": park},
                "max": int(seats * 0.8),
            }
        )
    for k in range(N_COLLEGES):
        out.append(
            {
                "id": f"c{k}-floor",
                "kind": "floor",
                "candidates": {"college": f"c{k}"},
                "min": int((college == k).sum() * 0.5),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size", choices=list(SIZES))
    parser.add_argument("out", type=Path)
    parser.add_argument("--mentors", action="store_true")
    parser.add_argument("--policies", action="store_true")
    args = parser.parse_args()
    doc = generate(args.size, mentors=args.mentors, policies=args.policies)
    args.out.write_text(json.dumps(doc, separators=(",", ":")))


if __name__ == "__main__":
    main()
