"""The fake provider speaks the OpenAI API well enough for the official `openai` SDK, so tests built on it
exercise the same wire format real providers send."""

from __future__ import annotations

import openai
import pytest

from tests.fakes import status


@pytest.fixture
def sdk(fake_openai):
    with openai.OpenAI(base_url=fake_openai.base_url, api_key="sk-fake", max_retries=0) as client:
        yield client


def test_sdk_chat_and_models(sdk, fake_openai):
    answer = sdk.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "ping"}])
    assert answer.choices[0].message.content == "echo: ping"
    assert answer.usage is not None
    assert [m.id for m in sdk.models.list()] == ["fake-model", "fake-model-large"]
    assert fake_openai.requests[0].headers["authorization"] == "Bearer sk-fake"


def test_sdk_stream(sdk):
    stream = sdk.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": "a b c"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: a b c"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_sdk_sees_scripted_error(sdk, fake_openai):
    fake_openai.script(status(429, "Rate limit reached", retry_after=0))
    with pytest.raises(openai.RateLimitError, match="Rate limit reached"):
        sdk.chat.completions.create(model="fake-model", messages=[{"role": "user", "content": "x"}])
