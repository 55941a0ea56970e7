"""After publication: changes to the published round (declines, withdrawals,
seats), the coordinator's overrides, the re-match, the published versions
and what changed between two of them for each organization's own people, and
a second round for the unplaced and the seats left."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from sqlalchemy.orm import Session

from api.answers import (
    ChangeOut,
    Outcome,
    OverrideOut,
    RoundOut,
    RunOut,
    SeasonOut,
    SeasonRow,
    VersionMoveOut,
    VersionOut,
)
from api.deps import Actor, AnyRound, CoordinatorRound, CurrentActor, SessionDep, round_for
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.listing import Page, WindowDep
from api.problems import COMMON, conflict, documented, invalid
from api.routers.rounds import round_out
from api.routers.runs import run_out
from api.schemas import ChangeIn, OverrideIn, PathId, RematchIn, SecondRoundIn
from api.storage import NotFound
from api.storage import published as pub
from api.storage import repository as repo
from api.storage import tables as t
from api.vocabulary import ACTIVE, Action, Role, RoundState, WhyMoved
from matching import __version__, io, parse_round
from matching.changes import Change, ChangeKind, apply

router = APIRouter(
    prefix="/rounds/{round}", tags=["after publication"], route_class=StrictJsonRoute,
    responses=COMMON,
)  # fmt: skip

Changing = Annotated[t.Round, round_for(action=Action.CHANGE)]
Overriding = Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.OVERRIDE)]
Rematching = Annotated[t.Round, round_for(Role.COORDINATOR, action=Action.REMATCH)]


def _theirs(session: Session, r: t.Round, actor: Actor, body: ChangeIn) -> None:
    """404, as for an unknown id, unless the caller may change this: a
    candidate of its own college or institute, a placement it hosts, or
    anything for the coordinator."""
    if body.candidate is not None:
        c = repo.candidate(session, r, body.candidate)
        mine = c is not None and actor.organization in (c.college, c.institute)
        if c is None or not (mine or actor.role is Role.COORDINATOR):
            raise NotFound(f"candidate {body.candidate!r}")
    if body.placement is not None:
        p = repo.placement(session, r, body.placement)
        if p is None or not (p.host == actor.organization or actor.role is Role.COORDINATOR):
            raise NotFound(f"placement {body.placement!r}")


@router.post("/changes", status_code=status.HTTP_201_CREATED, responses=documented(409))
def record_change(
    r: Changing, body: ChangeIn, actor: CurrentActor, session: SessionDep
) -> ChangeOut:
    """Record a decline, a withdrawal, a withdrawn post or changed seats,
    with why. The change applies to the latest published version; the
    coordinator's next re-match takes it into account. A change that would
    leave the round invalid is refused by name (422), one that is already
    made (a candidate who left, a post withdrawn) answers 409."""
    if problems := body.problems():
        raise invalid(problems)
    _theirs(session, r, actor, body)
    doc = pub.changed_document(session, r)
    if body.candidate is not None and body.candidate not in {c["id"] for c in doc["candidates"]}:
        raise conflict(f"candidate {body.candidate!r} has already left the round")
    if body.placement is not None and body.placement not in {p["id"] for p in doc["placements"]}:
        raise conflict(f"placement {body.placement!r} has already been withdrawn")
    if body.kind is ChangeKind.SEATS:
        now = next(p["capacity"] for p in doc["placements"] if p["id"] == body.placement)
        if now == body.capacity:
            raise conflict(f"placement {body.placement!r} already has {now} seats")
    change = Change(body.kind, body.candidate, body.placement, body.capacity)
    parse_round(apply(doc, [change]))  # 422, naming the field, if it breaks the round
    last = pub.latest(session, r)
    assert last is not None  # a published round has version 1
    row = t.Change(
        consortium_id=r.consortium_id,
        round_id=r.id,
        version=last.number,
        kind=body.kind.value,
        candidate=body.candidate,
        placement=body.placement,
        capacity=body.capacity,
        reason=body.reason.strip(),
        by=actor.organization,
        at=repo.now(),
    )
    session.add(row)
    session.flush()
    return ChangeOut.of_row(row, repo.names(session, r.consortium_id))


@router.get("/changes")
def list_changes(
    r: AnyRound,
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    version: Annotated[
        int | None, Query(ge=1, le=10**6, description="those made to this version")
    ] = None,
) -> Page[ChangeOut]:
    """The changes made after publication, oldest first: the coordinator's
    all, a college's those of its own candidates, an enterprise's those of
    its own placements."""
    rows = pub.changes(session, r, version)
    if actor.role is not Role.COORDINATOR:
        rows = [row for row in rows if _concerns(session, r, actor, row)]
    names = repo.names(session, r.consortium_id)
    chosen = rows[window.offset : window.offset + window.limit]
    return Page.of([ChangeOut.of_row(row, names) for row in chosen], len(rows), window)


def _concerns(session: Session, r: t.Round, actor: Actor, row: t.Change) -> bool:
    if row.candidate is not None:
        c = repo.candidate(session, r, row.candidate)
        return c is not None and actor.organization in (c.college, c.institute)
    p = repo.placement(session, r, row.placement or "")
    return p is not None and p.host == actor.organization


# ---------------------------------------------------------------- overrides


@router.get("/overrides")
def list_overrides(r: CoordinatorRound, session: SessionDep) -> list[OverrideOut]:
    """The coordinator's pins and forbidden pairs, each with its reason."""
    return [OverrideOut.of_row(o) for o in repo.overrides(session, r)]


