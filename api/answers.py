"""The API's answers: every route answers with one of these models, built
from the stored row by `from_row` (the one converter from storage to the
answers, through `api.storage.mapping`). Fields left unset are left out of the
answer (StrictJsonRoute), as a missing field is in the round contract: a
placement without a mentor has no "mentor"."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel

from api.rankings import mentioned
from api.storage import mapping
from api.storage import tables as t
from api.storage.repository import utc
from api.vocabulary import Role, RoundState, RunStatus, WhyMoved
from matching.base import MechanismName
from matching.changes import ChangeKind
from matching.model import (
    CandidateKind,
    Level,
    LinkKind,
    OrgKind,
    OverrideKind,
    OverrideReason,
    PlacementKind,
    Stability,
    Tier,
)


class Answer(BaseModel):
    @classmethod
    def of(cls, **fields: Any) -> Self:
        """The model with only the fields that hold a value."""
        return cls.model_validate({k: v for k, v in fields.items() if v is not None})


class TokenOut(BaseModel):
    """A new token: its secret, shown this once."""

    token: str
    id: int
    organization: str
    role: Role
    name: str | None = None
    expires_at: str | None = None


class OrganizationOut(Answer):
    id: str
    kind: OrgKind
    name: str | None = None
    level: Level | None = None
    staff: int | None = None
    park: str | None = None  # in lists: the park it is located in

    @classmethod
    def from_row(cls, o: t.Organization, park: str | None = None) -> OrganizationOut:
        return cls.of(**mapping.record(o, mapping.ORGANIZATION), park=park)


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


class PersonOut(Answer):
    id: int
    organization: str
    login: str
    name: str
    role: str  # admin or staff
    disabled: bool
    locked_until: str | None = None
    created_at: str

    @classmethod
    def from_row(cls, row: t.Person) -> PersonOut:
        return cls.of(
            id=row.id,
            organization=row.organization_id,
            login=row.login,
            name=row.name,
            role=row.role,
            disabled=row.disabled,
            locked_until=_iso(row.locked_until) if row.locked_until else None,
            created_at=_iso(row.created_at),
        )


class SessionOut(Answer):
    """A new session: its secret (shown this once) and when it ends at the latest."""

    session: str
    expires_at: str
    person: PersonOut


class TokenInfo(Answer):
    """A token as listed: never its secret."""

    id: int
    organization: str
    name: str | None = None
    created_at: str
    expires_at: str | None = None
    revoked_at: str | None = None
    last_used_at: str | None = None

    @classmethod
    def from_row(cls, row: t.Token) -> TokenInfo:
        return cls.of(
            id=row.id,
            organization=row.organization_id,
            name=row.name,
            created_at=_iso(row.created_at),
            expires_at=_iso(row.expires_at) if row.expires_at else None,
            revoked_at=_iso(row.revoked_at) if row.revoked_at else None,
            last_used_at=_iso(row.last_used_at) if row.last_used_at else None,
        )


class MeOut(Answer):
    consortium: str
    organization: OrganizationOut
    role: Role
    admin: bool  # may manage the organization's people and tokens
    person: PersonOut | None = None  # signed in as a person (else a token)


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
    title: str | None = None
    description: str | None = None
    staff: int | None = None
    # in lists: how many candidates list it, its host's park, and whether it
    # has a ranking (a list leaves rankings out: one may name 30,000 people)
    applicants: int | None = None
    park: str | None = None
    ranked: bool | None = None

    @classmethod
    def from_row(cls, p: t.Placement, *, with_ranking: bool) -> PlacementOut:
        fields = {**mapping.record(p, mapping.PLACEMENT), "requirements": p.requirements}
        if not with_ranking:
            fields.pop("ranking", None)
        return cls.of(**fields, version=p.version)

    @classmethod
    def listed(
        cls, p: t.Placement, *, with_ranking: bool, applicants: int, park: str | None
    ) -> PlacementOut:
        """A placement as a list shows it: no ranking, whether it has one."""
        fields = {**mapping.record(p, mapping.PLACEMENT), "requirements": p.requirements}
        fields.pop("ranking", None)
        ranked = (p.ranking is not None) if with_ranking else None
        return cls.of(**fields, version=p.version, applicants=applicants, park=park, ranked=ranked)


class Person(Answer):
    """What anyone who may see a candidate sees of it: an enterprise sees its
    applicants as this and no more (the Personal Information Protection Law:
    their names, colleges, levels and skills), so a field added here is
    shown to them."""

    id: str
    kind: CandidateKind
    name: str | None = None
    college: str | None = None
    institute: str | None = None
    level: Level | None = None
    skills: list[str]


class CandidateOut(Person):
    """A candidate as its college or institute and the coordinator see it."""

    number: str | None = None
    tier: Tier | None = None
    preferences: list[str | list[str]]
    version: int

    @classmethod
    def from_row(cls, c: t.Candidate) -> CandidateOut:
        return cls.of(**mapping.record(c, mapping.CANDIDATE), version=c.version)


class ApplicantOut(Person):
    """What an enterprise sees of an applicant: who, its talent tier (which a
    host weighs when it orders its applicants), and which of its placements."""

    tier: Tier | None = None
    applied_to: list[str]

    @classmethod
    def from_row(cls, c: t.Candidate, mine: set[str]) -> ApplicantOut:
        fields = mapping.record(c, mapping.CANDIDATE)
        fields.pop("number", None)
        applied = [p for p in mentioned(fields.pop("preferences")) if p in mine]
        return cls.of(**fields, applied_to=applied)


class ReviewedOut(Person):
    """An applicant to one placement as its host reviews it: who, with the
    figures of the default score, whether it meets the placement's conditions
    (`ineligible`: the first it does not), and its place in the saved ranking
    (`position`; none when the placement has no ranking or leaves it out)."""

    tier: Tier | None = None
    skills_match: float
    affinity: float
    score: float
    partner: bool
    ineligible: str | None = None
    position: int | None = None


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
    # of the blocking pairs, those no policy excuses and those one does (None:
    # a run solved before the engine classified them)
    policy_stable: bool | None = None
    unexcused: int | None = None
    excused: int | None = None
    # the result's figures as the result document writes them (fill rates by
    # park, college, kind and tier: the charts), and whether it is stable
    metrics: dict[str, Any] | None = None
    stable: bool | None = None
    gap: float | None = None

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> RunSummary:
        metrics = result["metrics"]
        return cls(
            metrics=metrics,
            stable=result["stable"],
            gap=result.get("gap"),
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
            policy_stable=result.get("policy_stable"),
            unexcused=len(result["unexcused"]) if "unexcused" in result else None,
            excused=len(result["excused"]) if "excused" in result else None,
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
    rematch_of: int | None = None  # a re-match: the version it starts from
    attempt: int
    error: str | None
    created_at: str
    elapsed_seconds: float | None
    summary: RunSummary | None


class PublishOut(Answer):
    round: str
    state: RoundState
    published_run: str
    version: int  # 1 at the first publication, then one more per re-match published


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
    unexcused: int | None
    excused: int | None
    welfare: float
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
            unexcused=summary.unexcused,
            excused=summary.excused,
            welfare=summary.welfare,
            policies_met=sum(p.satisfied for p in summary.policies),
            policies=len(summary.policies),
            differs_from_first=differs,
        )


class CompareOut(Answer):
    runs: list[ComparedRun]


class AssignmentRow(Answer):
    """One candidate's assignment, with what a person reads: names, the
    placement's title, its host and park (ids beside them)."""

    candidate: str
    placement: str | None
    host: str | None
    affiliation: str | None
    name: str | None = None
    number: str | None = None
    kind: CandidateKind | None = None
    tier: Tier | None = None
    level: Level | None = None
    title: str | None = None
    host_name: str | None = None
    park: str | None = None
    park_name: str | None = None
    affiliation_name: str | None = None
    rank: int | None = None  # the choice obtained, 1 first
    # for the candidate's college and the coordinator: why not each better
    # choice (a college reads a cutoff as `admitted`, a count, not a person)
    explanations: list[dict[str, Any]] | None = None

    @classmethod
    def of_row(cls, ra: t.RunAssignment, names: dict[str, str]) -> AssignmentRow:
        known: dict[str, Any] = {
            "name": ra.name,
            "number": ra.number,
            "kind": ra.kind or None,
            "tier": ra.tier,
            "level": ra.level,
            "title": ra.title,
            "host_name": names.get(ra.host) if ra.host else None,
            "park": ra.park,
            "park_name": names.get(ra.park) if ra.park else None,
            "affiliation_name": names.get(ra.affiliation) if ra.affiliation else None,
            "rank": ra.rank,
        }
        return cls(
            candidate=ra.candidate,
            placement=ra.placement,
            host=ra.host,
            affiliation=ra.affiliation,
            **{k: v for k, v in known.items() if v is not None},
        )


