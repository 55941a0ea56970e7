"""Turn a raw round document (parsed JSON) into a validated, immutable `Round`.

Every problem is collected in one pass and raised once as `InvalidRound`, each
naming the field and the id (``candidates['s1'].preferences: unknown placement
'p9'``). Fields the contract does not know are ignored; fields it knows are
checked for type, range and reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from enum import StrEnum
from itertools import chain

import numpy as np

from matching.columns import Coded
from matching.errors import InvalidRound, Problem
from matching.model import (
    CANDIDATE_ATTRIBUTES,
    INTERN_RATIO,
    PLACEMENT_ATTRIBUTES,
    Candidate,
    CandidateKind,
    Columns,
    Level,
    Link,
    LinkKind,
    Mentor,
    Organization,
    OrgKind,
    Override,
    OverrideKind,
    OverrideReason,
    Placement,
    PlacementKind,
    Policy,
    PolicyKind,
    Ranking,
    Requirements,
    Round,
    Rules,
    Selector,
    Stability,
    Tier,
)
from matching.readers import (
    MAX_NAME_LENGTH,
    MAX_SEED,
    Collector,
    read_records,
    records_index,
    show,
    valid_enums,
    valid_strings,
    valid_texts,
)


def parse_round(doc: object, *, whole: bool = True) -> Round:
    """Validate a parsed round document and build the `Round`, or raise `InvalidRound`.

    `whole=False` checks a part of a round (some records and what they
    reference, as the service does for each write) by the same rules, without
    requiring the round to have candidates and placements."""
    c = Collector()
    if not isinstance(doc, dict):
        raise InvalidRound([Problem("round", f"must be a JSON object, got {show(doc)}")])
    round_id = c.id_(doc.get("id"), "id")
    seed = (
        0
        if doc.get("seed") is None
        else c.integer(doc.get("seed"), "seed", minimum=0, maximum=MAX_SEED)
    )
    stability = Stability.IGNORED
    if doc.get("stability") is not None:
        stability = c.enum(Stability, doc.get("stability"), "stability") or Stability.IGNORED

    organizations = _organizations(c, doc)
    links = _links(c, doc, organizations)
    mentors = _mentors(c, doc)
    # each id as its position among its list's sorted ids, where the list is
    # good: rankings and preferences that name only such ids are read as integers
    indexes = {key: records_index(doc, key) for key in ("candidates", "placements")}
    placements = _placements(c, doc, organizations, mentors, indexes)
    candidates = _candidates(c, doc, organizations, indexes)
    _check_references(c, placements, candidates, mentors)
    policies = _policies(c, doc, organizations, placements, candidates, mentors)
    rules = _rules(c, doc)
    overrides = _overrides(c, doc, placements, candidates, mentors)

    for key in ("candidates", "placements"):
        if whole and isinstance(doc.get(key), list) and not c.declared.get(key):
            c.add(key, f"the round has no {key}")
    if c.problems or round_id is None or seed is None:
        raise InvalidRound(c.problems)
    r = Round(
        id=round_id,
        seed=seed,
        organizations=tuple(sorted(organizations.values(), key=lambda o: o.id)),
        links=tuple(sorted(links, key=lambda k: (k.source, k.target, k.kind))),
        placements=tuple(sorted(placements.values(), key=lambda p: p.id)),
        candidates=tuple(sorted(candidates.values(), key=lambda x: x.id)),
        mentors=tuple(sorted(mentors.values(), key=lambda m: m.id)),
        policies=tuple(sorted(policies, key=lambda p: p.id)),
        rules=rules,
        stability=stability,
        overrides=tuple(sorted(overrides, key=lambda o: (o.candidate, o.placement))),
    )
    columns = Columns(c.coded.get("candidates"), c.coded.get("placements"))
    object.__setattr__(r, "columns", columns)  # the one place it is set (init=False)
    return r


def _organizations(c: Collector, doc: dict[str, object]) -> dict[str, Organization]:
    out: dict[str, Organization] = {}
    for ident, at, rec in read_records(c, doc, "organizations", required=False):
        kind = c.enum(OrgKind, rec.get("kind"), f"{at}.kind")
        level = None if (v := rec.get("level")) is None else c.enum(Level, v, f"{at}.level")
        name = c.text(rec.get("name"), f"{at}.name", MAX_NAME_LENGTH)
        staff = _staff(c, rec, at)
        if staff is not None and kind is not None and kind is not OrgKind.ENTERPRISE:
            c.add(f"{at}.staff", f"only an enterprise has staff, not a {kind}")
        if kind is not None:
            out[ident] = Organization(ident, kind, name, level, staff)
    return out


def _links(c: Collector, doc: dict[str, object], orgs: dict[str, Organization]) -> list[Link]:
    raw = doc.get("links")
    out: list[Link] = []
    seen: set[tuple[str, str, str]] = set()
    for i, rec in enumerate((c.list_(raw, "links") or []) if raw is not None else []):
        at = f"links[{i}]"
        if not isinstance(rec, dict):
            c.add(at, f"must be an object, got {show(rec)}")
            continue
        ends = [c.id_(rec.get(end), f"{at}.{end}") for end in ("source", "target")]
        for end, ident in zip(("source", "target"), ends, strict=True):
            if ident is not None and ident not in c.declared.get("organizations", orgs):
                c.add(f"{at}.{end}", f"unknown organization {ident!r}")
        kind = c.enum(LinkKind, rec.get("kind"), f"{at}.kind")
        weight = _weight(c, rec.get("weight", 1.0), f"{at}.weight")
        source, target = ends
        if source is None or target is None or kind is None or weight is None:
            continue
        if source == target:
            c.add(at, f"links {source!r} to itself")
            continue
        if (source, target, kind) in seen:
            c.add(at, f"duplicate {kind} link {source!r} → {target!r}")
            continue
        seen.add((source, target, kind))
        out.append(Link(source, target, kind, weight))
    return out


def _weight(c: Collector, value: object, where: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        c.add(where, f"must be a number in (0, 1], got {show(value)}")
        return None
    if not math.isfinite(value) or not 0 < value <= 1:
        c.add(where, f"must be a finite number in (0, 1], got {show(value)}")
        return None
    return float(value)


def _mentors(c: Collector, doc: dict[str, object]) -> dict[str, Mentor]:
    out: dict[str, Mentor] = {}
    for ident, at, rec in read_records(c, doc, "mentors", required=False):
        capacity = c.integer(rec.get("capacity"), f"{at}.capacity", minimum=1)
        ranking = None if (v := rec.get("ranking")) is None else c.ranking(v, f"{at}.ranking")
        if capacity is not None:
            out[ident] = Mentor(ident, capacity, ranking)
    return out


def _requirements(c: Collector, value: object, at: str) -> Requirements:
    if value is None:
        return Requirements()
    if not isinstance(value, dict):
        c.add(at, f"must be an object, got {show(value)}")
        return Requirements()
    level = None if (v := value.get("min_level")) is None else c.enum(Level, v, f"{at}.min_level")
    return Requirements(level, c.strings(value.get("skills"), f"{at}.skills"))


def _placements(
    c: Collector,
    doc: dict[str, object],
    orgs: dict[str, Organization],
    mentors: dict[str, Mentor],
    indexes: dict[str, dict[str, int] | None],
) -> dict[str, Placement]:
    out: dict[str, Placement] = {}
    records = read_records(c, doc, "placements", required=True)
    ranked = [(i, at, rec["ranking"]) for i, at, rec in records if rec.get("ranking") is not None]
    read, c.named["placements"], coded = c.rankings(
        [v for _, _, v in ranked], [f"{at}.ranking" for _, at, _ in ranked], indexes["candidates"]
    )
    _keep(c, "placements", coded, [i for i, _, _ in ranked], indexes["placements"])
    rankings = iter(read)
    for ident, at, rec in records:
        host = c.id_(rec.get("host"), f"{at}.host")
        if host is not None and host not in c.declared.get("organizations", orgs):
            c.add(f"{at}.host", f"unknown organization {host!r}")
        kind = c.enum(PlacementKind, rec.get("kind"), f"{at}.kind")
        capacity = c.integer(rec.get("capacity"), f"{at}.capacity", minimum=1)
        ranking = None if rec.get("ranking") is None else next(rankings)
        mentor = None if (v := rec.get("mentor")) is None else c.id_(v, f"{at}.mentor")
        if mentor is not None and mentor not in c.declared.get("mentors", set()):
            c.add(f"{at}.mentor", f"unknown mentor {mentor!r}")
        skills = c.strings(rec.get("skills"), f"{at}.skills")
        requirements = _requirements(c, rec.get("requirements"), f"{at}.requirements")
        title = c.text(rec.get("title"), f"{at}.title", MAX_NAME_LENGTH)
        description = c.text(rec.get("description"), f"{at}.description")
        staff = _staff(c, rec, at)
        if host is None or kind is None or capacity is None:
            continue
        out[ident] = Placement(
            ident,
            host,
            kind,
            capacity,
            ranking,
            mentor,
            skills,
            requirements,
            title,
            description,
            staff,
        )
    return out


def _keep(
    c: Collector, key: str, coded: Coded | None, ids: list[str], index: dict[str, int] | None
) -> None:
    """Keep the rankings `coded` of the records `ids` of list `key`, a row per
    record in `index`'s order (rows of the records without one empty)."""
    if coded is not None and index is not None:
        rows = np.fromiter(map(index.__getitem__, ids), np.int64, len(ids))
        c.coded[key] = coded.reordered(rows, len(index))


