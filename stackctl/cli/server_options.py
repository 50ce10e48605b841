"""What `stackctl serve`'s options become before uvicorn runs.

The address checks (loopback, a port already taken, the Host headers to accept), the event loop and HTTP
parser, uvicorn's keyword arguments and logging, and the environment that carries the options to worker
processes (each builds its own app from it: `APP_FACTORY`). Imported inside the command only, like fastapi
and uvicorn, so that every other command starts fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this long
APP_FACTORY = "stackctl.server.app:app_from_env"


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another process listens on before the server starts (exit 3), rather than after
    uvicorn has announced "startup complete"."""
    import socket

    from stackctl.errors import InvalidInputError

    if port == 0:
        return
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((address, port))
        except OSError as exc:
            raise InvalidInputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="another server may be running there; pick another --port",
                code="address_in_use",
            ) from None


def allowed_hosts(host: str, extra: list[str]) -> frozenset[str] | None:
    """The Host headers to accept: bound to loopback, the loopback names and `extra`; bound elsewhere, only
    `extra` and the address itself when some are given (and the loopback names when bound to every
    interface), else any (the names it is reached by are unknown)."""
    from stackctl.server.middleware import LOOPBACK_HOSTS

    if is_loopback(host):
        return LOOPBACK_HOSTS | {name.lower() for name in extra}
    if not extra:
        return None
    named = frozenset({host.lower(), *(name.lower() for name in extra)})
    # Bound to every interface, the machine's own clients still come through loopback (`localhost`).
    return named | LOOPBACK_HOSTS if host in ("0.0.0.0", "::", "") else named  # noqa: S104


def server_stack() -> tuple[str, str]:
    """The event loop and HTTP parser uvicorn is given: uvloop and httptools (uvicorn[standard]) when
    installed, else asyncio and h11. Named explicitly so that what start-up prints is what runs."""
    from importlib.util import find_spec

    loop = "uvloop" if find_spec("uvloop") is not None else "asyncio"
    http = "httptools" if find_spec("httptools") is not None else "h11"
    return loop, http


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with access lines on stderr too: stdout carries only data."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def uvicorn_options(
    host: str, port: int, loop: str, http: str, *, workers: int, header_timeout: float, max_connections: int
) -> dict[str, Any]:
    """uvicorn's keyword arguments, but for the app (or factory) and the workers."""
    from stackctl.server import protocols

    return {
        "host": host,
        "port": port,
        "loop": loop,
        # The parser printed, with the header read timeout and OpenAI-shaped errors of its own.
        "http": protocols.configured(http, header_timeout) if workers == 1 else protocols.import_path(http),
        "log_config": log_config(),
        "timeout_graceful_shutdown": 5,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # uvicorn refuses a request once open connections reach its limit, counting the request's own: one
        # more than --max-connections serves that many (with 5, the 5th connection was refused).
        "limit_concurrency": max_connections + 1,
    }


def worker_overrides(
    environ: Mapping[str, str],
    *,
    max_provider_calls: int,
    header_timeout: float,
    body_timeout: float,
    timeout: float | None,
    retries: int | None,
    hosts: frozenset[str] | None,
) -> dict[str, str | None]:
    """The variables a worker process reads its options from: the --env/--env-file values that differ
    from this process's environment, and the limits the app factory is given through STACKCTL_*."""
    overrides: dict[str, str | None] = {k: v for k, v in environ.items() if os.environ.get(k) != v}
    overrides["STACKCTL_MAX_PROVIDER_CALLS"] = str(max_provider_calls)
    overrides["STACKCTL_HEADER_TIMEOUT"] = str(header_timeout)
    overrides["STACKCTL_BODY_TIMEOUT"] = str(body_timeout)
    if timeout is not None:
        overrides["STACKCTL_TIMEOUT"] = str(timeout)
    if retries is not None:
        overrides["STACKCTL_RETRIES"] = str(retries)
    if hosts is not None:
        overrides["STACKCTL_ALLOWED_HOSTS"] = ",".join(sorted(hosts))
    return overrides


@contextmanager
def environ_set(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or unset, for None) these variables while the server runs; restore them after."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
