"""The benchmark: every size, every mechanism, stage by stage, beside the peers.

    python bench/run.py              S, M, L, XL; median of 3 runs
    python bench/run.py --quick      S and M, one run: the CI smoke test (no timing assertions)

Each measurement runs in a fresh process. Results go to bench/results/
(results.md, results.json, stable-growth.svg) with the machine's description.
Peers, in the same run: the `matching` library's HospitalResident (in its own
virtual environment, bench/.venv-peers, since it shares our import name) for
the stable mechanism, and the straightforward PuLP model with CBC and with
HiGHS for the optimal one. Agreement is checked: the same stable matching,
the same optimal objective.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent
CACHE = HERE / ".cache"
PEERS = HERE / ".venv-peers"
sys.path.insert(0, str(HERE))

from generate import SIZES, generate  # noqa: E402


@dataclass(frozen=True)
class Case:
    size: str
    mechanism: str
    # "", "mentors", "policies", "quotas" (the policies' ceilings and the colleges'
    # floors), "floors" (quotas with six colleges' floors raised by 60%: floors
    # that bind, so that the policy-stable mechanism searches lifts)
    variant: str = ""
    stability: str = "ignored"
    time_limit: float = 300.0
    solver: str = "auto"
    slow: bool = False  # measured once, whatever --repeats says

    @property
    def name(self) -> str:
        extra = f"+{self.variant}" if self.variant else ""
        stab = "+stability" if self.stability != "ignored" else ""
        solver = f" [{self.solver}]" if self.mechanism == "optimal" else ""
        return f"{self.mechanism}{extra}{stab}{solver}"


@dataclass
class Row:
    size: str
    tool: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.runs if r.get(key) is not None]
        return statistics.median(values) if values else None


# auto (the min-cost flow here: parks and colleges are laminar) on every size;
# the MILP backends where they finish in minutes.
OPTIMAL_SOLVERS = {
    "S": ("auto", "cbc", "highspy"),
    "M": ("auto", "cbc", "highspy"),
    "L": ("auto", "highspy"),
    "XL": ("auto",),
}


def cases(quick: bool) -> list[Case]:
    """Quick: the stable mechanisms on S and M, SPA on M, optimal on S."""
    out = []
    for size in ("S", "M") if quick else ("S", "M", "L", "XL"):
        out += [Case(size, "stable"), Case(size, "stable-placement")]
        out.append(Case(size, "policy-stable", "quotas"))
        if size in ("L", "XL"):  # a lift search: dozens of runs of deferred acceptance
            out.append(Case(size, "policy-stable", "floors", slow=size == "XL"))
        if not quick or size == "S":
            out += [
                Case(size, "optimal", "policies", time_limit=120, solver=solver)
                for solver in OPTIMAL_SOLVERS[size]
            ]
        if size == ("M" if quick else "L"):
            out.append(Case(size, "stable", "mentors"))
        if size == "M" and not quick:
            out.append(Case(size, "optimal", "policies", "required", time_limit=30, slow=True))
    return out


def round_file(size: str, variant: str) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{size}{'-' + variant if variant else ''}.json"
    if not path.exists():
        doc = generate(
            size,
            mentors=variant == "mentors",
            policies=variant in ("policies", "quotas", "floors"),
        )
        if variant in ("quotas", "floors"):  # policy-stable supports floors on candidates only
            doc["policies"] = [
                p for p in doc["policies"] if "candidates" in p or p["kind"] == "ceiling"
            ]
        if variant == "floors":
            floors = [p for p in doc["policies"] if p["kind"] == "floor"]
            for p in floors[:6]:
                p["min"] = int(p["min"] * 1.6)
        path.write_text(json.dumps(doc, separators=(",", ":")))
    return path


def _child(cmd: list[str], timeout: float) -> tuple[float, str]:
    """Wall seconds and standard output of one child process."""
    start = time.perf_counter()
    done = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:3])} failed: {done.stderr.strip()[-200:]}")
    return wall, done.stdout


def measure(case: Case, repeats: int, timeout: float) -> tuple[Row, Row]:
    path = round_file(case.size, case.variant)
    staged = Row(case.size, case.name)
    whole = Row(case.size, f"{case.name} (CLI)")
    options = [
        "--stability",
        case.stability,
        "--time-limit",
        str(case.time_limit),
        "--solver",
        case.solver,
    ]
    for _ in range(repeats):
        _, out = _child(
            [sys.executable, str(HERE / "stages.py"), str(path), case.mechanism, *options], timeout
        )
        staged.runs.append(json.loads(out.strip().splitlines()[-1]))
        wall, _ = _child(
            [
                sys.executable,
                "-m",
                "matching",
                "solve",
                str(path),
                "--mechanism",
                case.mechanism,
                *options,
                "--out",
                str(CACHE / "result.json"),
            ],
            timeout,
        )
        whole.runs.append({"total": wall})
    return staged, whole


FLOOR = "parse and write only (floor)"


def floor(size: str, repeats: int, timeout: float) -> Row:
    """bench/floor.py on the size's round: the least a process that reads the
    round and writes a result-sized document takes."""
    row = Row(size, FLOOR)
    for _ in range(repeats):
        wall, _ = _child(
            [sys.executable, str(HERE / "floor.py"), str(round_file(size, "")),
             str(CACHE / "floor.json")],
            timeout,
        )  # fmt: skip
        row.runs.append({"total": wall})
    return row


def peers_ready() -> Path | None:
    python = PEERS / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS)], check=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "matching"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print("peer `matching` could not be installed:", done.stderr[-300:])
            return None
    return python


def peer_matching(size: str, repeats: int, timeout: float, ours: Row) -> Row:
    row = Row(size, "matching-lib HospitalResident")
    python = peers_ready()
    if python is None:
        row.note = "not installed"
        return row
    path = round_file(size, "")
    for _ in range(repeats):
        _, out = _child([str(python), str(HERE / "peer_matching.py"), str(path)], timeout)
        run = json.loads(out.strip().splitlines()[-1])
        run["total"] = run["build"] + run["solve"]
        row.runs.append(run)
    same = row.runs[0]["assignment"] == ours.runs[0]["assignment"]
    row.note = "same matching" if same else "DIFFERENT matching"
    for run in row.runs:
        del run["assignment"]
    return row


def peer_pulp(size: str, backend: str, timeout: float, ours: Row) -> Row:
    row = Row(size, f"PuLP straightforward + {backend}")
    path = round_file(size, "policies")
    try:
        _, out = _child([sys.executable, str(HERE / "peer_pulp.py"), str(path), backend], timeout)
    except subprocess.TimeoutExpired:
        row.note = f"timeout > {timeout:.0f} s"
        return row
    run = json.loads(out.strip().splitlines()[-1])
    run["total"] = run["build"] + run["solve"]
    row.runs.append(run)
    mine = ours.runs[0]["objective"]
    row.note = f"objective {run['objective']} " + (
        "= ours" if abs(run["objective"] - mine) < 1e-4 else f"≠ ours {mine}"
    )
    return row


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


COLUMNS = ("load", "graph", "solve", "verify", "explain", "metrics", "write", "total", "peak_mb")


def fmt(value: float | None, key: str) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if key == "peak_mb" else f"{value:.3f}"


def write(rows: list[Row], quick: bool) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    suffix = "-quick" if quick else ""
    info = machine()
    lines = [
        f"# Benchmark results{' (quick)' if quick else ''}",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"{info['platform']}; {info['date']}. Seconds, median of the runs; "
        "peak memory in MB.",
        "",
        "| size | tool | " + " | ".join(COLUMNS) + " | matched | objective | note |",
        "|---" * (len(COLUMNS) + 5) + "|",
    ]
    floors = {r.size: r.median("total") for r in rows if r.tool == FLOOR}
    for row in rows:
        first = row.runs[0] if row.runs else {}
        cells = [fmt(row.median(k), k) for k in COLUMNS]
        bottom, total = floors.get(row.size), row.median("total")
        if row.tool.endswith("(CLI)") and bottom and total and not row.note:
            row.note = f"{total / bottom:.1f}× the floor"
        lines.append(
            f"| {row.size} | {row.tool} | "
            + " | ".join(cells)
            + f" | {first.get('matched', '')} | {first.get('objective', '')} "
            f"| {row.note} |"
        )
    (out / f"results{suffix}.md").write_text("\n".join(lines) + "\n")
    (out / f"results{suffix}.json").write_text(
        json.dumps(
            {
                "machine": info,
                "rows": [
                    {
                        "size": r.size,
                        "tool": r.tool,
                        "note": r.note,
                        "median": {k: r.median(k) for k in COLUMNS},
                        "runs": [
                            {k: v for k, v in run.items() if k != "assignment"} for run in r.runs
                        ],
                    }
                    for r in rows
                ],
            },
            indent=1,
        )
    )
    # stable's solve and whole-CLI time against preference entries, per size
    cli = {r.size: r.median("total") for r in rows if r.tool == "stable (CLI)"}
    points = [
        (SIZES[r.size][0] * SIZES[r.size][2], r.median("solve"), cli.get(r.size))
        for r in rows
        if r.tool == "stable"
    ]
    if len(points) >= 2:
        (out / f"stable-growth{suffix}.svg").write_text(plot(points))
    print("\n".join(lines))


def plot(points: list[tuple[int, float | None, float | None]]) -> str:
    """A log-log SVG of stable's solve and whole-CLI time against preference entries."""
    import math

    w, h, pad = 520, 360, 60
    xs = [math.log10(p[0]) for p in points]
    ys = [math.log10(v) for p in points for v in p[1:] if v]
    x0, x1 = min(xs) - 0.2, max(xs) + 0.2
    y0, y1 = min(ys) - 0.3, max(ys) + 0.3

    def sx(x: float) -> float:
        return pad + (math.log10(x) - x0) / (x1 - x0) * (w - 2 * pad)

    def sy(y: float) -> float:
        return h - pad - (math.log10(y) - y0) / (y1 - y0) * (h - 2 * pad)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>',
        f'<text x="{w / 2}" y="{h - 15}" text-anchor="middle">preference entries (log)</text>',
        f'<text x="15" y="{h / 2}" transform="rotate(-90 15 {h / 2})" '
        'text-anchor="middle">seconds (log)</text>',
        f'<text x="{w / 2}" y="25" text-anchor="middle" font-size="13">stable: '
        "growth with round size</text>",
    ]
    for e in range(math.ceil(y0), math.floor(y1) + 1):
        y = h - pad - (e - y0) / (y1 - y0) * (h - 2 * pad)
        parts.append(f'<text x="{pad - 6}" y="{y + 4}" text-anchor="end">{10.0**e:g}</text>')
        parts.append(f'<line x1="{pad}" y1="{y}" x2="{w - pad}" y2="{y}" stroke="#ddd"/>')
    for entries, *_ in points:
        parts.append(
            f'<text x="{sx(entries)}" y="{h - pad + 15}" text-anchor="middle">{entries:,}</text>'
        )
    # a line of slope 1 through the first solve point: linear growth
    first = points[0]
    if first[1]:
        last_x = points[-1][0]
        parts.append(
            f'<line x1="{sx(first[0])}" y1="{sy(first[1])}" x2="{sx(last_x)}" '
            f'y2="{sy(first[1] * last_x / first[0])}" stroke="#999" '
            'stroke-dasharray="4 3"/>'
        )
    for index, (colour, label) in enumerate((("#1f77b4", "solve"), ("#d62728", "whole CLI"))):
        pts = [(sx(p[0]), sy(v)) for p in points if (v := p[1 + index])]
        parts.append(
            '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
                colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            )
        )
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts]
        parts.append(
            f'<text x="{w - pad - 80}" y="{pad + 15 * index}" fill="{colour}">{label}</text>'
        )
    parts.append(f'<text x="{w - pad - 80}" y="{pad + 30}" fill="#999">linear</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="S and M, one run, for CI")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--timeout", type=float, default=330.0)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    rows: list[Row] = []
    flow_objective: dict[str, float] = {}  # auto's optimum per size, which the MILPs must equal
    for size in dict.fromkeys(case.size for case in cases(args.quick)):
        rows.append(floor(size, repeats, args.timeout))
    for case in cases(args.quick):
        print(f"{case.size} {case.name} ...", flush=True)
        try:
            staged, whole = measure(case, 1 if case.slow else repeats, args.timeout)
        except (subprocess.TimeoutExpired, RuntimeError) as exc:
            rows.append(Row(case.size, case.name, note=f"failed: {exc}"[:200]))
            continue
        rows += [staged, whole]
        if case.mechanism == "optimal" and case.stability == "ignored":
            mine = staged.runs[0]["objective"]
            if case.solver == "auto":
                flow_objective[case.size] = mine
            elif case.size in flow_objective:
                flow = flow_objective[case.size]
                same = abs(mine - flow) < 1e-4
                staged.note = "objective = auto's" if same else f"objective ≠ auto's {flow}"
        if args.no_peers:
            continue
        # the library on XL: extrapolated past 15 minutes (../shared/peer-figures.md)
        if case == Case(case.size, "stable") and case.size in ("S", "M", "L"):
            rows.append(peer_matching(case.size, 1, args.timeout, staged))
        if (
            case.mechanism == "optimal"
            and case.stability == "ignored"
            and case.size in ("S", "M")
            and case.solver == "cbc"
        ):
            for backend in ("cbc", "highs"):
                rows.append(peer_pulp(case.size, backend, args.timeout, staged))
    for row in rows:
        for run in row.runs:
            run.pop("assignment", None)
    write(rows, args.quick)


if __name__ == "__main__":
    main()
