"""An enterprise reviews the applicants to one of its placements: each with
the figures the engine's default score is made of (the share of the
placement's skills the applicant has, the graph affinity of its college for
the host), whether its college is a partner of the host, whether it meets the
placement's conditions, and where the saved ranking puts it.

The figures come from the engine's own functions (`ConsortiumGraph`) on the
placement and its applicants, so "order by the default score" here is the
order the engine uses for a placement without a ranking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.rankings import mentioned
from api.storage import mapping
from api.storage import repository as repo
from api.storage import tables as t
from matching import parse_round
from matching.graph import ConsortiumGraph
from matching.model import Level, LinkKind, Tier


@dataclass(frozen=True)
class Reviewed:
    candidate: t.Candidate
    level: str | None  # its own, else its college's (as the engine reads it)
    skills_match: float  # the share of the placement's wanted skills it has
    affinity: float  # of its college or institute for the host, in [0, 1]
    score: float  # the engine's default score: skills_match + affinity
    partner: bool  # its college or institute has a partnership with the host
    ineligible: str | None  # the first condition it does not meet, if any
    position: int | None  # its place in the saved ranking (tie groups share one)


def review(session: Session, r: t.Round, placement: t.Placement) -> list[Reviewed]:
    """Every applicant to `placement` (the candidates who list it), in id order."""
    people = repo.applicants(session, r, placement.id)
    orgs = [
        mapping.record(o, mapping.ORGANIZATION)
        for o in repo.organizations(session, r.consortium_id)
    ]
    links = [mapping.record(k, mapping.LINK) for k in repo.links(session, r.consortium_id)]
    record = mapping.record(placement, mapping.PLACEMENT)
    # what scores a pair: the placement's skills and conditions, the graph
    scored = {k: v for k, v in record.items() if k not in ("ranking", "mentor", "staff")}
    doc = {
        "id": r.id,
        "rules": r.rules,
        "organizations": orgs,
        "links": links,
        "placements": [scored],
        "candidates": [
            {
                **{k: v for k, v in mapping.record(c, mapping.CANDIDATE).items() if k != "number"},
                "preferences": [placement.id],
            }
            for c in people
        ],
    }
    round_ = parse_round(doc, whole=False)
    graph = ConsortiumGraph(round_)
    place = round_.placements[0]
    wanted = set(place.skills) or set(place.requirements.skills)
    partners = {(k.source, k.target) for k in round_.links if k.kind is LinkKind.PARTNERSHIP}
    position = _positions(placement.ranking)
    out = []
    for row, c in zip(people, round_.candidates, strict=True):
        level = graph.level_of(c)
        share = len(wanted & set(c.skills)) / len(wanted) if wanted else 0.0
        source = c.affiliation
        out.append(
            Reviewed(
                candidate=row,
                level=level.value if level is not None else None,
                skills_match=round(share, 6),
                affinity=round(graph.affinity(c, place), 6),
                score=graph.default_score(c, place),
                partner=source is not None
                and ((source, place.host) in partners or (place.host, source) in partners),
                ineligible=graph.ineligibility(c, place),
                position=position.get(row.id) if position is not None else None,
            )
        )
    return out


def _positions(ranking: list[Any] | None) -> dict[str, int] | None:
    if ranking is None:
        return None
    return {cid: n for n, item in enumerate(ranking, start=1) for cid in mentioned([item])}


LEVELS = {level.value: level.order for level in Level}
TIERS = {tier.value: n for n, tier in enumerate(Tier)}
# each sort key of the review (api.listing.ApplicantSort), as a value to order by
KEYS: dict[str, Callable[[Reviewed], Any]] = {
    "score": lambda x: x.score,
    "skills": lambda x: x.skills_match,
    "affinity": lambda x: x.affinity,
    "partner": lambda x: x.partner,
    "name": lambda x: x.candidate.name,
    "college": lambda x: x.candidate.college or x.candidate.institute,
    "level": lambda x: LEVELS.get(x.level) if x.level else None,
    "tier": lambda x: TIERS.get(x.candidate.tier) if x.candidate.tier else None,
    "ranking": lambda x: x.position,
}


def ordered(rows: Sequence[Reviewed], sort: str) -> list[Reviewed]:
    """`rows` by a sort key ("-key": descending); without a value, last; ties
    by id."""
    key = KEYS[sort.removeprefix("-")]
    by_id = sorted(rows, key=lambda x: x.candidate.id)
    present = [x for x in by_id if key(x) is not None]
    present.sort(key=key, reverse=sort.startswith("-"))  # stable: ties stay by id
    return present + [x for x in by_id if key(x) is None]
