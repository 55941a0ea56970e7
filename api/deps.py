"""Dependencies: the database session, the calling organization, its role,
and the round a route acts on (looked up, then the role checked, then the
round's state: in that order, so no answer tells a foreign caller whether a
round exists)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.problems import Problem
from api.schemas import PathId
from api.storage import repository as repo
from api.storage import tables as t
from api.storage.repository import hash_token
from api.vocabulary import Action, Role, check


@dataclass(frozen=True)
class Actor:
    consortium: str
    organization: str
    kind: str
    role: Role


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
    return Actor(tok.consortium_id, tok.organization_id, kind, Role(tok.role))


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(actor: Actor, *roles: Role) -> None:
    if actor.role not in roles:
        raise Problem(403, f"not allowed for the {actor.role} role")


def require_role(*roles: Role) -> Any:
    """A dependency: the caller, if it holds one of `roles` (403 otherwise)."""

    def dependency(actor: CurrentActor) -> Actor:
        require(actor, *roles)
        return actor

    return Depends(dependency)


def round_for(*roles: Role, action: Action | None = None) -> Any:
    """A dependency: the caller's round named in the path (404 when it is not
    theirs), if the caller holds one of `roles` (403; any role when none is
    named) and the round's state permits `action` (409)."""

    def dependency(round: PathId, actor: CurrentActor, session: SessionDep) -> t.Round:
        r = repo.get_round(session, actor.consortium, round)
        if roles:
            require(actor, *roles)
        if action is not None:
            check(r.id, r.state, action)
        return r

    return Depends(dependency)


Coordinator = Annotated[Actor, require_role(Role.COORDINATOR)]
AnyRound = Annotated[t.Round, round_for()]
CoordinatorRound = Annotated[t.Round, round_for(Role.COORDINATOR)]
