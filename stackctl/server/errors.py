"""OpenAI error objects for every failure the server reports.

Invariants:
- Every error response body is `{"error": {"message", "type", "param", "code"}}`, whatever raised it:
  a `StackctlError` from the core, a request FastAPI could not validate, an unknown route, a body too large.
- Status codes follow the exit codes: 2/3 -> 400, 4 -> 404, 5 -> 409, anything else -> 500; a provider's
  failure (exit 6) is passed on as it is: its 4xx as that status with its (masked) message, a 429 as a 429
  with its `Retry-After` and code `rate_limit_exceeded`, a 503/504 as such, other 5xx as 502, a timeout
  without an answer (or past its deadline) as 504 and a refused connection as 503. A storage fault is
  503 (the busy database with `Retry-After`).
  A request that breaks the published schema is 400 with the first offending parameter as `param`, as
  OpenAI answers (the SDK raises `BadRequestError`), and so is a body that is not JSON at all. Limits
  (items per call, metadata size, page size) are the core's to check, so breaking one is 400 too.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from stackctl.config.secrets import mask_url_userinfo
from stackctl.errors import (
    EXIT_CONFLICT,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_UPSTREAM,
    EXIT_USAGE,
    StackctlError,
    UpstreamError,
    location,
)

STORAGE_CODES = frozenset({"database_busy", "storage_fault", "database_unavailable"})
STATUS_BY_EXIT = {
    EXIT_USAGE: 400,
    EXIT_INVALID: 400,
    EXIT_NOT_FOUND: 404,
    EXIT_CONFLICT: 409,
    EXIT_UPSTREAM: 502,
}


def error_type(status: int) -> str:
    # OpenAI itself labels every client error (404 and 401 included) `invalid_request_error`.
    return "invalid_request_error" if status < 500 else "server_error"


def error_body(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "param": param, "code": code}}


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, code, param), status_code=status, headers=headers)


def upstream_status(exc: UpstreamError) -> int:
    """The status a provider's failure is passed on with."""
    status = exc.status
    if status is None:
        return {"timeout": 504, "connect": 503}.get(exc.failure or "", 502)
    if status == 408:
        return 504
    if 400 <= status < 500 or status in (503, 504):
        return status
    return 502


def from_stackctl(exc: StackctlError) -> JSONResponse:
    status = STATUS_BY_EXIT.get(exc.exit_code, 500)
    headers = None
    if exc.code in STORAGE_CODES:  # the server's storage, not the request, is at fault
        status = 503
        headers = {"Retry-After": "1"} if exc.code == "database_busy" else None
    message = exc.message
    if exc.details:
        message += ": " + "; ".join(exc.details)
    if "@" in message:  # no error shows the userinfo of a URL (`http://user:pass@host`)
        message = mask_url_userinfo(message)
    if isinstance(exc, UpstreamError):
        status = upstream_status(exc)
        if status == 429:
            retry = {} if exc.retry_after is None else {"Retry-After": str(math.ceil(exc.retry_after))}
            return error_response(429, message, "rate_limit_exceeded", exc.param, headers=retry)
    return error_response(status, message, exc.code, exc.param, headers)


def from_validation(errors: list[dict[str, Any]]) -> JSONResponse:
    """FastAPI's validation errors as one OpenAI error: 400, naming the first parameter at fault."""
    if any(error.get("type") == "json_invalid" for error in errors):
        return error_response(400, "request body is not valid JSON", "invalid_json")
    lines = []
    for error in errors:
        # FastAPI prefixes every location with where it was found ("body", "query", "path").
        loc = tuple(error.get("loc", ()))
        where = location(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else location(loc)
        lines.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    first = tuple(errors[0].get("loc", ())) if errors else ()
    param = location(first[1:]) or None if first else None
    return error_response(400, "invalid request: " + "; ".join(lines), "invalid_request", param)


def from_http(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method, body too large) in OpenAI's shape."""
    code: str | None
    if exc.status_code == 404 and isinstance(exc.detail, str) and exc.detail == "Not Found":
        message, code = f"no such route: {request.method} {request.url.path}", "route_not_found"
    elif exc.status_code == 405:
        message, code = f"method not allowed: {request.method} {request.url.path}", "method_not_allowed"
    elif exc.status_code == 400 and isinstance(exc.__cause__, RecursionError | ValueError):
        # JSON the parser gives up on (nested too deeply, an integer of thousands of digits): FastAPI
        # words it "There was an error parsing the body"; it is invalid JSON, said as for any other.
        cause = exc.__cause__
        why = "nested too deeply" if isinstance(cause, RecursionError) else str(cause).split(";")[0]
        message, code = f"request body is not valid JSON: {why}", "invalid_json"
    else:
        message, code = str(exc.detail), getattr(exc, "code", None)
    return error_response(exc.status_code, message, code, headers=getattr(exc, "headers", None))