def _candidates(
    c: Collector,
    doc: dict[str, object],
    orgs: dict[str, Organization],
    indexes: dict[str, dict[str, int] | None],
) -> dict[str, Candidate]:
    out: dict[str, Candidate] = {}
    records = read_records(c, doc, "candidates", required=True)
    numbers: dict[tuple[tuple[str | None, str | None], str], str] = {}
    for _, at, rec in records:
        if "preferences" not in rec:
            c.add(f"{at}.preferences", "missing")
    all_preferences, c.named["candidates"], coded = c.rankings(
        [rec.get("preferences", []) for _, _, rec in records],
        [f"{at}.preferences" for _, at, _ in records],
        indexes["placements"],
    )
    _keep(c, "candidates", coded, [i for i, _, _ in records], indexes["candidates"])
    fast = _candidate_columns(records, all_preferences, orgs)
    if fast is not None:
        return fast
    for (ident, at, rec), preferences in zip(records, all_preferences, strict=True):
        kind = c.enum(CandidateKind, rec.get("kind"), f"{at}.kind")
        affiliations: dict[str, str | None] = {}
        for key, org_kind in (("college", OrgKind.COLLEGE), ("institute", OrgKind.INSTITUTE)):
            org = None if (v := rec.get(key)) is None else c.id_(v, f"{at}.{key}")
            if org is not None and (org not in orgs or orgs[org].kind != org_kind):
                c.add(f"{at}.{key}", f"unknown {org_kind} {org!r}")
            affiliations[key] = org
        tier = None if (v := rec.get("tier")) is None else c.enum(Tier, v, f"{at}.tier")
        level = None if (v := rec.get("level")) is None else c.enum(Level, v, f"{at}.level")
        skills = c.strings(rec.get("skills"), f"{at}.skills")
        name = c.text(rec.get("name"), f"{at}.name", MAX_NAME_LENGTH)
        number = c.text(rec.get("number"), f"{at}.number", MAX_NAME_LENGTH)
        if number is not None:
            # 学号 / 工号: one person per number within the college or institute
            owner = (affiliations["college"], affiliations["institute"])
            if (owner, number) in numbers:
                c.add(
                    f"{at}.number",
                    f"number {number!r} is also candidate {numbers[owner, number]!r}'s",
                )
            numbers[owner, number] = ident
        if kind is None or preferences is None:
            continue
        out[ident] = Candidate(
            ident,
            kind,
            preferences,
            affiliations["college"],
            affiliations["institute"],
            tier,
            level,
            skills,
            name,
            number,
        )
    return out


