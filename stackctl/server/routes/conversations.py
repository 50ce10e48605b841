"""`/v1/conversations` and its items: thin handlers over `stackctl.conversations.service`.

Writes are plain functions (FastAPI runs them in its thread pool, each with its own connection: a write
may wait on the lock); reads take no lock and are served by `deps.read` (on the event loop on SQLite). All
return the core's `to_wire()` JSON unchanged, so bodies are exactly the OpenAI wire shape. Reads send the
stored wire JSON as stored (`stackctl.conversations.wire`), with no model in between: the same bytes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from stackctl.conversations import service as core
from stackctl.conversations import wire as item_pages
from stackctl.models.conversations import Conversation, ConversationDeleted, Item
from stackctl.server.deps import DB, read
from stackctl.server.schemas import (
    ERRORS,
    ConversationCreateRequest,
    ConversationUpdateRequest,
    ItemListPage,
    ItemsCreateRequest,
)

router = APIRouter(prefix="/v1/conversations", tags=["conversations"], responses=ERRORS)  # type: ignore[arg-type]

# The core checks the bounds (a 400, as with OpenAI); the schema only documents them.
LimitQuery = Annotated[
    int,
    Query(
        description="Page size, 1..100.",
        json_schema_extra={"minimum": item_pages.MIN_LIMIT, "maximum": item_pages.MAX_LIMIT},
    ),
]
IncludeQuery = Annotated[
    list[str] | None,
    Query(description="Extra fields to return; also accepted as include[] (how the OpenAI SDK sends it)."),
]


def _include(request: Request, include: list[str] | None) -> list[str]:
    return [*(include or ()), *request.query_params.getlist("include[]")]


def _wire(value: Any) -> JSONResponse:
    return JSONResponse(value.to_wire() if hasattr(value, "to_wire") else value)


@router.post("", response_model=Conversation, summary="Create a conversation")
def create_conversation(db: DB, body: ConversationCreateRequest) -> JSONResponse:
    return _wire(core.create_conversation(db, body.metadata, body.items or []))


@router.get("/{conversation_id}", response_model=Conversation, summary="Retrieve a conversation")
async def get_conversation(request: Request, conversation_id: str) -> JSONResponse:
    return _wire(await read(request, item_pages.conversation_wire, conversation_id))


@router.post("/{conversation_id}", response_model=Conversation, summary="Replace a conversation's metadata")
def update_conversation(db: DB, conversation_id: str, body: ConversationUpdateRequest) -> JSONResponse:
    return _wire(core.update_conversation(db, conversation_id, body.metadata or {}))


@router.delete("/{conversation_id}", response_model=ConversationDeleted, summary="Delete a conversation")
def delete_conversation(db: DB, conversation_id: str) -> JSONResponse:
    return _wire(core.delete_conversation(db, conversation_id))


@router.post("/{conversation_id}/items", response_model=ItemListPage, summary="Add items (one transaction)")
def create_items(
    db: DB, request: Request, conversation_id: str, body: ItemsCreateRequest, include: IncludeQuery = None
) -> JSONResponse:
    # The new items are returned as given, so `include` only has to be valid here.
    item_pages.check_include(_include(request, include))
    return _wire(core.add_items_wire(db, conversation_id, body.items))


@router.get("/{conversation_id}/items", response_model=ItemListPage, summary="List items, newest first")
async def list_items(
    request: Request,
    conversation_id: str,
    limit: LimitQuery = item_pages.DEFAULT_LIMIT,
    after: str | None = None,
    order: Literal["asc", "desc"] = "desc",
    include: IncludeQuery = None,
) -> JSONResponse:
    page = await read(
        request,
        item_pages.list_items_wire,
        conversation_id,
        limit=limit,
        after=after,
        order=order,
        include=_include(request, include),
    )
    return _wire(page)


@router.get("/{conversation_id}/items/{item_id}", response_model=Item, summary="Retrieve an item")
async def get_item(
    request: Request, conversation_id: str, item_id: str, include: IncludeQuery = None
) -> JSONResponse:
    wanted = _include(request, include)
    return _wire(await read(request, item_pages.item_wire, conversation_id, item_id, include=wanted))


@router.delete(
    "/{conversation_id}/items/{item_id}",
    response_model=Conversation,
    summary="Delete an item; returns the conversation",
)
def delete_item(db: DB, conversation_id: str, item_id: str) -> JSONResponse:
    return _wire(core.delete_item(db, conversation_id, item_id))
