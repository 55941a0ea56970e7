"""Query functions: every read and write of the service's tables but the
worker's side of the run queue (`queue`). Routes call these; nothing else
builds queries."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, overload

from sqlalchemy import JSON, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from api.collation import sort_key
from api.rankings import restricted
from api.storage import NotFound, mapping, outcomes, sortkeys
from api.storage import tables as t
from api.vocabulary import ACTIVE, RunStatus
from matching import io
from matching.model import Round


def now() -> datetime:
    return datetime.now(UTC)


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: datetime | None) -> datetime | None: ...
def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every one stored here is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


# ----------------------------------------------------------- consortium graph


def organizations(s: Session, consortium: str) -> Sequence[t.Organization]:
    return s.scalars(
        select(t.Organization)
        .where(t.Organization.consortium_id == consortium)
        .order_by(t.Organization.id)
    ).all()


def organization(s: Session, consortium: str, org: str) -> t.Organization | None:
    return s.get(t.Organization, (consortium, org))


def organization_kinds(s: Session, consortium: str) -> dict[str, str]:
    """Each organization of the consortium's kind, by id (one query, no objects:
    an import checks a round's thousands against them)."""
    rows = s.execute(
        select(t.Organization.id, t.Organization.kind).where(
            t.Organization.consortium_id == consortium
        )
    )
    return {ident: kind for ident, kind in rows}


def links(s: Session, consortium: str) -> Sequence[t.Link]:
    return s.scalars(
        select(t.Link)
        .where(t.Link.consortium_id == consortium)
        .order_by(t.Link.source, t.Link.target, t.Link.kind)
    ).all()


def issue_token(
    s: Session,
    consortium: str,
    org: str,
    role: str,
    name: str | None = None,
    by: int | None = None,
    expires: datetime | None = None,
) -> tuple[str, t.Token]:
    """A new bearer token for an organization: its secret (returned once,
    stored as its SHA-256) and its row."""
    token = "pe_" + secrets.token_urlsafe(32)
    row = t.Token(
        consortium_id=consortium,
        organization_id=org,
        role=role,
        token_hash=hash_token(token),
        created_at=now(),
        name=name,
        created_by=by,
        expires_at=expires,
    )
    s.add(row)
    s.flush()
    return token, row


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ----------------------------------------------------------------- rounds


def rounds(s: Session, consortium: str) -> Sequence[t.Round]:
    return s.scalars(
        select(t.Round)
        .where(t.Round.consortium_id == consortium)
        .order_by(t.Round.created_at, t.Round.id)
    ).all()


def round_exists(s: Session, consortium: str, round_id: str) -> bool:
    return s.get(t.Round, (consortium, round_id)) is not None


def new_round(
    s: Session,
    consortium: str,
    round_id: str,
    seed: int,
    stability: str,
    rules: dict[str, Any],
    policies: list[Any] | None = None,
) -> t.Round:
    """A new round, a draft (the caller checked that its id is free)."""
    r = t.Round(
        consortium_id=consortium,
        id=round_id,
        seed=seed,
        state="draft",
        rules=rules,
        stability=stability,
        policies=policies or [],
        created_at=now(),
    )
    s.add(r)
    s.flush()
    return r


def following(s: Session, r: t.Round) -> t.Round | None:
    """The second round that follows `r`, if there is one."""
    return s.scalars(
        select(t.Round).where(t.Round.consortium_id == r.consortium_id, t.Round.follows == r.id)
    ).first()


def get_round(s: Session, consortium: str, round_id: str) -> t.Round:
    row = s.get(t.Round, (consortium, round_id))
    if row is None:
        raise NotFound(f"round {round_id!r}")
    return row


def placements(s: Session, r: t.Round, host: str | None = None) -> Sequence[t.Placement]:
    q = select(t.Placement).where(
        t.Placement.consortium_id == r.consortium_id, t.Placement.round_id == r.id
    )
    if host is not None:
        q = q.where(t.Placement.host == host)
    return s.scalars(q.order_by(t.Placement.id)).all()


