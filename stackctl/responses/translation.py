"""Translation between Responses/Conversations items and chat-completions messages, both ways.

Items → messages: a message item becomes a chat message of its role (developer → system, which every
OpenAI-compatible server understands); text parts join into one string, images become `image_url` parts;
consecutive `function_call` items become one assistant message with `tool_calls`; a `function_call_output`
becomes a `tool` message. Item types with no chat equivalent (reasoning, web search, ...) are left out.

Chat answers → items: the assistant's text becomes one `message` item with an `output_text` part, each tool
call one `function_call` item. Ids are new (`msg_`/`item_` + 48 hex) and assigned here, so the response and
the conversation show the same ids.

Pure functions: no I/O, no database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stackctl.errors import UpstreamError
from stackctl.ids import new_id
from stackctl.models.conversations import (
    FunctionCall,
    Item,
    Message,
    OutputText,
)
from stackctl.models.responses import InputTokensDetails, OutputTokensDetails, ResponseUsage

ChatMessage = dict[str, Any]


def _parts_to_content(role: str, content: Any) -> str | list[dict[str, Any]]:
    # Plain strings are what every compatible server accepts; parts only when an image needs them.
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict | Mapping) else None
        if kind in ("input_text", "output_text"):
            texts.append(part["text"])
        elif kind == "refusal":
            texts.append(part["refusal"])
        elif kind == "input_image" and role == "user" and part.get("image_url"):
            return _parts_with_images(content)
    return "".join(texts)


def _parts_with_images(content: list[Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict | Mapping) else None
        if kind in ("input_text", "output_text"):
            parts.append({"type": "text", "text": part["text"]})
        elif kind == "refusal":
            parts.append({"type": "text", "text": part["refusal"]})
        elif kind == "input_image" and part.get("image_url"):
            image = {"url": part["image_url"], "detail": part.get("detail") or "auto"}
            parts.append({"type": "image_url", "image_url": image})
    return parts


def items_to_messages(items: Iterable[Item]) -> list[ChatMessage]:
    """Chat messages for items, in order."""
    return wire_to_messages(item.to_wire() for item in items)


def wire_to_messages(items: Iterable[Mapping[str, Any]]) -> list[ChatMessage]:
    """Chat messages for items as their wire JSON (stored items need no model: a 100k-item context is built
    straight from the stored JSON), in order."""
    messages: list[ChatMessage] = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            role = "system" if item["role"] == "developer" else item["role"]
            messages.append({"role": role, "content": _parts_to_content(item["role"], item.get("content"))})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"]},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item["output"]
            output = output if isinstance(output, str) else json.dumps(output)
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": output})
    return messages


def chat_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Responses function tools (`{"type": "function", "name", "parameters"}`) as chat tools.

    Built-in tools (web_search, file_search, ...) have no chat equivalent and are left out."""
    out: list[dict[str, Any]] = []
    for tool in tools:
        if tool.get("type") != "function":
            continue
        function = {
            k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None
        }
        out.append({"type": "function", "function": function})
    return out


def assistant_message(text: str, *, status: str = "completed") -> Message:
    return Message(
        type="message",
        id=new_id("msg"),
        role="assistant",
        content=[OutputText(type="output_text", text=text)],
        status=status,  # type: ignore[arg-type]
    )


def tool_call_items(tool_calls: Sequence[Mapping[str, Any]]) -> list[Item]:
    items: list[Item] = []
    for call in tool_calls:
        function = call.get("function") or {}
        items.append(
            FunctionCall(
                type="function_call",
                id=new_id("item"),
                call_id=str(call.get("id") or new_id("call")),
                name=str(function.get("name") or ""),
                arguments=str(function.get("arguments") or ""),
            )
        )
    return items


def completion_output(completion: Mapping[str, Any]) -> tuple[list[Item], str | None]:
    """Output items of a chat.completion and its first choice's finish_reason."""
    choices = completion.get("choices") or []
    choice = choices[0] if choices and isinstance(choices[0], Mapping) else {}
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    output: list[Item] = []
    content = message.get("content")
    raw_calls = message.get("tool_calls")
    calls: list[Any] = raw_calls if isinstance(raw_calls, list) else []
    if not isinstance(content, str) and not calls:
        raise no_answer(choice.get("finish_reason"))
    text = content if isinstance(content, str) else ""
    if text or not calls:
        output.append(assistant_message(text))
    output.extend(tool_call_items(calls))
    return output, choice.get("finish_reason")


def no_answer(finish_reason: Any) -> UpstreamError:
    """An answer with neither a message nor a tool call: a provider failure, never an empty turn."""
    return UpstreamError(
        f"the provider answered with no message and no tool call (finish_reason: {finish_reason})",
        code="empty_answer",
    )


def usage_of(raw: Mapping[str, Any] | None) -> ResponseUsage | None:
    """Chat usage (prompt/completion tokens and their details) as Responses usage (input/output tokens).

    Details the provider leaves out count as 0, so both details objects are always there."""
    if not raw:
        return None
    prompt = int(raw.get("prompt_tokens") or 0)
    completion = int(raw.get("completion_tokens") or 0)
    total = int(raw.get("total_tokens") or prompt + completion)
    return ResponseUsage(
        input_tokens=prompt,
        input_tokens_details=InputTokensDetails(
            cached_tokens=_detail(raw, "prompt_tokens_details", "cached_tokens"),
            cache_write_tokens=_detail(raw, "prompt_tokens_details", "cache_write_tokens"),
        ),
        output_tokens=completion,
        output_tokens_details=OutputTokensDetails(
            reasoning_tokens=_detail(raw, "completion_tokens_details", "reasoning_tokens")
        ),
        total_tokens=total,
    )


def _detail(raw: Mapping[str, Any], group: str, name: str) -> int:
    details = raw.get(group)
    return int(details.get(name) or 0) if isinstance(details, Mapping) else 0


class StreamAccumulator:
    """Collects a chat stream's text, tool calls, finish reason and usage, chunk by chunk."""

    def __init__(self) -> None:
        self.text = ""
        self.has_content = False  # whether any chunk carried message content (even "")
        self.finish_reason: str | None = None
        self.usage: ResponseUsage | None = None
        self._calls: dict[int, dict[str, Any]] = {}
        self.call_deltas: list[tuple[int, str]] = []

    def add(self, chunk: Mapping[str, Any]) -> str:
        """Take one chunk; return the text delta it carried ("" if none). The tool-call argument pieces it
        carried are in `call_deltas` until the next chunk."""
        self.call_deltas = []
        if chunk.get("usage"):
            self.usage = usage_of(chunk["usage"])
        delta_text = ""
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            piece = delta.get("content")
            if isinstance(piece, str):
                delta_text += piece
                self.has_content = True
            for call in delta.get("tool_calls") or []:
                self._merge_call(call)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        self.text += delta_text
        return delta_text

    def _merge_call(self, call: Mapping[str, Any]) -> None:
        index = int(call.get("index", 0))
        slot = self._calls.setdefault(index, {"function": {"name": "", "arguments": ""}})
        if call.get("id"):
            slot["id"] = call["id"]
        function = call.get("function") or {}
        slot["function"]["name"] += function.get("name") or ""
        slot["function"]["arguments"] += function.get("arguments") or ""
        self.call_deltas.append((index, function.get("arguments") or ""))

    def call(self, index: int) -> dict[str, Any]:
        """The tool call of this stream index as merged so far."""
        return self._calls[index]

    def tool_calls(self) -> list[dict[str, Any]]:
        return [self._calls[index] for index in sorted(self._calls)]
