"""The lists' queries: one page of a table's rows, filtered and sorted by the
documented keys (api.listing), with the count of every row that matches.

Each filter is an equality on an indexed column, or an indexed lookup in
another table: a placement's applicants and whether a candidate listed
anything (applications), a run's outcomes (run_assignments), a park's members
(links). `q`, a piece of text, is looked for within a few text columns of the
round's (or the run's) rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from api.storage import tables as t


@dataclass(frozen=True)
class Window:
    """Which rows of a list: at most `limit`, after the first `offset`."""

    limit: int
    offset: int


def page(
    s: Session,
    query: Select[Any],
    order: Sequence[Any],
    window: Window,
    counted: Select[Any] | None = None,
) -> tuple[list[Any], int]:
    """The rows of `query` in the window, in `order`, and how many match in
    all (the rows of `counted`, where `query` is it with what its order joins)."""
    every = (query if counted is None else counted).order_by(None).subquery()
    total = s.scalar(select(func.count()).select_from(every)) or 0
    rows = s.execute(query.order_by(*order).limit(window.limit).offset(window.offset)).all()
    return list(rows), int(total)


def sorting(
    query: Any, sort: str, columns: dict[str, Any], *tiebreak: Any
) -> tuple[Any, list[Any]]:
    """`query` and its ORDER BY for a sort key ("name", or "-name" for
    descending): rows without a value last, then `tiebreak`, so that pages
    never overlap. Names and titles sort by their stored keys (api.collation,
    api.storage.sortkeys); an organization (`ByName`) by its name's key, joined
    in, then by its id."""
    chosen = columns[sort.removeprefix("-")]
    if isinstance(chosen, ByName):
        o = _NAMED
        query = query.outerjoin(
            o, and_(o.consortium_id == chosen.consortium, o.id == chosen.organization)
        )
        chosen = (o.name_key, chosen.organization)
    order = [
        (column.desc() if sort.startswith("-") else column.asc()).nulls_last()
        for column in (chosen if isinstance(chosen, tuple) else (chosen,))
    ]
    return query, [*order, *tiebreak]


@dataclass(frozen=True)
class ByName:
    """A sort by the organization a column names, as people read it: by its
    name's key, then by its id (one without a name after)."""

    consortium: Any
    organization: Any


# the organization a list is sorted by the name of: joined by its primary key
# (a correlated lookup a row took 250 ms for 100,000 rows on PostgreSQL)
_NAMED = aliased(t.Organization, name="named")


def _text(q: str | None, *columns: Any) -> ColumnElement[bool] | None:
    if not q:
        return None
    return or_(*(column.icontains(q, autoescape=True) for column in columns))


def _where(query: Any, *conditions: ColumnElement[bool] | None) -> Any:
    kept = [c for c in conditions if c is not None]
    return query.where(*kept) if kept else query


def _equal(column: Any, value: object) -> ColumnElement[bool] | None:
    if value is None:
        return None
    same: ColumnElement[bool] = column == value
    return same


def _in_park(consortium: str, column: Any, park: str | None) -> ColumnElement[bool] | None:
    """`column` (an organization id) names an organization located in `park`."""
    if park is None:
        return None
    k = t.Link
    members = select(k.source).where(
        k.consortium_id == consortium, k.kind == "located_in", k.target == park
    )
    inside: ColumnElement[bool] = column.in_(members)
    return inside


# ------------------------------------------------------------ organizations

ORGANIZATION_SORT = {
    "id": t.Organization.id,
    "name": t.Organization.name_key,
    "kind": t.Organization.kind,
}


def organizations(
    s: Session,
    consortium: str,
    window: Window,
    sort: str,
    *,
    q: str | None = None,
    kind: str | None = None,
    park: str | None = None,
    ids: Sequence[str] | None = None,
) -> tuple[list[t.Organization], int]:
    o = t.Organization
    query = _where(
        select(o).where(o.consortium_id == consortium),
        _text(q, o.id, o.name),
        _equal(o.kind, kind),
        _in_park(consortium, o.id, park),
        None if ids is None else o.id.in_(ids),
    )
    ordered, order = sorting(query, sort, ORGANIZATION_SORT, o.id)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


