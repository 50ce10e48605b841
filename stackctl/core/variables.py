"""`config vars`: every variable a run config references: syntax, default, paths, and whether it is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.core.docpath import format_path
from stackctl.core.envsubst import Problems, Ref
from stackctl.core.yamlio import load_yaml

_SYNTAX = {None: "required", "=": "default", "+": "alternative", "?": "required"}


def _body_text(ref: Ref) -> str:
    return "".join(part if isinstance(part, str) else part.raw for part in ref.body)


def list_variables(text: str | bytes, source: str, env: Mapping[str, str]) -> list[dict[str, Any]]:
    from stackctl.core.envsubst import references

    raw = load_yaml(text, source)
    malformed = Problems()
    found = references(raw, problems=malformed)
    if malformed:
        from stackctl.core.loader import problem_error

        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise problem_error(malformed, decoded, source)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for path, ref in found:
        key = (ref.name, ref.raw)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {
                "name": ref.name,
                "syntax": ref.raw,
                "kind": _SYNTAX[ref.op],
                "default": _body_text(ref) if ref.op == "=" else None,
                "alternative": _body_text(ref) if ref.op == "+" else None,
                "set": bool(env.get(ref.name)),
                "paths": [],
            }
        where = format_path(path)
        if where not in row["paths"]:
            row["paths"].append(where)
    return sorted(rows.values(), key=lambda r: (r["name"], r["syntax"]))
