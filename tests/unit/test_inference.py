"""The inference client against a real HTTP server on 127.0.0.1 (tests/fakes/openai_server.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stackctl.errors import EXIT_INVALID, EXIT_UPSTREAM, InvalidInputError, UpstreamError
from stackctl.inference.client import InferenceClient, Timeouts, client_for_provider
from stackctl.inference.endpoints import ProviderEndpoint, endpoint_for
from stackctl.inference.retries import RetryPolicy
from tests.fakes import cut_stream_after, raw_answer, reply, sleep, status

KEY = "sk-test-0123456789"


def user(text: str, model: str = "fake-model") -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


class Sleeps(list[float]):
    """An injected sleep that records delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(fake_openai, sleeps):
    with client_for_provider(
        "remote::openai",
        {"base_url": fake_openai.base_url, "api_key": KEY},
        timeouts=Timeouts(connect=2, read=5),
        sleep=sleeps,
    ) as c:
        yield c


def sse(*chunks: object) -> str:
    """A hand-written event stream: one `data:` event per chunk (a dict as JSON, a str as it is)."""
    return "".join(f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks)


def delta(text: str, finish: str | None = None) -> dict[str, object]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


def stream_text(chunks: list[dict]) -> str:
    return "".join(choice["delta"].get("content") or "" for chunk in chunks for choice in chunk["choices"])


# -- happy paths ---------------------------------------------------------------------------------------------


def test_chat_returns_completion_and_sends_body_and_auth(client, fake_openai):
    answer = client.chat({**user("hello world"), "temperature": 0.2})
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": "echo: hello world"}
    assert answer["usage"]["total_tokens"] > 0
    (seen,) = fake_openai.requests
    assert (seen.method, seen.path) == ("POST", "/v1/chat/completions")
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["user-agent"].startswith("stackctl/")
    assert seen.body == {**user("hello world"), "temperature": 0.2}


def test_chat_drops_stream_flags(client, fake_openai):
    client.chat({**user("x"), "stream": True, "stream_options": {"include_usage": True}})
    assert "stream" not in fake_openai.requests[0].body


def test_chat_stream_yields_chunks_and_usage(client, fake_openai):
    chunks = list(client.chat_stream({**user("one two three"), "stream_options": {"include_usage": True}}))
    assert stream_text(chunks) == "echo: one two three"
    assert len(chunks) > 3
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 4
    seen = fake_openai.requests[0]
    assert seen.body["stream"] is True
    assert seen.headers["accept"] == "text/event-stream"
    assert seen.headers["authorization"] == f"Bearer {KEY}"


def test_scripted_reply(client, fake_openai):
    fake_openai.script(reply("scripted"))
    assert client.chat(user("ignored"))["choices"][0]["message"]["content"] == "scripted"
    assert client.chat(user("back"))["choices"][0]["message"]["content"] == "echo: back"


def test_list_models(client, fake_openai):
    models = client.list_models()
    assert [m["id"] for m in models] == ["fake-model", "fake-model-large"]
    (seen,) = fake_openai.requests
    assert (seen.method, seen.path, seen.body) == ("GET", "/v1/models", None)
    assert seen.headers["authorization"] == f"Bearer {KEY}"


def test_ollama_url_gets_v1_and_sends_no_auth(fake_openai):
    with client_for_provider("remote::ollama", {"url": fake_openai.root_url}) as c:
        assert c.endpoint.base_url == fake_openai.base_url
        assert c.chat(user("hi"))["choices"][0]["message"]["content"] == "echo: hi"
    assert "authorization" not in fake_openai.requests[0].headers


def test_azure_uses_api_key_header(fake_openai):
    endpoint = endpoint_for("remote::azure", {"api_base": "https://res.openai.azure.test", "api_key": KEY})
    assert endpoint.base_url == "https://res.openai.azure.test/openai/v1"
    assert KEY not in repr(endpoint)
    with InferenceClient(dataclasses.replace(endpoint, base_url=fake_openai.base_url)) as c:
        c.list_models()
    seen = fake_openai.requests[0]
    assert seen.headers["api-key"] == KEY
    assert "authorization" not in seen.headers


