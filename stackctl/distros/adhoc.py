"""Adhoc distributions: a complete run config built from `api=provider` specs.

Pure: the catalogue and the data dir are arguments; nothing is printed and no environment is read. The
config is assembled from the providers' sample configs with `${env.*}` references kept as written, so a
secret never lands in the output; an override of a secret field may hold only references, no literal
text, and no override may hold a URL with a literal password or token (`register` would refuse it).
Api dependencies are checked by the resolver core, the same one `config validate` uses, and the
result is rendered and validated through the one pipeline before it is returned (`_check_renders`), so
whatever `build_adhoc` returns validates once its required variables are set.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.catalogue.lookup import Catalogue
from stackctl.catalogue.spec import ProviderSpec, short_name
from stackctl.catalogue.stack import StackCatalogue
from stackctl.config.docpath import DocPath, format_path
from stackctl.config.envsubst import Node, Ref
from stackctl.config.secrets import has_literal_url_secret
from stackctl.distros.specs import ProviderSpecArg, parse_specs
from stackctl.errors import ConfigError, ConflictError, InvalidInputError
from stackctl.files import check_target, replace_atomically
from stackctl.hints import did_you_mean
from stackctl.models.kinds import KINDS

_NAME = re.compile(r"[A-Za-z0-9._-]+")  # fullmatch: `$` would accept a trailing newline
# The 0.3.x storage block: one key-value and one SQL backend, and the stack's stores on them.
_BACKENDS = {"kv_default": ("kv_sqlite", "kvstore.db"), "sql_default": ("sql_sqlite", "sql_store.db")}
_STORES = {
    "metadata": {"namespace": "registry", "backend": "kv_default"},
    "inference": {"table_name": "inference_store", "backend": "sql_default"},
    "conversations": {"table_name": "openai_conversations", "backend": "sql_default"},
}
# An override's optional variables are switched on and off in every combination: 2**8 renders at most.
MAX_SWITCHED_VARIABLES = 8
_RESOURCE_KINDS = tuple(kind.registered_key for kind in KINDS.values())  # 0.3.x names


@dataclass
class AdhocStack:
    image_name: str
    document: dict[str, Any]
    required_env: list[str] = field(default_factory=list)
    optional_env: list[str] = field(default_factory=list)


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


@dataclass(frozen=True)
class _Override:
    """Where a `key=value` override landed: for the render checks and to name it in errors."""

    path: DocPath
    label: str
    provider_type: str
    names: tuple[str, ...]  # the variables its value references, nested defaults included


def _parsed_override(spec: ProviderSpec, key: str, raw: str) -> tuple[Node, ...]:
    from stackctl.config.envsubst import SyntaxProblem, parse

    try:
        return parse(raw)
    except SyntaxProblem as exc:
        raise ConfigError(
            f"override '{key}={raw}' for {spec.provider_type} ({spec.api}): {exc.message}",
            hint=exc.hint,
            code="invalid_reference",
        ) from None


def _only_references(nodes: tuple[Node, ...]) -> bool:
    """No literal text anywhere, defaults and alternatives included: only variables can reach the value."""
    # A `:?` body is the message shown when the variable is unset; it never reaches the value.
    return all(isinstance(node, Ref) and (node.op == "?" or _only_references(node.body)) for node in nodes)


def _variables(nodes: tuple[Node, ...]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for node in nodes:
        if isinstance(node, Ref):
            names.update(dict.fromkeys((node.name, *_variables(node.body))))
    return tuple(names)


def _apply_overrides(
    spec: ProviderSpec, config: dict[str, Any], overrides: Sequence[tuple[str, str]], base: DocPath
) -> list[_Override]:
    from stackctl.config.envsubst import coerce

    applied: list[_Override] = []
    for key, raw in overrides:
        found = spec.get_field(key)
        if found is None:
            names = [f.name for f in spec.fields]
            raise ConfigError(
                f"unknown config field '{key}' for {spec.provider_type} ({spec.api})",
                hint=did_you_mean(key, names) or f"fields: {', '.join(names) or 'none'}",
                code="unknown_field",
            )
        nodes = _parsed_override(spec, key, raw)
        if found.is_secret and not _only_references(nodes):
            raise InvalidInputError(
                f"refusing to write a literal secret into '{key}' of {spec.provider_type}",
                hint=f"pass only references, no literal text: {key}=${{env.NAME}} or {key}=${{env.NAME:=}}",
                code="literal_secret",
            )
        if has_literal_url_secret(raw):  # what `register` refuses to store, refused before it is printed
            raise InvalidInputError(
                f"refusing to write a URL with a literal password or token into '{key}' of "
                f"{spec.provider_type}",
                hint=f"write the password as a reference: {key}=http://user:${{env.NAME}}@host",
                code="literal_secret",
            )
        scalar_kind = found.kind if found.kind in ("str", "int", "float", "bool") else None
        config[key] = raw if "${env." in raw else coerce(raw, scalar_kind)
        label = f"'{key}={raw}' for {spec.provider_type} ({spec.api})"
        applied.append(_Override((*base, key), label, spec.provider_type, _variables(nodes)))
    return applied


def _provider_entries(
    items: Sequence[tuple[ProviderSpecArg, ProviderSpec]], data_dir: Path
) -> tuple[dict[str, list[dict[str, Any]]], list[_Override]]:
    providers: dict[str, list[dict[str, Any]]] = {}
    overrides: list[_Override] = []
    for item, spec in items:
        entries = providers.setdefault(spec.api, [])
        taken = {entry["provider_id"] for entry in entries}
        base = provider_id = short_name(spec.provider_type)
        counter = 2
        while provider_id in taken:
            provider_id, counter = f"{base}-{counter}", counter + 1
        config = spec.sample_config(data_dir)
        where: DocPath = ("providers", spec.api, len(entries), "config")
        overrides += _apply_overrides(spec, config, item.overrides, where)
        entries.append({"provider_id": provider_id, "provider_type": spec.provider_type, "config": config})
    return providers, overrides


def _env_names(document: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(required, optional) variable names, each in first-use order; a name required anywhere is required."""
    from stackctl.config.envsubst import references

    required: list[str] = []
    optional: list[str] = []
    for _, ref in references(document):
        bucket = required if ref.op in (None, "?") else optional
        if ref.name not in bucket:
            bucket.append(ref.name)
    return required, [name for name in optional if name not in required]


