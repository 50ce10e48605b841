"""`stackctl apis ...` and `stackctl providers ...`: browse the provider catalogue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stackctl.cli.output import Format, OutputOpt, emit, emit_text, format_data

if TYPE_CHECKING:
    from stackctl.catalogue.lookup import Catalogue
    from stackctl.catalogue.spec import ProviderSpec

apis_app = typer.Typer(help="List the APIs a stack can serve.", no_args_is_help=True)
app = typer.Typer(help="Browse the provider types that serve each API.", no_args_is_help=True)

REDACTED = "********"

ApiOpt = Annotated[str | None, typer.Option("--api", help="Only providers of this API (e.g. inference).")]


def load_catalogue_from_env() -> Catalogue:
    """The catalogue with the user-defined provider types of $STACKCTL_PROVIDERS_DIR."""
    from stackctl.catalogue.load import load_catalogue
    from stackctl.paths import providers_dir

    return load_catalogue(providers_dir(os.environ))


def _listing(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": rows}


@apis_app.command("list")
def list_apis(output: OutputOpt = Format.table) -> None:
    """List every API with its kind: providable, routing_table (with the API it routes to) or builtin.

    Example: stackctl apis list -o json
    """
    rows = [info.to_dict() for info in load_catalogue_from_env().apis]
    emit(
        _listing(rows),
        output,
        columns=[("NAME", "name"), ("KIND", "kind"), ("ROUTES", "routes"), ("DESCRIPTION", "description")],
    )


@app.command("list")
def list_providers(api: ApiOpt = None, output: OutputOpt = Format.table) -> None:
    """List provider types, optionally of one API.

    Example: stackctl providers list --api inference
    """
    catalogue = load_catalogue_from_env()
    specs = catalogue.providers_for(api) if api is not None else list(catalogue.providers)
    rows = [spec.summary() for spec in specs]
    emit(
        _listing(rows),
        output,
        columns=[("TYPE", "provider_type"), ("API", "api"), ("DESCRIPTION", "description")],
    )


@app.command("show")
def show_provider(
    provider_type: Annotated[str, typer.Argument(metavar="TYPE", help="Provider type or short name.")],
    api: Annotated[str | None, typer.Option("--api", help="The API, when TYPE serves several.")] = None,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print secret defaults as is.")
    ] = False,
    output: OutputOpt = Format.table,
) -> None:
    """Show a provider type: config fields, env vars of its sample config, dependencies.

    TYPE is looked up exactly, then as inline::TYPE, then as remote::TYPE.

    Example: stackctl providers show fireworks --api inference
    """
    from stackctl.paths import data_dir

    spec = load_catalogue_from_env().lookup(provider_type, api)
    detail = _detail(spec, data_dir(os.environ), show_secrets=show_secrets)
    if not output.is_table:
        emit(detail, output)
        return
    summary = {k: v for k, v in detail.items() if k not in ("config_fields", "sample_config")}
    summary = {k: ", ".join(v) if isinstance(v, list) else v for k, v in summary.items()}
    emit(summary, output)
    emit_text("\n")
    emit(
        detail["config_fields"],
        output,
        columns=[
            ("FIELD", "name"),
            ("TYPE", "type"),
            ("REQUIRED", "required"),
            ("DEFAULT", "default"),
            ("SECRET", "secret"),
            ("DESCRIPTION", "description"),
        ],
    )
    emit_text("\nsample config:")
    emit_text(format_data(detail["sample_config"] or {}, Format.yaml).rstrip("\n"))


def _detail(spec: ProviderSpec, data_dir: Path, *, show_secrets: bool) -> dict[str, Any]:
    fields = [f.to_dict() for f in spec.fields]
    sample = spec.sample_config(data_dir)
    if not show_secrets:
        for entry in fields:
            if entry["secret"] and _is_literal_secret(entry["default"]):
                entry["default"] = REDACTED
        for name in spec.secret_fields:
            if _is_literal_secret(sample.get(name)):
                sample[name] = REDACTED
    return {
        **spec.summary(),
        "env_vars": spec.env_vars(),
        "config_fields": fields,
        "sample_config": sample,
    }


def _is_literal_secret(value: Any) -> bool:
    """A non-empty secret written out, as opposed to an `${env.X}` reference naming where it comes from."""
    return isinstance(value, str) and bool(value) and "${env." not in value
