"""Preference lists and rankings as the round contract writes them: ids, and
tie groups (lists of ids)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from api.collation import sort_key
from matching.model import Level, Tier


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


def ranked(ids: list[str], tied: set[str]) -> list[Any]:
    """A ranking from ids in order, each id in `tied` in one tie group with
    the one before it (the first is nobody's tie)."""
    out: list[Any] = []
    for ident in ids:
        if out and ident in tied:
            last = out[-1]
            out[-1] = [*last, ident] if isinstance(last, list) else [last, ident]
        else:
            out.append(ident)
    return out


def flat(items: list[Any] | None) -> list[tuple[str, bool]]:
    """A ranking as (id, tied with the one before) in order."""
    return [
        (ident, n > 0)
        for item in items or []
        for n, ident in enumerate(item if isinstance(item, list) else [item])
    ]


# ------------------------------------------------- an enterprise's applicants
#
# An applicant as its host reviews it (api.answers.ReviewedOut, as a dict):
# its id, name, college or institute, level, tier, and the default score's
# figures (score = skills_match + affinity), partner, ineligible (the first
# condition it does not meet), position (in the saved ranking). The API sorts
# its pages by these keys and an enterprise starts its order from these rules,
# so the page and the API order alike.

Applicant = dict[str, Any]


class Rule(StrEnum):
    """The orders an enterprise starts its applicants from (`RULES`), and its saved one."""

    SCORE = "score"  # the engine's default score
    SKILLS = "skills"  # skills match, then the default score
    PARTNER = "partner"  # partner colleges first, then the default score
    AFFINITY = "affinity"  # graph affinity, then the default score
    SAVED = "saved"  # the placement's saved ranking


LEVELS = {level.value: level.order for level in Level}
TIERS = {tier.value: n for n, tier in enumerate(Tier)}


def _rule(*figures: str) -> Callable[[Applicant], tuple[Any, ...]]:
    """An order by rule, best first: those who meet the placement's conditions
    first, then each figure from the highest."""
    return lambda a: (a.get("ineligible") is not None, *(-float(a[f]) for f in figures))


# the rules an order starts from; equal keys are a tie
RULES: dict[str, Callable[[Applicant], tuple[Any, ...]]] = {
    "score": _rule("score"),
    "skills": _rule("skills_match", "score"),
    "partner": _rule("partner", "score"),
    "affinity": _rule("affinity", "score"),
}
# every sort key of the review (api.listing.ApplicantSort): the rules, and columns
SORT_KEYS: dict[str, Callable[[Applicant], Any]] = {
    **RULES,
    "name": lambda a: sort_key(a.get("name"), person=True),
    # by the name's key (api.review: college_key) and the id; one without a name, last
    "college": lambda a: (
        (a["college_key"], a["college"] or a["institute"]) if a.get("college_key") else None
    ),
    "level": lambda a: LEVELS.get(a.get("level") or ""),
    "tier": lambda a: TIERS.get(a.get("tier") or ""),
    "ranking": lambda a: a.get("position"),
}


def ordered(rows: list[Applicant], sort: str) -> list[Applicant]:
    """`rows` by a sort key ("-key": reversed); without a value, last; ties by id."""
    key = SORT_KEYS[sort.removeprefix("-")]
    by_id = sorted(rows, key=lambda a: str(a["id"]))
    present = [a for a in by_id if key(a) is not None]
    present.sort(key=key, reverse=sort.startswith("-"))  # stable: ties stay by id
    return present + [a for a in by_id if key(a) is None]


def arranged(
    rows: list[Applicant], rule: Rule, saved: list[Any] | None = None
) -> list[tuple[Applicant, bool]]:
    """Applicants in a rule's order, each with whether it ties with the one
    before: equal figures under a rule; under `saved`, the saved ranking's
    order and tie groups, exactly as written (whom it leaves out: left out)."""
    if rule is Rule.SAVED:
        at = {cid: (n, tie) for n, (cid, tie) in enumerate(flat(saved))}
        listed = sorted((a for a in rows if a["id"] in at), key=lambda a: at[a["id"]][0])
        return [(a, n > 0 and at[a["id"]][1]) for n, a in enumerate(listed)]
    key = RULES[rule]
    done = ordered(rows, rule)
    return [(a, n > 0 and key(done[n - 1]) == key(a)) for n, a in enumerate(done)]
