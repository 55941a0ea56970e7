"""Request and response bodies. Bodies use the round contract's field names and
refuse fields they do not know (a body cannot set its own host, college,
consortium, status or version)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from api.rankings import mentioned
from api.storage import mapping
from api.storage import tables as t
from api.vocabulary import Role, RoundState, RunStatus
from matching.base import MechanismName, SolveOptions, Solver
from matching.model import (
    CandidateKind,
    Level,
    LinkKind,
    OrgKind,
    PlacementKind,
    PolicyKind,
    Stability,
    Tier,
)
from matching.validate import ID_CONTROLS, MAX_COUNT, MAX_ID_LENGTH, MAX_SEED

# The engine's id rule: non-empty, at most 200 characters, no control characters
# (pydantic refuses lone surrogates in any string already). Ids in a path obey
# it too, so no write can store an id that the round's validation refuses.
ID_PATTERN = f"^[^{ID_CONTROLS}]+$"
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
PathId = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]
RankingItem = Id | Annotated[list[Id], Field(min_length=1)]
Ranking = Annotated[list[RankingItem], Field(max_length=100_000)]
Skills = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=100)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationIn(Body):
    id: Id
    kind: OrgKind
    name: Annotated[str, Field(max_length=400)] | None = None
    level: Level | None = None


class LinkIn(Body):
    source: Id
    target: Id
    kind: LinkKind
    weight: Annotated[StrictFloat | StrictInt, Field(gt=0, le=1)] = 1.0


class TokenIn(Body):
    organization: Id


class TokenOut(BaseModel):
    token: str
    organization: str
    role: Role


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

    def stored(self) -> dict[str, Any]:
        """The placement's stored columns (id, host, round and version aside)."""
        body = self.model_dump(mode="json")
        body["requirements"] = self.requirements.model_dump(mode="json", exclude_none=True)
        return {f: body[f] for f in mapping.PLACEMENT if f in body}


class RankingIn(Body):
    ranking: Ranking


class CandidateIn(Body):
    kind: CandidateKind
    tier: Tier | None = None
    level: Level | None = None
    skills: Skills = Field(default_factory=list)
    preferences: Annotated[list[RankingItem], Field(max_length=1000)]

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


# ------------------------------------------------------------------ answers
#
# Every route answers with one of these models, built from the stored row by
# `from_row` (the one converter from storage to the API's answers). Fields left
# unset are left out of the answer (StrictJsonRoute), as a missing field is in
# the round contract: a placement without a mentor has no "mentor".


class Answer(BaseModel):
    @classmethod
    def of(cls, **fields: Any) -> Self:
        """The model with only the fields that hold a value."""
        return cls.model_validate({k: v for k, v in fields.items() if v is not None})


class OrganizationOut(Answer):
    id: str
    kind: OrgKind
    name: str | None = None
    level: Level | None = None

    @classmethod
    def from_row(cls, o: t.Organization) -> OrganizationOut:
        return cls.of(**mapping.record(o, mapping.ORGANIZATION))


class LinkOut(Answer):
    source: str
    target: str
    kind: LinkKind
    weight: float

    @classmethod
    def from_row(cls, k: t.Link) -> LinkOut:
        return cls.of(**mapping.record(k, mapping.LINK))


class GraphOut(Answer):
    organizations: list[OrganizationOut]
    links: list[LinkOut]


class MeOut(Answer):
    consortium: str
    organization: OrganizationOut
    role: Role


class Counts(Answer):
    placements: int
    seats: int
    candidates: int


class RoundOut(Answer):
    id: str
    state: RoundState
    seed: int
    stability: Stability
    rules: dict[str, Any]
    policies: list[dict[str, Any]]
    snapshot_hash: str | None
    published_run: str | None
    counts: Counts

    @classmethod
    def from_row(cls, r: t.Round, counts: dict[str, int]) -> RoundOut:
        return cls(
            id=r.id,
            state=RoundState(r.state),
            seed=r.seed,
            stability=Stability(r.stability),
            rules=r.rules,
            policies=r.policies,
            snapshot_hash=r.snapshot_hash,
            published_run=r.published_run,
            counts=Counts(**counts),
        )


class RoundSummary(Answer):
    id: str
    state: RoundState
    published_run: str | None


