"""The one mapping between stored rows and round documents: for each table,
the round contract's fields that are its columns, by the same name. The
round document of the stored rows, the rows of an imported document, and the
API's answers (api.schemas) are all made from these lists, so a new field of
the contract is one entry here, a column and a migration."""

from __future__ import annotations

from typing import Any

from api.storage import tables as t

ORGANIZATION = ("id", "kind", "name", "level", "staff")
LINK = ("source", "target", "kind", "weight")
PLACEMENT = (
    "id",
    "host",
    "kind",
    "capacity",
    "mentor",
    "skills",
    "requirements",
    "ranking",
    "title",
    "description",
    "staff",
)
MENTOR = ("id", "capacity", "ranking")
CANDIDATE = (
    "id",
    "kind",
    "college",
    "institute",
    "tier",
    "level",
    "skills",
    "preferences",
    "name",
    "number",
)
# what a column holds when the document leaves its field out
DEFAULTS: dict[str, Any] = {"skills": [], "requirements": {}, "preferences": []}


def record(row: t.Base, fields: tuple[str, ...]) -> dict[str, Any]:
    """The row as a contract record: its fields that hold a value (an empty
    `requirements` is no requirement)."""
    out = {f: getattr(row, f) for f in fields}
    return {f: v for f, v in out.items() if v is not None and not (f == "requirements" and not v)}


def values(fields: tuple[str, ...], rec: dict[str, Any], **keys: Any) -> dict[str, Any]:
    """A row's columns from a contract record, with its keys (consortium, round)."""
    return {**keys, **{f: rec.get(f, DEFAULTS.get(f)) for f in fields}}
