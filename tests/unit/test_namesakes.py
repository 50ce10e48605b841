"""The shipped templates carry the stacks of their llama-stack 0.3.x namesakes, in the 0.3.x layout."""

from __future__ import annotations

import re

import pytest
import yaml

from stackctl.distros.templates import read_template, template_names

# Facts of llama-stack 0.3.x's shipped run configs: per API, the (provider_id, provider_type) pairs, with a
# conditional id written as its variable. Ours add a files provider where rag-runtime needs one (see
# templates/README.md), and postgres-demo an always-on pgvector.
COMMON_LOCAL = {
    "safety": [("llama-guard", "inline::llama-guard")],
    "agents": [("meta-reference", "inline::meta-reference")],
    "eval": [("meta-reference", "inline::meta-reference")],
    "datasetio": [("huggingface", "remote::huggingface"), ("localfs", "inline::localfs")],
    "scoring": [
        ("basic", "inline::basic"),
        ("llm-as-judge", "inline::llm-as-judge"),
        ("braintrust", "inline::braintrust"),
    ],
    "tool_runtime": [
        ("brave-search", "remote::brave-search"),
        ("tavily-search", "remote::tavily-search"),
        ("rag-runtime", "inline::rag-runtime"),
        ("model-context-protocol", "remote::model-context-protocol"),
    ],
    "files": [("meta-reference-files", "inline::localfs")],
}
NAMESAKES = {
    "watsonx": {
        **COMMON_LOCAL,
        "inference": [("watsonx", "remote::watsonx")],
        "vector_io": [("faiss", "inline::faiss")],
    },
    "meta-reference-gpu": {
        **COMMON_LOCAL,
        "inference": [
            ("meta-reference-inference", "inline::meta-reference"),
            ("sentence-transformers", "inline::sentence-transformers"),
            ("SAFETY_MODEL", "inline::meta-reference"),
        ],
        "vector_io": [("faiss", "inline::faiss")],
    },
    "nvidia": {
        "inference": [("nvidia", "remote::nvidia")],
        "vector_io": [("faiss", "inline::faiss")],
        "safety": [("nvidia", "remote::nvidia")],
        "agents": [("meta-reference", "inline::meta-reference")],
        "eval": [("nvidia", "remote::nvidia")],
        "post_training": [("nvidia", "remote::nvidia")],
        "datasetio": [("nvidia", "remote::nvidia"), ("localfs", "inline::localfs")],
        "scoring": [("basic", "inline::basic")],
        "tool_runtime": [("rag-runtime", "inline::rag-runtime")],
        "files": [("meta-reference-files", "inline::localfs")],
    },
    "open-benchmark": {
        **COMMON_LOCAL,
        "inference": [
            ("openai", "remote::openai"),
            ("anthropic", "remote::anthropic"),
            ("gemini", "remote::gemini"),
            ("groq", "remote::groq"),
            ("together", "remote::together"),
        ],
        "vector_io": [
            ("sqlite-vec", "inline::sqlite-vec"),
            ("ENABLE_CHROMADB", "remote::chromadb"),
            ("ENABLE_PGVECTOR", "remote::pgvector"),
        ],
    },
    "postgres-demo": {
        "inference": [
            ("vllm-inference", "remote::vllm"),
            ("sentence-transformers", "inline::sentence-transformers"),
        ],
        "vector_io": [("ENABLE_CHROMADB", "remote::chromadb"), ("pgvector", "remote::pgvector")],
        "safety": COMMON_LOCAL["safety"],
        "agents": COMMON_LOCAL["agents"],
        "tool_runtime": COMMON_LOCAL["tool_runtime"],
        "files": COMMON_LOCAL["files"],
    },
}
STARTER_INFERENCE = [
    "CEREBRAS_API_KEY",
    "OLLAMA_URL",
    "VLLM_URL",
    "TGI_URL",
    "fireworks",
    "together",
    "bedrock",
    "NVIDIA_API_KEY",
    "openai",
    "anthropic",
    "gemini",
    "VERTEX_AI_PROJECT",
    "groq",
    "sambanova",
    "AZURE_API_KEY",
    "sentence-transformers",
]
ID_KEYS = {
    "models": "model_id",
    "shields": "shield_id",
    "vector_stores": "vector_store_id",
    "datasets": "dataset_id",
    "scoring_fns": "scoring_fn_id",
    "benchmarks": "benchmark_id",
    "tool_groups": "toolgroup_id",
}
CONDITIONAL = re.compile(r"\$\{env\.([A-Z0-9_]+):\+[^}]*\}")


def _doc(name: str) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(read_template(name)[0].decode())


def _pairs(doc: dict, api: str) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(CONDITIONAL.sub(r"\1", p["provider_id"]), p["provider_type"]) for p in doc["providers"][api]]


@pytest.mark.parametrize("name", sorted(NAMESAKES))
def test_namesake_providers(name: str) -> None:
    doc = _doc(name)
    assert {api: _pairs(doc, api) for api in doc["providers"]} == NAMESAKES[name]
    assert sorted(doc["apis"]) == sorted(NAMESAKES[name])


def test_starter_has_every_namesake_provider() -> None:
    doc = _doc("starter")
    assert [pid for pid, _ in _pairs(doc, "inference")] == STARTER_INFERENCE
    assert {api: len(entries) for api, entries in doc["providers"].items()} == {
        "inference": 16,
        "vector_io": 7,
        "files": 1,
        "safety": 2,
        "agents": 1,
        "post_training": 1,
        "eval": 1,
        "datasetio": 2,
        "scoring": 3,
        "tool_runtime": 4,
        "batches": 1,
    }
    assert doc["vector_stores"]["default_provider_id"] == "faiss"
    assert [s["shield_id"] for s in doc["registered_resources"]["shields"]] == ["llama-guard", "code-scanner"]


def test_open_benchmark_resources() -> None:
    resources = _doc("open-benchmark")["registered_resources"]
    assert [d["dataset_id"] for d in resources["datasets"]] == [
        "simpleqa",
        "mmlu_cot",
        "gpqa_cot",
        "math_500",
        "ifeval",
        "docvqa",
    ]
    assert {b["benchmark_id"]: b["dataset_id"] for b in resources["benchmarks"]}[
        "meta-reference-docvqa"
    ] == "docvqa"
    assert len(resources["models"]) == 5


@pytest.mark.parametrize("name", template_names())
def test_layout_03(name: str) -> None:
    """0.3.x layout and storage; a resource that may be switched off has a null-able provider_id, never a
    null-able id (llama-stack reads an empty `:=` default as null, and a resource id may not be null)."""
    text = read_template(name)[0].decode()
    doc = yaml.safe_load(text)
    assert "telemetry" not in doc["providers"] and "telemetry" not in doc["apis"]
    assert set(doc["storage"]["stores"]) == {"metadata", "inference", "conversations"}
    if name != "postgres-demo":
        assert f"${{env.SQLITE_STORE_DIR:=~/.llama/distributions/{name}}}/kvstore.db" in text
    for kind, entries in doc["registered_resources"].items():
        for entry in entries:
            ident = entry[ID_KEYS[kind]]
            assert ":=}" not in ident and ":+" not in ident, (kind, ident)
