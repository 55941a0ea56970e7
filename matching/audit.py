"""A published result anyone can check: the bundle and its audit.

Publication writes a **bundle**: the frozen round document (names and
numbers removed: no mechanism reads them), its hash, the seed and how it
was fixed, the mechanism, its options, the solver and the engine's version,
the result, the overrides with their reasons and, for a re-match, the round
and assignments it started from.

`python -m matching audit BUNDLE` checks it with nothing but the bundle:

1. the round is a valid round and hashes to `round_hash`;
2. the seed is the round's and the result's; the overrides are the round's
   and the result's;
3. solving the round again with the same mechanism and options (or
   re-matching it against the round it started from) gives the same result,
   field by field (a MILP stopped by its time limit cannot be reproduced:
   that is said, and the checks below decide);
4. the independent checker (matching.verify), on the result's assignments:
   capacities and acceptability, the blocking pairs and stability claimed,
   the policy values and which are met, policy-stability, and every
   explanation derived again from the round and the assignments.

The verdict lists each check; the bundle is verified when all hold.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from matching import io
from matching.base import SolveOptions, Solver
from matching.encode import encode
from matching.engine import rematch, rematch_document, solve
from matching.errors import MatchingError
from matching.explain import explain
from matching.io import round_hash
from matching.model import Stability
from matching.validate import parse_round
from matching.verify import policy_stability, verify

Json = dict[str, Any]
FORMAT = "placement-bundle/1"
PERSONAL = ("name", "number")  # a candidate's, removed from the bundle's round
# result fields a re-solve reproduces exactly (input_hash differs: the names are gone)
REPRODUCED = (
    "round", "mechanism", "seed", "status", "stability", "assignments", "stable",
    "blocking_pairs", "policy_stable", "excused", "unexcused", "capacity_violations",
    "policies", "metrics", "explanations", "overrides", "blocked_by_pins", "rematch",
)  # fmt: skip


def redacted(round_doc: Json) -> Json:
    """The round document without what identifies a person."""
    out = dict(round_doc)
    out["candidates"] = [
        {k: v for k, v in c.items() if k not in PERSONAL} for c in round_doc.get("candidates", [])
    ]
    return out


def make_bundle(
    round_doc: Json,
    result: Json,
    *,
    options: dict[str, Any],
    engine_version: str,
    seed_fixed: str,
    published: dict[str, Any],
    started_from: tuple[Json, dict[str, str | None]] | None = None,
) -> Json:
    """The bundle of one published result (`published`: its version, when and by whom)."""
    plain = redacted(round_doc)
    bundle: Json = {
        "format": FORMAT,
        "published": published,
        "round": plain,
        "round_hash": round_hash(parse_round(plain)),
        "input_hash": result.get("input_hash"),
        "seed": round_doc.get("seed"),
        "seed_fixed": seed_fixed,
        "mechanism": result.get("mechanism"),
        "options": options,
        "solver": result.get("solver"),
        "engine_version": engine_version,
        "overrides": plain.get("overrides", []),
        "result": result,
    }
    if started_from is not None:
        bundle["rematch_of"] = {"round": redacted(started_from[0]), "assignments": started_from[1]}
    return bundle


def bundle_hash(bundle: Json) -> str:
    return hashlib.sha256(io.dumps(bundle).encode()).hexdigest()


@dataclass
class Verdict:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # (what, held, detail)

    def add(self, what: str, held: bool, detail: str = "") -> None:
        self.checks.append((what, held, detail))

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(held for _, held, _ in self.checks)

    def report(self) -> str:
        lines = [f"{'✓' if held else '✗'} {what}{': ' + detail if detail else ''}"
                 for what, held, detail in self.checks]  # fmt: skip
        problems = sum(not held for _, held, _ in self.checks)
        lines.append("VERIFIED" if self.ok else f"NOT VERIFIED ({problems} problems)")
        return "\n".join(lines)


def audit(bundle: Json) -> Verdict:
    """Check a bundle as the module's docstring says."""
    v = Verdict()
    if bundle.get("format") != FORMAT:
        v.add("format", False, f"not a {FORMAT} bundle")
        return v
    try:
        round_ = parse_round(bundle["round"])
    except MatchingError as exc:
        v.add("the round is valid", False, str(exc)[:300])
        return v
    v.add("the round is valid", True)
    result: Json = bundle.get("result") or {}
    v.add("the round hashes to round_hash", round_hash(round_) == bundle.get("round_hash"))
    seeds = {bundle.get("seed"), round_.seed, result.get("seed")}
    v.add("the seed is the round's and the result's", len(seeds) == 1, f"{sorted(map(str, seeds))}")
    written = [io.override_to_dict(o) for o in round_.overrides]
    v.add(
        "the overrides are the round's and the result's",
        written == bundle.get("overrides", []) == result.get("overrides", []),
    )
    v.add("the mechanism is the result's", bundle.get("mechanism") == result.get("mechanism"))
    _reproduce(bundle, round_, result, v)
    _independent(round_, result, bundle, v)
    return v


