"""A run config's own provider types and APIs: `external_providers_dir` and `external_apis_dir`.

The directories have llama-stack's layout and spec format:

- `external_providers_dir`: `remote/<api>/<name>.yaml` (type `remote::<name>`, with `adapter_type`, `module`,
  `config_class`) and `inline/<api>/<name>.yaml` (type `inline::<name>`, with `module`, `config_class`); both
  may list `pip_packages`, `api_dependencies` and `optional_api_dependencies`;
- `external_apis_dir`: `*.yaml`, each naming an API (`name`, `module`, optional `pip_packages`).

The provider's config class lives in its own package, so the catalogue knows no fields of such a type: its
config takes any keys. A missing directory, unreadable YAML or a spec without its required keys is a
`ConfigError` naming the file and the key. A type that the built-in catalogue has is replaced, as
llama-stack replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stackctl.catalogue.lookup import Catalogue
from stackctl.catalogue.spec import ApiInfo, ProviderSpec
from stackctl.config.yamlio import load_yaml
from stackctl.errors import ConfigError
from stackctl.files import read_bounded

_REQUIRED = {"remote": ("adapter_type", "module", "config_class"), "inline": ("module", "config_class")}


def _directory(value: str, home: str | None, key: str) -> Path:
    path = Path(value)
    if value.startswith("~") and home is not None:
        path = Path(home) / value[1:].lstrip("/")
    if not path.is_dir():
        raise ConfigError(f"{key}: directory not found: {path}", code="not_found")
    return path


def _spec_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            text = read_bounded(handle, str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read provider spec: {exc.strerror}") from None
    data = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a provider spec must be a YAML mapping")
    return data


def _strings(data: dict[str, Any], key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    return tuple(value)


def external_providers(value: str, home: str | None, apis: Iterable[str]) -> list[ProviderSpec]:
    """The provider types of an `external_providers_dir`, for the providable `apis` it has folders for."""
    root = _directory(value, home, "external_providers_dir")
    found: list[ProviderSpec] = []
    for api in apis:
        for where in ("remote", "inline"):
            for path in sorted(p for p in (root / where / api).glob("*.yaml") if p.is_file()):
                data = _spec_file(path)
                missing = [key for key in _REQUIRED[where] if not isinstance(data.get(key), str)]
                if missing:
                    raise ConfigError(f"{path}: a {where} provider spec needs {', '.join(missing)}")
                found.append(
                    ProviderSpec(
                        api=api,
                        provider_type=f"{where}::{path.stem}",
                        description=str(data.get("description") or f"External provider from {path.name}."),
                        api_dependencies=_strings(data, "api_dependencies", path),
                        optional_api_dependencies=_strings(data, "optional_api_dependencies", path),
                        pip_packages=_strings(data, "pip_packages", path),
                        source=str(path),
                        open_config=True,
                    )
                )
    return found


def external_apis(value: str, home: str | None) -> list[ApiInfo]:
    """The APIs an `external_apis_dir` defines."""
    root = _directory(value, home, "external_apis_dir")
    found = []
    for path in sorted(p for p in root.glob("*.yaml") if p.is_file()):  # no FIFO or device: it would hang
        data = _spec_file(path)
        if not isinstance(data.get("name"), str) or not isinstance(data.get("module"), str):
            raise ConfigError(f"{path}: an external API spec needs name and module")
        found.append(ApiInfo(data["name"], "providable", f"External API from {path.name}."))
    return found


def extend(
    catalogue: Catalogue, providers_dir: str | None, apis_dir: str | None, home: str | None
) -> Catalogue:
    """The catalogue with a config's external APIs and provider types added (replacing same-named ones)."""
    apis = list(catalogue.apis)
    if apis_dir:
        known = {info.name for info in apis}
        apis += [info for info in external_apis(apis_dir, home) if info.name not in known]
    providers = {spec.key: spec for spec in catalogue.providers}
    if providers_dir:
        providable = [info.name for info in apis if info.kind == "providable"]
        providers.update({spec.key: spec for spec in external_providers(providers_dir, home, providable)})
    return Catalogue(apis, providers.values())
