"""Load run configs with llama-stack's own loader; runs inside a venv that has llama-stack installed.

stdin: a JSON list of {"name", "text", "env"}. stdout: one JSON line per config with "name", "loaded" (bool),
"error" (the exception's type and first line), "substituted" (the document after `replace_env_vars`, or
null), "resources" (per kind, the number of registered resources in the loaded config) and "resolved"
(whether its resolver's API and provider checks pass).
"""

import json
import os
import sys

import yaml


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def load(item):
    from llama_stack.core.datatypes import StackRunConfig
    from llama_stack.core.stack import cast_image_name_to_string, replace_env_vars

    os.environ.clear()
    os.environ.update(item["env"])
    out = {"name": item["name"], "loaded": False, "error": None, "substituted": None, "resources": None}
    try:
        raw = yaml.safe_load(item["text"])
        substituted = replace_env_vars(raw)
        out["substituted"] = _jsonable(substituted)
        config = StackRunConfig(**cast_image_name_to_string(substituted))
    except Exception as exc:  # every failure is a figure, not a crash
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        out["error"] = f"{type(exc).__name__}: {first}"
        return out
    out["loaded"] = True
    resources = config.registered_resources
    out["resources"] = {kind: len(getattr(resources, kind)) for kind in type(resources).model_fields}
    out["resolved"] = resolves(config)
    return out


def resolves(config):
    """llama-stack's own provider checks (API names, provider types, deprecation, each provider's config
    against its config class) without instantiating anything."""
    import importlib

    from llama_stack.core.distribution import (
        INTERNAL_APIS,
        builtin_automatically_routed_apis,
        get_provider_registry,
    )
    from llama_stack.core.resolver import validate_and_prepare_providers

    routed = builtin_automatically_routed_apis()
    try:
        registry = get_provider_registry(config)
        prepared = validate_and_prepare_providers(
            config, registry, {x.routing_table_api for x in routed}, {x.router_api for x in routed}
        )
        # What instantiation would find: every served API, the routing tables of the routed ones, and
        # the internal implementations; a missing required dependency fails there.
        served = {key.removeprefix("inner-") for key, specs in prepared.items() if specs}
        served |= {x.routing_table_api.value for x in routed if x.router_api.value in served}
        served |= {api.value for api in INTERNAL_APIS}
        for specs in prepared.values():
            for provider in specs.values():
                for dependency in provider.spec.api_dependencies:
                    if dependency.value not in served:
                        raise RuntimeError(
                            f"provider {provider.provider_id} needs API {dependency.value}, which is not available"
                        )
        for specs in prepared.values():
            for provider in specs.values():
                if provider.provider_type == "inline::meta-reference" and provider.spec.api.value == "telemetry":
                    continue
                module, _, name = provider.spec.config_class.rpartition(".")
                getattr(importlib.import_module(module), name)(**(provider.config or {}))
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return True


def main():
    saved = dict(os.environ)
    for item in json.load(sys.stdin):
        print(json.dumps(load(item)), flush=True)
    os.environ.clear()
    os.environ.update(saved)


main()
