"""An enterprise reviews the applicants to one of its placements: each with
the figures the engine's default score is made of (the share of the
placement's skills the applicant has, the graph affinity of its college for
the host), whether its college is a partner of the host, the first condition
of the placement it does not meet, and where the saved ranking puts it.

The figures come from the engine's own functions (`ConsortiumGraph`) on the
placement and the consortium graph, so "order by the default score" here is
the order the engine uses for a placement without a ranking. A placement may
have tens of thousands of applicants (a national round's most wanted): they
are read as columns, not rows, and their affinity is the graph's once per
college."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.collation import sort_key
from api.rankings import Applicant
from api.storage import mapping
from api.storage import repository as repo
from api.storage import tables as t
from matching import parse_round
from matching.graph import ConsortiumGraph
from matching.model import Candidate, CandidateKind, Level, LinkKind, Ranking, Tier


def review(session: Session, r: t.Round, placement: t.Placement) -> list[Applicant]:
    """Every applicant to `placement` (the candidates who list it) as its host
    sees it (api.answers.ReviewedOut's fields), in id order."""
    record = mapping.record(placement, mapping.PLACEMENT)
    # what scores a pair: the placement's skills and conditions, the graph
    scored = {k: v for k, v in record.items() if k not in ("ranking", "mentor", "staff")}
    doc = {
        "id": r.id,
        "rules": r.rules,
        "organizations": [
            mapping.record(o, mapping.ORGANIZATION)
            for o in repo.organizations(session, r.consortium_id)
        ],
        "links": [mapping.record(k, mapping.LINK) for k in repo.links(session, r.consortium_id)],
        "placements": [scored],
        "candidates": [],
    }
    round_ = parse_round(doc, whole=False)
    graph = ConsortiumGraph(round_)
    place = round_.placements[0]
    wanted = set(place.skills) or set(place.requirements.skills)
    partners = {
        pair
        for k in round_.links
        if k.kind is LinkKind.PARTNERSHIP
        for pair in ((k.source, k.target), (k.target, k.source))
    }
    position = _positions(placement.ranking)
    named = {o.id: sort_key(o.name) for o in round_.organizations if o.name}
    out = []
    for cid, kind, name, college, institute, tier, level, skills in repo.applicants(
        session, r, placement.id
    ):
        # stored rows passed the engine's rules when written: no need to read them again
        c = Candidate(
            cid,
            CandidateKind(kind),
            Ranking(),
            college=college,
            institute=institute,
            tier=Tier(tier) if tier else None,
            level=Level(level) if level else None,
            skills=tuple(skills),
        )
        effective = graph.level_of(c)
        fields: dict[str, Any] = {
            "id": cid,
            "kind": kind,
            "name": name,
            "college": college,
            "institute": institute,
            "level": effective.value if effective is not None else None,
            "tier": tier,
            "skills": list(skills),
            "skills_match": round(len(wanted & set(skills)) / len(wanted), 6) if wanted else 0.0,
            "affinity": round(graph.affinity(c, place), 6),
            "score": graph.default_score(c, place),
            "partner": (c.affiliation, place.host) in partners,
            "ineligible": graph.ineligibility(c, place),
            "position": position.get(cid) if position is not None else None,
            # what the review sorts colleges by (api.rankings), not answered
            "college_key": named.get(c.affiliation) if c.affiliation is not None else None,
        }
        out.append(fields)
    return out


def _positions(ranking: list[Any] | None) -> dict[str, int] | None:
    if ranking is None:
        return None
    return {
        cid: n
        for n, item in enumerate(ranking, start=1)
        for cid in (item if isinstance(item, list) else [item])
    }
