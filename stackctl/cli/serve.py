"""`stackctl serve`: the OpenAI-compatible HTTP API (conversations, responses, models, health).

fastapi and uvicorn are imported inside the command only, so that every other command starts fast (as is
stackctl.cli.server_options, which turns the options into uvicorn's arguments and the workers' environment).
uvicorn gets the app as a factory's import string, so `--workers N` starts N processes that each build
their own app and connection pool; the database location and api key reach them through the environment.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from stackctl.cli.options import EnvFileOpt, EnvOpt

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8321


DEFAULT_HEADER_TIMEOUT = 10.0  # as stackctl.server.protocols, not imported here: uvicorn is imported late
DEFAULT_BODY_TIMEOUT = 30.0  # as stackctl.server.middleware, not imported here: fastapi is imported late


def _from_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def _apply_config(ctx: typer.Context, config: str, environ: dict[str, str]) -> tuple[str | None, int | None]:
    """Register (apply) the run config in one transaction, report on stderr, and return the file's
    `server.host`/`server.port`. A bad file raises before anything is written or bound."""
    from stackctl.cli.registry import apply_file
    from stackctl.registry.apply import server_address

    report, rendered = apply_file(ctx, config, environ)
    for message in report.warnings:
        sys.stderr.write(f"warning: {message}\n")
    summary = report.to_wire()["summary"]
    counts = ", ".join(f"{n} {action}" for action, n in summary.items() if n) or "nothing"
    source = "<stdin>" if config == "-" else config
    sys.stderr.write(f"registered stack {report.stack} from {source}: {counts}\n")
    return server_address(rendered.document)


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help=f"Address to bind [default: the file's server.host, else {DEFAULT_HOST}].",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help=f"TCP port [default: the file's server.port, else {DEFAULT_PORT}].",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", help="Run config to register at start and serve (- for stdin)."),
    ] = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="STACKCTL_API_KEY", help="Require 'Authorization: Bearer KEY'."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=64, help="Worker processes, each with its own connection pool."),
    ] = 1,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            envvar="STACKCTL_TIMEOUT",
            min=0.001,
            help="Deadline in seconds of a whole provider call, retries included (default 120), and of a "
            "stream's wait for each chunk (default 60). Past it: 504.",
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            "--retries",
            metavar="N",
            envvar="STACKCTL_RETRIES",
            min=0,
            help="Times a failed provider call is tried again within the deadline (default 2; 0: one try).",
        ),
    ] = None,
    max_provider_calls: Annotated[
        int,
        typer.Option(
            "--max-provider-calls",
            min=1,
            help="Responses in flight at once, on threads of their own; one more is 503 with Retry-After.",
        ),
    ] = 64,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="A Host header to accept besides the loopback names (repeatable); others are 421.",
        ),
    ] = None,
    max_connections: Annotated[
        int,
        typer.Option("--max-connections", min=1, help="Open connections at once; past it, 503."),
    ] = 1024,
    header_timeout: Annotated[
        float,
        typer.Option(
            "--header-timeout",
            min=0,
            help="Seconds a connection has to send a request's headers; past it, 408 and closed (0: none).",
        ),
    ] = DEFAULT_HEADER_TIMEOUT,
    body_timeout: Annotated[
        float,
        typer.Option(
            "--body-timeout",
            min=0,
            help="Seconds a request's body has to arrive whole; past it, 408 and closed (0: none).",
        ),
    ] = DEFAULT_BODY_TIMEOUT,
) -> None:
    """Serve the OpenAI-compatible HTTP API (/v1/conversations, /v1/responses, /v1/models, /v1/health).

    With --config FILE it serves that stack, as `llama stack run FILE` does: the file is registered (as
    `stackctl register FILE`) at start, in one transaction, and its server.host/server.port are used
    unless --host/--port are given. A bad file stops it with exit 3 before it binds. Without --config it
    serves what is registered. Provider configs (API keys included) are rendered at each call from this
    process's environment, overridden by --env-file files, then --env values; none of them is stored.
    Binding a non-loopback address without an api key warns.

    --workers N starts N processes, each with its own connection pool; with a PostgreSQL database
    (--db postgresql://...) several serve processes, on this machine or others, share one store.

    Example: STACKCTL_API_KEY=secret stackctl serve --config run.yaml --port 8321 --workers 4
    """
    from stackctl.cli import server_options
    from stackctl.cli.inputs import build_env, warn_in_process_list
    from stackctl.paths import db_location

    environ = build_env(env, env_file)
    file_host, file_port = _apply_config(ctx, config, environ) if config is not None else (None, None)
    host = host or file_host or DEFAULT_HOST
    port = port if port is not None else file_port if file_port is not None else DEFAULT_PORT
    if api_key and _from_command_line(ctx, "api_key"):
        warn_in_process_list("--api-key", "set STACKCTL_API_KEY in the environment instead")
    if not api_key and not server_options.is_loopback(host):
        sys.stderr.write(
            f"warning: serving on {host} without an api key: anyone who can reach it can read and change "
            "conversations\nhint: pass --api-key or set STACKCTL_API_KEY\n"
        )
    server_options.check_port_free(host, port)
    import uvicorn

    from stackctl.inference.limits import Timeouts
    from stackctl.store.open import open_database

    state = ctx.find_root().obj
    location = db_location(os.environ, getattr(state, "db", None))
    hosts = server_options.allowed_hosts(host, allowed_host or [])
    loop, http = server_options.server_stack()
    sys.stderr.write(f"stackctl serve: event loop {loop}, HTTP parser {http}\n")
    uvicorn_kwargs = server_options.uvicorn_options(
        host,
        port,
        loop,
        http,
        workers=workers,
        header_timeout=header_timeout,
        max_connections=max_connections,
    )
    if workers == 1:
        from stackctl.server.app import create_app

        app = create_app(
            location,
            api_key or None,
            env=environ,
            provider_calls=max_provider_calls,
            timeouts=None if timeout is None else Timeouts.deadline(timeout),
            retries=retries,
            allowed_hosts=hosts,
            body_timeout=body_timeout,
        )
        uvicorn.run(app, **uvicorn_kwargs)
        return
    # Several workers need an import string: each worker process builds its own app (and pool) from the
    # environment, so the --env/--env-file values, the location and the key travel there, never to disk.
    open_database(location).close()  # migrate once, before any worker starts: a bad database fails here
    overrides = server_options.worker_overrides(
        environ,
        max_provider_calls=max_provider_calls,
        header_timeout=header_timeout,
        body_timeout=body_timeout,
        timeout=timeout,
        retries=retries,
        hosts=hosts,
    )
    with server_options.environ_set(
        {**overrides, "STACKCTL_DB": location, "STACKCTL_API_KEY": api_key or None}
    ):
        uvicorn.run(server_options.APP_FACTORY, factory=True, workers=workers, **uvicorn_kwargs)