def _check_dependencies(document: dict[str, Any], catalogue: StackCatalogue) -> None:
    from stackctl.config.resolver import resolve

    try:
        resolve(document, catalogue, "adhoc spec")
    except ConfigError as exc:
        if exc.code == "unresolved":
            exc.hint = "add a provider for each missing API to the spec, e.g. vector_io=faiss"
        raise


def _dummy_values(document: dict[str, Any], catalogue: StackCatalogue) -> dict[str, str]:
    """A value for every referenced variable that the fields it is used in accept: `true` for a bool field,
    `1` for a number, otherwise `dummy`."""
    from stackctl.config.envsubst import references

    kinds: dict[str, set[str | None]] = {}
    for path, ref in references(document):
        kind = None
        if len(path) > 4 and path[0] == "providers" and path[3] == "config":
            entry = document["providers"][path[1]][path[2]]
            kind = catalogue.field_kind(str(path[1]), entry["provider_type"], path[4:])
        kinds.setdefault(ref.name, set()).add(kind)
    return {
        name: "true" if "bool" in found else "1" if found & {"int", "float"} else "dummy"
        for name, found in kinds.items()
    }


def _switched(
    override: _Override, base: Mapping[str, str], dummies: Mapping[str, str]
) -> list[dict[str, str]]:
    """Every combination of the override's own optional variables set and unset, on top of `base`."""
    switched = [name for name in override.names if name not in base]
    if len(switched) > MAX_SWITCHED_VARIABLES:
        raise InvalidInputError(
            f"override {override.label} uses more than {MAX_SWITCHED_VARIABLES} optional variables",
            hint="use fewer variables in one override",
            code="too_many_variables",
        )
    return [
        {**base, **{name: dummies[name] for name, on in zip(switched, switches, strict=True) if on}}
        for switches in itertools.product((False, True), repeat=len(switched))
    ]


def _blame(exc: ConfigError, overrides: Sequence[_Override], environment: Mapping[str, str]) -> ConfigError:
    """The pipeline's error, reworded to name the overrides whose fields it reports, if any."""

    def under(line: str, path: DocPath) -> bool:
        prefix = format_path(path)
        return line.startswith(prefix) and line[len(prefix) : len(prefix) + 1] in (":", " ", ".", "[")

    culprits = [o for o in overrides if any(under(line, o.path) for line in exc.details)]
    if not culprits:
        return exc
    states = [f"{n} {'set' if n in environment else 'unset'}" for o in culprits for n in o.names]
    when = f" (with {', '.join(dict.fromkeys(states))})" if states else ""
    return ConfigError(
        f"adhoc spec: override {', '.join(o.label for o in culprits)} gives an invalid run config{when}",
        details=exc.details,
        hint=f"give a value of the field's type (see 'stackctl providers show {culprits[0].provider_type}')",
        code=exc.code,
    )


