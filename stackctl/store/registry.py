"""Registry tables: stacks, their providers (unrendered config), and registered resources.

SQL stays here; callers get plain dicts. Specs are stored as canonical JSON (sorted keys) so that equality
of text is equality of content.
"""

from __future__ import annotations

import json
from typing import Any

from stackctl.store.database import Database
from stackctl.text import parse_stored


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def stack_names(db: Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM stacks ORDER BY name").fetchall()]


def current_stack(db: Database) -> str | None:
    """The stack `stackctl stacks use` selected (gone with the stack when it is deleted)."""
    row = db.execute("SELECT stack FROM current_stack WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


def set_current_stack(db: Database, name: str | None) -> None:
    db.execute("DELETE FROM current_stack")
    if name is not None:
        db.execute("INSERT INTO current_stack (id, stack) VALUES (1, ?)", (name,))


def get_stack(db: Database, name: str) -> dict[str, Any] | None:
    row = db.execute(
        "SELECT name, source, created_at, updated_at FROM stacks WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        return None
    return {"name": row[0], "source": row[1], "created_at": row[2], "updated_at": row[3]}


def upsert_stack(db: Database, name: str, source: str | None, now: int) -> None:
    db.execute(
        "INSERT INTO stacks (name, source, created_at, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(name) DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at",
        (name, source, now, now),
    )


def delete_stack(db: Database, name: str) -> bool:
    return db.execute("DELETE FROM stacks WHERE name = ?", (name,)).rowcount > 0


def providers(db: Database, stack: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "SELECT api, provider_id, provider_type, config FROM stack_providers WHERE stack = ? "
        "ORDER BY api, provider_id",
        (stack,),
    ).fetchall()
    return [
        {
            "api": r[0],
            "provider_id": r[1],
            "provider_type": r[2],
            "config": parse_stored(r[3], f"provider {r[1]} of stack {stack}"),
        }
        for r in rows
    ]


def put_provider(db: Database, stack: str, provider: dict[str, Any]) -> None:
    db.execute(
        "INSERT INTO stack_providers (stack, api, provider_id, provider_type, config) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(stack, api, provider_id) DO UPDATE SET provider_type = excluded.provider_type, "
        "config = excluded.config",
        (
            stack,
            provider["api"],
            provider["provider_id"],
            provider["provider_type"],
            canonical(provider["config"]),
        ),
    )


def delete_provider(db: Database, stack: str, api: str, provider_id: str) -> None:
    db.execute(
        "DELETE FROM stack_providers WHERE stack = ? AND api = ? AND provider_id = ?",
        (stack, api, provider_id),
    )


def _resource(row: Any) -> dict[str, Any]:
    return {
        "stack": row[0],
        "kind": row[1],
        "identifier": row[2],
        "provider_id": row[3],
        "provider_resource_id": row[4],
        "spec": parse_stored(row[5], f"{row[1]} {row[2]} of stack {row[0]}"),
        "created_at": row[6],
        "updated_at": row[7],
    }


_COLUMNS = "stack, kind, identifier, provider_id, provider_resource_id, spec, created_at, updated_at"


def resources(db: Database, stack: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    clauses, params = [], []
    if stack is not None:
        clauses.append("stack = ?")
        params.append(stack)
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM resources {where} ORDER BY stack, kind, identifier",  # noqa: S608 - fixed text
        params,
    ).fetchall()
    return [_resource(r) for r in rows]


def get_resource(db: Database, stack: str, kind: str, identifier: str) -> dict[str, Any] | None:
    row = db.execute(
        f"SELECT {_COLUMNS} FROM resources WHERE stack = ? AND kind = ? AND identifier = ?",  # noqa: S608
        (stack, kind, identifier),
    ).fetchone()
    return _resource(row) if row else None


def put_resource(db: Database, resource: dict[str, Any], now: int) -> None:
    db.execute(
        "INSERT INTO resources (stack, kind, identifier, provider_id, provider_resource_id, spec, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(stack, kind, identifier) DO UPDATE SET "
        "provider_id = excluded.provider_id, provider_resource_id = excluded.provider_resource_id, "
        "spec = excluded.spec, updated_at = excluded.updated_at",
        (
            resource["stack"],
            resource["kind"],
            resource["identifier"],
            resource["provider_id"],
            resource.get("provider_resource_id"),
            canonical(resource["spec"]),
            now,
            now,
        ),
    )


def delete_resource(db: Database, stack: str, kind: str, identifier: str) -> bool:
    cursor = db.execute(
        "DELETE FROM resources WHERE stack = ? AND kind = ? AND identifier = ?", (stack, kind, identifier)
    )
    return cursor.rowcount > 0


def find_models(db: Database, name: str) -> list[dict[str, Any]]:
    """Models whose identifier or provider model id is `name`, across stacks."""
    # Two indexed lookups (an OR of the two columns would scan every model).
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM resources WHERE kind = 'model' AND identifier = ? "  # noqa: S608 - fixed
        f"UNION SELECT {_COLUMNS} FROM resources WHERE kind = 'model' AND provider_resource_id = ? "
        "ORDER BY stack, identifier",
        (name, name),
    ).fetchall()
    return [_resource(r) for r in rows]
