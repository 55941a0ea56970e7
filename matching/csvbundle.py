"""CSV bundles ↔ round documents, both ways from one column table.

A CSV bundle is a folder (or a .zip of one) holding

    round.csv          id, seed, stability, max_distance (one row)
    organizations.csv  id, kind, name, level
    links.csv          source, target, kind, weight
    placements.csv     id, host, kind, capacity, mentor, ranked, skills, min_level,
                       required_skills, title, description
    mentors.csv        id, capacity, ranked
    candidates.csv     id, kind, college, institute, tier, level, skills, name, number
    preferences.csv    candidate, rank, placement        (equal ranks: a tie)
    rankings.csv       owner_kind, owner, rank, candidate (owner_kind: placement or mentor)
    policies.csv       id, kind, min, max, placements, candidates (selectors as JSON)

The same tables as one Excel workbook (`write_workbook`, `read_workbook`):
a sheet per file, named as the file without `.csv`.

`ranked` says whether a placement or mentor has its own ranking (an empty one
is "nobody"); lists of skills are separated by ``;``. The reader gives a
round document (which `matching.validate.parse_round` then checks like any
other); the writer takes the document `matching.io.round_to_dict` makes.
"""

from __future__ import annotations

import io as _io
import json
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matching.errors import InvalidRound, Problem

Doc = dict[str, object]


@dataclass(frozen=True)
class Codec:
    """How a document value is written to a cell and read back (None: absent)."""

    write: Callable[[object], object]
    read: Callable[[str, int, str], object]


def _text_read(cell: str, line: int, where: str) -> object:
    return cell or None


def _number_read(cell: str, line: int, where: str) -> object:
    """An int or float; the text itself when it is neither (validation names it)."""
    if cell == "":
        return None
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


def _number_write(value: object) -> object:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def _list_read(cell: str, line: int, where: str) -> object:
    return [s for s in cell.split(";") if s]


def _list_write(value: object) -> object:
    return ";".join(value) if isinstance(value, list) else None


def _json_read(cell: str, line: int, where: str) -> object:
    if not cell:
        return None
    try:
        return json.loads(cell)
    except json.JSONDecodeError:
        raise InvalidRound([Problem(f"{where} line {line}", "must be a JSON object")]) from None


def _json_write(value: object) -> object:
    return json.dumps(value, ensure_ascii=False) if value else None


def _flag_read(cell: str, line: int, where: str) -> object:
    return cell.lower() in ("true", "1", "yes")


def _flag_write(value: object) -> object:
    return "true" if value is not None else "false"


def _on_read(cell: str, line: int, where: str) -> object:
    return _flag_read(cell, line, where) if cell else None


def _on_write(value: object) -> object:
    return None if value is None else str(value is True).lower()


TEXT = Codec(lambda v: v, _text_read)
NUMBER = Codec(_number_write, _number_read)
LIST = Codec(_list_write, _list_read)
JSON = Codec(_json_write, _json_read)
RANKED = Codec(_flag_write, _flag_read)  # the cell says whether the record has a ranking
BOOLEAN = Codec(_on_write, _on_read)  # "true", "false", or left out (empty)

# file → (column, the record's field (a.b: nested), codec); one table for both ways
COLUMNS: dict[str, tuple[tuple[str, str, Codec], ...]] = {
    "round": (
        ("id", "id", TEXT),
        ("seed", "seed", NUMBER),
        ("stability", "stability", TEXT),
        ("max_distance", "rules.max_distance", NUMBER),
        ("intern_ratio", "rules.intern_ratio", BOOLEAN),
    ),
    "organizations": (
        ("id", "id", TEXT),
        ("kind", "kind", TEXT),
        ("name", "name", TEXT),
        ("level", "level", TEXT),
        ("staff", "staff", NUMBER),
    ),
    "links": (
        ("source", "source", TEXT),
        ("target", "target", TEXT),
        ("kind", "kind", TEXT),
        ("weight", "weight", NUMBER),
    ),
    "placements": (
        ("id", "id", TEXT),
        ("host", "host", TEXT),
        ("kind", "kind", TEXT),
        ("capacity", "capacity", NUMBER),
        ("mentor", "mentor", TEXT),
        ("ranked", "ranking", RANKED),
        ("skills", "skills", LIST),
        ("min_level", "requirements.min_level", TEXT),
        ("required_skills", "requirements.skills", LIST),
        ("title", "title", TEXT),
        ("description", "description", TEXT),
        ("staff", "staff", NUMBER),
    ),
    "mentors": (
        ("id", "id", TEXT),
        ("capacity", "capacity", NUMBER),
        ("ranked", "ranking", RANKED),
    ),
    "candidates": (
        ("id", "id", TEXT),
        ("kind", "kind", TEXT),
        ("college", "college", TEXT),
        ("institute", "institute", TEXT),
        ("tier", "tier", TEXT),
        ("level", "level", TEXT),
        ("skills", "skills", LIST),
        ("name", "name", TEXT),
        ("number", "number", TEXT),
    ),
    "policies": (
        ("id", "id", TEXT),
        ("kind", "kind", TEXT),
        ("min", "min", NUMBER),
        ("max", "max", NUMBER),
        ("placements", "placements", JSON),
        ("candidates", "candidates", JSON),
    ),
}
# the long tables: preference lists and rankings, one row per (owner, rank, id)
LONG = {
    "preferences": ("candidate", "rank", "placement"),
    "rankings": ("owner_kind", "owner", "rank", "candidate"),
}
FILES = (*COLUMNS, *LONG)
# the columns a file must have (the others may be left out)
NEEDED = {
    "organizations": ("id", "kind"),
    "links": ("source", "target", "kind"),
    "placements": ("id", "host", "kind", "capacity"),
    "mentors": ("id", "capacity"),
    "candidates": ("id", "kind"),
    "policies": ("id", "kind"),
}
REQUIRED = ("round", "placements", "candidates")
_OWNERS = {"placement": "placements", "mentor": "mentors"}


