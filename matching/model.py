"""The domain: frozen dataclasses for a placement round and its result.

A `Round` is built only by `matching.io` after validation, so every object
here may assume its references resolve. Nothing here is ever mutated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import accumulate, chain
from typing import NamedTuple, overload

from matching.columns import Coded


class OrgKind(StrEnum):
    GOVERNMENT = "government"
    PARK = "park"
    ENTERPRISE = "enterprise"
    COLLEGE = "college"
    INSTITUTE = "institute"
    STUDIO = "studio"


class Level(StrEnum):
    """Education levels, lowest first (the order `min_level` compares in)."""

    SECONDARY_VOCATIONAL = "secondary_vocational"
    HIGHER_VOCATIONAL = "higher_vocational"
    UNDERGRADUATE = "undergraduate"
    POSTGRADUATE = "postgraduate"

    @property
    def order(self) -> int:
        return list(Level).index(self)


class LinkKind(StrEnum):
    LOCATED_IN = "located_in"
    GOVERNS = "governs"
    PARTNERSHIP = "partnership"
    HOSTED_BY = "hosted_by"
    AFFILIATED_WITH = "affiliated_with"


class CandidateKind(StrEnum):
    STUDENT = "student"
    APPRENTICE = "apprentice"
    PROJECT = "project"


class PlacementKind(StrEnum):
    APPRENTICESHIP = "apprenticeship"
    INTERNSHIP = "internship"
    RESEARCH_HOST = "research_host"


class Tier(StrEnum):
    """The four talent tiers of the Changzhou plan."""

    LEADING_SCIENTIST = "leading_scientist"
    TOP_INNOVATIVE = "top_innovative"
    YOUNG_RESERVE = "young_reserve"
    ENGINEERING_TECHNICIAN = "engineering_technician"


class PolicyKind(StrEnum):
    FLOOR = "floor"
    CEILING = "ceiling"


class Stability(StrEnum):
    """Whether the `optimal` mechanism must return a stable matching: `required`
    (and, where the policies make that impossible, the fewest blocking pairs,
    reported as `relaxed`), `relaxed` (fewest blocking pairs from the start)."""

    IGNORED = "ignored"
    REQUIRED = "required"
    RELAXED = "relaxed"


class Ranking(Sequence[tuple[str, ...]]):
    """A preference list or ranking: groups in order, most preferred first; a
    group of more than one id is a tie.

    Held as its ids in order (`ids`) and, only where some group is a tie, each
    group's size (`sizes`): a round's millions of entries are one tuple per
    list, not a 1-tuple per entry. Read as a sequence it is its groups."""

    __slots__ = ("ids", "sizes")

    def __init__(self, ids: tuple[str, ...] = (), sizes: tuple[int, ...] | None = None) -> None:
        self.ids = ids
        self.sizes = None if sizes is None or set(sizes) <= {1} else sizes

    @classmethod
    def of(cls, groups: Iterable[Iterable[str]]) -> Ranking:
        """The ranking of these groups, in order."""
        tuples = [tuple(g) for g in groups]
        return cls(tuple(chain.from_iterable(tuples)), tuple(map(len, tuples)))

    @property
    def ties(self) -> bool:
        return self.sizes is not None

    def __len__(self) -> int:
        return len(self.ids) if self.sizes is None else len(self.sizes)

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        if self.sizes is None:
            return zip(self.ids)
        ends = accumulate(self.sizes)
        return (self.ids[end - size : end] for size, end in zip(self.sizes, ends, strict=True))

    @overload
    def __getitem__(self, i: int) -> tuple[str, ...]: ...
    @overload
    def __getitem__(self, i: slice) -> tuple[tuple[str, ...], ...]: ...
    def __getitem__(self, i: int | slice) -> tuple[str, ...] | tuple[tuple[str, ...], ...]:
        if isinstance(i, slice):
            return tuple(self)[i]
        if self.sizes is None:
            return (self.ids[i],)
        return tuple(self)[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ranking):
            return NotImplemented
        return self.ids == other.ids and self.sizes == other.sizes

    def __hash__(self) -> int:
        return hash((self.ids, self.sizes))

    def __repr__(self) -> str:
        return f"Ranking.of({list(map(list, self))!r})"


@dataclass(frozen=True)
class Organization:
    id: str
    kind: OrgKind
    name: str | None = None
    level: Level | None = None
    staff: int | None = None  # an enterprise's staff on post (在岗职工), for intern_ratio


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    kind: LinkKind
    weight: float = 1.0


@dataclass(frozen=True)
class Requirements:
    """Hard eligibility conditions of a placement."""

    min_level: Level | None = None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placement:
    id: str
    host: str
    kind: PlacementKind
    capacity: int
    ranking: Ranking | None = None
    mentor: str | None = None
    skills: tuple[str, ...] = ()
    requirements: Requirements = field(default_factory=Requirements)
    # what a person reads (岗位名称, the work); never read by a mechanism
    title: str | None = None
    description: str | None = None
    staff: int | None = None  # staff on this post (同类岗位职工), for intern_ratio


@dataclass(frozen=True)
class Mentor:
    id: str
    capacity: int
    ranking: Ranking | None = None


@dataclass(frozen=True)
class Candidate:
    id: str
    kind: CandidateKind
    preferences: Ranking
    college: str | None = None
    institute: str | None = None
    tier: Tier | None = None
    level: Level | None = None
    skills: tuple[str, ...] = ()
    # who the person is (姓名, 学号 or 工号, unique within the college or
    # institute); never read by a mechanism
    name: str | None = None
    number: str | None = None

    @property
    def affiliation(self) -> str | None:
        """The organization the candidate comes from (college first)."""
        return self.college if self.college is not None else self.institute


# A selector: attribute → accepted values (any of), sorted by attribute.
Selector = tuple[tuple[str, tuple[str, ...]], ...]

PLACEMENT_ATTRIBUTES = ("governed_by", "host", "id", "kind", "mentor", "park")
CANDIDATE_ATTRIBUTES = ("college", "governed_by", "id", "institute", "kind", "level", "tier")


@dataclass(frozen=True)
class Policy:
    """A floor (`min`) or ceiling (`max`) on the number of assigned pairs whose
    placement matches `placements` and whose candidate matches `candidates`."""

    id: str
    kind: PolicyKind
    min: int | None = None
    max: int | None = None
    placements: Selector = ()
    candidates: Selector = ()


class OverrideKind(StrEnum):
    """A coordinator's override: `pin` places the candidate at the placement
    before any mechanism runs (a seat of it, and of its mentor, used); `forbid`
    makes the pair unacceptable."""

    PIN = "pin"
    FORBID = "forbid"


class OverrideReason(StrEnum):
    """The reason codes an override must carry (the note says the rest)."""

    HARDSHIP = "hardship"
    HEALTH = "health"
    DISABILITY = "disability"
    LEGAL = "legal"
    OTHER = "other"


@dataclass(frozen=True)
class Override:
    """A coordinator's decision about one pair, with who made it and why. A
    pin places a candidate only at a placement it lists (never where it did
    not ask to go), whatever the placement's ranking or the graph's rules say."""

    candidate: str
    placement: str
    kind: OverrideKind
    reason: OverrideReason
    note: str | None = None
    by: str | None = None  # who decided (a person's or an office's name)


@dataclass(frozen=True)
class Rules:
    """Round-wide eligibility rules resolved through the consortium graph."""

    max_distance: int | None = None
    # the internship regulation's ceilings (职业学校学生实习管理规定, 2021, art. 16):
    # interns at most 10 % of an enterprise's staff and 20 % of a post's
    intern_ratio: bool = False


@dataclass(frozen=True, eq=False)
class Columns:
    """What validation read of a round's lists as integers (`matching.columns`):
    the candidates' preferences (a row per candidate, placements by their
    position) and the placements' rankings (a row per placement, empty without
    a ranking; candidates by their position), each None where it was not read
    so (a tie group among them)."""

    preferences: Coded | None = None
    rankings: Coded | None = None


@dataclass(frozen=True)
class Round:
    id: str
    seed: int
    organizations: tuple[Organization, ...]
    links: tuple[Link, ...]
    placements: tuple[Placement, ...]
    candidates: tuple[Candidate, ...]
    mentors: tuple[Mentor, ...] = ()
    policies: tuple[Policy, ...] = ()
    rules: Rules = field(default_factory=Rules)
    stability: Stability = Stability.IGNORED
    overrides: tuple[Override, ...] = ()
    # set by validation only; a round built otherwise (or by `replace`) has none
    columns: Columns = field(default=Columns(), init=False, compare=False, repr=False)

    @property
    def generated_policies(self) -> tuple[Policy, ...]:
        """The ceilings the round's rules add to its written policies: with
        `intern_ratio`, interns (placed at internships) at most staff // 10 per
        enterprise with a `staff` count and staff // 5 per internship with one."""
        if not self.rules.intern_ratio:
            return ()
        out = [
            Policy(
                f"{INTERN_RATIO}{o.id}",
                PolicyKind.CEILING,
                max=o.staff // 10,
                placements=(("host", (o.id,)), ("kind", (PlacementKind.INTERNSHIP.value,))),
            )
            for o in self.organizations
            if o.staff is not None
        ]
        out += [
            Policy(
                f"{INTERN_RATIO}{p.id}",
                PolicyKind.CEILING,
                max=p.staff // 5,
                placements=(("id", (p.id,)),),
            )
            for p in self.placements
            if p.staff is not None and p.kind is PlacementKind.INTERNSHIP
        ]
        return tuple(out)

    @property
    def all_policies(self) -> tuple[Policy, ...]:
        """The written policies, then the generated ones."""
        return self.policies + self.generated_policies


