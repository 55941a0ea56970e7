"""Request and response bodies. Bodies use the round contract's field names and
refuse fields they do not know (a body cannot set its own host, college,
consortium, status or version)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from api.rankings import Rule
from api.storage import mapping
from matching.base import MechanismName, SolveOptions, Solver
from matching.changes import ChangeKind
from matching.model import (
    CandidateKind,
    Level,
    LinkKind,
    OrgKind,
    OverrideKind,
    OverrideReason,
    PlacementKind,
    PolicyKind,
    Stability,
    Tier,
)
from matching.readers import (
    ID_CONTROLS,
    MAX_COUNT,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SEED,
    MAX_TEXT_LENGTH,
)

# The engine's id rule: non-empty, at most 200 characters, no control characters
# (pydantic refuses lone surrogates in any string already). Ids in a path obey
# it too, so no write can store an id that the round's validation refuses.
ID_PATTERN = f"^[^{ID_CONTROLS}]+$"
# a description may hold line breaks (\n), no other control character
TEXT_PATTERN = "^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$"
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
PathId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]
RankingItem = Id | Annotated[list[Id], Field(min_length=1)]
Ranking = Annotated[list[RankingItem], Field(max_length=100_000)]
# what a person reads: a name, a number, a title (one line), a description (lines)
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH, pattern=ID_PATTERN)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH, pattern=TEXT_PATTERN)]
Skills = Annotated[
    list[Annotated[str, Field(max_length=MAX_NAME_LENGTH, pattern=TEXT_PATTERN)]],
    Field(max_length=100),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationIn(Body):
    id: Id
    kind: OrgKind
    name: Name | None = None
    level: Level | None = None
    staff: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = None


class LinkIn(Body):
    source: Id
    target: Id
    kind: LinkKind
    weight: Annotated[StrictFloat | StrictInt, Field(gt=0, le=1)] = 1.0


class TokenIn(Body):
    """A token for an organization's automation: named, expiring (days)."""

    organization: Id
    name: Name | None = None
    expires_in_days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None


Password = Annotated[str, Field(min_length=10, max_length=200)]
Login = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\s\x00-\x1f\x7f]+$")]


class PersonIn(Body):
    """A person of an organization: a sign-in name (unique), the name shown
    in the audit trail, admin or staff, a first password (10 characters at least)."""

    login: Login
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=ID_PATTERN)]
    role: Literal["admin", "staff"] = "staff"
    password: Password


class PersonPatch(Body):
    name: (
        Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=ID_PATTERN)] | None
    ) = None
    role: Literal["admin", "staff"] | None = None
    disabled: StrictBool | None = None


class PasswordIn(Body):
    password: Password


class PasswordChangeIn(Body):
    current: Annotated[str, Field(max_length=200)]
    password: Password


class SignInIn(Body):
    login: Annotated[str, Field(max_length=200)]
    password: Annotated[str, Field(max_length=200)]


Ids = Id | Annotated[list[Id], Field(min_length=1, max_length=10_000)]


class PlacementSelector(Body):
    park: Ids | None = None
    host: Ids | None = None
    kind: Ids | None = None
    mentor: Ids | None = None
    governed_by: Ids | None = None
    id: Ids | None = None


class CandidateSelector(Body):
    college: Ids | None = None
    institute: Ids | None = None
    kind: Ids | None = None
    tier: Ids | None = None
    level: Ids | None = None
    governed_by: Ids | None = None
    id: Ids | None = None


class PolicyIn(Body):
    """Shape only: references, and floors against ceilings, are checked by the
    engine when the round closes."""

    id: Id
    kind: PolicyKind
    min: Count | None = None
    max: Count | None = None
    placements: PlacementSelector | None = None
    candidates: CandidateSelector | None = None


class RulesIn(Body):
    max_distance: Count | None = None
    intern_ratio: StrictBool | None = None


class RoundIn(Body):
    id: Id
    seed: Annotated[StrictInt, Field(ge=0, le=MAX_SEED)] = 0
    rules: RulesIn = Field(default_factory=RulesIn)
    stability: Stability = Stability.IGNORED
    policies: Annotated[list[PolicyIn], Field(max_length=1000)] = Field(default_factory=list)


class RequirementsIn(Body):
    min_level: Level | None = None
    skills: Skills = Field(default_factory=list)


class PlacementIn(Body):
    kind: PlacementKind
    capacity: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)]
    mentor: Id | None = None
    skills: Skills = Field(default_factory=list)
    requirements: RequirementsIn = Field(default_factory=RequirementsIn)
    ranking: Ranking | None = None
    title: Name | None = None
    description: Text | None = None
    staff: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = None

    def stored(self) -> dict[str, Any]:
        """The placement's stored columns (id, host, round and version aside)."""
        body = self.model_dump(mode="json")
        # stored as a round document writes them: no requirement, no key (a
        # form that sends "skills": [] must not change a placement it re-saves)
        body["requirements"] = self.requirements.model_dump(mode="json", exclude_defaults=True)
        return {f: body[f] for f in mapping.PLACEMENT if f in body and f != "id"}


