"""Round and result documents: JSON (the contract) and CSV bundles ↔ `Round`.

A CSV bundle is a folder (or a .zip of one) holding

    round.csv          id, seed, stability, max_distance (one row)
    organizations.csv  id, kind, name, level
    links.csv          source, target, kind, weight
    placements.csv     id, host, kind, capacity, mentor, ranked, skills, min_level, required_skills
    mentors.csv        id, capacity, ranked
    candidates.csv     id, kind, college, institute, tier, level, skills
    preferences.csv    candidate, rank, placement        (equal ranks: a tie)
    rankings.csv       owner_kind, owner, rank, candidate (owner_kind: placement or mentor)
    policies.csv       id, kind, min, max, placements, candidates (selectors as JSON)

`ranked` says whether a placement or mentor has its own ranking (an empty one
is "nobody"); lists of skills are separated by ``;``. Every document, whatever
its format, goes through `matching.validate.parse_round`.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import math
import zipfile
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import orjson

from matching.errors import InvalidRound, Problem
from matching.model import (
    Candidate,
    Explanation,
    GroupFill,
    Metrics,
    Policy,
    Ranking,
    Result,
    Round,
    Selector,
)
from matching.validate import parse_round

Doc = dict[str, object]


# ------------------------------------------------------------------ JSON


def no_duplicate_keys(pairs: list[tuple[str, object]]) -> Doc:
    """json's object hook that refuses an object holding a key twice (the
    standard parser keeps the last value silently). The one definition: the
    service's request bodies use it too."""
    out: Doc = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


class DuplicateKey(ValueError):
    pass


