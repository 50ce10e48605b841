"""The CLI entry point and its single error boundary.

`run(argv)` parses and dispatches, turning every `StackctlError` into `error:`/`hint:` lines on stderr
(or a JSON error object with `-o json`) and its exit code. Nothing else in stackctl prints errors or exits.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

import typer

from stackctl import __version__
from stackctl.errors import (
    EXIT_CODES_HELP,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    StackctlError,
    UsageError,
)

HELP = f"""Command-line toolkit for llama-stack-style stacks.

Render run configs, resolve providers, register resources, hold OpenAI-compatible conversations and
responses, and serve them over HTTP.

Example: stackctl config render run.yaml --env OLLAMA_URL=http://127.0.0.1:11434

{EXIT_CODES_HELP}"""


@dataclass
class AppState:
    debug: bool = False
    db: str | None = None


app = typer.Typer(
    name="stackctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"stackctl {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    db: Annotated[
        str | None, typer.Option("--db", help="Database path (default: $STACKCTL_DB, else the user data dir).")
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    ctx.obj = AppState(debug=debug, db=db)


def _register_groups() -> None:
    from stackctl.cli import adhoc, config, conversations, db, distro, providers, registry, responses, serve
    from stackctl.core.kinds import KINDS

    app.add_typer(config.app, name="config")
    app.add_typer(config.stack_app, name="stack")
    app.add_typer(distro.app, name="distro")
    app.command("adhoc")(adhoc.adhoc)
    app.add_typer(providers.apis_app, name="apis")
    app.add_typer(providers.app, name="providers")
    app.add_typer(db.app, name="db")
    app.add_typer(conversations.app, name="conv")
    app.add_typer(responses.app, name="responses")
    app.command("register")(registry.register)
    app.add_typer(registry.stacks_app, name="stacks")
    for kind in KINDS.values():
        app.add_typer(registry.resource_app(kind.name), name=kind.cli)
    app.command("serve")(serve.serve)


_register_groups()


def _sniff_format(argv: Sequence[str]) -> str:
    """The -o value, read before parsing so that even parse errors honour `-o json`."""
    fmt = "table"
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv):
            fmt = argv[i + 1]
        elif arg.startswith("--output="):
            fmt = arg.split("=", 1)[1]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            fmt = arg[2:]
    return fmt.lower()


def report_error(exc: StackctlError, *, as_json: bool) -> None:
    if as_json:
        sys.stderr.write(json.dumps(exc.to_dict()) + "\n")
        return
    from stackctl.cli.output import use_color

    color = use_color(sys.stderr)
    label = "\x1b[31merror:\x1b[0m" if color else "error:"
    lines = [f"{label} {exc.message}"]
    lines.extend(f"  {detail}" for detail in exc.details)
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    sys.stderr.write("\n".join(lines) + "\n")


def run(argv: Sequence[str]) -> int:
    """Run the CLI on argv; return the exit code. Never raises."""
    args = list(argv)
    as_json = _sniff_format(args) == "json"
    debug = "--debug" in args or bool(os.environ.get("STACKCTL_DEBUG"))
    try:
        command = typer.main.get_command(app)
        result = command.main(args=args, prog_name="stackctl", standalone_mode=False)
        if result == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into a silent Exit(130)
            raise KeyboardInterrupt
        return result if isinstance(result, int) else 0
    except StackctlError as exc:
        if debug:
            traceback.print_exc()
        report_error(exc, as_json=as_json)
        return exc.exit_code
    except typer.TyperException as exc:
        usage = UsageError(exc.format_message(), hint=_usage_hint(exc))
        usage.exit_code = getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE
        report_error(usage, as_json=as_json)
        return usage.exit_code
    except (typer.Abort, KeyboardInterrupt):
        report_error(_interrupted(), as_json=as_json)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`stackctl ... | head`): not an error of ours.
        _silence_stdout()
        return 0
    except Exception as exc:
        if debug:
            traceback.print_exc()
        report_error(
            StackctlError(f"internal error: {type(exc).__name__}: {exc}", hint="rerun with --debug for a traceback"),
            as_json=as_json,
        )
        return EXIT_INTERNAL


def _interrupted() -> StackctlError:
    exc = StackctlError("interrupted", code="interrupted")
    exc.exit_code = EXIT_INTERRUPTED
    return exc


def _usage_hint(exc: Exception) -> str | None:
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return None
    return f"see '{ctx.command_path} --help'"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main() -> None:
    sys.exit(run(sys.argv[1:]))