def _check_renders(
    document: dict[str, Any],
    catalogue: StackCatalogue,
    required: Sequence[str],
    overrides: Sequence[_Override],
) -> None:
    """Prove that the config renders and validates in every environment that sets its required variables.

    Through the one pipeline (`render_config` with the catalogue's schemas). The whole config is rendered
    with its optional variables all unset and all set; then each override's provider entry, alone in a
    config of its own, with every combination of the override's optional variables set and unset. That is
    enough because each field's value depends only on the variables its own string references, and each
    field is validated on its own: the sample configs are valid with their optional variables unset (a
    test renders every one) and set, and every default and alternative an override can produce is
    checked. Rendering the entry alone keeps the combinations cheap (up to 2**8 of them). A set variable
    holds a dummy of its field's kind: a value of the wrong kind in a user's environment is that
    environment's fault, and `config validate` reports it there.
    """
    dummies = _dummy_values(document, catalogue)
    base = {name: dummies[name] for name in required}
    _render_each(document, [base, dict(dummies)], overrides, catalogue)
    for override in overrides:
        _, api, index, *inside = override.path
        alone = {
            "image_name": document["image_name"],
            "providers": {api: [document["providers"][api][index]]},
        }
        local = dataclasses.replace(override, path=("providers", api, 0, *inside))
        try:
            _render_each(alone, _switched(override, base, dummies), [local], catalogue)
        except ConfigError as exc:
            alone_at, real_at = format_path(("providers", api, 0)), format_path(("providers", api, index))
            exc.details = [line.replace(alone_at, real_at, 1) for line in exc.details]
            raise


def _render_each(
    document: dict[str, Any],
    environments: Sequence[Mapping[str, str]],
    overrides: Sequence[_Override],
    catalogue: StackCatalogue,
) -> None:
    from stackctl.config.pipeline import render_config
    from stackctl.config.yamlio import dump_yaml

    text = dump_yaml(document)
    for environment in environments:
        try:
            render_config(text, "adhoc spec", environment, schemas=catalogue)
        except ConfigError as exc:
            raise _blame(exc, overrides, environment) from None


def written_path(path: Path, home: Path | None) -> Path:
    """The path as a config file should hold it: under the home directory, written with `~`, so that the
    file holds no user's home directory and works for whoever runs it."""
    if home is not None and path.is_relative_to(home) and home != Path(home.anchor):
        return Path("~") / path.relative_to(home)
    return path


def storage_block(store_dir: str) -> dict[str, Any]:
    """The 0.3.x `storage` block of a stack whose sqlite files live in `store_dir`."""
    return {
        "backends": {
            name: {"type": kind, "db_path": f"{store_dir}/{db}"} for name, (kind, db) in _BACKENDS.items()
        },
        "stores": {name: dict(ref) for name, ref in _STORES.items()},
    }


def build_adhoc(
    args: Sequence[str],
    catalogue: StackCatalogue,
    data_root: Path,
    *,
    name: str | None = None,
    home: Path | None = None,
) -> AdhocStack:
    """Build the run config for `args` (spec strings). `data_root` is the stackctl data dir; a path under
    `home` is written with `~`."""
    parsed = parse_specs(args)
    lookup: Catalogue = catalogue.catalogue
    items = [(item, lookup.resolve_name(item.api, item.provider)) for item in parsed]
    image_name = check_image_name(name if name is not None else derive_image_name(spec for _, spec in items))
    data_dir = written_path(data_root / "adhoc" / image_name, home)
    providers, overrides = _provider_entries(items, data_dir)
    document: dict[str, Any] = {
        "version": 2,
        "image_name": image_name,
        "apis": sorted(providers),
        "providers": providers,
        "storage": storage_block(f"${{env.SQLITE_STORE_DIR:={data_dir}}}"),
        "registered_resources": {kind: [] for kind in _RESOURCE_KINDS},
        "server": {"port": 8321},
    }
    _check_dependencies(document, catalogue)
    required, optional = _env_names(document)
    _check_renders(document, catalogue, required, overrides)
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
