"""Stage 2 of the config pipeline: the later llama-stack layout mapped onto the canonical one.

`distro_name`, `registered_resources` and `storage.stores` are mapped onto `image_name`, the top-level
resource lists and the `*_store` keys. Every moved or renamed part is recorded in the render's `Origins`, so
errors about the normalized document name the place in the file the user wrote.
"""

from __future__ import annotations

from typing import Any

from stackctl.config.origins import Origins

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
