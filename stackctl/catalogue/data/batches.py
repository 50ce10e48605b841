"""Built-in providers of the `batches` API: OpenAI-compatible batch jobs."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field, kv_ref, kvstore_field

API = "batches"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::reference",
        "description": "Reference batch processor: runs batch requests against the stack's inference.",
        "api_dependencies": ("inference", "files", "models"),
        "optional_api_dependencies": (),
        "fields": (
            kvstore_field("Store for batch metadata."),
            field("max_concurrent_batches", "int", "Batches processed at the same time.", default=1),
            field(
                "max_concurrent_requests_per_batch",
                "int",
                "Requests in flight per batch.",
                default=10,
            ),
        ),
        "sample": {"kvstore": kv_ref("batches")},
    },
)
