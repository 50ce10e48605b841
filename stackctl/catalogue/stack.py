"""The catalogue as the render pipeline and the resolver see it.

`StackCatalogue` adapts `Catalogue` to the two small protocols `rendered.ProviderSchemas` and
`resolver.Catalogue`: both are keyed by (api, provider_type) and answer "unknown" with None instead of
raising, since those callers collect every problem before failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.lookup import Catalogue
from stackctl.catalogue.spec import ApiInfo, ProviderSpec
from stackctl.config.docpath import DocPath


class StackCatalogue:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.apis: Mapping[str, ApiInfo] = {info.name: info for info in catalogue.apis}
        self._specs = {spec.key: spec for spec in catalogue.providers}

    def get(self, api: str, provider_type: str) -> ProviderSpec | None:
        return self._specs.get((api, provider_type))

    def known_provider(self, api: str, provider_type: str) -> bool:
        return (api, provider_type) in self._specs

    def provider_types(self, api: str) -> list[str]:
        return [ptype for (spec_api, ptype) in self._specs if spec_api == api]

    def field_kind(self, api: str, provider_type: str, path: DocPath) -> str | None:
        if (api, provider_type) not in self._specs:
            return None
        return self.catalogue.field_kind(provider_type, path, api=api)

    def validate_config(
        self, api: str, provider_type: str, config: dict[str, Any]
    ) -> list[tuple[DocPath, str]]:
        return self.catalogue.validate_config(provider_type, config, api=api)

    def with_external(
        self, providers_dir: str | None, apis_dir: str | None, home: str | None
    ) -> StackCatalogue:
        """This catalogue plus a run config's `external_providers_dir` and `external_apis_dir`."""
        from stackctl.catalogue.external import extend

        return StackCatalogue(extend(self.catalogue, providers_dir, apis_dir, home))

    def ignores_unknown(self, api: str, provider_type: str) -> bool:
        spec = self.get(api, provider_type)
        return spec is not None and spec.ignores_unknown

    def provider_warnings(
        self, api: str, provider_type: str, config: dict[str, Any]
    ) -> list[tuple[DocPath, str]]:
        """A deprecated provider type (path `provider_type`) and the older names of config fields."""
        spec = self.get(api, provider_type)
        if spec is None:
            return []
        found: list[tuple[DocPath, str]] = []
        if spec.deprecated is not None:
            found.append((("provider_type",), spec.deprecated.message(provider_type)))
        for path, message in self.catalogue.config_warnings(provider_type, config, api=api):
            found.append((("config", *path), message))
        return found

    def secret_fields(self, api: str, provider_type: str) -> tuple[str, ...]:
        """The provider's config fields that hold secrets, schema-marked or by name."""
        spec = self.get(api, provider_type)
        return spec.secret_fields if spec is not None else ()

    def secret_path_predicate(self, document: Mapping[str, Any]) -> Callable[[DocPath], bool]:
        """Schema-marked secret fields of the providers of a rendered document, as a path test for redact."""
        providers = document.get("providers") or {}

        def is_secret(path: DocPath) -> bool:
            if len(path) != 5 or path[0] != "providers" or path[3] != "config":
                return False
            api, index = path[1], path[2]
            entries = providers.get(api) if isinstance(api, str) else None
            if not isinstance(entries, list) or not isinstance(index, int) or index >= len(entries):
                return False
            spec = self.get(str(api), str(entries[index].get("provider_type")))
            field = spec.get_field(str(path[4])) if spec is not None else None
            return field is not None and field.is_secret

        return is_secret


def catalogue_for(env: Mapping[str, str]) -> StackCatalogue:
    """The built-in catalogue plus the provider types of `STACKCTL_PROVIDERS_DIR`."""
    from stackctl.paths import providers_dir

    return StackCatalogue(load_catalogue(providers_dir(env)))