@router.put("/overrides/{candidate}/{placement}", responses=documented(409))
def put_override(
    r: Overriding,
    candidate: PathId,
    placement: PathId,
    body: OverrideIn,
    actor: CurrentActor,
    session: SessionDep,
) -> OverrideOut:
    """Pin the candidate to the placement, or forbid the pair, with a reason
    code and a note. Every mechanism honours it at the next solve or
    re-match; a pin the round cannot hold (a placement the candidate did not
    list, more pins than seats) is refused by name."""
    if repo.candidate(session, r, candidate) is None:
        raise NotFound(f"candidate {candidate!r}")
    if repo.placement(session, r, placement) is None:
        raise NotFound(f"placement {placement!r}")
    if r.state == RoundState.PUBLISHED:
        now = pub.changed_document(session, r)
        if candidate not in {c["id"] for c in now["candidates"]}:
            raise conflict(f"candidate {candidate!r} has left the round")
        if placement not in {p["id"] for p in now["placements"]}:
            raise conflict(f"placement {placement!r} has been withdrawn")
    row = session.get(t.Override, (r.consortium_id, r.id, candidate, placement))
    if row is not None and (row.kind, row.reason, row.note) == (
        body.kind.value,
        body.reason.value,
        body.note,
    ):
        return OverrideOut.of_row(row)  # saved again unchanged: nothing changes
    if row is None:
        row = t.Override(
            consortium_id=r.consortium_id, round_id=r.id, candidate=candidate, placement=placement
        )
        session.add(row)
    row.kind, row.reason, row.note = body.kind.value, body.reason.value, body.note
    row.by, row.at = actor.organization, repo.now()
    session.flush()
    _still_valid(session, r)
    return OverrideOut.of_row(row)


@router.delete(
    "/overrides/{candidate}/{placement}", status_code=status.HTTP_204_NO_CONTENT,
    responses=documented(409),
)  # fmt: skip
def delete_override(
    r: Overriding, candidate: PathId, placement: PathId, session: SessionDep
) -> None:
    row = session.get(t.Override, (r.consortium_id, r.id, candidate, placement))
    if row is None:
        raise NotFound(f"override of {candidate!r} at {placement!r}")
    session.delete(row)


def _still_valid(session: Session, r: t.Round) -> None:
    """422 by name, the override not kept, when the round would not hold it."""
    if r.state == RoundState.PUBLISHED:
        parse_round(pub.changed_document(session, r))
    else:
        parse_round(repo.round_document(session, r), whole=False)


# ------------------------------------------------------------------ re-match


@router.post("/rematch", status_code=status.HTTP_202_ACCEPTED, responses=documented(409))
def rematch(r: Rematching, body: RematchIn, session: SessionDep) -> RunOut:
    """Re-match the round as changed since its latest version: whoever keeps
    a seat keeps it or gets one they prefer, stable where that allows, with
    the fewest moves (matching.engine.rematch). A worker solves it like any
    run; publishing it makes the next version."""
    last = pub.latest(session, r)
    assert last is not None
    parsed = parse_round(pub.changed_document(session, r))
    digest = repo.store_snapshot(session, parsed)
    options = body.as_run().stored_options(r.stability)
    for run in repo.runs(session, r):
        if run.rematch_of == last.number and run.input_hash == digest and run.status in ACTIVE:
            return run_out(run)
    run = repo.new_run(session, r, "stable", options, __version__, input_hash=digest)
    run.rematch_of = last.number
    session.flush()
    return run_out(run)


# ------------------------------------------------------------------ versions


