"""The database tables (SQLAlchemy 2). Schema changes go through Alembic
migrations in `migrations/`; a test checks that the two agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.storage.sortkeys import SORTED, Key, keyed

ID = String(200)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Consortium(Base):
    __tablename__ = "consortia"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(400))


class Organization(Base):
    __tablename__ = "organizations"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(400))
    name_key: Mapped[str | None] = mapped_column(Key)  # api.storage.sortkeys
    level: Mapped[str | None] = mapped_column(String(40))
    staff: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (ForeignKeyConstraint(["consortium_id"], ["consortia.id"]),)


class Link(Base):
    __tablename__ = "links"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    source: Mapped[str] = mapped_column(ID, primary_key=True)
    target: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[float] = mapped_column(default=1.0)
    __table_args__ = (
        ForeignKeyConstraint(
            ["consortium_id", "source"], ["organizations.consortium_id", "organizations.id"]
        ),
        ForeignKeyConstraint(
            ["consortium_id", "target"], ["organizations.consortium_id", "organizations.id"]
        ),
    )


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(ID)
    organization_id: Mapped[str] = mapped_column(ID)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(Integer)  # the person, if one did
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        ForeignKeyConstraint(
            ["consortium_id", "organization_id"],
            ["organizations.consortium_id", "organizations.id"],
        ),
    )


class Person(Base):
    """Someone who signs in to the pages, within an organization: its
    `admin` (adds and disables its staff, issues its tokens) or `staff`."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(ID)
    organization_id: Mapped[str] = mapped_column(ID)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # the sign-in name
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin or staff
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id
    disabled: Mapped[bool] = mapped_column(default=False)
    failed: Mapped[int] = mapped_column(Integer, default=0)  # failed sign-ins in a row
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        ForeignKeyConstraint(
            ["consortium_id", "organization_id"],
            ["organizations.consortium_id", "organizations.id"],
        ),
    )


class Login(Base):
    """A signed-in session of a person: its cookie's SHA-256, idle and
    absolute expiry; revoked at sign-out, by an admin, or when disabled."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (ForeignKeyConstraint(["person_id"], ["people.id"]),)


class AuditEntry(Base):
    """One change of state, appended and never changed (a trigger refuses
    UPDATE and DELETE on both databases): when, who (a person, a token or
    the worker), which organization, what, the object's version before and
    after, and the hash of the entry before it in the consortium's chain."""

    __tablename__ = "audit"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(ID, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    organization_id: Mapped[str | None] = mapped_column(ID)
    person_id: Mapped[int | None] = mapped_column(Integer)
    token_id: Mapped[int | None] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(400))  # the person's name, a token's, or "worker"
    action: Mapped[str] = mapped_column(String(200))
    object: Mapped[str] = mapped_column(String(2000))
    before: Mapped[str | None] = mapped_column(String(200))
    after: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Bundle(Base):
    """What a published version can be checked by (matching.audit): written
    at publication, never changed."""

    __tablename__ = "bundles"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class Round(Base):
    __tablename__ = "rounds"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    seed: Mapped[int] = mapped_column(BigInteger)  # up to 2⁶³−1, as the engine takes
    state: Mapped[str] = mapped_column(String(20))  # draft, open, closed, published
    rules: Mapped[dict[str, Any]]
    stability: Mapped[str] = mapped_column(String(20), default="ignored")
    policies: Mapped[list[Any]]
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))  # frozen at close
    published_run: Mapped[str | None] = mapped_column(String(40))  # its latest version's
    # a second round: the round whose unplaced candidates and open seats it took
    follows: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (ForeignKeyConstraint(["consortium_id"], ["consortia.id"]),)


class Snapshot(Base):
    """A frozen round document, by the hash of its canonical form: what runs solve."""

    __tablename__ = "snapshots"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)


def _round_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["consortium_id", "round_id"], ["rounds.consortium_id", "rounds.id"]
    )


class Placement(Base):
    __tablename__ = "placements"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    host: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(Integer)
    ranking: Mapped[list[Any] | None]
    mentor: Mapped[str | None] = mapped_column(ID)
    skills: Mapped[list[Any]]
    requirements: Mapped[dict[str, Any]]
    title: Mapped[str | None] = mapped_column(String(200))
    title_key: Mapped[str | None] = mapped_column(Key)
    description: Mapped[str | None] = mapped_column(Text)
    staff: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        _round_fk(),
        Index("ix_placements_host", "consortium_id", "round_id", "host"),
    )


class Mentor(Base):
    __tablename__ = "mentors"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    ranking: Mapped[list[Any] | None]
    __table_args__ = (_round_fk(),)


class Candidate(Base):
    __tablename__ = "candidates"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    college: Mapped[str | None] = mapped_column(ID)
    institute: Mapped[str | None] = mapped_column(ID)
    tier: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(40))
    skills: Mapped[list[Any]]
    preferences: Mapped[list[Any]]
    name: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(Key)
    number: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        _round_fk(),
        # a college finds its people by 学号 / 工号, and lists its own by name
        Index("ix_candidates_number", "consortium_id", "round_id", "number"),
        Index("ix_candidates_name", "consortium_id", "round_id", "name_key"),
        Index("ix_candidates_college", "consortium_id", "round_id", "college"),
        Index("ix_candidates_institute", "consortium_id", "round_id", "institute"),
    )