@pytest.mark.parametrize(
    ("provider_type", "config", "base_url"),
    [
        ("remote::openai", {"api_key": "k"}, "https://api.openai.com/v1"),
        ("remote::fireworks", {"api_key": "k"}, "https://api.fireworks.ai/inference/v1"),
        ("remote::groq", {"url": "https://api.groq.com/", "api_key": "k"}, "https://api.groq.com/openai/v1"),
        (
            "remote::cerebras",
            {"base_url": "https://api.cerebras.ai", "api_key": "k"},
            "https://api.cerebras.ai/v1",
        ),
        (
            "remote::nvidia",
            {"url": "https://nim.test/v1", "append_api_version": False, "api_key": "k"},
            "https://nim.test/v1",
        ),
        (
            "remote::vllm",
            {"url": "http://127.0.0.1:8000/v1", "api_token": "fake"},
            "http://127.0.0.1:8000/v1",
        ),
        ("remote::ollama", {"url": "http://127.0.0.1:11434/v1/"}, "http://127.0.0.1:11434/v1"),
        (
            "remote::llama-openai-compat",
            {"openai_compat_api_base": "https://api.llama.com/compat/v1/", "api_key": "k"},
            "https://api.llama.com/compat/v1",
        ),
        ("gemini", {"api_key": "k"}, "https://generativelanguage.googleapis.com/v1beta/openai"),
        ("remote::anthropic", {"api_key": "k"}, "https://api.anthropic.com/v1"),
    ],
)
def test_endpoint_table(provider_type, config, base_url):
    assert endpoint_for(provider_type, config).base_url == base_url


def test_vllm_api_token_is_bearer():
    endpoint = endpoint_for("remote::vllm", {"url": "http://127.0.0.1:1/v1", "api_token": "tok"})
    assert endpoint.headers == {"Authorization": "Bearer tok"}


def test_unknown_provider_and_missing_url_are_invalid_input():
    with pytest.raises(InvalidInputError, match="inline::meta-reference") as info:
        endpoint_for("inline::meta-reference", {})
    assert info.value.exit_code == EXIT_INVALID
    with pytest.raises(InvalidInputError, match="no base URL"):
        endpoint_for("remote::vllm", {"url": None})


def test_missing_key_fails_only_when_going_live(fake_openai):
    config = {"url": fake_openai.base_url, "api_key": None}
    with (
        client_for_provider("remote::together", config) as c,
        pytest.raises(InvalidInputError, match="no API key") as info,
    ):
        c.chat(user("hi"))
    assert info.value.exit_code == EXIT_INVALID
    assert fake_openai.requests == []


@pytest.mark.parametrize("key", ["sk-SECRET-123\nX: y", "sk-SECRÉT-123", "sk-SECRET\x00-123"])
@pytest.mark.parametrize("stream", [False, True])
def test_key_that_cannot_be_a_header_is_exit_3_before_any_request(fake_openai, sleeps, key, stream):
    config = {"base_url": fake_openai.base_url, "api_key": key}
    with (
        client_for_provider("remote::openai", config, provider_id="openai", sleep=sleeps) as c,
        pytest.raises(InvalidInputError) as info,
    ):
        c.chat_stream(user("hi")).__next__() if stream else c.chat(user("hi"))
    error = info.value
    assert (error.code, error.exit_code) == ("invalid_api_key", EXIT_INVALID)
    assert "provider openai" in error.message and "api_key" in error.message
    assert "SECRET" not in str(error.to_dict())
    assert fake_openai.requests == [] and sleeps == []


