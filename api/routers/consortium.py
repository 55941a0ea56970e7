"""The consortium itself: who the caller is, organizations, links, tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.answers import GraphOut, LinkOut, MeOut, OrganizationOut, PersonOut
from api.deps import Coordinator, CurrentActor, SessionDep
from api.jsonbody import StrictJsonRoute
from api.listing import IdFilter, Ids, OrganizationSort, Page, Search, WindowDep
from api.problems import COMMON, conflict, invalid
from api.schemas import LinkIn, OrganizationIn
from api.storage import lists
from api.storage import repository as repo
from api.storage import tables as t
from matching.model import OrgKind

router = APIRouter(tags=["consortium"], route_class=StrictJsonRoute, responses=COMMON)


@router.get("/me")
def me(actor: CurrentActor, session: SessionDep) -> MeOut:
    org = repo.organization(session, actor.consortium, actor.organization)
    assert org is not None
    who = session.get(t.Person, actor.person) if actor.person is not None else None
    return MeOut.of(
        consortium=actor.consortium,
        organization=OrganizationOut.from_row(org),
        role=actor.role,
        admin=actor.admin,
        person=PersonOut.from_row(who) if who is not None else None,
    )


@router.get("/organizations")
def list_organizations(
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    sort: OrganizationSort = "id",
    q: Search = None,
    kind: OrgKind | None = None,
    park: Annotated[IdFilter, Query(description="located in this park")] = None,
    id: Ids = None,
) -> Page[OrganizationOut]:
    """A page of the consortium's organizations; `q` looks in ids and names."""
    rows, total = lists.organizations(
        session, actor.consortium, window, sort, q=q, kind=kind, park=park, ids=id
    )
    parks = repo.parks(session, actor.consortium)
    return Page.of([OrganizationOut.from_row(o, parks.get(o.id)) for o in rows], total, window)


@router.post("/organizations", status_code=status.HTTP_201_CREATED)
def add_organization(
    body: OrganizationIn, actor: Coordinator, session: SessionDep
) -> OrganizationOut:
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
    return OrganizationOut.from_row(org)


@router.post("/links", status_code=status.HTTP_201_CREATED)
def add_link(body: LinkIn, actor: Coordinator, session: SessionDep) -> LinkOut:
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
    link = t.Link(
        consortium_id=actor.consortium,
        source=body.source,
        target=body.target,
        kind=body.kind.value,
        weight=float(body.weight),
    )
    session.add(link)
    return LinkOut.from_row(link)


@router.get("/graph")
def graph(actor: CurrentActor, session: SessionDep) -> GraphOut:
    return GraphOut(
        organizations=[
            OrganizationOut.from_row(o) for o in repo.organizations(session, actor.consortium)
        ],
        links=[LinkOut.from_row(k) for k in repo.links(session, actor.consortium)],
    )
