"""python -m matching solve | validate | compare | convert

Exit 0 on success; 2 with one line per problem on standard error for an
invalid document or option (nothing written); 1 when the solver fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from matching import charts, io, mechanisms
from matching.base import SOLVERS, SolveOptions, Solver
from matching.engine import Timings, paused_gc, rematch, rematch_document, solve_timed
from matching.errors import InvalidRound, MatchingError, UnsupportedOption
from matching.model import Result, Round, Stability


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def solver_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--stability",
            choices=[s.value for s in Stability],
            help="for optimal: ignored, required or relaxed (default: the round's)",
        )
        p.add_argument(
            "--solver",
            choices=SOLVERS,
            default="auto",
            help="auto: a min-cost flow where the policies allow, else CBC",
        )
        p.add_argument(
            "--time-limit",
            type=float,
            metavar="SECONDS",
            help="solver time limit; the best matching found is returned with its gap",
        )

    solve = sub.add_parser("solve", help="solve a round and write the result document")
    solve.add_argument("round", type=Path, help="round JSON, CSV bundle folder or .zip")
    solve.add_argument("--mechanism", default="stable", choices=list(mechanisms.REGISTRY))
    solve.add_argument("--out", type=Path, help="write the result here (default: standard output)")
    solver_options(solve)
    solve.add_argument(
        "--charts", type=Path, metavar="DIR", help="also write the charts (SVG) here"
    )

    validate = sub.add_parser("validate", help="check a round and list every problem")
    validate.add_argument("round", type=Path)

    compare = sub.add_parser("compare", help="run several mechanisms and show them side by side")
    compare.add_argument("round", type=Path)
    compare.add_argument(
        "--mechanisms",
        default="stable,stable-placement,optimal",
        help="comma-separated mechanism names",
    )
    solver_options(compare)
    compare.add_argument(
        "--charts", type=Path, metavar="DIR", help="write each run's charts and the comparison here"
    )

    rematch = sub.add_parser(
        "rematch",
        help="re-match a round changed after its result was published: nobody who keeps a "
        "seat worse off, stable where that allows, the fewest moves",
    )
    rematch.add_argument("round", type=Path, help="the round as it is now")
    rematch.add_argument("--published", type=Path, required=True, help="the round as published")
    rematch.add_argument(
        "--result", type=Path, required=True, help="the result document that was published"
    )
    rematch.add_argument(
        "--out", type=Path, help="write the result here (default: standard output)"
    )
    solver_options(rematch)

    audit = sub.add_parser(
        "audit",
        help="check a published result's bundle: solve it again and check every property "
        "it claims with the independent checker; exit 0 verified, 1 not",
    )
    audit.add_argument("bundle", type=Path, help="the bundle the service wrote at publication")

    convert = sub.add_parser("convert", help="convert between a JSON round and a CSV bundle")
    convert.add_argument("source", type=Path)
    convert.add_argument("target", type=Path, help="*.json, or a folder for a CSV bundle")
    return parser


def _options(args: argparse.Namespace, round_: Round) -> SolveOptions:
    stability = Stability(args.stability) if args.stability else round_.stability
    return SolveOptions(stability=stability, solver=Solver(args.solver), time_limit=args.time_limit)


def report(result: Result, timings: Timings | None = None) -> str:
    m = result.metrics
    lines = [
        f"round {result.round} · mechanism {result.mechanism} · seed {result.seed} · "
        f"status {result.status.value}" + (f" · gap {result.gap:.4%}" if result.gap else ""),
        f"matched {m.matched} of {m.matched + m.unmatched} candidates · "
        f"fill rate {m.fill_rate:.1%} of {m.capacity} seats · "
        f"mean rank {m.mean_rank if m.mean_rank is not None else '-'} · welfare {m.welfare}",
        "rank histogram: " + ", ".join(f"{r}:{n}" for r, n in m.rank_histogram),
        f"stable: {'yes' if result.stable else 'no'} ({len(result.blocking_pairs)} blocking pairs)"
        + (f" · stability {result.stability.value}" if result.mechanism == "optimal" else ""),
        f"policy-stable: {'yes' if result.policy_stable else 'no'} ("
        f"{len(result.unexcused)} blocking pairs unexcused, "
        f"{len(result.excused)} excused by a policy)",
    ]
    if result.conflicts:
        lines.append("policies in conflict: " + ", ".join(result.conflicts))
    for p in result.policies:
        bound = " ".join(
            s
            for s in (
                f"min {p.min}" if p.min is not None else "",
                f"max {p.max}" if p.max is not None else "",
            )
            if s
        )
        made = " (rules.intern_ratio)" if p.generated else ""
        lines.append(
            f"policy {p.id}{made}: {p.value} ({bound}) {'met' if p.satisfied else 'NOT MET'}"
        )
    for park, fill in m.by_park:
        lines.append(f"park {park}: {fill.matched}/{fill.total} seats ({fill.rate:.1%})")
    for kind, fill in m.by_kind:
        lines.append(f"{kind}: {fill.matched}/{fill.total} placed ({fill.rate:.1%})")
    if result.capacity_violations:
        lines.extend("VIOLATION " + v for v in result.capacity_violations)
    if timings is not None:
        lines.append(
            f"time: graph {timings.graph:.3f}s · solve {timings.solve:.3f}s · "
            f"verify {timings.verify:.3f}s · explain {timings.explain:.3f}s · "
            f"metrics {timings.metrics:.3f}s"
        )
    return "\n".join(lines)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send whatever solver libraries print (HiGHS prints a banner from C++,
    straight to file descriptor 1) to standard error, so that standard output
    carries the result document alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def _progress(label: str, limit: float | None) -> Iterator[None]:
    """On a terminal, a line on standard error that counts the seconds of a
    long solve (from the first second on), as a bar against the time limit
    when there is one; wiped when the solve ends."""
    if not sys.stderr.isatty():
        yield
        return
    done = threading.Event()
    start = time.monotonic()

    def tick() -> None:
        while not done.wait(0.5):
            spent = time.monotonic() - start
            if spent < 1:
                continue
            line = f"{label}: {spent:.0f} s"
            if limit:
                filled = min(20, int(20 * spent / limit))
                line += f" [{'#' * filled}{'.' * (20 - filled)}] of a {limit:.0f} s limit"
            sys.stderr.write("\r" + line)
            sys.stderr.flush()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        if time.monotonic() - start >= 1:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _solve(args: argparse.Namespace) -> int:
    with paused_gc():
        round_ = io.load(args.round)
    options = _options(args, round_)
    label = f"solving {round_.id} ({args.mechanism})"
    with _progress(label, _limit(args.mechanism, options)), _stdout_to_stderr():
        result, timings = solve_timed(round_, args.mechanism, options)
    with paused_gc():  # hundreds of thousands of small lists (blocking pairs, excuses)
        doc = io.result_to_dict(result)
        document = io.dumpb(doc)
    if args.charts is not None:
        written = charts.write_charts(args.charts, [doc])
        print(f"charts: {len(written)} SVG files in {args.charts}", file=sys.stderr)
    _emit(document, args.out)
    print(report(result, timings), file=sys.stderr if args.out is None else sys.stdout)
    return 0


def _emit(document: bytes, out: Path | None) -> None:
    """A document to `out`, whole or not at all (written beside it, then
    renamed), or to standard output."""
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(document)
        sys.stdout.buffer.flush()
        return
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(document)
    tmp.replace(out)


def _rematch(args: argparse.Namespace) -> int:
    """The re-match's result document, with `rematch`: its moves, who was
    displaced, and the published result it started from."""
    round_, published = io.load(args.round), io.load(args.published)
    try:
        previous = json.loads(args.result.read_text(encoding="utf-8"))
        assignments = previous["assignments"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnsupportedOption(f"--result: not a result document ({exc})") from None
    if previous.get("input_hash") not in (None, io.round_hash(published)):
        raise UnsupportedOption("--result: it was not solved from the round given as --published")
    with _stdout_to_stderr():
        done = rematch(round_, published, assignments, _options(args, round_))
    _emit(io.dumpb(rematch_document(done, published)), args.out)
    print(
        f"moves {done.moves} · displaced {len(done.displaced)}",
        file=sys.stderr if args.out is None else sys.stdout,
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    r = io.load(args.round)
    capacity = sum(p.capacity for p in r.placements)
    print(
        f"valid: round {r.id} · {len(r.candidates)} candidates · {len(r.placements)} "
        f"placements ({capacity} seats) · {len(r.mentors)} mentors · "
        f"{len(r.organizations)} organizations · {len(r.policies)} policies"
    )
    return 0


def _compare(args: argparse.Namespace) -> int:
    round_ = io.load(args.round)
    names = [n.strip() for n in args.mechanisms.split(",") if n.strip()]
    for name in names:
        mechanisms.get(name)
    header = [
        "mechanism",
        "status",
        "matched",
        "mean rank",
        "welfare",
        "blocking",
        "unexcused",
        "excused",
        "policies met",
        "seconds",
        "rank histogram",
    ]
    rows = [header]
    documents = []
    for name in names:
        start = time.perf_counter()
        options = _options(args, round_)
        try:
            label = f"solving {round_.id} ({name})"
            with _progress(label, _limit(name, options)), _stdout_to_stderr():
                result, _ = solve_timed(round_, name, options)
        except UnsupportedOption as exc:
            rows.append([name, "n/a", "", "", "", "", "", "", "", "", str(exc).split(";")[0]])
            continue
        documents.append(io.result_to_dict(result))
        m = result.metrics
        met = sum(p.satisfied for p in result.policies)
        rows.append(
            [
                name,
                result.status.value,
                str(m.matched),
                f"{m.mean_rank:.3f}" if m.mean_rank is not None else "-",
                f"{m.welfare:.2f}",
                str(len(result.blocking_pairs)),
                str(len(result.unexcused)),
                str(len(result.excused)),
                f"{met}/{len(result.policies)}",
                f"{time.perf_counter() - start:.2f}",
                " ".join(f"{r}:{n}" for r, n in m.rank_histogram),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if args.charts is not None:
        written = charts.write_charts(args.charts, documents)
        print(f"charts: {len(written)} SVG files in {args.charts}")
    return 0


def _limit(mechanism: str, options: SolveOptions) -> float | None:
    """The time limit a progress bar counts against: only the MILP has one."""
    return options.time_limit if mechanism == "optimal" else None


def _audit(args: argparse.Namespace) -> int:
    from matching.audit import audit

    try:
        bundle = io.parse_json(args.bundle.read_bytes())
    except (OSError, ValueError) as exc:
        raise UnsupportedOption(f"{args.bundle}: not a bundle ({exc})") from None
    if not isinstance(bundle, dict):
        raise UnsupportedOption(f"{args.bundle}: not a bundle (a JSON object is expected)")
    with _stdout_to_stderr():
        verdict = audit(bundle)
    print(verdict.report())
    return 0 if verdict.ok else 1


def _convert(args: argparse.Namespace) -> int:
    round_ = io.load(args.source)
    if args.target.suffix == ".json":
        _emit(io.dumpb(io.round_to_dict(round_)), args.target)
    else:
        io.write_csv_bundle(round_, args.target)
    print(f"wrote {args.target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (`argv`, else the process's own). Run as a program,
    the process holds the cyclic garbage collector off to its end: a run is
    one short process, and the collector would only rescan the round's
    millions of objects each time it resumed (0.3 s on the national round);
    reference counting frees them all the same."""
    if argv is None:
        gc.disable()
    args = _parser().parse_args(argv)
    command = {
        "solve": _solve,
        "validate": _validate,
        "compare": _compare,
        "convert": _convert,
        "rematch": _rematch,
        "audit": _audit,
    }[args.command]
    try:
        return command(args)
    except InvalidRound as exc:
        for problem in exc.problems:
            print(f"invalid round: {problem}", file=sys.stderr)
        return 2
    except UnsupportedOption as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MatchingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
