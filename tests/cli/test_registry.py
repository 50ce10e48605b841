"""`stackctl register`, `stackctl stacks ...`, the seven resource groups and `models refresh`."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from stackctl.models.kinds import KINDS
from tests.runconfigs import OPENAI_STACK, dump_tables, full_config, write_config

ENV = {"FIREWORKS_API_KEY": "sk-test"}


def db_path() -> str:
    return os.environ["STACKCTL_DB"]


@pytest.fixture
def run_yaml(tmp_path: Path) -> Path:
    return write_config(tmp_path, full_config(tmp_path))


def register(cli: Any, path: Path, *extra: str) -> Any:
    result = cli("register", str(path), "-o", "json", *extra, env=ENV)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_register_reports_every_kind_in_the_json_shape(cli: Any, run_yaml: Path) -> None:
    report = register(cli, run_yaml)
    assert set(report) == {"stack", "dry_run", "changes", "summary"}
    assert (report["stack"], report["dry_run"]) == ("full", False)
    assert set(report["summary"]) == {"created", "updated", "unchanged", "skipped", "pruned"}
    for change in report["changes"]:
        assert set(change) == {"kind", "id", "action", "reason"}
    created = {c["kind"] for c in report["changes"] if c["action"] == "created"}
    assert set(KINDS) <= created
    assert report["summary"]["skipped"] == 1
    assert sum(report["summary"].values()) == len(report["changes"])


def test_second_run_is_a_no_op(cli: Any, run_yaml: Path) -> None:
    register(cli, run_yaml)
    before = dump_tables(db_path())
    report = register(cli, run_yaml)
    assert {c["action"] for c in report["changes"]} == {"unchanged", "skipped"}
    assert dump_tables(db_path()) == before


def test_table_output_and_disabled_provider_warning(cli: Any, run_yaml: Path) -> None:
    result = cli("register", str(run_yaml), env=ENV)
    assert result.exit_code == 0
    assert "llama-70b" in result.stdout
    assert "warning:" not in result.stdout
    assert "warning: models[2]: model 'ollama/llama3.2:3b' skipped" in result.stderr
    assert "stack full:" in result.stderr


def test_changed_field_is_updated(cli: Any, tmp_path: Path, run_yaml: Path) -> None:
    register(cli, run_yaml)
    write_config(tmp_path, run_yaml.read_text().replace("model_type: llm", "model_type: embedding"))
    report = register(cli, run_yaml)
    assert {(c["id"], c["action"]) for c in report["changes"] if c["kind"] == "model"} == {
        ("llama-70b", "updated"),
        ("fireworks/accounts/fireworks/models/llama-guard-3-8b", "unchanged"),
        ("ollama/llama3.2:3b", "skipped"),
    }


TOGGLED = """\
version: 2
image_name: toggled
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai
    config: {base_url: "http://127.0.0.1:9/v1"}
  - provider_id: ${env.OLLAMA_ON:+ollama}
    provider_type: remote::ollama
    config: {url: "http://127.0.0.1:11434"}
models:
- model_id: llama3.2:3b
  provider_id: ollama
