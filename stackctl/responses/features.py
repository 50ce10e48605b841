"""What a Responses request may ask of stackctl: the parameters it honours, translated for chat completions,
and a 400 naming the parameter for everything it cannot honour.

Invariants:
- Nothing is silently dropped: a built-in tool (web search, file search, MCP, code interpreter, image
  generation, computer use, custom tools), a `tool_choice` naming one, an `input_file` part, an
  `input_image` given by `file_id`, `background: true`, a reusable `prompt`, or an `include` value that
  cannot be honoured is an `InvalidInputError` (400) whose `param` is the parameter's path
  (`tools[1].type`, `input[0].content[1]`, ...), before the provider is called.
- `text.format` (`text`, `json_object`, `json_schema` with `name`, `schema`, `strict`, `description`)
  becomes the chat `response_format`; the response echoes `text` with the format as OpenAI normalises it.
- `tool_choice` (`auto`/`none`/`required`, a function, or `allowed_tools` over functions) becomes its
  chat-completions form.

Pure functions: no I/O, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stackctl.errors import InvalidInputError
from stackctl.models.conversations import InputFile, InputImage, Item, Message

# Include values whose data stackctl keeps (image urls of inputs) or never produces (no reasoning items).
HONOURED_INCLUDES = frozenset({"message.input_image.image_url", "reasoning.encrypted_content"})
TOOL_CHOICE_MODES = frozenset({"auto", "none", "required"})
FORMAT_TYPES = ("text", "json_object", "json_schema")


def _refuse(param: str, message: str, hint: str | None = None) -> InvalidInputError:
    return InvalidInputError(message, hint=hint, code="unsupported_parameter", param=param)


def check_tools(tools: Sequence[Mapping[str, Any]]) -> None:
    for index, tool in enumerate(tools):
        kind = tool.get("type")
        if kind != "function":
            raise _refuse(
                f"tools[{index}].type",
                f"tool type {kind!r} is not supported: stackctl passes function tools to the model "
                "and cannot run built-in tools",
                hint="declare the tool as {'type': 'function', 'name': ..., 'parameters': ...} and run it "
                "in the client",
            )
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise InvalidInputError(
                "a function tool needs a name", code="invalid_request", param=f"tools[{index}].name"
            )


def chat_tool_choice(choice: str | Mapping[str, Any]) -> str | dict[str, Any]:
    """A Responses `tool_choice` in its chat-completions form; a choice of a built-in tool is a 400."""
    if isinstance(choice, str):
        if choice not in TOOL_CHOICE_MODES:
            raise _refuse("tool_choice", f"tool_choice {choice!r} is not one of auto, none, required")
        return choice
    kind = choice.get("type")
    if kind == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    if kind == "allowed_tools":
        tools = choice.get("tools") or []
        chat = []
        for index, tool in enumerate(tools):
            if not isinstance(tool, Mapping) or tool.get("type") != "function":
                raise _refuse(f"tool_choice.tools[{index}]", "allowed_tools may name function tools only")
            chat.append({"type": "function", "function": {"name": tool.get("name")}})
        mode = choice.get("mode", "auto")
        if mode not in ("auto", "required"):
            raise _refuse("tool_choice.mode", f"allowed_tools mode {mode!r} is not auto or required")
        return {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": chat}}
    raise _refuse(
        "tool_choice", f"tool_choice of type {kind!r} is not supported: stackctl runs function tools only"
    )


def check_input_parts(items: Sequence[Item | str]) -> None:
    """Refuse input parts the provider would never see: files, and images given only by file id.

    `items` are the input in order; a string (an item reference) holds no parts of its own."""
    for i, item in enumerate(items):
        if not isinstance(item, Message):
            continue
        for j, part in enumerate(item.content):
            where = f"input[{i}].content[{j}]"
            if isinstance(part, InputFile):
                raise _refuse(where, "input_file parts are not supported: stackctl has no files API")
            if isinstance(part, InputImage) and not part.image_url:
                raise _refuse(
                    where,
                    "an input_image given by file_id is not supported: stackctl has no files API",
                    hint="give the image as image_url (an https URL or a data: URL)",
                )


def check_request_flags(
    *, background: bool | None, include: Sequence[str] | None, prompt: object | None
) -> None:
    if background:
        raise _refuse("background", "background responses are not supported: leave background unset")
    if prompt is not None:
        raise _refuse("prompt", "reusable prompts are not supported: give instructions and input instead")
    for index, value in enumerate(include or []):
        if value not in HONOURED_INCLUDES:
            raise _refuse(
                f"include[{index}]",
                f"include value {value!r} cannot be honoured",
                hint="supported: " + ", ".join(sorted(HONOURED_INCLUDES)),
            )


def text_config(text: Mapping[str, Any] | None) -> dict[str, Any]:
    """The `text` field as the response echoes it: the format normalised, `text` when none is given."""
    if text is None:
        return {"format": {"type": "text"}}
    raw = text.get("format")
    if raw is None:
        fmt: dict[str, Any] = {"type": "text"}
    elif not isinstance(raw, Mapping) or raw.get("type") not in FORMAT_TYPES:
        kind = raw.get("type") if isinstance(raw, Mapping) else raw
        raise _refuse("text.format.type", f"text format {kind!r} is not one of {', '.join(FORMAT_TYPES)}")
    elif raw["type"] == "json_schema":
        fmt = _json_schema_format(raw)
    else:
        fmt = {"type": raw["type"]}
    echoed = {"format": fmt}
    if text.get("verbosity") is not None:
        echoed["verbosity"] = text["verbosity"]
    return echoed


def _json_schema_format(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise InvalidInputError(
            "a json_schema text format needs a name", code="invalid_request", param="text.format.name"
        )
    if not isinstance(raw.get("schema"), Mapping):
        raise InvalidInputError(
            "a json_schema text format needs a schema object",
            code="invalid_request",
            param="text.format.schema",
        )
    fmt: dict[str, Any] = {"type": "json_schema", "name": raw["name"], "schema": dict(raw["schema"])}
    if raw.get("description") is not None:
        fmt["description"] = raw["description"]
    fmt["strict"] = bool(raw.get("strict", False))
    return fmt


def chat_response_format(text: Mapping[str, Any]) -> dict[str, Any] | None:
    """The chat `response_format` for an echoed `text` config; None for plain text (sent as nothing)."""
    fmt = text["format"]
    if fmt["type"] == "text":
        return None
    if fmt["type"] == "json_object":
        return {"type": "json_object"}
    schema = {k: fmt[k] for k in ("name", "description", "schema", "strict") if k in fmt}
    return {"type": "json_schema", "json_schema": schema}