class AssignmentsOut(Answer):
    """A page of a run's assignments (api.listing.Page, with its round and run)."""

    round: str
    run: str
    items: list[AssignmentRow]
    total: int
    limit: int
    offset: int


class Outcome(Answer):
    """Where a run placed a candidate (nothing but `placement: null` if nowhere)."""

    placement: str | None
    title: str | None = None
    host: str | None = None
    host_name: str | None = None
    park: str | None = None
    park_name: str | None = None
    rank: int | None = None

    @classmethod
    def of_row(cls, ra: t.RunAssignment, names: dict[str, str]) -> Outcome:
        return (
            cls.of(
                placement=ra.placement,
                title=ra.title,
                host=ra.host,
                host_name=names.get(ra.host) if ra.host else None,
                park=ra.park,
                park_name=names.get(ra.park) if ra.park else None,
                rank=ra.rank,
            )
            if ra.placement is not None
            else cls(placement=None)
        )


class MoveOut(Answer):
    """A candidate two runs place differently: who, and both outcomes."""

    candidate: str
    name: str | None = None
    number: str | None = None
    affiliation: str | None = None
    affiliation_name: str | None = None
    kind: CandidateKind | None = None
    tier: Tier | None = None
    before: Outcome
    after: Outcome

    @classmethod
    def of_rows(cls, a: t.RunAssignment, b: t.RunAssignment, names: dict[str, str]) -> MoveOut:
        return cls.of(
            candidate=a.candidate,
            name=a.name,
            number=a.number,
            affiliation=a.affiliation,
            affiliation_name=names.get(a.affiliation) if a.affiliation else None,
            kind=a.kind or None,
            tier=a.tier,
            before=Outcome.of_row(a, names),
            after=Outcome.of_row(b, names),
        )