def test_transport_error_quoting_a_header_is_masked_and_not_retried(fake_openai, sleeps):
    secret = "sk-SECRET-123\nX: y"  # an endpoint built by hand, without endpoint_for's check
    endpoint = ProviderEndpoint(
        "p", "remote::openai", fake_openai.base_url, {"Authorization": f"Bearer {secret}"}
    )
    with InferenceClient(endpoint, sleep=sleeps) as c, pytest.raises(UpstreamError) as info:
        c.chat(user("hi"))
    assert "Illegal header value" in info.value.message and "********" in info.value.message
    assert "SECRET" not in info.value.message and "attempts" not in info.value.message
    assert fake_openai.requests == [] and sleeps == []


def test_redact_masks_every_form_of_a_secret_header():
    key = "k3y\x01é"
    endpoint = ProviderEndpoint("p", "remote::azure", "http://127.0.0.1:1/v1", {"api-key": key})
    text = f"{key} {key!r} {key.encode('utf-8', 'backslashreplace')!r}"
    assert endpoint.redact(text) == "******** '********' b'********'"
    assert (
        ProviderEndpoint("p", "remote::vllm", "http://x", {"Authorization": "Bearer k"}).redact("ok") == "ok"
    )


# -- retries and failures ------------------------------------------------------------------------------------


def test_500_then_success_retries_once(client, fake_openai, sleeps):
    fake_openai.script(status(500))
    assert client.chat(user("again"))["choices"][0]["message"]["content"] == "echo: again"
    assert len(fake_openai.requests) == 2
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.75  # 0.5 s backoff with jitter


def test_429_honours_retry_after(client, fake_openai, sleeps):
    fake_openai.script(status(429, "slow down", retry_after=0), status(429, retry_after=3600))
    assert client.chat(user("later"))["choices"][0]["message"]["content"] == "echo: later"
    assert len(fake_openai.requests) == 3
    assert sleeps == [0.0, 30.0]  # the second Retry-After is capped


def test_a_server_passing_429_on_does_not_retry_it(fake_openai, sleeps):
    fake_openai.script(status(429, "slow down", retry_after=5))
    endpoint = endpoint_for("openai", {"base_url": fake_openai.base_url, "api_key": KEY})
    c = InferenceClient(endpoint, retry=RetryPolicy(retry_rate_limits=False), sleep=sleeps)
    with c, pytest.raises(UpstreamError) as info:
        c.chat(user("x"))
    assert (info.value.status, info.value.retry_after) == (429, 5.0)
    assert len(fake_openai.requests) == 1 and sleeps == []


def test_backoff_grows_exponentially(fake_openai, sleeps):
    fake_openai.set_default(status(502))
    endpoint = endpoint_for("openai", {"base_url": fake_openai.base_url, "api_key": KEY})
    c = InferenceClient(endpoint, retry=RetryPolicy(attempts=4), sleep=sleeps, jitter=lambda: 0.5)
    with c, pytest.raises(UpstreamError):
        c.chat(user("x"))
    assert sleeps == [0.5, 1.0, 2.0]


def test_provider_that_keeps_failing(client, fake_openai, sleeps):
    fake_openai.set_default(status(503, "The engine is currently overloaded"))
    with pytest.raises(UpstreamError) as info:
        client.chat(user("x"))
    error = info.value
    assert error.exit_code == EXIT_UPSTREAM
    assert error.status == 503
    assert "The engine is currently overloaded" in error.message
    assert "HTTP 503" in error.message and "after 3 attempts" in error.message
    assert len(fake_openai.requests) == 3
    assert len(sleeps) == 2


def test_client_error_is_not_retried(client, fake_openai, sleeps):
    fake_openai.script(status(401, "Incorrect API key provided"))
    with pytest.raises(UpstreamError, match="HTTP 401: Incorrect API key provided") as info:
        client.chat(user("x"))
    assert info.value.status == 401
    assert len(fake_openai.requests) == 1
    assert sleeps == []


def test_non_json_error_body_is_quoted(client, fake_openai):
    fake_openai.script(status(400, raw_body="<html>bad gateway thing</html>"))
    with pytest.raises(UpstreamError, match="HTTP 400: <html>bad gateway thing</html>"):
        client.chat(user("x"))