# ------------------------------------------------------------------ rounds

ROUND_SORT = {"created": t.Round.created_at, "id": t.Round.id, "state": t.Round.state}


def rounds(
    s: Session,
    consortium: str,
    window: Window,
    sort: str,
    *,
    q: str | None = None,
    state: str | None = None,
) -> tuple[list[t.Round], int]:
    r = t.Round
    query = _where(
        select(r).where(r.consortium_id == consortium), _text(q, r.id), _equal(r.state, state)
    )
    ordered, order = sorting(query, sort, ROUND_SORT, r.id)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


# -------------------------------------------------------------- placements


def _applicants(r: t.Round) -> Any:
    """Each placement's number of applicants, counted once for the round (a
    correlated count, a placement at a time, took 1.5 s for 10,000 placements
    on PostgreSQL)."""
    a = t.Application
    return (
        select(a.placement.label("placement"), func.count().label("n"))
        .where(a.consortium_id == r.consortium_id, a.round_id == r.id)
        .group_by(a.placement)
        .subquery()
    )


PLACEMENT_KEYS = ("id", "title", "host", "kind", "capacity", "applicants")


def placement_sort(counts: Any | None) -> dict[str, Any]:
    """The sort keys of the placements (`counts`: the round's applicants per
    placement, joined when the list is sorted by them)."""
    p = t.Placement
    columns = {
        "id": p.id,
        "title": p.title_key,
        "host": ByName(p.consortium_id, p.host),
        "kind": p.kind,
        "capacity": p.capacity,
        "applicants": None if counts is None else func.coalesce(counts.c.n, 0),
    }
    assert tuple(columns) == PLACEMENT_KEYS
    return columns


def placements(
    s: Session,
    r: t.Round,
    window: Window,
    sort: str,
    *,
    q: str | None = None,
    host: str | None = None,
    park: str | None = None,
    kind: str | None = None,
    mentor: str | None = None,
    ids: Sequence[str] | None = None,
) -> tuple[list[t.Placement], int]:
    """A page of the round's placements; `q` looks in ids, titles and the
    hosts' names."""
    p, o = t.Placement, t.Organization
    hosts_named = None
    if q:
        hosts_named = p.host.in_(
            select(o.id).where(
                o.consortium_id == r.consortium_id, o.name.icontains(q, autoescape=True)
            )
        )
    base = select(p).where(p.consortium_id == r.consortium_id, p.round_id == r.id)
    counts = None
    if sort.removeprefix("-") == "applicants":
        counts = _applicants(r)
        base = base.outerjoin(counts, counts.c.placement == p.id)
    query = _where(
        base,
        or_(_text(q, p.id, p.title), hosts_named) if q else None,  # type: ignore[arg-type]
        _equal(p.host, host),
        _in_park(r.consortium_id, p.host, park),
        _equal(p.kind, kind),
        _equal(p.mentor, mentor),
        None if ids is None else p.id.in_(ids),
    )
    ordered, order = sorting(query, sort, placement_sort(counts), p.id)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


def applicant_counts(s: Session, r: t.Round, pids: Sequence[str]) -> dict[str, int]:
    """How many candidates list each of `pids`."""
    a = t.Application
    rows = s.execute(
        select(a.placement, func.count())
        .where(a.consortium_id == r.consortium_id, a.round_id == r.id, a.placement.in_(pids))
        .group_by(a.placement)
    )
    return {pid: int(n) for pid, n in rows}


# -------------------------------------------------------------- candidates

CANDIDATE_SORT = {
    "id": t.Candidate.id,
    "name": t.Candidate.name_key,
    "number": t.Candidate.number,
    "college": ByName(
        t.Candidate.consortium_id, func.coalesce(t.Candidate.college, t.Candidate.institute)
    ),
    "kind": t.Candidate.kind,
    "tier": t.Candidate.tier,
    "level": t.Candidate.level,
}


@dataclass(frozen=True)
class CandidateScope:
    """Whose candidates a caller lists: a college's or institute's own
    (`affiliation`), an enterprise's applicants (`host`), or everyone."""

    affiliation: str | None = None
    host: str | None = None


