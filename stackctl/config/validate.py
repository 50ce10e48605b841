"""Run config validation: layout normalization, the run config schema, and each provider's config schema.

Every violation is collected and reported together, one `path: message` line each. A document whose
values already have their exact types is validated without pydantic (`stackctl.config.exact`); any other
goes through the pydantic models, which decide and word every error.

Validation sees the normalized document, but users wrote the file: `normalize_layout` records in the
render's `Origins` where each moved or renamed part came from, and every `path` below is printed through
`Origins.path`, so an error in `registered_resources.vector_stores[0]` is not reported as `vector_dbs[0]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackctl.config import exact
from stackctl.config.docpath import DocPath
from stackctl.config.origins import Origins
from stackctl.config.substitute import ProviderSchemas, Rendered, did_you_mean
from stackctl.errors import ConfigError
from stackctl.models.kinds import KINDS

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


def _normalize_store(
    target: str, ref: dict[str, Any], backends: dict[str, Any], origins: Origins
) -> dict[str, Any]:
    """A canonical store from a `storage.stores` entry and the backend it names; the backend's keys come
    first, the entry's own override them."""
    backend_name = str(ref.get("backend", ""))
    backend = backends.get(backend_name)
    merged: dict[str, Any] = {}
    if isinstance(backend, dict):
        merged.update(backend)
        kind = str(merged.get("type", "sqlite"))
        merged["type"] = kind.split("_", 1)[1] if kind.startswith(("kv_", "sql_")) else kind
        for key in backend:
            origins.move((target, key), ("storage", "backends", backend_name, key))
    for key, value in ref.items():
        if key != "backend":
            merged[key] = value
            origins.moves.pop((target, key), None)  # the entry's own value: under the entry's path
    return merged


def _merge_resources(out: dict[str, Any], kind: str, declared: Any, origins: Origins) -> None:
    """Append `registered_resources.<kind>` to the canonical list, recording where each item came from."""
    target = _NEW_RESOURCE_KEYS.get(kind, kind)
    source: tuple[str, ...] = ("registered_resources", kind)
    existing = out.get(target)
    existing = [] if existing is None else existing
    if declared is None:
        return
    if not isinstance(declared, list):
        out[target] = declared  # invalid: the schema reports it, at its own path
        origins.move((target,), source)
        return
    if not isinstance(existing, list):
        return  # invalid: the schema reports the canonical key, at its own path
    offset = len(existing)
    items = []
    for index, item in enumerate(declared):
        origins.move((target, offset + index), (*source, index))
        if target == "vector_dbs" and isinstance(item, dict):
            for old, new in _VECTOR_STORE_FIELDS.items():  # present or missing, the file's name for it
                origins.move((target, offset + index, new), (*source, index, old))
            items.append({_VECTOR_STORE_FIELDS.get(k, k): v for k, v in item.items()})
        else:
            items.append(item)
    out[target] = [*existing, *items]


def layout_problems(doc: dict[str, Any]) -> list[str]:
    """What normalization cannot map: a `registered_resources` that is not a mapping of resource lists."""
    resources = doc.get("registered_resources")
    if resources is None or isinstance(resources, dict):
        return []
    return [
        "registered_resources: must be a mapping of resource lists "
        f"(models, shields, vector_stores, tool_groups), got {_a_kind(resources)}"
    ]


def _a_kind(value: Any) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    return names.get(type(value), f"a {type(value).__name__}")


def normalize_layout(doc: dict[str, Any], origins: Origins | None = None) -> dict[str, Any]:
    """Map the later llama-stack layout (distro_name, registered_resources, storage) onto the canonical,
    recording in `origins` where every moved or renamed part came from. A `registered_resources` that is
    not a mapping is left out: `layout_problems` reports it."""
    origins = origins if origins is not None else Origins()
    out = dict(doc)
    if "distro_name" in out:
        distro = out.pop("distro_name")
        if "image_name" not in out:
            out["image_name"] = distro
            origins.move(("image_name",), ("distro_name",))
    resources = out.pop("registered_resources", None)
    if isinstance(resources, dict):
        for kind, declared in resources.items():
            _merge_resources(out, str(kind), declared, origins)
    storage = out.get("storage")
    if isinstance(storage, dict) and isinstance(storage.get("stores"), dict):
        found = storage.get("backends")
        backends: dict[str, Any] = found if isinstance(found, dict) else {}
        for store_name, ref in storage["stores"].items():
            target = _STORE_NAMES.get(store_name)
            if target is not None and target not in out and isinstance(ref, dict):
                out[target] = _normalize_store(target, ref, backends, origins)
                origins.move((target,), ("storage", "stores", store_name))
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


def _schema_lines(exc: ValidationError, origins: Origins) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = origins.path(loc)
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


def _provider_lines(dumped: dict[str, Any], schemas: ProviderSchemas, origins: Origins) -> list[str]:
    lines = []
    for api, entries in dumped["providers"].items():
        for index, entry in enumerate(entries):
            provider_type = entry["provider_type"]
            if entry["provider_id"] is None or not schemas.known_provider(api, provider_type):
                continue  # disabled entries are skipped; unknown types are the resolver's to report
            base: DocPath = ("providers", api, index, "config")
            for path, message in schemas.validate_config(api, provider_type, entry.get("config", {})):
                lines.append(f"{origins.path((*base, *path))}: {message}")
    return lines


def _check_providers(dumped: dict[str, Any], source: str, schemas: ProviderSchemas, origins: Origins) -> None:
    """API names (the resolver's own check) and each provider's config; ConfigError lists every problem."""
    from stackctl.config.resolver import unknown_api_names

    unknown = unknown_api_names(dumped, schemas.apis, origins)
    lines = [*unknown, *_provider_lines(dumped, schemas, origins)]
    if lines:
        what = "run config" if unknown else "provider config"
        raise ConfigError(
            f"{source}: {what} is invalid ({len(lines)} problem(s))", details=lines, code="schema_violation"
        )


def dump_with_pydantic(
    normalized: dict[str, Any], source: str, origins: Origins | None = None, problems: list[str] | None = None
) -> dict[str, Any]:
    """The run config's `exclude_unset` JSON dump through the models; ConfigError lists every violation,
    the layout `problems` found before normalization first."""
    from pydantic import ValidationError

    from stackctl.models.runconfig import RunConfig

    lines = list(problems or [])
    try:
        config = RunConfig.model_validate(normalized)
    except ValidationError as exc:
        lines.extend(_schema_lines(exc, origins if origins is not None else Origins()))
    if lines:
        raise ConfigError(
            f"{source}: run config is invalid ({len(lines)} problem(s))",
            details=lines,
            code="schema_violation",
        ) from None
    return config.model_dump(mode="json", exclude_unset=True)


def validate_run_config(substituted: Rendered, source: str, schemas: ProviderSchemas | None) -> Rendered:
    """Normalize and validate a substituted document; the result keeps its warnings and origins."""
    origins = substituted.origins
    problems = layout_problems(substituted.document)
    normalized = normalize_layout(substituted.document, origins)
    dumped = None if problems else exact.dump_run_config(normalized)
    if dumped is None:
        dumped = dump_with_pydantic(normalized, source, origins, problems)
    if schemas is not None:
        _check_providers(dumped, source, schemas, origins)
    version = dumped.get("version", exact.run_config_default("version"))
    return Rendered({"version": version, **dumped}, list(substituted.warnings), origins)


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
