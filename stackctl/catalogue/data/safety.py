"""Built-in providers of the `safety` API: shields that screen model input and output."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import AWS_FIELDS, REMOTE_INFERENCE_FIELDS, api_key_field, field

API = "safety"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::llama-guard",
        "description": "Llama Guard content moderation, run through an inference provider.",
        "api_dependencies": ("inference",),
        "optional_api_dependencies": (),
        "fields": (
            field(
                "excluded_categories",
                "list",
                "Hazard categories (e.g. S1) to ignore.",
                default=[],
                items="str",
            ),
        ),
        "sample": {"excluded_categories": []},
    },
    {
        "provider_type": "inline::prompt-guard",
        "description": "Prompt Guard: detects prompt injection and jailbreak attempts.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("guard_type", "str", "What to detect: injection or jailbreak.", default="injection"),
        ),
        "sample": {"guard_type": "injection"},
    },
    {
        "provider_type": "inline::code-scanner",
        "description": "Static analysis of generated code for insecure patterns (CodeShield).",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
    {
        "provider_type": "remote::bedrock",
        "description": "Amazon Bedrock guardrails.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            *REMOTE_INFERENCE_FIELDS,
            field("auth_credential", "any", "Bedrock API key (bearer token).", secret=True),
            *AWS_FIELDS,
        ),
        "sample": {},
    },
    {
        "provider_type": "remote::nvidia",
        "description": "NVIDIA NeMo Guardrails service.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field(
                "guardrails_service_url",
                "str",
                "URL of the NeMo Guardrails service.",
                default="http://0.0.0.0:7331",
            ),
            field("config_id", "str", "Guardrails configuration id.", default="self-check"),
        ),
        "sample": {
            "guardrails_service_url": "${env.GUARDRAILS_SERVICE_URL:=http://localhost:7331}",
            "config_id": "${env.NVIDIA_GUARDRAILS_CONFIG_ID:=self-check}",
        },
    },
    {
        "provider_type": "remote::sambanova",
        "description": "SambaNova Cloud hosted guard models.",
        "api_dependencies": (),
        "optional_api_dependencies": (),
        "fields": (
            field("url", "str", "Base URL of the SambaNova API.", default="https://api.sambanova.ai/v1"),
            api_key_field("SambaNova Cloud"),
        ),
        "sample": {"url": "https://api.sambanova.ai/v1", "api_key": "${env.SAMBANOVA_API_KEY:=}"},
    },
)
