"""The values behind `stackctl __complete KIND`: what the completion scripts offer for names that change.

The scripts (stackctl.cli.completions) call it for distributions, provider types, APIs, registered stacks
and models, and the conversation and response ids of the database. The entry point answers it before
building any command; it prints one candidate a line, reads everything afresh each time and never fails
(a missing database gives nothing, and creates nothing).
"""

from __future__ import annotations

import sys

KINDS = ("distros", "providers", "apis", "stacks", "models", "conversations", "responses")


def candidates(kind: str, env: dict[str, str], db: str | None = None) -> list[str]:
    """The values `kind` completes to, now: read each time, never cached. `env` locates user provider
    types; the database is `db`, else $STACKCTL_DB, else the default (never created)."""
    if kind == "distros":
        from stackctl.distros.templates import template_names

        return template_names()
    if kind in ("providers", "apis"):
        from stackctl.catalogue.load import load_catalogue
        from stackctl.paths import providers_dir

        catalogue = load_catalogue(providers_dir(env))
        if kind == "apis":
            return [api.name for api in catalogue.apis]
        return sorted({spec.provider_type for spec in catalogue.providers})
    return _stored(kind, db)


def _stored(kind: str, db: str | None) -> list[str]:
    from stackctl.cli.db import database_at

    with database_at(db, create=False, notice=False) as database:
        if kind == "conversations":
            from stackctl.conversations.wire import recent_conversation_ids

            return recent_conversation_ids(database)
        if kind == "stacks":
            from stackctl.registry.records import list_stacks

            return [row["name"] for row in list_stacks(database)]
        if kind == "models":
            from stackctl.registry.records import model_rows

            return [row["id"] for row in model_rows(database)]
        if kind == "responses":
            from stackctl.responses.service import list_responses

            return [row.id for row in list_responses(database, limit=100).data]
    return []


def answer(args: list[str]) -> int:
    """`stackctl __complete KIND [--db PATH]`: candidates on stdout, one a line; never an error."""
    import os

    kind = args[0] if args else ""
    db = args[args.index("--db") + 1] if "--db" in args[:-1] else None
    try:
        found = candidates(kind, dict(os.environ), db) if kind in KINDS else []
    except Exception:  # completion must never print an error into the user's command line
        found = []
    sys.stdout.write("".join(f"{value}\n" for value in found))
    return 0