# ------------------------------------------------------------------ reading


def read_csv_bundle(folder: Path) -> Doc:
    return _document(
        {
            name: (folder / f"{name}.csv").read_bytes()
            for name in FILES
            if (folder / f"{name}.csv").is_file()
        }
    )


def read_csv_zip(data: bytes) -> Doc:
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as archive:
            files = {
                Path(info.filename).stem: archive.read(info)
                for info in archive.infolist()
                if info.filename.endswith(".csv") and Path(info.filename).stem in FILES
            }
    except zipfile.BadZipFile as exc:
        raise InvalidRound([Problem("bundle", f"not a zip archive: {exc}")]) from None
    return _document(files)


def _frames(read: dict[str, bytes]) -> dict[str, list[dict[str, str]]]:
    import pandas as pd  # only CSV bundles need it: keep it off the JSON path

    frames: dict[str, list[dict[str, str]]] = {}
    for name in FILES:
        data = read.get(name)
        if data is None:
            continue
        try:
            df = pd.read_csv(_io.BytesIO(data), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InvalidRound([Problem(f"{name}.csv", f"not a readable CSV: {exc}")]) from None
        frames[name] = [{str(k): str(v) for k, v in row.items()} for row in df.to_dict("records")]
    for required in REQUIRED:
        if required not in frames:
            raise InvalidRound([Problem(f"{required}.csv", "missing from the bundle")])
    return frames


def _document(read: dict[str, bytes]) -> Doc:
    frames = _frames(read)
    try:
        return _from_frames(frames)
    except KeyError as exc:
        raise InvalidRound([Problem("bundle", f"missing column {exc.args[0]!r}")]) from None


def _from_frames(frames: dict[str, list[dict[str, str]]]) -> Doc:
    if len(frames["round"]) != 1:
        raise InvalidRound([Problem("round.csv", "must have exactly one row")])
    records = {name: _records(name, frames.get(name, [])) for name in COLUMNS}
    rankings = _rankings(frames.get("rankings", []))
    for kind, name in _OWNERS.items():
        for rec in records[name]:
            ranked = rankings[kind].get(str(rec["id"]))
            if rec.pop("ranking", False) or ranked is not None:
                rec["ranking"] = ranked or []
    prefs = _grouped(frames.get("preferences", []), "candidate", "placement", "preferences")
    for rec in records["candidates"]:
        rec["preferences"] = prefs.get(str(rec["id"]), [])
    doc = records["round"][0]
    doc.update({name: records[name] for name in COLUMNS if name != "round"})
    return doc


def _records(name: str, rows: list[dict[str, str]]) -> list[Doc]:
    out = []
    for line, row in enumerate(rows, start=2):
        rec: Doc = {}
        for column, field, codec in COLUMNS[name]:
            if column not in row:
                if column in NEEDED.get(name, ("id",)):
                    raise KeyError(column)
                continue  # an optional column the file does not have
            value = codec.read(row[column], line, f"{name}.csv")
            if value is not None:
                _put(rec, field, value)
        out.append(rec)
    return out


def _put(rec: Doc, field: str, value: object) -> None:
    head, _, rest = field.partition(".")
    if not rest:
        rec[head] = value
        return
    if value in (None, []):
        return
    inner = rec.setdefault(head, {})
    assert isinstance(inner, dict)
    inner[rest] = value


def _rankings(rows: list[dict[str, str]]) -> dict[str, dict[str, list[object]]]:
    for line, row in enumerate(rows, start=2):
        if row["owner_kind"] not in _OWNERS:
            raise InvalidRound(
                [
                    Problem(
                        f"rankings.csv line {line}",
                        f"owner_kind must be placement or mentor, got {row['owner_kind']!r}",
                    )
                ]
            )
    return {
        kind: _grouped(
            [r for r in rows if r["owner_kind"] == kind], "owner", "candidate", "rankings"
        )
        for kind in _OWNERS
    }


def _grouped(
    rows: list[dict[str, str]], key: str, item: str, where: str
) -> dict[str, list[object]]:
    """owner → ranking (ties where ranks are equal), from (owner, rank, item) rows."""
    by_owner: dict[str, list[tuple[int, str]]] = {}
    for line, row in enumerate(rows, start=2):
        rank = _number_read(row.get("rank", ""), line, where)
        if not isinstance(rank, int):
            raise InvalidRound(
                [Problem(f"{where}.csv line {line}", f"rank must be an integer, got {rank!r}")]
            )
        by_owner.setdefault(row[key], []).append((rank, row[item]))
    out: dict[str, list[object]] = {}
    for owner, items in by_owner.items():
        groups: dict[int, list[str]] = {}
        for rank, ident in sorted(items, key=lambda t: t[0]):
            groups.setdefault(rank, []).append(ident)
        out[owner] = [g[0] if len(g) == 1 else g for g in groups.values()]
    return out


# ------------------------------------------------------------------ writing


def write_csv_bundle(doc: Doc, folder: str | Path) -> None:
    """Write a round document (as `matching.io.round_to_dict` gives it) as a bundle."""
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in _tables(doc).items():
        pd.DataFrame(rows, columns=columns).to_csv(folder / f"{name}.csv", index=False)


def write_workbook(doc: Doc) -> bytes:
    """A round document as one Excel workbook: a sheet per file of the bundle,
    the same columns (what a coordinator keeps in Excel and imports back)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, (columns, rows) in _tables(doc).items():
        sheet = book.create_sheet(name)
        sheet.append(columns)
        for row in rows:
            sheet.append(row)
    out = _io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_workbook(data: bytes) -> Doc:
    """The round document of a workbook `write_workbook` wrote (or a person
    made in Excel): its sheets named as the bundle's files."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(_io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidRound([Problem("workbook", f"not an Excel workbook (.xlsx): {exc}")]) from None
    frames: dict[str, list[dict[str, str]]] = {}
    for sheet in book.worksheets:
        if sheet.title not in FILES:
            continue
        rows = [
            ["" if v is None else _text(v) for v in row]
            for row in sheet.iter_rows(values_only=True)
        ]
        rows = [row for row in rows if any(cell != "" for cell in row)]
        header = [str(h).strip() for h in rows[0]] if rows else []
        frames[sheet.title] = [
            dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))
            for row in rows[1:]
        ]
    book.close()
    for required in REQUIRED:
        if required not in frames:
            raise InvalidRound([Problem(f"{required} sheet", "missing from the workbook")])
    try:
        return _from_frames(frames)
    except KeyError as exc:
        raise InvalidRound([Problem("workbook", f"missing column {exc.args[0]!r}")]) from None


