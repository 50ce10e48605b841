"""The provider catalogue: every API stackctl knows and every provider type that can serve one.

Built-in entries come from the plain data in `stackctl.catalogue.data`; user-defined provider types come
from YAML files in a providers directory (`stackctl.catalogue.user`). Invariants:

- a provider is identified by `(api, provider_type)`: the same type string (`remote::nvidia`,
  `inline::meta-reference`) serves several APIs with different configs;
- lookups that fail raise `ConfigError` (exit 3) with a did-you-mean hint;
- importing this module is cheap: the data is turned into objects on first use and the built-in part is
  cached; pydantic config models are built per provider on first validation;
- core never reads `os.environ`: the providers directory and the data dir are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.catalogue.spec import PREFIXES, ApiInfo, Path_, ProviderSpec, Violation
from stackctl.errors import ConfigError
from stackctl.hints import close_matches, did_you_mean

if TYPE_CHECKING:
    from pydantic import BaseModel

_BUILTIN_MODELS: dict[tuple[str, str], type[BaseModel]] = {}


class Catalogue:
    """APIs and provider specs, with lookups, sample configs and config validation."""

    def __init__(self, apis: Sequence[ApiInfo], providers: Iterable[ProviderSpec]) -> None:
        self._apis = {info.name: info for info in apis}
        self._providers: dict[tuple[str, str], ProviderSpec] = {}
        for spec in providers:
            if spec.key in self._providers:
                raise ConfigError(f"provider type {spec.provider_type} is defined twice for API {spec.api}")
            self._providers[spec.key] = spec
        self._models: dict[tuple[str, str], type[BaseModel]] = {}

    # --- APIs -------------------------------------------------------------------------------------------

    @property
    def apis(self) -> tuple[ApiInfo, ...]:
        return tuple(self._apis.values())

    def api(self, name: str) -> ApiInfo:
        info = self._apis.get(name)
        if info is None:
            raise ConfigError(
                f"unknown API '{name}'",
                hint=did_you_mean(name, self._apis) or "see 'stackctl apis list'",
                code="unknown_api",
            )
        return info

    def providable_api(self, name: str) -> ApiInfo:
        """The API named, which must be one that providers serve (not a routing table or a built-in)."""
        info = self.api(name)
        if info.kind == "routing_table":
            raise ConfigError(
                f"API '{name}' is a routing table and has no providers of its own",
                hint=f"its resources are served by {info.routes} providers: use '{info.routes}'",
                code="not_providable",
            )
        if info.kind == "builtin":
            raise ConfigError(
                f"API '{name}' is built into every stack and has no providers",
                hint="see 'stackctl apis list' for the APIs that take providers",
                code="not_providable",
            )
        return info

    # --- providers --------------------------------------------------------------------------------------

    @property
    def providers(self) -> tuple[ProviderSpec, ...]:
        """Every provider, ordered by API (catalogue order), then provider type."""
        order = {name: i for i, name in enumerate(self._apis)}
        return tuple(
            sorted(self._providers.values(), key=lambda s: (order.get(s.api, len(order)), s.provider_type))
        )

    def providers_for(self, api: str) -> list[ProviderSpec]:
        self.providable_api(api)
        return [spec for spec in self.providers if spec.api == api]

    def apis_of(self, provider_type: str) -> list[str]:
        """The APIs that have a provider of exactly this type."""
        return [spec.api for spec in self.providers if spec.provider_type == provider_type]

    def get(self, api: str, provider_type: str) -> ProviderSpec:
        """The provider of exactly this type for this API."""
        self.providable_api(api)
        spec = self._providers.get((api, provider_type))
        if spec is None:
            raise self._unknown_provider(provider_type, api)
        return spec

    def resolve_name(self, api: str, name: str) -> ProviderSpec:
        """Find a provider for `api` by exact type, then `inline::NAME`, then `remote::NAME`."""
        self.providable_api(api)
        for candidate in self._candidates(name):
            spec = self._providers.get((api, candidate))
            if spec is not None:
                return spec
        raise self._unknown_provider(name, api)

    def lookup(self, name: str, api: str | None = None) -> ProviderSpec:
        """Find a provider by (short) name; without `api` the name must belong to exactly one API."""
        if api is not None:
            return self.resolve_name(api, name)
        for candidate in self._candidates(name):
            matches = [spec for spec in self.providers if spec.provider_type == candidate]
            if len(matches) == 1:
                return matches[0]
            if matches:
                apis = ", ".join(spec.api for spec in matches)
                raise ConfigError(
                    f"provider type {candidate} exists for several APIs: {apis}",
                    hint=f"choose one with --api (e.g. --api {matches[0].api})",
                    code="ambiguous_provider",
                )
        raise self._unknown_provider(name, None)

    def sample_config(self, api: str, provider_type: str, data_dir: Path) -> dict[str, Any]:
        return self.get(api, provider_type).sample_config(data_dir)

    def env_vars(self, api: str, provider_type: str) -> list[str]:
        return self.get(api, provider_type).env_vars()

    @staticmethod
    def _candidates(name: str) -> list[str]:
        if name.startswith(PREFIXES):
            return [name]
        return [name, *(prefix + name for prefix in PREFIXES)]

    def _unknown_provider(self, name: str, api: str | None) -> ConfigError:
        specs = [s for s in self.providers if api is None or s.api == api]
        types = {s.provider_type for s in specs}
        shorts = {s.provider_type.split("::", 1)[-1]: s.provider_type for s in specs}
        hint = did_you_mean(name, types)
        if hint is None:
            close = close_matches(name.split("::", 1)[-1], shorts)
            if close:
                hint = "did you mean " + " or ".join(f"'{shorts[c]}'" for c in close) + "?"
        where = f" for API '{api}'" if api else ""
        listing = f"stackctl providers list --api {api}" if api else "stackctl providers list"
        return ConfigError(
            f"unknown provider type '{name}'{where}",
            hint=hint or f"see '{listing}'",
            code="unknown_provider",
        )

    # --- schemas ----------------------------------------------------------------------------------------

    def _spec_for(self, provider_type: str, api: str | None) -> ProviderSpec:
        if api is not None:
            return self.get(api, provider_type)
        apis = self.apis_of(provider_type)
        if len(apis) > 1:
            raise ConfigError(
                f"provider type {provider_type} exists for several APIs: {', '.join(apis)}",
                hint="name the API",
                code="ambiguous_provider",
            )
        if not apis:
            raise self._unknown_provider(provider_type, None)
        return self.get(apis[0], provider_type)

    def config_model(self, provider_type: str, api: str | None = None) -> type[BaseModel]:
        """The pydantic model of this provider's config (built on first use, then cached)."""
        spec = self._spec_for(provider_type, api)
        # Built-in specs are shared by every catalogue, so their models are too.
        cache = _BUILTIN_MODELS if spec.source == "builtin" else self._models
        model = cache.get(spec.key)
        if model is None:
            from stackctl.catalogue.schema import build_model

            model = cache[spec.key] = build_model(spec)
        return model

    def validate_config(self, provider_type: str, config: Any, *, api: str | None = None) -> list[Violation]:
        """Every violation of the provider's schema in `config`, as (path inside config, message).

        An empty list means the config is valid. Without `api`, a provider type that several APIs have is
        a `ConfigError`.
        """
        from stackctl.catalogue.conform import config_conforms

        spec = self._spec_for(provider_type, api)
        renamed = spec.renamed_fields()
        if renamed and isinstance(config, dict):
            config = _fold_renamed(config, renamed)
        if config_conforms(spec, config):
            return []  # certainly valid: no need to build the pydantic model
        from stackctl.catalogue.schema import violations

        return violations(spec, self.config_model(spec.provider_type, spec.api), config)

    def config_warnings(self, provider_type: str, config: Any, *, api: str | None = None) -> list[Violation]:
        """What is valid but should change: the older layout's field names, each with the name it has now."""
        spec = self._spec_for(provider_type, api)
        if not isinstance(config, dict):
            return []
        return [
            ((old,), f"'{old}' is the older layout's name; llama-stack 0.3.x calls it '{new}'")
            for old, new in spec.renamed_fields().items()
            if old in config
        ]

    def field_kind(self, provider_type: str, path: Path_, *, api: str | None = None) -> str | None:
        """The declared kind (str, int, float, bool, list, dict, any) of the config field at `path`.

        None when the provider or the field is unknown, or the path goes inside a dict or any field.
        Without `api`, a type that several APIs have answers only when every one of them that declares
        the field agrees on its kind.
        """
        if api is not None:
            specs = [self._providers[(api, provider_type)]] if (api, provider_type) in self._providers else []
        else:
            specs = [s for s in self._providers.values() if s.provider_type == provider_type]
        kinds = {kind for spec in specs if (kind := _kind_at(spec, path)) is not None}
        return kinds.pop() if len(kinds) == 1 else None


def _fold_renamed(config: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
    """The config as the schema sees it: a field given under its older name stands for the new one."""
    out = dict(config)
    for old, new in renamed.items():
        if old in out and new not in out:
            out[new] = out[old]
    return out


def _kind_at(spec: ProviderSpec, path: Path_) -> str | None:
    if not path or not isinstance(path[0], str):
        return None
    found = spec.get_field(path[0])
    if found is None:
        return None
    if len(path) == 1:
        return found.kind
    if len(path) == 2 and found.kind == "list" and isinstance(path[1], int):
        return found.items
    return None
