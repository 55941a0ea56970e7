"""Issue 11, item 3, as a stateful property: random sequences of edits by every
role (enterprises, colleges, an institute, the coordinator), valid and not;
whatever was accepted, the round then closes, or fails only on the
coordinator's own policies (or on having no candidates or placements left).

An accepted edit can never make the round unclosable, because every write is
checked by the engine's own rules (api/rules.py)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from api.config import Settings
from api.demo import create_consortium
from api.main import create_app
from tests.api.conftest import auth

PLACEMENTS = ["hb-1", "hb-2", "qh-1", "p" * 201, "Group 3", "常州-1"]
CANDIDATES = ["s1", "s2", "s3", "u1", "rp1", "x" * 201, "学生 1"]
MENTORS = [None, "m1", "m-unknown"]
SKILLS = st.lists(st.sampled_from(["qc", "assay", "fermentation"]), max_size=2, unique=True)
LEVELS = st.sampled_from([None, "secondary_vocational", "undergraduate", "doctor"])
ORGS = [
    {"id": "park", "kind": "park"},
    {"id": "ent-hengbang", "kind": "enterprise"},
    {"id": "ent-qianhong", "kind": "enterprise"},
    {"id": "col-czcit", "kind": "college", "level": "higher_vocational"},
    {"id": "col-czu", "kind": "college", "level": "undergraduate"},
    {"id": "ri-1", "kind": "institute"},
]
START = {
    "id": "r1",
    "organizations": ORGS,
    "links": [{"source": "ent-hengbang", "target": "park", "kind": "located_in"}],
    "mentors": [{"id": "m1", "capacity": 2, "ranking": ["s1", ["s2", "s3"], "u1"]}],
    "placements": [{"id": "hb-1", "host": "ent-hengbang", "kind": "internship", "capacity": 1}],
    "candidates": [
        {"id": cid, "kind": "student", "college": college, "preferences": ["hb-1"]}
        for cid, college in (
            ("s1", "col-czcit"),
            ("s2", "col-czcit"),
            ("s3", "col-czu"),
            ("u1", "col-czu"),
        )
    ],
    "policies": [
        # the coordinator's own: it names a placement that members may withdraw
        {"id": "hb-floor", "kind": "floor", "placements": {"id": "hb-1"}, "min": 0}
    ],
}


def _ranking(ids: list[str]) -> st.SearchStrategy[list[Any]]:
    item = st.sampled_from(ids) | st.lists(st.sampled_from(ids), min_size=1, max_size=2)
    return st.lists(item, max_size=4)


class Edits(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        url = f"sqlite:///{self.folder / 'edits.db'}"
        self.settings = Settings(database_url=url)
        self.app = create_app(self.settings)
        self.client = TestClient(self.app)
        self.coordinator = auth(create_consortium(self.settings, "cz", "CZ", "gov-cz", "City"))
        c = self.client
        for org in ORGS:
            c.post("/organizations", json=org, headers=self.coordinator)
        c.post("/rounds", json={"id": "r1"}, headers=self.coordinator)
        answer = c.post(
            "/rounds/r1/import",
            content=json.dumps(START),
            headers={**self.coordinator, "Content-Type": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        assert c.post("/rounds/r1/open", headers=self.coordinator).status_code == 200
        self.members = {}
        for org in ("ent-hengbang", "ent-qianhong", "col-czcit", "col-czu", "ri-1"):
            issued = c.post("/tokens", json={"organization": org}, headers=self.coordinator)
            self.members[org] = auth(issued.json()["token"])
        self.accepted = 0

    def teardown(self) -> None:
        self.client.close()
        self.app.state.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _etag(self, path: str, headers: dict[str, str]) -> dict[str, str]:
        answer = self.client.get(path, headers=headers)
        return {"If-Match": answer.headers["etag"]} if answer.status_code == 200 else {}

    def _note(self, answer: Any) -> None:
        assert answer.status_code < 500, answer.text
        self.accepted += answer.is_success

    @rule(
        who=st.sampled_from(["ent-hengbang", "ent-qianhong"]),
        pid=st.sampled_from(PLACEMENTS),
        kind=st.sampled_from(["internship", "apprenticeship", "research_host", "research"]),
        capacity=st.sampled_from([0, 1, 2, 10**9, 10**10]),
        mentor=st.sampled_from(MENTORS),
        ranking=st.none() | _ranking([*CANDIDATES, "ghost"]),
        skills=SKILLS,
        level=LEVELS,
    )
    def post_placement(
        self,
        who: str,
        pid: str,
        kind: str,
        capacity: int,
        mentor: str | None,
        ranking: list[Any] | None,
        skills: list[str],
        level: str | None,
    ) -> None:
        headers = self.members[who]
        path = f"/rounds/r1/placements/{pid}"
        body: dict[str, Any] = {"kind": kind, "capacity": capacity, "skills": skills}
        if mentor:
            body["mentor"] = mentor
        if ranking is not None:
            body["ranking"] = ranking
        if level:
            body["requirements"] = {"min_level": level}
        etag = self._etag(path, headers)
        self._note(self.client.put(path, json=body, headers={**headers, **etag}))

    @rule(
        who=st.sampled_from(["ent-hengbang", "ent-qianhong"]),
        pid=st.sampled_from(PLACEMENTS),
        ranking=_ranking([*CANDIDATES, "ghost"]),
    )
    def rank(self, who: str, pid: str, ranking: list[Any]) -> None:
        headers = self.members[who]
        path = f"/rounds/r1/placements/{pid}"
        etag = self._etag(path, headers)
        answer = self.client.put(
            f"{path}/ranking", json={"ranking": ranking}, headers={**headers, **etag}
        )
        self._note(answer)

    @rule(
        who=st.sampled_from(["col-czcit", "col-czu", "ri-1"]),
        cid=st.sampled_from(CANDIDATES),
        kind=st.sampled_from(["student", "apprentice", "project", "robot"]),
        prefs=_ranking([*PLACEMENTS[:3], "nowhere"]),
        tier=st.sampled_from([None, "young_reserve", "genius"]),
        level=LEVELS,
        batch=st.booleans(),
    )
    def register(
        self,
        who: str,
        cid: str,
        kind: str,
        prefs: list[Any],
        tier: str | None,
        level: str | None,
        batch: bool,
    ) -> None:
        headers = self.members[who]
        path = f"/rounds/r1/candidates/{cid}"
        body: dict[str, Any] = {"kind": kind, "preferences": prefs}
        body.update({k: v for k, v in (("tier", tier), ("level", level)) if v})
        etag = self._etag(path, headers)
        if batch:
            item = {"id": cid, **body}
            if etag:
                item["version"] = int(etag["If-Match"].strip('"'))
            answer = self.client.post(
                "/rounds/r1/candidates", json={"candidates": [item]}, headers=headers
            )
        else:
            answer = self.client.put(path, json=body, headers={**headers, **etag})
        self._note(answer)

    @rule(
        who=st.sampled_from(["ent-hengbang", "col-czcit", "col-czu", "coordinator"]),
        what=st.sampled_from(["placements", "candidates"]),
        ident=st.sampled_from(PLACEMENTS + CANDIDATES),
    )
    def withdraw(self, who: str, what: str, ident: str) -> None:
        headers = self.coordinator if who == "coordinator" else self.members[who]
        path = f"/rounds/r1/{what}/{ident}"
        etag = self._etag(path, headers)
        self._note(self.client.delete(path, headers={**headers, **etag}))

    @precondition(lambda self: self.accepted > 0)
    @invariant()
    def the_round_still_closes(self) -> None:
        c = self.client
        closed = c.post("/rounds/r1/close", headers=self.coordinator)
        if closed.status_code == 200:
            assert c.post("/rounds/r1/open", headers=self.coordinator).status_code == 200
            return
        assert closed.status_code == 422, closed.text
        for error in closed.json()["errors"]:
            own = error["field"].startswith("policies[")
            empty = error["message"] in (
                "the round has no candidates",
                "the round has no placements",
            )
            assert own or empty, error


Edits.TestCase.settings = settings(
    max_examples=100 if os.environ.get("SOAK") else 20,  # `make soak`: 100 sequences
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEdits = Edits.TestCase