Keyed = type[t.Placement] | type[t.Candidate]


def _among(s: Session, table: Keyed, r: t.Round, ids: Iterable[str], *columns: Any) -> list[Any]:
    """`columns` of the round's rows of `table` whose id is one of `ids`: one
    indexed lookup per thousand ids, instead of loading every row to check a
    few references."""
    wanted = sorted(set(ids))
    rows: list[Any] = []
    for start in range(0, len(wanted), 1000):
        rows += s.execute(
            select(*columns).where(
                table.consortium_id == r.consortium_id,
                table.round_id == r.id,
                table.id.in_(wanted[start : start + 1000]),
            )
        ).all()
    return rows


def existing_ids(s: Session, table: Keyed, r: t.Round, ids: Iterable[str]) -> set[str]:
    """Which of `ids` name a row of `table` in the round."""
    return {ident for (ident,) in _among(s, table, r, ids, table.id)}


def applicants_among(s: Session, r: t.Round, pid: str, ids: Iterable[str]) -> set[str]:
    """Which of `ids` name candidates of the round who list placement `pid`."""
    a = t.Application
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        found.update(
            s.scalars(
                select(a.candidate).where(
                    a.consortium_id == r.consortium_id,
                    a.round_id == r.id,
                    a.placement == pid,
                    a.candidate.in_(wanted[start : start + 1000]),
                )
            )
        )
    return found


def applicants(s: Session, r: t.Round, pid: str) -> list[tuple[Any, ...]]:
    """(id, kind, name, college, institute, tier, level, skills) of the
    candidates who list placement `pid`, by id: columns, not rows, for the
    tens of thousands a national round's most wanted placement may have."""
    a, c = t.Application, t.Candidate
    found = s.execute(
        select(c.id, c.kind, c.name, c.college, c.institute, c.tier, c.level, c.skills)
        .join(
            a,
            (a.consortium_id == c.consortium_id)
            & (a.round_id == c.round_id)
            & (a.candidate == c.id),
        )
        .where(c.consortium_id == r.consortium_id, c.round_id == r.id, a.placement == pid)
        .order_by(c.id)
    )
    return [tuple(row) for row in found]


def numbered(
    s: Session, r: t.Round, numbers: Iterable[str]
) -> list[tuple[str, str | None, str | None, str]]:
    """(id, college, institute, number) of the round's candidates holding one of `numbers`."""
    wanted = sorted(set(numbers))
    rows: list[Any] = []
    c = t.Candidate
    for start in range(0, len(wanted), 1000):
        rows += s.execute(
            select(c.id, c.college, c.institute, c.number).where(
                c.consortium_id == r.consortium_id,
                c.round_id == r.id,
                c.number.in_(wanted[start : start + 1000]),
            )
        ).all()
    return [(cid, college, institute, number) for cid, college, institute, number in rows]


def placement_stubs(s: Session, r: t.Round, ids: Iterable[str]) -> list[tuple[str, str, str]]:
    """(id, host, kind) of the round's placements among `ids`."""
    rows = _among(s, t.Placement, r, ids, t.Placement.id, t.Placement.host, t.Placement.kind)
    return [(pid, host, kind) for pid, host, kind in rows]


def organizations_among(
    s: Session, consortium: str, ids: Iterable[str]
) -> Sequence[t.Organization]:
    return s.scalars(
        select(t.Organization).where(
            t.Organization.consortium_id == consortium, t.Organization.id.in_(sorted(set(ids)))
        )
    ).all()


def placement(s: Session, r: t.Round, pid: str) -> t.Placement | None:
    return s.get(t.Placement, (r.consortium_id, r.id, pid))


def _at_version(row: t.Placement | t.Candidate) -> tuple[Any, ...]:
    """The row, if it is still at the version it was read at."""
    table = type(row)
    return (
        table.consortium_id == row.consortium_id,
        table.round_id == row.round_id,
        table.id == row.id,
        table.version == row.version,
    )