def candidates(
    s: Session,
    r: t.Round,
    window: Window,
    sort: str,
    scope: CandidateScope,
    *,
    q: str | None = None,
    college: str | None = None,
    kind: str | None = None,
    tier: str | None = None,
    level: str | None = None,
    preferences: bool | None = None,
    applied_to: str | None = None,
    placed: bool | None = None,
    ids: Sequence[str] | None = None,
) -> tuple[list[t.Candidate], int]:
    """A page of the round's candidates in the caller's scope. `placed` (of
    the round's published run) is for a published round only."""
    c, a, p = t.Candidate, t.Application, t.Placement
    of_round = (a.consortium_id == r.consortium_id, a.round_id == r.id)

    def affiliated(org: str | None) -> ColumnElement[bool] | None:
        return None if org is None else or_(c.college == org, c.institute == org)

    hosted = None
    if scope.host is not None:
        mine = select(p.id).where(
            p.consortium_id == r.consortium_id, p.round_id == r.id, p.host == scope.host
        )
        hosted = c.id.in_(select(a.candidate).where(*of_round, a.placement.in_(mine)))
    listed = None
    if preferences is not None:
        anything = exists().where(*of_round, a.candidate == c.id)
        listed = anything if preferences else ~anything
    outcome = None
    if placed is not None:
        assert r.published_run is not None
        ra = t.RunAssignment
        got = exists().where(
            ra.run_id == r.published_run, ra.candidate == c.id, ra.placement.is_not(None)
        )
        outcome = got if placed else ~got
    query = _where(
        select(c).where(c.consortium_id == r.consortium_id, c.round_id == r.id),
        affiliated(scope.affiliation),
        hosted,
        _text(q, c.id, c.name, c.number),
        affiliated(college),
        _equal(c.kind, kind),
        _equal(c.tier, tier),
        _equal(c.level, level),
        listed,
        None
        if applied_to is None
        else c.id.in_(select(a.candidate).where(*of_round, a.placement == applied_to)),
        outcome,
        None if ids is None else c.id.in_(ids),
    )
    ordered, order = sorting(query, sort, CANDIDATE_SORT, c.id)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


# ------------------------------------------------------------------- runs

RUN_SORT = {"created": t.Run.created_at, "status": t.Run.status, "mechanism": t.Run.mechanism}


def runs(
    s: Session,
    r: t.Round,
    window: Window,
    sort: str,
    *,
    status: str | None = None,
    mechanism: str | None = None,
) -> tuple[list[t.Run], int]:
    run = t.Run
    query = _where(
        select(run).where(run.consortium_id == r.consortium_id, run.round_id == r.id),
        _equal(run.status, status),
        _equal(run.mechanism, mechanism),
    )
    ordered, order = sorting(query, sort, RUN_SORT, run.id)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


# ------------------------------------------------------------ assignments

_ra = t.RunAssignment


def assignment_sort(consortium: str) -> dict[str, Any]:
    """The sort keys of a run's outcomes (the run's consortium names its
    organizations)."""
    return {
        "candidate": _ra.candidate,
        "name": _ra.name_key,
        "number": _ra.number,
        "college": ByName(consortium, _ra.affiliation),
        "kind": _ra.kind,
        "tier": _ra.tier,
        "placement": _ra.placement,
        "title": _ra.title_key,
        "host": ByName(consortium, _ra.host),
        "park": ByName(consortium, _ra.park),
        "rank": _ra.rank,
    }