@router.get("/versions")
def list_versions(r: AnyRound, session: SessionDep) -> list[VersionOut]:
    """The round's published versions, first to latest."""
    out = []
    for v in pub.versions(session, r):
        moves = None
        if v.number > 1:
            moves = _result(session, v.run_id).get("rematch", {}).get("moves")
        out.append(VersionOut.of_row(v, len(pub.changes(session, r, v.number - 1)), moves))
    return out


@router.get(
    "/versions/{number}/bundle",
    response_class=Response,
    responses={200: {"description": "The bundle (matching.audit): check it with "
                     "`python -m matching audit`",
                     "content": {"application/json": {"schema": {"type": "object"}}}}},
)  # fmt: skip
def version_bundle(
    r: AnyRound, number: Annotated[int, Path(ge=1, le=10**6)], session: SessionDep
) -> Response:
    """What anyone can check a published version by: the round without
    names, the seed, mechanism, options, solver, engine version, the result
    and the overrides with their reasons."""
    found = pub.bundle(session, r, number)
    if found is None:
        raise NotFound(f"version {number}")
    return Response(
        found.document,
        media_type="application/json",
        headers={"ETag": f'"{found.hash}"', **attachment(f"{r.id}-v{number}-bundle.json")},
    )


@router.get("/versions/{number}/changes", responses=documented(409))
def version_changes(
    r: AnyRound,
    number: Annotated[int, Path(ge=2, le=10**6)],
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    since: Annotated[
        int | None, Query(ge=1, le=10**6, description="compare with this version")
    ] = None,
) -> Page[VersionMoveOut]:
    """Whom version `number` places differently from the one before (or
    `since`), and why: the coordinator's all, a college's own people, an
    enterprise's those placed with it in either version."""
    after = pub.version(session, r, number)
    before = pub.version(session, r, since if since is not None else number - 1)
    if after is None or before is None:
        raise NotFound(f"version {number if after is None else since or number - 1}")
    scope = {
        Role.COORDINATOR: {},
        Role.COLLEGE: {"affiliation": actor.organization},
        Role.ENTERPRISE: {"host": actor.organization},
    }[actor.role]
    rows, total = pub.moved(session, before.run_id, after.run_id, window, **scope)
    names = repo.names(session, r.consortium_id)
    why = _why(session, r, before.number, after)
    return Page.of(
        [
            VersionMoveOut.of(
                candidate=a.candidate,
                name=a.name,
                number=a.number,
                affiliation=a.affiliation,
                affiliation_name=names.get(a.affiliation) if a.affiliation else None,
                before=Outcome.of_row(a, names),
                after=Outcome.of_row(b, names) if b is not None else None,
                why=why(
                    a.candidate, a.placement, b.placement if b is not None else None, b is None
                ),
            )
            for a, b in rows
        ],
        total,
        window,
    )


def _why(session: Session, r: t.Round, first: int, after: t.Version):  # type: ignore[no-untyped-def]
    """Why each candidate moved from version `first` to `after`: the changes
    made in between, and the overrides the later result lists."""
    changes = [c for c in pub.changes(session, r) if first <= c.version < after.number]
    left = {c.candidate: c.kind for c in changes if c.candidate is not None}
    withdrawn = {c.placement for c in changes if c.kind == ChangeKind.WITHDRAW_PLACEMENT}
    cut = {c.placement for c in changes if c.kind == ChangeKind.SEATS}
    document = _result(session, after.run_id)
    pins = {o["candidate"] for o in document.get("overrides", []) if o["kind"] == "pin"}
    pinned_at = {o["placement"] for o in document.get("overrides", []) if o["kind"] == "pin"}
    displaced = set(document.get("rematch", {}).get("displaced", []))
    forbids = {
        (o["candidate"], o["placement"])
        for o in document.get("overrides", [])
        if o["kind"] == "forbid"
    }

    def why(cid: str, was: str | None, now: str | None, gone: bool) -> WhyMoved:
        if gone:
            return WhyMoved.DECLINED if left.get(cid) == ChangeKind.DECLINE else WhyMoved.WITHDREW
        if cid in pins:
            return WhyMoved.PINNED
        if was in withdrawn:
            return WhyMoved.PLACEMENT_WITHDRAWN
        if (cid, was) in forbids:
            return WhyMoved.FORBIDDEN
        if cid in displaced and was in pinned_at and was not in cut:
            return WhyMoved.DISPLACED_BY_PIN
        if cid in displaced or (was in cut and now is None):
            return WhyMoved.SEATS_CUT
        return WhyMoved.MOVED_UP

    return why