"""


def test_a_registered_resource_whose_provider_is_disabled_is_reported_once(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, TOGGLED)
    first = json.loads(cli("register", str(path), "-o", "json", env={"OLLAMA_ON": "1"}).stdout)
    assert {"kind": "model", "id": "ollama/llama3.2:3b", "action": "created", "reason": None} in first[
        "changes"
    ]
    kept = cli("register", str(path))
    assert kept.exit_code == 5  # the provider its model uses is gone: only --prune may drop the model
    assert "ollama/llama3.2:3b" in kept.stderr
    pruned = json.loads(cli("register", str(path), "--prune", "-o", "json").stdout)
    model = [c for c in pruned["changes"] if c["kind"] == "model"]
    assert model == [
        {
            "kind": "model",
            "id": "ollama/llama3.2:3b",
            "action": "pruned",
            "reason": "provider 'ollama' disabled",
        }
    ]
    assert pruned["summary"]["skipped"] == 0
    again = json.loads(cli("register", str(path), "-o", "json").stdout)
    assert [c for c in again["changes"] if c["kind"] == "model"] == [
        {
            "kind": "model",
            "id": "ollama/llama3.2:3b",
            "action": "skipped",
            "reason": "provider 'ollama' disabled",
        }
    ]


def test_prune_needs_the_flag(cli: Any, tmp_path: Path, run_yaml: Path) -> None:
    register(cli, run_yaml)
    text = run_yaml.read_text()
    write_config(tmp_path, text[: text.index("benchmarks:")] + text[text.index("tool_groups:") :])
    assert "pruned" not in {c["action"] for c in register(cli, run_yaml)["changes"]}
    assert cli("benchmarks", "get", "meta-reference-simpleqa").exit_code == 0
    report = register(cli, run_yaml, "--prune")
    assert report["summary"]["pruned"] == 1
    assert cli("benchmarks", "get", "meta-reference-simpleqa").exit_code == 4


def test_dry_run_writes_nothing(cli: Any, run_yaml: Path) -> None:
    cli("db", "migrate")
    before = dump_tables(db_path())
    report = register(cli, run_yaml, "--dry-run")
    assert report["dry_run"] is True
    assert report["summary"]["created"] > 0
    assert dump_tables(db_path()) == before


def test_dry_run_and_status_create_no_database(cli: Any, run_yaml: Path) -> None:
    report = register(cli, run_yaml, "--dry-run")
    assert report["summary"]["created"] > 0
    status = cli("db", "status", "-o", "json")
    assert status.exit_code == 0
    assert json.loads(status.stdout)["schema_version"] is None
    assert not Path(db_path()).exists()


def _pg_tables(location: str) -> list[str]:
    import psycopg

    from stackctl.store.postgres.schema import TABLES_SQL

    with psycopg.connect(location, autocommit=True) as conn:
        return [str(row[0]) for row in conn.execute(TABLES_SQL)]


READ_ONLY = [
    ["db", "status"],
    ["stacks", "list"],
    ["models", "list", "--stack", "full"],
    ["conv", "list"],
    ["conv", "get", "conv_nonexistent1"],
    ["conv", "items", "list", "conv_nonexistent1"],
    ["conv", "delete", "conv_nonexistent1"],
    ["responses", "list"],
    ["responses", "delete", "resp_nonexistent1"],
]


def test_on_an_empty_postgresql_database_a_dry_run_and_reads_write_nothing(
    cli: Any, run_yaml: Path, pg_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKCTL_DB", pg_location)
    assert _pg_tables(pg_location) == []
    dry = register(cli, run_yaml, "--dry-run")
    assert _pg_tables(pg_location) == []  # no table, no schema_migrations row
    for argv in READ_ONLY:
        result = cli(*argv, "-o", "json")
        assert result.exit_code in (0, 4), (argv, result.stderr)
        assert "nothing is stored yet" in result.stderr, argv
    assert _pg_tables(pg_location) == []
    # The dry run said what registering does: on the empty database, every item created (but those the
    # file disables, skipped).
    assert dry["dry_run"] is True
    skipped = [change for change in dry["changes"] if change["action"] == "skipped"]
    assert all(change["reason"] for change in skipped)
    assert {change["action"] for change in dry["changes"]} == {"created", "skipped"}
    real = register(cli, run_yaml)
    assert real == {**dry, "dry_run": False}
    assert "schema_migrations" in _pg_tables(pg_location)
    again = register(cli, run_yaml, "--dry-run")  # a dry run on a database that exists: as before
    assert {change["action"] for change in again["changes"]} == {"unchanged", "skipped"}


def test_unknown_provider_id_exits_3(cli: Any, tmp_path: Path, run_yaml: Path) -> None:
    write_config(
        tmp_path,
        run_yaml.read_text().replace("provider_id: basic\n  description", "provider_id: nope\n  description"),
    )
    result = cli("register", str(run_yaml), env=ENV)
    assert result.exit_code == 3
    assert "nope" in result.stderr
    assert cli("stacks", "list", "-o", "json").stdout.count('"name"') == 0


# Fields some kinds require besides their id.
EXTRA_FIELDS = {
    "benchmark": ["--set", "dataset_id=simpleqa", "--set", 'scoring_functions=["basic::equality"]']
}


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_resource_commands(cli: Any, run_yaml: Path, kind: Any) -> None:
    register(cli, run_yaml)
    listed = json.loads(cli(kind.cli, "list", "-o", "json").stdout)
    assert listed["object"] == "list"
    assert listed["data"]
    first = listed["data"][0]["identifier"]
    got = cli(kind.cli, "get", first, "-o", "json")
    assert got.exit_code == 0
    assert json.loads(got.stdout)["type"] == kind.name
    provider = listed["data"][0]["provider_id"]
    required = EXTRA_FIELDS.get(kind.name, [])
    added = cli(
        kind.cli,
        "register",
        "extra-one",
        "--provider-id",
        provider,
        "--stack",
        "full",
        *required,
        "-o",
        "json",
    )
    assert added.exit_code == 0, added.stderr
    identifier = json.loads(added.stdout)["id"]
    assert json.loads(added.stdout)["action"] == "created"
    assert cli(kind.cli, "get", identifier).exit_code == 0
    assert cli(kind.cli, "unregister", identifier).exit_code == 0
    assert cli(kind.cli, "get", identifier).exit_code == 4
    assert cli(kind.cli, "unregister", identifier).exit_code == 4
    assert cli(kind.cli, "list", "--stack", "missing").exit_code == 4


def test_registered_model_follows_the_identifier_rule(cli: Any, run_yaml: Path) -> None:
    register(cli, run_yaml)
    same = cli(
        "models", "register", "m1", "--provider-id", "fireworks", "--provider-resource-id", "m1", "-o", "json"
    )
    assert json.loads(same.stdout)["id"] == "fireworks/m1"
    alias = cli(
        "models",
        "register",
        "short",
        "--provider-id",
        "fireworks",
        "--provider-resource-id",
        "long/name",
        "-o",
        "json",
    )
    assert json.loads(alias.stdout)["id"] == "short"
    assert cli("models", "register", "x", "--provider-id", "faiss").exit_code == 3


def test_two_stacks_need_stack_to_write(cli: Any, tmp_path: Path) -> None:
    register(cli, write_config(tmp_path, full_config(tmp_path, "one"), "one.yaml"))
    register(cli, write_config(tmp_path, full_config(tmp_path, "two"), "two.yaml"))
    assert cli("models", "list").exit_code == 0  # lists both stacks (tests/cli/test_current_stack.py)
    assert cli("models", "register", "x", "--provider-id", "fireworks").exit_code == 2
    assert cli("models", "list", "--stack", "two").exit_code == 0
    assert cli("models", "get", "llama-70b", "--stack", "three").exit_code == 4


def test_stacks_list_show_delete(cli: Any, run_yaml: Path) -> None:
    register(cli, run_yaml)
    listed = json.loads(cli("stacks", "list", "-o", "json").stdout)["data"]
    assert [(s["name"], s["providers"], s["resources"]) for s in listed] == [("full", 10, 9)]
    shown = json.loads(cli("stacks", "show", "full", "-o", "json").stdout)
    fireworks = next(p for p in shown["providers"] if p["provider_id"] == "fireworks")
    assert fireworks["config"]["api_key"] == "${env.FIREWORKS_API_KEY}"
    assert cli("stacks", "show", "nope").exit_code == 4
    assert cli("stacks", "delete", "full").exit_code == 0
    tables = dump_tables(db_path())
    assert (tables["stacks"], tables["stack_providers"], tables["resources"]) == ([], [], [])
    assert cli("stacks", "delete", "full").exit_code == 4


def _database_bytes() -> dict[str, bytes]:
    return {
        suffix: Path(db_path() + suffix).read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(db_path() + suffix).exists()
    }


def test_values_from_the_environment_never_reach_the_database(
    cli: Any, tmp_path: Path, run_yaml: Path
) -> None:
    secret = "sk-very-secret-123"
    text = run_yaml.read_text().replace(
        "  description: exact match\n",
        "  description: exact match\n  params:\n    api_token: ${env.SCORING_TOKEN}\n",
    )
    write_config(tmp_path, text)
    env = {"FIREWORKS_API_KEY": secret, "SCORING_TOKEN": "tok-from-env-789"}
    result = cli("register", str(run_yaml), env=env)
    assert result.exit_code == 0, result.stderr
    assert cli("models", "refresh", env={**env, "STACKCTL_INFERENCE_MODE": "nope"}).exit_code == 3
    for data in _database_bytes().values():
        assert secret.encode() not in data
        assert b"tok-from-env-789" not in data


LITERAL_KEYS = """\
version: 2
image_name: literal
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: sk-literal-123
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      url: http://127.0.0.1:1/v1
      api_token: fake
