"""The typed readers of a round document: each reads one value, and on a bad
one records a `Problem` (naming the field and the id) and returns None, so
that validation collects every problem in one pass. The id rule and the
bounds on integers live here, for the engine and the service alike."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from itertools import chain, compress, pairwise
from typing import TypeVar

import numpy as np

from matching.columns import Coded, code, ids_index
from matching.errors import Problem
from matching.model import Ranking

MAX_ID_LENGTH = 200
# free text a person reads (names, titles, descriptions): bounded, no controls
# but line breaks
MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 4000
# Counts (capacities, floors, ceilings, distances) and the seed are bounded, so
# that every accepted value fits the 32- and 64-bit integers of a database.
MAX_COUNT = 10**9
MAX_SEED = 2**63 - 1
E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class Collector:
    """Accumulates problems; the typed readers return None when a value is bad."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Every id a list declares, valid record or not, so that one bad field
        # does not also turn every reference to its record into a problem.
        self.declared: dict[str, set[str]] = {}
        # Every id the rankings of a list's records name that is still to be
        # checked, where `rankings` read them all in one go (None: some held a
        # tie or a bad id).
        self.named: dict[str, set[str] | None] = {}
        # The rankings of a list's records as integers, a row per record in
        # the order of the records' sorted ids, where `rankings` read them so.
        self.coded: dict[str, Coded] = {}

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def id_(self, value: object, where: str) -> str | None:
        if not isinstance(value, str):
            self.add(where, f"must be a string id, got {show(value)}")
            return None
        if not value:
            self.add(where, "must be a non-empty id")
            return None
        if len(value) > MAX_ID_LENGTH:
            self.add(where, f"id longer than {MAX_ID_LENGTH} characters")
            return None
        if BAD_ID_CHARACTER.search(value):
            self.add(where, f"id {value!r} contains a control or surrogate character")
            return None
        return value

    def text(self, value: object, where: str, limit: int = MAX_TEXT_LENGTH) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(where, f"must be a string, got {show(value)}")
            return None
        if len(value) > limit:
            self.add(where, f"longer than {limit} characters")
            return None
        if BAD_ID_CHARACTER.search(value.replace("\n", "")):
            self.add(where, "contains a control or surrogate character")
            return None
        return value

    def enum(self, cls: type[E], value: object, where: str) -> E | None:
        if type(value) is str:  # the common case, without Enum's slower lookup by value
            member = cls._value2member_map_.get(value)
            if member is not None:
                return member  # type: ignore[return-value]
        try:
            return cls(value)  # type: ignore[arg-type]  # ValueError for anything not a member
        except ValueError:
            allowed = ", ".join(m.value for m in cls)
            self.add(where, f"unknown value {show(value)} (allowed: {allowed})")
            return None

    def integer(
        self, value: object, where: str, *, minimum: int, maximum: int = MAX_COUNT
    ) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"must be an integer ≥ {minimum}, got {show(value)}")
            return None
        if value < minimum:
            self.add(where, f"must be an integer ≥ {minimum}, got {show(value)}")
            return None
        if value > maximum:
            self.add(where, f"must be an integer ≤ {maximum}, got {show(value)}")
            return None
        return value

    def list_(self, value: object, where: str) -> list[object] | None:
        if not isinstance(value, list):
            self.add(where, f"must be a list, got {show(value)}")
            return None
        return value

    def strings(self, value: object, where: str) -> tuple[str, ...]:
        items = self.list_(value, where) if value is not None else []
        out: list[str] = []
        for i, item in enumerate(items or []):
            s = self.text(item, f"{where}[{i}]")
            if s is not None:
                out.append(s)
        return tuple(sorted(set(out)))

    def rankings(
        self, values: list[object], wheres: list[str], index: dict[str, int] | None = None
    ) -> tuple[list[Ranking | None], set[str] | None, Coded | None]:
        """`ranking` of each value, the ids they name that are still to be
        checked against the list they refer to (None: unknown, unless each
        value is a list) and, where `index` (`ids_index` of that list) holds
        every id they name, the values as integers.

        The lists of distinct ids without tie groups, the common case, are
        checked all together: by `index`, one lookup per entry, or else each
        distinct id once. Each other list is read by `ranking`."""
        if not all(type(v) is list for v in values):
            return (
                [self.ranking(v, where) for v, where in zip(values, wheres, strict=True)],
                None,
                None,
            )
        lists: list[list[object]] = values  # type: ignore[assignment]
        if index is not None and (coded := code(lists, index)) is not None:
            # known ids, each list's distinct: valid, none left to check
            return list(_shared_rankings(coded, index)), set(), coded
        plain = [_distinct(v) for v in lists]
        named = _plain_ids(list(chain.from_iterable(compress(lists, plain))), distinct=False)
        if named is None:  # a bad id among them: each list on its own, to name it
            plain = [False] * len(lists)
            named = set()
        out = [
            Ranking(tuple(v)) if fast else self.ranking(v, where)  # type: ignore[arg-type]
            for v, where, fast in zip(lists, wheres, plain, strict=True)
        ]
        for ranking, fast in zip(out, plain, strict=True):
            if not fast and ranking is not None:
                named.update(ranking.ids)
        return out, named, None

    def ranking(self, value: object, where: str) -> Ranking | None:
        """A list of ids and tie groups (lists of ids), each id at most once."""
        items = self.list_(value, where)
        if items is None:
            return None
        if _plain_ids(items) is not None:
            return Ranking(tuple(items))  # type: ignore[arg-type]
        groups: list[list[str]] = []
        seen: set[str] = set()
        for i, item in enumerate(items):
            members = item if isinstance(item, list) else [item]
            if isinstance(item, list) and not item:
                self.add(f"{where}[{i}]", "empty tie group")
            group: list[str] = []
            for j, member in enumerate(members):
                at = f"{where}[{i}][{j}]" if isinstance(item, list) else f"{where}[{i}]"
                if isinstance(member, list):
                    self.add(at, "tie groups cannot be nested")
                    continue
                ident = self.id_(member, at)
                if ident is None:
                    continue
                if ident in seen:
                    self.add(where, f"{ident!r} appears more than once")
                    continue
                seen.add(ident)
                group.append(ident)
            if group:
                groups.append(group)
        return Ranking.of(groups)


