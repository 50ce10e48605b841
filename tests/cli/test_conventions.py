"""Conventions every command group keeps: exit codes and their wording, global options anywhere, deletes."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

MISSING_CONV = "conv_" + "0" * 48
MISSING_RESP = "resp_" + "0" * 48
RUN = "image_name: demo\nproviders:\n  inference:\n  - provider_id: vllm\n    provider_type: remote::vllm\n"
RUN += "    config:\n      url: http://127.0.0.1:9/v1\nmodels:\n- model_id: m1\n  provider_id: vllm\n"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.mark.parametrize(
    "args",
    [
        ["config", "render", "NOFILE"],
        ["config", "render", "--distro", "starter", "--env-file", "NOFILE"],
        ["register", "NOFILE"],
        ["conv", "create", "--items-file", "NOFILE"],
        ["conv", "create", "--item", "@NOFILE"],
        ["responses", "create", "--model", "m", "--input-file", "NOFILE"],
        ["models", "register", "--file", "NOFILE"],
    ],
)
def test_a_missing_input_file_is_exit_4_for_every_option_that_reads_one(cli, tmp_path: Path, args) -> None:
    missing = str(tmp_path / "absent.json")
    result = cli(*[a.replace("NOFILE", missing) for a in args])
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith(f"error: {missing}: no such file")


@pytest.mark.parametrize(
    "command",
    [
        ["conv", "list"],
        ["conv", "items", "list", MISSING_CONV],
        ["responses", "list"],
        ["responses", "input-items", MISSING_RESP],
    ],
)
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0", "0 is not in the range 1<=x<=100."),
        ("101", "101 is not in the range 1<=x<=100."),
        ("abc", "'abc' is not a valid integer."),
    ],
)
def test_a_bad_limit_is_exit_2_in_clicks_words(cli, command, value: str, words: str) -> None:
    result = cli(*command, "--limit", value)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: Invalid value for '--limit': {words}"
    assert "Input should" not in result.stderr  # never pydantic's words


def test_a_bad_choice_is_exit_2_in_clicks_words(cli) -> None:
    result = cli("conv", "list", "--order", "sideways")
    assert result.exit_code == 2
    assert "'sideways' is not one of 'asc', 'desc'." in result.stderr


@pytest.mark.parametrize("args", [["config", "render", "--distro", "starter"], ["adhoc", "inference=ollama"]])
def test_table_on_a_command_without_one_is_exit_2(cli, args) -> None:
    result = cli(*args, "-o", "table")
    assert result.exit_code == 2
    assert "'table' is not one of 'yaml', 'json'." in result.stderr
    assert result.stdout == ""
    assert ok(cli(*args, "-o", "json")).stdout.startswith("{")


def test_bare_stackctl_prints_help_with_exit_0(cli) -> None:
    result = cli()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: stackctl") and "Commands:" in result.stdout
    assert result.stderr == ""
    group = cli("conv")
    assert group.exit_code == 0 and "items" in group.stdout


def test_global_options_work_after_the_subcommand(cli, tmp_path: Path) -> None:
    team = tmp_path / "team.db"
    conv_id = json.loads(ok(cli("conv", "create", "--db", str(team), "-o", "json")).stdout)["id"]
    assert team.exists()
    assert ok(cli("--db", str(team), "conv", "get", conv_id, "-o", "json"))
    assert cli("conv", "get", conv_id).exit_code == 4  # the default database does not have it
    assert ok(cli("conv", "items", "list", conv_id, "--db", str(team)))
    debug = cli("conv", "get", "conv_bad!", "--debug")
    assert debug.exit_code == 3 and "Traceback" in debug.stderr
    assert "--db" not in ok(cli("conv", "list", "--help")).stdout  # hidden: the root's --help documents it


def test_a_port_in_use_is_exit_3_before_the_server_starts(cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
    assert "startup complete" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "delete", MISSING_CONV],
        ["conv", "items", "delete", MISSING_CONV, "msg_missing"],
        ["responses", "delete", MISSING_RESP],
        ["stacks", "delete", "nosuch"],
        ["models", "unregister", "nosuch"],
        ["shields", "unregister", "nosuch"],
    ],
)
def test_every_delete_takes_ignore_not_found(cli, tmp_path: Path, args) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    ok(cli("register", str(path)))
    assert cli(*args).exit_code == 4
    for output in ("table", "json"):
        quiet = ok(cli(*args, "--ignore-not-found", "-o", output))
        assert quiet.stdout == "" and quiet.stderr == ""


def test_ignore_not_found_still_refuses_a_malformed_id(cli) -> None:
    assert cli("conv", "delete", "conv_bad!", "--ignore-not-found").exit_code == 3


def test_stacks_delete_does_not_prompt_when_stdin_is_not_a_terminal(cli, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    ok(cli("register", str(path)))
    result = ok(cli("stacks", "delete", "demo", input=""))
    assert "delete stack" not in result.stderr
    assert json.loads(ok(cli("stacks", "list", "-o", "json")).stdout)["data"] == []


def test_config_render_masks_url_passwords_unless_show_secrets(cli, tmp_path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "image_name: u\nproviders:\n  inference:\n  - provider_id: vllm\n    provider_type: remote::vllm\n"
        "    config:\n      url: https://bob:hunter2@vllm.internal/v1\n"
    )
    shown = cli("config", "render", str(path))
    assert shown.exit_code == 0, shown.stderr
    assert "https://bob:****@vllm.internal/v1" in shown.stdout and "hunter2" not in shown.stdout
    assert "hunter2" in cli("config", "render", str(path), "--show-secrets").stdout
