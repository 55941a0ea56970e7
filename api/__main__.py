"""python -m api serve | worker | demo | create-consortium"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
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

    taken = _port_taken(args.host, args.port)
    if taken:
        print(
            f"port {args.port} on {args.host} is taken ({taken}); nothing was changed. "
            f"Choose another: make run PORT={args.port + 1} "
            f"(or python -m api demo --port {args.port + 1})",
            file=sys.stderr,
        )
        raise SystemExit(2)
    url = f"http://{args.host}:{args.port}"
    demos = seed_demo(Settings(), Path(args.round))
    people = [f"{d.role:12} sign-in name {d.login:16} password {d.password}" for d in demos]
    tokens = [f"{d.role:12} {d.organization:16} {d.token}" for d in demos]
    Path("var").mkdir(exist_ok=True)
    Path("var/demo-accounts.txt").write_text("\n".join(people) + "\n", encoding="utf-8")
    Path("var/demo-tokens.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    print(f"Changzhou demo consortium: open {url}/ui and sign in with an account below")
    print(f"(the API and its documentation: {url}/docs; automation uses the tokens)")
    print("demo accounts, each its organization's admin (also in var/demo-accounts.txt):")
    print("\n".join("  " + line for line in people))
    print("demo tokens (also in var/demo-tokens.txt):")
    print("\n".join("  " + line for line in tokens), flush=True)
    # uvicorn re-raises the SIGTERM it shut down for once it has: exit through
    # `finally` then, so the worker stops with the service, as on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    worker = subprocess.Popen([sys.executable, "-m", "api", "worker"])
    try:
        uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _port_taken(host: str, port: int) -> str | None:
    """Why the service could not listen on (host, port), or None when it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


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