# a generated policy's id: this prefix and its enterprise's or internship's id
INTERN_RATIO = "intern-ratio:"


# ---------------------------------------------------------------- the result


class Status(StrEnum):
    """How a mechanism ended. The solver backends translate into these."""

    OPTIMAL = "optimal"  # proven optimal (or the unique output of a stable algorithm)
    TIME_LIMIT = "time_limit"  # best solution found before the limit, with its gap
    INFEASIBLE = "infeasible"  # the policies cannot all hold; `conflicts` names them


class Reason(StrEnum):
    NOT_ACCEPTABLE = "not_acceptable"
    INELIGIBLE = "ineligible"
    FULL = "full"
    MENTOR_FULL = "mentor_full"
    POLICY = "policy"
    WELFARE = "welfare"
    # only in rounds with overrides (Round.overrides)
    FORBIDDEN = "forbidden"  # the coordinator forbade the pair
    PINNED = "pinned"  # a pin holds the seat (`cutoff`: the pinned candidate), or holds c


class Explanation(NamedTuple):
    """Why a candidate did not get `placement`, which it ranks above its assignment.

    Immutable like the dataclasses here, but a tuple: a large round has
    hundreds of thousands of these, and tuples are several times cheaper to make."""

    placement: str
    reason: Reason
    cutoff: str | None = None
    rule: str | None = None
    mentor: str | None = None
    policy: str | None = None
    gain: float | None = None


