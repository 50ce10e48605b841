"""Which provider serves a model name, and that provider's config rendered from the current environment.

A MODEL is a registered model identifier (`openai/gpt-4.1`) or, when exactly one registered model has it, a
provider model id (`gpt-4.1`). An identifier match wins over a provider-model-id match. Several candidates are
an `InvalidInputError` (exit 3) listing them; none is a `NotFoundError` (exit 4).

The registry holds each provider's config unrendered (`${env.*}` references, never secrets); it is rendered
here, at call time, from the env mapping passed in. A missing variable in a secret field is left empty so that
replaying recordings needs no secrets; the target remembers the variable, so that the inference client, when
it goes to the network without the key, names it ("api_key comes from ${env.OPENAI_API_KEY}, which is not
set"). Any other missing variable is a `ConfigError` (exit 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackctl.config.envsubst import Substituter
from stackctl.config.secrets import MASK, is_secret_name
from stackctl.errors import ConfigError, InvalidInputError, NotFoundError
from stackctl.store import registry as store
from stackctl.store.database import Database


@dataclass(frozen=True)
class ModelTarget:
    """A registered model and the rendered config of the provider that serves it."""

    identifier: str
    stack: str
    provider_id: str
    provider_type: str
    provider_model_id: str
    config: Mapping[str, Any] = field(repr=False)
    # Secret fields left null because their variable is unset: field -> variable.
    unset_secrets: Mapping[str, str] = field(default_factory=dict)
    # What the render read into secret fields or from secret-looking variables: masked in what the call says.
    secret_values: frozenset[str] = field(default=frozenset(), repr=False)


@dataclass(frozen=True)
class ProviderRender:
    """A provider's stored config rendered for a call (see `render_provider`)."""

    config: dict[str, Any] = field(repr=False)
    unset_secrets: dict[str, str]
    secret_values: frozenset[str] = field(repr=False)


def find_model(db: Database, name: str) -> dict[str, Any]:
    """The one registered model that `name` designates."""
    found = store.find_models(db, name)
    exact = [m for m in found if m["identifier"] == name]
    candidates = exact or found
    if not candidates:
        raise NotFoundError(
            f"model not found: {name}",
            hint="list registered models with `stackctl models list`; register them with `stackctl register`",
            code="model_not_found",
        )
    if len(candidates) > 1:
        names = [f"{m['identifier']} (stack {m['stack']}, provider {m['provider_id']})" for m in candidates]
        raise InvalidInputError(
            f"model {name!r} is ambiguous: {len(candidates)} registered models match",
            details=names,
            hint="pass one of the identifiers above",
            code="ambiguous_model",
        )
    return candidates[0]


def render_provider(config: Mapping[str, Any], env: Mapping[str, str], label: str) -> ProviderRender:
    """The rendered config; for each top-level secret field left null because its variable is unset, that
    variable's name (so that a call that needs the secret can name it); and the secret values read (of
    secret fields, and of secret-looking variables wherever the config uses them: a token in a URL path)."""
    substituter = Substituter(env=env, secret_path=_secret_path)
    rendered: dict[str, Any] = substituter.value(dict(config), ())
    problems = [m for m in substituter.problems.missing if not _secret_path(m.path)]
    if problems or substituter.problems.syntax:
        lines = [f"config.{'.'.join(map(str, m.path))}: ${{env.{m.name}}} is not set" for m in problems]
        lines += [f"config.{'.'.join(map(str, path))}: {exc}" for path, exc in substituter.problems.syntax]
        raise ConfigError(f"provider {label}: its config cannot be rendered", details=lines)
    unset: dict[str, str] = {}
    for missing in substituter.problems.missing:
        _set(rendered, missing.path, None)
        unset.setdefault(str(missing.path[0]), missing.name)
    cleaned: dict[str, Any] = _drop_masks(rendered)
    return ProviderRender(cleaned, unset, frozenset(substituter.secret_values))


def _secret_path(path: tuple[Any, ...]) -> bool:
    return bool(path) and isinstance(path[-1], str) and is_secret_name(path[-1])


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def _drop_masks(value: Any) -> Any:
    # A literal secret was masked at registration; sending the mask would only earn a 401.
    if isinstance(value, dict):
        return {k: _drop_masks(v) for k, v in value.items() if v != MASK}
    if isinstance(value, list):
        return [_drop_masks(v) for v in value]
    return value


def resolve_model(db: Database, name: str, env: Mapping[str, str]) -> ModelTarget:
    """The model `name` designates, with its provider's config rendered from `env`."""
    model = find_model(db, name)
    provider = next(
        (p for p in store.providers(db, model["stack"]) if p["provider_id"] == model["provider_id"]), None
    )
    if provider is None:
        raise NotFoundError(
            f"provider {model['provider_id']} of model {model['identifier']} "
            f"is not in stack {model['stack']}",
            hint="re-register the stack's run config with `stackctl register`",
            code="provider_not_found",
        )
    render = render_provider(provider["config"], env, provider["provider_id"])
    return ModelTarget(
        identifier=model["identifier"],
        stack=model["stack"],
        provider_id=provider["provider_id"],
        provider_type=provider["provider_type"],
        provider_model_id=model["provider_resource_id"] or model["identifier"],
        config=render.config,
        unset_secrets=render.unset_secrets,
        secret_values=render.secret_values,
    )
