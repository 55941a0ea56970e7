"""The stored sort keys: beside each text column a list sorts by, its key
(api.collation), written with every write of the text (ORM rows in
tables, bulk rows in repository.bulk_insert, a compare-and-set update in
repository.update_versioned). Neither database can sort in 拼音 order by
itself at speed: SQLite has no such collation, a Python one would be called
for every comparison, and no index could serve a sorted page of 100,000
names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import String

from api.collation import LENGTH, sort_key

# A key compares byte by byte: SQLite's default (BINARY) does, PostgreSQL's
# database collation (en_US and the like) does not.
Key = String(LENGTH).with_variant(String(LENGTH, collation="C"), "postgresql")

# each table's sorted texts: the text's column → its key's column, and whether
# it is a person's name
SORTED: dict[str, dict[str, tuple[str, bool]]] = {
    "organizations": {"name": ("name_key", False)},
    "placements": {"title": ("title_key", False)},
    "candidates": {"name": ("name_key", True)},
    "run_assignments": {"name": ("name_key", True), "title": ("title_key", False)},
}


def keyed(table: str, values: Mapping[str, Any]) -> dict[str, str | None]:
    """The keys of `table`'s sorted texts among `values` (a row's columns)."""
    return {
        key: sort_key(values[source], person=person)
        for source, (key, person) in SORTED.get(table, {}).items()
        if source in values
    }
