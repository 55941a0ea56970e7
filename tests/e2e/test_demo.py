"""`make run`'s command as a person meets it: a port already taken is refused
before anything is written, and SIGTERM stops the worker with the service
(issue 11, item 13)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import load  # bench/load.py

ROOT = Path(__file__).parents[2]
ROUND = ROOT / "fixtures" / "rounds" / "contract-example.json"


def _demo(tmp: Path, port: int, output: int = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}"}
    return subprocess.Popen(
        [sys.executable, "-m", "api", "demo", "--round", str(ROUND), "--port", str(port)],
        cwd=tmp,
        env=env,
        stdout=output,
        stderr=output,
        text=True,
    )


def _children(pid: int) -> list[str]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            out.append(stat.parent.name)
    return out


def test_a_taken_port_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        (tmp_path / "var").mkdir()
        tokens = tmp_path / "var" / "demo-tokens.txt"
        tokens.write_text("the tokens of the demo already running\n")
        demo = _demo(tmp_path, port)
        _, err = demo.communicate(timeout=60)
    assert demo.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken" in err
    assert f"make run PORT={port + 1}" in err
    assert tokens.read_text() == "the tokens of the demo already running\n"
    assert not (tmp_path / "demo.db").exists()


def test_sigterm_stops_the_worker_with_the_service(tmp_path: Path) -> None:
    port = load.free_port()
    # no pipes: a worker left behind would hold them open
    demo = _demo(tmp_path, port, subprocess.DEVNULL)
    children: list[str] = []
    try:
        load.wait_until_up(f"http://127.0.0.1:{port}")
        children = _children(demo.pid)
        assert len(children) == 1  # the worker
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{children[0]}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not Path(f"/proc/{children[0]}").exists(), "the worker outlived the service"
    finally:
        for pid in [str(demo.pid), *children]:
            if Path(f"/proc/{pid}").exists():
                os.kill(int(pid), signal.SIGKILL)
        demo.wait()
