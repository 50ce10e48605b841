"""`config upgrade`: an older-layout run config rewritten into the llama-stack 0.3.x layout.

Works on the file as written (no substitution: `${env.*}` references stay as they are), keeps every value
and the order of the keys it does not move, and says on the side what it changed. The older layout's parts
and where they go:

- top-level resource lists (`models`, ..., `vector_dbs`) -> `registered_resources` (at the place of the
  first one); `vector_dbs` becomes `vector_stores`, its items' `vector_db_id` `vector_store_id`;
- `metadata_store`, `inference_store`, `conversations_store` -> `storage.stores` entries, each referring
  to a backend in `storage.backends`;
- provider configs' inline stores (vector_io `kvstore`, agents `persistence_store`/`responses_store`,
  datasetio/eval/batches `kvstore`, files `metadata_store`) -> references to backends, under their 0.3.x
  names;
- a `telemetry` provider API (0.3.x has none) -> dropped, with `telemetry: {enabled: true}`.

Every distinct inline store becomes one backend (the same settings share one), so no data moves between
files. A file already in the 0.3.x layout comes back unchanged. Pure: no I/O, no printing.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any

RESOURCE_KEYS = ("models", "shields", "vector_dbs", "datasets", "scoring_fns", "benchmarks", "tool_groups")
_VECTOR_STORE_FIELDS = {
    "vector_db_id": "vector_store_id",
    "provider_vector_db_id": "provider_vector_store_id",
}
# Old top-level store -> (0.3.x store name, backend kind, reference defaults).
_STACK_STORES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "metadata_store": ("metadata", "kv", {"namespace": "registry"}),
    "inference_store": ("inference", "sql", {"table_name": "inference_store"}),
    "conversations_store": ("conversations", "sql", {"table_name": "openai_conversations"}),
}
# (api, old field) -> (0.3.x path inside the config, backend kind, reference defaults).
_PROVIDER_STORES: dict[tuple[str, str], tuple[tuple[str, ...], str, dict[str, Any]]] = {
    ("vector_io", "kvstore"): (("persistence",), "kv", {}),
    ("agents", "persistence_store"): (("persistence", "agent_state"), "kv", {"namespace": "agents"}),
    ("agents", "responses_store"): (("persistence", "responses"), "sql", {"table_name": "responses"}),
    ("datasetio", "kvstore"): (("kvstore",), "kv", {}),
    ("eval", "kvstore"): (("kvstore",), "kv", {"namespace": "eval"}),
    ("batches", "kvstore"): (("kvstore",), "kv", {"namespace": "batches"}),
    ("files", "metadata_store"): (("metadata_store",), "sql", {"table_name": "files_metadata"}),
}
# Keys of an older inline store that belong to the 0.3.x reference, not to the backend.
_REFERENCE_KEYS = {"kv": ("namespace",), "sql": ("table_name", "max_write_queue_size", "num_writers")}
_NAME = re.compile(r"[^a-z0-9]+")


@dataclass
class Upgraded:
    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.notes)


@dataclass
class _Backends:
    """The backends the upgrade defines, one per distinct store setting."""

    named: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_setting: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, store: dict[str, Any], hint: str) -> str:
        settings = {k: v for k, v in store.items() if k not in _REFERENCE_KEYS[kind]}
        store_type = str(settings.pop("type", "sqlite"))
        backend = {"type": f"{kind}_{store_type.removeprefix(kind + '_')}", **settings}
        key = json.dumps(backend, sort_keys=True, default=str)
        if key in self.by_setting:
            return self.by_setting[key]
        base = f"{kind}_default" if not any(n.startswith(kind) for n in self.named) else f"{kind}_{hint}"
        name, counter = base, 2
        while name in self.named:
            name, counter = f"{base}_{counter}", counter + 1
        self.named[name] = backend
        self.by_setting[key] = name
        return name


def is_older_layout(doc: dict[str, Any]) -> bool:
    """Whether the document has any part of the older layout `upgrade` rewrites."""
    if any(key in doc for key in (*RESOURCE_KEYS, *_STACK_STORES)):
        return True
    providers = doc.get("providers")
    if not isinstance(providers, dict):
        return False
    if "telemetry" in providers:
        return True
    return any(_inline_store(config, old) for api, _, config in _configs(providers) for old in _fields(api))


def _fields(api: str) -> list[str]:
    return [old for (store_api, old) in _PROVIDER_STORES if store_api == api]


def _configs(providers: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    found = []
    for api, entries in providers.items():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("config"), dict):
                found.append((str(api), entry, entry["config"]))
    return found


def _inline_store(config: dict[str, Any], name: str) -> bool:
    value = config.get(name)
    return isinstance(value, dict) and "backend" not in value


def _hint(text: str) -> str:
    return _NAME.sub("_", text.lower()).strip("_") or "store"


def _stem(store: dict[str, Any], fallback: str) -> str:
    path = store.get("db_path")
    if isinstance(path, str) and path:
        return _hint(path.rsplit("/", 1)[-1].rsplit(".", 1)[0])
    return _hint(fallback)


def _reference(kind: str, store: dict[str, Any], defaults: dict[str, Any], backend: str) -> dict[str, Any]:
    ref = {**defaults, **{k: store[k] for k in _REFERENCE_KEYS[kind] if k in store}}
    return {**ref, "backend": backend}


def _upgrade_providers(doc: dict[str, Any], backends: _Backends, notes: list[str]) -> None:
    providers = doc.get("providers")
    if not isinstance(providers, dict):
        return
    if "telemetry" in providers:
        del providers["telemetry"]
        notes.append(
            "providers.telemetry: dropped (0.3.x has no telemetry provider API); telemetry.enabled set"
        )
        doc.setdefault("telemetry", {"enabled": True})
        if isinstance(doc.get("apis"), list) and "telemetry" in doc["apis"]:
            doc["apis"] = [api for api in doc["apis"] if api != "telemetry"]
    for api, entry, config in _configs(providers):
        short = str(entry.get("provider_type", api)).split("::", 1)[-1].replace("::", "-")
        for old in _fields(api):
            if not _inline_store(config, old):
                continue
            path, kind, defaults = _PROVIDER_STORES[(api, old)]
            store = config[old]
            backend = backends.add(kind, store, _stem(store, short))
            defaults = defaults or {"namespace": f"{api}::{short}"}
            _place(config, old, path, _reference(kind, store, defaults, backend))
            notes.append(
                f"providers.{api} {short}: config.{old} -> config.{'.'.join(path)} (backend {backend})"
            )


def _place(config: dict[str, Any], old: str, path: tuple[str, ...], value: Any) -> None:
    """Put `value` at `path`, where the old key was (its first part), keeping the order of the others."""
    head = path[0]
    if len(path) == 1:
        replaced = {(head if key == old else key): (value if key == old else v) for key, v in config.items()}
    else:
        found = config.get(head)
        inner: dict[str, Any] = {**(found if isinstance(found, dict) else {}), path[1]: value}
        if head in config:
            replaced = {key: v for key, v in config.items() if key != old}
            replaced[head] = inner
        else:
            replaced = {
                (head if key == old else key): (inner if key == old else v) for key, v in config.items()
            }
    config.clear()
    config.update(replaced)


def _stack_stores(doc: dict[str, Any], backends: _Backends, notes: list[str]) -> dict[str, Any]:
    stores: dict[str, Any] = {}
    for old, (name, kind, defaults) in _STACK_STORES.items():
        store = doc.get(old)
        if isinstance(store, dict):
            backend = backends.add(kind, store, _stem(store, name))
            stores[name] = _reference(kind, store, defaults, backend)
            notes.append(f"{old} -> storage.stores.{name} (backend {backend})")
    return stores


def _storage(
    doc: dict[str, Any], stores: dict[str, Any], backends: _Backends, notes: list[str]
) -> dict[str, Any] | None:
    if "metadata" not in stores and (stores or backends.named):
        image = str(doc.get("image_name") or doc.get("distro_name") or "stack")
        default = {
            "type": "sqlite",
            "db_path": f"${{env.SQLITE_STORE_DIR:=~/.llama/distributions/{image}}}/registry.db",
        }
        backend = backends.add("kv", default, "registry")
        stores = {"metadata": {"namespace": "registry", "backend": backend}, **stores}
        notes.append(f"storage.stores.metadata: added (0.3.x needs one; backend {backend})")
    if not backends.named:
        return None
    return {"backends": dict(backends.named), "stores": stores}


def _resources(doc: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for old in RESOURCE_KEYS:
        if old not in doc:
            continue
        items = doc[old]
        key = "vector_stores" if old == "vector_dbs" else old
        if old == "vector_dbs" and isinstance(items, list):
            items = [
                {_VECTOR_STORE_FIELDS.get(k, k): v for k, v in item.items()}
                if isinstance(item, dict)
                else item
                for item in items
            ]
        resources[key] = items
    if resources:
        notes.append("top-level resources -> registered_resources: " + ", ".join(resources))
    return resources


def upgrade(raw: dict[str, Any]) -> Upgraded:
    """The document in the 0.3.x layout, and a note per change (none: it was already in that layout)."""
    doc = copy.deepcopy(raw)
    if not is_older_layout(doc):
        return Upgraded(doc)
    notes: list[str] = []
    backends = _Backends()
    resources = _resources(doc, notes)
    stores = _stack_stores(doc, backends, notes)  # first, so that the stack's own stores get the defaults
    _upgrade_providers(doc, backends, notes)
    storage = _storage(doc, stores, backends, notes)
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key in _STACK_STORES:
            if storage is not None and "storage" not in out:
                out["storage"] = _merged_storage(doc.get("storage"), storage)
            continue
        if key in RESOURCE_KEYS:
            if "registered_resources" not in out:
                out["registered_resources"] = {**(doc.get("registered_resources") or {}), **resources}
            continue
        if key == "storage" and storage is not None:
            out["storage"] = _merged_storage(value, storage)
            continue
        if key == "registered_resources" and resources:
            continue  # merged at the place of the first top-level resource list
        out[key] = value
    if storage is not None and "storage" not in out:
        out = _insert_after(out, "providers", "storage", storage)
    return Upgraded(out, notes)


def _merged_storage(existing: Any, made: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(existing, dict):
        return made
    backends = {**(existing.get("backends") or {}), **made["backends"]}
    stores = {**made["stores"], **(existing.get("stores") or {})}
    return {**existing, "backends": backends, "stores": stores}


def _insert_after(doc: dict[str, Any], after: str, key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, item in doc.items():
        out[name] = item
        if name == after:
            out[key] = value
    out.setdefault(key, value)
    return out
