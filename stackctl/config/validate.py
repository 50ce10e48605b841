"""Stage 3 of the config pipeline: the run config schema, and each provider's config schema.

Every violation is collected and reported together, one `path: message` line each. A document whose
values already have their exact types is validated without pydantic (`stackctl.config.exact`); any other
goes through the pydantic models, which decide and word every error.

Validation sees the normalized document, but users wrote the file: `normalize_layout` records in the
render's `Origins` where each moved or renamed part came from, and every `path` below is printed through
`Origins.path`, so an error in `registered_resources.vector_stores[0]` is not reported as `vector_dbs[0]`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackctl.config import exact
from stackctl.config.blocks import block_problems
from stackctl.config.docpath import DocPath
from stackctl.config.layout import layout_problems, normalize_layout
from stackctl.config.origins import Origins
from stackctl.config.rendered import ProviderSchemas, Rendered
from stackctl.config.secrets import mask_values
from stackctl.errors import ConfigError
from stackctl.hints import did_you_mean

if TYPE_CHECKING:
    from pydantic import ValidationError


def _known_keys(loc: tuple[Any, ...]) -> set[str] | frozenset[str]:
    from pydantic import BaseModel

    from stackctl.models.runconfig import TOP_LEVEL_KEYS, Provider, ServerConfig

    model: type[BaseModel] | None = None
    if len(loc) == 1:
        return TOP_LEVEL_KEYS
    if loc[0] == "providers" and len(loc) == 4:
        model = Provider
    elif loc[0] == "server" and len(loc) == 2:
        model = ServerConfig
    return set(model.model_fields) if model else set()


def _schema_lines(exc: ValidationError, origins: Origins) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = origins.path(loc)
        if err["type"] == "extra_forbidden":
            key = str(loc[-1])
            suggestion = did_you_mean(key, _known_keys(loc), limit=1)
            tail = f"; {suggestion}" if suggestion else ""
            lines.append(f"{path}: unknown key '{key}'{tail}")
        elif err["type"] == "missing":
            lines.append(f"{path}: required key is missing")
        else:
            lines.append(f"{path}: {err['msg']}")
    return lines


def provider_warnings(dumped: dict[str, Any], schemas: ProviderSchemas, origins: Origins) -> list[str]:
    """Deprecated provider types and older field names, one `path: message` line each."""
    lines: list[str] = []
    for api, entries in dumped["providers"].items():
        for index, entry in enumerate(entries):
            if entry["provider_id"] is None:
                continue
            found = schemas.provider_warnings(api, entry["provider_type"], entry.get("config") or {})
            lines.extend(
                f"{origins.path(('providers', api, index, *path))}: {message}" for path, message in found
            )
    return lines


_UNKNOWN = "unknown field "


def _provider_lines(
    dumped: dict[str, Any], schemas: ProviderSchemas, origins: Origins, ignored: list[str] | None = None
) -> list[str]:
    """Every provider config violation; unknown keys that llama-stack ignores go to `ignored` instead."""
    lines = []
    for api, entries in dumped["providers"].items():
        for index, entry in enumerate(entries):
            provider_type = entry["provider_type"]
            if entry["provider_id"] is None or not schemas.known_provider(api, provider_type):
                continue  # disabled entries are skipped; unknown types are the resolver's to report
            base: DocPath = ("providers", api, index, "config")
            lenient = ignored is not None and schemas.ignores_unknown(api, provider_type)
            for path, message in schemas.validate_config(api, provider_type, entry.get("config", {})):
                line = f"{origins.path((*base, *path))}: {message}"
                if lenient and ignored is not None and len(path) == 1 and message.startswith(_UNKNOWN):
                    ignored.append(f"{line} (llama-stack ignores it)")
                else:
                    lines.append(line)
    return lines


def _check_providers(
    dumped: dict[str, Any],
    source: str,
    schemas: ProviderSchemas,
    origins: Origins,
    ignored: list[str],
    blocks: list[str],
) -> None:
    """API names (the resolver's own check) and each provider's config; ConfigError lists every problem.
    Unknown config keys of a provider whose llama-stack config ignores them go to `ignored`."""
    from stackctl.config.resolver import unknown_api_names

    unknown = unknown_api_names(dumped, schemas.apis, origins)
    lines = [*unknown, *_provider_lines(dumped, schemas, origins, ignored), *blocks]
    if lines:
        what = "run config" if unknown else "provider config"
        raise ConfigError(
            f"{source}: {what} is invalid ({len(lines)} problem(s))", details=lines, code="schema_violation"
        )


def dump_with_pydantic(
    normalized: dict[str, Any], source: str, origins: Origins | None = None, problems: list[str] | None = None
) -> dict[str, Any]:
    """The run config's `exclude_unset` JSON dump through the models; ConfigError lists every violation,
    the layout `problems` found before normalization first."""
    from pydantic import ValidationError

    from stackctl.models.runconfig import RunConfig

    lines = list(problems or [])
    try:
        config = RunConfig.model_validate(normalized)
    except ValidationError as exc:
        lines.extend(_schema_lines(exc, origins if origins is not None else Origins()))
    if lines:
        raise ConfigError(
            f"{source}: run config is invalid ({len(lines)} problem(s))",
            details=lines,
            code="schema_violation",
        ) from None
    return config.model_dump(mode="json", exclude_unset=True)


def validate_run_config(
    substituted: Rendered, source: str, schemas: ProviderSchemas | None, home: str | None = None
) -> Rendered:
    """Normalize and validate a substituted document; the result keeps its warnings and origins."""
    origins = substituted.origins
    problems = layout_problems(substituted.document)
    normalized = normalize_layout(substituted.document, origins)
    dumped = None if problems else exact.dump_run_config(normalized)
    if dumped is None:
        dumped = dump_with_pydantic(normalized, source, origins, problems)
    external = (dumped.get("external_providers_dir"), dumped.get("external_apis_dir"))
    if schemas is not None and any(external):
        schemas = schemas.with_external(*external, home)
    blocks = [f"{origins.path(path)}: {message}" for path, message in block_problems(dumped)]
    warnings = list(substituted.warnings)
    ignored: list[str] = []
    if schemas is None and blocks:
        raise ConfigError(f"{source}: run config is invalid ({len(blocks)} problem(s))", details=blocks)
    if schemas is not None:
        _check_providers(dumped, source, schemas, origins, ignored, blocks)
        warnings.extend([*ignored, *provider_warnings(dumped, schemas, origins)])
    version = dumped.get("version", exact.run_config_default("version"))
    secrets = substituted.secret_values  # a warning may quote a value, and so a secret
    rendered = Rendered(
        {"version": version, **dumped},
        mask_values(warnings, secrets),
        origins,
        written=substituted.document,
        secret_values=substituted.secret_values,
    )
    rendered.strict = mask_values(ignored, secrets)
    rendered.schemas = schemas
    return rendered