def add_versioned(s: Session, rows: Sequence[t.Placement | t.Candidate]) -> None:
    """Store new placements or candidates (at version 1), a candidate's
    preferences as its applications too."""
    s.add_all(rows)
    s.flush()
    write_applications(s, [row for row in rows if isinstance(row, t.Candidate)])
    if sum(isinstance(row, t.Placement) for row in rows) >= MANY:
        analyze(s, t.Placement)


def update_versioned(s: Session, row: t.Placement | t.Candidate, changes: dict[str, Any]) -> bool:
    """Compare-and-set on the version read; False when another edit got there
    first. Saving what is already stored changes nothing, the version included."""
    if all(getattr(row, key) == value for key, value in changes.items()):
        return True
    table = type(row)
    done = s.execute(
        update(table)
        .where(*_at_version(row))
        .values(**changes, **sortkeys.keyed(table.__tablename__, changes), version=row.version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    s.refresh(row)
    if isinstance(row, t.Candidate) and "preferences" in changes:
        write_applications(s, [row])
    return True


# A write of this many rows or more tells the planner about them at once.
MANY = 1000


def analyze(s: Session, *tables: type[t.Base]) -> None:
    """Bring PostgreSQL's planner statistics up to date for `tables` after a
    bulk write, in the writer's transaction. Autovacuum would, a minute or
    more later; meanwhile a planner that believes an imported table empty
    chooses nested loops that take minutes (found by bench/lists.py: 40 s
    for an enterprise's applicants right after the Changzhou import). SQLite
    plans well without statistics."""
    if s.get_bind().dialect.name == "postgresql":
        names = ", ".join(table.__tablename__ for table in tables)
        s.execute(text(f"ANALYZE {names}"))


def bulk_insert(s: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows of `table` at once, through the driver. On PostgreSQL,
    one COPY: an INSERT a row (what an executemany becomes there) took 9
    minutes for the 2,000,000 preferences of a 100,000-candidate round in
    bench/lists.py, the server planning and checking each row apart. On
    SQLite, the driver's executemany: SQLAlchemy's own work on each row's
    parameters was as long as SQLite's writing them."""
    if not rows:
        return
    s.flush()  # what the rows reference is written first
    name = table.__tablename__
    given = list(rows[0])
    texts = [(c, *sortkeys.SORTED[name][c]) for c in given if c in sortkeys.SORTED.get(name, {})]
    columns = [*given, *(key for _, key, _ in texts)]  # and the texts' sort keys
    as_json = {c.name for c in table.__table__.columns if isinstance(c.type, JSON)}
    values: Iterable[Sequence[Any]] = (
        [json.dumps(row[c]) if c in as_json else row[c] for c in given]
        + [sort_key(row[c], person=person) for c, _, person in texts]
        for row in rows
    )
    if not as_json and not texts and len(given) > 1:  # as they are (an import's applications)
        values = map(itemgetter(*given), rows)
    raw: Any = s.connection().connection.dbapi_connection
    names = ", ".join(columns)
    if s.get_bind().dialect.name != "postgresql":
        marks = ", ".join("?" * len(columns))
        cursor = raw.cursor()
        try:
            cursor.executemany(f"INSERT INTO {name} ({names}) VALUES ({marks})", values)
        finally:
            cursor.close()
        return
    import psycopg  # the PostgreSQL driver (psycopg 3): its COPY protocol

    assert isinstance(raw, psycopg.Connection)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {name} ({names}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)


def unhurried(s: Session) -> None:
    """Let this transaction think between its statements. A PostgreSQL session
    idle inside a transaction is ended after 15 s (api.storage.db: a process
    stopped mid-transaction must not hold its locks for ever), but a whole
    round's import or close validates and hashes 100,000 candidates between
    two statements: for this transaction only, the limit is 10 minutes."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL idle_in_transaction_session_timeout = '600s'"))


def write_applications(s: Session, rows: Sequence[t.Candidate]) -> None:
    """Make the applications of these (flushed) candidates their preferences
    as stored (delete_versioned deletes a candidate's with it)."""
    if not rows:
        return
    a = t.Application
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        first = chunk[0]
        s.execute(
            delete(a).where(
                a.consortium_id == first.consortium_id,
                a.round_id == first.round_id,
                a.candidate.in_([c.id for c in chunk]),
            )
        )
    insert_applications(
        s, rows[0].consortium_id, rows[0].round_id, {c.id: c.preferences or [] for c in rows}
    )


def insert_applications(
    s: Session, consortium: str, round_id: str, preferences: dict[str, list[Any]]
) -> None:
    """Write the applications of the round's candidates (candidate id → its
    preferences as stored): each placement listed, with its position there."""
    listed = [
        {
            "consortium_id": consortium,
            "round_id": round_id,
            "candidate": cid,
            "placement": pid,
            "position": position,
        }
        for cid, ranking in preferences.items()
        for pid, position in outcomes.applications(ranking).items()
    ]
    bulk_insert(s, t.Application, listed)
    if len(preferences) >= MANY:
        analyze(s, t.Candidate, t.Application)


def delete_versioned(s: Session, row: t.Placement | t.Candidate) -> bool:
    """Delete the row if it is still at the version read (a candidate with its
    applications)."""
    done = s.execute(
        delete(type(row)).where(*_at_version(row)).execution_options(synchronize_session=False)
    )
    if isinstance(row, t.Candidate) and done.rowcount == 1:  # type: ignore[attr-defined]
        a = t.Application
        s.execute(
            delete(a).where(
                a.consortium_id == row.consortium_id,
                a.round_id == row.round_id,
                a.candidate == row.id,
            )
        )
    s.expunge(row)
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def mentors(s: Session, r: t.Round) -> Sequence[t.Mentor]:
    return s.scalars(
        select(t.Mentor)
        .where(t.Mentor.consortium_id == r.consortium_id, t.Mentor.round_id == r.id)
        .order_by(t.Mentor.id)
    ).all()


def candidates(s: Session, r: t.Round, affiliation: str | None = None) -> Sequence[t.Candidate]:
    q = select(t.Candidate).where(
        t.Candidate.consortium_id == r.consortium_id, t.Candidate.round_id == r.id
    )
    if affiliation is not None:
        q = q.where(or_(t.Candidate.college == affiliation, t.Candidate.institute == affiliation))
    return s.scalars(q.order_by(t.Candidate.id)).all()


def placement_hosts(s: Session, r: t.Round) -> dict[str, tuple[str, str | None, str | None]]:
    """Each placement's host, title and mentor (a few columns, not whole rows)."""
    p = t.Placement
    rows = s.execute(
        select(p.id, p.host, p.title, p.mentor).where(
            p.consortium_id == r.consortium_id, p.round_id == r.id
        )
    )
    return {pid: (host, title, mentor) for pid, host, title, mentor in rows}


def affiliations(s: Session, r: t.Round) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Each candidate's college or institute, name and number (not whole rows)."""
    c = t.Candidate
    rows = s.execute(
        select(c.id, c.college, c.institute, c.name, c.number).where(
            c.consortium_id == r.consortium_id, c.round_id == r.id
        )
    )
    return {
        cid: (college or institute, name, number) for cid, college, institute, name, number in rows
    }


def parks(s: Session, consortium: str) -> dict[str, str]:
    """Each organization located in a park: that park's id."""
    rows = s.execute(
        select(t.Link.source, t.Link.target).where(
            t.Link.consortium_id == consortium, t.Link.kind == "located_in"
        )
    )
    return dict(rows.all())


def names(s: Session, consortium: str) -> dict[str, str]:
    """Each organization's name (those that have one)."""
    o = t.Organization
    rows = s.execute(select(o.id, o.name).where(o.consortium_id == consortium, o.name.is_not(None)))
    return {ident: name for ident, name in rows if name is not None}


def candidate(s: Session, r: t.Round, cid: str) -> t.Candidate | None:
    return s.get(t.Candidate, (r.consortium_id, r.id, cid))


def round_document(s: Session, r: t.Round) -> dict[str, Any]:
    """The round as a contract document, from the current rows. References to
    withdrawn placements and deleted candidates are dropped."""
    places = placements(s, r)
    cands = candidates(s, r)
    place_ids = {p.id for p in places}
    cand_ids = {c.id for c in cands}

    def kept(rec: dict[str, Any], field: str, known: set[str]) -> dict[str, Any]:
        if rec.get(field) is not None:
            rec[field] = restricted(rec[field], known)
        return rec

    return {
        "id": r.id,
        "seed": r.seed,
        "stability": r.stability,
        "rules": r.rules,
        "organizations": [
            mapping.record(o, mapping.ORGANIZATION) for o in organizations(s, r.consortium_id)
        ],
        "links": [mapping.record(k, mapping.LINK) for k in links(s, r.consortium_id)],
        "placements": [
            kept(mapping.record(p, mapping.PLACEMENT), "ranking", cand_ids) for p in places
        ],
        "mentors": [
            kept(mapping.record(m, mapping.MENTOR), "ranking", cand_ids) for m in mentors(s, r)
        ],
        "candidates": [
            kept(mapping.record(c, mapping.CANDIDATE), "preferences", place_ids) for c in cands
        ],
        "policies": r.policies,
        "overrides": [
            o
            for o in override_records(overrides(s, r), names(s, r.consortium_id))
            if o["candidate"] in cand_ids and o["placement"] in place_ids
        ],
    }


def overrides(s: Session, r: t.Round) -> Sequence[t.Override]:
    return s.scalars(
        select(t.Override)
        .where(t.Override.consortium_id == r.consortium_id, t.Override.round_id == r.id)
        .order_by(t.Override.candidate, t.Override.placement)
    ).all()


def override_records(rows: Sequence[t.Override], names: dict[str, str]) -> list[dict[str, Any]]:
    """The overrides as the round document writes them (`by`: who decided)."""
    return [
        {
            "candidate": o.candidate,
            "placement": o.placement,
            "kind": o.kind,
            "reason": o.reason,
            **({"note": o.note} if o.note else {}),
            "by": names.get(o.by, o.by),
        }
        for o in rows
    ]


def replace_round_content(s: Session, r: t.Round, doc: Round) -> None:
    """Make the round's placements, mentors, candidates, policies and seed those of `doc`,
    adding its organizations and links to the consortium."""
    unhurried(s)
    full: dict[str, Any] = io.round_to_dict(doc)
    consortium = {"consortium_id": r.consortium_id}
    # Everything as rows of values, not ORM objects: a national round is
    # hundreds of thousands of them, and building and flushing each object was
    # most of an import's time.
    known = organization_kinds(s, r.consortium_id)
    new = [o for o in full["organizations"] if o["id"] not in known]
    bulk_insert(
        s, t.Organization, [mapping.values(mapping.ORGANIZATION, o, **consortium) for o in new]
    )
    k = t.Link
    have = {
        (source, target, kind)
        for source, target, kind in s.execute(
            select(k.source, k.target, k.kind).where(k.consortium_id == r.consortium_id)
        )
    }
    added = [k for k in full.get("links", []) if (k["source"], k["target"], k["kind"]) not in have]
    bulk_insert(
        s, t.Link, [mapping.values(mapping.LINK, {"weight": 1.0, **k}, **consortium) for k in added]
    )
    for table in (t.Placement, t.Mentor, t.Application, t.Candidate):
        s.execute(
            delete(table).where(table.consortium_id == r.consortium_id, table.round_id == r.id)
        )
    in_round = {**consortium, "round_id": r.id}
    versioned = {**in_round, "version": 1}
    places = full["placements"]
    bulk_insert(s, t.Placement, [mapping.values(mapping.PLACEMENT, p, **versioned) for p in places])
    analyze(s, t.Placement)
    mentors = full.get("mentors", [])
    bulk_insert(s, t.Mentor, [mapping.values(mapping.MENTOR, m, **in_round) for m in mentors])
    cands = full["candidates"]
    bulk_insert(s, t.Candidate, [mapping.values(mapping.CANDIDATE, c, **versioned) for c in cands])
    insert_applications(
        s, r.consortium_id, r.id, {c["id"]: c.get("preferences", []) for c in cands}
    )
    r.seed = doc.seed
    r.stability = doc.stability.value
    r.rules = full.get("rules", {})
    r.policies = full.get("policies", [])


def store_snapshot(s: Session, doc: Round) -> str:
    digest = io.round_hash(doc)
    if s.get(t.Snapshot, digest) is None:
        s.add(t.Snapshot(hash=digest, document=io.dumps(io.round_to_dict(doc))))
    return digest


def snapshot(s: Session, digest: str) -> str | None:
    row = s.get(t.Snapshot, digest)
    return row.document if row is not None else None


# ------------------------------------------------------------------- runs


def new_run(
    s: Session,
    r: t.Round,
    mechanism: str,
    options: dict[str, Any],
    engine_version: str,
    input_hash: str | None = None,
) -> t.Run:
    """A queued run of the round's snapshot (or of the snapshot `input_hash`)."""
    run = t.Run(
        id=uuid.uuid4().hex,
        consortium_id=r.consortium_id,
        round_id=r.id,
        mechanism=mechanism,
        options=options,
        seed=r.seed,
        input_hash=input_hash or r.snapshot_hash or "",
        engine_version=engine_version,
        status=RunStatus.QUEUED,
        attempt=0,
        created_at=now(),
    )
    s.add(run)
    return run


def active_run(s: Session, r: t.Round, mechanism: str, options: dict[str, Any]) -> t.Run | None:
    for run in s.scalars(
        select(t.Run).where(
            t.Run.consortium_id == r.consortium_id,
            t.Run.round_id == r.id,
            t.Run.mechanism == mechanism,
            t.Run.status.in_(ACTIVE),
        )
    ):
        if run.options == options:
            return run
    return None


def cancel_run(s: Session, run: t.Run) -> bool:
    """Cancel a queued or running run (its worker, if any, stops the solve at
    its next lease renewal and writes nothing); False when it already ended."""
    done = s.execute(
        update(t.Run)
        .where(t.Run.id == run.id, t.Run.status.in_(ACTIVE))
        .values(status=RunStatus.CANCELLED, finished_at=now(), lease_until=None)
        .execution_options(synchronize_session=False)
    )
    s.refresh(run)
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def runs_since(s: Session, consortium: str, moment: datetime) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(t.Run)
            .where(t.Run.consortium_id == consortium, t.Run.created_at >= moment)
        )
        or 0
    )


def counts(s: Session, r: t.Round) -> dict[str, int]:
    """Placements, seats and candidates of a round, counted by the database."""
    of_round = (t.Placement.consortium_id == r.consortium_id, t.Placement.round_id == r.id)
    places, seats = s.execute(
        select(func.count(), func.coalesce(func.sum(t.Placement.capacity), 0)).where(*of_round)
    ).one()
    cands = s.scalar(
        select(func.count())
        .select_from(t.Candidate)
        .where(t.Candidate.consortium_id == r.consortium_id, t.Candidate.round_id == r.id)
    )
    return {"placements": int(places), "seats": int(seats), "candidates": int(cands or 0)}


def runs(s: Session, r: t.Round) -> Sequence[t.Run]:
    return s.scalars(
        select(t.Run)
        .where(t.Run.consortium_id == r.consortium_id, t.Run.round_id == r.id)
        .order_by(t.Run.created_at)
    ).all()


def run_by_id(s: Session, run_id: str) -> t.Run:
    run = s.get(t.Run, run_id)
    assert run is not None, f"run {run_id} is missing"
    return run


def get_run(s: Session, r: t.Round, run_id: str) -> t.Run:
    run = s.get(t.Run, run_id)
    if run is None or run.consortium_id != r.consortium_id or run.round_id != r.id:
        raise NotFound(f"run {run_id!r}")
    return run


def run_result(s: Session, run_id: str) -> str | None:
    row = s.get(t.RunResult, run_id)
    return row.document if row is not None else None
