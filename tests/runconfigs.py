"""Run configs for registry tests, and a byte-for-byte view of every table of a database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackctl.store.database import Database

# A stack with all seven resource kinds and the providers they (and their API dependencies) need. The
# ollama provider is disabled unless OLLAMA_URL is set, so its model is skipped.
FULL = """\
version: 2
image_name: @NAME@
apis: [inference, safety, vector_io, datasetio, scoring, eval, agents, tool_runtime, files]
providers:
  inference:
  - provider_id: fireworks
    provider_type: remote::fireworks
    config:
      url: https://api.fireworks.ai/inference/v1
      api_key: ${env.FIREWORKS_API_KEY}
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config:
      url: ${env.OLLAMA_URL:=http://localhost:11434}
  safety:
  - provider_id: llama-guard
    provider_type: inline::llama-guard
    config: {excluded_categories: []}
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      kvstore: {type: sqlite, db_path: @DATA@/faiss.db}
  datasetio:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      kvstore: {type: sqlite, db_path: @DATA@/ds.db}
  scoring:
  - provider_id: basic
    provider_type: inline::basic
    config: {}
  eval:
  - provider_id: meta-reference
    provider_type: inline::meta-reference
    config:
      kvstore: {type: sqlite, db_path: @DATA@/eval.db}
  agents:
  - provider_id: meta-reference
    provider_type: inline::meta-reference
    config:
      persistence_store: {type: sqlite, db_path: @DATA@/agents.db}
      responses_store: {type: sqlite, db_path: @DATA@/resp.db}
  files:
  - provider_id: localfs
    provider_type: inline::localfs
    config:
      storage_dir: @DATA@/files
      metadata_store: {type: sqlite, db_path: @DATA@/files.db}
  tool_runtime:
  - provider_id: tavily-search
    provider_type: remote::tavily-search
    config:
      api_key: ${env.TAVILY_SEARCH_API_KEY:=}
      max_results: 3
  - provider_id: rag-runtime
    provider_type: inline::rag-runtime
    config: {}
models:
- model_id: llama-70b
  provider_id: fireworks
  provider_model_id: accounts/fireworks/models/llama-v3p1-70b-instruct
  model_type: llm
- model_id: accounts/fireworks/models/llama-guard-3-8b
  provider_id: fireworks
  provider_model_id: accounts/fireworks/models/llama-guard-3-8b
- model_id: llama3.2:3b
  provider_id: ollama
shields:
- shield_id: llama-guard
  provider_id: llama-guard
  provider_shield_id: accounts/fireworks/models/llama-guard-3-8b
vector_dbs:
- vector_db_id: docs
  provider_id: faiss
  embedding_model: all-MiniLM-L6-v2
  embedding_dimension: 384
datasets:
- dataset_id: simpleqa
  provider_id: localfs
  purpose: eval/messages-answer
  source: {type: uri, uri: "huggingface://datasets/llamastack/simpleqa"}
scoring_fns:
- scoring_fn_id: basic::equality
  provider_id: basic
  description: exact match
  return_type: {type: number}
benchmarks:
- benchmark_id: meta-reference-simpleqa
  provider_id: meta-reference
  dataset_id: simpleqa
  scoring_functions: [basic::equality]
tool_groups:
- toolgroup_id: builtin::websearch
  provider_id: tavily-search
- toolgroup_id: builtin::rag
  provider_id: rag-runtime
"""


def full_config(tmp: Path, name: str = "full") -> str:
    return FULL.replace("@DATA@", str(tmp)).replace("@NAME@", name)


def write_config(tmp: Path, text: str, filename: str = "run.yaml") -> Path:
    path = tmp / filename
    path.write_text(text)
    return path


def dump_tables(db: str | Path | Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a fixed order: equal dumps mean nothing changed, timestamps included.

    `db` is an open database (either backend) or a location, opened for the dump and closed after."""
    from stackctl.store.open import connect

    if isinstance(db, str | Path):
        with connect(str(db)) as opened:
            return dump_tables(opened)
    return {
        name: sorted((tuple(r) for r in db.execute(f'SELECT * FROM "{name}"').fetchall()), key=repr)  # noqa: S608
        for name in db.tables()
    }


# A stack whose one inference provider is an OpenAI-compatible server at @URL@ (the fake provider in tests).
OPENAI_STACK = """\
version: 2
image_name: local
apis: [inference]
providers:
  inference:
  - provider_id: fake
    provider_type: remote::openai
    config:
      base_url: @URL@
      api_key: ${env.FAKE_KEY}
"""
