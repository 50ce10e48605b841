"""The run config's before-validators, as plain functions free of pydantic.

The pydantic models apply them through `field_validator`; the pydantic-free validator of
`stackctl.config.exact` applies the same functions, named in the generated schema table. Each takes the raw
value and returns the value to validate, and never raises.
"""

from __future__ import annotations

from typing import Any


def none_as_empty_dict(value: Any) -> Any:
    """`config:` with nothing under it is an empty mapping."""
    return {} if value is None else value


def none_as_empty_list(value: Any) -> Any:
    """`shields:` with nothing under it is an empty list in hand-written configs, not an error."""
    return [] if value is None else value


def number_as_text(value: Any) -> Any:
    """`image_name: 2024`, or a substituted number, must still name the stack."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    try:
        return str(value)
    except ValueError:  # an int past Python's digit limit for text: left for validation to refuse
        return value
