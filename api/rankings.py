"""Preference lists and rankings as the round contract writes them: ids, and
tie groups (lists of ids)."""

from __future__ import annotations

from typing import Any


def mentioned(items: list[Any]) -> list[str]:
    """The ids of a preference list or ranking (ids and tie groups), in order."""
    return [i for item in items for i in (item if isinstance(item, list) else [item])]


def restricted(ranking: list[Any], known: set[str]) -> list[Any]:
    """A preference list or ranking without the ids not in `known` (withdrawn
    placements, deleted candidates); a tie group left with one id is an id."""
    out: list[Any] = []
    for item in ranking:
        group = [x for x in (item if isinstance(item, list) else [item]) if x in known]
        if group:
            out.append(group[0] if len(group) == 1 else group)
    return out
