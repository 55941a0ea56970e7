"""Errors as RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.storage import NotFound
from matching.errors import InvalidRound, UnsupportedOption

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    503: "Service unavailable",
}


class FieldError(BaseModel):
    field: str
    message: str


class ProblemBody(BaseModel):
    """An RFC 9457 problem: what went wrong, and for invalid input each field's problem."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with."""
    schema = {"$ref": "#/components/schemas/ProblemBody"}
    return {
        code: {
            "model": ProblemBody,
            "description": TITLES[code],
            "content": {"application/problem+json": {"schema": schema}},
        }
        for code in codes
    }


# What any route behind a token may answer: a body it cannot parse or
# validate, no or a bad token, the wrong role, a missing or foreign object, a
# state that forbids the action, a body over the limit.
COMMON = documented(400, 401, 403, 404, 409, 413, 422)


@dataclass
class Problem(Exception):
    status: int
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


def conflict(detail: str) -> Problem:
    return Problem(409, detail)


def invalid(errors: list[dict[str, str]], detail: str = "the request is not valid") -> Problem:
    return Problem(422, detail, errors)


def response(
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def _field(loc: tuple[object, ...], request: Request) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    ident = request.path_params.get("item") or request.path_params.get("round")
    prefix = f"[{ident!r}]" if ident else ""
    return prefix + ("." if prefix and parts else "") + ".".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        return response(404, str(exc))

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        headers = {401: {"WWW-Authenticate": "Bearer"}, 429: {"Retry-After": "60"}}.get(exc.status)
        return response(exc.status, exc.detail, exc.errors, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": "body"
                if e["type"] == "json_invalid"
                else _field(tuple(e["loc"]), request),
                "message": f"not valid JSON: {e['ctx']['error']}"
                if e["type"] == "json_invalid"
                else e["msg"],
            }
            for e in exc.errors()
        ]
        return response(422, "the request is not valid", errors)

    @app.exception_handler(InvalidRound)
    async def _invalid_round(request: Request, exc: InvalidRound) -> JSONResponse:
        errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        return response(422, "the round is not valid", errors)

    @app.exception_handler(UnsupportedOption)
    async def _unsupported(request: Request, exc: UnsupportedOption) -> JSONResponse:
        return response(422, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return response(exc.status_code, str(exc.detail))
