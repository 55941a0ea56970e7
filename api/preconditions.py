"""One rule for every edit and delete of a versioned record (a placement, a
candidate): the request names the version it was made from in If-Match (428
without, 412 when stale), and the write is a compare-and-set on that version,
so of concurrent edits from one version exactly one lands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from api.problems import Problem
from api.storage import NotFound
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


def check_batch(
    what: str,
    items: Sequence[tuple[str, int | None]],
    stored: Mapping[str, Versioned],
    others: set[str],
) -> None:
    """A batch's (id, version read at) items as edits of the caller's rows: an
    id another organization holds is as missing as an unknown one (404); a
    stored row names the version it was read at (428 without, 412 when stale)."""
    for ident, version in items:
        row = stored.get(ident)
        if row is None and ident in others:
            raise NotFound(f"{what} {ident!r}")
        if row is not None and version is None:
            raise Problem(428, f"changing {what} {ident!r} needs the version it was read at")
        if row is not None and version != row.version:
            raise Problem(
                412, f"{what} {ident!r} changed since version {version}: now {row.version}"
            )


def store_batch(
    session: Session,
    what: str,
    stored: Mapping[str, Versioned],
    records: Sequence[tuple[str, dict[str, Any]]],
    new: Callable[[str, dict[str, Any]], Versioned],
    *,
    dry_run: bool,
) -> tuple[int, int, int]:
    """Store a checked batch in the request's transaction, all of it or (on a
    concurrent edit, 412) none; (created, changed, unchanged). With `dry_run`
    the same counts and nothing kept (a preview)."""
    created: list[Versioned] = []
    changed = 0
    for ident, values in records:
        row = stored.get(ident)
        if row is None:
            created.append(new(ident, values))
            continue
        before = row.version
        if not repo.update_versioned(session, row, values):
            raise Problem(412, f"{what} {ident!r} was changed by a concurrent edit")
        changed += row.version != before
    repo.add_versioned(session, created)
    if dry_run:
        session.rollback()
    return len(created), changed, len(records) - len(created) - changed
