"""Charts of a result, as standalone SVG text: drawn from the result document's
`metrics`, so that the CLI (`--charts DIR`) and the service's pages draw the
same pictures. Plain shapes and text, a fixed palette that survives grey-scale
printing, every figure written beside its bar.

* `rank_histogram`: how many candidates got their 1st, 2nd, … choice;
* `fill_bars`: a bar per group (park, college, kind, tier): matched of total;
* `compare_bars`: one figure for several runs side by side;
* `change_bars`: a bar per group around zero: the net change between two runs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

INK = "#1f2933"
BAR = "#2f6fab"
PALE = "#d9e2ec"
# CJK first, so that Chinese labels render wherever the SVG is shown
FONT = (
    "font-family=\"'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', "
    "'PingFang SC', 'DejaVu Sans', Arial, sans-serif\""
)
# Every label a chart writes passes through a `say` (the English text, a
# group's key, a vocabulary value → what the reader reads); the pages give
# one in the reader's language, the CLI writes English.
Say = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def _width(text: str, size: float = 11) -> float:
    """About how wide `text` is at `size` px: a CJK character twice a Latin one."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


# The metrics' groups worth a chart, with their titles.
GROUPS = {
    "by_park": "Seats filled by park",
    "by_college": "Candidates placed by college or institute",
    "by_kind": "Candidates placed by kind",
    "by_tier": "Candidates placed by tier",
}


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{height}" fill="white"/>'
        f'<text x="8" y="18" {FONT} font-size="14" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>" + "".join(body) + "</svg>\n"
    )