def _options(bundle: Json) -> SolveOptions:
    given = bundle.get("options") or {}
    return SolveOptions(
        stability=Stability(given.get("stability") or "ignored"),
        solver=Solver(given.get("solver") or "auto"),
        time_limit=given.get("time_limit"),
    )


def _reproduce(bundle: Json, round_: Any, result: Json, v: Verdict) -> None:
    try:
        options = _options(bundle)
        start = bundle.get("rematch_of")
        if start is not None:
            before = parse_round(start["round"])
            again = rematch_document(rematch(round_, before, start["assignments"], options), before)
        else:
            again = io.result_to_dict(solve(round_, str(bundle.get("mechanism")), options))
    except (MatchingError, KeyError, TypeError, ValueError) as exc:
        v.add("solving the round again gives the result", False, str(exc)[:300])
        return
    if result.get("status") == "time_limit":
        v.add(
            "solving the round again gives the result",
            True,
            "not reproducible (the solver stopped at its time limit); the checks below decide",
        )
        return
    differ = [k for k in REPRODUCED if _kept(again, k) != _kept(result, k)]
    v.add(
        "solving the round again gives the result",
        not differ,
        f"differs in {', '.join(differ)}" if differ else "",
    )


def _kept(doc: Json, key: str) -> str:
    """A result's field as compared: a re-match's without the published
    round's hash (taken over the round with its names)."""
    value = doc.get(key)
    if key == "rematch" and isinstance(value, dict):
        value = {k: x for k, x in value.items() if k != "published"}
    return io.dumps(value)


def _independent(round_: Any, result: Json, bundle: Json, v: Verdict) -> None:
    market = encode(
        round_,
        ties_from=parse_round(bundle["rematch_of"]["round"]) if bundle.get("rematch_of") else None,
    )
    index = {pid: p for p, pid in enumerate(market.placement_ids)}
    claimed = result.get("assignments") or {}
    try:
        assignment = tuple(
            -1 if claimed[c] is None else index[claimed[c]] for c in market.candidate_ids
        )
    except KeyError as exc:
        v.add("the assignments name the round's candidates and placements", False, str(exc))
        return
    v.add(
        "the assignments name every candidate of the round",
        set(claimed) == set(market.candidate_ids),
    )
    check = verify(market, assignment)
    v.add("capacities and acceptability hold", not check.capacity_violations,
          "; ".join(check.capacity_violations[:3]))  # fmt: skip
    pairs = [[market.candidate_ids[c], market.placement_ids[p]] for c, p in check.blocking_pairs]
    v.add(
        "the blocking pairs are those claimed, and stability with them",
        pairs == result.get("blocking_pairs") and check.stable == result.get("stable"),
    )
    values = {g.id: n for g, n in zip(market.policies, check.policy_values, strict=True)}
    v.add(
        "the policy values and which are met are those claimed",
        all(
            values.get(p["id"]) == p["value"]
            and p["satisfied"]
            == (
                (p["min"] is None or p["value"] >= p["min"])
                and (p["max"] is None or p["value"] <= p["max"])
            )
            for p in result.get("policies", [])
        )
        and len(values) == len(result.get("policies", [])),
    )
    fairness = policy_stability(market, assignment, check)
    v.add("policy-stability is as claimed", fairness.policy_stable == result.get("policy_stable"))
    if check.capacity_violations:
        v.add("every explanation follows from the round and the assignments", False,
              "not derived: the assignments break capacities or acceptability")  # fmt: skip
        return
    options = _options(bundle)
    reasons = explain(market, assignment, check, options.weights, fairness)
    derived = io.dumps(
        {
            market.candidate_ids[c]: [io.explanation_to_dict(e) for e in es]
            for c, es in sorted(reasons.items())
        }
    )
    v.add("every explanation follows from the round and the assignments",
          derived == io.dumps(result.get("explanations")))  # fmt: skip


__all__ = ["FORMAT", "Verdict", "audit", "bundle_hash", "make_bundle", "redacted"]