class GroupChange(Answer):
    """How many two runs place in one group, and the change from the first."""

    key: str | None
    name: str | None = None
    before: int
    after: int
    change: int


class ChangesOut(Answer):
    """The net change between two runs per park, college or institute, kind
    and talent tier."""

    runs: list[str]
    park: list[GroupChange]
    college: list[GroupChange]
    kind: list[GroupChange]
    tier: list[GroupChange]


class ChangeOut(Answer):
    """A change to a published round, with who made it, when and why;
    `version`: the published version it changes (applied by the next)."""

    id: int
    version: int
    kind: ChangeKind
    candidate: str | None = None
    placement: str | None = None
    capacity: int | None = None
    reason: str
    by: str
    by_name: str | None = None
    at: str

    @classmethod
    def of_row(cls, row: t.Change, names: dict[str, str]) -> ChangeOut:
        return cls.of(
            id=row.id,
            version=row.version,
            kind=row.kind,
            candidate=row.candidate,
            placement=row.placement,
            capacity=row.capacity,
            reason=row.reason,
            by=row.by,
            by_name=names.get(row.by),
            at=_iso(row.at),
        )


class OverrideOut(Answer):
    """The coordinator's pin or forbidden pair, with who and why."""

    candidate: str
    placement: str
    kind: OverrideKind
    reason: OverrideReason
    note: str | None = None
    by: str
    at: str

    @classmethod
    def of_row(cls, row: t.Override) -> OverrideOut:
        return cls.of(
            candidate=row.candidate,
            placement=row.placement,
            kind=row.kind,
            reason=row.reason,
            note=row.note,
            by=row.by,
            at=_iso(row.at),
        )


class VersionOut(Answer):
    """A published result of the round: version 1 the first publication."""

    number: int
    run: str
    published_by: str
    published_at: str
    changes: int  # the changes it applied (none for version 1)
    moves: int | None = None  # candidates placed differently from the version before

    @classmethod
    def of_row(cls, row: t.Version, changes: int, moves: int | None) -> VersionOut:
        return cls.of(
            number=row.number,
            run=row.run_id,
            published_by=row.published_by,
            published_at=_iso(row.published_at),
            changes=changes,
            moves=moves,
        )


class VersionMoveOut(Answer):
    """A candidate two versions place differently, and why: `after` is
    missing for one who left the round."""

    candidate: str
    name: str | None = None
    number: str | None = None
    affiliation: str | None = None
    affiliation_name: str | None = None
    before: Outcome
    after: Outcome | None = None
    why: WhyMoved


class SeasonRow(Answer):
    """One college's or institute's people over a round and its second round."""

    affiliation: str | None = None
    name: str | None = None
    first: int  # placed in the first round
    second: int  # placed in the second
    unplaced: int  # in neither


class SeasonOut(Answer):
    """A round and the second round that follows it, reported together."""

    first: str
    second: str | None = None
    second_state: RoundState | None = None
    rows: list[SeasonRow]
    total: SeasonRow


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat()


class AuditEntryOut(Answer):
    """One entry of the audit trail."""

    seq: int
    at: str
    who: str
    organization: str | None = None
    person: int | None = None
    token: int | None = None
    action: str
    object: str
    before: str | None = None
    after: str | None = None
    status: int
    hash: str

    @classmethod
    def from_row(cls, row: t.AuditEntry) -> AuditEntryOut:
        return cls(
            seq=row.seq,
            at=_iso(row.at),
            who=row.who,
            organization=row.organization_id,
            person=row.person_id,
            token=row.token_id,
            action=row.action,
            object=row.object,
            before=row.before,
            after=row.after,
            status=row.status,
            hash=row.hash,
        )


class ChainOut(Answer):
    """Whether the consortium's audit chain holds."""

    ok: bool
    entries: int
    head: str
    broken_at: int | None = None
    problem: str | None = None
