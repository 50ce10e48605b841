"""Built-in providers of the `agents` API: agent turns, tools and the OpenAI Responses API."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field, kv_ref, sql_ref

API = "agents"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::meta-reference",
        "description": "Meta's reference agents: multi-turn sessions, tool calling, RAG and responses.",
        "api_dependencies": ("inference", "safety", "vector_io", "vector_dbs", "tool_runtime", "tool_groups"),
        "optional_api_dependencies": (),
        "fields": (
            field("persistence", "dict", "Storage references: agent_state (key-value) and responses (SQL)."),
            field(
                "persistence_store",
                "dict",
                "Store for agent sessions and turns (older layout).",
                renamed_to="persistence",
            ),
            field(
                "responses_store",
                "dict",
                "SQL store for OpenAI responses (older layout).",
                renamed_to="persistence",
            ),
        ),
        "sample": {"persistence": {"agent_state": kv_ref("agents"), "responses": sql_ref("responses")}},
    },
)
