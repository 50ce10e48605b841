"""The CLI entry point and its single error boundary.

`run(argv)` parses and dispatches, turning every `StackctlError` into `error:`/`hint:` lines on stderr
(or a JSON error object with `-o json`) and its exit code (the handlers are in `stackctl.cli.failures`,
imported only when a run fails). Nothing else in stackctl prints errors or exits.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from stackctl import __version__
from stackctl.cli import coercion
from stackctl.errors import EXIT_CODES_HELP, EXIT_INTERRUPTED, StackctlError
from stackctl.models.kinds import KINDS

if TYPE_CHECKING:
    # typer 0.29 carries its own copy of click; its command classes live here.
    from typer._click.core import Command

HELP = f"""Command-line toolkit for llama-stack-style stacks.

Render run configs, resolve providers, register resources, hold OpenAI-compatible conversations and
responses, and serve them over HTTP.

Example: stackctl config render run.yaml --env OLLAMA_URL=http://127.0.0.1:11434

{EXIT_CODES_HELP}"""


class AppState:
    """What the root options leave for the subcommands, in `ctx.obj`."""

    def __init__(self, debug: bool = False, db: str | None = None) -> None:
        self.debug = debug
        self.db = db


# Every top-level command and command group: name -> (module under stackctl.cli, getter of its command
# function or Typer app), in the order `--help` lists them (typer's: commands, then groups). A module is
# imported, and its command built, only when the name is looked up (help and completion look up all of
# them): building the whole tree costs more than importing typer.
Getter = Callable[[ModuleType], Any]


def _resource_app(kind: str) -> Getter:
    return lambda module: module.resource_app(kind)


_SUBCOMMANDS: dict[str, tuple[str, Getter]] = {
    "adhoc": ("adhoc", lambda m: m.adhoc),
    "register": ("registry", lambda m: m.register),
    "serve": ("serve", lambda m: m.serve),
    "completion": ("completions", lambda m: m.completion),
    "config": ("config", lambda m: m.app),
    "stack": ("config", lambda m: m.stack_app),
    "distro": ("distro", lambda m: m.app),
    "apis": ("providers", lambda m: m.apis_app),
    "providers": ("providers", lambda m: m.app),
    "db": ("db", lambda m: m.app),
    "conv": ("conversations", lambda m: m.app),
    "responses": ("responses", lambda m: m.app),
    "stacks": ("stacks", lambda m: m.stacks_app),
    **{kind.cli: ("registry", _resource_app(kind.name)) for kind in KINDS.values()},
}


class LazyCommands(MutableMapping[str, "Command"]):
    """The root's name -> command mapping: all names known up front, each command built on first access."""

    def __init__(self, built: Mapping[str, Command]) -> None:
        self._built = dict(built)

    def __getitem__(self, name: str) -> Command:
        if name not in self._built:
            if name not in _SUBCOMMANDS:
                raise KeyError(name)
            self._built[name] = _build(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from _SUBCOMMANDS
        yield from (name for name in self._built if name not in _SUBCOMMANDS)

    def __len__(self) -> int:
        return len(_SUBCOMMANDS) + sum(name not in _SUBCOMMANDS for name in self._built)

    def __contains__(self, name: object) -> bool:
        return name in _SUBCOMMANDS or name in self._built

    def built(self, name: str) -> Command | None:
        """The command if it has been built already; never builds it."""
        return self._built.get(name)


class LazyGroup(typer.core.TyperGroup):
    """The root group; its subcommands are built only when something looks them up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """`--help` lists every subcommand with its short help, read from its Typer app or function
        without building it: stand-ins that carry only the help text are listed instead."""
        lazy = self.commands
        assert isinstance(lazy, LazyCommands)
        self.commands = {name: lazy.built(name) or _stand_in(name) for name in lazy}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = lazy


def _build(name: str) -> Command:
    """The click command for one subcommand, built exactly as `add_typer`/`command` on the root would."""
    module_name, getter = _SUBCOMMANDS[name]
    target = getter(importlib.import_module(f"stackctl.cli.{module_name}"))
    holder = typer.Typer(
        add_completion=False,  # `stackctl completion SHELL` is the one way to completions
        rich_markup_mode=app.rich_markup_mode,
        pretty_exceptions_short=app.pretty_exceptions_short,
        suggest_commands=app.suggest_commands,
    )
    holder.callback()(_noop)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    command = typer.main.get_group(holder).commands[name]
    _accept_root_options(command)
    return command


def _warn_db_password(location: str) -> None:
    if "@" in location:  # a URL's userinfo, maybe a password: checked where inputs are
        from stackctl.cli.inputs import warn_db_password

        warn_db_password(location)


def _set_db(ctx: typer.Context, value: str | None) -> None:
    state = ctx.find_root().obj
    if value is not None and isinstance(state, AppState):
        _warn_db_password(value)
        state.db = value


def _set_debug(ctx: typer.Context, value: bool) -> None:
    state = ctx.find_root().obj
    if value and isinstance(state, AppState):
        state.debug = True


def _root_options_here(
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="PATH", hidden=True, expose_value=False, callback=_set_db),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", hidden=True, expose_value=False, callback=_set_debug)
    ] = False,
) -> None:
    """Stands in to build the hidden `--db`/`--debug` options every subcommand also takes."""


def _accept_root_options(command: Command) -> None:
    """Give a subcommand (and every command under it) the root's `--db` and `--debug` too, hidden from
    its help, so that `stackctl conv list --db team.db` means what `stackctl --db team.db conv list` does."""
    import copy

    probe = typer.Typer()
    probe.command("probe")(_root_options_here)
    extra = typer.main.get_command(probe).params

    def add(node: Command) -> None:
        names = {opt for param in node.params for opt in param.opts}
        node.params.extend(copy.copy(param) for param in extra if not set(param.opts) & names)
        for sub in (getattr(node, "commands", None) or {}).values():
            add(sub)

    add(command)


def _stand_in(name: str) -> Command:
    """A command that only carries the help text `name` would have, for listing it."""
    module_name, getter = _SUBCOMMANDS[name]
    target = getter(importlib.import_module(f"stackctl.cli.{module_name}"))
    text = target.info.help if isinstance(target, typer.Typer) else inspect.getdoc(target)
    return typer.core.TyperCommand(name, help=text if isinstance(text, str) else None)


def _noop() -> None:
    """Stands in as the callback of the throwaway group a subcommand is built in."""


# Plain option values are coerced without building pydantic adapters (see stackctl.cli.coercion).
coercion.install()

app = typer.Typer(
    name="stackctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=LazyGroup,
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
        str | None,
        typer.Option(
            "--db",
            metavar="PATH|URL",
            help="Database: a SQLite path or postgresql://user@host:port/dbname "
            "(default: $STACKCTL_DB, else the data dir).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    if db is not None:
        _warn_db_password(db)
    ctx.obj = AppState(debug=debug, db=db)


def run(argv: Sequence[str]) -> int:
    """Run the CLI on argv; return the exit code. Never raises."""
    args = list(argv)
    if args[:1] == ["__complete"]:  # the completion scripts' callback: answered before any command is built
        from stackctl.cli.completion_values import answer

        return answer(args[1:])
    return _dispatch(args)


def _dispatch(args: list[str]) -> int:
    debug = "--debug" in args or bool(os.environ.get("STACKCTL_DEBUG"))
    try:
        command = typer.main.get_command(app)
        result = command.main(args=args, prog_name="stackctl", standalone_mode=False)
        if result == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into a silent Exit(130)
            raise KeyboardInterrupt
        return result if isinstance(result, int) else 0
    except StackctlError as exc:
        from stackctl.cli import failures

        return failures.stackctl_error(exc, args, debug=debug)
    except typer.TyperException as exc:
        from stackctl.cli import failures

        return failures.usage_error(exc, args)
    except (typer.Abort, KeyboardInterrupt):
        from stackctl.cli import failures

        return failures.interrupted(args)
    except Exception as exc:
        from stackctl.cli import failures

        return failures.unexpected(exc, args, debug=debug)


def main() -> None:
    sys.exit(run(sys.argv[1:]))
