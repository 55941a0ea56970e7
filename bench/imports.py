"""A college's file through the pages: preview, then confirm, on SQLite.

    python bench/imports.py            5,000 rows (issue 13: preview ≤ 5 s, commit ≤ 10 s)
    python bench/imports.py --quick    1,000 rows (the CI smoke run; no assertions)

A real service (uvicorn and a worker, as `make run` starts them) on a fresh
SQLite database holds the Changzhou consortium's organizations and its
1,805 placements; a college's candidate list is written as Chinese Excel
writes a CSV (GBK, Chinese headers) and as an .xlsx workbook; each is
uploaded to the preview (read, checked by the API's dry run, rendered) and
then confirmed (stored in one transaction). Wall-clock seconds as the
browser would wait them; figures to bench/results/imports.md.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402

from api.config import Settings  # noqa: E402
from api.demo import create_consortium  # noqa: E402
from fixtures.changzhou import generate  # noqa: E402

HEADER = ["候选人编号", "姓名", "学号", "类型", "学历层次", "技能", "志愿（按顺序）"]


def _rows(doc: dict[str, object], college: str, n: int) -> list[list[str]]:
    candidates = [c for c in doc["candidates"] if c["kind"] != "project"]  # type: ignore[attr-defined]
    out = []
    for i in range(n):
        c = candidates[i % len(candidates)]
        prefs = [p if isinstance(p, str) else p[0] for p in c["preferences"]]
        out.append(
            [
                f"{college}-{i + 1:05d}",
                c["name"],
                f"2027{i + 1:07d}",
                "学生",
                "高职",
                "；".join(c["skills"]),
                "；".join(prefs),
            ]
        )
    return out


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("gb18030")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(rows: int) -> list[dict[str, object]]:
    doc = generate()
    results = []
    for fmt, make in (("csv (GBK)", _csv), ("xlsx", _xlsx)):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'imports.db'}"
            token = create_consortium(
                Settings(database_url=url), "cz", "常州", "gov-cz", "常州市人民政府"
            )
            with load.service(url, apis=1, workers=1) as (base,):
                coordinator = {"Authorization": f"Bearer {token}"}
                api = httpx.Client(base_url=base, headers=coordinator, timeout=600)
                api.post("/rounds", json={"id": "cz-2027"}).raise_for_status()
                # the consortium and its placements, without candidates (nor rankings of them)
                bare = {
                    **doc,
                    # a round has candidates: one of another college
                    "candidates": [
                        {"id": "u-1", "kind": "student", "college": "col-u1", "preferences": []}
                    ],
                    "placements": [
                        {k: v for k, v in p.items() if k != "ranking"}
                        for p in doc["placements"]  # type: ignore[attr-defined]
                    ],
                    "mentors": [
                        {k: v for k, v in m.items() if k != "ranking"}
                        for m in doc["mentors"]  # type: ignore[attr-defined]
                    ],
                }
                body = json.dumps(bare, ensure_ascii=False).encode()
                api.post(
                    "/rounds/cz-2027/import",
                    content=body,
                    headers={"Content-Type": "application/json"},
                ).raise_for_status()
                api.post("/rounds/cz-2027/open").raise_for_status()
                college = "col-czcit"
                # the college's placement officer, signed in with a password
                person = {
                    "login": "czcit-officer",
                    "name": "信息学院 招生就业处",
                    "role": "staff",
                    "password": "a-bench-password",
                }
                api.post(f"/organizations/{college}/people", json=person).raise_for_status()
                data = make(_rows(doc, college, rows))
                page = httpx.Client(base_url=base, timeout=600)
                page.post(
                    "/ui/signin", data={"login": person["login"], "password": person["password"]}
                )
                found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.get("/ui").text)
                assert found is not None
                csrf = found.group(1)
                started = time.perf_counter()
                preview = page.post(
                    "/ui/rounds/cz-2027/candidates/preview",
                    data={"csrf": csrf},
                    files={"file": (f"名单.{fmt[:4].strip()}", data, "application/octet-stream")},
                )
                preview_s = time.perf_counter() - started
                payload = re.search(r'name="payload" value="([^"]*)"', preview.text)
                assert payload is not None, preview.text[:2000]
                started = time.perf_counter()
                done = page.post(
                    "/ui/rounds/cz-2027/candidates/import",
                    data={"csrf": csrf, "payload": html.unescape(payload.group(1))},
                    follow_redirects=False,
                )
                commit_s = time.perf_counter() - started
                assert "msg=" in done.headers.get("location", ""), (
                    done.status_code,
                    done.text[:500],
                )
                stored = api.get("/rounds/cz-2027").json()["counts"]["candidates"]
                assert stored == rows + 1, stored
                results.append(
                    {
                        "format": fmt,
                        "rows": rows,
                        "bytes": len(data),
                        "preview_s": round(preview_s, 2),
                        "commit_s": round(commit_s, 2),
                    }
                )
                print(results[-1], flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = 1000 if args.quick else 5000
    results = measure(rows)
    out = HERE / "results" / ("imports-quick.md" if args.quick else "imports.md")
    lines = [
        "# A college's file through the pages (SQLite, a real service)",
        "",
        f"{rows:,} candidates of the Changzhou round, Chinese headers; preview = read,",
        "checked by the API's dry run and rendered; commit = stored in one transaction.",
        "Targets (issue 13): preview ≤ 5 s, commit ≤ 10 s for 5,000 rows.",
        "",
        "| file | rows | bytes | preview s | commit s |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['format']} | {r['rows']:,} | {r['bytes']:,} | {r['preview_s']} | "
            f"{r['commit_s']} |"
        )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
