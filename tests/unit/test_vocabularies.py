"""Each vocabulary has one definition, and every place that lists it says the
same: the engine's registry, the CLI, the API's OpenAPI document, the pages'
forms, the round's transition table (issue 12)."""

from __future__ import annotations

from typing import Any

from api.config import Settings
from api.main import create_app
from api.pages import VOCABULARIES
from api.vocabulary import (
    ALLOWED,
    ROLE_OF_KIND,
    TRANSITIONS,
    Action,
    Role,
    RoundState,
    RunStatus,
    permitted,
)
from matching import cli, mechanisms
from matching.base import SOLVERS, MechanismName, Solver
from matching.model import CandidateKind, Level, OrgKind, PlacementKind, Stability, Tier


def _openapi(tmp_path: Any) -> dict[str, Any]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}"))
    try:
        return app.openapi()
    finally:
        app.state.engine.dispose()


def _choices(parser: Any, command: str, option: str) -> list[str]:
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return list(next(a for a in sub._actions if option in a.option_strings).choices)


def test_mechanisms_are_named_once(tmp_path: Any) -> None:
    names = [m.value for m in MechanismName]
    assert list(mechanisms.REGISTRY) == names
    assert _choices(cli._parser(), "solve", "--mechanism") == names
    schemas = _openapi(tmp_path)["components"]["schemas"]
    assert schemas["MechanismName"]["enum"] == names
    assert VOCABULARIES["mechanism"] == names


def test_solvers_are_named_once(tmp_path: Any) -> None:
    names = [s.value for s in Solver]
    assert list(SOLVERS) == names
    assert _choices(cli._parser(), "solve", "--solver") == names
    assert _openapi(tmp_path)["components"]["schemas"]["Solver"]["enum"] == names


def test_the_models_vocabularies_reach_the_api_and_the_pages(tmp_path: Any) -> None:
    schemas = _openapi(tmp_path)["components"]["schemas"]
    for enum in (CandidateKind, Level, OrgKind, PlacementKind, Stability, Tier):
        assert schemas[enum.__name__]["enum"] == [m.value for m in enum]
    for enum in (Role, RoundState, RunStatus):
        assert schemas[enum.__name__]["enum"] == [m.value for m in enum]
    assert VOCABULARIES["placement_kind"] == [k.value for k in PlacementKind]
    assert VOCABULARIES["candidate_kind"] == [k.value for k in CandidateKind]
    assert VOCABULARIES["tier"] == [k.value for k in Tier]
    assert VOCABULARIES["level"] == [k.value for k in Level]


def test_every_organization_that_holds_a_token_has_a_role() -> None:
    assert set(ROLE_OF_KIND.values()) == set(Role)
    assert set(ROLE_OF_KIND) <= {k.value for k in OrgKind}


def test_the_round_lifecycle() -> None:
    """Every state can be reached from draft; published is final; each action
    is either a transition or allowed in place, never both."""
    reached, frontier = {RoundState.DRAFT}, [RoundState.DRAFT]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(RoundState)
    assert not any(source is RoundState.PUBLISHED for source, _ in TRANSITIONS)
    assert not {a for _, a in TRANSITIONS} & set(ALLOWED)
    assert {a for _, a in TRANSITIONS} | set(ALLOWED) == set(Action)
    assert permitted("open", Action.EDIT) and not permitted("closed", Action.EDIT)
    assert permitted("closed", Action.OPEN) and not permitted("published", Action.OPEN)


def test_a_solver_named_by_its_string_is_that_solver() -> None:
    """bench/stages.py and the Python API name solvers by string: they must get
    the same behaviour as the CLI and the service, which pass the enum."""
    import pytest

    from matching.base import SolveOptions
    from matching.errors import UnsupportedOption

    assert SolveOptions(solver="cbc").solver is Solver.CBC  # type: ignore[arg-type]
    with pytest.raises(UnsupportedOption, match="solver: unknown 'nope'"):
        SolveOptions(solver="nope")  # type: ignore[arg-type]


def test_a_runs_stages_each_have_their_words() -> None:
    from api.vocabulary import WorkerStage
    from api.words import STAGES
    from matching.base import Stage

    assert set(STAGES) == {s.value for s in WorkerStage} | {s.value for s in Stage}
    assert not {s.value for s in WorkerStage} & {s.value for s in Stage}


def test_each_lists_sort_keys_are_those_its_query_sorts_by() -> None:
    """Every documented sort key (and its "-" form) of every list is a column
    its query orders by, and every column it can order by is documented."""
    from typing import get_args

    from sqlalchemy.orm import aliased

    from api import listing, rankings
    from api.storage import lists
    from api.storage import tables as t

    moves = lists.move_sort("c", aliased(t.RunAssignment), aliased(t.RunAssignment))
    pairs = [
        (listing.OrganizationSort, set(lists.ORGANIZATION_SORT)),
        (listing.RoundSort, set(lists.ROUND_SORT)),
        (listing.PlacementSort, set(lists.PLACEMENT_KEYS)),
        (listing.CandidateSort, set(lists.CANDIDATE_SORT)),
        (listing.RunSort, set(lists.RUN_SORT)),
        (listing.AssignmentSort, set(lists.assignment_sort("c"))),
        (listing.MoveSort, set(moves)),
        (listing.ApplicantSort, set(rankings.SORT_KEYS)),
    ]
    for vocabulary, columns in pairs:
        assert set(get_args(vocabulary)) == columns | {f"-{k}" for k in columns}, vocabulary
