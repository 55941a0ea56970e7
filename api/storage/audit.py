"""The audit trail: every change of state appended, never changed.

Each entry names when, who (a person, a token or the worker), which
organization, what (the API operation and the object's path), the object's
version before and after where it has one (its ETag), and the answer's
status. Entries form one chain per consortium: each carries the SHA-256 of
the one before and its own over its fields, so an edit, a gap or a
reordering breaks the chain where it happened (`verify`). Appends to a
consortium's chain are serialised by locking its row (PostgreSQL; SQLite
writes one at a time anyway). Triggers refuse UPDATE and DELETE on the
table (migration 0009), on both databases.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.storage import tables as t
from api.storage.repository import now, utc

GENESIS = "0" * 64
FIELDS = (
    "consortium_id", "at", "organization_id", "person_id", "token_id", "who", "action",
    "object", "before", "after", "status",
)  # fmt: skip


def _stamp(moment: datetime) -> str:
    return utc(moment).astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev: str, fields: dict[str, Any]) -> str:
    """The hash of an entry: over the previous entry's hash and its own fields."""
    canonical = json.dumps(
        {k: _stamp(v) if isinstance(v, datetime) else v for k, v in fields.items()},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev}\n{canonical}".encode()).hexdigest()


def append(
    s: Session,
    consortium: str,
    *,
    who: str,
    action: str,
    object: str,
    organization: str | None = None,
    person: int | None = None,
    token: int | None = None,
    before: str | None = None,
    after: str | None = None,
    status: int = 200,
) -> t.AuditEntry:
    """Append an entry to the consortium's chain, in the caller's transaction."""
    if s.get_bind().dialect.name == "postgresql":
        # FOR NO KEY UPDATE: appenders wait for each other, but not for the
        # key-share locks that every insert naming the consortium takes
        # (FOR UPDATE would deadlock two writers that both inserted first)
        s.execute(
            select(t.Consortium.id)
            .where(t.Consortium.id == consortium)
            .with_for_update(key_share=True)  # renders FOR NO KEY UPDATE
        )
    prev = s.scalar(
        select(t.AuditEntry.hash)
        .where(t.AuditEntry.consortium_id == consortium)
        .order_by(t.AuditEntry.seq.desc())
        .limit(1)
    )
    fields: dict[str, Any] = {
        "consortium_id": consortium,
        "at": now(),
        "organization_id": organization,
        "person_id": person,
        "token_id": token,
        "who": who[:400],
        "action": action[:200],
        "object": object[:2000],
        "before": before[:200] if before else None,
        "after": after[:200] if after else None,
        "status": status,
    }
    fields["at"] = datetime.fromisoformat(_stamp(fields["at"]))  # as the database keeps it
    row = t.AuditEntry(
        **fields, prev_hash=prev or GENESIS, hash=entry_hash(prev or GENESIS, fields)
    )
    s.add(row)
    s.flush()
    return row


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    head: str  # the last entry's hash: what a later check compares against
    broken_at: int | None = None  # the first entry (seq) whose link or hash is wrong
    problem: str | None = None


def verify(rows: Iterable[t.AuditEntry]) -> ChainCheck:
    """Walk a consortium's chain in order: each entry links to the one before
    and hashes to what it says."""
    prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row.prev_hash != prev:
            return ChainCheck(False, count, prev, row.seq, "does not link to the entry before it")
        fields = {name: getattr(row, name) for name in FIELDS}
        if entry_hash(prev, fields) != row.hash:
            return ChainCheck(False, count, prev, row.seq, "its fields do not hash to its hash")
        prev = row.hash
    return ChainCheck(True, count, prev)


def chain(s: Session, consortium: str) -> Sequence[t.AuditEntry]:
    return s.scalars(
        select(t.AuditEntry)
        .where(t.AuditEntry.consortium_id == consortium)
        .order_by(t.AuditEntry.seq)
    ).all()


def query(
    consortium: str,
    organization: str | None = None,
    action: str | None = None,
    who: str | None = None,
    q: str | None = None,
) -> Select[Any]:
    """The entries of a consortium, narrowed to an organization's own, an
    action, a person's or token's name, or a text in the object's path."""
    e = t.AuditEntry
    found = select(e).where(e.consortium_id == consortium)
    if organization is not None:
        found = found.where(e.organization_id == organization)
    if action:
        found = found.where(e.action.contains(action, autoescape=True))
    if who:
        found = found.where(e.who.contains(who, autoescape=True))
    if q:
        found = found.where(e.object.contains(q, autoescape=True))
    return found
