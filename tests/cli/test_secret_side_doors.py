"""Secrets through side doors: values of secret variables are masked wherever they land (issue #21.6)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from stackctl.config.secrets import MASK, is_secret_variable, mask_values
from tests.fakes import FakeOpenAI, status
from tests.runconfigs import dump_tables, write_config

SECRET = "sk-side-door-0123456789"

STACK = """\
version: 2
image_name: doors
apis: [inference]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.UPSTREAM}
models:
- model_id: m1
  provider_id: fake
  metadata:
    note: "key is ${env.MY_KEY}"
    also: "upstream ${env.UPSTREAM}"
    plain: "${env.PLAIN}"
"""

ENV = {"MY_KEY": SECRET, "UPSTREAM": "up-" + SECRET, "PLAIN": "not-a-secret-value"}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("MY_KEY", True),
        ("GITHUB_TOKEN", True),
        ("client_secret", True),
        ("DB_PASSWORD_FILE", True),
        ("PASSWORD", True),
        ("KEY", False),
        ("MONKEY", False),
        ("TOKENIZER_PATH", False),
        ("HOME", False),
    ],
)
def test_secret_variable_names(name: str, secret: bool) -> None:
    assert is_secret_variable(name) is secret


def test_mask_values_masks_every_occurrence_in_keys_and_text_but_not_short_values() -> None:
    doc = {"a": f"x{SECRET}y {SECRET}", SECRET: [SECRET, 3], "b": "abc abc"}
    assert mask_values(doc, {SECRET, "abc"}) == {"a": f"x{MASK}y {MASK}", MASK: [MASK, 3], "b": "abc abc"}


def test_render_masks_secret_values_in_fields_not_named_like_secrets(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    result = cli("config", "render", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert SECRET not in result.stdout and SECRET not in result.stderr
    metadata = json.loads(result.stdout)["models"][0]["metadata"]
    assert metadata == {"note": f"key is {MASK}", "also": f"upstream {MASK}", "plain": "not-a-secret-value"}
    shown = cli("config", "render", str(path), "-o", "json", "--show-secrets", env=ENV)
    assert SECRET in shown.stdout  # asked for in clear


def test_an_error_quoting_a_secret_value_masks_it(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK.replace("apis: [inference]", 'apis: [inference, "${env.API_TOKEN}"]'))
    result = cli("config", "render", str(path), env={**ENV, "API_TOKEN": "tok-" + SECRET})
    assert result.exit_code == 3
    assert f"unknown API '{MASK}'" in result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout


def test_register_stores_no_secret_value(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    result = cli("register", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 0, result.stderr
    rows = json.dumps(dump_tables(os.environ["STACKCTL_DB"]), default=str)
    assert SECRET not in rows
    assert "not-a-secret-value" not in rows  # no value of the environment, secret or not
    assert "${env.UPSTREAM}" in rows  # the provider is stored as written: the reference, not the value
    shown = cli("models", "get", "fake/m1", "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    # The resource too, as providers are (#21.6): its references, not what they render to.
    assert json.loads(shown.stdout)["spec"]["metadata"] == {
        "note": "key is ${env.MY_KEY}",
        "also": "upstream ${env.UPSTREAM}",
        "plain": "${env.PLAIN}",
    }


def test_register_masks_a_secret_value_the_file_writes_out_in_a_resource(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK.replace('plain: "${env.PLAIN}"', f"copied: {SECRET}"))
    result = cli("register", str(path), env=ENV)
    assert result.exit_code == 0, result.stderr
    assert SECRET not in json.dumps(dump_tables(os.environ["STACKCTL_DB"]), default=str)
    shown = json.loads(cli("models", "get", "fake/m1", "-o", "json").stdout)
    assert shown["spec"]["metadata"]["copied"] == MASK


def test_register_refuses_a_literal_url_password_in_a_provider(cli: Any, tmp_path: Path) -> None:
    text = STACK.replace("http://127.0.0.1:9/v1", "http://user:hunter2pw@127.0.0.1:9/v1")
    result = cli("register", str(write_config(tmp_path, text)), env=ENV)
    assert result.exit_code == 3
    assert "hunter2pw" not in result.stderr + result.stdout
    assert "base_url" in result.stderr
    referenced = text.replace("hunter2pw", "${env.PROXY_PASSWORD}")
    ok = cli("register", str(write_config(tmp_path, referenced)), env={**ENV, "PROXY_PASSWORD": "pw"})
    assert ok.exit_code == 0, ok.stderr


@pytest.mark.parametrize(
    ("location", "leak"),
    [
        ("postgresql://user:hun/ter2LEAK@127.0.0.1:1/db", "ter2LEAK"),
        ("postgresql://user:hunter2@LEAK@127.0.0.1:1/db", "LEAK"),
        ("postgresql://user:hunter2LEAK@[::1:1/db", "hunter2LEAK"),
    ],
)
def test_db_status_shows_no_piece_of_the_password(cli: Any, location: str, leak: str) -> None:
    result = cli("--db", location, "db", "status")
    assert result.exit_code == 3, result.stderr
    assert "postgresql://user:********@" in result.stderr
    assert leak not in result.stderr + result.stdout
    assert "internal error" not in result.stderr


PROXIED = STACK.replace("http://127.0.0.1:9/v1", "http://u:${env.PROXY_PW:=hunter2LEAK}@127.0.0.1:9/v1")


def test_the_default_of_a_url_password_is_masked_in_vars_and_stacks_show(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, PROXIED)
    listed = cli("config", "vars", str(path), "-o", "json")
    assert listed.exit_code == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout)["data"] if r["name"] == "PROXY_PW")
    assert (row["syntax"], row["default"]) == (f"${{env.PROXY_PW:={MASK}}}", MASK)
    assert "hunter2LEAK" in cli("config", "vars", str(path), "--show-secrets").stdout  # asked for
    assert cli("register", str(path), env=ENV).exit_code == 0  # a reference: stored as written
    shown = cli("stacks", "show", "doors", "-o", "yaml")
    assert shown.exit_code == 0, shown.stderr
    assert "http://u:${env.PROXY_PW:=****}@127.0.0.1:9/v1" in shown.stdout
    assert "hunter2LEAK" not in shown.stdout + shown.stderr


def test_register_refuses_a_token_as_a_url_user(cli: Any, tmp_path: Path) -> None:
    text = STACK.replace("http://127.0.0.1:9/v1", "https://ghp_tokLEAK0123456789@127.0.0.1:9/v1")
    result = cli("register", str(write_config(tmp_path, text)), env=ENV)
    assert result.exit_code == 3
    assert "literal secret" in result.stderr and "base_url" in result.stderr
    assert "ghp_tokLEAK" not in result.stderr + result.stdout
    assert cli("stacks", "list", "-o", "json").stdout.count("doors") == 0


DUPLICATE_IDS = """\
version: 2
image_name: doors
providers:
  inference:
  - provider_id: ${env.MY_TOKEN}
    provider_type: remote::vllm
    config:
      url: http://127.0.0.1:9/v1
  - provider_id: ${env.MY_TOKEN}
    provider_type: remote::vllm
    config:
      url: http://127.0.0.1:9/v1