def test_timeout_is_upstream_error(fake_openai, sleeps):
    fake_openai.script(sleep(2), sleep(2))
    with (
        client_for_provider(
            "openai",
            {"base_url": fake_openai.base_url, "api_key": KEY},
            timeouts=Timeouts(connect=1, read=0.2),
            retry=RetryPolicy(attempts=2),
            sleep=sleeps,
        ) as c,
        pytest.raises(UpstreamError, match=r"within 0.2s \(read timeout\)") as info,
    ):
        c.chat(user("x"))
    assert info.value.status is None and info.value.failure == "timeout"
    assert "after 2 attempts" in info.value.message
    assert len(fake_openai.requests) == 2


def test_connection_refused_is_upstream_error(fake_openai, sleeps):
    base_url = fake_openai.base_url
    fake_openai.stop()
    with (
        client_for_provider("openai", {"base_url": base_url, "api_key": KEY}, sleep=sleeps) as c,
        pytest.raises(UpstreamError, match="cannot be reached") as info,
    ):
        c.chat(user("x"))
    assert info.value.exit_code == EXIT_UPSTREAM and info.value.failure == "connect"
    assert len(sleeps) == 2


def test_unexpected_answer_shape(client, fake_openai):
    fake_openai.models.clear()
    assert client.list_models() == []
    with pytest.raises(UpstreamError, match="HTTP 400: model and messages are required"):
        client.chat({"model": "fake-model"})


# -- streaming failures --------------------------------------------------------------------------------------


def test_stream_cut_midway_is_upstream_error(client, fake_openai):
    fake_openai.script(cut_stream_after(3))
    received = []
    with pytest.raises(UpstreamError, match="stream ended early"):
        for chunk in client.chat_stream(user("a b c d e f")):
            received.append(chunk)
    assert len(received) == 3
    assert len(fake_openai.requests) == 1  # never retried once a chunk is out


def test_stream_retries_before_first_chunk(client, fake_openai, sleeps):
    fake_openai.script(status(500), cut_stream_after(0))
    chunks = list(client.chat_stream(user("retry me")))
    assert stream_text(chunks) == "echo: retry me"
    assert len(fake_openai.requests) == 3
    assert len(sleeps) == 2


def test_stream_failing_status_keeps_provider_message(client, fake_openai):
    fake_openai.script(status(404, "The model `nope` does not exist"))
    with pytest.raises(UpstreamError, match="does not exist") as info:
        list(client.chat_stream(user("x", model="nope")))
    assert info.value.status == 404


def test_stream_timeout_before_first_chunk(fake_openai, sleeps):
    fake_openai.set_default(sleep(2))
    with (
        client_for_provider(
            "openai",
            {"base_url": fake_openai.base_url, "api_key": KEY},
            timeouts=Timeouts(connect=1, read=0.2),
            retry=RetryPolicy(attempts=1),
            sleep=sleeps,
        ) as c,
        pytest.raises(UpstreamError, match="read timeout"),
    ):
        list(c.chat_stream(user("x")))


# -- what providers really send ------------------------------------------------------------------------------


def test_stream_starting_with_a_byte_order_mark_keeps_its_first_chunk(client, fake_openai):
    fake_openai.script(raw_answer("\ufeff" + sse(delta("Hel"), delta("lo", "stop"), "[DONE]")))
    assert stream_text(list(client.chat_stream(user("x")))) == "Hello"


def test_emoji_split_into_surrogate_halves_across_chunks_is_joined(client, fake_openai):
    # json.dumps writes the halves as the escapes "\ud83d" and "\ude00", as such providers send them.
    halves = sse(delta("ok "), delta("\ud83d"), delta("\ude00", "stop"), "[DONE]")
    fake_openai.script(raw_answer(halves))
    chunks = list(client.chat_stream(user("x")))
    assert stream_text(chunks) == "ok \U0001f600"
    json.dumps(chunks, ensure_ascii=False).encode("utf-8")


def test_lone_surrogate_in_a_plain_answer_is_replaced(client, fake_openai):
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "a\ud83d"}}]}
    fake_openai.script(raw_answer(json.dumps(answer), "application/json"))
    assert client.chat(user("x"))["choices"][0]["message"]["content"] == "a\ufffd"