def _candidate_columns(
    records: list[tuple[str, str, dict[str, object]]],
    all_preferences: list[Ranking | None],
    orgs: dict[str, Organization],
) -> dict[str, Candidate] | None:
    """The candidates when every field of every record is good, read a field
    at a time (a national round's 100,000 records in a tenth of the time);
    None when any is not, for `_candidates` to read them one by one and name
    each problem."""
    recs = [rec for _, _, rec in records]

    def column(key: str) -> list[object]:
        return [rec.get(key) for rec in recs]

    def of_kind(key: str, kind: OrgKind) -> list[object] | None:
        values = column(key)
        try:
            named = set(values) - {None}
        except TypeError:  # an unhashable value
            return None
        return values if all(o in orgs and orgs[o].kind is kind for o in named) else None

    kinds = valid_enums(CandidateKind, column("kind"), optional=False)
    tiers = valid_enums(Tier, column("tier"), optional=True)
    levels = valid_enums(Level, column("level"), optional=True)
    colleges = of_kind("college", OrgKind.COLLEGE)
    institutes = of_kind("institute", OrgKind.INSTITUTE)
    skills = valid_strings(column("skills"))
    names, numbers = column("name"), column("number")
    if (
        kinds is None
        or tiers is None
        or levels is None
        or colleges is None
        or institutes is None
        or skills is None
        or any(p is None for p in all_preferences)  # by identity: no __eq__ per ranking
        or not valid_texts(names, MAX_NAME_LENGTH)
        or not valid_texts(numbers, MAX_NAME_LENGTH)
    ):
        return None
    numbered = [
        (college, institute, number)
        for college, institute, number in zip(colleges, institutes, numbers, strict=True)
        if number is not None
    ]
    if len(set(numbered)) != len(numbered):  # 学号 / 工号 twice within a college or institute
        return None
    columns = zip(
        records,
        kinds,
        all_preferences,
        colleges,
        institutes,
        tiers,
        levels,
        skills,
        names,
        numbers,
        strict=True,
    )
    return {ident: Candidate(ident, *fields) for (ident, _, _), *fields in columns}


