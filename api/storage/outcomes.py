"""A solved run's assignments as rows (tables.RunAssignment): each candidate of
the run's snapshot with its outcome and what a person reads of it. Made from
the two documents the run stores, the frozen round and the result, so the
worker that writes a result and the migration that filled the table for runs
solved before it existed make the same rows."""

from __future__ import annotations

from typing import Any


def rows(run_id: str, snapshot: dict[str, Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row a candidate of `result`: its affiliation, kind, tier and level,
    name and number, as the snapshot has them; its placement with that
    placement's title, host and the host's park (its `located_in` link); the
    position of that placement among its choices (tie groups count once); and
    why not each better choice."""
    places = {p["id"]: p for p in snapshot["placements"]}
    people = {c["id"]: c for c in snapshot["candidates"]}
    park: dict[str, str] = {}
    for link in sorted(snapshot.get("links", []), key=lambda k: (k["source"], k["target"])):
        if link["kind"] == "located_in":
            park.setdefault(link["source"], link["target"])
    explanations = result.get("explanations", {})
    out = []
    for cid, pid in result["assignments"].items():
        c = people.get(cid, {})
        p = places.get(pid, {}) if pid is not None else {}
        out.append(
            {
                "run_id": run_id,
                "candidate": cid,
                "name": c.get("name"),
                "number": c.get("number"),
                "affiliation": c.get("college") or c.get("institute"),
                "kind": c.get("kind", ""),
                "tier": c.get("tier"),
                "level": c.get("level"),
                "placement": pid,
                "title": p.get("title"),
                "host": p.get("host"),
                "park": park.get(p["host"]) if p else None,
                "rank": _position(c.get("preferences", []), pid) if pid is not None else None,
                "explanations": explanations.get(cid, []),
            }
        )
    return out


def _position(preferences: list[Any], pid: str) -> int | None:
    for n, item in enumerate(preferences, start=1):
        if pid in (item if isinstance(item, list) else [item]):
            return n
    return None


def applications(preferences: list[Any]) -> dict[str, int]:
    """A preference list as (placement → position) rows: a tie group shares
    one position; a placement listed twice keeps its first."""
    out: dict[str, int] = {}
    for n, item in enumerate(preferences, start=1):
        for pid in item if isinstance(item, list) else [item]:
            out.setdefault(pid, n)
    return out