def rank_histogram(metrics: Mapping[str, Any], say: Say = _plain) -> str:
    """Vertical bars: candidates placed at their k-th choice, and the unplaced."""
    bins = sorted((int(k), int(v)) for k, v in metrics["rank_histogram"].items())
    none = say("none")
    bars = [(f"{k}", v) for k, v in bins] + [(none, int(metrics["unmatched"]))]
    top = max((v for _, v in bars), default=0) or 1
    step = max(18, min(48, 560 // max(1, len(bars))))
    width, plot = 60 + step * len(bars), 180
    body = [
        f'<line x1="40" y1="{30 + plot}" x2="{width - 10}" y2="{30 + plot}" stroke="{INK}"/>',
        f'<text x="8" y="{30 + plot + 34}" {FONT} font-size="11" fill="{INK}">'
        f"{escape(say('choice'))}</text>",
    ]
    for i, (label, value) in enumerate(bars):
        h = round(plot * value / top)
        x = 44 + i * step
        fill = PALE if label == none else BAR
        body += [
            f'<rect x="{x}" y="{30 + plot - h}" width="{step - 6}" height="{h}" fill="{fill}" '
            f'stroke="{INK}" stroke-width="0.5"><title>{label}: {value}</title></rect>',
            f'<text x="{x + (step - 6) / 2}" y="{30 + plot - h - 3}" {FONT} font-size="10" '
            f'text-anchor="middle" fill="{INK}">{value}</text>',
            f'<text x="{x + (step - 6) / 2}" y="{30 + plot + 14}" {FONT} font-size="11" '
            f'text-anchor="middle" fill="{INK}">{escape(label)}</text>',
        ]
    return _svg(width, plot + 72, say("Choice obtained"), body)


def fill_bars(groups: Mapping[str, Mapping[str, Any]], title: str, say: Say = _plain) -> str:
    """Horizontal bars, one per group: the matched share of its total."""
    rows = sorted((say(k), fill) for k, fill in groups.items())
    label_width = min(300, 10 + round(max((_width(k) for k, _ in rows), default=24)))
    plot, row = 300, 20
    width = label_width + plot + 150
    body = []
    for i, (key, fill) in enumerate(rows):
        y = 30 + i * row
        rate = float(fill["rate"])
        body += [
            f'<text x="{label_width - 6}" y="{y + 13}" {FONT} font-size="11" '
            f'text-anchor="end" fill="{INK}">{escape(key)}</text>',
            f'<rect x="{label_width}" y="{y + 2}" width="{plot}" height="{row - 6}" '
            f'fill="{PALE}"/>',
            f'<rect x="{label_width}" y="{y + 2}" width="{round(plot * rate, 1)}" '
            f'height="{row - 6}" fill="{BAR}"><title>{escape(key)}: {rate:.1%}</title></rect>',
            f'<text x="{label_width + plot + 6}" y="{y + 13}" {FONT} font-size="11" '
            f'fill="{INK}">{fill["matched"]}/{fill["total"]} ({rate:.1%})</text>',
        ]
    return _svg(width, 40 + row * max(1, len(rows)), say(title), body)


def compare_bars(results: Sequence[tuple[str, Mapping[str, Any]]], say: Say = _plain) -> str:
    """Several runs side by side: placed candidates, mean rank and welfare,
    each scaled to the largest of the runs."""
    figures = [(say("placed"), "matched", "{:.0f}"), (say("mean rank"), "mean_rank", "{:.2f}")]
    figures.append((say("welfare"), "welfare", "{:.1f}"))
    row, plot = 18, 240
    label_width = 20 + round(max((_width(label) for label, _ in results), default=48))
    body: list[str] = []
    y = 30
    for name, key, fmt in figures:
        body.append(
            f'<text x="8" y="{y + 13}" {FONT} font-size="12" font-weight="bold" '
            f'fill="{INK}">{name}</text>'
        )
        y += row
        top = max((float(r["metrics"][key] or 0) for _, r in results), default=0) or 1
        for label, r in results:
            v = float(r["metrics"][key] or 0)
            body += [
                f'<text x="{label_width - 6}" y="{y + 12}" {FONT} font-size="11" '
                f'text-anchor="end" fill="{INK}">{escape(label)}</text>',
                f'<rect x="{label_width}" y="{y + 2}" width="{round(plot * v / top, 1)}" '
                f'height="{row - 5}" fill="{BAR}"/>',
                f'<text x="{label_width + plot + 6}" y="{y + 12}" {FONT} font-size="11" '
                f'fill="{INK}">{fmt.format(v)}</text>',
            ]
            y += row
        y += 6
    return _svg(label_width + plot + 90, y + 8, say("Runs compared"), body)


def change_bars(changes: Mapping[str, int], title: str, say: Say = _plain) -> str:
    """Horizontal bars around zero, one per group: how many more (right) or
    fewer (left) candidates a second run places there than the first."""
    rows = sorted(((say(k), int(v)) for k, v in changes.items()), key=lambda x: (-x[1], x[0]))
    label_width = min(300, 10 + round(max((_width(k) for k, _ in rows), default=24)))
    half, row = 150, 20
    top = max((abs(v) for _, v in rows), default=0) or 1
    zero = label_width + half
    body = [f'<line x1="{zero}" y1="26" x2="{zero}" y2="{30 + row * len(rows)}" stroke="{INK}"/>']
    for i, (key, change) in enumerate(rows):
        y = 30 + i * row
        length = round(half * abs(change) / top, 1)
        x = zero if change >= 0 else zero - length
        body += [
            f'<text x="{label_width - 6}" y="{y + 13}" {FONT} font-size="11" '
            f'text-anchor="end" fill="{INK}">{escape(key)}</text>',
            f'<rect x="{x}" y="{y + 3}" width="{length}" height="{row - 6}" '
            f'fill="{BAR if change >= 0 else PALE}" stroke="{BAR}"/>',
            f'<text x="{zero + half + 6}" y="{y + 13}" {FONT} font-size="11" '
            f'fill="{INK}">{change:+d}</text>',
        ]
    return _svg(label_width + 2 * half + 60, 40 + row * len(rows), say(title), body)


def result_charts(result: Mapping[str, Any], say: Say = _plain) -> dict[str, str]:
    """Every chart of one result document, by file stem."""
    metrics = result["metrics"]
    charts = {"rank-histogram": rank_histogram(metrics, say)}
    for key, title in GROUPS.items():
        if metrics.get(key):
            charts[key.replace("_", "-")] = fill_bars(metrics[key], title, say)
    return charts


def write_charts(folder: Path, results: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Write each result's charts (prefixed by its mechanism when there are
    several) and, for several, the comparison; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for result in results:
        prefix = f"{result['mechanism']}-" if len(results) > 1 else ""
        for stem, svg in result_charts(result).items():
            path = folder / f"{prefix}{stem}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    if len(results) > 1:
        path = folder / "compare.svg"
        path.write_text(compare_bars([(r["mechanism"], r) for r in results]), encoding="utf-8")
        written.append(path)
    return written


# The consortium graph: one band per kind of organization, top to bottom.
BANDS = ("government", "park", "enterprise", "studio", "college", "institute")
KIND_COLOUR = {
    "government": "#7b2cbf",
    "park": "#2a9d8f",
    "enterprise": "#2f6fab",
    "studio": "#e76f51",
    "college": "#e9c46a",
    "institute": "#8d99ae",
}


def consortium_graph(
    organizations: Sequence[Mapping[str, Any]],
    links: Sequence[Mapping[str, Any]],
    say: Say = _plain,
) -> str:
    """Organizations as dots in bands by kind (wrapped into rows of at most 80),
    links as faint lines; each band labelled with its kind and count."""
    width, per_row, row_h, band_gap = 980, 80, 14, 34
    where: dict[str, tuple[float, float]] = {}
    body: list[str] = []
    y = 40
    kinds = [k for k in BANDS if any(o["kind"] == k for o in organizations)]
    kinds += sorted({str(o["kind"]) for o in organizations} - set(kinds))
    for kind in kinds:
        members = sorted(str(o["id"]) for o in organizations if o["kind"] == kind)
        body.append(
            f'<text x="8" y="{y + 4}" {FONT} font-size="12" fill="{INK}">'
            f"{escape(say(kind))} ({len(members)})</text>"
        )
        across = min(per_row, len(members))
        for i, org in enumerate(members):
            row, col = divmod(i, per_row)
            x = 140 + (col + 0.5) * (width - 150) / max(1, across)
            where[org] = (x, y + row * row_h)
        y += band_gap + row_h * ((len(members) - 1) // per_row)
    lines = []
    for link in links:
        a, b = where.get(str(link["source"])), where.get(str(link["target"]))
        if a is not None and b is not None:
            lines.append(f'<line x1="{a[0]:.1f}" y1="{a[1]}" x2="{b[0]:.1f}" y2="{b[1]}"/>')
    body.append(f'<g stroke="{INK}" stroke-opacity="0.12" stroke-width="0.6">{"".join(lines)}</g>')
    kind_of = {str(o["id"]): str(o["kind"]) for o in organizations}
    name_of = {str(o["id"]): str(o.get("name") or o["id"]) for o in organizations}
    for org, (x, yy) in where.items():
        colour = KIND_COLOUR.get(kind_of[org], INK)
        body.append(
            f'<circle cx="{x:.1f}" cy="{yy}" r="3.5" fill="{colour}">'
            f"<title>{escape(name_of[org])}</title></circle>"
        )
    title = say("Consortium: %(orgs)s organizations, %(links)s links") % {
        "orgs": len(organizations),
        "links": len(links),
    }
    return _svg(width, y + 10, title, body)
