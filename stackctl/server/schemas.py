"""Request and response bodies of the HTTP API, as published in `/openapi.json`.

The conversation and item shapes themselves live in `stackctl.models.conversations`; this module adds the
request bodies, the list envelopes and the small objects only the server returns. Routes send the core's
`to_wire()` JSON as is (exactly OpenAI's shape); these models describe it for the OpenAPI document.

Limits (items per call, metadata size) are documented here but checked by the core, so that breaking one
is a 400 like every other input the core refuses (a schema violation is a 400 as well, as with OpenAI).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from stackctl.conversations.service import MAX_ITEMS_PER_CALL
from stackctl.models.conversations import Item
from stackctl.models.responses import Response


class ConversationCreateRequest(BaseModel):
    metadata: dict[str, str] | None = Field(
        default=None, description="At most 16 pairs; keys up to 64 characters, values up to 512."
    )
    items: list[Item] | None = Field(
        default=None,
        description=f"Initial items (at most {MAX_ITEMS_PER_CALL}), added in the same transaction.",
        json_schema_extra={"maxItems": MAX_ITEMS_PER_CALL},
    )


class ConversationUpdateRequest(BaseModel):
    metadata: dict[str, str] | None = Field(
        description="Replaces the conversation's metadata (null clears it)."
    )


class ItemsCreateRequest(BaseModel):
    items: list[Item] = Field(
        min_length=1,
        description=f"At most {MAX_ITEMS_PER_CALL} items, added in one transaction.",
        json_schema_extra={"maxItems": MAX_ITEMS_PER_CALL},
    )


class ItemListPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[Item]
    first_id: str | None
    last_id: str | None
    has_more: bool


class ResponseListPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[Response]
    first_id: str | None
    last_id: str | None
    has_more: bool


class InputItemListPage(ItemListPage):
    pass


class ModelObject(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelObject]


class Health(BaseModel):
    status: Literal["OK"] = "OK"
    backend: Literal["sqlite", "postgresql"] = Field(description="The store backend this server runs on.")


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS = {
    status: {"model": ErrorResponse, "description": text}
    for status, text in (
        (
            400,
            "Malformed request: bad JSON, a body or query that breaks the schema, malformed id, a limit "
            "exceeded, or input the core refuses (`param` names the parameter)",
        ),
        (401, "Missing or wrong bearer token (only when the server has an api key)"),
        (404, "Conversation or item not found"),
        (413, "Request body too large"),
    )
}

RESPONSE_ERRORS = {
    **ERRORS,
    404: {"model": ErrorResponse, "description": "Response, conversation, model or item not found"},
    502: {"model": ErrorResponse, "description": "The inference provider failed or could not be reached"},
}
