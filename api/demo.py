"""Create consortia and load the Changzhou demo."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
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
        return repo.issue_token(s, ident, coordinator, "coordinator")


def seed_demo(settings: Settings, round_path: Path) -> list[tuple[str, str, str]]:
    """The Changzhou consortium with its 2027 round open; a fresh token per demo role."""
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        return _seed(session_factory(engine), load(round_path))
    finally:
        engine.dispose()


def _seed(factory: sessionmaker[Session], doc: Round) -> list[tuple[str, str, str]]:
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
        tokens = []
        for org_id in DEMO_MEMBERS:
            org = s.get(t.Organization, (DEMO_CONSORTIUM, org_id))
            assert org is not None, org_id
            tokens.append(
                (
                    str(ROLE_OF_KIND[org.kind]),
                    org_id,
                    repo.issue_token(s, DEMO_CONSORTIUM, org_id, ROLE_OF_KIND[org.kind]),
                )
            )
        return tokens
