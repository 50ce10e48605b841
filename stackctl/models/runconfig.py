"""The run config schema (llama-stack's v2 layout is canonical).

These models are the schema's single source. `runconfig_table.json` is generated from them (`python -m
stackctl.models.table`, kept in step by a test) for the pydantic-free validator of `stackctl.config.exact`.

Top level and provider entries forbid unknown keys (typos must not pass silently); resources keep extra
fields, since run configs in the wild carry provider-specific ones.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stackctl.models import field_rules
from stackctl.models.kinds import KINDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Provider(_Strict):
    provider_id: str | None
    provider_type: str
    config: dict[str, Any] = Field(default_factory=dict)
    module: str | None = None

    _config_rule = field_validator("config", mode="before")(field_rules.none_as_empty_dict)


class ModelInput(_Open):
    model_id: str
    provider_id: str | None = None
    provider_model_id: str | None = None
    model_type: str = "llm"
    metadata: dict[str, Any] = Field(default_factory=dict)


class ShieldInput(_Open):
    shield_id: str
    provider_id: str | None = None
    provider_shield_id: str | None = None
    params: dict[str, Any] | None = None


class VectorDBInput(_Open):
    vector_db_id: str
    embedding_model: str | None = None
    embedding_dimension: int | None = None
    provider_id: str | None = None
    provider_vector_db_id: str | None = None


class DatasetInput(_Open):
    dataset_id: str
    purpose: str | None = None
    source: dict[str, Any] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    provider_id: str | None = None


class ScoringFnInput(_Open):
    scoring_fn_id: str
    provider_id: str | None = None
    provider_scoring_fn_id: str | None = None
    description: str | None = None
    return_type: dict[str, Any] | None = None
    params: dict[str, Any] | None = None


class BenchmarkInput(_Open):
    benchmark_id: str
    dataset_id: str
    scoring_functions: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    provider_id: str | None = None
    provider_benchmark_id: str | None = None


class ToolGroupInput(_Open):
    toolgroup_id: str
    provider_id: str | None = None
    args: dict[str, Any] | None = None
    mcp_endpoint: dict[str, Any] | None = None


class AuthConfig(_Open):
    provider_config: dict[str, Any] | None = None
    access_policy: list[Any] = Field(default_factory=list)


class ServerConfig(_Strict):
    port: int = 8321
    host: str | None = None
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    tls_cafile: str | None = None
    auth: AuthConfig | None = None
    quota: dict[str, Any] | None = None
    cors: Any = None
    workers: int | None = None


class StoreConfig(_Open):
    type: str = "sqlite"


class RunConfig(_Strict):
    version: int = 2
    image_name: str
    container_image: str | None = None
    apis: list[str] = Field(default_factory=list)
    providers: dict[str, list[Provider]]
    metadata_store: StoreConfig | None = None
    inference_store: StoreConfig | None = None
    conversations_store: StoreConfig | None = None
    models: list[ModelInput] = Field(default_factory=list)
    shields: list[ShieldInput] = Field(default_factory=list)
    vector_dbs: list[VectorDBInput] = Field(default_factory=list)
    datasets: list[DatasetInput] = Field(default_factory=list)
    scoring_fns: list[ScoringFnInput] = Field(default_factory=list)
    benchmarks: list[BenchmarkInput] = Field(default_factory=list)
    tool_groups: list[ToolGroupInput] = Field(default_factory=list)
    logging: dict[str, Any] | None = None
    server: ServerConfig = Field(default_factory=ServerConfig)
    external_providers_dir: str | None = None
    external_apis_dir: str | None = None
    telemetry: dict[str, Any] | None = None
    storage: dict[str, Any] | None = None
    # The 0.3.x layout's top-level blocks: vector store defaults, and logging settings.
    vector_stores: dict[str, Any] | None = None
    logging_config: dict[str, Any] | None = None

    _list_rule = field_validator("apis", *(kind.key for kind in KINDS.values()), mode="before")(
        field_rules.none_as_empty_list
    )
    _name_rule = field_validator("image_name", mode="before")(field_rules.number_as_text)


# The input model of each resource kind; ids and keys come from the kinds table.
_INPUT_MODELS: dict[str, type[BaseModel]] = {
    "model": ModelInput,
    "shield": ShieldInput,
    "vector_db": VectorDBInput,
    "dataset": DatasetInput,
    "scoring_fn": ScoringFnInput,
    "benchmark": BenchmarkInput,
    "tool_group": ToolGroupInput,
}
# Resource kinds: top-level key -> (id field, model).
RESOURCE_KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    kind.key: (kind.id_field, _INPUT_MODELS[kind.name]) for kind in KINDS.values()
}

TOP_LEVEL_KEYS = frozenset(RunConfig.model_fields) | {"distro_name", "registered_resources"}
