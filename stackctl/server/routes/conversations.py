"""`/v1/conversations` and its items: thin handlers over `stackctl.conversations.service`.

Each call takes a connection of its own: writes through `deps.write` (in the thread pool, as a write may
wait on the lock), reads, which take no lock, through `deps.read` (on the event loop on SQLite). All
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
from stackctl.server.deps import read, write
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
async def create_conversation(request: Request, body: ConversationCreateRequest) -> JSONResponse:
    return _wire(await write(request, core.create_conversation, body.metadata, body.items or []))


@router.get("/{conversation_id}", response_model=Conversation, summary="Retrieve a conversation")
async def get_conversation(request: Request, conversation_id: str) -> JSONResponse:
    return _wire(await read(request, item_pages.conversation_wire, conversation_id))


@router.post("/{conversation_id}", response_model=Conversation, summary="Replace a conversation's metadata")
async def update_conversation(
    request: Request, conversation_id: str, body: ConversationUpdateRequest
) -> JSONResponse:
    return _wire(await write(request, core.update_conversation, conversation_id, body.metadata or {}))


@router.delete("/{conversation_id}", response_model=ConversationDeleted, summary="Delete a conversation")
async def delete_conversation(request: Request, conversation_id: str) -> JSONResponse:
    return _wire(await write(request, core.delete_conversation, conversation_id))


@router.post("/{conversation_id}/items", response_model=ItemListPage, summary="Add items (one transaction)")
async def create_items(
    request: Request, conversation_id: str, body: ItemsCreateRequest, include: IncludeQuery = None
) -> JSONResponse:
    # The new items are returned as given, so `include` only has to be valid here.
    item_pages.check_include(_include(request, include))
    return _wire(await write(request, core.add_items_wire, conversation_id, body.items))


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
async def delete_item(request: Request, conversation_id: str, item_id: str) -> JSONResponse:
    return _wire(await write(request, core.delete_item, conversation_id, item_id))
