"""The placement engine for industry-education consortia.

from matching import load, solve
result = solve(load("fixtures/rounds/contract-example.json"), "stable")
"""

from matching.engine import Timings, solve, solve_timed
from matching.errors import InvalidRound, MatchingError, Problem, UnsupportedOption
from matching.io import load, result_to_dict, round_to_dict
from matching.mechanisms import REGISTRY, SolveOptions, Weights
from matching.model import Result, Round, Stability, Status
from matching.validate import parse_round


def __getattr__(name: str) -> str:
    """`__version__`, from the installed package's metadata when first asked
    (importlib.metadata is a tenth of the CLI's imports, and a solve never
    needs the version)."""
    if name != "__version__":
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("consortium-matching")
    except PackageNotFoundError:  # running from a source tree that is not installed
        value = "0.0.0"
    globals()["__version__"] = value
    return value


__all__ = [
    "REGISTRY",
    "InvalidRound",
    "MatchingError",
    "Problem",
    "Result",
    "Round",
    "SolveOptions",
    "Stability",
    "Status",
    "Timings",
    "UnsupportedOption",
    "Weights",
    "__version__",
    "load",
    "parse_round",
    "result_to_dict",
    "round_to_dict",
    "solve",
    "solve_timed",
]
