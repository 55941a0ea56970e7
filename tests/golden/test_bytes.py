"""The result documents the command line writes, byte for byte, against
digests recorded before a change that must not change them (issue 18's
rewrite of the engine's insides): every fixture and the benchmark rounds up
to L, with each mechanism that takes them.

    RECORD_GOLDEN=1 python -m pytest tests/golden/test_bytes.py   # record anew
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from matching import cli

HERE = Path(__file__).parent
ROUNDS = HERE.parents[1] / "fixtures" / "rounds"
DIGESTS = HERE / "results.sha256.json"
sys.path.insert(0, str(HERE.parents[1] / "bench"))

FIXTURES = [
    (name, mechanism)
    for name in (
        "contract-example",
        "gale-shapley-hospitals",
        "intern-ratio",
        "kp-repro",
        "spa-aim-2007",
        "changzhou-2027",
    )
    for mechanism in ("stable", "stable-placement", "policy-stable", "optimal")
]
BENCH = [
    (f"{size}{variant}", mechanism)
    for size in ("S", "M", "L")
    for variant in ("", "+mentors", "+policies")
    for mechanism in ("stable", "stable-placement", "optimal")
    if not (size == "L" and mechanism == "optimal")
]


def _round(name: str, folder: Path) -> Path:
    if name in dict(FIXTURES):
        return ROUNDS / f"{name}.json"
    from generate import generate  # bench/generate.py: seeded, the benchmark's own rounds

    size, _, variant = name.partition("+")
    path = folder / f"{name}.json"
    if not path.exists():
        doc = generate(size, mentors=variant == "mentors", policies=variant == "policies")
        path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _digest(path: Path, mechanism: str, folder: Path) -> str:
    out = folder / f"{path.stem}-{mechanism}.json"
    code = cli.main(["solve", str(path), "--mechanism", mechanism, "--out", str(out)])
    if code != 0:
        return f"exit {code}"  # refused (e.g. stable-placement with mentors): that too is kept
    return hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("golden")


@pytest.fixture(scope="module")
def recorded() -> dict[str, str]:
    found: dict[str, str] = json.loads(DIGESTS.read_text()) if DIGESTS.exists() else {}
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("name", "mechanism"), FIXTURES + BENCH)
def test_the_same_bytes_as_recorded(
    name: str, mechanism: str, folder: Path, recorded: dict[str, str]
) -> None:
    key = f"{name} {mechanism}"
    digest = _digest(_round(name, folder), mechanism, folder)
    if os.environ.get("RECORD_GOLDEN"):
        recorded[key] = digest
        DIGESTS.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        return
    assert key in recorded, f"{key}: no digest recorded (RECORD_GOLDEN=1 records one)"
    assert digest == recorded[key], f"{key}: the result document changed"
