"""Every write is checked by the engine's own rules, so that an accepted edit
can never make the round invalid at close.

A write names one record; the record and what it references (its host or
college, the placements it prefers, the candidates it ranks, its mentor) make
a part of a round document, which `matching.parse_round(..., whole=False)`
validates by the same code that validates the whole round when it closes.
Problems keep the engine's field names (``placements['p1'].ranking: ...``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.problems import invalid
from api.rankings import mentioned, restricted
from api.storage import mapping
from api.storage import repository as repo
from api.storage import tables as t
from matching import InvalidRound, parse_round


def check_placement(
    session: Session, r: t.Round, item: str, host: str, values: dict[str, Any]
) -> None:
    """A placement as it would be stored: 422 naming each problem, else nothing."""
    check_placements(session, r, host, [(item, values)])


def check_placements(
    session: Session, r: t.Round, host: str, records: list[tuple[str, dict[str, Any]]]
) -> None:
    """Placements of one host (id, stored values) as they would be stored: one
    document for all of them, so that a file of hundreds is checked at once."""
    named = [cid for _, v in records for cid in mentioned(v.get("ranking") or [])]
    found = repo.existing_ids(session, t.Candidate, r, named)
    ranked = [cid for cid in dict.fromkeys(named) if cid in found]
    mentors = []
    for mid in sorted({v["mentor"] for _, v in records if v.get("mentor") is not None}):
        m = session.get(t.Mentor, (r.consortium_id, r.id, mid))
        if m is not None:
            mentors.append(
                {
                    "id": m.id,
                    "capacity": m.capacity,
                    # only the candidates these rankings name matter to agreement
                    "ranking": None if m.ranking is None else restricted(m.ranking, found),
                }
            )
    doc = {
        "id": r.id,
        "organizations": _organizations(session, r, {host}),
        "mentors": mentors,
        "placements": [{"id": item, "host": host, **values} for item, values in records],
        "candidates": [{"id": cid, "kind": "student", "preferences": []} for cid in ranked],
    }
    one = len(records) == 1
    _check(
        doc, f"placement {records[0][0]!r} is not valid" if one else "the placements are not valid"
    )


def check_candidates(
    session: Session,
    r: t.Round,
    records: list[tuple[str, dict[str, str | None], dict[str, Any]]],
) -> None:
    """Candidates (id, affiliation, stored values) as they would be stored: 422
    naming each problem, else nothing. One document for all of them, so that a
    file of thousands is checked at once."""
    wanted = {pid for _, _, v in records for pid in mentioned(v.get("preferences") or [])}
    places = repo.placement_stubs(session, r, wanted)
    orgs = {o for _, a, _ in records for o in a.values() if o is not None}
    # the stored holders of the numbers written (学号 unique within a college),
    # first, so that a clash is named at the record being written
    writing = {cid for cid, _, _ in records}
    holders = [
        {"id": cid, "kind": "student", "preferences": [], "number": number}
        | ({"college": college} if college else {})
        | ({"institute": institute} if institute else {})
        for cid, college, institute, number in repo.numbered(
            session, r, {v["number"] for _, _, v in records if v.get("number")}
        )
        if cid not in writing
    ]
    orgs |= {str(h[k]) for h in holders for k in ("college", "institute") if k in h}
    doc = {
        "id": r.id,
        "organizations": _organizations(session, r, orgs | {host for _, host, _ in places}),
        "placements": [
            {"id": pid, "host": host, "kind": kind, "capacity": 1} for pid, host, kind in places
        ],
        "candidates": holders
        + [
            {"id": cid, **{k: v for k, v in a.items() if v is not None}, **values}
            for cid, a, values in records
        ],
    }
    one = len(records) == 1
    _check(
        doc, f"candidate {records[0][0]!r} is not valid" if one else "the candidates are not valid"
    )


def check_applicants(session: Session, r: t.Round, pid: str, ranking: list[Any]) -> None:
    """An enterprise ranks only the candidates who applied to the placement. An
    unknown id and a candidate who did not apply get the same answer, so that a
    ranking cannot tell an enterprise which candidate ids exist."""
    named = mentioned(ranking)
    applied = repo.applicants_among(session, r, pid, named)
    errors = [
        {"field": f"placements[{pid!r}].ranking", "message": f"{cid!r} has not applied to {pid!r}"}
        for cid in dict.fromkeys(named)
        if cid not in applied
    ]
    if errors:
        raise invalid(errors, f"placement {pid!r} is not valid")


def _check(doc: dict[str, Any], detail: str) -> None:
    try:
        parse_round(doc, whole=False)
    except InvalidRound as exc:
        raise invalid(
            [{"field": p.field, "message": p.message} for p in exc.problems],
            detail,
        ) from None


def _organizations(session: Session, r: t.Round, ids: set[str]) -> list[dict[str, Any]]:
    return [
        mapping.record(o, mapping.ORGANIZATION)
        for o in repo.organizations_among(session, r.consortium_id, ids)
    ]
