"""The exception tree of the engine.

    MatchingError
    ├── InvalidRound        the document breaks the round contract (every problem listed)
    ├── UnsupportedOption   a mechanism was asked for something it does not do
    └── SolverFailed        a solver found no matching at all within its time limit

Expected outcomes (an unmatched candidate, infeasible policies, a solver time
limit) are statuses on the result, never exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


class MatchingError(Exception):
    """Root of every error the engine raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a round: where (`field`, with the id) and what."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidRound(MatchingError):
    """The round document is not valid; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnsupportedOption(MatchingError):
    """A mechanism or option the engine does not offer for this round."""


class SolverFailed(MatchingError):
    """The solver found no matching at all within its time limit (the welfare
    mechanism turns it into the best matching it had, or exit 1 on the CLI)."""