models:
- model_id: gpt-4.1
  provider_id: openai
"""


def test_a_literal_secret_is_refused_and_the_database_unchanged(
    cli: Any, tmp_path: Path, run_yaml: Path
) -> None:
    register(cli, run_yaml)
    before = _database_bytes()
    path = write_config(tmp_path, LITERAL_KEYS, "literal.yaml")
    result = cli("register", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "literal_secret"
    tail = "a literal secret; it would be stored in the database"
    assert error["details"] == [
        f"providers.inference[0].config.api_key ({path}:8): {tail}",
        f"providers.inference[1].config.api_token ({path}:13): {tail}",
    ]
    assert "${env.NAME}" in error["hint"]
    assert _database_bytes() == before
    assert b"sk-literal-123" not in b"".join(before.values())


def test_a_literal_secret_is_refused_on_a_fresh_database_which_stays_absent(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, LITERAL_KEYS, "literal.yaml")
    assert cli("register", str(path)).exit_code == 3
    assert not Path(db_path()).exists()


DEFAULTED_KEY = """\
version: 2
image_name: local
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      base_url: ${env.OPENAI_BASE_URL:=http://127.0.0.1:9/v1}
      api_key: ${env.OPENAI_API_KEY:=none}
  - provider_id: other
    provider_type: remote::openai
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.OTHER_API_KEY}
models:
- model_id: gpt-4.1
  provider_id: openai
