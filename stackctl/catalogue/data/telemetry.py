"""Built-in providers of the `telemetry` API: traces, spans and metrics."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field, store_path

API = "telemetry"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::meta-reference",
        "description": "Reference telemetry: console, SQLite and OpenTelemetry (OTLP) sinks.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("service_name", "str", "Service name reported to OpenTelemetry."),
            field(
                "sinks",
                "list",
                "Sinks: console, sqlite, otel_trace, otel_metric (a comma-separated string is accepted).",
                default=["console", "sqlite"],
                items="str",
            ),
            field("sqlite_db_path", "str", "Trace database for the sqlite sink."),
            field("otel_exporter_otlp_endpoint", "str", "OTLP endpoint for the otel sinks."),
        ),
        "sample": {
            "service_name": "${env.OTEL_SERVICE_NAME:=stackctl}",
            "sinks": "${env.TELEMETRY_SINKS:=console,sqlite}",
            "sqlite_db_path": store_path("trace_store.db"),
            "otel_exporter_otlp_endpoint": "${env.OTEL_EXPORTER_OTLP_ENDPOINT:=}",
        },
    },
)
