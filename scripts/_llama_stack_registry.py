"""Print llama-stack's provider registry as JSON facts. Runs inside a venv that has llama-stack installed."""
import enum
import importlib
import importlib.metadata as md
import json
import sys
import types
import typing
from pathlib import Path

from pydantic import BaseModel, SecretStr
from pydantic_core import PydanticUndefined

NONE = type(None)

def kinds(ann):
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return kinds(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        out, items = [], None
        for arg in typing.get_args(ann):
            if arg is NONE:
                continue
            k, i = kinds(arg)
            for part in k.split("|"):
                if part not in out:
                    out.append(part)
            items = items or i
        if "any" in out:
            return "any", None
        return "|".join(out) or "any", items
    if origin is typing.Literal:
        vals = typing.get_args(ann)
        return {bool: "bool", int: "int", float: "float"}.get(type(vals[0]), "str"), None
    if origin in (list, tuple, set, frozenset, list):
        args = typing.get_args(ann)
        item = kinds(args[0])[0] if args else "any"
        return "list", (item if "|" not in item else "any")
    if origin in (dict, dict):
        return "dict", None
    if ann is typing.Any or ann is object:
        return "any", None
    if isinstance(ann, type):
        if issubclass(ann, bool): return "bool", None
        if issubclass(ann, int) and not issubclass(ann, enum.Enum): return "int", None
        if issubclass(ann, float): return "float", None
        if issubclass(ann, (str, SecretStr, Path, enum.Enum)): return "str", None
        if issubclass(ann, BaseModel) or issubclass(ann, dict): return "dict", None
        if ann.__name__ in ("HttpUrl", "AnyUrl", "Url", "AnyHttpUrl"): return "str", None
    name = getattr(ann, "__name__", str(ann))
    if "Url" in name: return "str", None
    return "any", None

def secret(ann):
    if ann is SecretStr: return True
    return any(secret(a) for a in typing.get_args(ann))

def jsonable(v):
    if isinstance(v, BaseModel): return v.model_dump(mode="json")
    if isinstance(v, SecretStr): return v.get_secret_value()
    if isinstance(v, enum.Enum): return v.value
    if isinstance(v, Path): return str(v)
    if isinstance(v, (list, tuple)): return [jsonable(x) for x in v]
    if isinstance(v, dict): return {str(k): jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)): return v
    return str(v)

def fields_of(cls):
    out, seen = [], set()
    for name, f in cls.model_fields.items():
        key = f.alias or name
        if key in seen:
            continue
        seen.add(key)
        kind, items = kinds(f.annotation)
        if f.default_factory is not None:
            try: default = jsonable(f.default_factory())
            except TypeError: default = None
        else:
            default = None if f.default is PydanticUndefined else jsonable(f.default)
        nullable = NONE in typing.get_args(f.annotation) or f.annotation is NONE
        out.append({"name": key, "type": kind, "items": items, "required": f.is_required(), "nullable": nullable,
                    "default": default, "secret": secret(f.annotation)})
    return out

def main():
    from llama_stack.apis.datatypes import Api
    from llama_stack.core.distribution import (
        INTERNAL_APIS,
        builtin_automatically_routed_apis,
        get_provider_registry,
    )
    providers, errors = [], []
    for api, specs in get_provider_registry().items():
        for ptype, spec in specs.items():
            rec = {"api": api.value, "provider_type": ptype,
                   "pip_packages": list(spec.pip_packages or []),
                   "api_dependencies": [a.value for a in spec.api_dependencies or []],
                   "optional_api_dependencies": [a.value for a in spec.optional_api_dependencies or []],
                   "deprecation_warning": spec.deprecation_warning, "deprecation_error": spec.deprecation_error,
                   "fields": None}
            try:
                mod, _, cls = spec.config_class.rpartition(".")
                config_class = getattr(importlib.import_module(mod), cls)
                rec["fields"] = fields_of(config_class)
                rec["extra"] = config_class.model_config.get("extra")
            except Exception as exc:
                errors.append(f"{ptype}: {type(exc).__name__}: {exc}")
            providers.append(rec)
    routed = {a.routing_table_api.value: a.router_api.value for a in builtin_automatically_routed_apis()}
    apis = [{"name": a.value, "kind": "routing_table" if a.value in routed else "builtin" if a in INTERNAL_APIS else "providable", "routes": routed.get(a.value)} for a in Api]
    json.dump({"release": md.version("llama-stack"), "apis": apis, "providers": providers, "errors": errors}, sys.stdout, indent=1)

main()
