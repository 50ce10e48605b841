"""`stackctl responses ...` end to end: real registration, the fake provider on 127.0.0.1, a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI, cut_stream_after, raw_answer, sleep, status

KEY = {"OPENAI_API_KEY": "sk-test"}


def run_config(
    url: str, *, name: str = "demo", models: tuple[tuple[str, str], ...] = (("fake-model", "fake-model"),)
) -> str:
    lines = [
        "version: 2",
        f"image_name: {name}",
        "apis: [inference]",
        "providers:",
        "  inference:",
        "  - provider_id: openai",
        "    provider_type: remote::openai",
        "    config:",
        f"      base_url: {url}",
        "      api_key: ${env.OPENAI_API_KEY}",
        "models:",
    ]
    for model_id, provider_model_id in models:
        lines += [
            f"- model_id: {model_id}",
            "  provider_id: openai",
            f"  provider_model_id: {provider_model_id}",
            "  model_type: llm",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def registered(cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    path = tmp_path / "run.yaml"
    path.write_text(run_config(fake_openai.base_url))
    result = cli("register", str(path))
    assert result.exit_code == 0, result.stderr
    return fake_openai


def chat_posts(fake: FakeOpenAI) -> list[dict]:
    return [r.body for r in fake.requests if r.method == "POST"]


def create(cli, *args: str) -> dict:
    result = cli("responses", "create", "--model", "fake-model", *args, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def output_text(response: dict) -> str:
    """The assistant's text, as the SDK's `output_text` property computes it (it is not on the wire)."""
    assert "output_text" not in response
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


def new_conversation(cli) -> str:
    result = cli("conv", "create", "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["id"]


def conv_items(cli, conv_id: str) -> list[dict]:
    result = cli("conv", "items", "list", conv_id, "--order", "asc", "--limit", "100", "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["data"]


def test_conversation_turns_carry_history_and_share_ids(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    first = create(cli, "--conversation", conv_id, "--input", "hello")
    second = create(cli, "--conversation", conv_id, "--input", "again")

    assert output_text(first) == "echo: hello"
    assert second["conversation"] == {"id": conv_id}
    assert second["object"] == "response" and second["id"].startswith("resp_")
    sent = chat_posts(registered)[1]["messages"]
    assert sent == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "echo: hello"},
        {"role": "user", "content": "again"},
    ]
    items = conv_items(cli, conv_id)
    assert [i["role"] for i in items] == ["user", "assistant", "user", "assistant"]
    assert items[1]["id"] == first["output"][0]["id"]
    assert items[3]["id"] == second["output"][0]["id"]
    inputs = cli("responses", "input-items", second["id"], "-o", "json")
    assert json.loads(inputs.stdout)["data"][0]["id"] == items[2]["id"]


def test_thirty_items_of_history_all_reach_the_provider(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    for batch in range(3):
        args = [arg for n in range(10) for arg in ("--message", f"user:m{batch * 10 + n}")]
        assert cli("conv", "items", "create", conv_id, *args).exit_code == 0
    create(cli, "--conversation", conv_id, "--input", "last")
    sent = chat_posts(registered)[-1]["messages"]
    assert [m["content"] for m in sent] == [f"m{n}" for n in range(30)] + ["last"]


def test_instructions_come_first_as_system(cli, registered: FakeOpenAI) -> None:
    create(cli, "--input", "hi", "--instructions", "Be brief.")
    assert chat_posts(registered)[-1]["messages"][0] == {"role": "system", "content": "Be brief."}


def test_previous_response_chains_context(cli, registered: FakeOpenAI) -> None:
    first = create(cli, "--input", "one")
    create(cli, "--previous-response-id", first["id"], "--input", "two")
    assert [m["content"] for m in chat_posts(registered)[-1]["messages"]] == ["one", "echo: one", "two"]


def test_previous_response_from_a_conversation_leaves_out_later_turns(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    first = create(cli, "--input", "first", "--conversation", conv_id)
    create(cli, "--input", "second", "--conversation", conv_id)
    create(cli, "--input", "branch", "--previous-response-id", first["id"])
    sent = chat_posts(registered)[-1]["messages"]
    assert [m["content"] for m in sent] == ["first", "echo: first", "branch"]


def test_conversation_and_previous_exclude_each_other(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    result = cli(
        "responses",
        "create",
        "--model",
        "fake-model",
        "--input",
        "x",
        "--conversation",
        conv_id,
        "--previous-response-id",
        "resp_" + "0" * 48,
    )
    assert result.exit_code == 2
    assert chat_posts(registered) == []


def test_missing_conversation_is_not_found_before_any_call(cli, registered: FakeOpenAI) -> None:
    result = cli(
        "responses", "create", "--model", "fake-model", "--input", "x", "--conversation", "conv_" + "a" * 48
    )
    assert result.exit_code == 4
    assert chat_posts(registered) == []


def test_provider_failure_exits_6_and_leaves_conversation_unchanged(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    registered.script(status(400, "bad request"))
    result = cli("responses", "create", "--model", "fake-model", "--input", "x", "--conversation", conv_id)
    assert result.exit_code == 6
    assert "bad request" in result.stderr
    assert conv_items(cli, conv_id) == []
    listed = json.loads(cli("responses", "list", "-o", "json").stdout)
    assert listed["data"] == []


def test_stream_prints_deltas_and_commits_turn(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    result = cli(
        "responses",
        "create",
        "--model",
        "fake-model",
        "--input",
        "a b c",
        "--conversation",
        conv_id,
        "--stream",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "echo: a b c\n"
    assert [i["role"] for i in conv_items(cli, conv_id)] == ["user", "assistant"]


def test_stream_json_events(cli, registered: FakeOpenAI) -> None:
    result = cli("responses", "create", "--model", "fake-model", "--input", "x y", "--stream", "-o", "json")
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    deltas = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert deltas == "echo: x y"
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["text"] == "echo: x y"
    stored = json.loads(cli("responses", "get", events[-1]["response"]["id"], "-o", "json").stdout)
    assert stored == events[-1]["response"]


def test_stream_cut_midway_appends_nothing(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    registered.script(cut_stream_after(2))
    result = cli(
        "responses",
        "create",
        "--model",
        "fake-model",
        "--input",
        "a b c d",
        "--conversation",
        conv_id,
        "--stream",
        "-o",
        "json",
    )
    assert result.exit_code == 6
    kinds = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert "response.completed" not in kinds and kinds[-1] == "response.failed"
    assert conv_items(cli, conv_id) == []
    assert json.loads(cli("responses", "list", "-o", "json").stdout)["data"] == []


def test_get_list_delete_and_no_store(cli, registered: FakeOpenAI) -> None:
    kept = create(cli, "--input", "keep")
    create(cli, "--input", "forget", "--no-store")
    listed = json.loads(cli("responses", "list", "-o", "json").stdout)
    assert [r["id"] for r in listed["data"]] == [kept["id"]]
    assert listed["object"] == "list" and listed["has_more"] is False
    table = cli("responses", "get", kept["id"])
    assert "echo: keep" in table.stdout
    deleted = json.loads(cli("responses", "delete", kept["id"], "-o", "json").stdout)
    assert deleted == {"id": kept["id"], "object": "response.deleted", "deleted": True}
    assert cli("responses", "get", kept["id"]).exit_code == 4
    assert cli("responses", "get", "resp_nope").exit_code == 4  # well-formed, not stored
    malformed = cli("responses", "get", "conv_" + "a" * 48)
    assert malformed.exit_code == 3
    assert "expected an id that begins with 'resp_'" in malformed.stderr


def test_model_found_by_provider_model_id_or_identifier(cli, registered: FakeOpenAI) -> None:
    by_id = cli("responses", "create", "--model", "openai/fake-model", "--input", "x", "-o", "json")
    assert json.loads(by_id.stdout)["model"] == "openai/fake-model"
    assert chat_posts(registered)[-1]["model"] == "fake-model"
    assert cli("responses", "create", "--model", "nope", "--input", "x").exit_code == 4


def test_ambiguous_model_exits_3_listing_candidates(
    cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    for name in ("one", "two"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(run_config(fake_openai.base_url, name=name))
        assert cli("register", str(path)).exit_code == 0
    result = cli("responses", "create", "--model", "fake-model", "--input", "x")
    assert result.exit_code == 3
    assert "ambiguous" in result.stderr and "stack one" in result.stderr and "stack two" in result.stderr
    assert fake_openai.requests == []


def test_record_then_replay_gives_the_same_output(
    cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")  # the live calls while recording
    config = tmp_path / "run.yaml"
    config.write_text(run_config(fake_openai.base_url))
    recordings = tmp_path / "recordings"

    def script(mode: str) -> list[object]:
        monkeypatch.setenv("STACKCTL_DB", str(tmp_path / f"{mode}.db"))
        monkeypatch.setenv("STACKCTL_INFERENCE_MODE", mode)
        monkeypatch.setenv("STACKCTL_RECORDINGS_DIR", str(recordings))
        # Registration renders the config; the responses that follow replay with no key in the environment.
        assert cli("register", str(config), "--env", "OPENAI_API_KEY=unused").exit_code == 0
        conv_id = new_conversation(cli)
        one = create(cli, "--conversation", conv_id, "--input", "first")
        two = cli(
            "responses",
            "create",
            "--model",
            "fake-model",
            "--conversation",
            conv_id,
            "--input",
            "second",
            "--stream",
            "-o",
            "json",
        )
        assert two.exit_code == 0, two.stderr
        events = [json.loads(line) for line in two.stdout.splitlines()]
        shape = [(e["type"], e.get("delta")) for e in events]
        items = [(i["role"], i["content"][0]["text"]) for i in conv_items(cli, conv_id)]
        return [output_text(one), one["status"], one["usage"], shape, items]

    recorded = script("record")
    fake_openai.stop()
    monkeypatch.delenv("OPENAI_API_KEY")
    replayed = script("replay")
    assert replayed == recorded
    assert recorded[0] == "echo: first"


def test_input_from_stdin_and_table_output(cli, registered: FakeOpenAI) -> None:
    result = cli("responses", "create", "--model", "fake-model", "--input-file", "-", input="from stdin")
    assert result.exit_code == 0, result.stderr
    assert "echo: from stdin" in result.stdout and "completed" in result.stdout
    listed = cli("responses", "list")
    assert listed.stdout.splitlines()[0].split()[:4] == ["ID", "CREATED_AT", "MODEL", "STATUS"]
    response_id = listed.stdout.splitlines()[1].split()[0]
    items = cli("responses", "input-items", response_id)
    assert "from stdin" in items.stdout
    as_yaml = cli("responses", "get", response_id, "-o", "yaml")
    assert "object: response" in as_yaml.stdout


def test_input_and_input_file_exclude_each_other(cli, registered: FakeOpenAI) -> None:
    result = cli("responses", "create", "--model", "fake-model")
    assert result.exit_code == 2
    result = cli("responses", "create", "--model", "fake-model", "--input", "x", "--input-file", "-")
    assert result.exit_code == 2


def test_input_file_that_is_not_utf8_exits_3_naming_it(cli, tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe[]")
    result = cli("responses", "create", "--model", "m", "--input-file", str(bad))
    assert result.exit_code == 3, result.stderr
    assert f"cannot read {bad}: not UTF-8 text" in result.stderr


def test_stream_into_a_pipe_closed_early_still_stores_the_turn(cli, registered: FakeOpenAI) -> None:
    import os
    import subprocess
    import sys

    conv_id = new_conversation(cli)
    words = " ".join(f"w{n}" for n in range(3000))
    script = Path(sys.executable).parent / "stackctl"
    args = ["responses", "create", "--model", "fake-model", "--input", words, "--conversation", conv_id]
    with subprocess.Popen(  # the real console script, writing into a real pipe that its reader closes
        [str(script), *args, "--stream", "-o", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    ) as proc:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["type"] == "response.created"
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    assert [i["role"] for i in conv_items(cli, conv_id)] == ["user", "assistant"]
    assert len(json.loads(cli("responses", "list", "-o", "json").stdout)["data"]) == 1


def test_an_item_id_already_in_the_conversation_is_exit_3_before_any_call(
    cli, registered: FakeOpenAI, tmp_path: Path
) -> None:
    conv_id = new_conversation(cli)
    first = create(cli, "--input", "first", "--conversation", conv_id)
    taken = first["output"][0]["id"]
    items = tmp_path / "items.json"
    items.write_text(json.dumps([{"type": "message", "id": taken, "role": "user", "content": "again"}]))
    before = len(chat_posts(registered))
    result = cli(
        "responses", "create", "--model", "fake-model", "--input-file", str(items), "--conversation", conv_id
    )
    assert result.exit_code == 3
    assert "already used" in result.stderr and taken in result.stderr
    assert len(chat_posts(registered)) == before
    assert len(conv_items(cli, conv_id)) == 2


def test_empty_input_is_exit_3_before_any_call(cli, registered: FakeOpenAI) -> None:
    result = cli("responses", "create", "--model", "fake-model", "--input-file", "-", input="[]")
    assert result.exit_code == 3
    assert "error: nothing to send" in result.stderr
    assert chat_posts(registered) == []
    assert json.loads(cli("responses", "list", "-o", "json").stdout)["data"] == []


@pytest.mark.parametrize("key", ["sk-SECRET-123\nX: y", "sk-SECRÉT-123"])
def test_api_key_unfit_for_a_header_is_exit_3_and_never_shown(
    cli, registered: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    args = ("responses", "create", "--model", "fake-model", "--input", "hi", "-o", "json")
    plain = cli(*args)
    streamed = cli(*args, "--stream")
    for result in (plain, streamed):
        assert result.exit_code == 3, result.stderr
        assert json.loads(result.stderr)["error"]["code"] == "invalid_api_key"
        assert "SECR" not in result.stderr + result.stdout
    failed = json.loads(streamed.stdout.splitlines()[-1])
    assert failed["type"] == "response.failed"
    assert "api_key" in failed["response"]["error"]["message"]
    assert chat_posts(registered) == []


def test_stream_joins_an_emoji_split_across_chunks(cli, registered: FakeOpenAI) -> None:
    def chunk(text: str, finish: str | None = None) -> str:
        body = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"  # the halves go out as the escapes \ud83d and \ude00

    registered.script(
        raw_answer(chunk("ok ") + chunk("\ud83d") + chunk("\ude00", "stop") + "data: [DONE]\n\n")
    )
    result = cli("responses", "create", "--model", "fake-model", "--input", "hi", "--stream")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "ok \U0001f600\n"
    stored = json.loads(cli("responses", "list", "-o", "json").stdout)["data"][0]
    assert stored["output"][0]["content"][0]["text"] == "ok \U0001f600"


def test_stream_answered_with_a_whole_completion_prints_it(cli, registered: FakeOpenAI) -> None:
    message = {"role": "assistant", "content": "all at once"}
    completion = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    registered.script(raw_answer(json.dumps(completion), "application/json"))
    result = cli("responses", "create", "--model", "fake-model", "--input", "hi", "--stream", "-o", "json")
    assert result.exit_code == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["delta"] for e in events if e["type"] == "response.output_text.delta"] == ["all at once"]
    assert events[-1]["type"] == "response.completed"
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == "all at once"


def test_stream_answered_with_a_json_error_exits_6_with_its_message(cli, registered: FakeOpenAI) -> None:
    registered.script(raw_answer(json.dumps({"error": {"message": "streaming is off"}}), "application/json"))
    result = cli("responses", "create", "--model", "fake-model", "--input", "hi", "--stream")
    assert result.exit_code == 6
    assert "streaming is off" in result.stderr and "attempts" not in result.stderr
    assert len(chat_posts(registered)) == 1


@pytest.mark.parametrize("mode", ["live", "replay"])
def test_input_that_is_not_utf8_exits_3_before_any_call(
    cli, registered: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("STACKCTL_INFERENCE_MODE", mode)
    monkeypatch.setenv("STACKCTL_RECORDINGS_DIR", str(tmp_path / "recordings"))
    latin1 = "caf\udce9"  # `--input $'caf\xe9'`: Python decodes the byte that is not UTF-8 to a surrogate
    for extra in ((), ("--stream",)):
        result = cli("responses", "create", "--model", "fake-model", "--input", latin1, *extra)
        assert result.exit_code == 3, result.stderr
        assert "error: input is not valid UTF-8 text" in result.stderr
        assert "--input" in result.stderr
    assert chat_posts(registered) == []


# --- a run config as local providers write it: the key from the environment, with a default ------------


def _headers_of_posts(fake: FakeOpenAI) -> list[dict[str, str]]:
    return [{k.lower(): v for k, v in r.headers.items()} for r in fake.requests if r.method == "POST"]


def test_a_defaulted_key_registers_unset_and_is_sent_as_written(
    cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "run.yaml"
    text = run_config(fake_openai.base_url, models=(("gpt-4.1", "gpt-4.1"),))
    path.write_text(text.replace("${env.OPENAI_API_KEY}", "${env.OPENAI_API_KEY:=none}"))
    registered = cli("register", str(path))
    assert registered.exit_code == 0, registered.stderr
    result = cli("responses", "create", "--model", "gpt-4.1", "--input", "hi", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert output_text(json.loads(result.stdout)) == "echo: hi"
    assert _headers_of_posts(fake_openai)[-1]["authorization"] == "Bearer none"
    # --env and --env-file override the environment at call time, --env last, as in `config render`.
    envfile = tmp_path / "keys.env"
    envfile.write_text("OPENAI_API_KEY=sk-from-file\n")
    args = ("responses", "create", "--model", "gpt-4.1", "--input", "again", "--env-file", str(envfile))
    assert cli(*args).exit_code == 0
    assert _headers_of_posts(fake_openai)[-1]["authorization"] == "Bearer sk-from-file"
    assert cli(*args, "--env", "OPENAI_API_KEY=sk-from-flag").exit_code == 0
    assert _headers_of_posts(fake_openai)[-1]["authorization"] == "Bearer sk-from-flag"


def test_an_unset_key_registers_with_a_warning_and_the_call_names_the_variable(
    cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "run.yaml"
    path.write_text(run_config(fake_openai.base_url))
    registered = cli("register", str(path))
    assert registered.exit_code == 0, registered.stderr
    assert "environment variable OPENAI_API_KEY is not set" in registered.stderr
    result = cli("responses", "create", "--model", "fake-model", "--input", "hi")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "error: provider openai: api_key comes from ${env.OPENAI_API_KEY}, "
        "which is not set in this environment\n"
    )
    assert "has no API key" not in result.stderr
    assert chat_posts(fake_openai) == []
    assert (
        cli(
            "responses", "create", "--model", "fake-model", "--input", "hi", "--env", "OPENAI_API_KEY=k"
        ).exit_code
        == 0
    )


def test_stackctl_timeout_bounds_the_whole_call(cli, registered: FakeOpenAI) -> None:
    registered.set_default(sleep(30))
    result = cli(
        "responses", "create", "--model", "fake-model", "--input", "hi", env={"STACKCTL_TIMEOUT": "0.3"}
    )
    assert result.exit_code == 6, result.stderr
    assert "within the 0.3s deadline (retries included): waited 0." in result.stderr
    assert "hint: give the provider more time with --timeout SECONDS or STACKCTL_TIMEOUT" in result.stderr
    assert len(chat_posts(registered)) == 1


def test_a_bad_stackctl_timeout_is_exit_3_before_any_call(cli, registered: FakeOpenAI) -> None:
    result = cli(
        "responses", "create", "--model", "fake-model", "--input", "hi", env={"STACKCTL_TIMEOUT": "soon"}
    )
    assert result.exit_code == 3, result.stderr
    assert "STACKCTL_TIMEOUT must be a positive number" in result.stderr
    assert chat_posts(registered) == []


NO_MESSAGE = {
    "id": "chatcmpl-x",
    "object": "chat.completion",
    "created": 1,
    "model": "fake-model",
    "choices": [{"index": 0, "finish_reason": "stop"}],
}


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_with_no_message_is_a_provider_failure_and_nothing_is_stored(
    cli, registered: FakeOpenAI, stream: bool
) -> None:
    conv_id = new_conversation(cli)
    if stream:
        finish = {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        registered.script(raw_answer(f"data: {json.dumps(finish)}\n\ndata: [DONE]\n\n"))
    else:
        registered.script(raw_answer(json.dumps(NO_MESSAGE), "application/json"))
    args = ["responses", "create", "--model", "fake-model", "--input", "hi", "--conversation", conv_id]
    result = cli(*args, *(["--stream"] if stream else []))
    assert result.exit_code == 6, result.stderr
    assert "no message and no tool call" in result.stderr
    assert conv_items(cli, conv_id) == []
    listed = cli("responses", "list", "-o", "json")
    assert json.loads(listed.stdout)["data"] == []


def test_an_answer_over_the_cap_is_exit_6_and_nothing_is_stored(cli, registered: FakeOpenAI) -> None:
    conv_id = new_conversation(cli)
    registered.script(raw_answer(json.dumps({**NO_MESSAGE, "pad": "x" * 5000}), "application/json"))
    args = ["responses", "create", "--model", "fake-model", "--input", "hi", "--conversation", conv_id]
    result = cli(*args, env={"STACKCTL_MAX_ANSWER_BYTES": "1000"})
    assert result.exit_code == 6, result.stderr
    assert "with more than 1000 bytes: refused" in result.stderr
    assert conv_items(cli, conv_id) == []