def _shared_rankings(coded: Coded, index: dict[str, int]) -> list[Ranking]:
    """The rankings `coded` names, each id the one object `index` holds for
    it: a national round's four million entries then share its 110,000 ids
    instead of each holding a copy (a fifth of the process's memory)."""
    names: list[str] = np.array(list(index), dtype=object)[coded.item].tolist()
    bounds: list[int] = coded.start.tolist()
    return [Ranking(tuple(names[a:b])) for a, b in pairwise(bounds)]


# The id rule, in one place (the service's schemas and paths use it too):
# 1–MAX_ID_LENGTH characters, none of Unicode categories Cc (controls) or Cs
# (surrogates).
ID_CONTROLS = "\x00-\x1f\x7f-\x9f"
BAD_ID_CHARACTER = re.compile(f"[{ID_CONTROLS}\ud800-\udfff]")


def _distinct(items: list[object]) -> bool:
    """Whether `items` holds no list (a tie group) and no item twice."""
    try:
        return len(set(items)) == len(items)
    except TypeError:  # a tie group (a list) among them
        return False


def _plain_ids(items: list[object], *, distinct: bool = True) -> set[str] | None:
    """The common case, checked at C speed: valid ids (distinct ones, unless
    told otherwise) and no tie groups; the set of them, else None. Each id is
    checked once however often it is named (a placement is named in thousands
    of preference lists)."""
    try:
        ids = set(items)
    except TypeError:  # a tie group (a list) among them
        return None
    if distinct and len(ids) != len(items):
        return None
    if set(map(type, ids)) - {str}:
        return None
    named: set[str] = ids  # type: ignore[assignment]
    if named and (
        min(map(len, named)) == 0
        or max(map(len, named)) > MAX_ID_LENGTH
        or BAD_ID_CHARACTER.search("".join(named))
    ):
        return None
    return named


