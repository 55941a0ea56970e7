"""The service's vocabularies, each defined once: roles, the round's states
and the transitions between them, and the run's statuses. Routes, storage,
the worker and the pages read them from here (a test ties every place that
lists them)."""

from __future__ import annotations

from enum import StrEnum

from api.problems import Problem
from matching.model import OrgKind


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ENTERPRISE = "enterprise"
    COLLEGE = "college"  # colleges and research institutes


ROLE_OF_KIND: dict[str, Role] = {
    OrgKind.GOVERNMENT: Role.COORDINATOR,
    OrgKind.ENTERPRISE: Role.ENTERPRISE,
    OrgKind.COLLEGE: Role.COLLEGE,
    OrgKind.INSTITUTE: Role.COLLEGE,
}


class RoundState(StrEnum):
    DRAFT = "draft"
    OPEN = "open"  # members post placements and register candidates
    CLOSED = "closed"  # a frozen snapshot, solved by runs
    PUBLISHED = "published"  # one run's result is everyone's


class Action(StrEnum):
    """What a caller does to a round; `TRANSITIONS` and `ALLOWED` say in which states."""

    OPEN = "open"
    CLOSE = "close"
    PUBLISH = "publish"
    EDIT = "edit"  # placements, candidates, rankings
    IMPORT = "import"
    SOLVE = "solve"
    CHANGE = "change"  # a decline, a withdrawal, seats changed: after publication
    OVERRIDE = "override"  # pin or forbid a pair
    REMATCH = "rematch"  # solve the changed round against the published result


# state, action → the state it leads to
TRANSITIONS: dict[tuple[RoundState, Action], RoundState] = {
    (RoundState.DRAFT, Action.OPEN): RoundState.OPEN,
    # a closed round reopens for more changes until it is published; its
    # snapshot is dropped, and only runs of the next one can be published
    (RoundState.CLOSED, Action.OPEN): RoundState.OPEN,
    (RoundState.OPEN, Action.CLOSE): RoundState.CLOSED,
    (RoundState.CLOSED, Action.PUBLISH): RoundState.PUBLISHED,
}
# actions that leave the state as it is
ALLOWED: dict[Action, frozenset[RoundState]] = {
    Action.EDIT: frozenset({RoundState.OPEN}),
    Action.IMPORT: frozenset({RoundState.DRAFT, RoundState.OPEN}),
    Action.SOLVE: frozenset({RoundState.CLOSED}),
    Action.CHANGE: frozenset({RoundState.PUBLISHED}),
    Action.OVERRIDE: frozenset({RoundState.OPEN, RoundState.PUBLISHED}),
    Action.REMATCH: frozenset({RoundState.PUBLISHED}),
}


def permitted(state: str, action: Action) -> bool:
    return (RoundState(state), action) in TRANSITIONS or RoundState(state) in ALLOWED.get(
        action, frozenset()
    )


def check(round_id: str, state: str, action: Action) -> None:
    """409 naming the state and the states the action needs."""
    if permitted(state, action):
        return
    needs = sorted(
        {s for (s, a) in TRANSITIONS if a is action} | set(ALLOWED.get(action, frozenset()))
    )
    raise Problem(
        409,
        f"round {round_id!r} is {state}; {action} needs it {' or '.join(needs)}",
    )


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SOLVED = "solved"
    FAILED = "failed"
    CANCELLED = "cancelled"  # by the coordinator, queued or while solving


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class WorkerStage(StrEnum):
    """Where a running run is, around the engine's own stages
    (matching.base.Stage): a run's `progress` is one of the two."""

    CLAIMED = "claimed"
    LOADING = "loading"  # reading its snapshot
    STARTING = "starting"  # its solve process starting
    STORING = "storing"  # the result written as a document and as rows


class WhyMoved(StrEnum):
    """Why a candidate's outcome differs between two published versions."""

    DECLINED = "declined"  # they declined and left the round
    WITHDREW = "withdrew"  # they withdrew from the round
    PLACEMENT_WITHDRAWN = "placement_withdrawn"  # their placement was withdrawn
    SEATS_CUT = "seats_cut"  # their placement has fewer seats now
    PINNED = "pinned"  # the coordinator pinned them
    FORBIDDEN = "forbidden"  # the coordinator forbade their pair
    DISPLACED_BY_PIN = "displaced_by_pin"  # a pin took the seat they held
    MOVED_UP = "moved_up"  # a seat they preferred was freed
