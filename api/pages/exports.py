"""Downloads: CSV, the Excel workbook, the printable report."""

from __future__ import annotations

import io

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from api.downloads import attachment
from api.pages.common import (
    REASON_FIELDS,
    _back,
    _page,
    api,
    problem_text,
    router,
    seg,
)
from api.pages.rounds import _unplaced
from matching import charts

# ------------------------------------------------------------------ exports


@router.get("/rounds/{rid}/assignments.csv")
async def assignments_csv(request: Request, rid: str) -> Response:
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/assignments", params={"format": "csv"})
    if answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"{rid}-assignments.csv"),
    )


@router.get("/rounds/{rid}/export.xlsx")
async def export_xlsx(request: Request, rid: str, run: str | None = None) -> Response:
    """The caller's view as a workbook: its published assignments and their
    reasons; for the coordinator and a chosen run, also the policies and the
    figures by park, college, kind and tier."""
    from openpyxl import Workbook

    me = (await api(request, "GET", "/me")).json()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if run and me["role"] == "coordinator":
        answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/result")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
        result = answer.json()
        # the same rows as every other audience's, hosts and colleges included
        listed = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/assignments")
        if listed.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(listed))
        rows = listed.json()["assignments"]
    else:
        answer = await api(request, "GET", f"/rounds/{seg(rid)}/assignments")
        if answer.is_error:
            return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer))
        result, rows = None, answer.json()["assignments"]
    sheet.title = "assignments"
    sheet.append(["candidate", "affiliation", "placement", "host"])
    for row in rows:
        sheet.append([row["candidate"], row.get("affiliation"), row["placement"], row.get("host")])
    why = book.create_sheet("explanations")
    why.append(["candidate", "placement", "reason", "cutoff", "rule", "mentor", "policy", "gain"])
    for row in rows:
        for e in row.get("explanations", []):
            why.append([row["candidate"], *(e.get(k) for k in REASON_FIELDS)])
    if result is not None:
        policies = book.create_sheet("policies")
        policies.append(["policy", "min", "max", "value", "satisfied"])
        for p in result["policies"]:
            policies.append([p["id"], p["min"], p["max"], p["value"], p["satisfied"]])
        for key in charts.GROUPS:
            groups = book.create_sheet(key.replace("_", " "))
            groups.append(["group", "matched", "total", "rate"])
            for name, fill in sorted(result["metrics"][key].items()):
                groups.append([name, fill["matched"], fill["total"], fill["rate"]])
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=attachment(f"{rid}.xlsx"),
    )


@router.get("/rounds/{rid}/report", response_class=HTMLResponse)
async def report(request: Request, rid: str, run: str) -> Response:
    """A printable report of one run: figures, charts, the policy table."""
    r = await api(request, "GET", f"/rounds/{seg(rid)}")
    answer = await api(request, "GET", f"/rounds/{seg(rid)}/runs/{seg(run)}/result")
    if r.is_error or answer.is_error:
        return _back(f"/ui/rounds/{seg(rid)}", error=problem_text(answer if r.is_success else r))
    result = answer.json()
    return _page(
        request,
        "report.html",
        me=None,
        r=r.json(),
        run=run,
        result=result,
        charts=charts.result_charts(result),
        unplaced=_unplaced(result),
    )
