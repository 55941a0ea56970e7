"""People and their sessions; the organizations' tokens.

The coordinator's admins create each member organization's first admin; an
organization's admins add, disable and reset their own staff, revoke their
sessions and issue, list and revoke their tokens. A person signs in with a
sign-in name and a password (`POST /sessions`) and gets a session to send as
a bearer token, as the pages do from their cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import Response

from api.answers import PersonOut, SessionOut, TokenInfo, TokenOut
from api.deps import CurrentActor, SessionDep, admin_of, manages
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, Problem, conflict, documented, invalid
from api.problems import response as problem_response
from api.schemas import (
    PasswordChangeIn,
    PasswordIn,
    PathId,
    PersonIn,
    PersonPatch,
    SignInIn,
    TokenIn,
)
from api.storage import NotFound, audit
from api.storage import people as pp
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import ROLE_OF_KIND

# a person's or a token's number: within the database's integers
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
router = APIRouter(tags=["people"], route_class=StrictJsonRoute, responses=COMMON)


@router.post(
    "/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut,
    responses=documented(401, 429), openapi_extra={"security": []},
)  # fmt: skip
def sign_in(body: SignInIn, session: SessionDep) -> Any:
    """Sign in with a sign-in name and a password: a new session (its secret
    shown once). A wrong name or password answers 401 without saying which;
    after three failures in a row each try waits longer (429, Retry-After),
    after ten the name is locked for 15 minutes."""
    try:
        who, secret, expires = pp.sign_in(session, body.login, body.password)
    except pp.SignInRefused as refused:
        # returned, not raised: the failure count is kept (the transaction commits)
        code = 429 if refused.wait else 401
        known = pp.by_login(session, body.login)
        if known is not None:  # an unknown name belongs to no consortium's record
            _signed(session, known, "sign-in refused", code)
        headers = {"Retry-After": str(refused.wait)} if refused.wait else None
        return problem_response(code, refused.reason, headers=headers)
    _signed(session, who, "POST /sessions", 201)
    return SessionOut(
        session=secret, expires_at=expires.isoformat(), person=PersonOut.from_row(who)
    )


def _signed(session: SessionDep, who: t.Person, action: str, status: int) -> None:
    audit.append(
        session,
        who.consortium_id,
        who=who.name,
        action=action,
        object=f"/people/{who.id}",
        organization=who.organization_id,
        person=who.id,
        status=status,
    )


@router.delete("/sessions/current", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(request: Request, actor: CurrentActor, session: SessionDep) -> None:
    """End the caller's session (a token is revoked with DELETE /tokens/{id})."""
    if actor.person is None:
        raise Problem(409, "a token has no session to end")
    secret = request.headers["authorization"].partition(" ")[2].strip()
    pp.end_session(session, secret)


@router.get("/organizations/{org}/people")
def list_people(org: PathId, actor: CurrentActor, session: SessionDep) -> list[PersonOut]:
    """The people of an organization (its admins, and the consortium office's)."""
    _member(session, actor, org)
    admin_of(actor, org)
    return [PersonOut.from_row(p) for p in pp.people(session, actor.consortium, org)]


@router.post(
    "/organizations/{org}/people", status_code=status.HTTP_201_CREATED, responses=documented(409)
)
def add_person(org: PathId, body: PersonIn, actor: CurrentActor, session: SessionDep) -> PersonOut:
    """Add a person to an organization: the consortium office adds each
    member's first admin, an admin its own staff and admins."""
    _member(session, actor, org)
    admin_of(actor, org)
    if pp.login_taken(session, body.login):
        raise conflict(f"the sign-in name {body.login!r} is taken")
    row = pp.add_person(
        session, actor.consortium, org, body.login, body.name, body.role, body.password
    )
    return PersonOut.from_row(row)


