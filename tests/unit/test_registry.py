"""The registry core on a real SQLite file: register, plan and diff, the model identifier rule, refresh."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from stackctl.catalogue.stack import catalogue_for
from stackctl.config.pipeline import render_config
from stackctl.config.resolver import resolve
from stackctl.config.yamlio import load_yaml
from stackctl.errors import (
    ConfigError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UpstreamError,
    UsageError,
)
from stackctl.inference.client import client_for_provider
from stackctl.inference.retries import RetryPolicy
from stackctl.models.kinds import KINDS
from stackctl.registry.apply import register
from stackctl.registry.records import Report, model_identifier, require_stack
from stackctl.registry.refresh import refresh_models
from stackctl.store import registry as store
from stackctl.store.database import Database
from stackctl.store.open import open_database
from tests.runconfigs import OPENAI_STACK, dump_tables, full_config

ENV = {"FIREWORKS_API_KEY": "sk-test"}


@pytest.fixture
def db(db_location: str) -> Database:
    database = open_database(db_location)
    yield database
    database.close()


def apply(db: Database, text: str, env: Mapping[str, str] = ENV, **options: Any) -> Report:
    data = text.encode()
    schemas = catalogue_for(env)
    rendered = render_config(data, "run.yaml", env, home="/home/u", schemas=schemas)
    stack = resolve(rendered.document, schemas, "run.yaml", rendered.origins)
    raw = load_yaml(data, "run.yaml")
    return register(db, raw, rendered, stack, env, source="run.yaml", now=options.pop("now", 1000), **options)


def actions(report: Report) -> dict[tuple[str, str], str]:
    return {(c.kind, c.id): c.action for c in report.changes}


@pytest.mark.parametrize(
    ("model_id", "provider_model_id", "expected"),
    [
        ("llama-70b", "accounts/x/llama-70b", "llama-70b"),
        ("accounts/x/llama-70b", "accounts/x/llama-70b", "fireworks/accounts/x/llama-70b"),
        ("llama3.2:3b", None, "fireworks/llama3.2:3b"),
    ],
)
def test_model_identifier_rule(model_id: str, provider_model_id: str | None, expected: str) -> None:
    assert model_identifier(model_id, "fireworks", provider_model_id) == expected


def test_every_kind_is_created(db: Database, tmp_path: Path) -> None:
    report = apply(db, full_config(tmp_path))
    created = {kind for (kind, _), action in actions(report).items() if action == "created"}
    assert set(KINDS) <= created
    for kind in KINDS:
        assert store.resources(db, "full", kind), kind
    assert actions(report)[("model", "llama-70b")] == "created"
    assert actions(report)[("model", "fireworks/accounts/fireworks/models/llama-guard-3-8b")] == "created"
    assert actions(report)[("model", "ollama/llama3.2:3b")] == "skipped"
    assert any("llama3.2:3b" in w and "disabled" in w for w in report.warnings)


def test_second_registration_changes_no_row(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path)
    apply(db, text, now=1000)
    before = dump_tables(db)
    again = apply(db, text, now=2000)
    assert set(actions(again).values()) <= {"unchanged", "skipped"}
    assert again.to_wire()["summary"]["created"] == 0
    assert dump_tables(db) == before


def test_changed_field_is_updated(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path)
    apply(db, text, now=1000)
    report = apply(db, text.replace("embedding_dimension: 384", "embedding_dimension: 768"), now=2000)
    assert actions(report)[("vector_db", "docs")] == "updated"
    assert actions(report)[("model", "llama-70b")] == "unchanged"
    row = store.get_resource(db, "full", "vector_db", "docs")
    assert row is not None
    assert (row["spec"]["embedding_dimension"], row["created_at"], row["updated_at"]) == (768, 1000, 2000)


def test_prune_only_with_prune(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path)
    apply(db, text)
    shorter = text.replace("- toolgroup_id: builtin::rag\n  provider_id: rag-runtime\n", "")
    kept = apply(db, shorter)
    assert ("tool_group", "builtin::rag") not in actions(kept)
    assert store.get_resource(db, "full", "tool_group", "builtin::rag") is not None
    pruned = apply(db, shorter, prune=True)
    assert actions(pruned)[("tool_group", "builtin::rag")] == "pruned"
    assert store.get_resource(db, "full", "tool_group", "builtin::rag") is None
    assert store.get_resource(db, "full", "tool_group", "builtin::websearch") is not None


def test_dropping_a_provider_that_kept_resources_use_needs_prune(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path)
    apply(db, text)
    renamed = text.replace("  - provider_id: llama-guard\n", "  - provider_id: guard2\n").replace(
        "- shield_id: llama-guard\n  provider_id: llama-guard\n"
        "  provider_shield_id: accounts/fireworks/models/llama-guard-3-8b\n",
        "",
    )
    assert renamed.count("guard2") == 1 and "shield_id: llama-guard" not in renamed
    before = dump_tables(db)
    with pytest.raises(ConflictError) as info:
        apply(db, renamed)
    assert info.value.exit_code == 5
    assert info.value.details == ["shield 'llama-guard' uses provider 'llama-guard'"]
    assert dump_tables(db) == before
    report = apply(db, renamed, prune=True)
    assert actions(report)[("shield", "llama-guard")] == "pruned"
    assert actions(report)[("provider", "safety/llama-guard")] == "pruned"
    assert store.get_resource(db, "full", "shield", "llama-guard") is None


def test_dry_run_writes_nothing(db: Database, tmp_path: Path) -> None:
    before = dump_tables(db)
    report = apply(db, full_config(tmp_path), dry_run=True)
    assert report.dry_run
    assert actions(report)[("shield", "llama-guard")] == "created"
    assert dump_tables(db) == before


def test_unknown_provider_id_is_an_error_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path).replace(
        "- shield_id: llama-guard\n  provider_id: llama-guard",
        "- shield_id: llama-guard\n  provider_id: nope",
    )
    before = dump_tables(db)
    with pytest.raises(ConfigError) as info:
        apply(db, text)
    assert any("nope" in line for line in info.value.details)
    assert dump_tables(db) == before


def test_dunder_disabled_provider_skips_its_resources(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path).replace(
        "provider_id: ${env.OLLAMA_URL:+ollama}", "provider_id: ${env.ENABLE_OLLAMA:=__disabled__}"
    )
    report = apply(db, text)
    assert actions(report)[("model", "ollama/llama3.2:3b")] == "skipped"
    enabled = apply(db, text, env={**ENV, "ENABLE_OLLAMA": "ollama"})
    assert actions(enabled)[("model", "ollama/llama3.2:3b")] == "created"


def test_resource_with_null_provider_is_skipped_under_its_rendered_id(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path).replace(
        "shields:\n",
        "- model_id: ${env.INFERENCE_MODEL:=llama3.2:1b}\n  provider_id: ${env.MODEL_PROVIDER:=}\n"
        "shields:\n- shield_id: ${env.SAFETY_MODEL:+guard-2}\n"
        "  provider_id: ${env.SAFETY_MODEL:+llama-guard}\n",
        1,
    )
    report = apply(db, text)
    assert actions(report)[("model", "llama3.2:1b")] == "skipped"
    assert any("'llama3.2:1b' skipped" in w for w in report.warnings)
    assert not any("${env." in c.id for c in report.changes)
    assert not any("guard-2" in c.id for c in report.changes)  # null id: dropped, not skipped
    enabled = apply(db, text, env={**ENV, "MODEL_PROVIDER": "fireworks", "SAFETY_MODEL": "on"})
    assert actions(enabled)[("model", "fireworks/llama3.2:1b")] == "created"
    assert actions(enabled)[("shield", "guard-2")] == "created"


def test_secrets_are_not_stored(db: Database, tmp_path: Path) -> None:
    text = full_config(tmp_path).replace(
        "  description: exact match\n",
        "  description: exact match\n  params: {api_token: literal-secret-456}\n",
    )
    apply(db, text, env={"FIREWORKS_API_KEY": "sk-very-secret-123"})
    fireworks = next(p for p in store.providers(db, "full") if p["provider_id"] == "fireworks")
    assert fireworks["config"]["api_key"] == "${env.FIREWORKS_API_KEY}"
    spec = store.get_resource(db, "full", "scoring_fn", "basic::equality")["spec"]  # type: ignore[index]
    assert spec["params"]["api_token"] == "********"


def test_require_stack(db: Database, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        require_stack(db, None)
    apply(db, full_config(tmp_path, "one"))
    assert require_stack(db, None) == "one"
    apply(db, full_config(tmp_path, "two"))
    with pytest.raises(UsageError):
        require_stack(db, None)
    with pytest.raises(NotFoundError):
        require_stack(db, "three")


class FakeClient:
    def __init__(self, models: list[str]) -> None:
        self.models = models

    def list_models(self) -> list[dict[str, Any]]:
        return [{"id": m, "object": "model"} for m in self.models]

    def close(self) -> None:
        pass


def test_refresh_records_reported_models(db: Database, tmp_path: Path) -> None:
    apply(db, full_config(tmp_path))
    seen: list[tuple[str, Any, str]] = []

    def factory(provider_type: str, config: Any, provider_id: str) -> FakeClient:
        seen.append((provider_type, config, provider_id))
        return FakeClient(["accounts/fireworks/models/llama-guard-3-8b", "new-model"])

    report = refresh_models(db, "full", {"FIREWORKS_API_KEY": "sk-now"}, factory, now=5)
    assert seen == [
        (
            "remote::fireworks",
            {"api_key": "sk-now", "url": "https://api.fireworks.ai/inference/v1"},
            "fireworks",
        )
    ]
    assert actions(report) == {
        ("model", "fireworks/accounts/fireworks/models/llama-guard-3-8b"): "unchanged",
        ("model", "fireworks/new-model"): "created",
    }
    row = store.get_resource(db, "full", "model", "fireworks/new-model")
    assert row is not None
    assert row["provider_resource_id"] == "new-model"
    before = dump_tables(db)
    again = refresh_models(db, "full", {"FIREWORKS_API_KEY": "sk-now"}, factory, now=6)
    assert set(actions(again).values()) == {"unchanged"}
    assert dump_tables(db) == before


def test_refresh_needs_the_referenced_variables(db: Database, tmp_path: Path) -> None:
    apply(db, full_config(tmp_path))
    before = dump_tables(db)

    def real_client(provider_type: str, config: Mapping[str, Any], provider_id: str) -> Any:
        return client_for_provider(provider_type, config, provider_id=provider_id)

    # The key is missing: the client refuses before anything is sent, and nothing is written.
    with pytest.raises(
        InvalidInputError, match=r"api_key comes from \$\{env.FIREWORKS_API_KEY\}, which is not set"
    ):
        refresh_models(db, "full", {}, real_client, now=5)
    assert dump_tables(db) == before


def test_refresh_against_the_fake_provider(db: Database, fake_openai: Any) -> None:
    env = {"FAKE_KEY": "k"}
    apply(db, OPENAI_STACK.replace("@URL@", fake_openai.base_url), env=env)

    def factory(provider_type: str, config: Any, provider_id: str) -> Any:
        return client_for_provider(provider_type, config, provider_id=provider_id)

    report = refresh_models(db, "local", env, factory, now=5)
    assert {c.id for c in report.changes} == {"fake/fake-model", "fake/fake-model-large"}
    assert [r["identifier"] for r in store.resources(db, "local", "model")] == [
        "fake/fake-model",
        "fake/fake-model-large",
    ]


def test_refresh_of_an_unreachable_provider_writes_nothing(db: Database) -> None:
    env = {"FAKE_KEY": "k"}
    apply(db, OPENAI_STACK.replace("@URL@", "http://127.0.0.1:9/v1"), env=env)
    before = dump_tables(db)

    def factory(provider_type: str, config: Any, provider_id: str) -> Any:
        return client_for_provider(
            provider_type, config, provider_id=provider_id, retry=RetryPolicy(attempts=1)
        )

    with pytest.raises(UpstreamError):
        refresh_models(db, "local", env, factory, now=5)
    assert dump_tables(db) == before


# --- paths in the file the user wrote -------------------------------------------------------------

AFTER_DROPPED_MODELS = """\
version: 2
image_name: paths
providers:
  inference:
  - provider_id: fireworks
    provider_type: remote::fireworks
    config:
      api_key: ${env.FIREWORKS_API_KEY}
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config:
      url: http://localhost:11434
