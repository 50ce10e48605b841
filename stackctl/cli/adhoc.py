"""`stackctl adhoc SPEC...`: print (or write) a run config built from api=provider specs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from stackctl.cli.output import DocOutputOpt, Format, format_data, notice


def adhoc(
    spec: Annotated[
        list[str],
        typer.Argument(help="api=provider pairs, separated by ',' or ';' (several arguments allowed)."),
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="image_name of the stack (default: derived from the spec).")
    ] = None,
    output: DocOutputOpt = Format.yaml,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the config to FILE instead of stdout ('-' is stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Build a complete run config from api=provider specs, using each provider's sample config.

    A provider name is looked up exactly, then as inline::NAME, then remote::NAME. provider?key=value
    overrides a config field (several joined with '&'); a secret field takes only references, e.g.
    api_key=${env.MY_KEY}. The config is validated before it is printed; the variables it needs are listed
    on stderr.

    Example: stackctl adhoc inference=ollama,inference=openai safety=llama-guard --out run.yaml
    """
    from stackctl.catalogue.stack import catalogue_for
    from stackctl.distros.adhoc import build_adhoc, write_atomically
    from stackctl.paths import data_dir

    environ = dict(os.environ)
    home = Path(os.path.expanduser("~"))
    stack = build_adhoc(spec, catalogue_for(environ), data_dir(environ), name=name, home=home)
    text = format_data(stack.document, Format.yaml if output is Format.table else output)
    if out is not None and str(out) != "-":
        write_atomically(out, text, force=force)
        notice(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
    _env_note(stack.required_env, stack.optional_env)


def _env_note(required: list[str], optional: list[str]) -> None:
    if required:
        notice("required environment variables: " + ", ".join(required))
    if optional:
        notice("optional environment variables: " + ", ".join(optional))
    if not required and not optional:
        notice("no environment variables needed")
