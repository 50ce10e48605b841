"""Built-in providers of the `scoring` API: scoring functions over rows of generated output."""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.data._common import field

API = "scoring"

PROVIDERS: tuple[dict[str, Any], ...] = (
    {
        "provider_type": "inline::basic",
        "description": "Deterministic scorers: equality, subset-of, regex answer parsing.",
        "api_dependencies": ("datasetio", "datasets"),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
    {
        "provider_type": "inline::llm-as-judge",
        "description": "A judge model (through inference) scores each row.",
        "api_dependencies": ("datasetio", "datasets", "inference"),
        "optional_api_dependencies": (),
        "fields": (),
        "sample": {},
    },
    {
        "provider_type": "inline::braintrust",
        "description": "Braintrust autoevals scorers (factuality, answer correctness, ...).",
        "api_dependencies": ("datasetio", "datasets"),
        "optional_api_dependencies": (),
        "fields": (field("openai_api_key", "str", "OpenAI API key used by the judge scorers.", secret=True),),
        "sample": {"openai_api_key": "${env.OPENAI_API_KEY:=}"},
    },
)