def parse_json(text: str | bytes) -> object:
    """Parse JSON strictly: duplicate keys are refused; NaN and ±Infinity are
    parsed so that validation can name the field that holds them."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except DuplicateKey as exc:
        raise InvalidRound(
            [Problem("round", f"duplicate key {exc.args[0]!r} in an object")]
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidRound([Problem("round", f"not UTF-8: {exc.reason}")]) from None
    except json.JSONDecodeError as exc:
        raise InvalidRound(
            [Problem("round", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")]
        ) from None
    except RecursionError:
        raise InvalidRound([Problem("round", "JSON nested too deeply")]) from None
    except ValueError:  # an integer past the interpreter's digit limit (4,300)
        raise InvalidRound([Problem("round", "a number with too many digits")]) from None


def dumps(doc: object) -> str:
    """Compact JSON, written by orjson (ten times the standard library's speed on
    large results; the same bytes but for very small or large floats, which it
    writes as 0.00001 where `json` writes 1e-05)."""
    return orjson.dumps(doc).decode() + "\n"


def load(path: str | Path) -> Round:
    """A round from a JSON file, a CSV bundle folder or a zipped CSV bundle."""
    path = Path(path)
    if path.is_dir():
        return parse_round(read_csv_bundle(path))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidRound([Problem("round", f"cannot read {path}: {exc.strerror}")]) from None
    if path.suffix == ".zip":
        return parse_round(read_csv_zip(data))
    return parse_round(parse_json(data))


def _ranking(r: Ranking) -> list[object]:
    flat: list[object] = list(chain.from_iterable(r))
    if len(flat) == len(r):  # no ties: the common case, at C speed
        return flat
    return [group[0] if len(group) == 1 else list(group) for group in r]


def _selector(s: Selector) -> dict[str, object]:
    return {attr: values[0] if len(values) == 1 else list(values) for attr, values in s}


def round_to_dict(r: Round) -> Doc:
    """The contract document of a round (fields at their defaults are left out)."""

    def clean(d: dict[str, object]) -> Doc:
        return {k: v for k, v in d.items() if v is not None and v != () and v != []}

    doc: Doc = {"id": r.id, "seed": r.seed}
    if r.stability.value != "ignored":
        doc["stability"] = r.stability.value
    if r.rules.max_distance is not None:
        doc["rules"] = {"max_distance": r.rules.max_distance}
    doc["organizations"] = [
        clean(
            {
                "id": o.id,
                "kind": o.kind.value,
                "name": o.name,
                "level": o.level.value if o.level else None,
            }
        )
        for o in r.organizations
    ]
    doc["links"] = [
        clean(
            {
                "source": k.source,
                "target": k.target,
                "kind": k.kind.value,
                "weight": k.weight if k.weight != 1.0 else None,
            }
        )
        for k in r.links
    ]
    doc["placements"] = []
    for p in r.placements:
        rec = clean(
            {
                "id": p.id,
                "host": p.host,
                "kind": p.kind.value,
                "capacity": p.capacity,
                "mentor": p.mentor,
                "skills": list(p.skills),
            }
        )
        if p.ranking is not None:
            rec["ranking"] = _ranking(p.ranking)
        need = clean(
            {
                "min_level": p.requirements.min_level.value if p.requirements.min_level else None,
                "skills": list(p.requirements.skills),
            }
        )
        if need:
            rec["requirements"] = need
        doc["placements"].append(rec)  # type: ignore[attr-defined]
    if r.mentors:
        doc["mentors"] = [
            {
                "id": m.id,
                "capacity": m.capacity,
                **({"ranking": _ranking(m.ranking)} if m.ranking is not None else {}),
            }
            for m in r.mentors
        ]
    doc["candidates"] = list(map(_candidate, r.candidates))
    if r.policies:
        doc["policies"] = [_policy(p) for p in r.policies]
    return doc


def _candidate(c: Candidate) -> Doc:
    rec: Doc = {"id": c.id, "kind": c.kind.value}
    if c.college is not None:
        rec["college"] = c.college
    if c.institute is not None:
        rec["institute"] = c.institute
    if c.tier is not None:
        rec["tier"] = c.tier.value
    if c.level is not None:
        rec["level"] = c.level.value
    if c.skills:
        rec["skills"] = list(c.skills)
    rec["preferences"] = _ranking(c.preferences)
    return rec


def _policy(p: Policy) -> Doc:
    rec: Doc = {"id": p.id, "kind": p.kind.value}
    if p.placements:
        rec["placements"] = _selector(p.placements)
    if p.candidates:
        rec["candidates"] = _selector(p.candidates)
    if p.min is not None:
        rec["min"] = p.min
    if p.max is not None:
        rec["max"] = p.max
    return rec


def round_hash(r: Round) -> str:
    """SHA-256 of the canonical document: the same for any file order."""
    return hashlib.sha256(orjson.dumps(round_to_dict(r), option=orjson.OPT_SORT_KEYS)).hexdigest()


def _explanation(e: Explanation) -> Doc:
    placement, reason, cutoff, rule, mentor, policy, gain = e
    rec: Doc = {"placement": placement, "reason": str(reason)}
    if cutoff is not None:
        rec["cutoff"] = cutoff
    if rule is not None:
        rec["rule"] = rule
    if mentor is not None:
        rec["mentor"] = mentor
    if policy is not None:
        rec["policy"] = policy
    if gain is not None:
        rec["gain"] = gain
    return rec


def _fills(rows: Iterable[tuple[str, GroupFill]]) -> Doc:
    return {
        key: {"matched": f.matched, "total": f.total, "rate": round(f.rate, 6)} for key, f in rows
    }


def metrics_to_dict(m: Metrics) -> Doc:
    return {
        "matched": m.matched,
        "unmatched": m.unmatched,
        "capacity": m.capacity,
        "fill_rate": round(m.fill_rate, 6),
        "rank_histogram": {str(rank): n for rank, n in m.rank_histogram},
        "mean_rank": m.mean_rank,
        "welfare": m.welfare,
        "by_park": _fills(m.by_park),
        "by_college": _fills(m.by_college),
        "by_kind": _fills(m.by_kind),
        "by_tier": _fills(m.by_tier),
    }


def result_to_dict(r: Result) -> Doc:
    return {
        "round": r.round,
        "mechanism": r.mechanism,
        "seed": r.seed,
        "status": r.status.value,
        "stability": r.stability.value,
        "solver": r.solver,
        "objective": r.objective,
        "gap": r.gap,
        "conflicts": list(r.conflicts),
        "input_hash": r.input_hash,
        "assignments": dict(r.assignments),
        "stable": r.stable,
        "blocking_pairs": [list(pair) for pair in r.blocking_pairs],
        "capacity_violations": list(r.capacity_violations),
        "policies": [
            {"id": p.id, "satisfied": p.satisfied, "value": p.value, "min": p.min, "max": p.max}
            for p in r.policies
        ],
        "metrics": metrics_to_dict(r.metrics),
        "explanations": _explanations(r.explanations),
    }


def _explanations(rows: tuple[tuple[str, tuple[Explanation, ...]], ...]) -> Doc:
    """Each explanation object written once: the same object (a placement full,
    with its cutoff, explains it to everyone who ranked it higher) is one record."""
    memo: dict[int, Doc] = {}

    def record(e: Explanation) -> Doc:
        rec = memo.get(id(e))
        if rec is None:
            rec = memo[id(e)] = _explanation(e)
        return rec

    return {cid: list(map(record, es)) for cid, es in rows}


# ------------------------------------------------------------------ CSV bundles

_FILES = (
    "round",
    "organizations",
    "links",
    "placements",
    "mentors",
    "candidates",
    "preferences",
    "rankings",
    "policies",
)


def _frames_from(read: dict[str, bytes]) -> dict[str, list[dict[str, str]]]:
    import pandas as pd  # only CSV bundles need it: keep it off the JSON path

    frames: dict[str, list[dict[str, str]]] = {}
    for name in _FILES:
        data = read.get(name)
        if data is None:
            continue
        try:
            df = pd.read_csv(_io.BytesIO(data), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InvalidRound([Problem(f"{name}.csv", f"not a readable CSV: {exc}")]) from None
        frames[name] = [{str(k): str(v) for k, v in row.items()} for row in df.to_dict("records")]
    for required in ("round", "placements", "candidates"):
        if required not in frames:
            raise InvalidRound([Problem(f"{required}.csv", "missing from the bundle")])
    return frames


def read_csv_bundle(folder: Path) -> Doc:
    return _doc_from_frames(
        _frames_from(
            {
                name: (folder / f"{name}.csv").read_bytes()
                for name in _FILES
                if (folder / f"{name}.csv").is_file()
            }
        )
    )


def read_csv_zip(data: bytes) -> Doc:
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as archive:
            files = {
                Path(info.filename).stem: archive.read(info)
                for info in archive.infolist()
                if info.filename.endswith(".csv") and Path(info.filename).stem in _FILES
            }
    except zipfile.BadZipFile as exc:
        raise InvalidRound([Problem("bundle", f"not a zip archive: {exc}")]) from None
    return _doc_from_frames(_frames_from(files))


def _number(text: str) -> object:
    """An int or float from a cell; the text itself when it is neither (validation names it)."""
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _list(text: str) -> list[str]:
    return [s for s in text.split(";") if s]


def _opt(text: str | None) -> str | None:
    return text or None


def _grouped(
    rows: list[dict[str, str]], key: str, item: str, where: str
) -> dict[str, list[object]]:
    """owner → ranking (ties where ranks are equal), from (owner, rank, item) rows."""
    by_owner: dict[str, list[tuple[object, str]]] = {}
    for i, row in enumerate(rows):
        rank = _number(row.get("rank", ""))
        if not isinstance(rank, int):
            raise InvalidRound(
                [Problem(f"{where}.csv line {i + 2}", f"rank must be an integer, got {rank!r}")]
            )
        by_owner.setdefault(row[key], []).append((rank, row[item]))
    out: dict[str, list[object]] = {}
    for owner, items in by_owner.items():
        groups: dict[object, list[str]] = {}
        for rank, ident in sorted(items, key=lambda t: t[0]):  # type: ignore[arg-type, return-value]
            groups.setdefault(rank, []).append(ident)
        out[owner] = [g[0] if len(g) == 1 else g for g in groups.values()]
    return out


def _doc_from_frames(f: dict[str, list[dict[str, str]]]) -> Doc:
    try:
        return _doc_from_rows(f)
    except KeyError as exc:
        raise InvalidRound([Problem("bundle", f"missing column {exc.args[0]!r}")]) from None


def _doc_from_rows(f: dict[str, list[dict[str, str]]]) -> Doc:
    if len(f["round"]) != 1:
        raise InvalidRound([Problem("round.csv", "must have exactly one row")])
    head = f["round"][0]
    doc: Doc = {"id": head["id"], "seed": _number(head.get("seed", ""))}
    if head.get("stability"):
        doc["stability"] = head["stability"]
    if head.get("max_distance"):
        doc["rules"] = {"max_distance": _number(head["max_distance"])}
    doc["organizations"] = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "name": _opt(r.get("name")),
            "level": _opt(r.get("level")),
        }
        for r in f.get("organizations", [])
    ]
    doc["links"] = [
        {
            "source": r["source"],
            "target": r["target"],
            "kind": r["kind"],
            **({"weight": _number(r["weight"])} if r.get("weight") else {}),
        }
        for r in f.get("links", [])
    ]
    rank_rows = f.get("rankings", [])
    place_rankings = _grouped(
        [r for r in rank_rows if r["owner_kind"] == "placement"], "owner", "candidate", "rankings"
    )
    mentor_rankings = _grouped(
        [r for r in rank_rows if r["owner_kind"] == "mentor"], "owner", "candidate", "rankings"
    )
    for i, r in enumerate(rank_rows):
        if r["owner_kind"] not in ("placement", "mentor"):
            raise InvalidRound(
                [
                    Problem(
                        f"rankings.csv line {i + 2}",
                        f"owner_kind must be placement or mentor, got {r['owner_kind']!r}",
                    )
                ]
            )
    doc["placements"] = []
    for r in f["placements"]:
        rec: Doc = {
            "id": r["id"],
            "host": r["host"],
            "kind": r["kind"],
            "capacity": _number(r["capacity"]),
            "mentor": _opt(r.get("mentor")),
            "skills": _list(r.get("skills", "")),
        }
        if r.get("ranked", "").lower() in ("true", "1", "yes") or r["id"] in place_rankings:
            rec["ranking"] = place_rankings.get(r["id"], [])
        if r.get("min_level") or r.get("required_skills"):
            rec["requirements"] = {
                "min_level": _opt(r.get("min_level")),
                "skills": _list(r.get("required_skills", "")),
            }
        doc["placements"].append(rec)  # type: ignore[attr-defined]
    doc["mentors"] = [
        {
            "id": r["id"],
            "capacity": _number(r["capacity"]),
            **(
                {"ranking": mentor_rankings.get(r["id"], [])}
                if r.get("ranked", "").lower() in ("true", "1", "yes") or r["id"] in mentor_rankings
                else {}
            ),
        }
        for r in f.get("mentors", [])
    ]
    prefs = _grouped(f.get("preferences", []), "candidate", "placement", "preferences")
    doc["candidates"] = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "college": _opt(r.get("college")),
            "institute": _opt(r.get("institute")),
            "tier": _opt(r.get("tier")),
            "level": _opt(r.get("level")),
            "skills": _list(r.get("skills", "")),
            "preferences": prefs.get(r["id"], []),
        }
        for r in f["candidates"]
    ]
    policies = []
    for i, r in enumerate(f.get("policies", [])):
        rec = {
            "id": r["id"],
            "kind": r["kind"],
            "min": _number(r.get("min", "")),
            "max": _number(r.get("max", "")),
        }
        for key in ("placements", "candidates"):
            if r.get(key):
                try:
                    rec[key] = json.loads(r[key])
                except json.JSONDecodeError:
                    raise InvalidRound(
                        [Problem(f"policies.csv line {i + 2}", f"{key} must be a JSON object")]
                    ) from None
        policies.append(rec)
    doc["policies"] = policies
    return doc


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value


def write_csv_bundle(r: Round, folder: str | Path) -> None:
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables: dict[str, tuple[list[str], list[list[object]]]] = {
        "round": (
            ["id", "seed", "stability", "max_distance"],
            [[r.id, r.seed, r.stability.value, r.rules.max_distance]],
        ),
        "organizations": (
            ["id", "kind", "name", "level"],
            [
                [o.id, o.kind.value, o.name, o.level.value if o.level else None]
                for o in r.organizations
            ],
        ),
        "links": (
            ["source", "target", "kind", "weight"],
            [[k.source, k.target, k.kind.value, k.weight] for k in r.links],
        ),
        "placements": (
            [
                "id",
                "host",
                "kind",
                "capacity",
                "mentor",
                "ranked",
                "skills",
                "min_level",
                "required_skills",
            ],
            [
                [
                    p.id,
                    p.host,
                    p.kind.value,
                    p.capacity,
                    p.mentor,
                    "true" if p.ranking is not None else "false",
                    ";".join(p.skills),
                    p.requirements.min_level.value if p.requirements.min_level else None,
                    ";".join(p.requirements.skills),
                ]
                for p in r.placements
            ],
        ),
        "mentors": (
            ["id", "capacity", "ranked"],
            [[m.id, m.capacity, "true" if m.ranking is not None else "false"] for m in r.mentors],
        ),
        "candidates": (
            ["id", "kind", "college", "institute", "tier", "level", "skills"],
            [
                [
                    c.id,
                    c.kind.value,
                    c.college,
                    c.institute,
                    c.tier.value if c.tier else None,
                    c.level.value if c.level else None,
                    ";".join(c.skills),
                ]
                for c in r.candidates
            ],
        ),
        "preferences": (
            ["candidate", "rank", "placement"],
            [
                [c.id, g + 1, pid]
                for c in r.candidates
                for g, group in enumerate(c.preferences)
                for pid in group
            ],
        ),
        "rankings": (
            ["owner_kind", "owner", "rank", "candidate"],
            [
                [kind, owner.id, g + 1, cid]
                for kind, owners in (("placement", r.placements), ("mentor", r.mentors))
                for owner in owners
                if owner.ranking is not None
                for g, group in enumerate(owner.ranking)
                for cid in group
            ],
        ),
        "policies": (
            ["id", "kind", "min", "max", "placements", "candidates"],
            [
                [
                    p.id,
                    p.kind.value,
                    p.min,
                    p.max,
                    json.dumps(_selector(p.placements), ensure_ascii=False)
                    if p.placements
                    else None,
                    json.dumps(_selector(p.candidates), ensure_ascii=False)
                    if p.candidates
                    else None,
                ]
                for p in r.policies
            ],
        ),
    }
    for name, (columns, rows) in tables.items():
        frame = pd.DataFrame([[_cell(v) for v in row] for row in rows], columns=columns)
        frame.to_csv(folder / f"{name}.csv", index=False)
