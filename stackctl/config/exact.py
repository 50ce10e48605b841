"""Pydantic-free validation for documents whose values already have their exact declared types.

Importing pydantic and building the run config models costs more than a whole render, so the render path
first asks this module. It answers only when it is certain: `dump_run_config` returns exactly what
`RunConfig.model_validate(doc).model_dump(mode="json", exclude_unset=True)` would, or None; and
`scalar_conforms` (used by `stackctl.catalogue.conform` for provider configs) says True only for a value
the declared scalar type takes as it is. On None
or False the caller asks pydantic, which stays the authority and writes every error message. So this
module never reports an error itself, and accepts a value only when its type is exactly the declared one
(no `"8321"` for an int, no `1` for a bool, nothing that JSON cannot hold as it is).

The run config's shape comes from `stackctl/models/runconfig_table.json`, generated from the pydantic
models; the before-validators are the shared functions of `stackctl.models.field_rules`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from stackctl.models import field_rules

_TABLE = Path(__file__).resolve().parents[1] / "models" / "runconfig_table.json"
_INT_BOUND = 2**63  # pydantic-core takes larger ints too; past this bound the answer is left to it
_MAX_DEPTH = 100  # nesting inside an Any field; the YAML loader refuses more than 200 in a whole file


class _Unsure(Exception):
    """The value is not certainly valid: pydantic must decide."""


@cache
def _table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(_TABLE.read_text(encoding="utf-8"))
    return table


def _plain(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-native value, as `mode="json"` dumps an Any field; anything else is unsure.

    Nesting deeper than `_MAX_DEPTH` is unsure too (pydantic has its own serialization depth limit, and
    a cyclic value would never end)."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if not math.isfinite(value):
            raise _Unsure
        return value
    if depth >= _MAX_DEPTH:
        raise _Unsure
    if kind is list:
        return [_plain(item, depth + 1) for item in value]
    if kind is dict:
        return {_key(key): _plain(item, depth + 1) for key, item in value.items()}
    raise _Unsure


def _key(key: Any) -> str:
    if type(key) is not str:
        raise _Unsure
    return _text(key)


def _text(text: str) -> str:
    """Text that UTF-8 can hold; a lone surrogate (from a `\\ud800` escape) is left to pydantic."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _Unsure from None
    return text


def _scalar(kind: str, value: Any) -> Any:
    kind_of_value = type(value)
    if kind == "str" and kind_of_value is str:
        return _text(value)
    if kind == "int" and kind_of_value is int and -_INT_BOUND < value < _INT_BOUND:
        return value
    if kind == "float" and kind_of_value is float and math.isfinite(value):
        return value
    if kind == "bool" and kind_of_value is bool:
        return value
    raise _Unsure


def _value(declared: list[Any], value: Any) -> Any:
    kind = declared[0]
    if kind == "any":
        return _plain(value)
    if kind == "optional":
        return None if value is None else _value(declared[1], value)
    if kind == "list":
        if type(value) is not list:
            raise _Unsure
        return [_value(declared[1], item) for item in value]
    if kind == "dict":
        if type(value) is not dict:
            raise _Unsure
        return {_key(key): _value(declared[1], item) for key, item in value.items()}
    if kind == "model":
        return _model(declared[1], value)
    return _scalar(kind, value)


def _model(name: str, value: Any) -> dict[str, Any]:
    """The `exclude_unset` dump: the given fields in declaration order, then any extra keys as given."""
    if type(value) is not dict:
        raise _Unsure
    model = _table()["models"][name]
    fields: dict[str, Any] = model["fields"]
    out: dict[str, Any] = {}
    for field_name, field in fields.items():
        if field_name in value:
            raw = value[field_name]
            rule = field.get("before")
            out[field_name] = _value(field["type"], getattr(field_rules, rule)(raw) if rule else raw)
        elif field["required"]:
            raise _Unsure
    extra = [key for key in value if key not in fields]
    if extra and model["extra"] != "allow":
        raise _Unsure
    for key in extra:
        out[_key(key)] = _plain(value[key])
    return out


def dump_run_config(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run config's `exclude_unset` JSON dump when `doc` is certainly valid, else None."""
    try:
        return _model(_table()["root"], doc)
    except _Unsure:
        return None


def run_config_default(field_name: str) -> Any:
    """The plain default of a top-level run config field (`version` is 2)."""
    table = _table()
    return table["models"][table["root"]]["fields"][field_name]["default"]


def scalar_conforms(kind: str, value: Any) -> bool:
    """True when `value` certainly has the scalar kind (str, int, float, bool) as pydantic would accept it."""
    try:
        _scalar(kind, value)
    except _Unsure:
        return False
    return True
