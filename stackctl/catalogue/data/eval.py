"""Built-in providers of the `eval` API: running benchmarks over models and agents."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field, kv_ref, kvstore_field

API = "eval"

_DEPS = ("datasetio", "datasets", "scoring", "inference", "agents")

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::meta-reference",
        "description": "Meta's reference evaluator: generates with a model or agent, then scores.",
        "api_dependencies": _DEPS,
        "optional_api_dependencies": (),
        "fields": (kvstore_field("Store for evaluation jobs."),),
        "sample": {"kvstore": kv_ref("eval")},
    },
    {
        "provider_type": "remote::nvidia",
        "description": "NVIDIA NeMo Evaluator service.",
        "api_dependencies": _DEPS,
        "optional_api_dependencies": (),
        "fields": (
            field("evaluator_url", "str", "URL of the NeMo Evaluator.", default="http://0.0.0.0:7331"),
        ),
        "sample": {"evaluator_url": "${env.NVIDIA_EVALUATOR_URL:=http://localhost:7331}"},
    },
)