"""


@pytest.mark.parametrize("command", [["stack", "resolve"], ["config", "validate"], ["register"]])
def test_a_resolver_error_quoting_a_secret_value_masks_it(
    cli: Any, tmp_path: Path, command: list[str]
) -> None:
    # The resolver runs after render and words its own errors: a duplicate id quotes the value.
    path = write_config(tmp_path, DUPLICATE_IDS)
    result = cli(*command, str(path), env={"MY_TOKEN": "tok-" + SECRET})
    assert result.exit_code == 3, result.stderr
    assert "duplicate provider id" in result.stderr
    assert SECRET not in result.stderr and SECRET not in result.stdout
    assert f"'{MASK}'" in result.stderr


GAPS = """\
version: 2
image_name: gaps
apis: [inference]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.UPSTREAM}
  - provider_id: ${env.ENABLE_OTHER:+other}
    provider_type: remote::together
    config:
      api_key: ${env.SHARED}
models:
- model_id: n1
  provider_id: fake
  metadata:
    number: ${env.MY_TOKEN}
    shared: ${env.SHARED}
- model_id: m2
  provider_id: ${env.NO_PROVIDER:=}
  metadata:
    other: ${env.OTHER_SECRET}
"""


def test_render_masks_secrets_the_gaps_of_the_substitution_let_through(cli: Any, tmp_path: Path) -> None:
    # A number-only secret coerced to an int; a variable used only in a disabled provider's secret field;
    # a resource of a disabled provider (expanded on its own): each value is still a secret where it lands.
    env = {
        "UPSTREAM": SECRET,
        "MY_TOKEN": "987654321",
        "SHARED": "shared-secret-5678",
        "OTHER_SECRET": "hunter2pw",
    }
    path = write_config(tmp_path, GAPS)
    result = cli("config", "render", str(path), "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    for value in env.values():
        assert value not in result.stdout, value
    models = json.loads(result.stdout)["models"]
    assert models[0]["metadata"] == {"number": MASK, "shared": MASK}
    assert models[1]["metadata"] == {"other": MASK}


CALLED = """\
version: 2
image_name: called
apis: [inference]
providers:
  inference:
  - provider_id: v
    provider_type: remote::vllm
    config:
      url: http://proxyuser:${{env.PROXY_PASSWORD}}@127.0.0.1:{port}/${{env.PATH_TOKEN}}/v1
