"""`stackctl distro ...`: list, show and render the shipped distributions."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from stackctl.cli.output import Format, OutputOpt, emit

app = typer.Typer(help="List, inspect and render the shipped distributions.", no_args_is_help=True)

NameArg = Annotated[
    str, typer.Argument(help="Distribution name (see 'stackctl distro list').", show_default=False)
]


@app.command("list")
def list_distros(output: OutputOpt = Format.table) -> None:
    """List the shipped distributions with their descriptions.

    Example: stackctl distro list -o json
    """
    from stackctl.distros.templates import template_info, template_names

    rows = [{"name": n, "description": template_info(n)["description"]} for n in template_names()]
    emit({"object": "list", "data": rows}, output, columns=[("NAME", "name"), ("DESCRIPTION", "description")])


def _providers(name: str) -> dict[str, list[dict[str, Any]]]:
    """Providers per API as the template writes them (unrendered: ids may still be ${env.*} toggles)."""
    from stackctl.config.yamlio import load_yaml
    from stackctl.distros.templates import read_template

    data, source = read_template(name)
    document = load_yaml(data, source)
    providers = document.get("providers") if isinstance(document, dict) else None
    return {
        api: [
            {"provider_id": e.get("provider_id"), "provider_type": e.get("provider_type")}
            for e in entries or []
        ]
        for api, entries in (providers or {}).items()
    }


@app.command("show")
def show(name: NameArg, output: OutputOpt = Format.table) -> None:
    """Describe a distribution: what it is for, the variables it needs, its providers per API.

    Example: stackctl distro show fireworks
    """
    from stackctl.distros.templates import template_info

    info = template_info(name)
    body = {**info, "providers": _providers(name)}
    if output.is_table:
        body["providers"] = {
            api: [e["provider_type"] for e in entries] for api, entries in body["providers"].items()
        }
    emit(body, output)


def register(group: typer.Typer) -> None:
    """Add `distro render`, which is `config render --distro NAME` with the same options."""
    import inspect

    from stackctl.cli.config import render

    def render_distro(name: NameArg, **options: Any) -> None:
        render(distro=name, **options)

    # The options are render's own, read from its signature, so the two commands cannot drift apart.
    options = [
        p
        for p in inspect.signature(render, eval_str=True).parameters.values()
        if p.name not in ("file", "distro")
    ]
    parameters = [
        inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=NameArg),
        *options,
    ]
    render_distro.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    render_distro.__annotations__ = {p.name: p.annotation for p in parameters}
    render_distro.__doc__ = (
        "Render a shipped distribution: the same as 'stackctl config render --distro NAME'.\n\n"
        "Example: stackctl distro render fireworks --env-file secrets.env -o json"
    )
    group.command("render")(render_distro)


register(app)
