"""One rule for every edit and delete of a versioned record (a placement, a
candidate): the request names the version it was made from in If-Match (428
without, 412 when stale), and the write is a compare-and-set on that version,
so of concurrent edits from one version exactly one lands."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from api.problems import Problem
from api.storage import repository as repo
from api.storage import tables as t

Versioned = t.Placement | t.Candidate


def etag(row: Versioned) -> str:
    return f'"{row.version}"'


def _require_match(request: Request, row: Versioned, what: str) -> None:
    wanted = request.headers.get("if-match")
    if wanted is None:
        raise Problem(428, f"changing {what} needs an If-Match header with its ETag")
    if wanted.strip() != etag(row):
        raise Problem(412, f"{what} changed since that ETag: it is now {etag(row)}")


def edit(
    session: Session,
    request: Request,
    response: Response,
    row: Versioned,
    changes: dict[str, Any],
    what: str,
) -> None:
    _require_match(request, row, what)
    if not repo.update_versioned(session, row, changes):
        raise Problem(412, f"{what} was changed by a concurrent edit")
    response.headers["ETag"] = etag(row)


def remove(session: Session, request: Request, row: Versioned, what: str) -> None:
    _require_match(request, row, what)
    if not repo.delete_versioned(session, row):
        raise Problem(412, f"{what} was changed by a concurrent edit")