"""


def test_references_are_stored_as_written_and_unset_secrets_are_warnings(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, DEFAULTED_KEY, "local.yaml")
    result = cli(
        "register", str(path), "-o", "json", env={"OPENAI_API_KEY": "sk-set-now", "OTHER_API_KEY": ""}
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"warning: providers.inference[1].config.api_key ({path}:14): environment variable OTHER_API_KEY is "
        "not set; this secret is read from the environment when the provider is called\n"
    )
    with sqlite3.connect(db_path()) as conn:
        stored = dict(conn.execute("SELECT provider_id, config FROM stack_providers").fetchall())
    assert json.loads(stored["openai"])["api_key"] == "${env.OPENAI_API_KEY:=none}"
    assert json.loads(stored["other"])["api_key"] == "${env.OTHER_API_KEY}"
    assert b"sk-set-now" not in b"".join(_database_bytes().values())
    # Output masks the defaults of secret fields unless asked.
    shown = json.loads(cli("stacks", "show", "local", "-o", "json").stdout)
    assert shown["providers"][0]["config"]["api_key"] == "${env.OPENAI_API_KEY:=********}"
    clear = json.loads(cli("stacks", "show", "local", "-o", "json", "--show-secrets").stdout)
    assert clear["providers"][0]["config"]["api_key"] == "${env.OPENAI_API_KEY:=none}"


def test_other_missing_variables_stay_errors(cli: Any, tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        DEFAULTED_KEY.replace(
            "http://127.0.0.1:9/v1\n      api_key: ${env.OTHER",
            "${env.OTHER_URL}\n      api_key: ${env.OTHER",
        ),
        "local.yaml",
    )
    result = cli("register", str(path))
    assert result.exit_code == 3
    assert "OTHER_URL is not set" in result.stderr
    assert "OTHER_API_KEY" not in result.stderr


def test_models_refresh(cli: Any, tmp_path: Path, fake_openai: Any) -> None:
    path = write_config(tmp_path, OPENAI_STACK.replace("@URL@", fake_openai.base_url))
    env = {"FAKE_KEY": "fake-key"}
    assert cli("register", str(path), env=env).exit_code == 0
    result = cli("models", "refresh", "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["created"] == 2
    assert {c["id"] for c in report["changes"]} == {"fake/fake-model", "fake/fake-model-large"}
    assert fake_openai.requests[-1].headers.get("authorization") == "Bearer fake-key"
    again = json.loads(cli("models", "refresh", "--stack", "local", "-o", "json", env=env).stdout)
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 2, "skipped": 0, "pruned": 0}
    listed = json.loads(cli("models", "list", "-o", "json").stdout)["data"]
    assert [m["identifier"] for m in listed] == ["fake/fake-model", "fake/fake-model-large"]


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        ("[fake-model-large]", ["fake/fake-model-large"]),
        ("${env.ALLOWED:=fake-model}", ["fake/fake-model"]),
        ("${env.UNSET_ALLOWED:=}", ["fake/fake-model", "fake/fake-model-large"]),
    ],
)
def test_models_refresh_keeps_to_allowed_models(
    cli: Any, tmp_path: Path, fake_openai: Any, allowed: str, expected: list[str]
) -> None:
    text = OPENAI_STACK.replace("@URL@", fake_openai.base_url) + f"      allowed_models: {allowed}\n"
    env = {"FAKE_KEY": "fake-key"}
    assert cli("register", str(write_config(tmp_path, text)), env=env).exit_code == 0
    assert cli("models", "refresh", env=env).exit_code == 0
    listed = json.loads(cli("models", "list", "-o", "json").stdout)["data"]
    assert [m["identifier"] for m in listed] == expected


def test_models_refresh_unreachable_provider_exits_6(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, OPENAI_STACK.replace("@URL@", "http://127.0.0.1:9/v1"))
    env = {"FAKE_KEY": "k"}
    assert cli("register", str(path), env=env).exit_code == 0
    before = dump_tables(db_path())
    result = cli("models", "refresh", env=env)
    assert result.exit_code == 6
    assert result.stderr.startswith("error:")
    assert dump_tables(db_path()) == before


SECRETS_STACK = """\
version: 2
image_name: secrets
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: ${env.MY_OPENAI_KEY:=sk-proj-DEFAULTSECRET}
  files:
  - provider_id: s3
    provider_type: remote::s3
    config:
      bucket_name: bucket
      aws_access_key_id: ${env.AWS_KEY_ID:=AKIADEFAULTKEYID}
      aws_secret_access_key: ${env.AWS_SECRET}
      metadata_store: {type: sqlite, db_path: files.db}
