"""OpenAI wire shapes of conversations and conversation items.

Invariants:
- `to_wire()` gives exactly the JSON the OpenAI Conversations API returns (fields that are unset are left
  out, as the API does for optional fields).
- Items are one discriminated union on `type`. Unknown fields are kept (so items produced by newer
  upstream APIs survive a round trip) but every known field is type-checked.
- A mapping with a `role` and no `type` is a message (OpenAI's short input form, where `type` defaults
  to "message"). `shape_item` fills it in on every validation of an item, so the CLI, the server's
  request bodies and responses input all read it the same way.
- A message's string content is normalised to a one-part list (`input_text`, or `output_text` for the
  assistant), which is how the API stores and returns it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

from stackctl.models.lists import list_envelope


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


Status = Literal["in_progress", "completed", "incomplete"]


# --- message content parts -------------------------------------------------------------------------


class InputText(WireModel):
    type: Literal["input_text"]
    text: str


class OutputText(WireModel):
    type: Literal["output_text"]
    text: str
    annotations: list[dict[str, Any]] = Field(default_factory=list)
    logprobs: list[dict[str, Any]] | None = None


class InputImage(WireModel):
    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: Literal["low", "high", "auto"] = "auto"


class InputFile(WireModel):
    type: Literal["input_file"]
    file_id: str | None = None
    file_data: str | None = None
    file_url: str | None = None
    filename: str | None = None


class Refusal(WireModel):
    type: Literal["refusal"]
    refusal: str


ContentPart = Annotated[
    InputText | OutputText | InputImage | InputFile | Refusal, Field(discriminator="type")
]


# --- items ----------------------------------------------------------------------------------------


class Message(WireModel):
    type: Literal["message"]
    id: str | None = None
    role: Literal["user", "assistant", "system", "developer"]
    content: list[ContentPart]
    status: Status = "completed"

    @model_validator(mode="before")
    @classmethod
    def _string_content(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("content"), str):
            part = "output_text" if data.get("role") == "assistant" else "input_text"
            data = {**data, "content": [{"type": part, "text": data["content"]}]}
        return data


class FunctionCall(WireModel):
    type: Literal["function_call"]
    id: str | None = None
    call_id: str
    name: str
    arguments: str
    status: Status = "completed"


class FunctionCallOutput(WireModel):
    type: Literal["function_call_output"]
    id: str | None = None
    call_id: str
    output: str | list[dict[str, Any]]
    status: Status = "completed"


class FileSearchCall(WireModel):
    type: Literal["file_search_call"]
    id: str | None = None
    queries: list[str] = Field(default_factory=list)
    results: list[dict[str, Any]] | None = None
    status: Literal["in_progress", "searching", "completed", "incomplete", "failed"] = "completed"


class WebSearchCall(WireModel):
    type: Literal["web_search_call"]
    id: str | None = None
    action: dict[str, Any] | None = None
    status: Literal["in_progress", "searching", "completed", "failed"] = "completed"


class ImageGenerationCall(WireModel):
    type: Literal["image_generation_call"]
    id: str | None = None
    result: str | None = None
    status: Literal["in_progress", "completed", "generating", "failed"] = "completed"


class ComputerCall(WireModel):
    type: Literal["computer_call"]
    id: str | None = None
    call_id: str
    action: dict[str, Any]
    pending_safety_checks: list[dict[str, Any]] = Field(default_factory=list)
    status: Status = "completed"


class ComputerCallOutput(WireModel):
    type: Literal["computer_call_output"]
    id: str | None = None
    call_id: str
    output: dict[str, Any]
    acknowledged_safety_checks: list[dict[str, Any]] | None = None
    status: Status = "completed"


class Reasoning(WireModel):
    type: Literal["reasoning"]
    id: str | None = None
    summary: list[dict[str, Any]] = Field(default_factory=list)
    content: list[dict[str, Any]] | None = None
    encrypted_content: str | None = None
    status: Status | None = None


class CodeInterpreterCall(WireModel):
    type: Literal["code_interpreter_call"]
    id: str | None = None
    code: str | None = None
    container_id: str
    outputs: list[dict[str, Any]] | None = None
    status: Literal["in_progress", "completed", "incomplete", "interpreting", "failed"] = "completed"


class LocalShellCall(WireModel):
    type: Literal["local_shell_call"]
    id: str | None = None
    call_id: str
    action: dict[str, Any]
    status: Status = "completed"


class LocalShellCallOutput(WireModel):
    type: Literal["local_shell_call_output"]
    id: str | None = None
    output: str
    status: Status | None = None


class McpListTools(WireModel):
    type: Literal["mcp_list_tools"]
    id: str | None = None
    server_label: str
    tools: list[dict[str, Any]]
    error: str | None = None


class McpApprovalRequest(WireModel):
    type: Literal["mcp_approval_request"]
    id: str | None = None
    server_label: str
    name: str
    arguments: str


class McpApprovalResponse(WireModel):
    type: Literal["mcp_approval_response"]
    id: str | None = None
    approval_request_id: str
    approve: bool
    reason: str | None = None


class McpCall(WireModel):
    type: Literal["mcp_call"]
    id: str | None = None
    server_label: str
    name: str
    arguments: str
    output: str | None = None
    error: str | None = None


class CustomToolCall(WireModel):
    type: Literal["custom_tool_call"]
    id: str | None = None
    call_id: str
    name: str
    input: str


class CustomToolCallOutput(WireModel):
    type: Literal["custom_tool_call_output"]
    id: str | None = None
    call_id: str
    output: str | list[dict[str, Any]]


def shape_item(data: Any) -> Any:
    """OpenAI's short message form `{"role": ..., "content": ...}` with its `type` filled in."""
    if isinstance(data, dict) and "type" not in data and "role" in data:
        return {"type": "message", **data}
    return data


Item = Annotated[
    Message
    | FunctionCall
    | FunctionCallOutput
    | FileSearchCall
    | WebSearchCall
    | ImageGenerationCall
    | ComputerCall
    | ComputerCallOutput
    | Reasoning
    | CodeInterpreterCall
    | LocalShellCall
    | LocalShellCallOutput
    | McpListTools
    | McpApprovalRequest
    | McpApprovalResponse
    | McpCall
    | CustomToolCall
    | CustomToolCallOutput,
    Field(discriminator="type"),
    BeforeValidator(shape_item),
]

ITEM_TYPES: tuple[str, ...] = (
    "message",
    "function_call",
    "function_call_output",
    "file_search_call",
    "web_search_call",
    "image_generation_call",
    "computer_call",
    "computer_call_output",
    "reasoning",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "custom_tool_call",
    "custom_tool_call_output",
)

ItemAdapter: TypeAdapter[Item] = TypeAdapter(Item)
ItemListAdapter: TypeAdapter[list[Item]] = TypeAdapter(list[Item])


# --- conversations and list envelopes ----------------------------------------------------------------


class Conversation(WireModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["conversation"] = "conversation"
    created_at: int
    metadata: dict[str, str] = Field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class ConversationDeleted(WireModel):
    id: str
    object: Literal["conversation.deleted"] = "conversation.deleted"
    deleted: bool = True


class ItemList(BaseModel):
    data: list[Item]
    has_more: bool = False

    def to_wire(self) -> dict[str, Any]:
        return list_envelope([item.to_wire() for item in self.data], self.has_more)


class ConversationList(BaseModel):
    data: list[Conversation]
    has_more: bool = False

    def to_wire(self) -> dict[str, Any]:
        return list_envelope([conv.to_wire() for conv in self.data], self.has_more)
