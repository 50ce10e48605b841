"""Built-in providers of the `datasetio` API: reading and appending dataset rows."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import api_key_field, field, kv_ref, kvstore_field

API = "datasetio"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::localfs",
        "description": "Datasets from local files or URLs (CSV, JSONL, Parquet).",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (kvstore_field("Store for the dataset registry."),),
        "sample": {"kvstore": kv_ref("datasetio::localfs")},
    },
    {
        "provider_type": "remote::huggingface",
        "description": "Datasets from the Hugging Face Hub.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (kvstore_field("Store for the dataset registry."),),
        "sample": {"kvstore": kv_ref("datasetio::huggingface")},
    },
    {
        "provider_type": "remote::nvidia",
        "description": "NVIDIA NeMo Data Store.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            api_key_field("NVIDIA"),
            field("dataset_namespace", "str", "Namespace of the datasets.", default="default"),
            field("project_id", "str", "NeMo project id.", default="test-project"),
            field("datasets_url", "str", "URL of the NeMo Data Store.", default="http://nemo.test"),
        ),
        "sample": {
            "api_key": "${env.NVIDIA_API_KEY:=}",
            "dataset_namespace": "${env.NVIDIA_DATASET_NAMESPACE:=default}",
            "project_id": "${env.NVIDIA_PROJECT_ID:=test-project}",
            "datasets_url": "${env.NVIDIA_DATASETS_URL:=http://nemo.test}",
        },
    },
)