models:
- model_id: old
  provider_id: ${env.OLD_PROVIDER:=__disabled__}
- model_id: ${env.OPTIONAL_MODEL:+optional}
  provider_id: fireworks
- model_id: llama3.2:3b
  provider_id: ollama
- model_id: ${env.MODEL_ID:=llama-70b}
  provider_id: fireworks
"""


def test_resource_warnings_name_the_entries_in_the_file(db: Database) -> None:
    report = apply(db, AFTER_DROPPED_MODELS)
    assert report.warnings == [
        "models[0]: dropped: its provider_id is __disabled__",
        "providers.inference[1]: provider remote::ollama is disabled (provider_id is null); skipped",
        "models[2]: model 'ollama/llama3.2:3b' skipped: provider 'ollama' is disabled",
    ]
    assert actions(report) == {
        ("stack", "paths"): "created",
        ("provider", "inference/fireworks"): "created",
        ("model", "fireworks/llama-70b"): "created",
        ("model", "ollama/llama3.2:3b"): "skipped",
    }


def test_resource_errors_name_the_entries_in_the_file(db: Database) -> None:
    text = AFTER_DROPPED_MODELS.replace("  provider_id: ollama\n", "  provider_id: nope\n")
    with pytest.raises(ConfigError) as info:
        apply(db, text)
    assert info.value.details == ["models[2].provider_id: the stack has no inference provider 'nope'"]
    head, models = text.split("models:\n")
    nested = "".join(f"  {line}\n" for line in models.splitlines())
    later = f"{head}registered_resources:\n  models:\n{nested}"
    with pytest.raises(ConfigError) as info:
        apply(db, later)
    assert info.value.details == [
        "registered_resources.models[2].provider_id: the stack has no inference provider 'nope'"
    ]
