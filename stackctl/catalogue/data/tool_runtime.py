"""Built-in providers of the `tool_runtime` API: tools that agents can call."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import api_key_field, field

API = "tool_runtime"


def _search(provider_type: str, service: str, env_name: str, count_field: str) -> dict[str, Any]:
    return {
        "provider_type": provider_type,
        "description": f"Web search through the {service} API.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            api_key_field(service),
            field(count_field, "int", "Number of results returned.", default=3),
        ),
        "sample": {"api_key": f"${{env.{env_name}:=}}", count_field: 3},
    }


PROVIDERS: tuple[dict[str, Any], ...] = (
    _search("remote::brave-search", "Brave Search", "BRAVE_SEARCH_API_KEY", "max_results"),
    _search("remote::bing-search", "Bing Search", "BING_API_KEY", "top_k"),
    _search("remote::tavily-search", "Tavily Search", "TAVILY_SEARCH_API_KEY", "max_results"),
    {
        "provider_type": "remote::wolfram-alpha",
        "description": "Computational answers from Wolfram Alpha.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (api_key_field("Wolfram Alpha"),),
        "sample": {"api_key": "${env.WOLFRAM_ALPHA_API_KEY:=}"},
    },
    {
        "provider_type": "inline::rag-runtime",
        "description": "Retrieval-augmented generation: insert documents and query vector stores.",
        "api_dependencies": ("vector_io", "inference", "files"),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
    {
        "provider_type": "remote::model-context-protocol",
        "description": "Tools served by Model Context Protocol (MCP) servers.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
)
