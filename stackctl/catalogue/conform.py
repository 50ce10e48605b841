"""Pydantic-free check that a provider config is certainly valid for its provider's schema.

The render path asks this first: True means the provider's pydantic config model accepts the config as it
is, so the model need not be built; False means "not certain", and pydantic decides and words the errors.
"""

from __future__ import annotations

from typing import Any

from stackctl.catalogue.spec import ConfigField, ProviderSpec
from stackctl.config.exact import scalar_conforms


def _conforms(field: ConfigField, value: Any) -> bool:
    if value is None:
        return not field.required or field.nullable or field.kind == "any"
    if field.kind != "list":
        return any(_kind_conforms(kind, value) for kind in field.kinds)
    if field.items == "str" and type(value) is str:
        return True  # a comma-separated list, split by the model
    return type(value) is list and all(_kind_conforms(field.items or "any", item) for item in value)


def _kind_conforms(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "dict":
        return type(value) is dict and all(type(key) is str for key in value)
    if kind == "float" and type(value) is int:
        return -(2**53) <= value <= 2**53
    return scalar_conforms(kind, value)


def config_conforms(spec: ProviderSpec, config: Any) -> bool:
    """True only when the provider's pydantic config model certainly accepts `config` (None is {})."""
    if config is None:
        return not any(field.required for field in spec.fields)
    if type(config) is not dict:
        return False
    fields = {field.name: field for field in spec.fields}
    if not spec.open_config and any(key not in fields for key in config):
        return False
    return all(
        _conforms(field, config[name]) if name in config else not field.required
        for name, field in fields.items()
    )