DEEP = "[" * 100_000 + "]" * 100_000  # JSON nested deeper than the parser recurses


def test_a_plain_answer_nested_too_deeply_is_a_provider_failure(client, fake_openai):
    fake_openai.script(raw_answer(DEEP, "application/json"))
    with pytest.raises(UpstreamError, match="something that is not JSON"):
        client.chat(user("x"))


def test_a_stream_chunk_nested_too_deeply_is_a_provider_failure(client, fake_openai):
    fake_openai.script(raw_answer(sse(delta("Hel"), DEEP)))
    with pytest.raises(UpstreamError, match="malformed stream chunk"):
        list(client.chat_stream(user("x")))


def test_an_error_answer_nested_too_deeply_keeps_its_status(client, fake_openai):
    fake_openai.script(status(400, raw_body=DEEP))
    with pytest.raises(UpstreamError) as raised:
        client.chat(user("x"))
    assert raised.value.status == 400


def test_stream_answered_with_a_json_error_keeps_its_message_and_is_not_retried(client, fake_openai, sleeps):
    error = {"error": {"message": "model 'fake-model' does not support streaming"}}
    fake_openai.script(raw_answer(json.dumps(error), "application/json"))
    with pytest.raises(UpstreamError, match="JSON instead of a stream: model 'fake-model' does not support"):
        list(client.chat_stream(user("x")))
    assert len(fake_openai.requests) == 1 and sleeps == []


def test_stream_answered_with_a_whole_completion_is_one_chunk(client, fake_openai, sleeps):
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    message = {"role": "assistant", "content": "whole", "tool_calls": [call], "refusal": None}
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    completion = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "fake-model",
        "usage": usage,
    }
    completion["choices"] = [{"index": 0, "message": message, "finish_reason": "tool_calls"}]
    fake_openai.script(raw_answer(json.dumps(completion), "application/json; charset=utf-8"))
    chunks = list(client.chat_stream(user("x")))
    head = {"id": "c1", "created": 1, "model": "fake-model", "object": "chat.completion.chunk"}
    delta = {"role": "assistant", "content": "whole", "tool_calls": [{"index": 0, **call}]}
    assert chunks == [
        {**head, "choices": [{"index": 0, "delta": delta, "finish_reason": "tool_calls"}]},
        {**head, "choices": [], "usage": usage},
    ]
    assert len(fake_openai.requests) == 1 and sleeps == []


def test_a_provider_message_quoting_the_key_is_masked(client, fake_openai):
    fake_openai.script(status(401, f"Incorrect API key provided: {KEY}"))
    with pytest.raises(UpstreamError) as info:
        client.chat(user("x"))
    assert KEY not in info.value.message
    assert "Incorrect API key provided: ********" in info.value.message


def test_a_stream_mislabelled_as_json_is_read_as_the_stream_it_is(client, fake_openai):
    body = sse(delta("he"), delta("y", "stop"), "[DONE]")
    fake_openai.script(raw_answer(body, content_type="application/json"))
    assert stream_text(list(client.chat_stream(user("x")))) == "hey"


def test_the_http_profile_is_read_from_the_providers_catalogue_record() -> None:
    from stackctl.catalogue.load import load_catalogue
    from stackctl.inference.endpoints import ProviderProfile, profiles

    specs = {s.provider_type: s for s in load_catalogue().providers_for("inference") if s.http is not None}
    assert set(profiles()) == {t.removeprefix("remote::") for t in specs}
    assert "groq" in profiles() and "ollama" in profiles() and "bedrock" not in profiles()
    for provider_type, spec in specs.items():
        expected = ProviderProfile.from_record(spec.http or {})
        assert profiles()[provider_type.removeprefix("remote::")] == expected
    assert profiles()["azure"].auth == "api-key"
    assert profiles()["ollama"].suffix == "/v1" and not profiles()["ollama"].key_required
