"""The audit trail as each organization may read it: the consortium office
all of it (and whether its chain holds), a member its own part; a page at a
time, or whole as CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.answers import AuditEntryOut, ChainOut
from api.deps import Coordinator, CurrentActor, SessionDep
from api.downloads import attachment
from api.jsonbody import StrictJsonRoute
from api.listing import Page, Search, WindowDep
from api.problems import COMMON
from api.storage import audit
from api.storage import tables as t
from api.storage.lists import page
from api.vocabulary import Role

router = APIRouter(tags=["audit"], route_class=StrictJsonRoute, responses=COMMON)


@router.get(
    "/audit",
    response_model=Page[AuditEntryOut],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def read_audit(
    actor: CurrentActor,
    session: SessionDep,
    window: WindowDep,
    action: Search = None,
    who: Search = None,
    q: Search = None,
    organization: Annotated[str | None, Query(max_length=200)] = None,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> Any:
    """The audit entries, newest first: the consortium office's all (or one
    organization's), a member's its own. `format=csv`: every entry that
    matches, oldest first, as a download."""
    own = None if actor.role is Role.COORDINATOR else actor.organization
    query = audit.query(actor.consortium, own or organization, action, who, q)
    if format == "csv":
        rows = session.scalars(query.order_by(t.AuditEntry.seq)).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(AuditEntryOut.model_fields)
        for row in rows:
            writer.writerow(AuditEntryOut.from_row(row).model_dump(mode="json").values())
        return Response(
            "\ufeff" + out.getvalue(),  # Excel reads UTF-8 with the mark
            media_type="text/csv; charset=utf-8",
            headers=attachment("audit.csv"),
        )
    rows, total = page(session, query, (t.AuditEntry.seq.desc(),), window)
    return Page.of([AuditEntryOut.from_row(r) for (r,) in rows], total, window)


@router.get("/audit/verify")
def verify_audit(actor: Coordinator, session: SessionDep) -> ChainOut:
    """Walk the consortium's chain: every entry links to the one before and
    hashes to what it says (the first that does not is named)."""
    check = audit.verify(audit.chain(session, actor.consortium))
    return ChainOut(
        ok=check.ok,
        entries=check.entries,
        head=check.head,
        broken_at=check.broken_at,
        problem=check.problem,
    )
