"""The command line contract, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = Path(__file__).parents[2] / "fixtures" / "rounds"
EXAMPLE = ROUNDS / "contract-example.json"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_solve_writes_the_result_document(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    run = cli("solve", EXAMPLE, "--out", out)
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    assert result["round"] == "contract-example"
    assert result["mechanism"] == "stable"
    assert result["seed"] == 20270301
    assert set(result["assignments"]) == {"s1", "s2", "s3", "rp7"}
    assert result["stable"] is True and result["blocking_pairs"] == []
    assert {p["id"] for p in result["policies"]} == {"jintan-cap", "czcit-floor"}
    assert set(result["metrics"]) >= {"matched", "unmatched", "rank_histogram"}
    assert "matched 4 of 4 candidates" in run.stdout


def test_solve_without_out_prints_json_on_stdout_and_the_report_on_stderr() -> None:
    run = cli("solve", EXAMPLE, "--mechanism", "optimal")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["mechanism"] == "optimal"
    assert doc["solver"] == "flow"  # auto: the example's policies keep the model a network
    assert "mechanism optimal" in run.stderr


@pytest.mark.parametrize("solver", ["cbc", "highs", "highspy"])
def test_standard_output_is_the_document_alone_whatever_the_solver_prints(solver: str) -> None:
    run = cli("solve", EXAMPLE, "--mechanism", "optimal", "--solver", solver)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["solver"] == solver


def test_charts_are_written_beside_the_result(tmp_path: Path) -> None:
    run = cli("compare", EXAMPLE, "--mechanisms", "stable,optimal", "--charts", tmp_path / "c")
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert "compare.svg" in names and "stable-rank-histogram.svg" in names
    assert "optimal-by-park.svg" in names
    run = cli("solve", EXAMPLE, "--out", tmp_path / "r.json", "--charts", tmp_path / "one")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "one" / "rank-histogram.svg").read_text().startswith("<svg")


def test_same_round_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    cli("solve", EXAMPLE, "--out", a)
    cli("solve", EXAMPLE, "--out", b)
    assert a.read_bytes() == b.read_bytes()


def test_invalid_round_exits_2_with_one_line_per_problem_and_writes_nothing(
    tmp_path: Path,
) -> None:
    doc = json.loads(EXAMPLE.read_text())
    doc["candidates"][0]["preferences"] = ["p1", "zz"]
    doc["placements"][1]["capacity"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    out = tmp_path / "result.json"
    run = cli("solve", bad, "--out", out)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "invalid round: placements['p2'].capacity: must be an integer ≥ 1, got 0",
        "invalid round: candidates['s1'].preferences: unknown placement 'zz'",
    ]
    assert not out.exists()
    assert run.stdout == ""


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    run = cli("solve", tmp_path / "missing.json")
    assert run.returncode == 2
    assert run.stderr.startswith("invalid round: round: cannot read")


def test_stable_placement_with_mentors_is_refused_clearly() -> None:
    run = cli("solve", EXAMPLE, "--mechanism", "stable-placement")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: mechanism stable-placement does not support mentors (1 lead placements: "
        "'studio-wang'); use stable or optimal"
    )


def test_unknown_mechanism_is_a_usage_error() -> None:
    run = cli("solve", EXAMPLE, "--mechanism", "lottery")
    assert run.returncode == 2
    assert "invalid choice: 'lottery'" in run.stderr


def test_validate() -> None:
    run = cli("validate", EXAMPLE)
    assert run.returncode == 0
    assert run.stdout.startswith("valid: round contract-example · 4 candidates")


def test_compare_shows_mechanisms_side_by_side() -> None:
    run = cli("compare", ROUNDS / "gale-shapley-hospitals.json")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:3] == ["mechanism", "status", "matched"]
    assert [line.split()[0] for line in lines[1:]] == ["stable", "stable-placement", "optimal"]


@pytest.mark.parametrize("target", ["bundle", "round.json"])
def test_convert_round_trips(tmp_path: Path, target: str) -> None:
    first = tmp_path / target
    assert cli("convert", EXAMPLE, first).returncode == 0
    back = tmp_path / "back.json"
    assert cli("convert", first, back).returncode == 0
    a = cli("solve", EXAMPLE)
    b = cli("solve", back)
    assert json.loads(a.stdout) == json.loads(b.stdout)


@pytest.mark.slow
# a second limit, where the solver may or may not have found one
@pytest.mark.parametrize("seconds", ["1", "4"])
def test_a_solve_past_its_time_limit_ends_visibly(tmp_path: Path, seconds: str) -> None:
    """Welfare under required stability on the 5,000-candidate round cannot be
    proven within seconds. The process still ends (the 120 s guard is a hang
    check, not a speed target), with either the best matching found, marked
    `time_limit` and whole (within capacities, every policy met), or exit 1
    and one line saying that nothing was found in time; never a partial file."""
    out = tmp_path / "result.json"
    run = cli(
        "solve",
        ROUNDS / "changzhou-2027.json",
        "--mechanism",
        "optimal",
        "--stability",
        "required",
        "--time-limit",
        seconds,
        "--out",
        out,
    )
    if run.returncode == 1:
        assert run.stderr.strip().splitlines()[-1].startswith("error: solver cbc found no matching")
        assert not out.exists()
        return
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "time_limit"
    assert "status time_limit" in run.stdout
    assert result["capacity_violations"] == []
    assert all(p["satisfied"] for p in result["policies"])
    assert len(result["assignments"]) == 5000


def test_rematch_after_declines_moves_only_whom_it_must(tmp_path: Path) -> None:
    """`rematch`: the contract's example after s1 declines; the published
    result is checked to be that round's (exit 2, one line, otherwise)."""
    published = ROUNDS / "contract-example.json"
    result = tmp_path / "result.json"
    assert cli("solve", published, "--out", result).returncode == 0
    doc = json.loads(published.read_text(encoding="utf-8"))
    doc["candidates"] = [c for c in doc["candidates"] if c["id"] != "s1"]
    for holder in doc["placements"] + doc.get("mentors", []):
        if holder.get("ranking") is not None:
            holder["ranking"] = _without(holder["ranking"], "s1")
    after = tmp_path / "after.json"
    after.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "rematch.json"
    done = cli("rematch", after, "--published", published, "--result", result, "--out", out)
    assert done.returncode == 0, done.stderr
    again = json.loads(out.read_text(encoding="utf-8"))
    before = json.loads(result.read_text(encoding="utf-8"))["assignments"]
    moved = {c for c, p in again["assignments"].items() if before.get(c) != p}
    assert again["rematch"]["moves"] == len(moved) and again["stable"]
    assert again["rematch"]["displaced"] == []
    for c, p in before.items():  # nobody who kept a seat is worse off
        if c != "s1" and p is not None:
            assert again["assignments"][c] is not None
    wrong = cli("rematch", after, "--published", after, "--result", result)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "--result" in wrong.stderr


def _without(ranking: list[object], gone: str) -> list[object]:
    out: list[object] = []
    for item in ranking:
        group = [x for x in (item if isinstance(item, list) else [item]) if x != gone]
        if group:
            out.append(group[0] if len(group) == 1 else group)
    return out