def _check_references(
    c: Collector,
    placements: dict[str, Placement],
    candidates: dict[str, Candidate],
    mentors: dict[str, Mentor],
) -> None:
    # A list that is missing or not a list declares nothing: its references are not checked.
    known_placements = c.declared.get("placements")
    known_candidates = c.declared.get("candidates")
    # Every id named at once (each distinct id once, where `rankings` read
    # them in one go); the lists are walked only to name the field of an
    # unknown one.
    named: Iterable[str] | None = c.named.get("candidates")
    if named is None:
        named = chain.from_iterable(x.preferences.ids for x in candidates.values())
    if known_placements is not None and not known_placements.issuperset(named):
        for cand in candidates.values():
            for pid in cand.preferences.ids:
                if pid not in known_placements:
                    c.add(f"candidates[{cand.id!r}].preferences", f"unknown placement {pid!r}")
    rankings = list(_rankings(placements, mentors))
    by_placements = c.named.get("placements")
    if by_placements is None:
        named = chain.from_iterable(ranking.ids for _, ranking, _ in rankings)
    else:
        named = chain(
            by_placements, *(m.ranking.ids for m in mentors.values() if m.ranking is not None)
        )
    if known_candidates is not None and not known_candidates.issuperset(named):
        for _owner, ranking, at in rankings:
            for cid in ranking.ids:
                if cid not in known_candidates:
                    c.add(f"{at}.ranking", f"unknown candidate {cid!r}")
    for p in placements.values():
        mentor = mentors.get(p.mentor) if p.mentor is not None else None
        if mentor is not None and mentor.ranking is not None and p.ranking is not None:
            _check_agreement(c, p, mentor)


def _rankings(
    placements: dict[str, Placement], mentors: dict[str, Mentor]
) -> Iterable[tuple[str, Ranking, str]]:
    for p in placements.values():
        if p.ranking is not None:
            yield p.id, p.ranking, f"placements[{p.id!r}]"
    for m in mentors.values():
        if m.ranking is not None:
            yield m.id, m.ranking, f"mentors[{m.id!r}]"


def _check_agreement(c: Collector, p: Placement, mentor: Mentor) -> None:
    """A mentor-led placement's own ranking must not order two candidates
    against its mentor's ranking, and may only rank whom the mentor ranks."""
    assert mentor.ranking is not None and p.ranking is not None
    mentor_group = {cid: g for g, group in enumerate(mentor.ranking) for cid in group}
    at = f"placements[{p.id!r}].ranking"
    previous: tuple[str, int] | None = None
    for group in p.ranking:
        for cid in group:
            if cid not in mentor_group:
                c.add(at, f"ranks {cid!r}, whom its mentor {mentor.id!r} does not rank")
        known = [(cid, mentor_group[cid]) for cid in group if cid in mentor_group]
        if not known:
            continue
        best = min(known, key=lambda item: item[1])
        if previous is not None and best[1] < previous[1]:
            c.add(
                at,
                f"ranks {previous[0]!r} above {best[0]!r}, contradicting the ranking of "
                f"mentor {mentor.id!r}",
            )
        previous = max(known, key=lambda item: item[1])


