"""Lists and pages at any size (issue 15), on SQLite and PostgreSQL.

    python bench/lists.py            the Changzhou round (5,000 candidates) and a
                                     100,000-candidate round (bench XL), both databases
    python bench/lists.py --quick    the Changzhou round on SQLite (the CI smoke run)

A real service (uvicorn and a worker) on a fresh database holds the round,
closed, solved twice and published. Each list route is asked for its first
page, a filtered page, a search and its last page by the role that uses it,
and each page of the pages by its reader; every request is made `--repeats`
times and its median reported: the server's own time (the Server-Timing
header every answer carries) and the time the client waited. The target is
a first page in ≤ 100 ms server time at 100,000 candidates. Figures to
bench/results/lists.md; no assertions (CI runs the smoke run).
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import load  # noqa: E402
from generate import generate  # noqa: E402

from api.config import Settings  # noqa: E402
from api.demo import create_consortium  # noqa: E402
from api.storage import repository as repo  # noqa: E402
from api.storage import tables as t  # noqa: E402
from api.storage.db import make_engine, migrate, session_factory, transaction  # noqa: E402
from api.vocabulary import ROLE_OF_KIND, RoundState  # noqa: E402
from matching import parse_round  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国晨浩宇轩子涵"
TRADES = ("发酵工艺", "下游纯化", "菌种构建", "生物信息", "质量控制", "注册事务", "细胞培养")


def named(doc: dict[str, Any], seed: int = 3) -> dict[str, Any]:
    """A generated round with what people read: names and numbers, titles,
    organizations' names (the bench's rounds have ids only)."""
    rng = random.Random(seed)
    for i, c in enumerate(doc["candidates"]):
        c["name"] = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
        c["number"] = f"2027{i:07d}"
    for p in doc["placements"]:
        p["title"] = f"{rng.choice(TRADES)}{rng.choice(['实习生', '学徒', '科研项目承接'])}"
    for o in doc["organizations"]:
        o.setdefault("name", f"常州{o['id']}单位")
    return doc


def seed(url: str, doc: dict[str, Any]) -> tuple[dict[str, str], float]:
    """The round stored open in a new consortium, as an import stores it;
    tokens for the coordinator, the college with the most candidates and the
    host of the placement with the most applicants; the seconds it took."""
    token = create_consortium(Settings(database_url=url), "bench", "基准联合体", "gov-b", "政府")
    parsed = parse_round(doc)
    listed = Counter(p for c in doc["candidates"] for p in _listed(c))
    busiest = max(listed, key=lambda p: (listed[p], p))
    host = next(p["host"] for p in doc["placements"] if p["id"] == busiest)
    college = Counter(c["college"] for c in doc["candidates"] if c.get("college")).most_common(1)[
        0
    ][0]
    engine = make_engine(url)
    migrate(engine)
    start = time.perf_counter()
    with transaction(session_factory(engine)) as s:
        r = t.Round(
            consortium_id="bench",
            id=doc["id"],
            seed=doc["seed"],
            state=RoundState.OPEN,
            rules={},
            stability="ignored",
            policies=[],
            created_at=repo.now(),
        )
        s.add(r)
        s.flush()
        repo.replace_round_content(s, r, parsed)
        s.flush()
        tokens = {"coordinator": token, "busiest": busiest}
        for who, org in (("college", college), ("enterprise", host)):
            kind = s.get(t.Organization, ("bench", org))
            assert kind is not None
            tokens[who] = repo.issue_token(s, "bench", org, ROLE_OF_KIND[kind.kind])[0]
    took = time.perf_counter() - start
    engine.dispose()
    return tokens, took


def _listed(c: dict[str, Any]) -> list[str]:
    return [p for item in c["preferences"] for p in (item if isinstance(item, list) else [item])]


def timed(client: httpx.Client, path: str, params: dict[str, Any], repeats: int) -> dict[str, Any]:
    server, waited, size = [], [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        answer = client.get(path, params=params)
        waited.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, (path, params, answer.status_code, answer.text[:300])
        server.append(float(answer.headers["server-timing"].split("dur=")[1]))
        size = len(answer.content)
    return {
        "server_ms": round(statistics.median(server), 1),
        "client_ms": round(statistics.median(waited), 1),
        "bytes": size,
    }


def solve(api: httpx.Client, rid: str, mechanism: str) -> tuple[str, float]:
    start = time.perf_counter()
    run = api.post(f"/rounds/{rid}/runs", json={"mechanism": mechanism, "time_limit": 600})
    assert run.status_code == 202, run.text
    run_id = run.json()["id"]
    while True:
        status = api.get(f"/rounds/{rid}/runs/{run_id}").json()
        if status["status"] not in ("queued", "running"):
            assert status["status"] == "solved", status
            return run_id, time.perf_counter() - start
        time.sleep(0.5)


def measure(label: str, url: str, doc: dict[str, Any], other: str, repeats: int) -> dict[str, Any]:
    tokens, seeded = seed(url, doc)
    rid = doc["id"]
    out: dict[str, Any] = {
        "round": label,
        "database": url.split(":")[0],
        "seed_s": round(seeded, 2),
    }
    with load.service(url, apis=1, workers=1) as (base,):
        headers = {"Authorization": f"Bearer {tokens['coordinator']}"}
        api = httpx.Client(base_url=base, headers=headers, timeout=600)
        start = time.perf_counter()
        assert api.post(f"/rounds/{rid}/close").status_code == 200
        out["close_s"] = round(time.perf_counter() - start, 2)
        first, out["solve_stable_s"] = solve(api, rid, "stable")
        second, out["solve_other_s"] = solve(api, rid, other)
        out["other"] = other
        assert api.post(f"/rounds/{rid}/runs/{first}/publish").status_code == 200
        clients = {
            who: httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=600
            )
            for who in ("coordinator", "college", "enterprise")
        }
        total = len(doc["candidates"])
        last = (total - 1) // 50 * 50
        busiest = tokens["busiest"]
        a_park = "park-a" if any(o["id"] == "park-a" for o in doc["organizations"]) else None
        people, places = f"/rounds/{rid}/candidates", f"/rounds/{rid}/placements"
        outcomes, moves = f"/rounds/{rid}/runs/{first}/assignments", f"/rounds/{rid}/compare/moves"
        both = {"runs": f"{first},{second}"}
        queries: list[tuple[str, str, str, dict[str, Any]]] = [
            ("coordinator", "candidates: first page", people, {}),
            ("coordinator", "candidates: by name", people, {"sort": "name"}),
            ("coordinator", "candidates: by college name", people, {"sort": "college"}),
            ("coordinator", "candidates: search a surname", people, {"q": "王"}),
            ("coordinator", "candidates: search a number", people, {"q": "20270001"}),
            ("coordinator", "candidates: kind and tier", people,
             {"kind": "student", "tier": "young_reserve"}),
            ("coordinator", "candidates: no preferences", people, {"preferences": "false"}),
            ("coordinator", "candidates: unplaced", people, {"placed": "false"}),
            ("coordinator", "candidates: last page", people, {"offset": last}),
            ("college", "a college's own", people, {"sort": "name"}),
            ("enterprise", "an enterprise's applicants", people, {}),
            ("coordinator", "placements: most applicants", places, {"sort": "-applicants"}),
            ("coordinator", "placements: by host name", places, {"sort": "host"}),
            ("college", "placements: search a title", places, {"q": "纯化"}),
            ("enterprise", "applicants of its busiest placement",
             f"{places}/{busiest}/applicants", {}),
            ("coordinator", "organizations", "/organizations", {"sort": "name"}),
            ("coordinator", "runs", f"/rounds/{rid}/runs", {}),
            ("coordinator", "a run's outcomes", outcomes, {}),
            ("coordinator", "a run's outcomes by park name", outcomes, {"sort": "park"}),
            ("coordinator", "a run's unplaced", outcomes, {"placed": "false", "sort": "name"}),
            ("college", "a college's results", f"/rounds/{rid}/assignments", {}),
            ("coordinator", "who moves", moves, both),
            ("coordinator", "net change per group", f"/rounds/{rid}/compare/changes", both),
        ]  # fmt: skip
        if a_park:
            queries.append(("coordinator", "who moves in a park", moves, {**both, "park": a_park}))
        out["api"] = [
            {"who": who, "what": what, **timed(clients[who], path, params, repeats)}
            for who, what, path, params in queries
        ]
        ui = f"/ui/rounds/{rid}"
        pages = [
            ("coordinator", "round overview", ui, {}),
            ("coordinator", "candidates", f"{ui}/candidates", {}),
            ("coordinator", "placements", f"{ui}/placements", {"sort": "-applicants"}),
            ("coordinator", "unplaced with reasons", f"{ui}/runs/{first}/assignments",
             {"placed": "false"}),
            ("coordinator", "two runs compared", f"{ui}/compare", {"a": first, "b": second}),
            ("enterprise", "its placements", ui, {}),
            ("enterprise", "applicant review (busiest)", f"{ui}/placements/{busiest}/applicants",
             {}),
            ("college", "its candidates", ui, {}),
            ("college", "its results", f"{ui}/results", {}),
        ]  # fmt: skip
        out["pages"] = []
        people = {
            who: _person(base, tokens[who], who) for who in dict.fromkeys(p[0] for p in pages)
        }
        for who, what, path, params in pages:
            browser = httpx.Client(base_url=base, timeout=600, follow_redirects=True)
            browser.post("/ui/signin", data=people[who])
            out["pages"].append(
                {"who": who, "what": what, **timed(browser, path, params, max(3, repeats // 3))}
            )
        out["applicants"] = len([c for c in doc["candidates"] if busiest in _listed(c)])
    return out


def _person(base: str, token: str, who: str) -> dict[str, str]:
    """A person of the token's organization (the token acts as its admin):
    the pages are signed in to with a name and a password."""
    headers = {"Authorization": f"Bearer {token}"}
    org = httpx.get(f"{base}/me", headers=headers, timeout=60).json()["organization"]["id"]
    login = {"login": f"bench-{who}-{secrets.token_hex(3)}", "password": "a-bench-password"}
    httpx.post(
        f"{base}/organizations/{org}/people",
        json={**login, "name": f"{who} bench", "role": "staff"},
        headers=headers,
        timeout=60,
    ).raise_for_status()
    return login


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "# Lists and pages at any size (issue 15)",
        "",
        "`python bench/lists.py` on this machine (2 cores): a real service (one uvicorn, one",
        "worker) per database; medians of repeated requests. *server*: the Server-Timing the",
        "service reports (to its answer's first byte); *client*: what the client waited.",
        "Target: a list's first page in ≤ 100 ms server time at 100,000 candidates.",
        "",
    ]
    for r in results:
        lines += [
            f"## {r['round']} on {r['database']}",
            "",
            f"stored (an import's write) {r['seed_s']} s · closed {r['close_s']} s · "
            f"solved stable {r['solve_stable_s']:.1f} s, {r['other']} "
            f"{r['solve_other_s']:.1f} s (queue to solved, results stored as rows) · "
            f"busiest placement: {r['applicants']} applicants",
            "",
            "| API (as) | what | server ms | client ms | bytes |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {x['who']} | {x['what']} | {x['server_ms']} | {x['client_ms']} | {x['bytes']:,} |"
            for x in r["api"]
        ]
        lines += [
            "",
            "| page (as) | what | server ms | client ms | bytes |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {x['who']} | {x['what']} | {x['server_ms']} | {x['client_ms']} | {x['bytes']:,} |"
            for x in r["pages"]
        ]
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Changzhou on SQLite, for CI")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from fixtures.changzhou import generate as changzhou

    # each round, and the mechanism its stable run is compared with
    rounds = [("Changzhou (5,000 × 1,805)", changzhou(), "policy-stable")]
    if not args.quick:
        rounds.append(("100,000 × 10,000 × 20", named(generate("XL")), "stable-placement"))
    databases = ["sqlite"] if args.quick else ["sqlite", "postgresql"]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, doc, other in rounds:
            for kind in databases:
                if kind == "sqlite":
                    url = f"sqlite:///{tmp}/{len(results)}.db"
                else:
                    load.reset_postgres(POSTGRES)
                    url = POSTGRES
                print(f"{label} on {kind} …", flush=True)
                results.append(measure(label, url, doc, other, 3 if args.quick else args.repeats))
                first = results[-1]["api"][0]
                print(f"  first page {first['server_ms']} ms server", flush=True)
    name = "lists-quick" if args.quick else "lists"
    out = HERE / "results"
    (out / f"{name}.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    (out / f"{name}.md").write_text(report(results), encoding="utf-8")
    print(report(results))


if __name__ == "__main__":
    main()
