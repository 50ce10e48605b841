"""The one error tree of stackctl.

Every failure a user can cause is a `StackctlError` subclass carrying an exit code, a stable snake_case
code, a message, an optional hint, optional details (one line each, usually `path: message`) and, for
request input, the parameter at fault (`param`, which the HTTP server reports). Core modules raise
these; only the CLI boundary (`stackctl.cli.main`, through `stackctl.cli.failures`) turns them into output
and exit codes, and only `stackctl.server.errors` into OpenAI error objects and HTTP statuses.

    StackctlError                 exit 1, internal (never raised itself)
    ├── UsageError                exit 2, bad flag or malformed spec            HTTP 400
    ├── InvalidInputError         exit 3, invalid input                         HTTP 400
    │   └── ConfigError           exit 3, invalid run config                    HTTP 400
    ├── NotFoundError             exit 4                                        HTTP 404
    ├── ConflictError             exit 5                                        HTTP 409
    ├── UpstreamError             exit 6, the provider failed                   HTTP 502, or the
    │                                                                          provider's 4xx/429/503/504
    └── InterruptedByUser         exit 130
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_NOT_FOUND = 4
EXIT_CONFLICT = 5
EXIT_UPSTREAM = 6
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 internal error, 2 usage error, 3 invalid config or input, "
    "4 not found, 5 conflict, 6 upstream provider failure, 130 interrupted."
)


MAX_DETAILS = 100  # detail lines an error keeps; past them, one line says how many more


class StackctlError(Exception):
    """Base of every error stackctl reports to a user."""

    exit_code: int = EXIT_INTERNAL
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: Iterable[str] = (),
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = list(details)
        if len(self.details) > MAX_DETAILS:  # 3.4 million bad items made 227 MB of error text
            self.details[MAX_DETAILS:] = [f"... and {len(self.details) - MAX_DETAILS:,} more"]
        self.param = param
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message, "exit_code": self.exit_code}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return {"error": body}


class UsageError(StackctlError):
    """Bad flag, malformed spec, mutually exclusive options."""

    exit_code = EXIT_USAGE
    code = "usage_error"


class InvalidInputError(StackctlError):
    """Invalid config or input: bad YAML, schema violation, missing env var, unknown API or provider."""

    exit_code = EXIT_INVALID
    code = "invalid_input"


class ConfigError(InvalidInputError):
    """A run config (or other document) that cannot be rendered or validated."""

    code = "invalid_config"


class NotFoundError(StackctlError):
    exit_code = EXIT_NOT_FOUND
    code = "not_found"


class ConflictError(StackctlError):
    exit_code = EXIT_CONFLICT
    code = "conflict"


class UpstreamError(StackctlError):
    """A provider failed: network error, timeout, or a 4xx/5xx answer.

    `status` is the provider's HTTP status (None when there was no answer), `retry_after` the seconds its
    `Retry-After` asked for, and `failure` what went wrong without an answer (`timeout`, `connect`), so
    the server can pass the provider's error on as it is."""

    exit_code = EXIT_UPSTREAM
    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        failure: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status
        self.retry_after = retry_after
        self.failure = failure


class ProviderTimeoutError(UpstreamError):
    """A provider call's deadline passed (retries included, or a stream sent nothing for too long)."""

    code = "provider_timeout"


class InterruptedByUser(StackctlError):
    """Ctrl-C or a closed terminal."""

    exit_code = EXIT_INTERRUPTED
    code = "interrupted"


def location(loc: Iterable[Any], *, skip: Collection[str] = ()) -> str:
    """A validation error's location as a path: `items[0].content`, leaving out the tags in `skip`.

    A discriminated union adds its tag right after a list index (or at the top): noise to a user, so a
    string in `skip` that follows an index (or starts the path) is dropped.
    """
    path = ""
    previous: object = 0
    for part in loc:
        if isinstance(previous, int) and isinstance(part, str) and part in skip:
            previous = part
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
        previous = part
    return path.lstrip(".")


def validation_lines(
    errors: Iterable[Mapping[str, Any]], *, prefix: str = "", skip: Collection[str] = ()
) -> list[str]:
    """The one turning of pydantic validation errors into `path: message` lines (for `details`)."""
    lines = []
    for error in errors:
        path = location(error.get("loc", ()), skip=skip)
        where = f"{prefix}.{path}" if prefix and path and not path.startswith("[") else f"{prefix}{path}"
        lines.append(f"{where or '(top)'}: {error.get('msg', 'invalid')}")
    return lines