class PlacementOut(Answer):
    id: str
    host: str
    kind: PlacementKind
    capacity: int
    skills: list[str]
    requirements: dict[str, Any]
    version: int
    mentor: str | None = None
    ranking: list[str | list[str]] | None = None

    @classmethod
    def from_row(cls, p: t.Placement, *, with_ranking: bool) -> PlacementOut:
        fields = {**mapping.record(p, mapping.PLACEMENT), "requirements": p.requirements}
        if not with_ranking:
            fields.pop("ranking", None)
        return cls.of(**fields, version=p.version)


class CandidateOut(Answer):
    id: str
    kind: CandidateKind
    college: str | None = None
    institute: str | None = None
    tier: Tier | None = None
    level: Level | None = None
    skills: list[str]
    preferences: list[str | list[str]]
    version: int

    @classmethod
    def from_row(cls, c: t.Candidate) -> CandidateOut:
        return cls.of(**mapping.record(c, mapping.CANDIDATE), version=c.version)


class ApplicantOut(Answer):
    """What an enterprise sees of an applicant: who, and which of its placements."""

    id: str
    kind: CandidateKind
    college: str | None = None
    institute: str | None = None
    tier: Tier | None = None
    level: Level | None = None
    skills: list[str]
    applied_to: list[str]

    @classmethod
    def from_row(cls, c: t.Candidate, mine: set[str]) -> ApplicantOut:
        fields = mapping.record(c, mapping.CANDIDATE)
        applied = [p for p in mentioned(fields.pop("preferences")) if p in mine]
        return cls.of(**fields, applied_to=applied)


class BatchOut(Answer):
    created: int
    changed: int
    unchanged: int


class PolicyFigure(Answer):
    id: str
    satisfied: bool
    value: int
    min: int | None
    max: int | None


class RunSummary(Answer):
    """A solved run's figures, stored with the run when it is solved, so that a
    page listing runs need not read their whole results."""

    mechanism: MechanismName
    status: str
    stability: Stability
    objective: float | None
    matched: int
    unmatched: int
    mean_rank: float | None
    welfare: float
    rank_histogram: dict[str, int]
    blocking_pairs: int
    policies: list[PolicyFigure]

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> RunSummary:
        metrics = result["metrics"]
        return cls(
            mechanism=result["mechanism"],
            status=result["status"],
            stability=result["stability"],
            objective=result["objective"],
            matched=metrics["matched"],
            unmatched=metrics["unmatched"],
            mean_rank=metrics["mean_rank"],
            welfare=metrics["welfare"],
            rank_histogram=metrics["rank_histogram"],
            blocking_pairs=len(result["blocking_pairs"]),
            policies=[
                PolicyFigure(
                    id=p["id"],
                    satisfied=p["satisfied"],
                    value=p["value"],
                    min=p["min"],
                    max=p["max"],
                )
                for p in result["policies"]
            ],
        )


class RunOut(Answer):
    id: str
    round: str
    status: RunStatus
    progress: str | None
    mechanism: MechanismName
    options: dict[str, Any]
    seed: int
    input_hash: str
    engine_version: str
    attempt: int
    error: str | None
    created_at: str
    elapsed_seconds: float | None
    summary: RunSummary | None


class PublishOut(Answer):
    round: str
    state: RoundState
    published_run: str


class ComparedRun(Answer):
    run: str
    mechanism: MechanismName
    status: str
    stability: Stability
    objective: float | None
    matched: int
    mean_rank: float | None
    rank_histogram: dict[str, int]
    blocking_pairs: int
    policies_met: int
    policies: int
    differs_from_first: int

    @classmethod
    def of_summary(cls, run: str, summary: RunSummary, differs: int) -> ComparedRun:
        return cls(
            run=run,
            mechanism=summary.mechanism,
            status=summary.status,
            stability=summary.stability,
            objective=summary.objective,
            matched=summary.matched,
            mean_rank=summary.mean_rank,
            rank_histogram=summary.rank_histogram,
            blocking_pairs=summary.blocking_pairs,
            policies_met=sum(p.satisfied for p in summary.policies),
            policies=len(summary.policies),
            differs_from_first=differs,
        )


class CompareOut(Answer):
    runs: list[ComparedRun]


class AssignmentRow(Answer):
    candidate: str
    placement: str | None
    host: str | None
    affiliation: str | None
    # for the candidate's college and the coordinator: why not each better choice
    explanations: list[dict[str, Any]] | None = None


class AssignmentsOut(Answer):
    round: str
    run: str
    assignments: list[AssignmentRow]
