"""The resolver core, the only one: a rendered run config plus the catalogue become a resolved stack.

Checks, all collected before failing: API names (in `apis` and as keys of `providers`) are known;
routing-table and built-in APIs take no providers; provider types exist for their API; provider ids are
unique within an API; every api dependency is served. Disabled (null id) providers are skipped with a
warning. A dependency on a provider's own API adds no edge (see `_dependencies`), so cycles run through
other APIs; they are reported as a path. The instantiation order is deterministic: dependencies first, ties
broken by API then provider id.

Every path in an error or warning is printed through the render's `Origins`, so it names the entry in the
file the user wrote, not its position after disabled entries were dropped.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from stackctl.config.docpath import DocPath
from stackctl.config.origins import Origins
from stackctl.config.secrets import mask_values
from stackctl.errors import ConfigError
from stackctl.hints import did_you_mean


class ApiInfo(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...  # "providable", "routing_table" or "builtin"

    @property
    def routes(self) -> str | None: ...


class ProviderInfo(Protocol):
    @property
    def api(self) -> str: ...

    @property
    def provider_type(self) -> str: ...

    @property
    def api_dependencies(self) -> Sequence[str]: ...

    @property
    def optional_api_dependencies(self) -> Sequence[str]: ...


class Catalogue(Protocol):
    @property
    def apis(self) -> Mapping[str, ApiInfo]: ...

    def get(self, api: str, provider_type: str) -> ProviderInfo | None: ...

    def provider_types(self, api: str) -> list[str]: ...


@dataclass(frozen=True)
class ResolvedProvider:
    api: str
    provider_id: str
    provider_type: str
    config: dict[str, Any]
    depends_on: tuple[str, ...]  # node keys "api:provider_id" this one needs

    @property
    def key(self) -> str:
        return f"{self.api}:{self.provider_id}"


@dataclass
class ResolvedStack:
    image_name: str
    order: list[ResolvedProvider]
    warnings: list[str] = field(default_factory=list)

    def providers_of(self, api: str) -> list[ResolvedProvider]:
        return [p for p in self.order if p.api == api]

    def find(self, provider_id: str, apis: Iterable[str] | None = None) -> ResolvedProvider | None:
        wanted = set(apis) if apis is not None else None
        for provider in self.order:
            if provider.provider_id == provider_id and (wanted is None or provider.api in wanted):
                return provider
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "image_name": self.image_name,
            "order": [
                {
                    "position": index + 1,
                    "api": p.api,
                    "provider_id": p.provider_id,
                    "provider_type": p.provider_type,
                    "depends_on": list(p.depends_on),
                }
                for index, p in enumerate(self.order)
            ],
            "warnings": self.warnings,
        }


# One enabled provider while resolving: api, provider_id, provider_type, config, catalogue spec.
_Node = tuple[str, str, str, dict[str, Any], ProviderInfo]


def _entries(doc: Mapping[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    providers = doc.get("providers") or {}
    return [
        (api, index, entry)
        for api, entries in providers.items()
        for index, entry in enumerate(entries or [])
        if isinstance(entry, dict)
    ]


def unknown_api_names(
    doc: Mapping[str, Any], known: Collection[str], origins: Origins | None = None
) -> list[str]:
    """Unknown API names listed in `apis` or used as keys of `providers`, one `path: message` line each,
    with a did-you-mean where a known name is close. The only such check: render validation uses it too."""
    origins = origins if origins is not None else Origins()
    apis = doc.get("apis")
    providers = doc.get("providers")
    named: list[tuple[DocPath, Any]] = [
        *((("apis", index), name) for index, name in enumerate(apis if isinstance(apis, list) else [])),
        *((("providers", str(api)), api) for api in (providers if isinstance(providers, dict) else {})),
    ]
    lines: list[str] = []
    for path, name in named:
        if name in known:
            continue
        suggestion = did_you_mean(str(name), known, limit=1)
        tail = f"; {suggestion}" if suggestion else ""
        lines.append(f"{origins.path(path)}: unknown API '{name}'{tail}")
    return lines


def _check_api(api: str, catalogue: Catalogue, errors: list[str], origins: Origins) -> bool:
    """Whether an API takes providers; unknown APIs were already reported by `unknown_api_names`."""
    info = catalogue.apis.get(api)
    where = origins.path(("providers", api))
    if info is None:
        return False
    if info.kind == "routing_table":
        errors.append(
            f"{where}: '{api}' is a routing-table API (it routes {info.routes}); it takes no providers"
        )
        return False
    if info.kind == "builtin":
        errors.append(f"{where}: '{api}' is built into every stack; it takes no providers")
        return False
    return True


def _collect(
    doc: Mapping[str, Any], catalogue: Catalogue, errors: list[str], warnings: list[str], origins: Origins
) -> list[_Node]:
    nodes: list[_Node] = []
    seen: dict[tuple[str, str], str] = {}
    checked: dict[str, bool] = {}
    for api, index, entry in _entries(doc):
        where = origins.path(("providers", api, index))
        if api not in checked:
            checked[api] = _check_api(api, catalogue, errors, origins)
        if not checked[api]:
            continue
        provider_id = entry.get("provider_id")
        provider_type = str(entry.get("provider_type"))
        if provider_id is None:
            warnings.append(f"{where}: provider {provider_type} is disabled (provider_id is null); skipped")
            continue
        spec = catalogue.get(api, provider_type)
        if spec is None:
            suggestion = did_you_mean(provider_type, catalogue.provider_types(api), limit=1)
            tail = f"; {suggestion}" if suggestion else ""
            errors.append(
                f"{where}.provider_type: unknown provider type '{provider_type}' for API '{api}'{tail}"
            )
            continue
        first = seen.get((api, provider_id))
        if first is not None:
            errors.append(
                f"{where}.provider_id: duplicate provider id '{provider_id}' for API '{api}' "
                f"(first at {first})"
            )
            continue
        seen[(api, provider_id)] = where
        nodes.append((api, str(provider_id), provider_type, dict(entry.get("config") or {}), spec))
    return nodes


def _served_by(api: str, catalogue: Catalogue, by_api: Mapping[str, list[str]]) -> list[str] | None:
    """The node keys that serve an API, or None when nothing does. Built-ins are always served."""
    info = catalogue.apis.get(api)
    if info is not None and info.kind == "builtin":
        return []
    if info is not None and info.kind == "routing_table" and info.routes:
        api = info.routes
    keys = by_api.get(api)
    return keys if keys else None


def _dependencies(
    node: _Node,
    catalogue: Catalogue,
    by_api: Mapping[str, list[str]],
    errors: list[str],
    origins: Origins,
) -> list[str]:
    """The node keys a provider waits for; a required API that nothing serves goes to `errors`.

    A dependency on the provider's own API (directly or through the routing table over it) adds no edge: the
    provider is part of what serves that API. So providers of one API never wait for one another, however
    many there are, as in llama-stack, whose dependency graph links APIs and never an API to itself."""
    api, provider_id, provider_type, _, spec = node
    own = set(by_api.get(api, ()))
    deps: list[str] = []
    for needed in spec.api_dependencies:
        served = _served_by(needed, catalogue, by_api)
        if served is None:
            errors.append(
                f"{origins.path(('providers', api))}: provider '{provider_id}' ({provider_type}) "
                f"needs API '{needed}', which no enabled provider serves"
            )
        else:
            deps.extend(served)
    for optional in spec.optional_api_dependencies:
        deps.extend(_served_by(optional, catalogue, by_api) or [])
    return sorted({d for d in deps if d not in own})


def _find_cycle(edges: Mapping[str, Sequence[str]], remaining: set[str]) -> list[str]:
    """A cycle among the nodes left over by the topological sort, as a closed path."""
    start = min(remaining)
    path = [start]
    index_of = {start: 0}
    node = start
    while True:
        node = min(dep for dep in edges[node] if dep in remaining)
        if node in index_of:
            cycle = path[index_of[node] :]
            return [*cycle, node]
        index_of[node] = len(path)
        path.append(node)


def _order(keys: list[str], edges: Mapping[str, Sequence[str]]) -> tuple[list[str], list[str] | None]:
    indegree = {k: len(set(edges[k])) for k in keys}
    dependants: dict[str, list[str]] = {k: [] for k in keys}
    for key in keys:
        for dep in set(edges[key]):
            dependants[dep].append(key)
    ready = [k for k in keys if indegree[k] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        key = heapq.heappop(ready)
        order.append(key)
        for dependant in dependants[key]:
            indegree[dependant] -= 1
            if indegree[dependant] == 0:
                heapq.heappush(ready, dependant)
    if len(order) == len(keys):
        return order, None
    return order, _find_cycle(edges, set(keys) - set(order))


def resolve(
    doc: Mapping[str, Any],
    catalogue: Catalogue,
    source: str = "<config>",
    origins: Origins | None = None,
    *,
    secret_values: Collection[str] = (),
) -> ResolvedStack:
    """Resolve a rendered run config. Raises ConfigError listing every problem. `origins` (the render's)
    turn the document's paths into the source file's; without them the paths are the document's own.
    `secret_values` (the render's) are masked in every message and warning, since both quote values."""
    origins = origins if origins is not None else Origins()
    try:
        stack = _resolve(doc, catalogue, source, origins)
    except ConfigError as exc:
        if secret_values:
            exc.details = mask_values(exc.details, secret_values)
            exc.message = mask_values(exc.message, secret_values)
            exc.args = (exc.message,)
        raise
    stack.warnings = mask_values(stack.warnings, secret_values)
    return stack


def _resolve(doc: Mapping[str, Any], catalogue: Catalogue, source: str, origins: Origins) -> ResolvedStack:
    errors = unknown_api_names(doc, catalogue.apis, origins)
    warnings: list[str] = []
    nodes = _collect(doc, catalogue, errors, warnings, origins)
    by_api: dict[str, list[str]] = {}
    for api, provider_id, *_ in nodes:
        by_api.setdefault(api, []).append(f"{api}:{provider_id}")
    edges: dict[str, list[str]] = {}
    built: dict[str, ResolvedProvider] = {}
    for node in nodes:
        api, provider_id, provider_type, config, _ = node
        key = f"{api}:{provider_id}"
        edges[key] = _dependencies(node, catalogue, by_api, errors, origins)
        built[key] = ResolvedProvider(api, provider_id, provider_type, config, tuple(edges[key]))
    if errors:
        raise ConfigError(
            f"{source}: the stack does not resolve ({len(errors)} problem(s))",
            details=errors,
            code="unresolved",
        )
    order, cycle = _order(sorted(built), edges)
    if cycle is not None:
        raise ConfigError(
            f"{source}: provider dependency cycle: {' -> '.join(cycle)}",
            hint="an API cannot depend, through the providers of other APIs, on itself",
            code="dependency_cycle",
        )
    image_name = str(doc.get("image_name") or doc.get("distro_name") or "")
    return ResolvedStack(image_name, [built[k] for k in order], warnings)