class PlacementItem(PlacementIn):
    """A placement of a batch: its id, and for one already stored the version it was read at."""

    id: Id
    version: Annotated[StrictInt, Field(ge=1)] | None = None


class PlacementsIn(Body):
    placements: Annotated[list[PlacementItem], Field(min_length=1, max_length=20_000)]


class RankingIn(Body):
    """A placement's ranking. With `then`, the applicants it does not name and
    `left_out` does not list follow it in that order (equal figures tied;
    `saved`: as the saved ranking has them, whom it leaves out left out): an
    enterprise orders the top of ten thousand applicants by hand and the rest
    by a rule."""

    ranking: Ranking
    then: Rule | None = None
    left_out: Annotated[list[Id], Field(max_length=100_000)] = Field(default_factory=list)


class CandidateIn(Body):
    kind: CandidateKind
    tier: Tier | None = None
    level: Level | None = None
    skills: Skills = Field(default_factory=list)
    preferences: Annotated[list[RankingItem], Field(max_length=1000)]
    name: Name | None = None
    number: Name | None = None

    def stored(self) -> dict[str, Any]:
        """The candidate's stored columns (id, affiliation, round and version aside)."""
        body = self.model_dump(mode="json")
        return {f: body[f] for f in mapping.CANDIDATE if f in body and f != "id"}


class CandidateItem(CandidateIn):
    """A candidate of a batch: its id, and for one already stored the version it was read at."""

    id: Id
    version: Annotated[StrictInt, Field(ge=1)] | None = None


class CandidatesIn(Body):
    candidates: Annotated[list[CandidateItem], Field(min_length=1, max_length=20_000)]


class RunIn(Body):
    """A solve request; its options are stored with the run (`stored_options`)
    and read back by the worker (`to_options`): one converter both ways."""

    mechanism: MechanismName = MechanismName.STABLE
    stability: Stability | None = None
    solver: Solver = Solver.AUTO
    time_limit: Annotated[StrictFloat | StrictInt, Field(gt=0, le=3600)] = 300

    def stored_options(self, default_stability: str) -> dict[str, Any]:
        options = self.model_dump(mode="json", exclude={"mechanism"})
        options["stability"] = options["stability"] or default_stability
        return options

    @classmethod
    def from_stored(cls, mechanism: str, options: dict[str, Any]) -> RunIn:
        return cls.model_validate({"mechanism": mechanism, **options})

    def to_options(self) -> SolveOptions:
        return SolveOptions(
            stability=self.stability or Stability.IGNORED,
            solver=self.solver,
            time_limit=float(self.time_limit),
        )


class ChangeIn(Body):
    """A change to a published round: `candidate` for a decline or a
    withdrawal, `placement` for a withdrawn post, and `capacity` too for
    changed seats; `reason` always (kept with who and when)."""

    kind: ChangeKind
    candidate: Id | None = None
    placement: Id | None = None
    capacity: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH, pattern=TEXT_PATTERN)]

    def problems(self) -> list[dict[str, str]]:
        """What the kind needs and the body lacks (or has and should not)."""
        out = []
        needs = "candidate" if self.kind.of_candidate else "placement"
        if getattr(self, needs) is None:
            out.append({"field": needs, "message": f"a {self.kind} names the {needs}"})
        other = "placement" if needs == "candidate" else "candidate"
        if getattr(self, other) is not None:
            out.append({"field": other, "message": f"a {self.kind} names no {other}"})
        if (self.kind is ChangeKind.SEATS) != (self.capacity is not None):
            out.append(
                {"field": "capacity", "message": "seats changes, and only they, give capacity"}
            )
        if not self.reason.strip():
            out.append({"field": "reason", "message": "say why"})
        return out


class OverrideIn(Body):
    """The coordinator's pin or forbidden pair: a reason code and a note."""

    kind: OverrideKind
    reason: OverrideReason
    note: Text | None = None


class RematchIn(Body):
    """A re-match of the published round as changed since (the solver and
    its time limit where it needs the MILP)."""

    solver: Solver = Solver.AUTO
    time_limit: Annotated[StrictFloat | StrictInt, Field(gt=0, le=3600)] = 300

    def as_run(self) -> RunIn:
        return RunIn(
            mechanism=MechanismName.STABLE,
            solver=self.solver,
            time_limit=self.time_limit,
        )


class SecondRoundIn(Body):
    """A second round for the unplaced and the seats still open."""

    id: Id
