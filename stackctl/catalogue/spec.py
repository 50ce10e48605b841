"""Plain types of the catalogue: APIs, config fields and provider specs, and the record they are read from.

No pydantic and no I/O here: a `ProviderSpec` is built from a plain record (`spec_from_record`) of the
built-in data or of a checked user file, and knows its fields, its sample config and the variables it uses.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from stackctl.config.secrets import is_secret_name as is_secret

ApiKind = Literal["providable", "routing_table", "builtin"]
# A field's kind is one of FIELD_KINDS or a union of scalar kinds written `bool|str` (members in the schema's
# order, as llama-stack's `bool | str`).
FieldKind = str
FIELD_KINDS: tuple[str, ...] = ("str", "int", "float", "bool", "list", "dict", "any")
SCALAR_KINDS: tuple[str, ...] = ("str", "int", "float", "bool")
Path_ = tuple[str | int, ...]
Violation = tuple[Path_, str]

DATA_DIR_PLACEHOLDER = "{data_dir}"
PREFIXES: tuple[str, ...] = ("inline::", "remote::")

# A reference's name, not preceded by `$` (`$${env.X}` is an escaped literal).
_ENV_NAME = re.compile(r"(?<!\$)\$\{env\.([A-Z0-9_]+)")


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
    nullable: bool = False  # a required field that may be null: it must be given, `null` will do
    # Set on a field under an older layout's name: the field's name now. Accepted, with a warning.
    renamed_to: str | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The members of a union kind (`bool|str` -> ("bool", "str")); one member otherwise."""
        return tuple(self.kind.split("|"))

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
            **({"renamed_to": self.renamed_to} if self.renamed_to else {}),
        }


@dataclass(frozen=True)
class Deprecation:
    """A deprecated provider type: the type that replaces it, and whether it still works at all."""

    replaced_by: str | None = None
    broken: bool = False

    def message(self, provider_type: str) -> str:
        instead = f"; use {self.replaced_by}" if self.replaced_by else ""
        state = "no longer works" if self.broken else "is deprecated"
        return f"provider type {provider_type} {state}{instead}"


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
    pip_packages: tuple[str, ...] = ()
    deprecated: Deprecation | None = None
    # How stackctl talks to an inference provider over HTTP (see `stackctl.inference.endpoints`).
    http: Mapping[str, Any] | None = None
    # The llama-stack release whose registry has this type, or "older" for a type only the older layout has.
    release: str | None = None
    # Whether the config takes keys beyond its fields (llama-stack passes them on to the provider's client).
    open_config: bool = False
    # Whether llama-stack silently drops config keys that are not fields (pydantic's default). stackctl
    # reports them: a warning when rendering, a problem for `config validate`.
    ignores_unknown: bool = False

    def renamed_fields(self) -> dict[str, str]:
        """Older field name -> the name the field has now."""
        return {f.name: f.renamed_to for f in self.fields if f.renamed_to}

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
            "pip_packages": list(self.pip_packages),
            "deprecated": None if self.deprecated is None else self.deprecated.message(self.provider_type),
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


def _field_from_record(record: Mapping[str, Any]) -> ConfigField:
    return ConfigField(
        name=record["name"],
        kind=record["type"],
        description=record.get("description", ""),
        required=bool(record.get("required", False)),
        default=record.get("default"),
        secret=bool(record.get("secret", False)),
        items=record.get("items"),
        renamed_to=record.get("renamed_to"),
        nullable=bool(record.get("nullable", False)),
    )


def short_name(provider_type: str) -> str:
    """The one short name of a provider type, as ids and image names use it.

    `remote::fireworks` -> `fireworks`; `remote::hf::endpoint` -> `hf-endpoint`; a bare name stays as it is.
    """
    return provider_type.split("::", 1)[-1].replace("::", "-")


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
        pip_packages=tuple(record.get("pip_packages", ())),
        deprecated=_deprecation(record.get("deprecated")),
        http=copy.deepcopy(record["http"]) if record.get("http") else None,
        release=record.get("release"),
        open_config=bool(record.get("open_config", False)),
        ignores_unknown=bool(record.get("ignores_unknown", False)),
    )


def _deprecation(value: Any) -> Deprecation | None:
    if not value:
        return None
    if isinstance(value, Mapping):
        return Deprecation(value.get("replaced_by"), bool(value.get("broken", False)))
    return Deprecation(str(value))
