"""Run config validation: layout normalization, the run config schema, and each provider's config schema.

Every violation is collected and reported together, one `path: message` line each. A document whose
values already have their exact types is validated without pydantic (`stackctl.core.exact`); any other
goes through the pydantic models, which decide and word every error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackctl.core import exact
from stackctl.core.docpath import DocPath, format_path
from stackctl.core.kinds import KINDS
from stackctl.core.loader import ProviderSchemas, Rendered, did_you_mean
from stackctl.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import ValidationError

_STORE_NAMES = {
    "metadata": "metadata_store",
    "inference": "inference_store",
    "conversations": "conversations_store",
}
_NEW_RESOURCE_KEYS = {"vector_stores": "vector_dbs"}
_VECTOR_STORE_FIELDS = {
    "vector_store_id": "vector_db_id",
    "provider_vector_store_id": "provider_vector_db_id",
}


def _normalize_store(ref: dict[str, Any], backends: dict[str, Any]) -> dict[str, Any]:
    backend = backends.get(str(ref.get("backend", "")))
    merged: dict[str, Any] = {}
    if isinstance(backend, dict):
        merged.update(backend)
        kind = str(merged.get("type", "sqlite"))
        merged["type"] = kind.split("_", 1)[1] if kind.startswith(("kv_", "sql_")) else kind
    merged.update({k: v for k, v in ref.items() if k != "backend"})
    return merged


def normalize_layout(doc: dict[str, Any]) -> dict[str, Any]:
    """Map the later llama-stack layout (distro_name, registered_resources, storage) onto the canonical."""
    out = dict(doc)
    if "distro_name" in out:
        distro = out.pop("distro_name")
        out.setdefault("image_name", distro)
    resources = out.pop("registered_resources", None)
    if isinstance(resources, dict):
        for kind, declared in resources.items():
            target: str = _NEW_RESOURCE_KEYS.get(str(kind), str(kind))
            items = declared
            if target == "vector_dbs" and isinstance(declared, list):
                items = [
                    {_VECTOR_STORE_FIELDS.get(k, k): v for k, v in item.items()}
                    if isinstance(item, dict)
                    else item
                    for item in declared
                ]
            existing = out.get(target) or []
            out[target] = [*existing, *items] if isinstance(items, list) else items
    storage = out.get("storage")
    if isinstance(storage, dict) and isinstance(storage.get("stores"), dict):
        found = storage.get("backends")
        backends: dict[str, Any] = found if isinstance(found, dict) else {}
        for store_name, ref in storage["stores"].items():
            if store_name in _STORE_NAMES and isinstance(ref, dict):
                out.setdefault(_STORE_NAMES[store_name], _normalize_store(ref, backends))
    return out


def _known_keys(loc: tuple[Any, ...]) -> set[str] | frozenset[str]:
    from pydantic import BaseModel

    from stackctl.models.runconfig import TOP_LEVEL_KEYS, Provider, ServerConfig

    model: type[BaseModel] | None = None
    if len(loc) == 1:
        return TOP_LEVEL_KEYS
    if loc[0] == "providers" and len(loc) == 4:
        model = Provider
    elif loc[0] == "server" and len(loc) == 2:
        model = ServerConfig
    return set(model.model_fields) if model else set()


def _schema_lines(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = format_path(loc)
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            suggestion = did_you_mean(key, _known_keys(loc))
            tail = f"; did you mean '{suggestion}'?" if suggestion else ""
            lines.append(f"{path}: unknown key '{key}'{tail}")
        elif err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        else:
            lines.append(f"{path}: {err['msg']}")
    return lines


def _provider_lines(dumped: dict[str, Any], schemas: ProviderSchemas) -> list[str]:
    lines = []
    for api, entries in dumped["providers"].items():
        for index, entry in enumerate(entries):
            provider_type = entry["provider_type"]
            if entry["provider_id"] is None or not schemas.known_provider(api, provider_type):
                continue  # disabled entries are skipped; unknown types are the resolver's to report
            base: DocPath = ("providers", api, index, "config")
            for path, message in schemas.validate_config(api, provider_type, entry.get("config", {})):
                lines.append(f"{format_path((*base, *path))}: {message}")
    return lines


def _check_providers(dumped: dict[str, Any], source: str, schemas: ProviderSchemas) -> None:
    """API names (the resolver's own check) and each provider's config; ConfigError lists every problem."""
    from stackctl.core.resolver import unknown_api_names

    unknown = unknown_api_names(dumped, schemas.apis)
    lines = [*unknown, *_provider_lines(dumped, schemas)]
    if lines:
        what = "run config" if unknown else "provider config"
        raise ConfigError(
            f"{source}: {what} is invalid ({len(lines)} problem(s))", details=lines, code="schema_violation"
        )


def dump_with_pydantic(normalized: dict[str, Any], source: str) -> dict[str, Any]:
    """The run config's `exclude_unset` JSON dump through the models; ConfigError lists every violation."""
    from pydantic import ValidationError

    from stackctl.models.runconfig import RunConfig

    try:
        config = RunConfig.model_validate(normalized)
    except ValidationError as exc:
        lines = _schema_lines(exc)
        raise ConfigError(
            f"{source}: run config is invalid ({len(lines)} problem(s))",
            details=lines,
            code="schema_violation",
        ) from None
    return config.model_dump(mode="json", exclude_unset=True)


def validate_run_config(doc: dict[str, Any], source: str, schemas: ProviderSchemas | None) -> Rendered:
    normalized = normalize_layout(doc)
    dumped = exact.dump_run_config(normalized)
    if dumped is None:
        dumped = dump_with_pydantic(normalized, source)
    if schemas is not None:
        _check_providers(dumped, source, schemas)
    version = dumped.get("version", exact.run_config_default("version"))
    return Rendered({"version": version, **dumped})


def summarize(rendered: Rendered, stack: Any) -> dict[str, Any]:
    """What `config validate` reports for a valid config and its resolved stack."""
    doc = rendered.document
    providers = doc.get("providers", {})
    return {
        "valid": True,
        "image_name": doc.get("image_name"),
        "apis": sorted(providers),
        "providers": len(stack.order),
        "order": [p.key for p in stack.order],
        "resources": {k.key: len(doc[k.key]) for k in KINDS.values() if doc.get(k.key)},
        "warnings": [*rendered.warnings, *stack.warnings],
    }
