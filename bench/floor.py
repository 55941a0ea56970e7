"""The floor under the whole CLI (issue 18): a process that only parses a
round's JSON with the standard library and writes a result-sized document
(every candidate assigned, with up to five better choices explained: about
as many explanations as a `stable` result has, 480,000 at XL), with orjson
like the CLI. What the engine adds
to a solve is the distance from this.

    python bench/floor.py ROUND.json OUT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import orjson


def main() -> None:
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    doc = json.loads(source.read_bytes())
    assignments: dict[str, str | None] = {}
    explanations: dict[str, list[dict[str, str]]] = {}
    for c in doc["candidates"]:
        listed = [
            p for g in c.get("preferences") or [] for p in (g if isinstance(g, list) else [g])
        ]
        at = min(5, len(listed) - 1)
        assignments[c["id"]] = listed[at] if listed else None
        explanations[c["id"]] = [
            {"placement": p, "reason": "full", "cutoff": c["id"]} for p in listed[: max(at, 0)]
        ]
    out = {"round": doc["id"], "assignments": assignments, "explanations": explanations}
    target.write_bytes(orjson.dumps(out))


if __name__ == "__main__":
    main()