def _selector(
    c: Collector,
    value: object,
    at: str,
    allowed: tuple[str, ...],
    check: Callable[[str, str], str | None],
) -> Selector:
    if value is None:
        return ()
    if not isinstance(value, dict):
        c.add(at, f"must be an object, got {show(value)}")
        return ()
    out: list[tuple[str, tuple[str, ...]]] = []
    for attr in sorted(value):
        raw = value[attr]
        if attr not in allowed:
            c.add(f"{at}.{attr}", f"unknown attribute (allowed: {', '.join(allowed)})")
            continue
        items = raw if isinstance(raw, list) else [raw]
        values: list[str] = []
        for item in items:
            ident = c.id_(item, f"{at}.{attr}")
            if ident is None:
                continue
            problem = check(attr, ident)
            if problem:
                c.add(f"{at}.{attr}", problem)
            values.append(ident)
        out.append((attr, tuple(sorted(set(values)))))
    return tuple(out)


def _policies(
    c: Collector,
    doc: dict[str, object],
    orgs: dict[str, Organization],
    placements: dict[str, Placement],
    candidates: dict[str, Candidate],
    mentors: dict[str, Mentor],
) -> list[Policy]:
    def is_org(kind: OrgKind | None, ident: str, what: str) -> str | None:
        org = orgs.get(ident)
        if org is None or (kind is not None and org.kind != kind):
            return f"unknown {what} {ident!r}"
        return None

    def enum_problem(cls: type[StrEnum], ident: str) -> str | None:
        if ident in {m.value for m in cls}:
            return None
        return f"unknown value {ident!r} (allowed: {', '.join(m.value for m in cls)})"

    def check_placement(attr: str, ident: str) -> str | None:
        match attr:
            case "park":
                return is_org(OrgKind.PARK, ident, "park")
            case "host":
                return is_org(None, ident, "organization")
            case "governed_by":
                return is_org(OrgKind.GOVERNMENT, ident, "government")
            case "kind":
                return enum_problem(PlacementKind, ident)
            case "mentor":
                return None if ident in mentors else f"unknown mentor {ident!r}"
            case "id":
                return None if ident in placements else f"unknown placement {ident!r}"
        raise AssertionError(attr)

    def check_candidate(attr: str, ident: str) -> str | None:
        match attr:
            case "college":
                return is_org(OrgKind.COLLEGE, ident, "college")
            case "institute":
                return is_org(OrgKind.INSTITUTE, ident, "institute")
            case "governed_by":
                return is_org(OrgKind.GOVERNMENT, ident, "government")
            case "kind":
                return enum_problem(CandidateKind, ident)
            case "tier":
                return enum_problem(Tier, ident)
            case "level":
                return enum_problem(Level, ident)
            case "id":
                return None if ident in candidates else f"unknown candidate {ident!r}"
        raise AssertionError(attr)

    out: list[Policy] = []
    for ident, at, rec in read_records(c, doc, "policies", required=False):
        if ident.startswith(INTERN_RATIO):
            c.add(f"{at}.id", f"ids beginning {INTERN_RATIO!r} are the generated ceilings'")
        kind = c.enum(PolicyKind, rec.get("kind"), f"{at}.kind")
        low = None if (v := rec.get("min")) is None else c.integer(v, f"{at}.min", minimum=0)
        high = None if (v := rec.get("max")) is None else c.integer(v, f"{at}.max", minimum=0)
        if kind is PolicyKind.FLOOR and rec.get("min") is None:
            c.add(f"{at}.min", "a floor needs min")
        if kind is PolicyKind.CEILING and rec.get("max") is None:
            c.add(f"{at}.max", "a ceiling needs max")
        if low is not None and high is not None and low > high:
            c.add(at, f"floor min {low} is above ceiling max {high}")
        sel_p = _selector(
            c, rec.get("placements"), f"{at}.placements", PLACEMENT_ATTRIBUTES, check_placement
        )
        sel_c = _selector(
            c, rec.get("candidates"), f"{at}.candidates", CANDIDATE_ATTRIBUTES, check_candidate
        )
        if kind is not None:
            out.append(Policy(ident, kind, low, high, sel_p, sel_c))
    _check_floor_above_ceiling(c, out)
    return out


