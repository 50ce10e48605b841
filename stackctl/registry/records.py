"""Registered stacks and resources as the front ends see them: the one door to the registry tables.

The CLI and the server call these functions, never `stackctl.store.registry`: reads return plain records
(`resource_view` is how a resource is shown), writes run in one transaction, and a missing stack or
resource is `NotFoundError` (exit 4, HTTP 404). `register` (a whole run config) lives in
`stackctl.registry.apply`; the report types both share are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stackctl.config.secrets import redact
from stackctl.errors import ConfigError, NotFoundError, UsageError, validation_lines
from stackctl.models.kinds import KINDS, Kind
from stackctl.store import registry as store

ACTIONS = ("created", "updated", "unchanged", "skipped", "pruned")


@dataclass
class Change:
    kind: str
    id: str
    action: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "action": self.action, "reason": self.reason}


@dataclass
class Report:
    stack: str
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        summary = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            summary[change.action] += 1
        return {
            "stack": self.stack,
            "dry_run": self.dry_run,
            "changes": [c.to_dict() for c in self.changes],
            "summary": summary,
        }


def model_identifier(model_id: str, provider_id: str, provider_model_id: str | None) -> str:
    """llama-stack's rule: model_id when given and different from provider_model_id, else provider/model."""
    target = provider_model_id or model_id
    if model_id and model_id != target:
        return model_id
    return f"{provider_id}/{target}"


