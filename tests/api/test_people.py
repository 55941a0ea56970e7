"""People, sessions and tokens (issue 17): the consortium office creates a
member's first admin, the admin its staff; a staff member acting as admin,
another organization's admin, a disabled person, an ended, idle or expired
session, a revoked or expired token: each refused, nothing leaked. Failed
sign-ins slow down, then lock."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from api.storage import repository as repo
from api.storage import tables as t
from api.storage.db import make_engine, session_factory, transaction
from tests.api.conftest import World, account, auth


def person(w: World, org: str, login: str, role: str, by: dict[str, str]) -> int:
    answer = w.client.post(
        f"/organizations/{org}/people",
        json={
            "login": login,
            "name": f"{login} 姓名",
            "role": role,
            "password": login + "-password",
        },
        headers=by,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def signed_in(c: TestClient, login: str, password: str | None = None) -> dict[str, str]:
    answer = c.post("/sessions", json={"login": login, "password": password or login + "-password"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["session"].startswith("ps_")
    return auth(answer.json()["session"])


def db(w: World, statement: Any) -> None:
    engine = make_engine(w.settings.database_url)
    try:
        with transaction(session_factory(engine)) as s:
            s.execute(statement)
    finally:
        engine.dispose()


def test_admins_staff_and_who_may_do_what(world: World) -> None:
    w, c = world, world.client
    # the consortium office creates Hengbang's first admin; Hengbang's admin its staff
    admin_id = person(w, "ent-hengbang", "hb-admin", "admin", w.coordinator)
    admin = signed_in(c, "hb-admin")
    me = c.get("/me", headers=admin).json()
    assert me["person"]["name"] == "hb-admin 姓名" and me["admin"] is True
    staff_id = person(w, "ent-hengbang", "hb-staff", "staff", admin)
    staff = signed_in(c, "hb-staff")
    assert c.get("/me", headers=staff).json()["admin"] is False
    # a staff member acting as admin: refused
    assert c.get("/organizations/ent-hengbang/people", headers=staff).status_code == 403
    assert (
        c.post(
            "/organizations/ent-hengbang/people",
            json={"login": "x1", "name": "x", "password": "0123456789"},
            headers=staff,
        ).status_code
        == 403
    )
    assert (
        c.post("/tokens", json={"organization": "ent-hengbang"}, headers=staff).status_code == 403
    )
    assert c.patch(f"/people/{admin_id}", json={"disabled": True}, headers=staff).status_code == 404
    # another organization's admin: as if the person did not exist
    qh = person(w, "ent-qianhong", "qh-admin", "admin", w.coordinator)
    other = signed_in(c, "qh-admin")
    assert c.patch(f"/people/{staff_id}", json={"disabled": True}, headers=other).status_code == 404
    assert c.get("/organizations/ent-hengbang/people", headers=other).status_code == 403
    listed = c.get("/organizations/ent-qianhong/people", headers=other).json()
    assert [p["id"] for p in listed] == [qh]
    # a sign-in name is taken once
    again = c.post(
        "/organizations/ent-qianhong/people",
        json={"login": "hb-staff", "name": "x", "password": "0123456789"},
        headers=other,
    )
    assert again.status_code == 409
    # disabled: every session ends at once, and signing in is refused
    assert c.patch(f"/people/{staff_id}", json={"disabled": True}, headers=admin).status_code == 200
    assert c.get("/me", headers=staff).status_code == 401
    refused = c.post("/sessions", json={"login": "hb-staff", "password": "hb-staff-password"})
    assert refused.status_code == 401 and "disabled" in refused.text
    assert c.patch(f"/people/{admin_id}", json={"disabled": True}, headers=admin).status_code == 409
    # a password change needs the current one; a reset by the admin ends sessions
    bad = c.put(
        "/me/password", json={"current": "wrong", "password": "a-new-password"}, headers=admin
    )
    assert bad.status_code == 422
    changed = c.put(
        "/me/password", json={"current": "hb-admin-password", "password": "a-new-password"},
        headers=admin,
    )  # fmt: skip
    assert changed.status_code == 204
    assert (
        c.post("/sessions", json={"login": "hb-admin", "password": "hb-admin-password"}).status_code
        == 401
    )
    fresh = signed_in(c, "hb-admin", "a-new-password")
    assert (
        c.put(
            f"/people/{admin_id}/password",
            json={"password": "reset-by-office"},
            headers=w.coordinator,
        ).status_code
        == 204
    )
    assert c.get("/me", headers=fresh).status_code == 401
    # sign-out ends the session
    mine = signed_in(c, "hb-admin", "reset-by-office")
    assert c.delete("/sessions/current", headers=mine).status_code == 204
    assert c.get("/me", headers=mine).status_code == 401


def test_failed_sign_ins_slow_down_then_lock(world: World) -> None:
    w, c = world, world.client
    person(w, "col-czcit", "cz-admin", "admin", w.coordinator)
    answers = [
        c.post("/sessions", json={"login": "cz-admin", "password": "wrong"}) for _ in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    assert answers[3].status_code == 429 and int(answers[3].headers["retry-after"]) >= 1
    # the right password waits too, while the name is slowed down
    assert (
        c.post("/sessions", json={"login": "cz-admin", "password": "cz-admin-password"}).status_code
        == 429
    )
    # an unknown name answers as a wrong password does
    unknown = c.post("/sessions", json={"login": "nobody", "password": "wrong"})
    assert unknown.status_code == 401 and unknown.json()["detail"] == answers[0].json()["detail"]
    for _ in range(4, 11):  # each wait passed, the failures go on: locked after ten
        db(w, update(t.Person).where(t.Person.login == "cz-admin").values(locked_until=None))
        c.post("/sessions", json={"login": "cz-admin", "password": "wrong"})
    locked = c.post("/sessions", json={"login": "cz-admin", "password": "cz-admin-password"})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60
    # the admin's reset lifts the lock
    people = c.get("/organizations/col-czcit/people", headers=w.coordinator).json()
    c.put(
        f"/people/{people[0]['id']}/password",
        json={"password": "reset-password"},
        headers=w.coordinator,
    )
    signed_in(c, "cz-admin", "reset-password")


def test_sessions_end_when_idle_or_old_and_tokens_when_revoked_or_expired(world: World) -> None:
    w, c = world, world.client
    person(w, "col-czu", "czu-admin", "admin", w.coordinator)
    session = signed_in(c, "czu-admin")
    assert c.get("/me", headers=session).status_code == 200
    db(w, update(t.Login).values(last_seen_at=repo.now() - timedelta(minutes=31)))
    assert c.get("/me", headers=session).status_code == 401
    session = signed_in(c, "czu-admin")
    db(w, update(t.Login).values(expires_at=repo.now() - timedelta(seconds=1)))
    assert c.get("/me", headers=session).status_code == 401
    # tokens: named, listed without their secret, stamped when used, revocable, expiring
    admin = signed_in(c, "czu-admin")
    made = c.post(
        "/tokens", json={"organization": "col-czu", "name": "教务系统", "expires_in_days": 30},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201
    token = auth(made.json()["token"])
    assert c.get("/me", headers=token).status_code == 200
    listed = [x for x in c.get("/tokens", headers=admin).json() if x.get("name") == "教务系统"]
    assert len(listed) == 1 and "token" not in listed[0] and listed[0]["last_used_at"]
    assert c.delete(f"/tokens/{listed[0]['id']}", headers=admin).status_code == 204
    assert c.get("/me", headers=token).status_code == 401
    made = c.post("/tokens", json={"organization": "col-czu", "expires_in_days": 1}, headers=admin)
    expiring = auth(made.json()["token"])
    db(
        w,
        update(t.Token)
        .where(t.Token.id == made.json()["id"])
        .values(expires_at=repo.now() - timedelta(seconds=1)),
    )
    assert c.get("/me", headers=expiring).status_code == 401
    # another college's admin cannot see or revoke them
    person(w, "col-czcit", "czcit-admin", "admin", w.coordinator)
    other = signed_in(c, "czcit-admin")
    assert c.delete(f"/tokens/{listed[0]['id']}", headers=other).status_code == 404
    assert all(x["organization"] == "col-czcit" for x in c.get("/tokens", headers=other).json())


def test_the_accounts_page_shows_a_new_token_once_and_never_in_a_link(world: World) -> None:
    login, password = account(world.client, world.czcit)
    c = TestClient(world.client.app, follow_redirects=False)
    assert c.post("/ui/signin", data={"login": login, "password": password}).status_code == 303
    page = c.get("/ui/people").text
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert csrf is not None
    form = {
        "csrf": csrf.group(1),
        "org": "col-czcit",
        "action": "token",
        "name": "教务",
        "days": "30",
    }
    issued = c.post("/ui/people", data=form)
    assert issued.status_code == 200 and "location" not in issued.headers
    secret = re.search(r'id="new-token">[^<]*<code>(pe_[^<]+)</code>', issued.text)
    assert secret is not None
    assert world.client.get("/me", headers=auth(secret.group(1))).status_code == 200
    assert secret.group(1) not in c.get("/ui/people").text  # shown once
    # the answer reloaded (the form sent again) issues no second token
    again = c.post("/ui/people", data=form)
    assert again.status_code == 303 and "pe_" not in again.headers["location"]
    assert "名为" in c.get(again.headers["location"]).text
    named = [
        x
        for x in world.client.get("/tokens", headers=world.czcit).json()
        if x.get("name") == "教务"
    ]
    assert len(named) == 1
    body = {"organization": "col-czcit", "name": "教务"}
    assert world.client.post("/tokens", json=body, headers=world.czcit).status_code == 409
    world.client.delete(f"/tokens/{named[0]['id']}", headers=world.czcit)
    assert world.client.post("/tokens", json=body, headers=world.czcit).status_code == 201