models:
- model_id: vm
  provider_id: v
"""


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_what_a_provider_says_at_call_time_masks_the_config_secrets(
    cli: Any, tmp_path: Path, fake_openai: FakeOpenAI, stream: bool
) -> None:
    # The URL's password travels as Basic credentials (base64) and the provider quotes them; a token in
    # the URL's path comes back in a provider's 404. Neither is printed or stored.
    path = write_config(tmp_path, CALLED.format(port=fake_openai.port))
    password, token = "hunter2proxy", "tok-path-0123456789"
    env = {"PROXY_PASSWORD": password, "PATH_TOKEN": token}
    assert cli("register", str(path), env=env).exit_code == 0
    basic = base64.b64encode(f"proxyuser:{password}".encode()).decode()
    fake_openai.script(status(401, "Incorrect API key provided: <authorization>"))
    args = ["responses", "create", "--model", "vm", "--input", "hi", "--retries", "0", "-o", "json"]
    args += ["--stream"] if stream else []
    quoted = cli(*args, env=env)
    assert fake_openai.requests[-1].headers["authorization"] == f"Basic {basic}"  # what was quoted back
    assert quoted.exit_code != 0 and "Incorrect API key provided" in quoted.stdout + quoted.stderr
    routed = cli(*args, env=env)  # the fake's own 404 quotes the path it was sent (the token in it)
    assert routed.exit_code != 0 and "no route" in routed.stdout + routed.stderr
    stored = json.dumps(dump_tables(os.environ["STACKCTL_DB"]), default=str)
    for said in (quoted.stdout + quoted.stderr, routed.stdout + routed.stderr, stored):
        for secret in (password, token, basic):
            assert secret not in said


IDS = STACK.replace(
    "- model_id: m1\n  provider_id: fake\n",
    "- model_id: ${env.MODEL_KEY}\n  provider_id: fake\n  provider_model_id: pm-${env.UPSTREAM}\n"
    "- model_id: m2\n  provider_id: ${env.UPSTREAM}\n",
)


def test_register_refuses_ids_a_secret_value_renders_into(cli: Any, tmp_path: Path) -> None:
    # Ids are stored and listed as they render: from a secret, they would store and list the secret.
    path = write_config(tmp_path, IDS)
    env = {**ENV, "MODEL_KEY": "model-" + SECRET}
    result = cli("register", str(path), env=env)
    assert result.exit_code == 3, result.stderr
    for where in ("models[0].model_id", "models[0].provider_model_id", "models[1].provider_id"):
        assert f"{where} ({path}:" in result.stderr, where
    assert "an id from a secret value" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    assert not Path(os.environ["STACKCTL_DB"]).exists() or SECRET not in json.dumps(
        dump_tables(os.environ["STACKCTL_DB"]), default=str
    )
    report = json.loads(cli("config", "validate", str(path), "-o", "json", env=env).stdout)
    codes = [(p["path"], p["code"]) for p in report["problems"]]
    assert ("models[1].provider_id", "secret_in_id") in codes
    # The resource check's own words about that id are masked too.
    assert any(p["message"] == f"the stack has no inference provider '{MASK}'" for p in report["problems"])
    assert SECRET not in json.dumps(report)


CREDENTIALS = """\
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.UPSTREAM}
      headers: {Authorization: "Bearer sk-LEAK0"}
      bearer: sk-LEAK1
      key: sk-LEAK2
      access_key: AKIA-LEAK3
      signing_key: sk-LEAK4
      cookie: "s=sk-LEAK5"
