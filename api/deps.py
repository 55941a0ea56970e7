"""Dependencies: the database session, the calling organization, its role,
and the round a route acts on (looked up, then the role checked, then the
round's state: in that order, so no answer tells a foreign caller whether a
round exists)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.problems import Problem
from api.schemas import PathId
from api.storage import audit, people
from api.storage import repository as repo
from api.storage import tables as t
from api.storage.repository import hash_token
from api.vocabulary import ROLE_OF_KIND, Action, Role, check


@dataclass(frozen=True)
class Actor:
    """Who calls: an organization, by its role, through a person signed in
    (a session) or one of its tokens. `admin`: may manage the organization's
    people and tokens (its admins, and its tokens, which its admins issue)."""

    consortium: str
    organization: str
    kind: str
    role: Role
    admin: bool = True
    person: int | None = None
    token: int | None = None
    who: str = ""  # the person's name, or the token's, as the audit trail names them


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
    """The caller, from `Authorization: Bearer …`: a person's session (the
    pages') or an organization's token (automation)."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Problem(401, "a bearer token is required")
    if secret.startswith(people.SESSION_PREFIX):
        found = people.session_person(session, secret)
        if found is None:
            raise Problem(401, "the session has ended; sign in again")
        _, who = found
        org = repo.organization(session, who.consortium_id, who.organization_id)
        assert org is not None
        role = ROLE_OF_KIND[org.kind]
        actor = Actor(
            who.consortium_id, org.id, org.kind, role, who.role == "admin", who.id, None, who.name
        )
    else:
        row = session.execute(
            select(t.Token, t.Organization.kind)
            .join(
                t.Organization,
                (t.Organization.consortium_id == t.Token.consortium_id)
                & (t.Organization.id == t.Token.organization_id),
            )
            .where(t.Token.token_hash == hash_token(secret))
        ).first()
        if row is None or not people.token_usable(row[0]):
            raise Problem(401, "the token is not valid")
        tok, kind = row
        people.touch_token(tok)
        name = f"token {tok.name}" if tok.name else f"token #{tok.id}"
        actor = Actor(
            tok.consortium_id, tok.organization_id, kind, Role(tok.role), True, None, tok.id, name
        )
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def recorded(request: Request, response: Response, session: SessionDep) -> Iterator[None]:
    """Every accepted change of state appends an audit entry, in the change's
    own transaction (a change that fails records nothing, and an entry is
    never written for a change that did not happen): the operation, the
    object's path, who, and its version before (If-Match) and after (ETag)."""
    yield
    actor: Actor | None = getattr(request.state, "actor", None)
    if request.method not in MUTATING or actor is None:
        return  # reads, and signing in (which records itself)
    current = session.get_transaction()
    if current is None or not current.is_active:
        return  # a dry run (a preview) rolled back what it did: nothing changed
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    status = response.status_code or getattr(route, "status_code", None) or 200
    audit.append(
        session,
        actor.consortium,
        who=actor.who or actor.organization,
        action=f"{request.method} {template}",
        object=request.url.path,
        organization=actor.organization,
        person=actor.person,
        token=actor.token,
        before=request.headers.get("if-match"),
        after=response.headers.get("etag"),
        status=status,
    )


Recorded = Depends(recorded, scope="function")


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


def manages(actor: Actor, org: str) -> bool:
    """Whether the caller manages `org`'s people and tokens: its admin (a
    person, or a token), or the consortium office's admin for any member."""
    return actor.admin and (actor.organization == org or actor.role is Role.COORDINATOR)


def admin_of(actor: Actor, org: str) -> None:
    """403 unless the caller manages `org`'s people and tokens."""
    if not manages(actor, org):
        raise Problem(403, "only an admin of the organization or of the consortium office may")


Coordinator = Annotated[Actor, require_role(Role.COORDINATOR)]
AnyRound = Annotated[t.Round, round_for()]
CoordinatorRound = Annotated[t.Round, round_for(Role.COORDINATOR)]