class Application(Base):
    """A placement a candidate lists among its preferences, with its position
    there (the rank group, 1 first): the candidate's `preferences` as rows,
    written and deleted with every write of them (repository), so that a
    placement's applicants, and whether a candidate listed anything, are
    indexed lookups. No foreign key: PostgreSQL checks one a row, which made
    the 2,000,000 rows of a national round's import take minutes."""

    __tablename__ = "applications"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    candidate: Mapped[str] = mapped_column(ID, primary_key=True)
    placement: Mapped[str] = mapped_column(ID, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_applications_placement", "consortium_id", "round_id", "placement"),)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    consortium_id: Mapped[str] = mapped_column(ID)
    round_id: Mapped[str] = mapped_column(ID)
    mechanism: Mapped[str] = mapped_column(String(40))
    options: Mapped[dict[str, Any]]
    seed: Mapped[int] = mapped_column(BigInteger)  # up to 2⁶³−1, as the engine takes
    input_hash: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(
        String(20), index=True
    )  # queued running solved failed cancelled
    progress: Mapped[str | None] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    # a solved run's figures (api.schemas.RunSummary), so a list of runs reads no results
    summary: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a re-match: the published version whose result it starts from
    rematch_of: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (_round_fk(),)


class RunResult(Base):
    __tablename__ = "run_results"
    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    __table_args__ = (ForeignKeyConstraint(["run_id"], ["runs.id"]),)


class RunAssignment(Base):
    """One candidate's outcome in a solved run, as the run's snapshot names it
    (api.storage.outcomes): who, from where, placed where, at which of its
    choices, and why not each better one. Written with the result, never
    changed: the lists of a run's assignments, the unplaced and the moves
    between two runs are paged and filtered from these rows."""

    __tablename__ = "run_assignments"
    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    candidate: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    name_key: Mapped[str | None] = mapped_column(Key)
    number: Mapped[str | None] = mapped_column(String(200))
    affiliation: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(40))
    placement: Mapped[str | None] = mapped_column(ID)
    title: Mapped[str | None] = mapped_column(String(200))
    title_key: Mapped[str | None] = mapped_column(Key)
    host: Mapped[str | None] = mapped_column(ID)
    park: Mapped[str | None] = mapped_column(ID)
    rank: Mapped[int | None] = mapped_column(Integer)  # the choice obtained, 1 first
    explanations: Mapped[list[Any]]
    # no foreign key to its run: written once, with the run's outcome, by
    # COPY on PostgreSQL, which a per-row check would slow tenfold
    __table_args__ = (
        Index("ix_run_assignments_placement", "run_id", "placement"),
        Index("ix_run_assignments_affiliation", "run_id", "affiliation"),
        Index("ix_run_assignments_host", "run_id", "host"),
        Index("ix_run_assignments_park", "run_id", "park"),
        Index("ix_run_assignments_name", "run_id", "name_key"),
    )


class Version(Base):
    """Each published result of a round: version 1 the first publication,
    each re-match published after it the next."""

    __tablename__ = "versions"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40))
    published_by: Mapped[str] = mapped_column(ID)  # the organization
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (_round_fk(),)


class Change(Base):
    """A change to a published round (matching.changes), kept with who, when
    and why; `version`: the published version it changes."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consortium_id: Mapped[str] = mapped_column(ID)
    round_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    candidate: Mapped[str | None] = mapped_column(ID)
    placement: Mapped[str | None] = mapped_column(ID)
    capacity: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(ID)  # the organization
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (_round_fk(), Index("ix_changes_round", "consortium_id", "round_id"))


class Override(Base):
    """The coordinator's pin or forbidden pair (matching.model.Override)."""

    __tablename__ = "overrides"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    round_id: Mapped[str] = mapped_column(ID, primary_key=True)
    candidate: Mapped[str] = mapped_column(ID, primary_key=True)
    placement: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(ID)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (_round_fk(),)


class IdempotencyKey(Base):
    """A POST made with an Idempotency-Key: its request's hash and, once done,
    the answer to replay. Keys are scoped to the calling organization."""

    __tablename__ = "idempotency_keys"
    consortium_id: Mapped[str] = mapped_column(ID, primary_key=True)
    organization_id: Mapped[str] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    headers: Mapped[list[Any] | None]
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@event.listens_for(Base, "before_insert", propagate=True)
@event.listens_for(Base, "before_update", propagate=True)
def _sort_keys(mapper: Any, connection: Any, row: Base) -> None:
    """A row written through the ORM gets the sort keys of its texts
    (api.collation): a new row all of them, a changed row those of
    the texts changed. Rows written in bulk get theirs in
    repository.bulk_insert, and a compare-and-set update in update_versioned."""
    state = inspect(row)
    texts = {
        source: getattr(row, source)
        for source in SORTED.get(row.__tablename__, ())
        if not state.has_identity or state.attrs[source].history.has_changes()
    }
    for key, value in keyed(row.__tablename__, texts).items():
        setattr(row, key, value)
