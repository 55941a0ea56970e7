"""The consortium itself: who the caller is, organizations, links, tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.deps import ROLE_OF_KIND, CurrentActor, SessionDep, require
from api.jsonbody import StrictJsonRoute
from api.problems import COMMON, Problem, conflict, invalid
from api.schemas import LinkIn, OrganizationIn, TokenIn, TokenOut
from api.storage import repository as repo
from api.storage import tables as t

router = APIRouter(tags=["consortium"], route_class=StrictJsonRoute, responses=COMMON)


def org_out(o: t.Organization) -> dict[str, Any]:
    return {
        k: v
        for k, v in {"id": o.id, "kind": o.kind, "name": o.name, "level": o.level}.items()
        if v is not None
    }


@router.get("/me")
def me(actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    org = repo.organization(session, actor.consortium, actor.organization)
    assert org is not None
    return {"consortium": actor.consortium, "organization": org_out(org), "role": actor.role}


@router.get("/organizations")
def list_organizations(actor: CurrentActor, session: SessionDep) -> list[dict[str, Any]]:
    return [org_out(o) for o in repo.organizations(session, actor.consortium)]


@router.post("/organizations", status_code=status.HTTP_201_CREATED)
def add_organization(
    body: OrganizationIn, actor: CurrentActor, session: SessionDep
) -> dict[str, Any]:
    require(actor, "coordinator")
    if repo.organization(session, actor.consortium, body.id) is not None:
        raise conflict(f"organization {body.id!r} already exists")
    org = t.Organization(
        consortium_id=actor.consortium,
        id=body.id,
        kind=body.kind.value,
        name=body.name,
        level=body.level.value if body.level else None,
    )
    session.add(org)
    return org_out(org)


@router.post("/links", status_code=status.HTTP_201_CREATED)
def add_link(body: LinkIn, actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    require(actor, "coordinator")
    errors = [
        {"field": end, "message": f"unknown organization {ident!r}"}
        for end, ident in (("source", body.source), ("target", body.target))
        if repo.organization(session, actor.consortium, ident) is None
    ]
    if body.source == body.target:
        errors.append(
            {"field": "target", "message": "a link cannot join an organization to itself"}
        )
    if errors:
        raise invalid(errors)
    if session.get(t.Link, (actor.consortium, body.source, body.target, body.kind.value)):
        raise conflict(f"{body.kind} link {body.source!r} → {body.target!r} already exists")
    session.add(
        t.Link(
            consortium_id=actor.consortium,
            source=body.source,
            target=body.target,
            kind=body.kind.value,
            weight=float(body.weight),
        )
    )
    return body.model_dump(mode="json")


@router.get("/graph")
def graph(actor: CurrentActor, session: SessionDep) -> dict[str, Any]:
    return {
        "organizations": [org_out(o) for o in repo.organizations(session, actor.consortium)],
        "links": [
            {"source": k.source, "target": k.target, "kind": k.kind, "weight": k.weight}
            for k in repo.links(session, actor.consortium)
        ],
    }


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, actor: CurrentActor, session: SessionDep) -> TokenOut:
    """Issue a token for a member organization. The token is shown once; only its
    hash is stored."""
    require(actor, "coordinator")
    org = repo.organization(session, actor.consortium, body.organization)
    if org is None:
        raise Problem(404, f"organization {body.organization!r} not found")
    role = ROLE_OF_KIND.get(org.kind)
    if role is None:
        raise invalid([{"field": "organization", "message": f"a {org.kind} cannot hold a token"}])
    token = repo.issue_token(session, actor.consortium, org.id, role)
    return TokenOut(token=token, organization=org.id, role=role)