"""


def test_credential_fields_are_masked_by_render_and_refused_by_register(cli: Any, tmp_path: Path) -> None:
    head = STACK.split("    config:", maxsplit=1)[0]
    path = write_config(tmp_path, head + CREDENTIALS)
    rendered = cli("config", "render", str(path), "-o", "json", env=ENV)
    assert rendered.exit_code == 0, rendered.stderr
    assert "LEAK" not in rendered.stdout + rendered.stderr
    registered = cli("register", str(path), env=ENV)
    assert registered.exit_code == 3
    for field in ("headers.Authorization", "bearer", "key", "access_key", "signing_key", "cookie"):
        assert f"providers.inference[0].config.{field} " in registered.stderr
    assert "LEAK" not in registered.stderr + registered.stdout
    assert not Path(os.environ["STACKCTL_DB"]).exists() or "LEAK" not in json.dumps(
        dump_tables(os.environ["STACKCTL_DB"]), default=str
    )


def test_a_debug_traceback_masks_url_passwords_and_secret_values(cli: Any) -> None:
    result = cli("--debug", "conv", "get", "http://u:hunter2LEAK@x")
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "http://u:****@x" in result.stderr and "hunter2LEAK" not in result.stderr
    quoted = cli("--debug", "providers", "show", "sk-LEAK-value", env={"MY_API_KEY": "sk-LEAK-value"})
    traceback = quoted.stderr.split("\nerror:")[0]
    assert "unknown provider type" in traceback and "sk-LEAK" not in traceback


def test_a_secret_env_warns_on_every_command_that_takes_env(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    result = cli("config", "render", str(path), "--env", "UPSTREAM=x", "--env", f"MY_KEY={SECRET}", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: --env MY_KEY is visible to every user of this machine in the process list" in result.stderr
    )
    assert SECRET not in result.stderr


def test_a_db_url_password_on_the_command_line_warns(cli: Any) -> None:
    for args in (
        ["--db", "postgresql://me:hunter2LEAK@127.0.0.1:1/stack", "db", "status"],
        ["db", "status", "--db", "postgresql://me:hunter2LEAK@127.0.0.1:1/stack"],
    ):
        result = cli(*args)
        assert result.exit_code == 3
        assert result.stderr.count("process list") == 1
        assert "warning: the password in --db is visible to every user of this machine" in result.stderr
        assert "STACKCTL_DB" in result.stderr and "~/.pgpass" in result.stderr
        assert "hunter2LEAK" not in result.stderr
    quiet = cli("db", "status", env={"STACKCTL_DB": "postgresql://me:hunter2LEAK@127.0.0.1:1/stack"})
    assert "process list" not in quiet.stderr
    assert "process list" not in cli("--db", "postgresql://me@127.0.0.1:1/stack", "db", "status").stderr
