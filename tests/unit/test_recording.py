"""Record/replay of provider calls: keys, files, modes, and the client consulting the recorder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackctl.errors import EXIT_INVALID, EXIT_UPSTREAM, InvalidInputError, UpstreamError
from stackctl.inference.client import client_for_provider
from stackctl.inference.recording import (
    InferenceMode,
    Recorder,
    RecordingConfig,
    recording_config_from_env,
    request_key,
)
from stackctl.inference.retries import RetryPolicy
from tests.fakes import FakeOpenAI, raw_answer, status

KEY = "sk-secret-do-not-record-4242"
REQUEST = {"model": "fake-model", "messages": [{"role": "user", "content": "remember me"}], "temperature": 0}
STREAM_REQUEST = {**REQUEST, "stream_options": {"include_usage": True}}


def make_client(server_url: str, mode: InferenceMode, directory: Path, **kwargs):
    return client_for_provider(
        "remote::openai",
        {"base_url": server_url, "api_key": KEY},
        recording=RecordingConfig(mode, directory),
        sleep=lambda _: None,
        **kwargs,
    )


# -- configuration -------------------------------------------------------------------------------------------


def test_config_from_env(tmp_path):
    assert recording_config_from_env({}) == RecordingConfig(InferenceMode.LIVE, None)
    env = {"STACKCTL_INFERENCE_MODE": "Record-If-Missing", "STACKCTL_RECORDINGS_DIR": str(tmp_path)}
    assert recording_config_from_env(env) == RecordingConfig(InferenceMode.RECORD_IF_MISSING, tmp_path)


def test_invalid_mode_is_invalid_input():
    with pytest.raises(InvalidInputError, match="not a valid mode") as info:
        recording_config_from_env({"STACKCTL_INFERENCE_MODE": "playback", "STACKCTL_RECORDINGS_DIR": "/x"})
    assert info.value.exit_code == EXIT_INVALID
    assert "live|record|replay|record-if-missing" in (info.value.hint or "")


def test_non_live_mode_needs_a_directory():
    with pytest.raises(InvalidInputError, match="STACKCTL_RECORDINGS_DIR"):
        recording_config_from_env({"STACKCTL_INFERENCE_MODE": "replay"})


# -- keys ----------------------------------------------------------------------------------------------------


def test_key_ignores_key_order_but_not_content():
    a = request_key("POST", "/chat/completions", {"model": "m", "messages": [], "temperature": 0})
    b = request_key("post", "/chat/completions", {"temperature": 0, "messages": [], "model": "m"})
    assert a == b and len(a) == 64
    assert a != request_key("POST", "/chat/completions", {"model": "m", "messages": [], "temperature": 1})
    assert a != request_key("POST", "/completions", {"model": "m", "messages": [], "temperature": 0})


# -- record then replay --------------------------------------------------------------------------------------


def test_record_then_replay_with_server_stopped(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        recorded_chat = c.chat(REQUEST)
        recorded_stream = list(c.chat_stream(STREAM_REQUEST))
        recorded_models = c.list_models()
    assert len(fake_openai.requests) == 3
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 3
    fake_openai.stop()

    with make_client(fake_openai.base_url, InferenceMode.REPLAY, tmp_path) as c:
        assert c.chat(REQUEST) == recorded_chat
        assert list(c.chat_stream(STREAM_REQUEST)) == recorded_stream
        assert c.list_models() == recorded_models


def test_replay_does_not_depend_on_host_or_port(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        recorded = c.chat(REQUEST)
    other = FakeOpenAI().start()
    try:
        with make_client(other.base_url, InferenceMode.REPLAY, tmp_path) as c:
            assert c.chat(REQUEST) == recorded
        assert other.requests == []
    finally:
        other.stop()


def test_replay_needs_no_api_key(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        recorded = c.chat(REQUEST)
    fake_openai.stop()
    with client_for_provider(
        "remote::openai",
        {"base_url": fake_openai.base_url, "api_key": None},
        recording=RecordingConfig(InferenceMode.REPLAY, tmp_path),
    ) as c:
        assert c.chat(REQUEST) == recorded


def test_recording_file_is_readable_and_holds_no_secret(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        c.chat(REQUEST)
        list(c.chat_stream(STREAM_REQUEST))
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {KEY}"
    for file in tmp_path.iterdir():
        text = file.read_text()
        assert KEY not in text
        assert "authorization" not in text.lower()
        assert str(fake_openai.port) not in text
        data = json.loads(text)
        assert file.name == f"{data['key'][:16]}.json"
        assert data["request"]["method"] == "POST"
        assert data["request"]["path"] == "/chat/completions"
        assert data["request"]["body"]["messages"] == REQUEST["messages"]
        assert text.startswith("{\n  ")  # pretty, for review in a pull request
    plain, streamed = sorted(
        (json.loads(f.read_text()) for f in tmp_path.iterdir()),
        key=lambda d: bool(d["request"]["body"].get("stream")),
    )
    assert plain["response"]["status"] == 200
    assert plain["response"]["body"]["choices"][0]["message"]["content"] == "echo: remember me"
    assert "chunks" in streamed["response"] and streamed["request"]["body"]["stream"] is True
    assert not list(tmp_path.glob(".*.tmp"))


def test_replay_miss_names_the_request(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.REPLAY, tmp_path) as c:
        with pytest.raises(UpstreamError) as info:
            c.chat(REQUEST)
        with pytest.raises(UpstreamError, match="stream"):
            list(c.chat_stream(REQUEST))
    error = info.value
    key = request_key("POST", "/chat/completions", REQUEST)
    assert error.exit_code == EXIT_UPSTREAM
    assert error.code == "recording_not_found"
    assert "POST /chat/completions" in error.message
    assert "model fake-model" in error.message
    assert key[:16] in error.message
    assert "STACKCTL_INFERENCE_MODE=record" in (error.hint or "")
    assert fake_openai.requests == []


def test_record_if_missing_replays_hits_and_records_misses(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD_IF_MISSING, tmp_path) as c:
        first = c.chat(REQUEST)
        again = c.chat(REQUEST)
        stream_first = list(c.chat_stream(STREAM_REQUEST))
        stream_again = list(c.chat_stream(STREAM_REQUEST))
    assert first == again and stream_first == stream_again
    assert len(fake_openai.requests) == 2
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_record_mode_overwrites_and_live_mode_writes_nothing(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        c.chat(REQUEST)
        c.chat(REQUEST)
    assert len(fake_openai.requests) == 2
    assert len(list(tmp_path.glob("*.json"))) == 1
    live_dir = tmp_path / "live"
    with make_client(fake_openai.base_url, InferenceMode.LIVE, live_dir) as c:
        c.chat(REQUEST)
    assert not live_dir.exists()


def test_failures_are_not_recorded(fake_openai, tmp_path):
    fake_openai.set_default(status(500, "boom"))
    with make_client(
        fake_openai.base_url, InferenceMode.RECORD, tmp_path, retry=RetryPolicy(attempts=1)
    ) as c:
        with pytest.raises(UpstreamError, match="boom"):
            c.chat(REQUEST)
        with pytest.raises(UpstreamError, match="boom"):
            list(c.chat_stream(REQUEST))
    assert list(tmp_path.iterdir()) == []


def test_abandoned_stream_is_not_recorded(fake_openai, tmp_path):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        stream = c.chat_stream(REQUEST)
        next(stream)
        stream.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", ["{not json", "[" * 100_000 + "]" * 100_000], ids=["not-json", "deep"])
def test_corrupt_recording_is_invalid_input(tmp_path, text):
    recorder = Recorder(RecordingConfig(InferenceMode.REPLAY, tmp_path))
    key = request_key("GET", "/models", None)
    recorder.path_for(key).write_text(text)
    with pytest.raises(InvalidInputError, match="cannot be read"):
        recorder.lookup("GET", "/models", None)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_recording_larger_than_any_answer_is_refused_while_read(tmp_path):
    recorder = Recorder(RecordingConfig(InferenceMode.REPLAY, tmp_path))
    key = request_key("GET", "/models", None)
    recorder.path_for(key).symlink_to("/dev/zero")  # endless: refused at the cap, never read whole
    with pytest.raises(InvalidInputError, match="is larger than any recording of this request") as caught:
        recorder.lookup("GET", "/models", None, max_answer_bytes=1000)
    assert caught.value.code == "bad_recording"
    assert "4,016 bytes" in caught.value.message  # 4 x (the request's 4 bytes + the answer cap)


def test_a_recording_within_its_cap_replays(tmp_path):
    writer = Recorder(RecordingConfig(InferenceMode.RECORD, tmp_path))
    answer = {"data": [{"id": f"model-{n}", "object": "model"} for n in range(50)]}
    writer.save_response("GET", "/models", None, 200, answer)
    reader = Recorder(RecordingConfig(InferenceMode.REPLAY, tmp_path))
    wire = len(json.dumps(answer, separators=(",", ":")))
    recording = reader.lookup("GET", "/models", None, max_answer_bytes=wire)
    assert recording is not None and recording.body == answer


def test_prefix_clash_is_a_miss(tmp_path):
    recorder = Recorder(RecordingConfig(InferenceMode.RECORD_IF_MISSING, tmp_path))
    recorder.save_response("GET", "/models", None, 200, {"data": []})
    key = request_key("GET", "/models", None)
    data = json.loads(recorder.path_for(key).read_text())
    data["key"] = key[:16] + "0" * 48
    recorder.path_for(key).write_text(json.dumps(data))
    assert recorder.lookup("GET", "/models", None) is None


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ((), [], "recording should be an object, not list"),
        (("response",), [], "response should be an object, not list"),
        (("request",), "POST", "request should be an object, not str"),
        (("key",), None, "key should be a string, not NoneType"),
        (("request", "method"), 1, "request.method should be a string, not int"),
        (("response", "status"), "ok", "response.status should be an integer, not str"),
        (("response", "chunks"), "abc", "response.chunks should be a list, not str"),
        (("response", "chunks"), [{}, 3], r"response.chunks\[1\] should be an object, not int"),
    ],
)
def test_malformed_recording_is_invalid_input(fake_openai, tmp_path, path, value, message):
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        list(c.chat_stream(STREAM_REQUEST))
    (file,) = tmp_path.iterdir()
    data = json.loads(file.read_text())
    if path:
        *parents, last = path
        parent = data
        for name in parents:
            parent = parent[name]
        parent[last] = value
    else:
        data = value
    file.write_text(json.dumps(data))
    with (
        make_client(fake_openai.base_url, InferenceMode.REPLAY, tmp_path) as c,
        pytest.raises(InvalidInputError, match=message) as info,
    ):
        list(c.chat_stream(STREAM_REQUEST))
    assert info.value.code == "bad_recording"
    assert info.value.exit_code == EXIT_INVALID
    assert len(fake_openai.requests) == 1


def test_answers_with_surrogate_escapes_are_recorded_as_utf8(fake_openai, tmp_path):
    split = {"choices": [{"index": 0, "delta": {"content": "\ud83d"}, "finish_reason": None}]}
    rest = {"choices": [{"index": 0, "delta": {"content": "\ude00"}, "finish_reason": "stop"}]}
    stream = f"data: {json.dumps(split)}\n\ndata: {json.dumps(rest)}\n\ndata: [DONE]\n\n"
    plain = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "\ud83d"}}]}
    fake_openai.script(raw_answer(stream), raw_answer(json.dumps(plain), "application/json"))
    with make_client(fake_openai.base_url, InferenceMode.RECORD, tmp_path) as c:
        recorded_stream = list(c.chat_stream(STREAM_REQUEST))
        recorded_chat = c.chat(REQUEST)
    assert len(list(tmp_path.glob("*.json"))) == 2
    for file in tmp_path.glob("*.json"):
        file.read_bytes().decode("utf-8")
    assert "\U0001f600" in json.dumps(recorded_stream, ensure_ascii=False)
    assert recorded_chat["choices"][0]["message"]["content"] == "\ufffd"
    with make_client(fake_openai.base_url, InferenceMode.REPLAY, tmp_path) as c:
        assert list(c.chat_stream(STREAM_REQUEST)) == recorded_stream
        assert c.chat(REQUEST) == recorded_chat
