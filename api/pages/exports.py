"""Downloads: CSV, the Excel workbook, the printable report, all in the
reader's language: names, numbers, titles, hosts and parks beside the ids,
reasons as sentences. The CSV carries a UTF-8 BOM, so Chinese Excel opens it
as UTF-8."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.downloads import attachment
from api.i18n import N_, _
from api.pages.common import (
    _back,
    _page,
    api,
    everything,
    mentioned_places,
    names_for,
    placement_titles,
    problem_text,
    router,
    seg,
)
from api.pages.rounds import figures
from api.words import reason, sayer, term
from matching import charts

# the columns of an assignment row, as every export writes them
COLUMNS = (
    ("name", N_("name")),
    ("number", N_("number")),
    ("candidate", N_("candidate id")),
    ("affiliation_name", N_("college or institute")),
    ("title", N_("placement title")),
    ("placement", N_("placement id")),
    ("host_name", N_("host")),
    ("park_name", N_("park")),
)


async def _rows(request: Request, rid: str, run: str | None) -> list[dict[str, Any]] | Response:
    """The rows the caller may see: a chosen run's (the coordinator), else the published ones."""
    path = (
        f"/rounds/{seg(rid)}/runs/{seg(run)}/assignments"
        if run
        else f"/rounds/{seg(rid)}/assignments"
    )
    rows = await everything(request, path, {"sort": "name"})
    if isinstance(rows, httpx.Response):
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(rows))
    return rows


# an organization without a name is shown by its id
FALLBACK = {"affiliation_name": "affiliation", "host_name": "host", "park_name": "park"}


def _cells(row: dict[str, Any]) -> list[Any]:
    cells = [row.get(key) or row.get(FALLBACK.get(key, key)) for key, _label in COLUMNS]
    if row.get("placement") is None:
        cells[4] = _("unplaced")
    return cells


@router.get("/rounds/{rid}/assignments.csv")
async def assignments_csv(request: Request, rid: str) -> Response:
    """The published results the caller may see, one row a candidate, its
    reasons in one cell (UTF-8 with a BOM: Chinese Excel reads it as such)."""
    rows = await _rows(request, rid, None)
    if isinstance(rows, Response):
        return rows
    titles = await placement_titles(request, rid, mentioned_places(rows))
    names = await names_for(request, rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_(label) for _key, label in COLUMNS] + [_("why not each better choice")])
    for row in rows:
        why = "；".join(reason(e, titles, names) for e in row.get("explanations") or [])
        writer.writerow(["" if v is None else v for v in _cells(row)] + [why])
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{rid}-{_('results')}.csv"),
    )


@router.get("/rounds/{rid}/export.xlsx")
async def export_xlsx(request: Request, rid: str, run: str | None = None) -> Response:
    """The caller's view as a workbook: its assignments and their reasons;
    for the coordinator and a chosen run, also the policies and the figures
    by park, college, kind and tier."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    me = (await api(request, "GET", "/me")).json()
    chosen = run if run and me["role"] == "coordinator" else None
    result = None
    if chosen:
        answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(chosen)}/result")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
        result = answer.json()
    rows = await _rows(request, rid, chosen)
    if isinstance(rows, Response):
        return rows
    titles = await placement_titles(request, rid, mentioned_places(rows))
    metrics = result["metrics"] if result is not None else {}
    names = await names_for(request, rows, [k for g in charts.GROUPS for k in metrics.get(g, {})])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("results")
    sheet.append([_(label) for _key, label in COLUMNS])
    for row in rows:
        sheet.append(_cells(row))
    why = book.create_sheet(_("reasons"))
    why.append([_(label) for _key, label in COLUMNS] + [_("placement not obtained"), _("reason")])
    for row in rows:
        for e in row.get("explanations") or []:
            why.append(
                [*_cells(row), titles.get(e["placement"], e["placement"]), reason(e, titles, names)]
            )
    if result is not None:
        policies = book.create_sheet(_("policy quotas"))
        policies.append([_("policy"), _("floor"), _("ceiling"), _("value"), _("met")])
        for p in result["policies"]:
            policies.append(
                [p["id"], p["min"], p["max"], p["value"], _("yes") if p["satisfied"] else _("NO")]
            )
        for key in charts.GROUPS:
            groups = book.create_sheet(_(charts.GROUPS[key])[:31])
            groups.append([_("group"), _("placed"), _("total"), _("fill rate")])
            for name, fill in sorted(result["metrics"][key].items()):
                groups.append(
                    [names.get(name) or term(name), fill["matched"], fill["total"], fill["rate"]]
                )
    for ws in book.worksheets:
        for n in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(n)].width = 20
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(f"{rid}.xlsx"),
    )


@router.get("/rounds/{rid}/report", response_class=HTMLResponse)
async def report(request: Request, rid: str, run: str) -> Response:
    """A printable report of one run: figures, charts, the policy table, and
    every unplaced candidate with why not each choice."""
    r = await api(request, "GET", f"/rounds/{seg(rid)}")
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/result")
    if r.is_error or answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer if r.is_success else r))
    result = answer.json()
    unplaced = await everything(
        request,
        f"/rounds/{seg(rid)}/runs/{seg(run)}/assignments",
        {"placed": "false", "sort": "name"},
    )
    if isinstance(unplaced, httpx.Response):
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(unplaced))
    metrics = result["metrics"]
    names = await names_for(request, unplaced, [k for g in charts.GROUPS for k in metrics[g]])
    return _page(
        request,
        "report.html",
        me=None,
        r=r.json(),
        run=run,
        result=figures(result),
        charts=charts.result_charts(result, sayer(names)),
        unplaced=unplaced,
        titles=await placement_titles(request, rid, mentioned_places(unplaced)),
        org_names=names,
    )
