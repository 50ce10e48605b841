"""`config vars`: every variable a run config references: syntax, default, paths, and whether it is set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.config.docpath import format_path
from stackctl.config.envsubst import Problems, Ref
from stackctl.config.secrets import is_secret_name, mask_value
from stackctl.config.yamlio import load_yaml
from stackctl.userinfo import find_userinfo, looks_like_token

_SYNTAX = {None: "required", "=": "default", "+": "alternative", "?": "required"}


def _body_text(ref: Ref) -> str:
    return "".join(part if isinstance(part, str) else part.raw for part in ref.body)


def _in_secret_field(path: tuple[str | int, ...]) -> bool:
    names = [part for part in path if isinstance(part, str)]
    return bool(names) and is_secret_name(names[-1])


def _in_url_secret(raw: Any, path: tuple[str | int, ...], ref: Ref) -> bool:
    """Whether the reference is a URL's password in its field (`http://user:${env.PW:=x}@host`), or the
    token of a user part alone, so that its default is as secret as a secret field's."""
    value = raw
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(value, str) or "@" not in value:
        return False
    for info in find_userinfo(value):
        user, password = info.parts(value)
        if password is not None and ref.raw in password:
            return True
        if password is None and ref.raw in user and looks_like_token(_body_text(ref)):
            return True
    return False


def _masked(row: dict[str, Any]) -> dict[str, Any]:
    """A row of a variable used in a secret field: its default or alternative text is literal secret."""
    return {
        **row,
        "syntax": mask_value(row["syntax"]),
        "default": mask_value(row["default"]) if row["default"] else row["default"],
        "alternative": mask_value(row["alternative"]) if row["alternative"] else row["alternative"],
    }


def list_variables(
    text: str | bytes, source: str, env: Mapping[str, str], *, show_secrets: bool = False
) -> list[dict[str, Any]]:
    """One row per distinct reference; the literal text of those used in secret fields is masked."""
    from stackctl.config.envsubst import references

    raw = load_yaml(text, source)
    malformed = Problems()
    found = references(raw, problems=malformed)
    if malformed:
        from stackctl.config.substitute import problem_error

        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise problem_error(malformed, decoded, source)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    secret: set[tuple[str, str]] = set()
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
        if _in_secret_field(path) or _in_url_secret(raw, path, ref):
            secret.add(key)
    shown = [row if show_secrets or key not in secret else _masked(row) for key, row in rows.items()]
    return sorted(shown, key=lambda r: (r["name"], r["syntax"]))
