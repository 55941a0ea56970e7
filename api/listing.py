"""Lists at any size. Every list route answers one page (`Page`): at most
`limit` rows (50 unless asked, never more than 200) after the first `offset`,
with `total`, the count of every row that matches the filters. Each list has
its own documented sort keys (a key, or the key after "-" for descending);
rows that tie are ordered by id, so pages never overlap."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar, get_args

from fastapi import Depends, Query
from pydantic import BaseModel

from api.storage.lists import Window

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 10_000_000

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: its rows, and where it lies among all that match."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], total: int, window: Window) -> Page[T]:
        return cls(items=items, total=total, limit=window.limit, offset=window.offset)


def window(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page (at most {MAX_LIMIT})")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="how many matching rows to skip")
    ] = 0,
) -> Window:
    return Window(limit, offset)


WindowDep = Annotated[Window, Depends(window)]
Search = Annotated[
    str | None,
    Query(
        min_length=1, max_length=200, description="text to look for (ids, names, numbers, titles)"
    ),
]
IdFilter = Annotated[str | None, Query(min_length=1, max_length=200)]
Ids = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=200)]] | None,
    Query(max_length=MAX_LIMIT, description=f"only these ids (repeated; at most {MAX_LIMIT})"),
]

# The sort keys of each list (a test ties each to its query's columns).
OrganizationSort = Literal["id", "-id", "name", "-name", "kind", "-kind"]
RoundSort = Literal["created", "-created", "id", "-id", "state", "-state"]
PlacementSort = Literal[
    "id", "-id", "title", "-title", "host", "-host", "kind", "-kind",
    "capacity", "-capacity", "applicants", "-applicants",
]  # fmt: skip
CandidateSort = Literal[
    "id", "-id", "name", "-name", "number", "-number", "college", "-college",
    "kind", "-kind", "tier", "-tier", "level", "-level",
]  # fmt: skip
RunSort = Literal["created", "-created", "status", "-status", "mechanism", "-mechanism"]
AssignmentSort = Literal[
    "candidate", "-candidate", "name", "-name", "number", "-number", "college", "-college",
    "kind", "-kind", "tier", "-tier", "placement", "-placement", "title", "-title",
    "host", "-host", "park", "-park", "rank", "-rank",
]  # fmt: skip
MoveSort = Literal[
    "candidate", "-candidate", "name", "-name", "college", "-college",
    "before", "-before", "after", "-after",
]  # fmt: skip
ApplicantSort = Literal[
    "score", "-score", "skills", "-skills", "affinity", "-affinity", "partner", "-partner",
    "name", "-name", "college", "-college", "level", "-level", "tier", "-tier",
    "ranking", "-ranking",
]  # fmt: skip


def keys(sort: object) -> set[str]:
    """The keys of a sort vocabulary, without their "-" forms."""
    return {k.removeprefix("-") for k in get_args(sort)}