@dataclass(frozen=True)
class Outcomes:
    """What narrows a run's outcomes: the caller's scope (a college's own
    people, an enterprise's placements) and the filters asked for."""

    affiliation: str | None = None  # scope: a college's or institute's own
    host: str | None = None  # scope: who is coming to an enterprise
    q: str | None = None
    college: str | None = None
    park: str | None = None
    at: str | None = None  # a host, as a filter
    placement: str | None = None
    kind: str | None = None
    tier: str | None = None
    level: str | None = None
    placed: bool | None = None

    def conditions(self, ra: Any) -> list[ColumnElement[bool] | None]:
        return [
            _equal(ra.affiliation, self.affiliation),
            _equal(ra.host, self.host),
            _text(self.q, ra.candidate, ra.name, ra.number, ra.placement, ra.title),
            _equal(ra.affiliation, self.college),
            _equal(ra.park, self.park),
            _equal(ra.host, self.at),
            _equal(ra.placement, self.placement),
            _equal(ra.kind, self.kind),
            _equal(ra.tier, self.tier),
            _equal(ra.level, self.level),
            None
            if self.placed is None
            else (ra.placement.is_not(None) if self.placed else ra.placement.is_(None)),
        ]


def assignments(
    s: Session, consortium: str, run_id: str, window: Window | None, sort: str, only: Outcomes
) -> tuple[list[t.RunAssignment], int]:
    """A page of a run's outcomes (`window` None: all of them, for a download)."""
    query = _where(select(_ra).where(_ra.run_id == run_id), *only.conditions(_ra))
    ordered, order = sorting(query, sort, assignment_sort(consortium), _ra.candidate)
    if window is None:
        every = [row[0] for row in s.execute(ordered.order_by(*order))]
        return every, len(every)
    rows, total = page(s, ordered, order, window, query)
    return [row[0] for row in rows], total


def admitted(s: Session, run_id: str, pids: Sequence[str]) -> dict[str, int]:
    """How many a run placed at each of `pids`."""
    rows = s.execute(
        select(_ra.placement, func.count())
        .where(_ra.run_id == run_id, _ra.placement.in_(pids))
        .group_by(_ra.placement)
    )
    return {str(pid): int(n) for pid, n in rows}


def admitted_with(s: Session, r: t.Round, run_id: str, mentors: Sequence[str]) -> dict[str, int]:
    """How many a run placed with each of `mentors` (at the placements they lead)."""
    p = t.Placement
    rows = s.execute(
        select(p.mentor, func.count())
        .join(_ra, and_(_ra.placement == p.id, _ra.run_id == run_id))
        .where(p.consortium_id == r.consortium_id, p.round_id == r.id, p.mentor.in_(mentors))
        .group_by(p.mentor)
    )
    return {str(mid): int(n) for mid, n in rows}


# ------------------------------------------------------- two runs compared


def move_sort(consortium: str, a: Any, b: Any) -> dict[str, Any]:
    """The sort keys of the moves between two runs (`a` the first's rows, `b` the second's)."""
    return {
        "candidate": a.candidate,
        "name": a.name_key,
        "college": ByName(consortium, a.affiliation),
        "before": a.title_key,
        "after": b.title_key,
    }


def moves(
    s: Session,
    consortium: str,
    before: str,
    after: str,
    window: Window,
    sort: str,
    only: Outcomes,
) -> tuple[list[tuple[t.RunAssignment, t.RunAssignment]], int]:
    """The candidates two runs place differently, each with both outcomes; a
    park filter matches either outcome's park."""
    a, b = aliased(t.RunAssignment), aliased(t.RunAssignment)
    park = None if only.park is None else or_(a.park == only.park, b.park == only.park)
    narrowed = Outcomes(**{**only.__dict__, "park": None})
    query = _where(
        select(a, b)
        .join(b, and_(b.run_id == after, b.candidate == a.candidate))
        .where(a.run_id == before, a.placement.is_distinct_from(b.placement)),
        *narrowed.conditions(a),
        park,
    )
    ordered, order = sorting(query, sort, move_sort(consortium, a, b), a.candidate)
    rows, total = page(s, ordered, order, window, query)
    return [(x, y) for x, y in rows], total


def differing(s: Session, before: str, after: str) -> int:
    """How many candidates two runs place differently."""
    a, b = aliased(t.RunAssignment), aliased(t.RunAssignment)
    return int(
        s.scalar(
            select(func.count())
            .select_from(a)
            .join(b, and_(b.run_id == after, b.candidate == a.candidate))
            .where(a.run_id == before, a.placement.is_distinct_from(b.placement))
        )
        or 0
    )
