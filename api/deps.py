"""Dependencies: the database session and the calling organization."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.problems import Problem
from api.storage import tables as t
from api.storage.repository import hash_token

ROLE_OF_KIND = {
    "government": "coordinator",
    "enterprise": "enterprise",
    "college": "college",
    "institute": "college",
}


@dataclass(frozen=True)
class Actor:
    consortium: str
    organization: str
    kind: str
    role: str  # coordinator, enterprise, college


def get_session(request: Request) -> Iterator[Session]:
    factory = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


# scope="function": the transaction commits when the route returns, before the
# answer is sent. (FastAPI's default would commit after sending it, so a client
# could be told 201 about a write that a crash or a failed commit then loses:
# the API fault test caught exactly that.)
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def current_actor(request: Request, session: SessionDep) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "a bearer token is required")
    row = session.execute(
        select(t.Token, t.Organization.kind)
        .join(
            t.Organization,
            (t.Organization.consortium_id == t.Token.consortium_id)
            & (t.Organization.id == t.Token.organization_id),
        )
        .where(t.Token.token_hash == hash_token(token.strip()))
    ).first()
    if row is None:
        raise Problem(401, "the token is not valid")
    tok, kind = row
    return Actor(tok.consortium_id, tok.organization_id, kind, tok.role)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise Problem(403, f"not allowed for the {actor.role} role")
