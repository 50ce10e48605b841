"""Stage 1 of the config pipeline: YAML text to the substituted document.

`${env.*}` references are expanded (the grammar is `stackctl.config.envsubst`), typed by the field they land
in where the provider schemas know it; disabled providers and null-id resources are dropped, and every
missing variable or malformed reference of the file is reported in one error with its path and line. Pure:
the environment and the home directory are arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stackctl.config.docpath import DocPath, format_path
from stackctl.config.envsubst import Missing, Problems, Substituter, is_provider_list
from stackctl.config.origins import Origins
from stackctl.config.rendered import ProviderSchemas, Rendered
from stackctl.config.secrets import is_secret_name, mask_values
from stackctl.config.yamlio import load_yaml, plain_copy, scalar_lines
from stackctl.errors import ConfigError
from stackctl.models.kinds import KINDS

ENV_HINT = (
    "set it in the environment, pass --env NAME=VALUE or --env-file FILE, "
    "or give a default: ${env.NAME:=value}"
)

# Resource lists and their id fields: the kinds table, plus the later layout's name for vector_dbs.
_ID_FIELDS = {kind.key: kind.id_field for kind in KINDS.values()} | {"vector_stores": "vector_store_id"}
_STR_RESOURCE_FIELDS = {"model_type", "purpose", "embedding_model", "dataset_id", "description"}
_TOP_STR = {"image_name", "distro_name", "container_image", "external_providers_dir", "external_apis_dir"}


def _kind_function(raw: dict[str, Any], schemas: ProviderSchemas | None) -> Any:
    found = raw.get("providers")
    providers: dict[Any, Any] = found if isinstance(found, dict) else {}

    def provider_kind(path: DocPath) -> str | None:
        api, index = path[1], path[2]
        entries = providers.get(api)
        if schemas is None or not isinstance(entries, list) or not isinstance(index, int):
            return None
        entry = entries[index] if index < len(entries) else None
        provider_type = entry.get("provider_type") if isinstance(entry, dict) else None
        if not isinstance(provider_type, str) or not isinstance(api, str):
            return None
        return schemas.field_kind(api, provider_type, path[4:])

    def kind_of(path: DocPath) -> str | None:
        if path and isinstance(path[-1], str) and is_secret_name(path[-1]):
            return "str"  # a key of digits is still a key
        head = path[0] if path else None
        if head == "providers":
            if len(path) == 4 and path[3] in ("provider_id", "provider_type", "module"):
                return "str"
            return provider_kind(path) if len(path) >= 5 and path[3] == "config" else None
        return _run_config_kind(path)

    return kind_of


def _run_config_kind(path: DocPath) -> str | None:
    """The type the run config schema gives a path outside provider configs, where it is a scalar."""
    head = path[0] if path else None
    if len(path) == 1:
        return "str" if head in _TOP_STR else ("int" if head == "version" else None)
    if head == "server" and len(path) == 2:
        return "int" if path[1] in ("port", "workers") else "str" if path[1] != "cors" else None
    resource_path = path[1:] if head == "registered_resources" else path
    if len(resource_path) == 3 and resource_path[0] in _ID_FIELDS:
        name = str(resource_path[2])
        if name.endswith("_id") or name in _STR_RESOURCE_FIELDS:
            return "str"
        return "int" if name == "embedding_dimension" else None
    return None


def _drop_null_resources(doc: dict[str, Any], origins: Origins) -> None:
    """Drop the resources whose id resolved to null, recording which stayed in `origins`."""
    containers: list[tuple[DocPath, dict[str, Any]]] = [((), doc)]
    if isinstance(doc.get("registered_resources"), dict):
        containers.append((("registered_resources",), doc["registered_resources"]))
    for prefix, container in containers:
        for kind, id_field in _ID_FIELDS.items():
            items = container.get(kind)
            if not isinstance(items, list):
                continue
            kept = [
                index
                for index, item in enumerate(items)
                if not (isinstance(item, dict) and id_field in item and item[id_field] is None)
            ]
            if len(kept) < len(items):
                # Resource lists sit under no list, so their path is the same in the source file.
                origins.keep((*prefix, kind), kept)
                container[kind] = [items[index] for index in kept]


def _null_disabled_auth(doc: dict[str, Any]) -> None:
    auth = doc.get("server", {}).get("auth") if isinstance(doc.get("server"), dict) else None
    config = auth.get("provider_config") if isinstance(auth, dict) else None
    if isinstance(auth, dict) and isinstance(config, dict) and "type" in config and config["type"] is None:
        auth["provider_config"] = None


def problem_error(problems: Problems, text: str, source: str) -> ConfigError:
    lines = scalar_lines(text)

    def where(path: DocPath) -> str:
        line = lines.get(path)
        return f"{format_path(path)} ({source}:{line})" if line else format_path(path)

    details: list[str] = []
    for path, syntax in problems.syntax:
        details.append(f"{where(path)}: {syntax.message}" + (f"; {syntax.hint}" if syntax.hint else ""))
    names: dict[str, None] = {}  # first-seen order, each name once: linear in the number of problems
    for missing in problems.missing:
        note = f": {missing.message}" if missing.message else ""
        details.append(f"{where(missing.path)}: environment variable {missing.name} is not set{note}")
        names.setdefault(missing.name)
    if problems.syntax and not problems.missing:
        message = f"{source}: {len(problems.syntax)} malformed ${{env.*}} reference(s)"
        hint = problems.syntax[0][1].hint if len(problems.syntax) == 1 else None
        return ConfigError(message, details=details, hint=hint, code="invalid_reference")
    message = f"{source}: missing environment variable(s): {', '.join(names)}"
    if problems.syntax:
        message += f"; and {len(problems.syntax)} malformed reference(s)"
    return ConfigError(message, details=details, hint=ENV_HINT, code="missing_env_var")


def secret_path_function(raw: Mapping[str, Any], schemas: Any) -> Callable[[DocPath], bool]:
    """Whether a path of the raw document is a secret field: by its name, or marked by its provider's
    schema (`schemas.secret_fields(api, provider_type)`, when the schemas offer it)."""
    found = raw.get("providers")
    providers: Mapping[Any, Any] = found if isinstance(found, dict) else {}
    marked = getattr(schemas, "secret_fields", None)

    def is_secret(path: DocPath) -> bool:
        if any(isinstance(part, str) and is_secret_name(part) for part in path):
            return True
        if marked is None or len(path) < 5 or path[0] != "providers" or path[3] != "config":
            return False
        entries = providers.get(path[1])
        index = path[2]
        if not isinstance(entries, list) or not isinstance(index, int) or index >= len(entries):
            return False
        entry = entries[index]
        provider_type = entry.get("provider_type") if isinstance(entry, dict) else None
        return isinstance(provider_type, str) and path[4] in marked(str(path[1]), provider_type)

    return is_secret


def _deferred_warnings(deferred: list[Missing], text: str | bytes, source: str) -> list[str]:
    lines = scalar_lines(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    out = []
    for missing in deferred:
        line = lines.get(missing.path)
        where = f"{format_path(missing.path)} ({source}:{line})" if line else format_path(missing.path)
        out.append(
            f"{where}: environment variable {missing.name} is not set; "
            "this secret is read from the environment when the provider is called"
        )
    return out


def substitute(
    text: str | bytes,
    source: str,
    env: Mapping[str, str],
    home: str | None,
    schemas: ProviderSchemas | None,
    *,
    defer_secrets: bool = False,
    parsed: Any = None,
) -> Rendered:
    """Stage 1. With `defer_secrets`, a secret field whose variables are unset keeps its reference text
    and is a warning, not an error: `register` stores references, the secret is read at call time.
    `parsed` is the text already loaded (by `load_yaml`): used instead of loading it again, through a copy,
    since what substitution builds may share parts of the document it is given."""
    raw = load_yaml(text, source) if parsed is None else plain_copy(parsed)
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{source}: a run config must be a YAML mapping, got {kind}")
    is_secret = secret_path_function(raw, schemas)
    substituter = Substituter(
        env=env,
        home=home,
        kind_of=_kind_function(raw, schemas),
        defer=is_secret if defer_secrets else None,
        secret_path=is_secret,
    )
    doc = substituter.value(raw, ())
    if substituter.problems:
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise problem_error(substituter.problems, decoded, source)
    # Disabled providers are dropped silently, as in llama-stack; a dropped resource is worth a warning,
    # because `register` would otherwise never say why it did not register it (SPEC section 5).
    warnings = [
        f"{format_path(path)}: dropped: its provider_id is __disabled__"
        for path in substituter.dropped
        if not is_provider_list(path[:-1])
    ]
    if substituter.deferred:
        warnings += _deferred_warnings(substituter.deferred, text, source)
    origins = Origins(kept=substituter.kept)
    _drop_null_resources(doc, origins)
    _null_disabled_auth(doc)
    secrets = frozenset(substituter.secret_values)
    return Rendered(dict(doc), mask_values(warnings, secrets), origins, secret_values=secrets)


def substitute_config(
    text: str | bytes,
    source: str,
    env: Mapping[str, str],
    *,
    home: str | None = None,
    schemas: ProviderSchemas | None = None,
) -> dict[str, Any]:
    """Parse and substitute a run config; raise ConfigError listing every problem."""
    return substitute(text, source, env, home, schemas).document
