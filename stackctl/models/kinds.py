"""The seven resource kinds a stack registers, with their id fields and the API that serves each.

Kept free of heavy imports: the CLI builds one command group per kind at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # singular, as reported: "model"
    key: str  # run config key: "models"
    id_field: str
    provider_id_field: str | None  # provider_model_id ...
    api: str  # the API whose providers serve it
    cli: str  # command group: "models", "vector-dbs"
    # Its key under the 0.3.x layout's `registered_resources`, where that differs from `key`.
    renamed: str | None = None

    @property
    def registered_key(self) -> str:
        return self.renamed or self.key


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("model", "models", "model_id", "provider_model_id", "inference", "models"),
        Kind("shield", "shields", "shield_id", "provider_shield_id", "safety", "shields"),
        Kind(
            "vector_db",
            "vector_dbs",
            "vector_db_id",
            "provider_vector_db_id",
            "vector_io",
            "vector-dbs",
            renamed="vector_stores",
        ),
        Kind("dataset", "datasets", "dataset_id", None, "datasetio", "datasets"),
        Kind(
            "scoring_fn", "scoring_fns", "scoring_fn_id", "provider_scoring_fn_id", "scoring", "scoring-fns"
        ),
        Kind("benchmark", "benchmarks", "benchmark_id", "provider_benchmark_id", "eval", "benchmarks"),
        Kind("tool_group", "tool_groups", "toolgroup_id", None, "tool_runtime", "tool-groups"),
    )
}
