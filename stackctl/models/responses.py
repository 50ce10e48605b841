"""OpenAI wire shapes of responses: the request, the response object, its lists and the deleted marker.

Invariants:
- `Response.to_wire()` is exactly the JSON of OpenAI's Responses API: every documented field is present
  (null when unset) and output items are conversation items (`stackctl.models.conversations.Item`).
  `output_text` (the concatenated text of the assistant's `output_text` parts) is a property, as in the
  SDK, and never on the wire.
- Request parameters that stackctl accepts but does not act on (`user`, `service_tier`, `prompt_cache_key`,
  `safety_identifier`, `truncation`, `top_logprobs`, `reasoning`, `max_tool_calls`, `background: false`)
  are echoed in the response as OpenAI echoes them; `text` is echoed with its format.
- Response ids are `resp_` + 48 lowercase hex characters; output message ids are `msg_` + 48 hex.
- `ResponseRequest` keeps unknown fields (newer SDKs send more than stackctl uses) but type-checks known ones.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stackctl.models.conversations import Item, Message, OutputText, WireModel
from stackctl.models.lists import list_envelope

ResponseStatus = Literal["completed", "failed", "in_progress", "incomplete"]


class InputTokensDetails(WireModel):
    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(WireModel):
    reasoning_tokens: int = 0


class ResponseUsage(WireModel):
    """Token usage; both details objects are always present (the SDK's `ResponseUsage` requires them)."""

    input_tokens: int = 0
    input_tokens_details: InputTokensDetails = Field(default_factory=InputTokensDetails)
    output_tokens: int = 0
    output_tokens_details: OutputTokensDetails = Field(default_factory=OutputTokensDetails)
    total_tokens: int = 0


class ResponseError(WireModel):
    code: str
    message: str


class ConversationRef(WireModel):
    id: str


class ResponseRequest(BaseModel):
    """The body of `POST /v1/responses` (and what `stackctl responses create` builds from its flags)."""

    model_config = ConfigDict(extra="allow")

    model: str
    # Optional when a conversation or previous response gives the context (the SDK allows leaving it out).
    input: str | list[dict[str, Any]] | None = None
    conversation: str | None = None
    previous_response_id: str | None = None
    instructions: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_output_tokens: int | None = Field(default=None, ge=1)
    store: bool = True
    stream: bool = False
    metadata: dict[str, str] | None = None
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    top_p: float | None = Field(default=None, ge=0, le=1)
    text: dict[str, Any] | None = None
    include: list[str] | None = None
    background: bool | None = None
    # Accepted and echoed, not acted on.
    user: str | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    truncation: Literal["auto", "disabled"] | None = None
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    reasoning: dict[str, Any] | None = None
    max_tool_calls: int | None = Field(default=None, ge=1)

    @field_validator("conversation", mode="before")
    @classmethod
    def _conversation_object(cls, value: Any) -> Any:
        # The API accepts `"conv_..."` or `{"id": "conv_..."}`.
        if isinstance(value, dict):
            return value.get("id")
        return value


class Response(WireModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["response"] = "response"
    created_at: int
    status: ResponseStatus
    model: str
    output: list[Item] = Field(default_factory=list)
    usage: ResponseUsage | None = None
    previous_response_id: str | None = None
    conversation: ConversationRef | None = None
    instructions: str | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None
    store: bool = True
    error: ResponseError | None = None
    incomplete_details: dict[str, Any] | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    # Required by the SDK's Response type; stackctl passes function tools through to the provider.
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: str | dict[str, Any] = "auto"
    parallel_tool_calls: bool = True
    top_p: float | None = None
    text: dict[str, Any] = Field(default_factory=lambda: {"format": {"type": "text"}})
    background: bool = False
    user: str | None = None
    service_tier: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    truncation: str = "disabled"
    top_logprobs: int | None = None
    reasoning: dict[str, Any] | None = None
    max_tool_calls: int | None = None

    @property
    def output_text(self) -> str:
        return "".join(
            part.text
            for item in self.output
            if isinstance(item, Message) and item.role == "assistant"
            for part in item.content
            if isinstance(part, OutputText)
        )

    def to_wire(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", exclude={"output"})
        body["output"] = [item.to_wire() for item in self.output]
        return body


class ResponseDeleted(WireModel):
    id: str
    object: Literal["response.deleted"] = "response.deleted"
    deleted: bool = True


class InputItemList(BaseModel):
    data: list[Item]
    has_more: bool = False

    def to_wire(self) -> dict[str, Any]:
        return list_envelope([item.to_wire() for item in self.data], self.has_more)


class ResponseList(BaseModel):
    data: list[Response]
    has_more: bool = False

    def to_wire(self) -> dict[str, Any]:
        return list_envelope([response.to_wire() for response in self.data], self.has_more)