"""


def test_marked_secrets_are_stored_as_written_and_masked_in_output(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, SECRETS_STACK)
    assert cli("register", str(path), env={"AWS_SECRET": "x", "AWS_KEY_ID": "AKIAFROMENV"}).exit_code == 0
    shown = json.loads(cli("stacks", "show", "secrets", "-o", "json").stdout)
    configs = {p["provider_id"]: p["config"] for p in shown["providers"]}
    # aws_access_key_id is secret by its schema only; the name is not secret-like.
    assert configs["s3"]["aws_access_key_id"] == "${env.AWS_KEY_ID:=********}"
    assert configs["s3"]["aws_secret_access_key"] == "${env.AWS_SECRET}"  # a reference names no secret
    assert configs["openai"]["api_key"] == "${env.MY_OPENAI_KEY:=********}"
    data = b"".join(_database_bytes().values())
    assert b"AKIAFROMENV" not in data  # from the environment: never stored
    assert b"sk-proj-DEFAULTSECRET" in data  # the file's own text, stored as written


def test_a_literal_in_a_schema_marked_secret_field_is_refused(cli: Any, tmp_path: Path) -> None:
    text = SECRETS_STACK.replace("${env.AWS_KEY_ID:=AKIADEFAULTKEYID}", "AKIAREALKEYID12345")
    result = cli("register", str(write_config(tmp_path, text)), env={"AWS_SECRET": "x"})
    assert result.exit_code == 3
    assert "providers.files[0].config.aws_access_key_id" in result.stderr


def test_provider_config_json_cannot_hold_is_stored_as_json(cli: Any, tmp_path: Path) -> None:
    text = SECRETS_STACK.replace(
        "      metadata_store: {type: sqlite, db_path: files.db}\n",
        "      metadata_store: {type: sqlite, created: 2024-01-01, ratio: .nan}\n",
    )
    path = write_config(tmp_path, text)
    result = cli("register", str(path), "-o", "json", env={"AWS_SECRET": "x"})
    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("stacks", "show", "secrets", "-o", "json").stdout)
    s3 = next(p for p in shown["providers"] if p["provider_id"] == "s3")
    assert s3["config"]["metadata_store"] == {"type": "sqlite", "created": "2024-01-01", "ratio": None}
    again = json.loads(cli("register", str(path), "-o", "json", env={"AWS_SECRET": "x"}).stdout)
    assert again["summary"]["unchanged"] == len(again["changes"])


SHIFTED = """\
version: 2
image_name: shifted
providers:
  inference:
  - provider_id: fireworks
    provider_type: remote::fireworks
    config:
      api_key: ${env.FIREWORKS_API_KEY}
