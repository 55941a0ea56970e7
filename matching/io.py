"""Round and result documents: JSON (the contract) ↔ `Round` and `Result`.

CSV bundles are read and written by `matching.csvbundle` from the same round
document. Every document, whatever its format, goes through
`matching.validate.parse_round`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import orjson

from matching import csvbundle
from matching.csvbundle import read_csv_bundle as read_csv_bundle
from matching.csvbundle import read_csv_zip as read_csv_zip
from matching.errors import InvalidRound, Problem
from matching.model import (
    Candidate,
    Explanation,
    GroupFill,
    Metrics,
    Override,
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
    service's request bodies use it too. Checked at C speed; the keys are
    walked only to name the repeated one."""
    out = dict(pairs)
    if len(out) != len(pairs):
        keys = [key for key, _ in pairs]
        raise DuplicateKey(next(k for i, k in enumerate(keys) if k in keys[:i]))
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


def dumpb(doc: object) -> bytes:
    """Compact JSON and a line break, as UTF-8, written by orjson (ten times the
    standard library's speed on large results; the same bytes but for very
    small or large floats, which it writes as 0.00001 where `json` writes
    1e-05). A file or a response takes these bytes as they are."""
    return orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE)


def dumps(doc: object) -> str:
    """`dumpb` as a string (for a database column)."""
    return dumpb(doc).decode()


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
    if not r.ties:  # the common case, at C speed
        return list(r.ids)
    return [group[0] if len(group) == 1 else list(group) for group in r]


def _selector(s: Selector) -> dict[str, object]:
    return {attr: values[0] if len(values) == 1 else list(values) for attr, values in s}


def round_to_dict(r: Round) -> Doc:
    """The contract document of a round (fields at their defaults are left out)."""
    return _document(r, list(map(_candidate, r.candidates)))


def _document(r: Round, candidates: list[Doc] | None) -> Doc:
    """`round_to_dict`, its candidates given (None: left out)."""

    def clean(d: dict[str, object]) -> Doc:
        return {k: v for k, v in d.items() if v is not None and v != () and v != []}

    doc: Doc = {"id": r.id, "seed": r.seed}
    if r.stability.value != "ignored":
        doc["stability"] = r.stability.value
    rules = clean(
        {
            "max_distance": r.rules.max_distance,
            "intern_ratio": True if r.rules.intern_ratio else None,
        }
    )
    if rules:
        doc["rules"] = rules
    doc["organizations"] = [
        clean(
            {
                "id": o.id,
                "kind": o.kind.value,
                "name": o.name,
                "level": o.level.value if o.level else None,
                "staff": o.staff,
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
                "title": p.title,
                "description": p.description,
                "staff": p.staff,
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
    if candidates is not None:
        doc["candidates"] = candidates
    if r.policies:
        doc["policies"] = [_policy(p) for p in r.policies]
    if r.overrides:
        doc["overrides"] = [override_to_dict(o) for o in r.overrides]
    return doc


def override_to_dict(o: Override) -> Doc:
    rec: Doc = {
        "candidate": o.candidate,
        "placement": o.placement,
        "kind": o.kind.value,
        "reason": o.reason.value,
    }
    if o.note is not None:
        rec["note"] = o.note
    if o.by is not None:
        rec["by"] = o.by
    return rec


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
    if c.name is not None:
        rec["name"] = c.name
    if c.number is not None:
        rec["number"] = c.number
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
    """SHA-256 of the canonical document (`round_to_dict` as compact JSON, keys
    sorted): the same for any file order. Hashed in pieces, the candidates
    (whose key sorts first) a thousand at a time, so that neither the document
    nor its bytes are ever whole in memory (a national round's are 40 MB)."""
    digest = hashlib.sha256(b'{"candidates":[')
    sort = orjson.OPT_SORT_KEYS
    for start in range(0, len(r.candidates), 1000):
        chunk = orjson.dumps(list(map(_candidate, r.candidates[start : start + 1000])), option=sort)
        digest.update((b"," if start else b"") + chunk[1:-1])  # without the list's brackets
    rest = orjson.dumps(_document(r, None), option=sort)  # "id" and more follow "candidates"
    digest.update(b"]," + rest[1:])
    return digest.hexdigest()


def explanation_to_dict(e: Explanation) -> Doc:
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
        "policy_stable": r.policy_stable,
        "excused": [list(triple) for triple in r.excused],
        "unexcused": [list(pair) for pair in r.unexcused],
        "capacity_violations": list(r.capacity_violations),
        "policies": [
            {
                "id": p.id,
                "satisfied": p.satisfied,
                "value": p.value,
                "min": p.min,
                "max": p.max,
                **({"generated": True} if p.generated else {}),
            }
            for p in r.policies
        ],
        "metrics": metrics_to_dict(r.metrics),
        "explanations": _explanations(r.explanations),
        **(
            {
                "overrides": [override_to_dict(o) for o in r.overrides],
                "blocked_by_pins": [list(triple) for triple in r.blocked_by_pins],
            }
            if r.overrides
            else {}
        ),
    }


def _explanations(rows: tuple[tuple[str, tuple[Explanation, ...]], ...]) -> Doc:
    """Each explanation object written once: the same object (a placement full,
    with its cutoff, explains it to everyone who ranked it higher) is one record."""
    memo: dict[int, Doc] = {}

    def record(e: Explanation) -> Doc:
        rec = memo.get(id(e))
        if rec is None:
            rec = memo[id(e)] = explanation_to_dict(e)
        return rec

    return {cid: list(map(record, es)) for cid, es in rows}


# ------------------------------------------------------------------ CSV bundles


def write_csv_bundle(r: Round, folder: str | Path) -> None:
    """The round as a CSV bundle (matching.csvbundle)."""
    csvbundle.write_csv_bundle(round_to_dict(r), folder)
