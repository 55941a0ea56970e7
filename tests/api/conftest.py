"""A fresh app and database per test, on SQLite and (where reachable) PostgreSQL.

PostgreSQL is the machine's local server (127.0.0.1:5432, database `test`). In
CI (CI=true) an unreachable server fails the tests; elsewhere they skip. Under
pytest-xdist each worker has a database of its own (`test_gw0`, …), made on
the server when first needed: a test resets its database's schema, and two
workers sharing one would break each other's tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import load  # bench/load.py
import pytest
from fastapi.testclient import TestClient

from api.config import Settings
from api.demo import create_consortium
from api.main import create_app

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _own_database(url: str) -> str:
    """`url`, or under xdist the same server's database of this worker (made
    if missing)."""
    if WORKER is None:
        return url
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    name = f"{base.database}_{WORKER}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            if c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    try:
        url = _own_database(POSTGRES)
        load.reset_postgres(url)
    except Exception as exc:  # the server is not there
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, lease_seconds=30, max_body_bytes=8 * 1024 * 1024)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """Two consortia; in the first, a coordinator, two enterprises, two colleges
    and an institute, each with a token; in the second, a coordinator."""

    client: TestClient
    coordinator: dict[str, str]
    hengbang: dict[str, str]
    qianhong: dict[str, str]
    czcit: dict[str, str]
    czu: dict[str, str]
    institute: dict[str, str]
    other: dict[str, str]
    settings: Settings


@pytest.fixture
def world(client: TestClient, settings: Settings) -> World:
    coordinator = auth(create_consortium(settings, "changzhou", "Changzhou", "gov-cz", "City"))
    other = auth(create_consortium(settings, "suzhou", "Suzhou", "gov-sz", "Suzhou City"))
    orgs = [
        {"id": "park-jintan", "kind": "park"},
        {"id": "ent-hengbang", "kind": "enterprise", "name": "Hengbang"},
        {"id": "ent-qianhong", "kind": "enterprise", "name": "Qianhong"},
        {"id": "col-czcit", "kind": "college", "level": "higher_vocational"},
        {"id": "col-czu", "kind": "college", "level": "undergraduate"},
        {"id": "ri-001", "kind": "institute"},
    ]
    for org in orgs:
        assert client.post("/organizations", json=org, headers=coordinator).status_code == 201
    client.post(
        "/links",
        json={"source": "ent-hengbang", "target": "park-jintan", "kind": "located_in"},
        headers=coordinator,
    )
    client.post("/organizations", json={"id": "ent-suzhou", "kind": "enterprise"}, headers=other)

    def token(org: str) -> dict[str, str]:
        answer = client.post("/tokens", json={"organization": org}, headers=coordinator)
        assert answer.status_code == 201, answer.text
        return auth(answer.json()["token"])

    return World(
        client,
        coordinator,
        token("ent-hengbang"),
        token("ent-qianhong"),
        token("col-czcit"),
        token("col-czu"),
        token("ri-001"),
        other,
        settings,
    )


def account(client: TestClient, headers: dict[str, str], role: str = "admin") -> tuple[str, str]:
    """A new person of the organization whose token `headers` carries (the
    token acts as its admin): their sign-in name and password."""
    org = client.get("/me", headers=headers).json()["organization"]["id"]
    login, password = f"{org}-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    answer = client.post(
        f"/organizations/{org}/people",
        json={"login": login, "name": f"{org} 测试员", "role": role, "password": password},
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return login, password
