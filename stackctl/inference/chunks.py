"""Chat-completion stream chunks: read from server-sent events, or made from a whole answer.

Pure (no HTTP): `SseReader` turns the lines of an event stream into parsed chunks, `completion_chunks`
turns a whole `chat.completion` into the chunks a stream of it would have sent, and `provider_message`
finds the human message in a provider's error body. Every failure is the caller's `UpstreamError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from stackctl.errors import UpstreamError
from stackctl.inference.surrogates import valid_text

MAX_MESSAGE = 500


def shorten(text: str) -> str:
    text = " ".join(valid_text(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def provider_message(payload: Any, fallback: str) -> str:
    """The human message in a provider's error body, whatever shape it took."""
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return shorten(str(error["message"]))
        for candidate in (error, payload.get("message"), payload.get("detail")):
            if isinstance(candidate, str) and candidate.strip():
                return shorten(candidate)
            if candidate:
                return shorten(json.dumps(candidate))
    if isinstance(payload, str) and payload.strip():
        return shorten(payload)
    return fallback


def completion_chunks(completion: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A whole chat.completion as the chunks a stream of it sends: each choice's message as its delta, then
    the usage (as `include_usage` asks)."""
    base = {
        key: completion[key] for key in ("id", "created", "model", "system_fingerprint") if key in completion
    }
    base["object"] = "chat.completion.chunk"
    choices = [_as_delta(choice) for choice in completion["choices"] if isinstance(choice, Mapping)]
    chunks = [{**base, "choices": choices}]
    if completion.get("usage"):
        chunks.append({**base, "choices": [], "usage": completion["usage"]})
    return chunks


def _as_delta(choice: Mapping[str, Any]) -> dict[str, Any]:
    message = choice.get("message")
    delta = {k: v for k, v in message.items() if v is not None} if isinstance(message, Mapping) else {}
    if isinstance(delta.get("tool_calls"), list):
        calls = [call for call in delta["tool_calls"] if isinstance(call, Mapping)]
        delta["tool_calls"] = [{"index": index, **call} for index, call in enumerate(calls)]
    # A whole answer is a finished one.
    return {
        "index": choice.get("index", 0),
        "delta": delta,
        "finish_reason": choice.get("finish_reason") or "stop",
    }


class Answered:
    """The rest of a stream that is already in hand: nothing more to read."""

    done = True

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self._chunks = iter(chunks)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._chunks


def finishes(chunk: Mapping[str, Any]) -> bool:
    choices = chunk.get("choices")
    return isinstance(choices, list) and any(
        isinstance(choice, Mapping) and choice.get("finish_reason") for choice in choices
    )


class SseReader:
    """Turns server-sent-event lines into parsed JSON chunks; stops at `data: [DONE]` (then `done` is set)."""

    def __init__(self, lines: Iterator[str], error: Callable[..., UpstreamError], what: str) -> None:
        self._lines = _without_bom(lines)
        self._error = error
        self._what = what
        self.done = False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self

    def __next__(self) -> dict[str, Any]:
        data: list[str] = []
        while not self.done:
            line = next(self._lines, None)
            if line is None or line == "":
                if data:
                    return self._parse("\n".join(data))
                if line is None:
                    raise StopIteration
                continue
            if line.startswith(":"):
                continue  # an SSE comment, used as a keep-alive
            field, _, value = line.partition(":")
            if field == "data":
                data.append(value[1:] if value.startswith(" ") else value)
        raise StopIteration

    def _parse(self, text: str) -> dict[str, Any]:
        if text.strip() == "[DONE]":
            self.done = True
            raise StopIteration
        try:
            chunk = json.loads(text)
        except (ValueError, RecursionError):
            raise self._error(f"sent a malformed stream chunk for {self._what}: {shorten(text)}") from None
        if not isinstance(chunk, dict):
            raise self._error(f"sent a malformed stream chunk for {self._what}: {shorten(text)}")
        if "error" in chunk and "choices" not in chunk:
            raise self._error(f"failed mid-stream for {self._what}: {provider_message(chunk, 'error')}")
        return chunk


def _without_bom(lines: Iterator[str]) -> Iterator[str]:
    """The lines with a byte order mark at the very start dropped, as the SSE standard says."""
    first = next(lines, None)
    if first is None:
        return
    yield first.removeprefix("\ufeff")
    yield from lines
