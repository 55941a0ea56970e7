"""create_app(settings): the FastAPI application."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import pages, problems
from api.config import Settings
from api.deps import Recorded
from api.idempotency import Idempotency
from api.routers import (
    audit,
    candidates,
    consortium,
    health,
    people,
    placements,
    published,
    rounds,
    runs,
)
from api.storage.db import make_engine, migrate, session_factory
from matching import __version__
from matching.readers import BAD_ID_CHARACTER

STATIC = Path(__file__).parent / "static"  # the pages' script


class BodyLimit:
    """Refuse bodies over the limit with 413, whether or not Content-Length is
    sent. The body is read here, up to the limit, before the route sees it: a
    limit hit while a route parses its body would surface as that parser's 400."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = problems.response(413, f"the body is over {self.limit} bytes")
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, receive, send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        pending: list[Message] = [
            {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        ]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


class PlainPaths:
    """No id holds a control character or a lone surrogate, so a path with one
    names nothing: 404 before any database sees it (PostgreSQL refuses NUL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and BAD_ID_CHARACTER.search(scope.get("path", "")):
            await problems.response(404, "no such resource")(scope, receive, send)
            return
        await self.app(scope, receive, send)


class ServerTiming:
    """Every answer says how long the service took to make it (the W3C
    Server-Timing header: `app;dur=` milliseconds, to the answer's first
    byte), so a client or a benchmark reads the server's time apart from the
    network's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                headers = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={took:.1f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    migrate(engine)
    # Swagger UI and ReDoc from the service itself: a CDN is unreachable here and
    # unreliable in mainland China (fastapi-offline bundles their assets).
    app = FastAPIOffline(
        title="Placement engine for industry-education consortia",
        version=__version__,
        description="Coordinators run placement rounds; enterprises post placements "
        "and rank applicants; colleges register candidates and fetch "
        "their results.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    problems.install(app)
    for module in (health, consortium, people, rounds, placements, candidates, runs, published):
        app.include_router(module.router, dependencies=[Recorded])
    app.include_router(audit.router)
    app.include_router(pages.router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(pages.SignIn)
    async def _sign_in(request: Request, exc: pages.SignIn) -> RedirectResponse:
        return RedirectResponse("/ui/signin", status_code=303)

    @app.get("/", include_in_schema=False)
    async def _root() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=307)

    app.add_middleware(Idempotency, sessions=app.state.sessions)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(PlainPaths)
    app.add_middleware(ServerTiming)
    return app
