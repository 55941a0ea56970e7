"""A round built through the API by each audience in turn."""

from __future__ import annotations

from api.config import Settings
from api.jobs import work
from tests.api.conftest import World


def open_round(w: World, round_id: str = "r1") -> None:
    c = w.client
    answer = c.post(
        "/rounds",
        json={
            "id": round_id,
            "seed": 7,
            "policies": [
                {
                    "id": "jintan-cap",
                    "kind": "ceiling",
                    "placements": {"park": "park-jintan"},
                    "max": 3,
                }
            ],
        },
        headers=w.coordinator,
    )
    assert answer.status_code == 201, answer.text
    assert c.post(f"/rounds/{round_id}/open", headers=w.coordinator).status_code == 200


def post_placements(w: World, round_id: str = "r1") -> None:
    c = w.client
    for pid, who, cap in (
        ("hb-1", w.hengbang, 2),
        ("hb-2", w.hengbang, 1),
        ("qh-1", w.qianhong, 2),
    ):
        answer = c.put(
            f"/rounds/{round_id}/placements/{pid}",
            json={"kind": "internship", "capacity": cap, "skills": ["qc"]},
            headers=who,
        )
        assert answer.status_code == 201, answer.text


def register_candidates(w: World, round_id: str = "r1") -> None:
    c = w.client
    for cid, who, prefs in (
        ("s1", w.czcit, ["hb-1", "qh-1"]),
        ("s2", w.czcit, ["hb-1"]),
        ("s3", w.czu, ["hb-1", "hb-2", "qh-1"]),
        ("u4", w.czu, [["qh-1", "hb-2"]]),
        ("rp5", w.institute, ["hb-2"]),
    ):
        kind = "project" if who is w.institute else "student"
        answer = c.put(
            f"/rounds/{round_id}/candidates/{cid}",
            json={"kind": kind, "skills": ["qc"], "preferences": prefs},
            headers=who,
        )
        assert answer.status_code == 201, answer.text


def rank(w: World, round_id: str = "r1") -> None:
    tag = w.client.get(f"/rounds/{round_id}/placements/hb-1", headers=w.hengbang).headers["etag"]
    answer = w.client.put(
        f"/rounds/{round_id}/placements/hb-1/ranking",
        json={"ranking": ["s3", "s1", "s2"]},
        headers={**w.hengbang, "If-Match": tag},
    )
    assert answer.status_code == 200, answer.text


def solve(w: World, settings: Settings, round_id: str = "r1", mechanism: str = "stable") -> str:
    answer = w.client.post(
        f"/rounds/{round_id}/runs", json={"mechanism": mechanism}, headers=w.coordinator
    )
    assert answer.status_code == 202, answer.text
    work(settings, once=True)
    run = answer.json()["id"]
    status = w.client.get(f"/rounds/{round_id}/runs/{run}", headers=w.coordinator).json()
    assert status["status"] == "solved", status
    return str(run)


def full_round(w: World, round_id: str = "r1") -> str:
    open_round(w, round_id)
    post_placements(w, round_id)
    register_candidates(w, round_id)
    rank(w, round_id)
    assert w.client.post(f"/rounds/{round_id}/close", headers=w.coordinator).status_code == 200
    return solve(w, w.settings, round_id)
