"""Built-in providers of the `agents` API: agent turns, tools and the OpenAI Responses API."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field, sqlite_store

API = "agents"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::meta-reference",
        "description": "Meta's reference agents: multi-turn sessions, tool calling, RAG and responses.",
        "api_dependencies": ("inference", "safety", "vector_io", "vector_dbs", "tool_runtime", "tool_groups"),
        "optional_api_dependencies": (),
        "fields": (
            field("persistence_store", "dict", "Store for agent sessions and turns."),
            field("responses_store", "dict", "SQL store for OpenAI responses."),
            field("persistence", "dict", "Storage references (newer layout: agent_state and responses)."),
        ),
        "sample": {
            "persistence_store": sqlite_store("agents_store.db"),
            "responses_store": sqlite_store("responses_store.db"),
        },
    },
)
