"""People, their sessions and the organizations' tokens.

Passwords are hashed with Argon2id (argon2-cffi, the reference
implementation's bindings; RFC 9106's parameters) and rehashed on sign-in
when the parameters change. A session is a random secret handed to the
browser once; only its SHA-256 is stored. Sessions end after IDLE without
use, after ABSOLUTE in any case, at sign-out, when an admin revokes them and
when the person is disabled or their password reset. Failed sign-ins slow
down (1, 2, 4, … seconds between tries after the third) and lock the name
for LOCK after LOCK_AFTER in a row; the answer never says whether the name
exists."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.storage import tables as t
from api.storage.repository import hash_token, now, utc

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
SLOW_AFTER = 3  # failed sign-ins in a row before each next try must wait
LOCK_AFTER = 10
LOCK = timedelta(minutes=15)
MIN_PASSWORD = 10
SESSION_PREFIX = "ps_"
TOUCH = timedelta(seconds=60)  # last-used stamps are written at most this often

_hasher = PasswordHasher()


@cache
def _dummy() -> str:
    """Verified against when the name is unknown, so that the answer takes as
    long (hashed when first needed, not at every import)."""
    return _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def people(s: Session, consortium: str, org: str | None = None) -> Sequence[t.Person]:
    query = select(t.Person).where(t.Person.consortium_id == consortium)
    if org is not None:
        query = query.where(t.Person.organization_id == org)
    return s.scalars(query.order_by(t.Person.organization_id, t.Person.login)).all()


def person(s: Session, consortium: str, person_id: int) -> t.Person | None:
    row = s.get(t.Person, person_id)
    return row if row is not None and row.consortium_id == consortium else None


def by_login(s: Session, login: str) -> t.Person | None:
    return s.scalar(select(t.Person).where(t.Person.login == login))


def login_taken(s: Session, login: str) -> bool:
    return by_login(s, login) is not None


def add_person(
    s: Session, consortium: str, org: str, login: str, name: str, role: str, password: str
) -> t.Person:
    row = t.Person(
        consortium_id=consortium,
        organization_id=org,
        login=login,
        name=name,
        role=role,
        password_hash=hash_password(password),
        disabled=False,
        failed=0,
        created_at=now(),
    )
    s.add(row)
    s.flush()
    return row


def end_sessions(s: Session, person_id: int) -> int:
    """Revoke every live session of a person; how many there were."""
    result = s.execute(
        update(t.Login)
        .where(t.Login.person_id == person_id, t.Login.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SignInRefused(Exception):
    """Why a sign-in was refused, and for how long to wait (seconds), if at all."""

    reason: str
    wait: int = 0


def sign_in(s: Session, login: str, password: str) -> tuple[t.Person, str, datetime]:
    """A new session for the person with this sign-in name and password (its
    secret, to hand out once, and its absolute expiry), or SignInRefused."""
    row = by_login(s, login)
    moment = now()
    if row is None:
        _verify(_dummy(), password)
        raise SignInRefused("the sign-in name or the password is wrong")
    locked = utc(row.locked_until)
    if locked is not None and locked > moment:
        raise SignInRefused("too many failed sign-ins; try again later", _seconds(locked - moment))
    if not _verify(row.password_hash, password):
        row.failed += 1
        if row.failed >= LOCK_AFTER:
            row.locked_until = moment + LOCK
        elif row.failed >= SLOW_AFTER:
            row.locked_until = moment + timedelta(seconds=2 ** (row.failed - SLOW_AFTER))
        raise SignInRefused("the sign-in name or the password is wrong")
    if row.disabled:
        raise SignInRefused("this account is disabled")
    row.failed = 0
    row.locked_until = None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    expires = moment + ABSOLUTE
    s.add(
        t.Login(
            token_hash=hash_token(secret),
            person_id=row.id,
            created_at=moment,
            last_seen_at=moment,
            expires_at=expires,
        )
    )
    return row, secret, expires


def check_password(row: t.Person, password: str) -> bool:
    return _verify(row.password_hash, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


def session_person(s: Session, secret: str) -> tuple[t.Login, t.Person] | None:
    """The live session with this secret and its person (None: unknown,
    revoked, expired, idle too long, or the person disabled). Its last use
    is stamped (at most once a minute)."""
    found = s.execute(
        select(t.Login, t.Person)
        .join(t.Person, t.Person.id == t.Login.person_id)
        .where(t.Login.token_hash == hash_token(secret))
    ).first()
    if found is None:
        return None
    login, who = found
    moment = now()
    seen = utc(login.last_seen_at)
    expires = utc(login.expires_at)
    if (
        login.revoked_at is not None
        or who.disabled
        or (expires is not None and expires <= moment)
        or (seen is not None and seen + IDLE <= moment)
    ):
        return None
    if seen is None or moment - seen >= TOUCH:
        login.last_seen_at = moment
    return login, who


def end_session(s: Session, secret: str) -> None:
    s.execute(
        update(t.Login)
        .where(t.Login.token_hash == hash_token(secret), t.Login.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def tokens(s: Session, consortium: str, org: str | None = None) -> Sequence[t.Token]:
    query = select(t.Token).where(t.Token.consortium_id == consortium)
    if org is not None:
        query = query.where(t.Token.organization_id == org)
    return s.scalars(query.order_by(t.Token.id)).all()


def token_usable(row: t.Token) -> bool:
    moment = now()
    expires = utc(row.expires_at)
    return row.revoked_at is None and (expires is None or expires > moment)


def touch_token(row: t.Token) -> None:
    moment = now()
    used = utc(row.last_used_at)
    if used is None or moment - used >= TOUCH:
        row.last_used_at = moment
