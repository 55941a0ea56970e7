"""Changes to a round after its result was published, applied to its
document: a candidate declines the seat or withdraws, a placement is
withdrawn or its seats change. The changed document is validated like any
round (matching.validate), so a change that would leave the round unusable
is refused by name; the re-match (matching.engine.rematch) then solves it
against the published result."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Doc = dict[str, Any]


class ChangeKind(StrEnum):
    DECLINE = "decline"  # the candidate declines the seat and leaves the round
    WITHDRAW = "withdraw"  # the candidate withdraws from the round
    WITHDRAW_PLACEMENT = "withdraw_placement"  # the enterprise withdraws the post
    SEATS = "seats"  # the placement's seats become `capacity`

    @property
    def of_candidate(self) -> bool:
        return self in (ChangeKind.DECLINE, ChangeKind.WITHDRAW)


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    candidate: str | None = None
    placement: str | None = None
    capacity: int | None = None


def apply(doc: Doc, changes: Iterable[Change]) -> Doc:
    """The round document after `changes`, in order (the document is not
    touched). Whoever leaves is taken out of every ranking and override;
    a withdrawn placement out of every preference list and override."""
    out = copy.deepcopy(doc)
    gone_c: set[str] = set()
    gone_p: set[str] = set()
    seats: dict[str, int] = {}
    for change in changes:
        if change.kind.of_candidate and change.candidate is not None:
            gone_c.add(change.candidate)
        elif change.kind is ChangeKind.WITHDRAW_PLACEMENT and change.placement is not None:
            gone_p.add(change.placement)
        elif change.kind is ChangeKind.SEATS and change.placement is not None:
            assert change.capacity is not None
            seats[change.placement] = change.capacity
    out["candidates"] = [
        {**c, "preferences": _without(c.get("preferences") or [], gone_p)}
        for c in out.get("candidates") or []
        if c.get("id") not in gone_c
    ]
    placements = []
    for p in out.get("placements") or []:
        if p.get("id") in gone_p:
            continue
        if p.get("ranking") is not None:
            p["ranking"] = _without(p["ranking"], gone_c)
        if p.get("id") in seats:
            p["capacity"] = seats[p["id"]]
        placements.append(p)
    out["placements"] = placements
    for m in out.get("mentors") or []:
        if m.get("ranking") is not None:
            m["ranking"] = _without(m["ranking"], gone_c)
    if out.get("overrides"):
        out["overrides"] = [
            o
            for o in out["overrides"]
            if o.get("candidate") not in gone_c and o.get("placement") not in gone_p
        ]
    return out


def _without(ranking: list[Any], gone: set[str]) -> list[Any]:
    """A ranking or preference list without `gone`, its emptied tie groups dropped."""
    if not gone:
        return ranking
    out: list[Any] = []
    for item in ranking:
        if isinstance(item, list):
            group = [x for x in item if x not in gone]
            if group:
                out.append(group[0] if len(group) == 1 else group)
        elif item not in gone:
            out.append(item)
    return out


__all__ = ["Change", "ChangeKind", "apply"]
