"""Bounded waits from the CLI: `--timeout SECONDS` and `--retries N` (and STACKCTL_RETRIES) on every command
that calls a provider, against the fake provider on 127.0.0.1 holding or failing its answers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_responses import chat_posts, run_config
from tests.fakes import FakeOpenAI, held, sleep, status

ASK = ("responses", "create", "--model", "fake-model", "--input", "hi")


@pytest.fixture
def registered(cli, fake_openai: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    path = tmp_path / "run.yaml"
    path.write_text(run_config(fake_openai.base_url))
    result = cli("register", str(path))
    assert result.exit_code == 0, result.stderr
    return fake_openai


def model_lists(fake: FakeOpenAI) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.rstrip("/").endswith("/models"))


# --- --timeout -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_timeout_ends_a_held_call_with_exit_6_saying_how_long_it_waited(
    cli, registered: FakeOpenAI, stream: bool
) -> None:
    registered.set_default(held())
    result = cli(*ASK, "--timeout", "1", *(["--stream"] if stream else []))
    assert result.exit_code == 6, result.stderr
    what = "(model fake-model, stream)" if stream else "(model fake-model)"
    assert re.fullmatch(
        rf"error: provider openai did not answer POST /chat/completions {re.escape(what)} "
        r"within the 1s deadline \(retries included\): waited 1\.\d+s",
        result.stderr.splitlines()[0],
    ), result.stderr
    assert "hint: give the provider more time with --timeout SECONDS or STACKCTL_TIMEOUT" in result.stderr
    assert "Traceback" not in result.stderr
    assert "echo" not in result.stdout
    registered.release()
    listed = cli("responses", "list", "-o", "json")
    assert json.loads(listed.stdout)["data"] == []  # nothing stored


def test_timeout_on_the_command_line_overrides_stackctl_timeout(cli, registered: FakeOpenAI) -> None:
    registered.set_default(sleep(0.6))
    short = cli(*ASK, "--timeout", "0.2", env={"STACKCTL_TIMEOUT": "30"})
    assert short.exit_code == 6, short.stderr
    assert "0.2s deadline" in short.stderr
    long = cli(*ASK, "--timeout", "30", "-o", "json", env={"STACKCTL_TIMEOUT": "0.2"})
    assert long.exit_code == 0, long.stderr
    assert json.loads(long.stdout)["status"] == "completed"


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan"])
def test_a_bad_timeout_is_exit_2_in_clicks_words_before_any_call(
    cli, registered: FakeOpenAI, value: str
) -> None:
    for args in (ASK, ("models", "refresh")):
        result = cli(*args, "--timeout", value)
        assert result.exit_code == 2, (args, value, result.stderr)
        assert "Invalid value for '--timeout'" in result.stderr
    assert registered.requests == []


def test_models_refresh_is_bounded_by_timeout(cli, registered: FakeOpenAI) -> None:
    registered.set_default(held())
    result = cli("models", "refresh", "--timeout", "1")
    assert result.exit_code == 6, result.stderr
    assert re.fullmatch(
        r"error: provider openai did not answer GET /models within the 1s deadline \(retries included\): "
        r"waited 1\.\d+s",
        result.stderr.splitlines()[0],
    ), result.stderr
    assert "hint: give the provider more time with --timeout SECONDS" in result.stderr


def test_models_refresh_reads_stackctl_timeout_too(cli, registered: FakeOpenAI) -> None:
    registered.set_default(sleep(5))
    result = cli("models", "refresh", env={"STACKCTL_TIMEOUT": "0.3"})
    assert result.exit_code == 6, result.stderr
    assert "0.3s" in result.stderr


# --- --retries and STACKCTL_RETRIES ------------------------------------------------------------------------


def failing(fake: FakeOpenAI, n: int) -> None:
    fake.script(*[status(503, retry_after=0) for _ in range(n)])


def test_default_is_three_tries(cli, registered: FakeOpenAI) -> None:
    failing(registered, 2)
    result = cli(*ASK, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert len(chat_posts(registered)) == 3


def test_retries_zero_is_one_try(cli, registered: FakeOpenAI) -> None:
    failing(registered, 1)
    result = cli(*ASK, "--retries", "0")
    assert result.exit_code == 6, result.stderr
    assert len(chat_posts(registered)) == 1
    assert "attempts" not in result.stderr.splitlines()[0]


def test_retries_n_is_n_plus_one_tries(cli, registered: FakeOpenAI) -> None:
    failing(registered, 5)
    result = cli(*ASK, "--retries", "3", "--stream")
    assert result.exit_code == 6, result.stderr
    assert len(chat_posts(registered)) == 4
    assert "(after 4 attempts)" in result.stderr


def test_stackctl_retries_from_the_environment_or_an_env_file(
    cli, registered: FakeOpenAI, tmp_path: Path
) -> None:
    failing(registered, 1)
    assert cli(*ASK, env={"STACKCTL_RETRIES": "0"}).exit_code == 6
    assert len(chat_posts(registered)) == 1
    env_file = tmp_path / "calls.env"
    env_file.write_text("STACKCTL_RETRIES=0\n")
    failing(registered, 1)
    assert cli(*ASK, "--env-file", str(env_file)).exit_code == 6
    assert len(chat_posts(registered)) == 2
    failing(registered, 1)  # the option overrides the variable
    assert cli(*ASK, "--retries", "1", "-o", "json", env={"STACKCTL_RETRIES": "0"}).exit_code == 0
    assert len(chat_posts(registered)) == 4


@pytest.mark.parametrize("value", ["-1", "abc", "1.5"])
def test_a_bad_retries_is_exit_2_and_a_bad_stackctl_retries_exit_3(
    cli, registered: FakeOpenAI, value: str
) -> None:
    for args in (ASK, ("models", "refresh")):
        result = cli(*args, "--retries", value)
        assert result.exit_code == 2, (args, value, result.stderr)
        assert "Invalid value for '--retries'" in result.stderr
        from_env = cli(*args, env={"STACKCTL_RETRIES": value})
        assert from_env.exit_code == 3, from_env.stderr
        assert f"STACKCTL_RETRIES must be a whole number >= 0, not '{value}'" in from_env.stderr
    assert registered.requests == []


def test_models_refresh_retries(cli, registered: FakeOpenAI) -> None:
    failing(registered, 1)
    assert cli("models", "refresh", "--retries", "0").exit_code == 6
    assert model_lists(registered) == 1
    failing(registered, 1)
    assert cli("models", "refresh", "-o", "json").exit_code == 0
    assert model_lists(registered) == 3


# --- serve --retries -------------------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    uvicorn = pytest.importorskip("uvicorn")
    calls: list[dict[str, Any]] = []

    def record(app: Any, **kwargs: Any) -> None:
        calls.append({"app": app, "environ": dict(os.environ), **kwargs})

    monkeypatch.setattr(uvicorn, "run", record)
    return calls


def test_serve_retries_bounds_the_tries_of_each_call(cli, registered: FakeOpenAI, started) -> None:
    from fastapi.testclient import TestClient

    assert cli("serve", "--retries", "0").exit_code == 0
    failing(registered, 1)
    body = {"model": "fake-model", "input": "hi"}
    with TestClient(started[0]["app"], base_url="http://localhost:8321") as client:
        assert client.post("/v1/responses", json=body).status_code == 503
        assert len(chat_posts(registered)) == 1


def test_serve_retries_reaches_every_worker_through_the_environment(cli, started) -> None:
    assert cli("serve", "--workers", "2", "--retries", "4").exit_code == 0
    assert started[0]["environ"]["STACKCTL_RETRIES"] == "4"
    assert "STACKCTL_RETRIES" not in os.environ
    assert cli("serve", "--workers", "2", env={"STACKCTL_RETRIES": "1"}).exit_code == 0
    assert started[1]["environ"]["STACKCTL_RETRIES"] == "1"


@pytest.mark.parametrize("value", ["-1", "abc"])
def test_serve_refuses_a_bad_retries_from_the_flag_or_the_environment(cli, started, value: str) -> None:
    for result in (cli("serve", "--retries", value), cli("serve", env={"STACKCTL_RETRIES": value})):
        assert result.exit_code == 2, result.stderr
        assert "Invalid value for '--retries'" in result.stderr
    assert started == []
