"""Lone UTF-16 surrogates from JSON escapes: joined when split across stream chunks, else replaced."""

from __future__ import annotations

import json

from stackctl.inference.surrogates import has_surrogate, valid_chunks, valid_json, valid_text

GRIN = "\U0001f600"
HIGH, LOW = "\ud83d", "\ude00"


def chunk(content: str | None = None, finish: str | None = None, **delta: object) -> dict:
    if content is not None:
        delta["content"] = content
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def contents(chunks: list[dict]) -> list[str | None]:
    return [c["choices"][0]["delta"].get("content") for c in chunks]


def utf8(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")  # raises on any surrogate left


def test_valid_text_joins_pairs_and_replaces_lone_halves():
    assert valid_text("plain é") == "plain é"
    assert valid_text(HIGH + LOW) == GRIN
    assert valid_text(f"a{HIGH}b{LOW}c\udce9") == "a\ufffdb\ufffdc\ufffd"
    assert has_surrogate("caf\udce9") and not has_surrogate(GRIN)


def test_valid_json_reaches_every_string():
    assert valid_json({HIGH: [LOW, 1, None, {"k": HIGH + LOW}]}) == {
        "\ufffd": ["\ufffd", 1, None, {"k": GRIN}]
    }


def test_emoji_split_across_deltas_is_joined():
    chunks = list(valid_chunks([chunk("ok "), chunk(HIGH), chunk(LOW, "stop")]))
    assert contents(chunks) == ["ok ", "", GRIN]
    utf8(chunks)


def test_emoji_split_inside_longer_deltas_is_joined():
    chunks = list(valid_chunks([chunk("a" + HIGH), chunk(LOW + "b"), chunk("", "stop")]))
    assert "".join(contents(chunks)) == f"a{GRIN}b"
    assert contents(chunks)[0] == "a"


def test_half_left_alone_becomes_a_replacement_character():
    chunks = list(valid_chunks([chunk(HIGH), chunk("x"), chunk(LOW + "y", "stop")]))
    assert "".join(contents(chunks)) == "\ufffdx\ufffdy"
    utf8(chunks)


def test_high_half_at_the_finish_is_not_held_back():
    chunks = list(valid_chunks([chunk("z" + HIGH, "stop")]))
    assert contents(chunks) == ["z\ufffd"]


def test_half_still_waiting_at_the_end_comes_out_in_a_last_chunk():
    chunks = list(valid_chunks([chunk("a" + HIGH)]))
    assert contents(chunks) == ["a", "\ufffd"]
    assert chunks[-1]["id"] == "c" and chunks[-1]["choices"][0]["finish_reason"] is None


def test_tool_call_arguments_are_joined_per_call():
    def call(index: int, arguments: str) -> dict:
        return chunk(tool_calls=[{"index": index, "function": {"arguments": arguments}}])

    chunks = list(valid_chunks([call(0, '{"e": "' + HIGH), call(1, HIGH), call(0, LOW + '"}')]))
    arguments = [c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] for c in chunks]
    assert arguments == ['{"e": "', "", GRIN + '"}', "\ufffd"]
    assert chunks[-1]["choices"][0]["delta"]["tool_calls"][0]["index"] == 1


def test_the_cheap_test_on_stored_text_never_misses_a_surrogate() -> None:
    from stackctl.text import may_hold_surrogate

    clean = [json.dumps({"text": t}, ensure_ascii=False) for t in ("plain", "naïve 日本 🙂", "tab\there")]
    assert [may_hold_surrogate(text) for text in clean] == [False, False, False]
    for text in ("lone \ud800 high", "lone \udfff low", "日本 \udc00"):
        assert may_hold_surrogate(json.dumps({"text": text}, ensure_ascii=False))  # stored raw
        assert may_hold_surrogate(json.dumps({"text": text}))  # stored escaped: \ud800
    assert may_hold_surrogate('{"text": "\\uD83D"}')