@router.patch("/people/{person_id}")
def change_person(
    person_id: RowId, body: PersonPatch, actor: CurrentActor, session: SessionDep
) -> PersonOut:
    """Rename, make admin or staff, disable or enable a person. Disabling
    ends every session of theirs at once."""
    row = _managed(session, actor, person_id)
    if body.name is not None:
        row.name = body.name
    if body.role is not None:
        if row.id == actor.person and body.role != "admin":
            raise conflict("an admin cannot make themselves staff")
        row.role = body.role
    if body.disabled is not None:
        if row.id == actor.person and body.disabled:
            raise conflict("an admin cannot disable themselves")
        row.disabled = body.disabled
        if body.disabled:
            pp.end_sessions(session, row.id)
    return PersonOut.from_row(row)


@router.put("/people/{person_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(
    person_id: RowId, body: PasswordIn, actor: CurrentActor, session: SessionDep
) -> None:
    """An admin sets a person's password (their sessions end, the lock lifts)."""
    row = _managed(session, actor, person_id)
    row.password_hash = pp.hash_password(body.password)
    row.failed, row.locked_until = 0, None
    pp.end_sessions(session, row.id)


@router.delete("/people/{person_id}/sessions")
def end_sessions(person_id: RowId, actor: CurrentActor, session: SessionDep) -> dict[str, int]:
    """An admin ends every session of a person."""
    row = _managed(session, actor, person_id)
    return {"ended": pp.end_sessions(session, row.id)}


@router.put("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=documented(409))
def change_password(body: PasswordChangeIn, actor: CurrentActor, session: SessionDep) -> None:
    """A person changes their own password, giving the current one."""
    if actor.person is None:
        raise conflict("a token has no password")
    row = session.get(t.Person, actor.person)
    assert row is not None
    if not pp.check_password(row, body.current):
        raise invalid([{"field": "current", "message": "not the current password"}])
    row.password_hash = pp.hash_password(body.password)


def _member(session: SessionDep, actor: CurrentActor, org: str) -> None:
    if repo.organization(session, actor.consortium, org) is None:
        raise NotFound(f"organization {org!r}")


def _managed(session: SessionDep, actor: CurrentActor, person_id: int) -> t.Person:
    """A person the caller manages (404 for anyone else's, as for an unknown id)."""
    row = pp.person(session, actor.consortium, person_id)
    if row is None or not manages(actor, row.organization_id):
        raise NotFound(f"person {person_id}")
    return row


# ------------------------------------------------------------------ tokens


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, actor: CurrentActor, session: SessionDep) -> TokenOut:
    """Issue a named token for an organization's automation (its admins, or
    the consortium office's for any member); shown once, stored as a hash,
    expiring after `expires_in_days` if given."""
    org = repo.organization(session, actor.consortium, body.organization)
    if org is None:
        raise NotFound(f"organization {body.organization!r}")
    admin_of(actor, org.id)
    role = ROLE_OF_KIND.get(org.kind)
    if role is None:
        raise invalid([{"field": "organization", "message": f"a {org.kind} cannot hold a token"}])
    # one usable token per name: a form sent twice (a page reloaded) issues one
    if body.name is not None and any(
        x.name == body.name and pp.token_usable(x)
        for x in pp.tokens(session, actor.consortium, org.id)
    ):
        raise conflict(f"a token named {body.name!r} is in use")
    expires = repo.now() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    secret, row = repo.issue_token(
        session, actor.consortium, org.id, role, body.name, actor.person, expires
    )
    return TokenOut(
        token=secret,
        id=row.id,
        organization=org.id,
        role=role,
        name=row.name,
        expires_at=expires.isoformat() if expires else None,
    )


@router.get("/tokens")
def list_tokens(actor: CurrentActor, session: SessionDep) -> list[TokenInfo]:
    """The tokens of the caller's organization (the consortium office's
    admins: every member's), never their secrets."""
    admin_of(actor, actor.organization)
    org = None if actor.role.value == "coordinator" else actor.organization
    return [TokenInfo.from_row(x) for x in pp.tokens(session, actor.consortium, org)]


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: RowId, actor: CurrentActor, session: SessionDep) -> Response:
    row = session.get(t.Token, token_id)
    if (
        row is None
        or row.consortium_id != actor.consortium
        or not manages(actor, row.organization_id)
    ):
        raise NotFound(f"token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = repo.now()
    return Response(status_code=204)
