"""`stackctl config ...`: render, vars, validate, upgrade; `stackctl stack resolve|deps`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from stackctl.cli.inputs import build_env, load_input, render_input
from stackctl.cli.options import DistroOpt, EnvFileOpt, EnvOpt, FileArg
from stackctl.cli.output import DocOutputOpt, Format, OutputOpt, emit

app = typer.Typer(help="Render, inspect and validate run configs.", no_args_is_help=True)


@app.command("render")
def render(
    file: FileArg = None,
    distro: DistroOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    output: DocOutputOpt = Format.yaml,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print secret values in clear.")
    ] = False,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Substitute only: no schema checks.")
    ] = False,
) -> None:
    """Substitute ${env.*} references, drop disabled providers, validate, and print the run config in the
    layout it was written in (no key moved, none added).

    Example: stackctl config render run.yaml --env-file secrets.env -o json
    """
    from stackctl.cli.output import warn
    from stackctl.config.secrets import mask_values, redact

    rendered, schemas = render_input(file, distro, env, env_file, validate=not no_validate)
    for message in rendered.warnings:
        warn(message)
    document = rendered.as_written
    if not show_secrets:
        document = redact(document, schemas.secret_path_predicate(document) if schemas else None)
        document = mask_values(document, rendered.secret_values)  # secrets that landed in other fields
    emit(document, Format.yaml if output is Format.table else output)


@app.command("vars")
def vars_(
    file: FileArg = None,
    distro: DistroOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print the defaults of secret fields in clear.")
    ] = False,
    output: OutputOpt = Format.table,
) -> None:
    """List every ${env.*} variable a run config references: syntax, default, where used, set now?

    Example: stackctl config vars run.yaml -o json
    """
    from stackctl.config.variables import list_variables

    environ = build_env(env, env_file)
    data, source = load_input(file, distro)
    rows = list_variables(data, source, environ, show_secrets=show_secrets)
    emit(
        {"object": "list", "data": rows},
        output,
        columns=[
            ("NAME", "name"),
            ("SYNTAX", "syntax"),
            ("DEFAULT", "default"),
            ("SET", "set"),
            ("PATHS", "paths"),
        ],
    )


def _resolved(file: str | None, distro: str | None, env: list[str] | None, env_file: list[str] | None) -> Any:
    from stackctl.cli.output import warn
    from stackctl.config.resolver import resolve

    rendered, catalogue = render_input(file, distro, env, env_file, validate=True)
    stack = resolve(
        rendered.document,
        catalogue,
        file or f"distro:{distro}",
        rendered.origins,
        secret_values=rendered.secret_values,
    )
    for message in [*rendered.warnings, *stack.warnings]:
        warn(message)
    return rendered, stack


@app.command("validate")
def validate(
    file: FileArg = None,
    distro: DistroOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Check a run config as `register` would: exit 0 when it is valid, 3 with every problem listed.

    Render, resolve, resources against the stack's providers, duplicate keys, literal secrets: every
    problem of the file in one run, each with its path and file:line. With -o json it always prints
    {"valid": ..., "problems": [...], "warnings": [...]} on stdout.

    Example: stackctl config validate run.yaml && echo ok
    """
    import os

    from stackctl.catalogue.stack import catalogue_for
    from stackctl.cli.output import warn
    from stackctl.errors import ConfigError
    from stackctl.registry.checks import validate_file

    environ = build_env(env, env_file)
    data, source = load_input(file, distro)
    report = validate_file(data, source, environ, catalogue_for(environ), home=os.path.expanduser("~"))
    for message in report.warnings:
        warn(message)
    if output is not Format.table:
        emit(report.to_wire(), output)
        if not report.valid:
            raise typer.Exit(3)
        return
    if not report.valid:
        raise ConfigError(
            f"{source}: {len(report.problems)} problem(s)",
            details=[p.text() for p in report.problems],
            code="invalid_config",
        )
    emit(report.to_wire(), output)


@app.command("upgrade")
def upgrade_cmd(
    file: FileArg = None,
    output: DocOutputOpt = Format.yaml,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the config to FILE instead of stdout ('-' is stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Rewrite an older-layout run config into the llama-stack 0.3.x layout (storage block,
    registered_resources, store references); ${env.*} references, values and key order are kept, and
    each change is noted on stderr. A file already in the 0.3.x layout is printed unchanged.

    Example: stackctl config upgrade run.yaml --out run-0.3.yaml
    """
    from stackctl.cli.output import format_data, notice
    from stackctl.config.upgrade import upgrade
    from stackctl.config.yamlio import load_yaml
    from stackctl.distros.adhoc import write_atomically
    from stackctl.errors import ConfigError

    data, source = load_input(file, None)
    raw = load_yaml(data, source)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a run config must be a YAML mapping")
    upgraded = upgrade(raw)
    for note in upgraded.notes:
        notice(f"upgrade: {note}")
    if not upgraded.changed:
        notice(f"{source} is already in the 0.3.x layout")
    text = format_data(upgraded.document, Format.yaml if output is Format.table else output)
    if out is not None and str(out) != "-":
        write_atomically(out, text, force=force)
        notice(f"wrote {out}")
    else:
        typer.echo(text, nl=False)


stack_app = typer.Typer(help="Resolve stacks: dependencies and instantiation order.", no_args_is_help=True)


@stack_app.command("deps")
def deps_cmd(
    file: FileArg = None,
    distro: DistroOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Print the pip packages the stack's providers need, one per line (as llama-stack's list-deps).

    Requirements that carry pip options (--no-deps, --extra-index-url) are listed on stderr, to be installed
    each with its own pip command; -o json gives {"packages": [...], "separately": [...]}.

    Example: pip install $(stackctl stack deps run.yaml)
    """
    from stackctl.catalogue.deps import stack_deps
    from stackctl.catalogue.stack import catalogue_for
    from stackctl.cli.inputs import build_env
    from stackctl.cli.output import notice
    from stackctl.config.yamlio import load_yaml
    from stackctl.errors import ConfigError

    data, source = load_input(file, distro)
    raw = load_yaml(data, source)
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: a run config must be a YAML mapping")
    deps = stack_deps(raw, catalogue_for(build_env(None, None)).catalogue, source)
    if output is not Format.table:
        emit(deps.to_dict(), output)
        return
    for requirement in deps.packages:
        typer.echo(requirement)
    for requirement in deps.separately:
        notice(f"install separately: pip install {requirement}")


@stack_app.command("resolve")
def resolve_cmd(
    file: FileArg = None,
    distro: DistroOpt = None,
    env: EnvOpt = None,
    env_file: EnvFileOpt = None,
    output: OutputOpt = Format.table,
) -> None:
    """Print the providers of a run config in instantiation order, with what each depends on.

    Example: stackctl stack resolve run.yaml -o json
    """
    _, stack = _resolved(file, distro, env, env_file)
    body = stack.to_dict()
    if output.is_table:
        emit(
            body["order"],
            output,
            columns=[
                ("#", "position"),
                ("API", "api"),
                ("PROVIDER ID", "provider_id"),
                ("TYPE", "provider_type"),
                ("DEPENDS ON", "depends_on"),
            ],
        )
    else:
        emit(body, output)
