"""`stackctl serve`: the OpenAI-compatible HTTP API (conversations, responses, models, health).

fastapi and uvicorn are imported inside the command only, so that every other command starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8321


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, with access lines on stderr too: stdout carries only data."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback by default).")
    ] = DEFAULT_HOST,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port to listen on.")
    ] = DEFAULT_PORT,
    config: Annotated[
        str | None, typer.Option("--config", help="Run config to render and validate at start (- for stdin).")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", envvar="STACKCTL_API_KEY", help="Require 'Authorization: Bearer KEY'."),
    ] = None,
) -> None:
    """Serve the OpenAI-compatible HTTP API (/v1/conversations, /v1/responses, /v1/models, /v1/health).

    Provider configs (API keys included) are rendered from this process's environment at each call.
    A bad --config fails at start with exit 3. Binding a non-loopback address without an api key warns.

    Example: STACKCTL_API_KEY=secret stackctl serve --port 8321
    """
    import os

    from stackctl.paths import db_location

    if config is not None:
        from stackctl.cli.inputs import render_input

        render_input(config, None, None, None, validate=True)
    if not api_key and not is_loopback(host):
        sys.stderr.write(
            f"warning: serving on {host} without an api key: anyone who can reach it can read and change "
            "conversations\nhint: pass --api-key or set STACKCTL_API_KEY\n"
        )
    import uvicorn

    from stackctl.server.app import create_app

    state = ctx.find_root().obj
    app = create_app(db_location(os.environ, getattr(state, "db", None)), api_key or None, env=os.environ)
    uvicorn.run(app, host=host, port=port, log_config=_log_config(), timeout_graceful_shutdown=5)
