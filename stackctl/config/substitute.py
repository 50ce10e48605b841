"""The config-load pipeline, the only one: read -> substitute -> normalize -> validate.

Every command that reads a run config goes through `render_config`. It is pure: the environment, the home
directory and the provider schemas are arguments. Every problem found in one pass is reported together.

The rendered document comes with its `Origins` (`stackctl.config.origins`): every step that drops list
elements or moves keys records it there, and every error or warning about the rendered document prints its
path through them, so that it names the place in the file the user wrote.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from stackctl.config.docpath import DocPath, format_path
from stackctl.config.envsubst import Problems, Substituter, is_provider_list
from stackctl.config.origins import Origins
from stackctl.config.secrets import is_secret_name
from stackctl.config.yamlio import load_yaml, scalar_lines
from stackctl.errors import ConfigError, UsageError

ENV_HINT = (
    "set it in the environment, pass --env NAME=VALUE or --env-file FILE, "
    "or give a default: ${env.NAME:=value}"
)

# New-layout resource kinds and their id fields, besides the canonical ones of RESOURCE_KINDS.
_ID_FIELDS = {
    "models": "model_id",
    "shields": "shield_id",
    "vector_dbs": "vector_db_id",
    "vector_stores": "vector_store_id",
    "datasets": "dataset_id",
    "scoring_fns": "scoring_fn_id",
    "benchmarks": "benchmark_id",
    "tool_groups": "toolgroup_id",
}
_STR_RESOURCE_FIELDS = {"model_type", "purpose", "embedding_model", "dataset_id", "description"}
_TOP_STR = {"image_name", "distro_name", "container_image", "external_providers_dir", "external_apis_dir"}


class ProviderSchemas(Protocol):
    """What the pipeline needs from the provider catalogue."""

    @property
    def apis(self) -> Mapping[str, Any]: ...  # the known API names

    def field_kind(self, api: str, provider_type: str, path: DocPath) -> str | None: ...

    def validate_config(
        self, api: str, provider_type: str, config: dict[str, Any]
    ) -> list[tuple[DocPath, str]]: ...

    def known_provider(self, api: str, provider_type: str) -> bool: ...


@dataclass
class Rendered:
    """A rendered run config, the warnings of its render, and where its parts came from in the file."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    origins: Origins = field(default_factory=Origins)


def parse_env_assignments(items: list[str]) -> dict[str, str]:
    """`--env KEY=VALUE` arguments. A malformed one is a usage error."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(
                f"--env expects KEY=VALUE, got {item!r}", hint="e.g. --env OLLAMA_URL=http://127.0.0.1:11434"
            )
        out[key] = value
    return out


def parse_env_file(text: str, source: str) -> dict[str, str]:
    """dotenv format: KEY=VALUE lines, `export` prefixes, # comments, single or double quotes."""
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or not key.replace("_", "").isalnum():
            # The line is not echoed: its value may be a secret.
            shown = f"a line starting {key[:20]!r}" if sep else "a line with no '='"
            raise ConfigError(f"{source}:{number}: expected KEY=VALUE, got {shown}")
        out[key] = _env_file_value(value.strip())
    return out


def _env_file_value(value: str) -> str:
    """A dotenv value: quoted (a `# comment` may follow the closing quote) or bare (` #` starts a comment)."""
    quote = value[:1]
    if quote in ("'", '"'):
        end = len(value) - 1 if len(value) >= 2 and value[-1] == quote else value.find(quote + " #", 1)
        if end > 0:
            inner = value[1:end]
            return inner.replace("\\n", "\n").replace('\\"', '"') if quote == '"' else inner
    return value.split(" #", 1)[0].rstrip() if " #" in value else value


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
    names: list[str] = []
    for missing in problems.missing:
        note = f": {missing.message}" if missing.message else ""
        details.append(f"{where(missing.path)}: environment variable {missing.name} is not set{note}")
        if missing.name not in names:
            names.append(missing.name)
    if problems.syntax and not problems.missing:
        message = f"{source}: {len(problems.syntax)} malformed ${{env.*}} reference(s)"
        hint = problems.syntax[0][1].hint if len(problems.syntax) == 1 else None
        return ConfigError(message, details=details, hint=hint, code="invalid_reference")
    message = f"{source}: missing environment variable(s): {', '.join(names)}"
    if problems.syntax:
        message += f"; and {len(problems.syntax)} malformed reference(s)"
    return ConfigError(message, details=details, hint=ENV_HINT, code="missing_env_var")


def _substituted(
    text: str | bytes, source: str, env: Mapping[str, str], home: str | None, schemas: ProviderSchemas | None
) -> Rendered:
    raw = load_yaml(text, source)
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{source}: a run config must be a YAML mapping, got {kind}")
    substituter = Substituter(env=env, home=home, kind_of=_kind_function(raw, schemas))
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
    origins = Origins(kept=substituter.kept)
    _drop_null_resources(doc, origins)
    _null_disabled_auth(doc)
    return Rendered(dict(doc), warnings, origins)


def substitute_config(
    text: str | bytes,
    source: str,
    env: Mapping[str, str],
    *,
    home: str | None = None,
    schemas: ProviderSchemas | None = None,
) -> dict[str, Any]:
    """Parse and substitute a run config; raise ConfigError listing every problem."""
    return _substituted(text, source, env, home, schemas).document


def render_config(
    text: str | bytes,
    source: str,
    env: Mapping[str, str],
    *,
    home: str | None = None,
    schemas: ProviderSchemas | None = None,
    validate: bool = True,
) -> Rendered:
    """The whole pipeline. With validate=False: substitution only, the document exactly as substituted."""
    substituted = _substituted(text, source, env, home, schemas)
    if not validate:
        return substituted
    from stackctl.config.validate import validate_run_config

    return validate_run_config(substituted, source, schemas)


def did_you_mean(word: str, choices: list[str] | set[str] | frozenset[str]) -> str | None:
    match = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return match[0] if match else None
