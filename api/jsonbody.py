"""Request bodies parsed strictly: an object holding a key twice is refused
with 422 naming the key, as the round document's parser refuses it (the
standard parser would keep the last value silently)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from matching.io import DuplicateKey, no_duplicate_keys


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = json.loads(await self.body(), object_pairs_hook=no_duplicate_keys)
            except DuplicateKey as exc:  # FastAPI answers a JSONDecodeError with 422 json_invalid
                raise json.JSONDecodeError(f"duplicate key {exc.args[0][:40]!r}", "", 0) from None
        return self._json


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed by `StrictJsonRequest`, and whose answer
    leaves out the fields its model was not given (api.schemas.Answer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
