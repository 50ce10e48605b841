"""`stackctl register`, `stackctl stacks ...` and the seven resource command groups."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

from stackctl.cli.db import open_db
from stackctl.cli.inputs import build_env
from stackctl.cli.options import EnvFileOpt, EnvOpt, IgnoreNotFoundOpt, RetriesOpt, StackOpt, TimeoutOpt
from stackctl.cli.output import Format, OutputOpt, emit, warn

CHANGE_COLUMNS = [("KIND", "kind"), ("ID", "id"), ("ACTION", "action"), ("REASON", "reason")]
RESOURCE_COLUMNS = [
    ("IDENTIFIER", "identifier"),
    ("PROVIDER", "provider_id"),
    ("PROVIDER RESOURCE ID", "provider_resource_id"),
    ("STACK", "stack"),
]


def register(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Run config file, or - for stdin.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove resources of the stack the file no longer lists.")
    ] = False,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Register a run config's stack and resources, like `kubectl apply`: a re-run is a no-op.

    Example: stackctl register run.yaml --dry-run -o json
    """
    report, _ = apply_file(ctx, file, build_env(env, env_file), dry_run=dry_run, prune=prune)
    _emit_report(report, output)


def apply_file(
    ctx: typer.Context, file: str, environ: dict[str, str], *, dry_run: bool = False, prune: bool = False
) -> tuple[Any, Any]:
    """Check, render, resolve and register a run config (`register`, `serve --config`): its report and render.
    A bad file raises before anything is written."""
    import os

    from stackctl.catalogue.stack import catalogue_for
    from stackctl.cli.inputs import read_source
    from stackctl.registry.apply import register as apply
    from stackctl.registry.checks import prepare

    data, source = read_source(file, sys.stdin.buffer)
    prepared = prepare(data, source, environ, catalogue_for(environ), home=os.path.expanduser("~"))
    assert prepared.rendered is not None and prepared.stack is not None
    with open_db(ctx, create=not dry_run) as db:
        report = apply(
            db,
            prepared.raw,
            prepared.rendered,
            prepared.stack,
            environ,
            source=None if source == "<stdin>" else os.path.abspath(source),
            now=int(time.time()),
            dry_run=dry_run,
            prune=prune,
        )
    return report, prepared.rendered


def _emit_report(report: Any, output: Format) -> None:
    for message in report.warnings:
        warn(message)
    wire = report.to_wire()
    if output.is_table:
        emit(wire["changes"], output, columns=CHANGE_COLUMNS)
        counts = ", ".join(f"{n} {action}" for action, n in wire["summary"].items() if n) or "nothing"
        sys.stderr.write(f"{'dry run: ' if report.dry_run else ''}stack {report.stack}: {counts}\n")
    else:
        emit(wire, output)


def _spec_from(file: str | None, sets: list[str] | None) -> dict[str, Any]:
    from stackctl.cli.inputs import json_error, read_source
    from stackctl.config.envfiles import parse_pairs
    from stackctl.config.yamlio import load_yaml
    from stackctl.errors import InvalidInputError

    spec: dict[str, Any] = {}
    if file is not None:
        data, source = read_source(file[1:] if file.startswith("@") else file, sys.stdin.buffer)
        loaded = load_yaml(data, source)
        if not isinstance(loaded, dict):
            raise InvalidInputError(f"{source}: expected a mapping")
        spec.update(loaded)
    for key, value in parse_pairs(sets or [], "--set", echo=True).items():
        try:
            spec[key] = json.loads(value)
        except json.JSONDecodeError:
            spec[key] = value
        except (ValueError, RecursionError) as exc:
            raise json_error(f"--set {key}", exc) from None
    return spec


