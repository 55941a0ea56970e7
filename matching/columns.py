"""Lists of ids as integers, read once while validating.

A round's preference lists and placement rankings name two million ids in a
national round. Validation reads each of them once, as the position of the
id it names among the sorted ids of the list it refers to (`ids_index`); the
market (`matching.encode`) takes those integers as they are instead of
looking every string up again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Coded:
    """Lists of distinct ids with no tie group, as integers: list r's ids are
    ``item[start[r]:start[r + 1]]``, in order."""

    start: NDArray[np.int64]
    item: NDArray[np.int64]

    @property
    def row(self) -> NDArray[np.int64]:
        """The list of each entry."""
        return np.repeat(np.arange(len(self.start) - 1, dtype=np.int64), np.diff(self.start))

    def reordered(self, position: NDArray[np.int64], rows: int) -> Coded:
        """These lists as rows `position` (distinct, each below `rows`) of
        `rows` lists; the rows no list goes to are empty."""
        sizes = np.zeros(rows, np.int64)
        sizes[position] = np.diff(self.start)
        start = np.zeros(rows + 1, np.int64)
        np.cumsum(sizes, out=start[1:])
        source = np.full(rows, -1, np.int64)
        source[position] = self.start[:-1]
        # each entry of the new order: its row's first entry in the old one, plus its offset
        row = np.repeat(np.arange(rows, dtype=np.int64), sizes)
        at = source[row] + np.arange(len(self.item), dtype=np.int64) - start[row]
        return Coded(start, self.item[at])


def ids_index(ids: Sequence[str]) -> dict[str, int]:
    """Each of `ids` (distinct valid ids: no control character) → its
    position in sorted order. The keys are fresh copies, made in one go so
    that they lie side by side in memory: a round's two million lookups of its
    100,000 candidate ids take two thirds of the time they take among the
    parsed document's scattered strings."""
    copies = "\0".join(sorted(ids)).split("\0") if ids else []
    return {ident: i for i, ident in enumerate(copies)}


def code(lists: list[list[Any]], index: dict[str, int]) -> Coded | None:
    """`lists` as integers by `index`, or None when some list holds a tie
    group (a list), an id `index` does not hold (or no string id at all) or an
    id twice: those are read one list at a time, to name each problem. One
    lookup per entry, at C speed; the rest by arrays."""
    start = np.zeros(len(lists) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, lists), np.int64, len(lists)), out=start[1:])
    entries = chain.from_iterable(lists)
    try:
        item = np.fromiter(map(index.get, entries, repeat(-1)), np.int64, int(start[-1]))
    except TypeError:  # a tie group: a list is not a key
        return None
    coded = Coded(start, item)
    if len(item) and item.min() < 0:
        return None
    twice = coded.row * max(len(index), 1) + item
    twice.sort(kind="stable")  # sorted but within lists: runs that timsort merges
    if np.any(twice[1:] == twice[:-1]):
        return None
    return coded


__all__ = ["Coded", "code", "ids_index"]
