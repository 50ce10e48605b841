"""Lone UTF-16 surrogates: text that Python holds but cannot write as UTF-8.

JSON lets a string hold `\\ud83d` without its other half, and a provider that streams text by UTF-16 code
units splits an emoji into two such escapes, one per chunk. Bytes that are not UTF-8 in argv become
`\\udcXX` (surrogateescape). Python keeps each as a lone surrogate code point, which then fails to print,
store, hash or send with `UnicodeEncodeError`.

Invariants: `valid_chunks` repairs a chat stream as it flows, holding back only a high surrogate that ends a
delta until the next delta of the same choice and field (where its low half usually is), so the halves are
joined into one character; whatever is still alone becomes U+FFFD. Every string that leaves `valid_text`,
`valid_json` or `valid_chunks` encodes as UTF-8. Nothing here raises: input a user gave is checked with
`has_surrogate` and refused by the caller, never repaired behind their back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from stackctl.text import REPLACEMENT, has_surrogate, valid_json, valid_text

__all__ = ["REPLACEMENT", "has_surrogate", "valid_chunks", "valid_json", "valid_text"]

# (choice index, delta field) or (choice index, "tool_calls", call index)
_Key = tuple[Any, ...]


def valid_chunks(chunks: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Chat-completion chunks with split surrogate pairs joined across deltas and lone halves replaced.

    A half still waiting when the stream ends comes out as U+FFFD in one last chunk of its own."""
    pending: dict[_Key, str] = {}
    last: dict[str, Any] | None = None
    for chunk in chunks:
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                _carry(choice, pending)
        last = chunk
        yield valid_json(chunk)
    if pending and last is not None:
        yield _tail(last, pending)


def _carry(choice: dict[str, Any], pending: dict[_Key, str]) -> None:
    """Prefix each text field of the delta with its waiting half; hold back a high half that ends it."""
    finished = bool(choice.get("finish_reason"))
    for key, holder, name in _text_fields(choice["delta"], choice.get("index", 0)):
        text = pending.pop(key, "") + holder[name]
        if text and not finished and "\ud800" <= text[-1] <= "\udbff":
            pending[key] = text[-1]
            text = text[:-1]
        holder[name] = text


def _text_fields(delta: dict[str, Any], index: Any) -> Iterator[tuple[_Key, dict[str, Any], str]]:
    """Where a delta carries streamed text: its string fields, and each tool call's arguments."""
    for name, value in delta.items():
        if isinstance(value, str):
            yield (index, name), delta, name
    for call in delta.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            yield (index, "tool_calls", call.get("index", 0)), function, "arguments"


def _tail(last: dict[str, Any], pending: dict[_Key, str]) -> dict[str, Any]:
    deltas: dict[Any, dict[str, Any]] = {}
    for key in pending:
        delta = deltas.setdefault(key[0], {})
        if len(key) == 3:
            call = {"index": key[2], "function": {"arguments": REPLACEMENT}}
            delta.setdefault("tool_calls", []).append(call)
        else:
            delta[key[1]] = REPLACEMENT
    chunk: dict[str, Any] = {
        name: last[name] for name in ("id", "object", "created", "model") if name in last
    }
    chunk["choices"] = [{"index": i, "delta": d, "finish_reason": None} for i, d in deltas.items()]
    tail: dict[str, Any] = valid_json(chunk)
    return tail
