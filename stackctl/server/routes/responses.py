"""`/v1/responses`: create (plain or streamed), retrieve, delete, list, and input items, as thin handlers
over `stackctl.responses.service`.

Invariants:
- Provider configs are rendered from the server process's environment (`app.state.env`), never from the
  database, exactly as the CLI renders them from its own.
- Everything the core checks before calling the provider (body, model, conversation, previous response)
  fails as a plain JSON error with its status, streamed or not; only then does a stream start.
- Creating a response is an async handler whose blocking work (planning, the provider call, the commit) runs
  on the provider calls' own threads, never on the pool the other routes share; when all the provider
  calls' slots are taken it is 503 with `Retry-After` at once (see `stackctl.server.provider_calls`).
- Reads send the stored wire JSON as stored (no model in between). The read handlers are sync functions
  (FastAPI runs them in its thread pool, each with its own database handle); a stream owns a handle of its
  own for as long as it runs (see `stackctl.server.streaming`). On PostgreSQL a handle holds a pool
  connection only during a statement or the commit's transaction, never across the provider call, so slow
  providers cannot take the connections the other routes need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from stackctl.conversations import wire as item_pages
from stackctl.models.responses import Response, ResponseDeleted, ResponseRequest
from stackctl.responses import service as core
from stackctl.responses.turn import ClientFactory
from stackctl.server.deps import DB
from stackctl.server.provider_calls import ProviderCalls, busy
from stackctl.server.schemas import RESPONSE_ERRORS, InputItemListPage, ResponseListPage
from stackctl.server.streaming import event_stream, sse
from stackctl.store.database import Database
from stackctl.store.open import Pool

router = APIRouter(prefix="/v1/responses", tags=["responses"], responses=RESPONSE_ERRORS)  # type: ignore[arg-type]

# The core checks the bounds (a 400, as with OpenAI); the schema only documents them.
Limit = Annotated[
    int,
    Query(
        description="Page size, 1..100.",
        json_schema_extra={"minimum": item_pages.MIN_LIMIT, "maximum": item_pages.MAX_LIMIT},
    ),
]
Order = Annotated[Literal["asc", "desc"], Query(description="Sort order (default newest first).")]

STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The response object; with `stream: true`, server-sent events instead "
        "(`event: <type>` and `data: <json>` per event, ending with `response.completed`, "
        "`response.incomplete` or `response.failed`).",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string", "description": "OpenAI Responses streaming events"}
            }
        },
    }
}


def _wire(value: Any) -> JSONResponse:
    return JSONResponse(value.to_wire())


@router.post(
    "",
    response_model=Response,
    responses=STREAM_DOC,
    summary="Create a response (streamed with stream: true)",
)
async def create_response(request: Request, body: ResponseRequest) -> Any:
    calls: ProviderCalls = request.app.state.provider_calls
    if not calls.admit():
        return busy(calls.limit)
    pool: Pool = request.app.state.pool
    env: Mapping[str, str] = request.app.state.env
    if not body.stream:
        try:
            return _wire(await calls.run(_create, pool, body, env, calls.factory))
        finally:
            calls.release()
    try:
        db, events = await calls.run(_start_stream, pool, body, env, calls.factory)
    except BaseException:
        calls.release()
        raise
    # From here on the stream owns the database handle and the slot, and gives both back when it ends.
    return StreamingResponse(
        event_stream(events, db, calls.run, calls.release),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _create(pool: Pool, body: ResponseRequest, env: Mapping[str, str], factory: ClientFactory) -> Any:
    db = pool.acquire()
    try:
        return core.create_response(db, body, env=env, client_factory=factory)
    finally:
        db.close()


def _start_stream(
    pool: Pool, body: ResponseRequest, env: Mapping[str, str], factory: ClientFactory
) -> tuple[Database, Iterator[dict[str, Any]]]:
    db = pool.acquire()
    try:
        return db, core.stream_response(db, body, env=env, client_factory=factory)
    except BaseException:
        db.close()
        raise


@router.get("", response_model=ResponseListPage, summary="List stored responses, newest first")
def list_responses(
    db: DB,
    limit: Limit = item_pages.DEFAULT_LIMIT,
    after: Annotated[str | None, Query(description="A response id: the page starts after it.")] = None,
    order: Order = "desc",
    model: Annotated[str | None, Query(description="Only responses of this model.")] = None,
) -> JSONResponse:
    return JSONResponse(core.list_responses_wire(db, limit=limit, after=after, order=order, model=model))


@router.get(
    "/{response_id}", response_model=Response, responses=STREAM_DOC, summary="Retrieve a stored response"
)
def get_response(
    db: DB,
    response_id: str,
    stream: Annotated[bool, Query(description="Replay the response's events as a stream.")] = False,
    starting_after: Annotated[
        int | None, Query(description="With stream: only events numbered after this one.")
    ] = None,
) -> Any:
    if not stream:
        return JSONResponse(core.response_wire(db, response_id))
    events = list(core.replay_response(db, response_id, starting_after))
    return StreamingResponse(
        iter([sse(event) for event in events]),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


@router.delete("/{response_id}", response_model=ResponseDeleted, summary="Delete a stored response")
def delete_response(db: DB, response_id: str) -> JSONResponse:
    return _wire(core.delete_response(db, response_id))


@router.get(
    "/{response_id}/input_items",
    response_model=InputItemListPage,
    summary="List a stored response's input items",
)
def list_input_items(
    db: DB,
    response_id: str,
    limit: Limit = item_pages.DEFAULT_LIMIT,
    after: Annotated[str | None, Query(description="An item id: the page starts after it.")] = None,
    before: Annotated[str | None, Query(description="An item id: the page ends before it.")] = None,
    order: Order = "desc",
) -> JSONResponse:
    page = core.list_input_items_wire(db, response_id, limit=limit, after=after, before=before, order=order)
    return JSONResponse(page)