def _result(session: Session, run_id: str) -> dict[str, Any]:
    document = io.parse_json(repo.run_result(session, run_id) or "{}")
    assert isinstance(document, dict)
    return document


# -------------------------------------------------------------- second round


@router.post("/second-round", status_code=status.HTTP_201_CREATED, responses=documented(409))
def second_round(
    r: Annotated[t.Round, round_for(Role.COORDINATOR)],
    body: SecondRoundIn,
    session: SessionDep,
) -> RoundOut:
    """A new round, open, for the candidates the latest version leaves
    unplaced and the seats it leaves open (their preferences and rankings
    kept where they still apply; colleges and enterprises may change them
    before it closes). Solved with any mechanism; `GET /season` reports
    both rounds together."""
    if r.state != RoundState.PUBLISHED:
        raise conflict(f"round {r.id!r} is {r.state}; a second round needs it published")
    last = pub.latest(session, r)
    assert last is not None
    if repo.round_exists(session, r.consortium_id, body.id):
        raise conflict(f"round {body.id!r} already exists")
    run = repo.get_run(session, r, last.run_id)
    doc = pub.published_document(session, run)
    placed = pub.assignments(session, last.run_id)
    filled: dict[str, int] = {}
    for p in placed.values():
        if p is not None:
            filled[p] = filled.get(p, 0) + 1
    leftover = {
        p["id"]: p["capacity"] - filled.get(p["id"], 0)
        for p in doc["placements"]
        if p["capacity"] > filled.get(p["id"], 0)
    }
    if not leftover:
        raise conflict(f"round {r.id!r} has no open seat left for a second round")
    unplaced = {cid for cid, p in placed.items() if p is None}
    changes = [Change(ChangeKind.WITHDRAW, candidate=c) for c in placed if c not in unplaced]
    changes += [
        Change(ChangeKind.WITHDRAW_PLACEMENT, placement=p["id"])
        for p in doc["placements"]
        if p["id"] not in leftover
    ]
    changes += [Change(ChangeKind.SEATS, placement=p, capacity=n) for p, n in leftover.items()]
    nxt = apply(doc, changes)
    nxt.pop("overrides", None)
    nxt["policies"] = []  # the first round's quotas counted its placements; set anew
    nxt["id"] = body.id
    parsed = parse_round(nxt, whole=False)
    new = repo.new_round(session, r.consortium_id, body.id, parsed.seed, r.stability, r.rules)
    new.follows = r.id
    repo.replace_round_content(session, new, parsed)
    new.state = RoundState.OPEN
    session.flush()
    return round_out(session, new)


@router.get("/season", responses=documented(409))
def season(r: AnyRound, actor: CurrentActor, session: SessionDep) -> SeasonOut:
    """The round and its second round together, per college or institute:
    placed in the first round (its latest version), in the second (its
    latest version, once published), and in neither. A college sees its own
    row; the coordinator all; an enterprise, who came to it in each."""
    first = r if r.follows is None else repo.get_round(session, r.consortium_id, r.follows)
    second = repo.following(session, first)
    v1 = pub.latest(session, first)
    if v1 is None:
        raise conflict(f"round {first.id!r} is not published")
    one = pub.assignments(session, v1.run_id)
    v2 = pub.latest(session, second) if second is not None else None
    two = pub.assignments(session, v2.run_id) if v2 is not None else {}
    of = repo.affiliations(session, first)
    hosts = {pid: h for pid, (h, *_rest) in repo.placement_hosts(session, first).items()}
    names = repo.names(session, r.consortium_id)
    rows: dict[str | None, list[int]] = {}
    for cid, p in one.items():
        affiliation = of.get(cid, (None,))[0]
        if actor.role is Role.COLLEGE and affiliation != actor.organization:
            continue
        q = two.get(cid)
        if actor.role is Role.ENTERPRISE and actor.organization not in (
            hosts.get(p or ""),
            hosts.get(q or ""),
        ):
            continue
        row = rows.setdefault(affiliation, [0, 0, 0])
        row[0 if p is not None else 1 if q is not None else 2] += 1
    out = [
        SeasonRow.of(affiliation=k, name=names.get(k or ""), first=a, second=b, unplaced=c)
        for k, (a, b, c) in sorted(rows.items(), key=lambda kv: kv[0] or "")
    ]
    sums = [sum(row[i] for row in rows.values()) for i in range(3)]
    return SeasonOut.of(
        first=first.id,
        second=second.id if second is not None else None,
        second_state=RoundState(second.state) if second is not None else None,
        rows=out,
        total=SeasonRow(first=sums[0], second=sums[1], unplaced=sums[2]),
    )
