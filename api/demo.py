"""Create consortia and load the Changzhou demo."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.storage import people
from api.storage import repository as repo
from api.storage import tables as t
from api.storage.db import make_engine, migrate, session_factory, transaction
from api.vocabulary import ROLE_OF_KIND
from matching import Round, load

DEMO_CONSORTIUM = "changzhou"
DEMO_MEMBERS = ("gov-cz", "ent-hengbang", "col-czcit")


def create_consortium(
    settings: Settings, ident: str, name: str, coordinator: str, coordinator_name: str
) -> str:
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        return _create(session_factory(engine), ident, name, coordinator, coordinator_name)
    finally:
        engine.dispose()


def _create(
    factory: sessionmaker[Session], ident: str, name: str, coordinator: str, coordinator_name: str
) -> str:
    with transaction(factory) as s:
        if s.get(t.Consortium, ident) is None:
            s.add(t.Consortium(id=ident, name=name))
            s.flush()
        if s.get(t.Organization, (ident, coordinator)) is None:
            s.add(
                t.Organization(
                    consortium_id=ident, id=coordinator, kind="government", name=coordinator_name
                )
            )
            s.flush()
        return repo.issue_token(s, ident, coordinator, "coordinator", "demo")[0]


@dataclass(frozen=True)
class Demo:
    """One demo organization's ways in: a fresh token, and its admin's sign-in
    name with a fresh password."""

    role: str
    organization: str
    token: str
    login: str
    password: str


def seed_demo(settings: Settings, round_path: Path) -> list[Demo]:
    """The Changzhou consortium with its 2027 round open; per demo role a fresh
    token and an admin account (its password new at every start)."""
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        return _seed(session_factory(engine), load(round_path))
    finally:
        engine.dispose()


def _seed(factory: sessionmaker[Session], doc: Round) -> list[Demo]:
    with transaction(factory) as s:
        if s.get(t.Consortium, DEMO_CONSORTIUM) is None:
            s.add(
                t.Consortium(
                    id=DEMO_CONSORTIUM,
                    name="Changzhou synthetic-biology industry-education consortium",
                )
            )
            s.flush()
        if s.get(t.Round, (DEMO_CONSORTIUM, doc.id)) is None:
            r = t.Round(
                consortium_id=DEMO_CONSORTIUM,
                id=doc.id,
                seed=doc.seed,
                state="open",
                rules={},
                stability="ignored",
                policies=[],
                created_at=repo.now(),
            )
            s.add(r)
            s.flush()
            repo.replace_round_content(s, r, doc)
        s.flush()
        out = []
        for org_id in DEMO_MEMBERS:
            org = s.get(t.Organization, (DEMO_CONSORTIUM, org_id))
            assert org is not None, org_id
            role = ROLE_OF_KIND[org.kind]
            token = repo.issue_token(s, DEMO_CONSORTIUM, org_id, role, "demo")[0]
            password = secrets.token_urlsafe(9)
            admin = s.scalar(select(t.Person).where(t.Person.login == org_id))
            if admin is None:
                name = f"{org.name or org_id}管理员"
                people.add_person(s, DEMO_CONSORTIUM, org_id, org_id, name, "admin", password)
            else:
                admin.password_hash = people.hash_password(password)
                admin.disabled, admin.failed, admin.locked_until = False, 0, None
            out.append(Demo(str(role), org_id, token, org_id, password))
        return out
