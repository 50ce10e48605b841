"""Pydantic config models built from catalogue field data, and validation that reports every violation.

A model is built per provider on first use (`pydantic.create_model`). Field names are kept as aliases of
generated attribute names, so that any config key (`schema`, `json`, `model_id`) is a valid field. Unknown
keys are violations with a did-you-mean suggestion. A list of strings also accepts a comma-separated string,
as llama-stack's own list settings do (`sinks: ${env.TELEMETRY_SINKS:=console,sqlite}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from stackctl.catalogue.spec import ConfigField, Path_, Violation
from stackctl.hints import did_you_mean

if TYPE_CHECKING:
    from stackctl.catalogue.spec import ProviderSpec

_SCALARS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dict": dict[str, Any],
    "any": Any,
}


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _annotation(config_field: ConfigField) -> Any:
    if len(config_field.kinds) > 1:  # a union such as bool|str: pydantic's smart mode keeps the exact type
        members = tuple(_SCALARS[kind] for kind in config_field.kinds)
        return Union[members]  # noqa: UP007  (a runtime tuple of types)
    if config_field.kind != "list":
        return _SCALARS[config_field.kind]
    item = _SCALARS[config_field.items or "any"]
    if config_field.items == "str":
        return Annotated[list[item], BeforeValidator(_split_commas)]  # type: ignore[valid-type]
    return list[item]  # type: ignore[valid-type]


def build_model(spec: ProviderSpec) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    for index, config_field in enumerate(spec.fields):
        annotation = _annotation(config_field)
        if config_field.required:
            required = annotation | None if config_field.nullable else annotation
            definitions[f"f{index}"] = (required, Field(..., alias=config_field.name))
        else:
            definitions[f"f{index}"] = (
                annotation | None,
                Field(default=config_field.default, alias=config_field.name),
            )
    name = "Config_" + "".join(ch if ch.isalnum() else "_" for ch in f"{spec.api}_{spec.provider_type}")
    model: type[BaseModel] = create_model(
        name,
        __config__=ConfigDict(extra="allow" if spec.open_config else "forbid", populate_by_name=False),
        **definitions,
    )
    return model


def _message(error: Mapping[str, Any], spec: ProviderSpec, path: Path_) -> str:
    if error["type"] == "extra_forbidden" and len(path) == 1:
        key = str(path[0])
        names = [f.name for f in spec.fields]
        if not names:
            return f"unknown field '{key}' ({spec.provider_type} takes no config fields)"
        suggestion = did_you_mean(key, names)
        return f"unknown field '{key}'" + (f"; {suggestion}" if suggestion else "")
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"])


def violations(spec: ProviderSpec, model: type[BaseModel], config: Any) -> list[Violation]:
    """Every way `config` breaks the provider's schema; empty when it is valid. None counts as {}."""
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        return [((), f"config must be a mapping, not {type(config).__name__}")]
    try:
        model.model_validate(dict(config))
    except ValidationError as exc:
        found: list[Violation] = []
        for error in exc.errors():
            path: Path_ = tuple(error["loc"])
            found.append((path, _message(error, spec, path)))
        return found
    return []