def valid_enums(cls: type[E], values: list[object], *, optional: bool) -> list[E | None] | None:
    """Each of `values` as a member of `cls` (None kept where `optional`), or
    None when any is not one: the column-at-once form of `Collector.enum`."""
    members: dict[object, E | None] = dict(cls._value2member_map_)
    if optional:
        members[None] = None
    try:
        if not members.keys() >= set(values):
            return None
    except TypeError:  # an unhashable value (a list or an object)
        return None
    if set(map(type, values)) - {str, type(None)}:  # 1 == 1.0 == True: only strings match
        return None
    return list(map(members.__getitem__, values))


def valid_texts(values: list[object], limit: int = MAX_TEXT_LENGTH) -> bool:
    """Whether `Collector.text` accepts every one of `values` (None among
    them), checked at once."""
    texts = [v for v in values if v is not None]
    if set(map(type, texts)) - {str}:
        return False
    strings: list[str] = texts  # type: ignore[assignment]
    return not strings or (
        max(map(len, strings)) <= limit
        and not BAD_ID_CHARACTER.search("".join(strings).replace("\n", ""))
    )


def valid_strings(values: list[object]) -> list[tuple[str, ...]] | None:
    """`Collector.strings` of each of `values` (None: none), or None when
    any would be a problem or hold a None."""
    present = [v for v in values if v is not None]
    if set(map(type, present)) - {list}:
        return None
    lists: list[list[object]] = present  # type: ignore[assignment]
    items = list(chain.from_iterable(lists))
    if set(map(type, items)) - {str} or not valid_texts(items):
        return None
    return [tuple(sorted(set(v))) if v else () for v in values]  # type: ignore[call-overload]


def show(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and abs(value) >= 10**40:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def records_index(doc: dict[str, object], key: str) -> dict[str, int] | None:
    """`ids_index` of a top-level list's ids where `read_records` reads them
    all at once (each record an object, the ids valid and distinct), else None."""
    items = doc.get(key)
    if type(items) is not list or not items or set(map(type, items)) != {dict}:
        return None
    ids = [record.get("id") for record in items]
    return None if _plain_ids(ids) is None else ids_index(ids)


def read_records(
    c: Collector, doc: dict[str, object], key: str, *, required: bool
) -> list[tuple[str, str, dict[str, object]]]:
    """(id, path, record) for each well-formed record of a top-level list.

    Duplicate ids are reported and only the first record of an id is kept.
    """
    raw = doc.get(key)
    if raw is None:
        if required:
            c.add(key, "missing")
        return []
    items = c.list_(raw, key)
    if items is None:
        return []
    if items and set(map(type, items)) == {dict}:  # the common case, checked at once
        records: list[dict[str, object]] = items  # type: ignore[assignment]
        ids = [record.get("id") for record in records]
        distinct = _plain_ids(ids)
        if distinct is not None:
            c.declared[key] = distinct
            named: list[str] = ids  # type: ignore[assignment]
            return [(i, f"{key}[{i!r}]", r) for i, r in zip(named, records, strict=True)]
    out: list[tuple[str, str, dict[str, object]]] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            c.add(f"{key}[{i}]", f"must be an object, got {show(item)}")
            continue
        ident = c.id_(item.get("id"), f"{key}[{i}].id")
        if ident is None:
            continue
        if ident in seen:
            c.add(f"{key}[{ident!r}]", "duplicate id")
            continue
        seen.add(ident)
        out.append((ident, f"{key}[{ident!r}]", item))
    c.declared[key] = seen
    return out