def _text(value: object) -> str:
    """A cell as the CSV reader sees it (Excel keeps 3 as 3.0; an id is "3")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _tables(doc: Doc) -> dict[str, tuple[list[str], list[list[object]]]]:
    """Each file of the bundle as its header and rows."""
    lists: dict[str, list[Doc]] = {
        name: [doc] if name == "round" else list(doc.get(name) or [])  # type: ignore[call-overload]
        for name in COLUMNS
    }
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        name: (
            [column for column, _, _ in columns],
            [
                [_cell(codec.write(_get(rec, field))) for _, field, codec in columns]
                for rec in lists[name]
            ],
        )
        for name, columns in COLUMNS.items()
    }
    tables["preferences"] = (
        list(LONG["preferences"]),
        [
            [c["id"], g + 1, pid]
            for c in lists["candidates"]
            for g, group in enumerate(_groups(c.get("preferences")))
            for pid in group
        ],
    )
    tables["rankings"] = (
        list(LONG["rankings"]),
        [
            [kind, owner["id"], g + 1, cid]
            for kind, name in _OWNERS.items()
            for owner in lists[name]
            for g, group in enumerate(_groups(owner.get("ranking")))
            for cid in group
        ],
    )
    return {name: tables[name] for name in FILES}


def _get(rec: Doc, field: str) -> object:
    head, _, rest = field.partition(".")
    value = rec.get(head)
    if rest:
        return value.get(rest) if isinstance(value, dict) else None
    return value


def _groups(ranking: object) -> list[list[str]]:
    return [g if isinstance(g, list) else [g] for g in ranking or []]  # type: ignore[attr-defined]


def _cell(value: object) -> object:
    return "" if value is None else value
