"""Adhoc distributions: a complete run config built from `api=provider` specs.

Pure: the catalogue and the data dir are arguments; nothing is printed and no environment is read. The
config is assembled from the providers' sample configs with `${env.*}` references kept as written, so a
secret never lands in the output; an override that would put a literal secret in is refused. Api
dependencies are checked by the resolver core, the same one `config validate` uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.core.catalogue import Catalogue, ProviderSpec, did_you_mean
from stackctl.core.catalogue_view import StackCatalogue
from stackctl.core.files import check_target, replace_atomically
from stackctl.core.specs import ProviderSpecArg, parse_specs
from stackctl.errors import ConfigError, ConflictError, InvalidInputError

_NAME = re.compile(r"[A-Za-z0-9._-]+")  # fullmatch: `$` would accept a trailing newline
_STORES = {
    "metadata_store": "registry.db",
    "inference_store": "inference_store.db",
    "conversations_store": "conversations.db",
}
_RESOURCE_KINDS = ("models", "shields", "vector_dbs", "datasets", "scoring_fns", "benchmarks", "tool_groups")


@dataclass
class AdhocStack:
    image_name: str
    document: dict[str, Any]
    required_env: list[str] = field(default_factory=list)
    optional_env: list[str] = field(default_factory=list)


def short_name(provider_type: str) -> str:
    """`remote::fireworks` -> `fireworks`; `remote::hf::endpoint` -> `hf-endpoint`."""
    tail = provider_type.split("::", 1)[-1]
    return tail.replace("::", "-")


def derive_image_name(specs: Iterable[ProviderSpec]) -> str:
    """`adhoc-` plus the short names of the providers, each once, in spec order."""
    names: list[str] = []
    for spec in specs:
        name = short_name(spec.provider_type)
        if name not in names:
            names.append(name)
    return "-".join(["adhoc", *names])


def check_image_name(name: str) -> str:
    # The name becomes a directory under the data dir: no separators, no dot-dot.
    if not _NAME.fullmatch(name) or name.startswith("."):
        raise InvalidInputError(
            f"invalid stack name {name!r}",
            hint="names use letters, digits, '.', '_' and '-', and do not start with '.'",
            code="invalid_name",
        )
    return name


def _apply_overrides(
    spec: ProviderSpec, config: dict[str, Any], overrides: Sequence[tuple[str, str]]
) -> None:
    from stackctl.core.envsubst import coerce

    for key, raw in overrides:
        found = spec.get_field(key)
        if found is None:
            names = [f.name for f in spec.fields]
            raise ConfigError(
                f"unknown config field '{key}' for {spec.provider_type} ({spec.api})",
                hint=did_you_mean(key, names) or f"fields: {', '.join(names) or 'none'}",
                code="unknown_field",
            )
        if found.is_secret and raw and "${env." not in raw:
            raise InvalidInputError(
                f"refusing to write a literal secret into '{key}' of {spec.provider_type}",
                hint=f"reference a variable instead: {key}=${{env.NAME}}",
                code="literal_secret",
            )
        scalar_kind = found.kind if found.kind in ("str", "int", "float", "bool") else None
        config[key] = raw if "${env." in raw else coerce(raw, scalar_kind)


def _provider_entries(
    items: Sequence[tuple[ProviderSpecArg, ProviderSpec]], data_dir: Path
) -> dict[str, list[dict[str, Any]]]:
    providers: dict[str, list[dict[str, Any]]] = {}
    for item, spec in items:
        entries = providers.setdefault(spec.api, [])
        taken = {entry["provider_id"] for entry in entries}
        base = provider_id = short_name(spec.provider_type)
        counter = 2
        while provider_id in taken:
            provider_id, counter = f"{base}-{counter}", counter + 1
        config = spec.sample_config(data_dir)
        _apply_overrides(spec, config, item.overrides)
        entries.append({"provider_id": provider_id, "provider_type": spec.provider_type, "config": config})
    return providers


def _env_names(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(required, optional) variable names, each in first-use order; a name required anywhere is required."""
    from stackctl.core.envsubst import references

    required: list[str] = []
    optional: list[str] = []
    for _, ref in references(document):
        bucket = required if ref.op in (None, "?") else optional
        if ref.name not in bucket:
            bucket.append(ref.name)
    return required, [name for name in optional if name not in required]


def _check_dependencies(document: dict[str, Any], catalogue: StackCatalogue) -> None:
    from stackctl.core.resolver import resolve

    try:
        resolve(document, catalogue, "adhoc spec")
    except ConfigError as exc:
        if exc.code == "unresolved":
            exc.hint = "add a provider for each missing API to the spec, e.g. vector_io=faiss"
        raise


def build_adhoc(
    args: Sequence[str], catalogue: StackCatalogue, data_root: Path, *, name: str | None = None
) -> AdhocStack:
    """Build the run config for `args` (spec strings). `data_root` is the stackctl data dir."""
    parsed = parse_specs(args)
    lookup: Catalogue = catalogue.catalogue
    items = [(item, lookup.resolve_name(item.api, item.provider)) for item in parsed]
    image_name = check_image_name(name if name is not None else derive_image_name(spec for _, spec in items))
    data_dir = data_root / "adhoc" / image_name
    providers = _provider_entries(items, data_dir)
    store_dir = f"${{env.SQLITE_STORE_DIR:={data_dir}}}"
    document: dict[str, Any] = {
        "version": 2,
        "image_name": image_name,
        "apis": sorted(providers),
        "providers": providers,
        **{store: {"type": "sqlite", "db_path": f"{store_dir}/{db}"} for store, db in _STORES.items()},
        **{kind: [] for kind in _RESOURCE_KINDS},
        "server": {"port": 8321},
    }
    _check_dependencies(document, catalogue)
    required, optional = _env_names(document)
    return AdhocStack(image_name, document, required, optional)


def write_atomically(path: Path, text: str, *, force: bool = False) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    A directory or a missing parent directory is invalid input (even with `force`); an existing file is a
    conflict unless `force`; a failed write leaves no partial file behind.
    """
    check_target(path)
    if path.exists() and not force:
        raise ConflictError(f"{path} already exists", hint="pass --force to overwrite it", code="file_exists")
    replace_atomically(path, text)
