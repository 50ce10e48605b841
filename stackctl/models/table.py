"""The run config schema as a table of plain data, generated from the pydantic models.

`python -m stackctl.models.table` rewrites `runconfig_table.json`; `python -m stackctl.models.table --check`
exits 1 when the committed file is stale (a test runs the same comparison). The table names each model's
fields with their type, whether they are required, their default when it is a plain value, and the
`field_rules` function that runs before validation. Types are lists: `["str"]`, `["int"]`, `["any"]`,
`["optional", T]`, `["list", T]`, `["dict", T]` (string keys) and `["model", NAME]`.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from stackctl.models import field_rules
from stackctl.models.runconfig import RunConfig

TABLE_PATH = Path(__file__).with_name("runconfig_table.json")
_SCALARS = {str: "str", int: "int", float: "float", bool: "bool"}


def _type(annotation: Any, models: dict[str, Any]) -> list[Any]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return ["any"]
    if annotation in _SCALARS:
        return [_SCALARS[annotation]]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _add_model(annotation, models)
        return ["model", annotation.__name__]
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = next(arg for arg in args if arg is not type(None))
        return ["optional", _type(inner, models)]
    if origin is list:
        return ["list", _type(args[0], models)]
    if origin is dict and args[0] is str:
        return ["dict", _type(args[1], models)]
    raise TypeError(
        f"no table type for {annotation!r}: extend stackctl.models.table and stackctl.config.exact"
    )


def _rules(model: type[BaseModel]) -> dict[str, str]:
    rules: dict[str, str] = {}
    for decorator in model.__pydantic_decorators__.field_validators.values():
        function = decorator.func
        if decorator.info.mode != "before" or getattr(field_rules, function.__name__, None) is not function:
            raise TypeError(f"{model.__name__}: validators must be `before` functions of field_rules")
        rules.update(dict.fromkeys(decorator.info.fields, function.__name__))
    return rules


def _field(info: FieldInfo, rule: str | None, models: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": _type(info.annotation, models), "required": info.is_required()}
    if not info.is_required() and info.default_factory is None:
        entry["default"] = info.default
    if rule:
        entry["before"] = rule
    return entry


def _add_model(model: type[BaseModel], models: dict[str, Any]) -> None:
    if model.__name__ in models:
        return
    models[model.__name__] = None  # reserved first: a model may refer to itself
    if model.model_config.get("extra") not in ("allow", "forbid"):
        raise TypeError(f"{model.__name__}: say extra='allow' or extra='forbid'")
    rules = _rules(model)
    models[model.__name__] = {
        "extra": model.model_config["extra"],
        "fields": {name: _field(info, rules.get(name), models) for name, info in model.model_fields.items()},
    }


def build_table(root: type[BaseModel] = RunConfig) -> dict[str, Any]:
    models: dict[str, Any] = {}
    _add_model(root, models)
    return {"root": root.__name__, "models": dict(sorted(models.items()))}


def table_text() -> str:
    """The table as JSON, one field to a line so that a diff of it reads like a diff of the models."""
    table = build_table()
    blocks = []
    for name, model in table["models"].items():
        fields = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in model["fields"].items())
        blocks.append(
            f'  {json.dumps(name)}: {{\n   "extra": {json.dumps(model["extra"])},\n   "fields": {{\n'
            f"{fields}\n   }}\n  }}"
        )
    body = ",\n".join(blocks)
    return f'{{\n "root": {json.dumps(table["root"])},\n "models": {{\n{body}\n }}\n}}\n'


def main(argv: list[str]) -> int:
    text = table_text()
    if "--check" in argv:
        stale = not TABLE_PATH.exists() or TABLE_PATH.read_text(encoding="utf-8") != text
        if stale:
            sys.stderr.write(f"{TABLE_PATH.name} is stale: run python -m stackctl.models.table\n")
        return 1 if stale else 0
    TABLE_PATH.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