def resource_record(
    kind: Kind, item: dict[str, Any], provider_id: str, written: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The registry record of one resource: identity and provider from the rendered `item`, and its spec:
    `written` (the item as its file writes it, references unrendered) when given, else `item`; masked."""
    raw_id = str(item[kind.id_field])
    provider_resource_id = (item.get(kind.provider_id_field) if kind.provider_id_field else None) or raw_id
    identifier = (
        model_identifier(raw_id, provider_id, item.get("provider_model_id"))
        if kind.name == "model"
        else raw_id
    )
    return {
        "kind": kind.name,
        "identifier": identifier,
        "provider_id": provider_id,
        "provider_resource_id": provider_resource_id,
        "spec": redact({**(item if written is None else written), "provider_id": provider_id}),
    }


def same_resource(old: dict[str, Any], new: dict[str, Any]) -> bool:
    fields = ("provider_id", "provider_resource_id", "spec")
    return store.canonical([old[f] for f in fields]) == store.canonical([new[f] for f in fields])


def require_stack(db: Any, name: str | None) -> str:
    """The stack a resource command acts on: the named one (`--stack`, else $STACKCTL_STACK, which the
    CLI passes as the name), else the one `stackctl stacks use` selected, else the only one."""
    if name is not None:
        if store.get_stack(db, name) is None:
            raise NotFoundError(
                f"no stack named {name!r}", hint="see 'stackctl stacks list'", code="stack_not_found"
            )
        return name
    current = default_stack(db)
    if current is not None:
        return current
    names = store.stack_names(db)
    if not names:
        raise NotFoundError("no stack is registered", hint="register one: stackctl register run.yaml")
    raise UsageError(
        f"{len(names)} stacks are registered; say which with --stack",
        hint=f"or select one: stackctl stacks use NAME (stacks: {', '.join(names)})",
    )


def default_stack(db: Any) -> str | None:
    """The stack commands act on without --stack: the selected one, else the only one, else none."""
    current = store.current_stack(db)
    if current is not None:
        return current
    names = store.stack_names(db)
    return names[0] if len(names) == 1 else None


def use_stack(db: Any, name: str | None) -> None:
    """Select the stack later commands act on without --stack (None: select none)."""
    if name is not None:
        require_stack(db, name)
    with db.transaction():
        store.set_current_stack(db, name)


def register_one(
    db: Any, stack_name: str, kind_name: str, spec: dict[str, Any], *, now: int
) -> tuple[Change, dict[str, Any]]:
    """Register a single resource given as a document (from flags or a file) into a registered stack."""
    from pydantic import ValidationError

    from stackctl.models.runconfig import RESOURCE_KINDS

    kind = KINDS[kind_name]
    model = RESOURCE_KINDS[kind.key][1]
    try:
        item = model.model_validate(spec).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise ConfigError(f"invalid {kind.name}", details=validation_lines(exc.errors())) from None
    served = [p["provider_id"] for p in store.providers(db, stack_name) if p["api"] == kind.api]
    provider_id = item.get("provider_id")
    if provider_id is None:
        if len(served) != 1:
            raise ConfigError(
                f"provider_id is required: stack '{stack_name}' has {len(served)} {kind.api} providers",
                hint="pass --provider-id",
            )
        provider_id = served[0]
    elif provider_id not in served:
        raise ConfigError(
            f"stack '{stack_name}' has no {kind.api} provider '{provider_id}'",
            hint=f"providers: {', '.join(served) or 'none'}",
        )
    resource = {**resource_record(kind, item, provider_id), "stack": stack_name}
    with db.transaction():
        old = store.get_resource(db, stack_name, kind.name, resource["identifier"])
        same = old is not None and same_resource(old, resource)
        if not same:
            store.put_resource(db, resource, now)
    action = "unchanged" if same else "updated" if old else "created"
    return Change(kind.name, resource["identifier"], action), resource


def resource_view(resource: dict[str, Any]) -> dict[str, Any]:
    """How a registered resource is shown: identity first, then its spec."""
    return {
        "identifier": resource["identifier"],
        "type": resource["kind"],
        "stack": resource["stack"],
        "provider_id": resource["provider_id"],
        "provider_resource_id": resource["provider_resource_id"],
        "spec": resource["spec"],
        "created_at": resource["created_at"],
        "updated_at": resource["updated_at"],
    }


def list_stacks(db: Any) -> list[dict[str, Any]]:
    """Every registered stack with its provider and resource counts, and whether it is the current one."""
    rows = []
    current = default_stack(db)
    for name in store.stack_names(db):
        info = store.get_stack(db, name) or {}
        info["current"] = name == current
        info["providers"] = len(store.providers(db, name))
        info["resources"] = len(store.resources(db, name))
        rows.append(info)
    return rows


def show_stack(db: Any, name: str) -> dict[str, Any]:
    """A stack with its providers (unrendered config) and resources."""
    require_stack(db, name)
    return {
        **(store.get_stack(db, name) or {}),
        "providers": store.providers(db, name),
        "resources": [resource_view(r) for r in store.resources(db, name)],
    }


def delete_stack(db: Any, name: str) -> None:
    """Delete a stack with its providers and resources."""
    require_stack(db, name)
    with db.transaction():
        store.delete_stack(db, name)


def list_resources(db: Any, stack: str | None, kind_name: str) -> list[dict[str, Any]]:
    """The resources of one kind in a stack: the named one, else the current one; with several stacks
    and none selected, those of every stack (each row names its stack)."""
    if stack is None and default_stack(db) is None:
        return [resource_view(r) for r in store.resources(db, kind=kind_name)]
    return [resource_view(r) for r in store.resources(db, require_stack(db, stack), kind_name)]


def get_resource(db: Any, stack: str | None, kind_name: str, identifier: str) -> dict[str, Any]:
    """One registered resource, shown as `resource_view` does."""
    kind = KINDS[kind_name]
    if stack is None and default_stack(db) is None:  # several stacks, none selected: a read looks in all
        matches = [r for r in store.resources(db, kind=kind.name) if r["identifier"] == identifier]
        if len(matches) > 1:
            stacks = ", ".join(r["stack"] for r in matches)
            raise UsageError(
                f"{kind.name} '{identifier}' is in {len(matches)} stacks; say which with --stack",
                hint=f"stacks: {stacks}",
            )
        found = matches[0] if matches else None
    else:
        found = store.get_resource(db, require_stack(db, stack), kind.name, identifier)
    if found is None:
        hint = f"see 'stackctl {kind.cli} list'"
        if kind.name == "model":  # a model's identifier is provider_id/model_id: name those the id matches
            named = sorted({m["identifier"] for m in store.find_models(db, identifier)} - {identifier})
            if named:
                hint = "did you mean " + " or ".join(f"'{n}'" for n in named[:3]) + "?"
        raise NotFoundError(f"no {kind.name} '{identifier}'", hint=hint)
    return resource_view(found)


def unregister(db: Any, stack: str | None, kind_name: str, identifier: str) -> None:
    """Remove one resource from a stack."""
    name = require_stack(db, stack)
    with db.transaction():
        if not store.delete_resource(db, name, kind_name, identifier):
            raise NotFoundError(f"no {kind_name} '{identifier}' in stack '{name}'")


def model_rows(db: Any) -> list[dict[str, Any]]:
    """`/v1/models`: one entry per identifier; a model registered by several stacks is listed once."""
    seen: dict[str, dict[str, Any]] = {}
    for resource in store.resources(db, kind="model"):
        seen.setdefault(
            resource["identifier"],
            {
                "id": resource["identifier"],
                "object": "model",
                "created": resource["created_at"],
                "owned_by": resource["provider_id"] or "stackctl",
            },
        )
    return list(seen.values())
