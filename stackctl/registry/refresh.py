"""`models refresh`: ask a stack's inference providers which models they serve and record them.

Each registered inference provider's stored (unrendered) config is rendered with the caller's environment,
so secrets come from the environment at call time and never from the database. Every provider is asked
first, outside any transaction; only then are the new models written, in one transaction, so a provider
that fails leaves the registry as it was. A model already registered under the same identifier is left
as it is (`unchanged`): a refresh records what providers report, it does not overwrite a declared spec.
A provider's `allowed_models`, when set, limits what is recorded from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from stackctl.config.secrets import mask_error, unset_secret_error
from stackctl.errors import InvalidInputError, StackctlError
from stackctl.models.kinds import KINDS
from stackctl.registry.records import Change, Report, resource_record
from stackctl.registry.routing import render_provider


class ModelLister(Protocol):
    def list_models(self) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


# (provider_type, rendered config, provider_id) -> a client; `client_for_provider` in production.
ClientFactory = Callable[[str, Mapping[str, Any], str], ModelLister]


def _reported(provider_id: str, model: Mapping[str, Any]) -> dict[str, Any] | None:
    name = model.get("id")
    if not isinstance(name, str) or not name:
        return None
    spec = {"model_id": name, "provider_id": provider_id, "provider_model_id": name, "model_type": "llm"}
    return resource_record(KINDS["model"], spec, provider_id)


def ask_providers(
    providers: list[dict[str, Any]], env: Mapping[str, str], client_factory: ClientFactory
) -> tuple[list[dict[str, Any]], list[str]]:
    """The models every HTTP inference provider reports, and warnings for providers that cannot be asked."""
    found: list[dict[str, Any]] = []
    warnings: list[str] = []
    for provider in providers:
        if provider["api"] != "inference":
            continue
        if provider["provider_type"].startswith("inline::"):
            warnings.append(
                f"provider {provider['provider_id']} ({provider['provider_type']}) is inline; not asked"
            )
            continue
        label = f"{provider['api']}/{provider['provider_id']}"
        render = render_provider(provider["config"], env, label)
        config, unset = render.config, render.unset_secrets
        try:
            client = client_factory(provider["provider_type"], config, provider["provider_id"])
        except InvalidInputError as exc:
            if exc.code != "unsupported_provider":
                raise
            said = mask_error(exc, render.secret_values).message
            warnings.append(f"provider {provider['provider_id']}: {said}; not asked")
            continue
        try:
            models = client.list_models()
        except InvalidInputError as exc:
            if exc.code != "missing_api_key" or not unset:
                raise mask_error(exc, render.secret_values) from None
            field_name, variable = next(iter(unset.items()))
            raise unset_secret_error(label, field_name, variable) from None
        except StackctlError as exc:  # what the provider said may quote a secret the config put in its URL
            raise mask_error(exc, render.secret_values) from None
        finally:
            client.close()
        allowed = _allowed_models(config)
        found.extend(
            record
            for record in (_reported(provider["provider_id"], m) for m in models)
            if record is not None and (allowed is None or record["provider_resource_id"] in allowed)
        )
    return found, warnings


def _allowed_models(config: Mapping[str, Any]) -> set[str] | None:
    """The provider's `allowed_models` (a list, or comma-separated text); None or empty means all."""
    value = config.get("allowed_models")
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list):
        return None
    allowed = {str(item) for item in value if str(item).strip()}
    return allowed or None


def refresh_models(
    db: Any, stack_name: str, env: Mapping[str, str], client_factory: ClientFactory, *, now: int
) -> Report:
    """Record the models the stack's inference providers report (created / unchanged), in one transaction."""
    from stackctl.store import registry as store

    found, warnings = ask_providers(store.providers(db, stack_name), env, client_factory)
    report = Report(stack=stack_name, dry_run=False, warnings=warnings)
    seen: set[str] = set()
    with db.transaction():
        for model in found:
            if model["identifier"] in seen:
                continue
            seen.add(model["identifier"])
            if store.get_resource(db, stack_name, "model", model["identifier"]) is not None:
                report.changes.append(Change("model", model["identifier"], "unchanged"))
                continue
            store.put_resource(db, {**model, "stack": stack_name}, now)
            report.changes.append(Change("model", model["identifier"], "created", "reported by the provider"))
    return report
