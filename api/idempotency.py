"""Idempotency-Key for POSTs, scoped to the calling organization.

The first request with a key claims it (an insert under the key's primary
key: of concurrent requests exactly one succeeds), runs, and stores its
answer. A later or concurrent request with the same key and the same request
waits for that answer and gets it byte for byte; the same key with a different
request is refused with 422. A server error releases the key so that a retry
can run."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import anyio
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.storage import tables as t
from api.storage.db import transaction
from api.storage.repository import hash_token, now

WAIT_SECONDS = 60.0


class Idempotency:
    def __init__(self, app: ASGIApp, sessions: sessionmaker[Session]) -> None:
        self.app, self.sessions = app, sessions
        self._limiter: anyio.CapacityLimiter | None = None

    async def _db(self, fn: Any, *args: Any) -> Any:
        """Run a database step in a thread of this middleware's own small pool:
        requests waiting on a key must never take the threads (or, on SQLite,
        the write lock's turn) that the route holding the key needs to finish."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(4)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        key = headers.get(b"idempotency-key")
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        caller = await self._db(self._caller, headers.get(b"authorization", b""))
        if caller is None or not 0 < len(key) <= 200:
            await self.app(scope, _replay(body), send)  # the route answers 401 / the header 422
            return
        digest = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        ident = (*caller, key.decode("latin-1"))
        outcome = await self._claim_or_wait(ident, digest)
        if outcome == "different":
            await problems.response(
                422,
                "this Idempotency-Key was used for a different request",
                [{"field": "Idempotency-Key", "message": "reused with another request"}],
            )(scope, receive, send)
            return
        if isinstance(outcome, tuple):
            status, stored_headers, text = outcome
            data = text.encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1")) for k, v in stored_headers
                    ]
                    + [(b"content-length", str(len(data)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": data})
            return
        captured: dict[str, Any] = {"body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, _replay(body), capture)
        finally:
            await self._db(self._settle, ident, captured)

    def _caller(self, authorization: bytes) -> tuple[str, str] | None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        with transaction(self.sessions) as s:
            row = s.execute(
                select(t.Token.consortium_id, t.Token.organization_id).where(
                    t.Token.token_hash == hash_token(token.strip())
                )
            ).first()
            return (row[0], row[1]) if row else None

    def _claim(self, ident: tuple[str, str, str], digest: str) -> bool:
        try:
            with transaction(self.sessions) as s:
                s.add(
                    t.IdempotencyKey(
                        consortium_id=ident[0],
                        organization_id=ident[1],
                        key=ident[2],
                        request_hash=digest,
                        created_at=now(),
                    )
                )
            return True
        except IntegrityError:
            return False

    async def _claim_or_wait(
        self, ident: tuple[str, str, str], digest: str
    ) -> str | tuple[int, list[tuple[str, str]], str]:
        """ "run" when this request holds the key; the stored answer when an
        earlier one with the same request finished; "different" when the key
        belongs to another request. Waits (without holding a worker thread)
        while the holder runs."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            if await self._db(self._claim, ident, digest):
                return "run"
            seen: str | tuple[int, list[tuple[str, str]], str] | None = await self._db(
                self._peek, ident, digest
            )
            if seen is not None:
                return seen
            if time.monotonic() > deadline:
                return (
                    409,
                    [("content-type", "application/problem+json")],
                    (
                        '{"type":"about:blank","title":"Conflict","status":409,'
                        '"detail":"the first request with this Idempotency-Key is still running"}'
                    ),
                )
            await anyio.sleep(0.1)

    def _peek(
        self, ident: tuple[str, str, str], digest: str
    ) -> str | tuple[int, list[tuple[str, str]], str] | None:
        with transaction(self.sessions) as s:
            row = s.get(t.IdempotencyKey, ident)
            if row is None:
                return None
            if row.request_hash != digest:
                return "different"
            if row.status is None:
                return None
            return row.status, [(str(h[0]), str(h[1])) for h in row.headers or []], row.body or ""

    def _settle(self, ident: tuple[str, str, str], captured: dict[str, Any]) -> None:
        with transaction(self.sessions) as s:
            status = captured.get("status")
            if status is None or status >= 500:
                s.execute(
                    delete(t.IdempotencyKey).where(
                        t.IdempotencyKey.consortium_id == ident[0],
                        t.IdempotencyKey.organization_id == ident[1],
                        t.IdempotencyKey.key == ident[2],
                    )
                )
                return
            s.execute(
                update(t.IdempotencyKey)
                .where(
                    t.IdempotencyKey.consortium_id == ident[0],
                    t.IdempotencyKey.organization_id == ident[1],
                    t.IdempotencyKey.key == ident[2],
                )
                .values(
                    status=status,
                    headers=[
                        list(h) for h in captured["headers"] if h[0].lower() != "content-length"
                    ],
                    body=captured["body"].decode("utf-8", "replace"),
                )
            )


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
