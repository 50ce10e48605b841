"""Resources are stored as their file writes them, like providers (#21.6): a `${env.*}` reference stays a
reference in the stored spec, in either llama-stack layout, while what identifies the resource (identifier,
provider, provider resource id) is rendered, since that is what calls look up."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.runconfigs import dump_tables, write_config

STACK = """\
version: 2
image_name: written
apis: [inference, vector_io]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai
    config:
      base_url: http://127.0.0.1:9/v1
      api_key: ${env.UPSTREAM_KEY:=none}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      persistence:
        namespace: vector_io::faiss
        backend: kv_default
storage:
  backends:
    kv_default:
      type: kv_sqlite
      db_path: ${env.STATE:=/tmp/stackctl-written}/kv.db
    sql_default:
      type: sql_sqlite
      db_path: ${env.STATE:=/tmp/stackctl-written}/sql.db
  stores:
    metadata:
      namespace: registry
      backend: kv_default
    inference:
      table_name: inference_store
      backend: sql_default
registered_resources:
  models:
  - model_id: off-model
    provider_id: ${env.OFF_PROVIDER:=__disabled__}
  - model_id: ${env.CHAT_MODEL:=chat-1}
    provider_id: fake
    metadata:
      note: served by ${env.UPSTREAM_HOST:=localhost}
      context_length: ${env.CONTEXT:=8192}
      fixed: plain text
  - model_id: embed-1
    provider_id: fake
    model_type: embedding
    metadata:
      embedding_dimension: 384
  vector_stores:
  - vector_store_id: ${env.STORE_ID:=docs}
    provider_id: faiss
    embedding_model: fake/embed-1
    embedding_dimension: ${env.EMBED_DIM:=384}
"""

ENV = {
    "CHAT_MODEL": "chat-from-env",
    "UPSTREAM_HOST": "upstream.internal",
    "CONTEXT": "4096",
    "STORE_ID": "kb",
}


def _register(cli: Any, path: Path, env: dict[str, str]) -> dict[str, Any]:
    result = cli("register", str(path), "-o", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return {f"{c['kind']}:{c['id']}": c["action"] for c in json.loads(result.stdout)["changes"]}


def _get(cli: Any, group: str, identifier: str) -> dict[str, Any]:
    shown = cli(group, "get", identifier, "-o", "json")
    assert shown.exit_code == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


def test_a_resource_spec_keeps_its_references_and_its_identity_is_rendered(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    changes = _register(cli, path, ENV)
    assert changes["model:fake/chat-from-env"] == "created"
    chat = _get(cli, "models", "fake/chat-from-env")
    assert (chat["identifier"], chat["provider_id"], chat["provider_resource_id"]) == (
        "fake/chat-from-env",
        "fake",
        "chat-from-env",
    )
    assert chat["spec"]["model_id"] == "${env.CHAT_MODEL:=chat-1}"
    # The list lost its first item (a disabled provider): the second item's references are its own.
    assert chat["spec"]["metadata"] == {
        "note": "served by ${env.UPSTREAM_HOST:=localhost}",
        "context_length": "${env.CONTEXT:=8192}",
        "fixed": "plain text",
    }
    assert chat["spec"]["provider_id"] == "fake"
    embed = _get(cli, "models", "fake/embed-1")
    assert embed["spec"]["metadata"] == {"embedding_dimension": 384}  # nothing to put back: as rendered
    # `registered_resources.vector_stores` is the canonical `vector_dbs`, its id field renamed: the
    # reference is found under the file's own name for it.
    store = _get(cli, "vector-dbs", "kb")
    assert store["spec"]["vector_db_id"] == "${env.STORE_ID:=docs}"
    assert store["spec"]["embedding_dimension"] == "${env.EMBED_DIM:=384}"
    rows = json.dumps(dump_tables(os.environ["STACKCTL_DB"]), default=str)
    for value in ("upstream.internal", "4096"):
        assert value not in rows


def test_an_environment_value_that_changes_no_identity_changes_nothing(cli: Any, tmp_path: Path) -> None:
    path = write_config(tmp_path, STACK)
    _register(cli, path, ENV)
    again = _register(cli, path, {**ENV, "UPSTREAM_HOST": "elsewhere", "CONTEXT": "2048"})
    assert again["model:fake/chat-from-env"] == "unchanged"  # as a provider's config: the file did not change
    assert again["vector_db:kb"] == "unchanged"
    renamed = _register(cli, path, {**ENV, "CHAT_MODEL": "chat-2"})
    assert renamed["model:fake/chat-2"] == "created"  # a new identity is a new resource
