"""python -m api serve | worker | demo | create-consortium"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

import uvicorn

from api.config import Settings


def _serve(args: argparse.Namespace) -> None:
    uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port)


def _worker(args: argparse.Namespace) -> None:
    from api.jobs import work

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    work(Settings(), once=args.once)


def _create_consortium(args: argparse.Namespace) -> None:
    from api.demo import create_consortium

    token = create_consortium(
        Settings(), args.id, args.name, args.coordinator, args.coordinator_name
    )
    print(token)


def _demo(args: argparse.Namespace) -> None:
    from api.demo import seed_demo

    url = f"http://{args.host}:{args.port}"
    tokens = seed_demo(Settings(), Path(args.round))
    lines = [f"{role:12} {org:16} {token}" for role, org, token in tokens]
    Path("var").mkdir(exist_ok=True)
    Path("var/demo-tokens.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Changzhou demo consortium: open {url}/ui and sign in with a token below")
    print(f"(the API and its documentation: {url}/docs)")
    print("demo tokens (also in var/demo-tokens.txt):")
    print("\n".join("  " + line for line in lines), flush=True)
    worker = subprocess.Popen([sys.executable, "-m", "api", "worker"])
    try:
        uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP service")
    demo = sub.add_parser("demo", help="load the Changzhou demo, start a worker and the service")
    for p in (serve, demo):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
    demo.add_argument("--round", default="fixtures/rounds/changzhou-2027.json")
    worker = sub.add_parser("worker", help="claim and solve queued runs")
    worker.add_argument("--once", action="store_true", help="stop when no run is queued")
    create = sub.add_parser(
        "create-consortium", help="create a consortium and print the coordinator's token"
    )
    create.add_argument("id")
    create.add_argument("--name", required=True)
    create.add_argument("--coordinator", required=True, help="the consortium office's org id")
    create.add_argument("--coordinator-name", default="Consortium office")
    args = parser.parse_args()
    {"serve": _serve, "worker": _worker, "demo": _demo, "create-consortium": _create_consortium}[
        args.command
    ](args)


if __name__ == "__main__":
    main()
