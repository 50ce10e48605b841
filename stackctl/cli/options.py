"""Option and argument types shared by command groups, so that one flag means one thing everywhere."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext, suppress
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from stackctl.inference.limits import Timeouts

FileArg = Annotated[
    str | None, typer.Argument(metavar="FILE", help="Run config file, or - for stdin.", show_default=False)
]
EnvOpt = Annotated[
    list[str] | None,
    typer.Option("--env", "-e", metavar="KEY=VALUE", help="Set a variable for substitution (repeatable)."),
]
EnvFileOpt = Annotated[
    list[str] | None,
    typer.Option("--env-file", metavar="FILE", help="Read variables from a dotenv file (repeatable)."),
]
DistroOpt = Annotated[
    str | None,
    typer.Option("--distro", metavar="NAME", help="Render a shipped distribution instead of a file."),
]
ConvId = Annotated[
    str, typer.Argument(metavar="CONVERSATION_ID", help="Conversation id (conv_...).", show_default=False)
]
ItemId = Annotated[str, typer.Argument(metavar="ITEM_ID", help="Item id.", show_default=False)]
MetadataOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metadata", "-m", metavar="KEY=VALUE", help="Metadata KEY=VALUE (repeatable).", show_default=False
    ),
]
ItemOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        metavar="JSON|@FILE",
        help="An item as JSON, or @FILE holding one (repeatable).",
        show_default=False,
    ),
]
ItemsFileOpt = Annotated[
    str | None,
    typer.Option(
        "--items-file",
        metavar="FILE|-",
        help="A JSON array or JSON lines of items; - reads stdin.",
        show_default=False,
    ),
]
MessageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--message",
        metavar="ROLE:TEXT",
        help="A message ROLE:TEXT (user, assistant, system, developer).",
        show_default=False,
    ),
]
# A range click checks: `--limit 0` and `--limit abc` are both usage errors (exit 2) in click's words.
LimitOpt = Annotated[int, typer.Option("--limit", metavar="N", min=1, max=100, help="Page size, 1..100.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Follow the cursor to the end; print one list.")]
# A provider call's bounds, checked by click (exit 2). Each overrides its variable, which is read from the
# environment with --env/--env-file applied (a bad value there is exit 3, naming the variable).


def positive_seconds(value: float | None) -> float | None:
    """A deadline is a positive, finite number of seconds (click's float type lets 0, -1 and nan through)."""
    import math

    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value:g} is not a positive number of seconds.")
    return value


TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        callback=positive_seconds,
        help="Deadline of a whole provider call, retries included (default: $STACKCTL_TIMEOUT, else 120), "
        "and of a stream's wait for each chunk (else 60). Past it: exit 6.",
        show_default=False,
    ),
]
RetriesOpt = Annotated[
    int | None,
    typer.Option(
        "--retries",
        metavar="N",
        min=0,
        help="Times a failed provider call is tried again within the deadline (default: $STACKCTL_RETRIES, "
        "else 2; 0: one try).",
        show_default=False,
    ),
]


def call_bounds(timeout: float | None) -> Timeouts | None:
    """The deadlines `--timeout` gives, None to leave them to the environment."""
    from stackctl.inference.limits import Timeouts

    return None if timeout is None else Timeouts.deadline(timeout)


def follow_pages(page: Any, next_page: Callable[[str], Any]) -> dict[str, Any]:
    """`--all`: this page and every later one (`next_page(last_id)`), merged into one list object."""
    from stackctl.cli.output import to_jsonable
    from stackctl.models.lists import list_envelope

    current = to_jsonable(page)
    merged = list(current["data"])
    while current.get("has_more") and merged:
        current = to_jsonable(next_page(merged[-1]["id"]))
        merged.extend(current["data"])
    return list_envelope(merged, has_more=False)


AfterOpt = Annotated[
    str | None,
    typer.Option("--after", metavar="ID", help="List after this id (a cursor).", show_default=False),
]


class Order(str, Enum):
    asc = "asc"
    desc = "desc"


OrderOpt = Annotated[Order, typer.Option("--order", help="asc (oldest first) or desc (newest first).")]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="FIELD",
        help="Extra fields, e.g. message.output_text.logprobs (repeatable).",
        show_default=False,
    ),
]
StackOpt = Annotated[
    str | None,
    typer.Option(
        "--stack",
        metavar="NAME",
        envvar="STACKCTL_STACK",
        show_envvar=False,
        help="Stack name (default: $STACKCTL_STACK, else the one 'stackctl stacks use' selected, "
        "else the only one).",
    ),
]
IgnoreNotFoundOpt = Annotated[
    bool,
    typer.Option("--ignore-not-found", help="Exit 0, printing nothing, when it does not exist."),
]


def missing_ok(ignore_not_found: bool) -> AbstractContextManager[Any]:
    """A delete's block: with --ignore-not-found, something that is not there ends it quietly (exit 0)."""
    from stackctl.errors import NotFoundError

    return suppress(NotFoundError) if ignore_not_found else nullcontext()
