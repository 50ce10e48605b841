"""Resource registration, idempotent like `kubectl apply`.

`register` compares what a run config declares with what the registry holds for that stack and applies the
difference in one transaction: created / updated / unchanged / skipped / pruned per item. Providers and
resources are stored as the file writes them: `${env.*}` references unrendered, defaults included, so no
value taken from the environment reaches the database; a literal secret in a secret field is refused before
this module runs (`stackctl.registry.checks`, which every caller goes through). What identifies a resource
(its identifier, provider and provider resource id) is rendered: it is what calls look up. Its spec is the
rendered document's item with each value the file writes as a reference put back (`unrendered`), so the
layout normalization's renames and the loader's defaults are kept and the environment's values are not.

Warnings and errors about resources name them by their path in the file the user wrote (through the
render's `Origins`), and the render's own warnings (resources dropped because their provider_id is
`__disabled__`) are reported with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.catalogue.spec import short_name
from stackctl.config.docpath import ABSENT, DocPath, value_at
from stackctl.config.envsubst import Ref, Substituter, parse
from stackctl.config.jsonable import json_compatible
from stackctl.config.origins import Origins
from stackctl.config.rendered import Rendered
from stackctl.config.resolver import ResolvedStack
from stackctl.config.secrets import mask_error, mask_values
from stackctl.errors import ConfigError, ConflictError
from stackctl.models.kinds import KINDS, Kind
from stackctl.registry.records import Change, Report, resource_record, same_resource


def _would_be_id(raw_id: Any, provider_type: str) -> str:
    """The id a disabled provider would have had (`${env.X:+ollama}` -> ollama), to recognise references."""
    if isinstance(raw_id, str) and "${" in raw_id:
        try:
            nodes = parse(raw_id)
        except Exception:
            nodes = ()
        if len(nodes) == 1 and isinstance(nodes[0], Ref) and nodes[0].op in ("+", "="):
            body = "".join(n for n in nodes[0].body if isinstance(n, str))
            if body and body != "__disabled__":
                return body
    return short_name(provider_type)


def stack_providers(raw: Mapping[str, Any], env: Mapping[str, str]) -> tuple[list[dict[str, Any]], set[str]]:
    """Enabled providers with their unrendered (JSON-safe) config, and the ids of the disabled ones."""
    enabled: list[dict[str, Any]] = []
    disabled: set[str] = set()
    substituter = Substituter(env=env)
    for api, entries in (raw.get("providers") or {}).items():
        for index, entry in enumerate(entries or []):
            if not isinstance(entry, dict):
                continue
            provider_type = str(entry.get("provider_type"))
            provider_id = substituter.value(
                entry.get("provider_id"), ("providers", api, index, "provider_id")
            )
            if provider_id is None or provider_id == "__disabled__":
                disabled.add(_would_be_id(entry.get("provider_id"), provider_type))
                continue
            # As written: references stay references, defaults included (`${env.KEY:=none}` is how a
            # local provider is configured); `checks.literal_secrets` has refused literal secrets.
            config = json_compatible(entry.get("config") or {})
            enabled.append(
                {
                    "api": api,
                    "provider_id": str(provider_id),
                    "provider_type": provider_type,
                    "config": config,
                }
            )
    return enabled, disabled


def _has_reference(node: Any) -> bool:
    if isinstance(node, str):
        return "${" in node
    if isinstance(node, dict):
        return any(_has_reference(item) for item in node.values())
    if isinstance(node, list):
        return any(_has_reference(item) for item in node)
    return False


def unrendered(value: Any, path: DocPath, raw: Mapping[str, Any], origins: Origins) -> Any:
    """`value`, which stands at `path` in the rendered document, with each part the source file `raw` writes
    as a reference (`${env.X}`, `${env.X:=default}`, text around one) put back unrendered. Parts the file
    does not hold as written (a default the loader filled in, a key normalization renamed) stay rendered."""
    written = value_at(raw, origins.source_path(path), ABSENT)
    if isinstance(written, str) and "${" in written:
        return written
    if written is ABSENT or _has_reference(written):
        if isinstance(value, dict):
            return {key: unrendered(item, (*path, key), raw, origins) for key, item in value.items()}
        if isinstance(value, list):
            return [unrendered(item, (*path, index), raw, origins) for index, item in enumerate(value)]
    return value  # nothing below was written as a reference: the rendered value is what the file says


def _default_provider(kind: Kind, stack: ResolvedStack, path: str) -> str:
    candidates = [p.provider_id for p in stack.providers_of(kind.api)]
    if len(candidates) == 1:
        return candidates[0]
    detail = f"the stack has {len(candidates)} {kind.api} providers" + (
        f" ({', '.join(candidates)})" if candidates else ""
    )
    raise ConfigError(f"{path}: provider_id is required: {detail}", hint="add provider_id to the resource")


def desired_resources(
    doc: Mapping[str, Any],
    stack: ResolvedStack,
    disabled: set[str],
    origins: Origins | None = None,
    raw: Mapping[str, Any] | None = None,
) -> tuple[list[dict[str, Any]], list[Change], list[str]]:
    """Resources the config declares, and the ones skipped (with a warning each). Paths in messages are
    the source file's, through `origins` (the render's); given the source document `raw`, each record's
    spec is the item as written there (`unrendered`)."""
    origins = origins if origins is not None else Origins()
    wanted: list[dict[str, Any]] = []
    skipped: list[Change] = []
    warnings: list[str] = []
    errors: list[str] = []
    seen: set[tuple[str, str]] = set()
    for kind in KINDS.values():
        for index, item in enumerate(doc.get(kind.key) or []):
            path = origins.path((kind.key, index))
            raw_id = str(item.get(kind.id_field))
            if "provider_id" in item and item["provider_id"] is None:
                skipped.append(Change(kind.name, raw_id, "skipped", "provider disabled"))
                warnings.append(f"{path}: {kind.name} '{raw_id}' skipped: its provider is disabled")
                continue
            provider_id = item.get("provider_id") or _default_provider(kind, stack, path)
            if stack.find(provider_id, [kind.api]) is None:
                if provider_id in disabled:
                    # Named as it would be registered, so that it matches a row registered before.
                    would_be = resource_record(kind, item, provider_id)["identifier"]
                    skipped.append(
                        Change(kind.name, would_be, "skipped", f"provider '{provider_id}' disabled")
                    )
                    warnings.append(
                        f"{path}: {kind.name} '{would_be}' skipped: provider '{provider_id}' is disabled"
                    )
                else:
                    where = origins.path((kind.key, index, "provider_id"))
                    errors.append(f"{where}: the stack has no {kind.api} provider '{provider_id}'")
                continue
            written = None if raw is None else unrendered(item, (kind.key, index), raw, origins)
            record = resource_record(kind, item, provider_id, written)
            if (kind.name, record["identifier"]) in seen:
                errors.append(f"{path}: duplicate {kind.name} '{record['identifier']}'")
                continue
            seen.add((kind.name, record["identifier"]))
            wanted.append(record)
    if errors:
        raise ConfigError(f"resources do not match the stack ({len(errors)} problem(s))", details=errors)
    return wanted, skipped, warnings


def _diff_providers(db: Any, name: str, providers: list[dict[str, Any]]) -> tuple[list[Change], list[Any]]:
    from stackctl.store import registry as store

    existing = {(p["api"], p["provider_id"]): p for p in store.providers(db, name)}
    changes: list[Change] = []
    writes: list[Any] = []
    for provider in providers:
        key = (provider["api"], provider["provider_id"])
        label = f"{provider['api']}/{provider['provider_id']}"
        old = existing.pop(key, None)
        if old is None:
            changes.append(Change("provider", label, "created"))
        elif store.canonical(old) == store.canonical(provider):
            changes.append(Change("provider", label, "unchanged"))
            continue
        else:
            changes.append(Change("provider", label, "updated"))
        writes.append(lambda p=provider: store.put_provider(db, name, p))
    for api, provider_id in existing:
        changes.append(Change("provider", f"{api}/{provider_id}", "pruned", "no longer in the config"))
        writes.append(lambda a=api, i=provider_id: store.delete_provider(db, name, a, i))
    return changes, writes


def _diff_resources(
    db: Any, name: str, wanted: list[dict[str, Any]], prune: bool, now: int
) -> tuple[list[Change], list[Any]]:
    from stackctl.store import registry as store

    existing = {(r["kind"], r["identifier"]): r for r in store.resources(db, name)}
    changes: list[Change] = []
    writes: list[Any] = []
    for item in wanted:
        old = existing.pop((item["kind"], item["identifier"]), None)
        resource = {**item, "stack": name}
        if old is None:
            changes.append(Change(item["kind"], item["identifier"], "created"))
        elif same_resource(old, item):
            changes.append(Change(item["kind"], item["identifier"], "unchanged"))
            continue
        else:
            changes.append(Change(item["kind"], item["identifier"], "updated"))
        writes.append(lambda r=resource: store.put_resource(db, r, now))
    if prune:
        for kind, identifier in existing:
            changes.append(Change(kind, identifier, "pruned", "no longer in the config"))
            writes.append(lambda k=kind, i=identifier: store.delete_resource(db, name, k, i))
    return changes, writes


def _check_orphans(db: Any, name: str, providers: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> None:
    """Without --prune, kept resources must not lose their provider: that would leave dangling rows."""
    from stackctl.store import registry as store

    served = {(p["api"], p["provider_id"]) for p in providers}
    listed = {(w["kind"], w["identifier"]) for w in wanted}
    orphans = [
        f"{r['kind']} '{r['identifier']}' uses provider '{r['provider_id']}'"
        for r in store.resources(db, name)
        if (r["kind"], r["identifier"]) not in listed
        and (KINDS[r["kind"]].api, r["provider_id"]) not in served
    ]
    if orphans:
        raise ConflictError(
            f"stack '{name}': the config drops providers that registered resources still use",
            details=orphans,
            hint="rerun with --prune to remove those resources too",
            code="provider_in_use",
        )


def _merge_skipped(changes: list[Change], skipped: list[Change]) -> list[Change]:
    """Skipped items after the others; one that --prune removes (its provider is gone) is reported once."""
    reasons = {(c.kind, c.id): c.reason for c in skipped}
    merged = [
        Change(c.kind, c.id, c.action, reasons[(c.kind, c.id)])
        if c.action == "pruned" and (c.kind, c.id) in reasons
        else c
        for c in changes
    ]
    pruned = {(c.kind, c.id) for c in changes if c.action == "pruned"}
    return merged + [c for c in skipped if (c.kind, c.id) not in pruned]


def register(
    db: Any,
    raw: Mapping[str, Any],
    rendered: Rendered,
    stack: ResolvedStack,
    env: Mapping[str, str],
    *,
    source: str | None,
    now: int,
    dry_run: bool = False,
    prune: bool = False,
) -> Report:
    """Apply a run config to the registry in one transaction (none at all for a dry run)."""
    from stackctl.heap import gc_paused
    from stackctl.store import registry as store
    from stackctl.store.database import retrying

    name = stack.image_name
    providers, disabled = stack_providers(raw, env)
    with gc_paused():
        try:
            wanted, skipped, warnings = desired_resources(
                rendered.document, stack, disabled, rendered.origins, raw
            )
        except ConfigError as exc:  # a provider id or a duplicate id it quotes may be a secret's value
            raise mask_error(exc, rendered.secret_values) from None
        warnings = mask_values(warnings, rendered.secret_values)
        for record in wanted:  # a secret's value the file writes out, in a field not named like a secret
            record["spec"] = mask_values(record["spec"], rendered.secret_values)
    report = Report(stack=name, dry_run=dry_run, warnings=[*rendered.warnings, *stack.warnings, *warnings])

    def plan() -> list[Any]:
        exists = store.get_stack(db, name) is not None
        if not prune:
            _check_orphans(db, name, providers, wanted)
        provider_changes, provider_writes = _diff_providers(db, name, providers)
        resource_changes, resource_writes = _diff_resources(db, name, wanted, prune, now)
        writes = provider_writes + resource_writes
        report.changes.append(
            Change(
                "stack", name, "unchanged" if exists and not writes else "updated" if exists else "created"
            )
        )
        report.changes.extend(provider_changes + _merge_skipped(resource_changes, skipped))
        if writes or not exists:
            writes.insert(0, lambda: store.upsert_stack(db, name, source, now))
        return writes

    if dry_run:
        plan()
        return report

    def apply() -> None:
        report.changes.clear()  # a retried attempt plans again from what it reads
        for write in plan():
            write()

    # Concurrent applies queue on the store's writers' lock; a deadlock or serialization failure is retried.
    with gc_paused():  # 100k resources are 100k plain dicts and closures: nothing for the GC to find
        retrying(db, apply)
    return report


def server_address(document: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """The `server.host` and `server.port` a rendered run config gives (None where it gives none)."""
    server = document.get("server")
    if not isinstance(server, Mapping):
        return None, None
    host, port = server.get("host"), server.get("port")
    return (
        str(host) if isinstance(host, str) and host else None,
        port if isinstance(port, int) and not isinstance(port, bool) else None,
    )