models:
- model_id: old
  provider_id: ${env.OLD_PROVIDER:=__disabled__}
- model_id: ${env.OPTIONAL_MODEL:+optional}
- model_id: m2
  provider_id: ollama
"""


def test_register_warnings_and_errors_name_the_entries_in_the_file(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, SHIFTED)
    result = cli("register", str(path), "-o", "json", env=ENV)
    assert result.exit_code == 3
    assert json.loads(result.stderr)["error"]["details"] == [
        "models[2].provider_id: the stack has no inference provider 'ollama'"
    ]
    write_config(tmp_path, SHIFTED.replace("provider_id: ollama", "provider_id: fireworks"))
    result = cli("register", str(path), env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "warning: models[0]: dropped: its provider_id is __disabled__\n" in result.stderr
    assert "old" not in result.stdout
    assert "fireworks/m2" in result.stdout


def test_a_resource_of_a_disabled_provider_is_skipped_even_with_its_variables_unset(
    cli: Any, tmp_path: Path
) -> None:
    text = TOGGLED.replace(
        "- model_id: llama3.2:3b\n  provider_id: ollama\n",
        (
            "- model_id: ${env.OLLAMA_MODEL}\n  provider_id: ${env.OLLAMA_ON:+ollama}\n"
            "  provider_model_id: ${env.OLLAMA_MODEL}\n"
        ),
    )
    result = cli("register", str(write_config(tmp_path, text)), "-o", "json")
    assert result.exit_code == 0, result.stderr
    models = [c for c in json.loads(result.stdout)["changes"] if c["kind"] == "model"]
    assert [c["action"] for c in models] == ["skipped"]
    assert "skipped" in result.stderr


def test_register_loads_the_file_once_with_the_gc_paused(cli, tmp_path, monkeypatch):
    import gc

    import yaml

    from stackctl.config import yamlio

    calls: list[bool] = []
    real_compose = yaml.compose

    def counting_compose(*args, **kwargs):
        calls.append(gc.isenabled())
        return real_compose(*args, **kwargs)

    def no_load(*args, **kwargs):
        raise AssertionError("the data is built from the composed nodes, not parsed again")

    monkeypatch.setattr(yaml, "compose", counting_compose)
    monkeypatch.setattr(yaml, "load", no_load)
    yamlio._composed.cache_clear()
    path = tmp_path / "run.yaml"
    path.write_text(
        "version: 2\nimage_name: once\napis: [inference]\nproviders:\n  inference:\n"
        "  - provider_id: ollama\n    provider_type: remote::ollama\n    config:\n      url: http://127.0.0.1:1\n"
        "models:\n- model_id: m\n  provider_id: ollama\n  provider_model_id: m\n"
    )
    result = cli("register", str(path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert calls == [False]  # one parse (load, line map and duplicate-key check share it), collector off
    path.write_text(path.read_text() + "models: []\n")  # a duplicate key: found in the same one parse
    result = cli("register", str(path), "-o", "json")
    assert result.exit_code == 3 and "duplicate key 'models'" in result.stderr
    assert calls == [False, False]
    assert gc.isenabled()


def test_a_model_got_by_its_model_id_names_its_identifier(cli: Any, run_yaml: Path) -> None:
    register(cli, run_yaml)
    models = json.loads(cli("models", "list", "-o", "json").stdout)["data"]
    prefixed = next(m for m in models if m["identifier"] != m["provider_resource_id"])
    result = cli("models", "get", prefixed["provider_resource_id"])
    assert result.exit_code == 4
    assert f"hint: did you mean '{prefixed['identifier']}'?" in result.stderr
    assert "see 'stackctl models list'" in cli("models", "get", "no-such-model").stderr