def resource_app(kind_name: str) -> typer.Typer:
    """list / get / register / unregister for one resource kind."""
    from stackctl.models.kinds import KINDS

    kind = KINDS[kind_name]
    app = typer.Typer(
        help=f"Registered {kind.key.replace('_', ' ')} (resource kind '{kind.name}').", no_args_is_help=True
    )

    @app.command("list")
    def list_(ctx: typer.Context, stack: StackOpt = None, output: OutputOpt = Format.table) -> None:
        from stackctl.registry import records

        with open_db(ctx, create=False) as db:
            rows = records.list_resources(db, stack, kind.name)
        emit({"object": "list", "data": rows}, output, columns=RESOURCE_COLUMNS)

    list_.__doc__ = f"List registered {kind.key}.\n\nExample: stackctl {kind.cli} list -o json"

    @app.command("get")
    def get(
        ctx: typer.Context, identifier: str, stack: StackOpt = None, output: OutputOpt = Format.yaml
    ) -> None:
        from stackctl.registry import records

        with open_db(ctx, create=False) as db:
            found = records.get_resource(db, stack, kind.name, identifier)
        emit(found, output)

    get.__doc__ = f"Show one registered {kind.name}.\n\nExample: stackctl {kind.cli} get ID -o json"

    @app.command("register")
    def register_(
        ctx: typer.Context,
        identifier: Annotated[
            str | None, typer.Argument(help="The resource id (model_id, shield_id, ...).")
        ] = None,
        provider_id: Annotated[
            str | None, typer.Option("--provider-id", help="Provider that serves it.")
        ] = None,
        provider_resource_id: Annotated[
            str | None, typer.Option("--provider-resource-id", help="The provider's own id for it.")
        ] = None,
        file: Annotated[
            str | None, typer.Option("--file", "-f", help="A JSON/YAML document (or - / @path).")
        ] = None,
        sets: Annotated[
            list[str] | None, typer.Option("--set", help="Extra field KEY=VALUE (JSON values parsed).")
        ] = None,
        stack: StackOpt = None,
        output: OutputOpt = Format.table,
    ) -> None:
        from stackctl.errors import UsageError
        from stackctl.registry.records import register_one, require_stack

        spec = _spec_from(file, sets)
        if identifier is not None:
            spec[kind.id_field] = identifier
        if provider_id is not None:
            spec["provider_id"] = provider_id
        if provider_resource_id is not None and kind.provider_id_field:
            spec[kind.provider_id_field] = provider_resource_id
        if kind.id_field not in spec:
            raise UsageError(
                f"missing {kind.id_field}", hint=f"stackctl {kind.cli} register ID --provider-id P"
            )
        with open_db(ctx) as db:
            change, _ = register_one(db, require_stack(db, stack), kind.name, spec, now=int(time.time()))
        emit([change.to_dict()] if output.is_table else change.to_dict(), output, columns=CHANGE_COLUMNS)

    register_.__doc__ = (
        f"Register one {kind.name} into a stack, from flags or a document.\n\n"
        f"Example: stackctl {kind.cli} register ID --provider-id P --stack my-stack"
    )

    @app.command("unregister")
    def unregister(
        ctx: typer.Context,
        identifier: str,
        stack: StackOpt = None,
        ignore_not_found: IgnoreNotFoundOpt = False,
        output: OutputOpt = Format.table,
    ) -> None:
        from stackctl.cli.options import missing_ok
        from stackctl.registry import records

        with missing_ok(ignore_not_found):
            with open_db(ctx, create=False) as db:
                records.unregister(db, stack, kind.name, identifier)
            emit({"kind": kind.name, "id": identifier, "deleted": True}, output)

    unregister.__doc__ = (
        f"Remove a {kind.name} from the registry.\n\n"
        f"Example: stackctl {kind.cli} unregister ID --ignore-not-found"
    )
    for add_commands in EXTRA_COMMANDS.get(kind.name, ()):
        add_commands(app)
    return app


def _add_models_refresh(app: typer.Typer) -> None:
    @app.command("refresh")
    def refresh(
        ctx: typer.Context,
        stack: StackOpt = None,
        timeout: TimeoutOpt = None,
        retries: RetriesOpt = None,
        env: EnvOpt = None,
        env_file: EnvFileOpt = None,
        output: OutputOpt = Format.table,
    ) -> None:
        """Ask each inference provider of the stack for its models (GET /models) and record them.

        Example: stackctl models refresh --stack my-stack --timeout 30 -o json
        """
        from stackctl.cli.options import call_bounds
        from stackctl.inference.client import client_for_provider
        from stackctl.inference.limits import limits_from_env, retries_from_env
        from stackctl.inference.recording import recording_config_from_env
        from stackctl.inference.retries import RetryPolicy
        from stackctl.registry.records import require_stack
        from stackctl.registry.refresh import refresh_models

        environ = build_env(env, env_file)
        recording = recording_config_from_env(environ)
        env_timeouts, max_answer_bytes = limits_from_env(environ)
        timeouts = call_bounds(timeout)
        retry = RetryPolicy(attempts=1 + (retries_from_env(environ) if retries is None else retries))

        def client(provider_type: str, config: Any, provider_id: str) -> Any:
            return client_for_provider(
                provider_type,
                config,
                provider_id=provider_id,
                recording=recording,
                timeouts=timeouts or env_timeouts,
                retry=retry,
                max_answer_bytes=max_answer_bytes,
            )

        with open_db(ctx) as db:
            report = refresh_models(db, require_stack(db, stack), environ, client, now=int(time.time()))
        _emit_report(report, output)


# Commands only some kinds have, added to their group by `resource_app`.
EXTRA_COMMANDS: dict[str, tuple[Callable[[typer.Typer], None], ...]] = {"model": (_add_models_refresh,)}
