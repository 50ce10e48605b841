"""Checks of the llama-stack 0.3.x blocks that the run config schema leaves open: `storage` and `server`.

What llama-stack 0.3.x validates when it loads a config, and what fails only when it starts:

- `storage.backends`: each a mapping whose `type` is a known backend kind (kv_sqlite, kv_redis, kv_postgres,
  kv_mongodb, sql_sqlite, sql_postgres);
- `storage.stores`: `metadata` present (a 0.3.x stack keeps its registry there), and every store, like every
  store reference inside a provider config (a mapping with a `backend` key), naming a backend that exists
  and is of the right kind: key-value for `metadata` and `namespace` references, SQL for `inference`,
  `conversations`, `responses` and `table_name` references;
- `server`: the port in 1024..65535, a known auth provider type, quota with a key-value store reference,
  and no wildcard CORS origin together with credentials.

Pure: a normalized document in, (path, message) pairs out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stackctl.config.docpath import DocPath

KV_KINDS = ("kv_sqlite", "kv_redis", "kv_postgres", "kv_mongodb")
SQL_KINDS = ("sql_sqlite", "sql_postgres")
AUTH_TYPES = ("oauth2_token", "github_token", "kubernetes", "custom")
_SQL_STORES = ("inference", "conversations", "responses")
_STORES = ("metadata", *_SQL_STORES)
Problem = tuple[DocPath, str]


def block_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """Every problem of the document's `storage` and `server` blocks, one `path: message` line each."""
    lines: list[Problem] = []
    storage = doc.get("storage")
    if storage is not None:
        lines.extend(_storage(storage, doc))
    else:
        first = next(_provider_references(doc.get("providers")), None)
        if first is not None:  # 0.3.x store references without the block that defines their backends
            lines.append((("storage",), "required: provider configs refer to storage backends"))
    server = doc.get("server")
    if isinstance(server, Mapping):
        lines.extend(_server(server))
    return lines


def _kinds(backends: Mapping[str, Any]) -> dict[str, str]:
    return {str(name): str(b.get("type")) for name, b in backends.items() if isinstance(b, Mapping)}


def _storage(storage: Any, doc: Mapping[str, Any]) -> list[Problem]:
    if not isinstance(storage, Mapping):
        return [(("storage",), f"must be a mapping with backends and stores, got {type(storage).__name__}")]
    backends = storage.get("backends")
    lines = _backends(backends)
    kinds = _kinds(backends) if isinstance(backends, Mapping) else {}
    stores = storage.get("stores")
    if not isinstance(stores, Mapping):
        lines.append((("storage", "stores"), "required: a mapping with at least metadata"))
        stores = {}
    elif "metadata" not in stores:
        lines.append(
            (
                ("storage", "stores", "metadata"),
                "required: the store of the stack's registry (a kv_* backend)",
            )
        )
    for name, ref in stores.items():
        at: DocPath = ("storage", "stores", name)
        if name not in _STORES:
            lines.append((at, f"unknown store; use one of {', '.join(_STORES)}"))
        elif isinstance(ref, Mapping):
            lines.extend(_reference(ref, at, kinds, "sql" if name in _SQL_STORES else "kv"))
        elif ref is not None:
            lines.append((at, "must be a mapping with a backend"))
    for place, ref in _provider_references(doc.get("providers")):
        lines.extend(_reference(ref, place, kinds, "sql" if "table_name" in ref else "kv"))
    return lines


def _backends(backends: Any) -> list[Problem]:
    if not isinstance(backends, Mapping):
        return [(("storage", "backends"), "required: a mapping of backend names to their settings")]
    lines: list[Problem] = []
    for name, backend in backends.items():
        where: DocPath = ("storage", "backends", name)
        if not isinstance(backend, Mapping):
            lines.append((where, "must be a mapping with a type"))
        elif backend.get("type") not in (*KV_KINDS, *SQL_KINDS):
            known = ", ".join((*KV_KINDS, *SQL_KINDS))
            lines.append(
                ((*where, "type"), f"unknown backend type {backend.get('type')!r}; use one of {known}")
            )
    return lines


def _reference(ref: Mapping[str, Any], where: DocPath, kinds: Mapping[str, str], want: str) -> list[Problem]:
    backend = ref.get("backend")
    if backend is None:
        return [((*where, "backend"), "required: the name of a storage backend")]
    kind = kinds.get(str(backend))
    if kind is None:
        known = ", ".join(sorted(kinds)) or "none defined"
        return [((*where, "backend"), f"unknown backend '{backend}' (storage.backends: {known})")]
    if not kind.startswith(want + "_"):
        return [
            ((*where, "backend"), f"backend '{backend}' is {kind}, but this store needs a {want}_* backend")
        ]
    return []


def _provider_references(providers: Any) -> Iterator[tuple[DocPath, Mapping[str, Any]]]:
    if not isinstance(providers, Mapping):
        return
    for api, entries in providers.items():
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, Mapping) and entry.get("provider_id") is not None:
                yield from _references(entry.get("config"), ("providers", api, index, "config"))


def _references(value: Any, where: DocPath) -> Iterator[tuple[DocPath, Mapping[str, Any]]]:
    if isinstance(value, Mapping):
        if "backend" in value and ("namespace" in value or "table_name" in value):
            yield where, value
            return
        for key, item in value.items():
            yield from _references(item, (*where, key))


def _server(server: Mapping[str, Any]) -> list[Problem]:
    lines: list[Problem] = []
    port = server.get("port")
    if isinstance(port, int) and not isinstance(port, bool) and not 1024 <= port <= 65535:
        lines.append((("server", "port"), f"{port} is out of range; llama-stack takes 1024..65535"))
    auth = server.get("auth")
    config = auth.get("provider_config") if isinstance(auth, Mapping) else None
    if isinstance(config, Mapping) and config.get("type") not in AUTH_TYPES:
        lines.append(
            (
                ("server", "auth", "provider_config", "type"),
                f"unknown auth provider type {config.get('type')!r}; use one of {', '.join(AUTH_TYPES)}",
            )
        )
    quota = server.get("quota")
    if isinstance(quota, Mapping) and not isinstance(quota.get("kvstore"), Mapping):
        lines.append(
            (("server", "quota", "kvstore"), "required: a key-value store reference (namespace, backend)")
        )
    cors = server.get("cors")
    if cors is not None and not isinstance(cors, bool | Mapping):
        lines.append((("server", "cors"), "must be true, false or a mapping of CORS settings"))
    if isinstance(cors, Mapping) and cors.get("allow_credentials") is True:
        origins = cors.get("allow_origins") or []
        if isinstance(origins, list) and "*" in origins:
            lines.append(
                (
                    ("server", "cors", "allow_origins"),
                    "a wildcard origin cannot be used with allow_credentials",
                )
            )
    return lines
