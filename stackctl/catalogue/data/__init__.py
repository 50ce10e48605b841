"""The built-in catalogue as plain data: the API table and, per providable API, one module of providers.

Two sources make one record per provider type:

- `facts.json`, the facts of llama-stack's provider registry for the release named in it (config field names,
  types, required flags, defaults, secret marks; api dependencies; pip packages; deprecation; whether a
  config takes extra keys). A field is `[name, type, items, required, default, secret]`, plus `true` for a
  required field that may be null (it must be given, but `null` will do). It is generated,
  never edited by hand: `python scripts/check_against_llama_stack.py --venv VENV regenerate`.
- the modules of this package, one per API: what stackctl adds (descriptions, sample configs, the HTTP
  profile of inference providers), the fields' older names (`renamed_to`), and the types only the older
  layout has.

Nothing here is validated or turned into objects; `stackctl.catalogue.lookup` does that lazily. Importing this
package imports no provider module; `builtin_providers()` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib import import_module
from importlib.resources import files
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
    (
        "telemetry",
        PROVIDABLE,
        None,
        "Traces, spans and metrics (a provider API of the older layout only; 0.3.x has a telemetry block).",
    ),
    ("files", PROVIDABLE, None, "OpenAI-compatible file upload and storage."),
    ("models", ROUTING_TABLE, "inference", "Registered models, routed to inference providers."),
    ("shields", ROUTING_TABLE, "safety", "Registered shields, routed to safety providers."),
    ("vector_stores", ROUTING_TABLE, "vector_io", "Registered vector stores, routed to vector_io providers."),
    (
        "vector_dbs",
        ROUTING_TABLE,
        "vector_io",
        "The older layout's name of vector_stores: registered vector databases.",
    ),
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


OLDER = "older"  # the release of a type that only the older layout has


def facts() -> dict[str, Any]:
    """The generated facts of llama-stack's provider registry (see the module docstring)."""
    loaded: dict[str, Any] = json.loads(files(__name__).joinpath("facts.json").read_text(encoding="utf-8"))
    return loaded


def _field(fact: list[Any], ours: Mapping[str, Any] | None) -> dict[str, Any]:
    """A field as llama-stack has it; stackctl may only add a secret mark (an AWS access key id is one)."""
    name, kind, items, required, default, secret, *nullable = fact  # nullable: only for required fields
    return {
        "nullable": bool(nullable),
        "name": name,
        "type": kind,
        "items": items,
        "required": required,
        "default": default,
        "secret": secret or bool((ours or {}).get("secret")),
        "description": (ours or {}).get("description", ""),
    }


def merge(
    api: str, provider_type: str, fact: Mapping[str, Any], ours: Mapping[str, Any] | None
) -> dict[str, Any]:
    """One provider record: llama-stack's facts, with what stackctl adds from its own record `ours`."""
    ours = ours or {}
    described = {f["name"]: f for f in ours.get("fields", ())}
    fields = [_field(f, described.get(f[0])) for f in fact["fields"]]
    fields.extend(f for f in ours.get("fields", ()) if f.get("renamed_to"))
    where = provider_type.split("::", 1)[0]
    return {
        **ours,
        "provider_type": provider_type,
        "description": ours.get("description") or f"{provider_type}: {where} provider of the {api} API.",
        "api_dependencies": tuple(fact["api_dependencies"]),
        "optional_api_dependencies": tuple(fact["optional_api_dependencies"]),
        "pip_packages": tuple(fact["pip_packages"]),
        "deprecated": fact["deprecated"],
        "open_config": fact.get("extra") == "allow",
        "ignores_unknown": fact.get("extra") in (None, "ignore"),
        "fields": tuple(fields),
    }


def builtin_providers() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (api, provider record) for every built-in provider, API by API: llama-stack's types first, in
    its order, then the types only the older layout has."""
    known = facts()
    for name in _MODULES:
        module = import_module(f"{__name__}.{name}")
        api: str = module.API
        ours = {record["provider_type"]: record for record in module.PROVIDERS}
        for provider_type, fact in known["providers"].get(api, {}).items():
            record = merge(api, provider_type, fact, ours.pop(provider_type, None))
            yield api, {**record, "release": known["release"]}
        for record in ours.values():
            yield api, {**record, "release": OLDER}
