"""The built-in catalogue as plain data: the API table and, per providable API, one module of providers.

Nothing here is validated or turned into objects; `stackctl.catalogue.lookup` does that lazily. Importing this
package imports no provider module; `builtin_providers()` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import Any

PROVIDABLE = "providable"
ROUTING_TABLE = "routing_table"
BUILTIN = "builtin"

# (name, kind, routes, description) in the order llama-stack lists them.
APIS: tuple[tuple[str, str, str | None, str], ...] = (
    ("inference", PROVIDABLE, None, "Chat completions, completions and embeddings from models."),
    ("safety", PROVIDABLE, None, "Shields that screen messages for unsafe content."),
    ("agents", PROVIDABLE, None, "Agents with tools, memory and the OpenAI Responses API."),
    ("batches", PROVIDABLE, None, "OpenAI-compatible batch jobs over many requests."),
    ("vector_io", PROVIDABLE, None, "Vector stores: insert chunks and query by similarity."),
    ("datasetio", PROVIDABLE, None, "Reading and appending rows of datasets."),
    ("scoring", PROVIDABLE, None, "Scoring functions applied to generated rows."),
    ("eval", PROVIDABLE, None, "Running benchmarks against models and agents."),
    ("post_training", PROVIDABLE, None, "Fine-tuning and preference optimization jobs."),
    ("tool_runtime", PROVIDABLE, None, "Executing tools: web search, RAG, MCP servers."),
    ("telemetry", PROVIDABLE, None, "Traces, spans and metrics."),
    ("files", PROVIDABLE, None, "OpenAI-compatible file upload and storage."),
    ("models", ROUTING_TABLE, "inference", "Registered models, routed to inference providers."),
    ("shields", ROUTING_TABLE, "safety", "Registered shields, routed to safety providers."),
    ("vector_dbs", ROUTING_TABLE, "vector_io", "Registered vector databases, routed to vector_io providers."),
    ("datasets", ROUTING_TABLE, "datasetio", "Registered datasets, routed to datasetio providers."),
    (
        "scoring_functions",
        ROUTING_TABLE,
        "scoring",
        "Registered scoring functions, routed to scoring providers.",
    ),
    ("benchmarks", ROUTING_TABLE, "eval", "Registered benchmarks, routed to eval providers."),
    (
        "tool_groups",
        ROUTING_TABLE,
        "tool_runtime",
        "Registered tool groups, routed to tool_runtime providers.",
    ),
    ("inspect", BUILTIN, None, "Introspection: routes, health and version of the stack."),
    ("providers", BUILTIN, None, "Lists the stack's providers and their configs."),
    ("prompts", BUILTIN, None, "Stored, versioned prompt templates."),
    ("conversations", BUILTIN, None, "OpenAI-compatible conversations and their items."),
)

_MODULES = (
    "inference",
    "safety",
    "agents",
    "batches",
    "vector_io",
    "datasetio",
    "scoring",
    "eval",
    "post_training",
    "tool_runtime",
    "telemetry",
    "files",
)


def builtin_providers() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (api, provider record) for every built-in provider, API by API."""
    for name in _MODULES:
        module = import_module(f"{__name__}.{name}")
        api: str = module.API
        for record in module.PROVIDERS:
            yield api, record
