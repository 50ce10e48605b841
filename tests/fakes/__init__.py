"""Test doubles that speak real protocols on 127.0.0.1, and the fixtures that run them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.openai_server import (
    Behaviour,
    FakeOpenAI,
    RecordedRequest,
    cut_stream_after,
    held,
    raw_answer,
    reply,
    sleep,
    status,
    token_details,
)

__all__ = [
    "Behaviour",
    "FakeOpenAI",
    "RecordedRequest",
    "cut_stream_after",
    "fake_openai",
    "held",
    "raw_answer",
    "reply",
    "sleep",
    "status",
    "token_details",
]


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible provider on 127.0.0.1: `.base_url`, `.requests`, `.script(...)`, `.stop()`."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
