"""A published round: its versions, the changes recorded since the latest,
the coordinator's overrides, and the round a re-match solves (the latest
version's round with those changes and overrides)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from api.storage import repository as repo
from api.storage import tables as t
from api.storage.lists import Window, page
from matching import io
from matching.audit import bundle_hash, make_bundle
from matching.changes import Change, ChangeKind, apply


def versions(s: Session, r: t.Round) -> Sequence[t.Version]:
    return s.scalars(
        select(t.Version)
        .where(t.Version.consortium_id == r.consortium_id, t.Version.round_id == r.id)
        .order_by(t.Version.number)
    ).all()


def version(s: Session, r: t.Round, number: int) -> t.Version | None:
    return s.get(t.Version, (r.consortium_id, r.id, number))


def latest(s: Session, r: t.Round) -> t.Version | None:
    return s.scalars(
        select(t.Version)
        .where(t.Version.consortium_id == r.consortium_id, t.Version.round_id == r.id)
        .order_by(t.Version.number.desc())
        .limit(1)
    ).first()


def add_version(s: Session, r: t.Round, run: t.Run, by: str) -> t.Version:
    last = latest(s, r)
    row = t.Version(
        consortium_id=r.consortium_id,
        round_id=r.id,
        number=1 if last is None else last.number + 1,
        run_id=run.id,
        published_by=by,
        published_at=repo.now(),
    )
    s.add(row)
    r.published_run = run.id
    r.snapshot_hash = run.input_hash
    return row


SEED_FIXED = (
    "the round's seed as stored with it (given when the round was created, or by an import "
    "while it was open), frozen with the round's snapshot when registration closed, before "
    "any solve"
)


def write_bundle(s: Session, r: t.Round, run: t.Run, v: t.Version, by: str) -> t.Bundle:
    """The published version's bundle (matching.audit), written once."""
    doc = published_document(s, run)
    result = json.loads(repo.run_result(s, run.id) or "{}")
    start = None
    if run.rematch_of is not None:
        base = version(s, r, run.rematch_of)
        assert base is not None
        start = (
            published_document(s, repo.get_run(s, r, base.run_id)),
            assignments(s, base.run_id),
        )
    bundle = make_bundle(
        doc,
        result,
        options=dict(run.options),
        engine_version=run.engine_version,
        seed_fixed=SEED_FIXED,
        published={"round": r.id, "version": v.number, "at": v.published_at.isoformat(), "by": by},
        started_from=start,
    )
    row = t.Bundle(
        consortium_id=r.consortium_id,
        round_id=r.id,
        version=v.number,
        document=io.dumps(bundle),
        hash=bundle_hash(bundle),
    )
    s.add(row)
    return row


def bundle(s: Session, r: t.Round, number: int) -> t.Bundle | None:
    return s.get(t.Bundle, (r.consortium_id, r.id, number))


def changes(s: Session, r: t.Round, number: int | None = None) -> Sequence[t.Change]:
    """The round's changes, oldest first (`number`: those made to that version)."""
    query = select(t.Change).where(
        t.Change.consortium_id == r.consortium_id, t.Change.round_id == r.id
    )
    if number is not None:
        query = query.where(t.Change.version == number)
    return s.scalars(query.order_by(t.Change.id)).all()


def as_change(row: t.Change) -> Change:
    return Change(ChangeKind(row.kind), row.candidate, row.placement, row.capacity)


def published_document(s: Session, run: t.Run) -> dict[str, Any]:
    """The round a published run solved."""
    text = repo.snapshot(s, run.input_hash)
    assert text is not None, f"snapshot {run.input_hash} of run {run.id} is missing"
    doc: dict[str, Any] = json.loads(text)
    return doc


def changed_document(
    s: Session, r: t.Round, extra: Sequence[Change] = (), overriding: list[Any] | None = None
) -> dict[str, Any]:
    """The round a re-match would solve now: the latest version's round, the
    changes made to it (and `extra`), and the overrides (or `overriding`)."""
    last = latest(s, r)
    assert last is not None, f"round {r.id!r} has no published version"
    base = published_document(s, repo.get_run(s, r, last.run_id))
    doc = apply(base, [*map(as_change, changes(s, r, last.number)), *extra])
    names = repo.names(s, r.consortium_id)
    records = (
        repo.override_records(repo.overrides(s, r), names) if overriding is None else overriding
    )
    here = {c["id"] for c in doc["candidates"]}, {p["id"] for p in doc["placements"]}
    doc["overrides"] = [
        o for o in records if o["candidate"] in here[0] and o["placement"] in here[1]
    ]
    if not doc["overrides"]:
        del doc["overrides"]
    return doc


def assignments(s: Session, run_id: str) -> dict[str, str | None]:
    document = repo.run_result(s, run_id)
    assert document is not None, f"run {run_id} has no result"
    found: dict[str, str | None] = json.loads(document)["assignments"]
    return found


def moved(
    s: Session,
    before: str,
    after: str,
    window: Window,
    affiliation: str | None = None,
    host: str | None = None,
) -> tuple[list[tuple[t.RunAssignment, t.RunAssignment | None]], int]:
    """Whom two versions place differently, those who left the round among
    them (no outcome in the second); narrowed to a college's own people or to
    those placed at an enterprise in either."""
    a, b = aliased(t.RunAssignment), aliased(t.RunAssignment)
    query: Select[Any] = (
        select(a, b)  # type: ignore[assignment]
        .outerjoin(b, and_(b.run_id == after, b.candidate == a.candidate))
        .where(
            a.run_id == before,
            or_(b.candidate.is_(None), a.placement.is_distinct_from(b.placement)),
        )
    )
    if affiliation is not None:
        query = query.where(a.affiliation == affiliation)
    if host is not None:
        query = query.where(or_(a.host == host, b.host == host))
    rows, total = page(s, query, (a.candidate,), window)
    return [(x, y) for x, y in rows], total


__all__ = [
    "add_version",
    "assignments",
    "changed_document",
    "changes",
    "latest",
    "moved",
    "version",
    "versions",
]