@dataclass(frozen=True)
class PolicyStatus:
    id: str
    satisfied: bool
    value: int
    min: int | None
    max: int | None
    generated: bool = False  # added by the round's rules (Round.generated_policies)


@dataclass(frozen=True)
class Result:
    round: str
    mechanism: str
    seed: int
    status: Status
    assignments: tuple[tuple[str, str | None], ...]
    stable: bool
    blocking_pairs: tuple[tuple[str, str], ...]
    policies: tuple[PolicyStatus, ...]
    capacity_violations: tuple[str, ...]
    metrics: Metrics
    explanations: tuple[tuple[str, tuple[Explanation, ...]], ...]
    objective: float
    gap: float | None = None
    conflicts: tuple[str, ...] = ()
    stability: Stability = Stability.IGNORED
    solver: str | None = None
    input_hash: str = ""
    # each blocking pair excused by a policy (with its id) or not; policy-stable:
    # every policy met and no pair unexcused (matching.verify.PolicyStability)
    policy_stable: bool = False
    excused: tuple[tuple[str, str, str], ...] = ()
    unexcused: tuple[tuple[str, str], ...] = ()
    # the round's overrides, and each pair that would block but for a pin:
    # (candidate, placement, the pinned candidate p ranks below it)
    overrides: tuple[Override, ...] = ()
    blocked_by_pins: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class GroupFill:
    """Matched count against a base (capacity for placements, size for candidates)."""

    matched: int
    total: int

    @property
    def rate(self) -> float:
        return self.matched / self.total if self.total else 0.0


@dataclass(frozen=True)
class Metrics:
    matched: int
    unmatched: int
    capacity: int
    rank_histogram: tuple[tuple[int, int], ...]
    mean_rank: float | None
    welfare: float
    by_park: tuple[tuple[str, GroupFill], ...]
    by_college: tuple[tuple[str, GroupFill], ...]
    by_kind: tuple[tuple[str, GroupFill], ...]
    by_tier: tuple[tuple[str, GroupFill], ...]

    @property
    def fill_rate(self) -> float:
        return self.matched / self.capacity if self.capacity else 0.0
