"""The FastAPI application factory of `stackctl serve`.

Invariants:
- The database schema is brought up to date once, in `create_app`; each request then takes a database
  handle of its own from the app's pool (see `deps`), so no connection is ever used by two threads at once.
- Each worker process builds its own app (`app_from_env`, uvicorn's factory), hence its own pool; the pool
  is closed when the app shuts down.
- Every error leaves as an OpenAI error object (see `errors`); an unexpected exception is a 500 whose body
  names only its type, never a traceback.
- Auth and the body-size limit wrap the whole app, so they run before routing and before any parsing.
- Provider calls have threads and slots of their own (`app.state.provider_calls`, see `provider_calls`);
  their HTTP clients, one per provider origin, are closed when the app shuts down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from stackctl import __version__
from stackctl.errors import StackctlError
from stackctl.inference.limits import Timeouts
from stackctl.server import errors
from stackctl.server.middleware import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_MAX_BODY_BYTES,
    BearerAuth,
    BodyLimit,
    BodyTimeout,
    HostAllowList,
)
from stackctl.server.provider_calls import DEFAULT_LIMIT, ProviderCalls
from stackctl.server.routes import chat, conversations, health, models, responses
from stackctl.store.faults import classify, fault_types
from stackctl.store.open import backend_of, open_database, open_pool

log = logging.getLogger("stackctl.server")


def create_app(
    db_location: str,
    api_key: str | None = None,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    env: Mapping[str, str] | None = None,
    provider_calls: int = DEFAULT_LIMIT,
    timeouts: Timeouts | None = None,
    retries: int | None = None,
    allowed_hosts: frozenset[str] | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
) -> FastAPI:
    """An app serving the OpenAI-compatible API over the database at `db_location`.

    Provider configs are rendered from `env` at each call: the process environment unless one is given.
    At most `provider_calls` responses are in flight at once; `timeouts` and `retries` override the
    deadlines and retries the env sets.
    With `allowed_hosts`, a request whose Host header names another host is refused (421). A request body
    not received whole within `body_timeout` seconds is 408 (0: no limit).
    """
    open_database(db_location).close()  # migrate once, up front: a bad database fails before serving
    pool = open_pool(db_location)
    calls = ProviderCalls(provider_calls, timeouts, retries)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                calls.close()
            finally:
                pool.close()

    app = FastAPI(
        title="stackctl",
        version=__version__,
        description="OpenAI-compatible conversations, models and responses over the stackctl database.",
        lifespan=lifespan,
    )
    app.state.db_location = db_location
    app.state.backend = backend_of(db_location)
    app.state.pool = pool
    app.state.env = os.environ if env is None else env
    app.state.provider_calls = calls
    app.include_router(conversations.router)
    app.include_router(responses.router)
    app.include_router(models.router)
    app.include_router(chat.router)
    app.include_router(health.router)
    _install_error_handlers(app)
    _publish_without_422(app)
    # Added last = outermost: the size limit applies even to unauthenticated requests.
    if api_key:
        app.add_middleware(BearerAuth, api_key=api_key)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(BodyTimeout, seconds=body_timeout)
    if allowed_hosts is not None:
        app.add_middleware(HostAllowList, allowed=allowed_hosts)  # outermost: before anything else
    return app


def _publish_without_422(app: FastAPI) -> None:
    """The OpenAPI document without FastAPI's default 422: a schema violation is a 400 here (see `errors`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_from_env() -> FastAPI:
    """The app of one `serve` worker process, configured by the environment `serve` hands its workers:
    STACKCTL_DB (already resolved to a location), STACKCTL_API_KEY, STACKCTL_MAX_PROVIDER_CALLS,
    STACKCTL_ALLOWED_HOSTS and STACKCTL_BODY_TIMEOUT (STACKCTL_TIMEOUT and STACKCTL_RETRIES are read at each
    call)."""
    from stackctl.paths import db_location

    hosts = os.environ.get("STACKCTL_ALLOWED_HOSTS")
    return create_app(
        db_location(os.environ, None),
        os.environ.get("STACKCTL_API_KEY") or None,
        env=os.environ,
        provider_calls=int(os.environ.get("STACKCTL_MAX_PROVIDER_CALLS") or DEFAULT_LIMIT),
        allowed_hosts=frozenset(hosts.split(",")) if hosts else None,
        body_timeout=float(os.environ.get("STACKCTL_BODY_TIMEOUT") or DEFAULT_BODY_TIMEOUT),
    )


def _install_error_handlers(app: FastAPI) -> None:
    async def on_stackctl(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StackctlError)
        return errors.from_stackctl(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return errors.from_validation(list(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return errors.from_http(request, exc)

    async def on_storage(request: Request, exc: Exception) -> JSONResponse:
        fault = classify(exc, request.app.state.db_location)
        if fault is None:
            return await on_unexpected(request, exc)
        log.warning("%s %s: %s", request.method, request.url.path, fault.message)  # one line, no traceback
        return errors.from_stackctl(fault)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return errors.error_response(500, f"internal error: {type(exc).__name__}", "internal_error")

    app.add_exception_handler(StackctlError, on_stackctl)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    for fault_type in fault_types(app.state.db_location):
        app.add_exception_handler(fault_type, on_storage)
    app.add_exception_handler(Exception, on_unexpected)
