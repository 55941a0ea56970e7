"""A published result anyone can check (issue 17): publication writes a
bundle; `python -m matching audit BUNDLE` solves it again and checks every
property the result claims; tampering with any part of a bundle changes the
verdict. The round in a bundle has no names."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matching.audit import audit
from tests.api.conftest import World
from tests.api.flow import full_round
from tests.api.test_after_publication import change, rematch


def published_bundles(w: World) -> list[dict[str, Any]]:
    c = w.client
    run = full_round(w)
    assert c.post(f"/rounds/r1/runs/{run}/publish", headers=w.coordinator).status_code == 200
    assert change(w, w.czcit, kind="decline", candidate="s1").status_code == 201
    pin = {"kind": "pin", "reason": "disability", "note": "无障碍通道"}
    assert c.put("/rounds/r1/overrides/s2/hb-1", json=pin, headers=w.coordinator).status_code == 200
    second = rematch(w)
    assert c.post(f"/rounds/r1/runs/{second}/publish", headers=w.coordinator).status_code == 200
    out = []
    for n in (1, 2):
        answer = c.get(f"/rounds/r1/versions/{n}/bundle", headers=w.czu)  # anyone of the consortium
        assert answer.status_code == 200
        out.append(answer.json())
    return out


def test_published_bundles_check_out_and_tampering_is_found(world: World, tmp_path: Path) -> None:
    first, second = published_bundles(world)
    assert "name" not in json.dumps(first["round"]["candidates"])
    assert second["overrides"][0]["reason"] == "disability" and "rematch_of" in second
    for bundle in (first, second):
        verdict = audit(bundle)
        assert verdict.ok, verdict.report()
    # the command line, as anyone would run it
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(second, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "matching", "audit", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("VERIFIED"), done.stdout
    # a tampered part: the verdict changes, naming what no longer holds
    tampered = copy.deepcopy(second)
    tampered["result"]["assignments"]["s3"] = None
    path.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "matching", "audit", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1 and "NOT VERIFIED" in done.stdout
    assert "✗ solving the round again gives the result" in done.stdout


def _set(bundle: dict[str, Any], path: str, value: Any) -> None:
    *keys, last = path.split(".")
    at: Any = bundle
    for key in keys:
        at = at[int(key)] if isinstance(at, list) else at[key]
    if isinstance(at, list):
        at[int(last)] = value
    else:
        at[last] = value


TAMPERED = [
    ("round.candidates.2.preferences", ["qh-1"], "solving the round again"),
    ("round_hash", "0" * 64, "hashes to round_hash"),
    ("seed", 12345, "the seed"),
    ("round.seed", 12345, "hashes to round_hash"),
    ("mechanism", "optimal", "the mechanism"),
    ("result.assignments.s3", None, "solving the round again"),
    ("result.stable", False, "blocking pairs"),
    ("result.explanations", {}, "every explanation"),
    ("result.policies.0.value", 99, "policy values"),
    ("overrides.0.reason", "other", "the overrides"),
    ("round.overrides.0.reason", "health", "the overrides"),
    ("rematch_of.assignments.s3", None, "solving the round again"),
    ("format", "something else", "format"),
]


def test_each_part_of_a_bundle_is_checked(world: World) -> None:
    if not world.settings.database_url.startswith("sqlite"):
        pytest.skip("the bundle's checks do not depend on the database")
    _, second = published_bundles(world)
    for part, value, caught in TAMPERED:
        tampered = copy.deepcopy(second)
        _set(tampered, part, value)
        verdict = audit(tampered)
        assert not verdict.ok, part
        failed = [what for what, held, _ in verdict.checks if not held]
        assert any(caught in what for what in failed), (part, verdict.report())