def _check_floor_above_ceiling(c: Collector, policies: list[Policy]) -> None:
    """A floor over a group whose ceiling (same selectors) is lower can never hold."""
    ceilings: dict[tuple[Selector, Selector], Policy] = {}
    for p in policies:
        if p.max is not None:
            key = (p.placements, p.candidates)
            if key not in ceilings or p.max < (ceilings[key].max or 0):
                ceilings[key] = p
    for p in policies:
        cap = ceilings.get((p.placements, p.candidates))
        if p.min is None or cap is None or cap is p or cap.max is None:
            continue
        if p.min > cap.max:
            c.add(
                f"policies[{p.id!r}].min",
                f"floor {p.min} is above ceiling {cap.id!r} max {cap.max} on the same group",
            )


def _rules(c: Collector, doc: dict[str, object]) -> Rules:
    raw = doc.get("rules")
    if raw is None:
        return Rules()
    if not isinstance(raw, dict):
        c.add("rules", f"must be an object, got {show(raw)}")
        return Rules()
    v = raw.get("max_distance")
    distance = None if v is None else c.integer(v, "rules.max_distance", minimum=0)
    ratio = raw.get("intern_ratio", False)
    if not isinstance(ratio, bool):
        c.add("rules.intern_ratio", f"must be true or false, got {show(ratio)}")
        ratio = False
    return Rules(max_distance=distance, intern_ratio=ratio)


def _overrides(
    c: Collector,
    doc: dict[str, object],
    placements: dict[str, Placement],
    candidates: dict[str, Candidate],
    mentors: dict[str, Mentor],
) -> list[Override]:
    """The coordinator's pins and forbidden pairs: one override per pair, one
    pin per candidate, a pin only where the candidate asked to go, and no more
    pins at a placement or a mentor than it has seats."""
    raw = doc.get("overrides")
    out: list[Override] = []
    pairs: set[tuple[str, str]] = set()
    pinned: set[str] = set()
    taken: dict[str, int] = {}
    for i, rec in enumerate((c.list_(raw, "overrides") or []) if raw is not None else []):
        at = f"overrides[{i}]"
        if not isinstance(rec, dict):
            c.add(at, f"must be an object, got {show(rec)}")
            continue
        cid = c.id_(rec.get("candidate"), f"{at}.candidate")
        pid = c.id_(rec.get("placement"), f"{at}.placement")
        kind = c.enum(OverrideKind, rec.get("kind"), f"{at}.kind")
        reason = c.enum(OverrideReason, rec.get("reason"), f"{at}.reason")
        note = c.text(rec.get("note"), f"{at}.note")
        by = c.text(rec.get("by"), f"{at}.by", MAX_NAME_LENGTH)
        if cid is not None and cid not in candidates:
            c.add(f"{at}.candidate", f"unknown candidate {cid!r}")
            continue
        if pid is not None and pid not in placements:
            c.add(f"{at}.placement", f"unknown placement {pid!r}")
            continue
        if cid is None or pid is None or kind is None or reason is None:
            continue
        if (cid, pid) in pairs:
            c.add(at, f"a second override of candidate {cid!r} at placement {pid!r}")
            continue
        pairs.add((cid, pid))
        if kind is OverrideKind.PIN:
            if pid not in candidates[cid].preferences.ids:
                c.add(
                    f"{at}.placement",
                    f"candidate {cid!r} does not list placement {pid!r}; a pin places a "
                    "candidate only where they asked to go",
                )
                continue
            if cid in pinned:
                c.add(f"{at}.candidate", f"candidate {cid!r} is already pinned")
                continue
            pinned.add(cid)
            placement = placements[pid]
            for key, limit, what in (
                (pid, placement.capacity, "placement"),
                (placement.mentor, None, "mentor"),
            ):
                if key is None:
                    continue
                cap = limit if limit is not None else mentors[key].capacity if key in mentors else 0
                taken[f"{what}:{key}"] = n = taken.get(f"{what}:{key}", 0) + 1
                if n > cap:
                    c.add(f"{at}.placement", f"more pins than {what} {key!r} has seats ({cap})")
        out.append(Override(cid, pid, kind, reason, note, by))
    return out


def _staff(c: Collector, rec: dict[str, object], at: str) -> int | None:
    v = rec.get("staff")
    return None if v is None else c.integer(v, f"{at}.staff", minimum=1)
