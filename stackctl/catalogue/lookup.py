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

import copy
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from stackctl.config.secrets import is_secret_name as is_secret
from stackctl.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

ApiKind = Literal["providable", "routing_table", "builtin"]
FieldKind = Literal["str", "int", "float", "bool", "list", "dict", "any"]
FIELD_KINDS: tuple[str, ...] = ("str", "int", "float", "bool", "list", "dict", "any")
Path_ = tuple[str | int, ...]
Violation = tuple[Path_, str]

DATA_DIR_PLACEHOLDER = "{data_dir}"
PREFIXES: tuple[str, ...] = ("inline::", "remote::")

# A reference's name, not preceded by `$` (`$${env.X}` is an escaped literal).
_ENV_NAME = re.compile(r"(?<!\$)\$\{env\.([A-Z0-9_]+)")

_BUILTIN_MODELS: dict[tuple[str, str], type[BaseModel]] = {}


def close_matches(name: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """`did you mean 'x'?` for the closest candidates, or None."""
    matches = close_matches(name, candidates)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


@dataclass(frozen=True)
class ApiInfo:
    name: str
    kind: ApiKind
    description: str
    routes: str | None = None  # for a routing table: the providable API it routes to

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "routes": self.routes, "description": self.description}


@dataclass(frozen=True)
class ConfigField:
    name: str
    kind: FieldKind
    description: str = ""
    required: bool = False
    default: Any = None
    secret: bool = False  # schema-marked; see `is_secret` for the name rule
    items: FieldKind | None = None  # element kind of a list

    @property
    def is_secret(self) -> bool:
        return self.secret or is_secret(self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind if self.items is None else f"{self.kind}[{self.items}]",
            "required": self.required,
            "default": copy.deepcopy(self.default),
            "secret": self.is_secret,
            "description": self.description,
        }


@dataclass(frozen=True, eq=False)
class ProviderSpec:
    api: str
    provider_type: str
    description: str
    api_dependencies: tuple[str, ...] = ()
    optional_api_dependencies: tuple[str, ...] = ()
    fields: tuple[ConfigField, ...] = ()
    sample: Mapping[str, Any] = field(default_factory=dict)
    source: str = "builtin"  # or the path of the YAML file that defined it

    @property
    def key(self) -> tuple[str, str]:
        return (self.api, self.provider_type)

    def get_field(self, name: str) -> ConfigField | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.is_secret)

    def sample_config(self, data_dir: Path) -> dict[str, Any]:
        """A fresh copy of the sample config with the data dir placeholder filled in."""
        filled = _fill_placeholder(dict(self.sample), str(data_dir))
        assert isinstance(filled, dict)
        return filled

    def env_vars(self) -> list[str]:
        """Names of the environment variables the sample config references, in first-use order."""
        names: list[str] = []
        for text in _strings(self.sample):
            for name in _ENV_NAME.findall(text):
                if name not in names:
                    names.append(name)
        return names

    def summary(self) -> dict[str, Any]:
        return {
            "provider_type": self.provider_type,
            "api": self.api,
            "description": self.description,
            "api_dependencies": list(self.api_dependencies),
            "optional_api_dependencies": list(self.optional_api_dependencies),
            "source": self.source,
        }


def _fill_placeholder(value: Any, data_dir: str) -> Any:
    if isinstance(value, str):
        return value.replace(DATA_DIR_PLACEHOLDER, data_dir)
    if isinstance(value, Mapping):
        return {k: _fill_placeholder(v, data_dir) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill_placeholder(v, data_dir) for v in value]
    return copy.deepcopy(value)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


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

    def get(self, provider_type: str, api: str) -> ProviderSpec:
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
        return self.get(provider_type, api).sample_config(data_dir)

    def env_vars(self, api: str, provider_type: str) -> list[str]:
        return self.get(provider_type, api).env_vars()

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
            return self.get(provider_type, api)
        apis = self.apis_of(provider_type)
        if len(apis) > 1:
            raise ConfigError(
                f"provider type {provider_type} exists for several APIs: {', '.join(apis)}",
                hint="name the API",
                code="ambiguous_provider",
            )
        if not apis:
            raise self._unknown_provider(provider_type, None)
        return self.get(provider_type, apis[0])

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
        from stackctl.config.exact import config_conforms

        spec = self._spec_for(provider_type, api)
        if config_conforms(spec, config):
            return []  # certainly valid: no need to build the pydantic model
        from stackctl.catalogue.schema import violations

        return violations(spec, self.config_model(spec.provider_type, spec.api), config)

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


# --- loading ----------------------------------------------------------------------------------------------


def _field_from_record(record: Mapping[str, Any]) -> ConfigField:
    return ConfigField(
        name=record["name"],
        kind=record["type"],
        description=record.get("description", ""),
        required=bool(record.get("required", False)),
        default=record.get("default"),
        secret=bool(record.get("secret", False)),
        items=record.get("items"),
    )


def spec_from_record(api: str, record: Mapping[str, Any], source: str = "builtin") -> ProviderSpec:
    """Turn one plain provider record (built-in data or a checked user file) into a ProviderSpec."""
    return ProviderSpec(
        api=api,
        provider_type=record["provider_type"],
        description=record.get("description", ""),
        api_dependencies=tuple(record.get("api_dependencies", ())),
        optional_api_dependencies=tuple(record.get("optional_api_dependencies", ())),
        fields=tuple(_field_from_record(f) for f in record.get("fields", ())),
        sample=copy.deepcopy(dict(record.get("sample") or {})),
        source=source,
    )


@lru_cache(maxsize=1)
def _builtin_apis() -> tuple[ApiInfo, ...]:
    from stackctl.catalogue.data import APIS

    return tuple(ApiInfo(name, kind, description, routes) for name, kind, routes, description in APIS)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _builtin_specs() -> tuple[ProviderSpec, ...]:
    from stackctl.catalogue.data import builtin_providers

    return tuple(spec_from_record(api, record) for api, record in builtin_providers())


@lru_cache(maxsize=1)
def _builtin_catalogue() -> Catalogue:
    return Catalogue(_builtin_apis(), _builtin_specs())


def load_catalogue(providers_dir: Path | None = None) -> Catalogue:
    """The catalogue: built-in APIs and providers, plus the provider types defined in `providers_dir`."""
    if providers_dir is None:
        return _builtin_catalogue()
    from stackctl.catalogue.user import load_user_providers

    builtin = _builtin_catalogue()
    user = load_user_providers(providers_dir, builtin)
    return Catalogue(builtin.apis, (*_builtin_specs(), *user))
