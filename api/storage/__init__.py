"""The service's storage: tables, the query functions, migrations."""

from __future__ import annotations


class NotFound(Exception):
    """No such row for the caller (one handler answers 404, as for an object
    of another consortium)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"{what} not found")
