"""User-defined provider types: one YAML file per provider in a providers directory.

A file looks like this (the keys of `stackctl providers show TYPE -o yaml`, minus the computed ones):

    api: inference
    provider_type: remote::acme
    description: Acme's hosted models.
    api_dependencies: []
    optional_api_dependencies: []
    config_fields:
      - {name: url, type: str, default: https://api.acme.example/v1, description: Base URL.}
      - {name: api_key, type: str, secret: true}
    sample_config:
      url: ${env.ACME_URL:=https://api.acme.example/v1}
      api_key: ${env.ACME_API_KEY:=}

Every problem in a file is a `ConfigError` that names the file. A file may not redefine a built-in provider
type for the same API, and two files may not define the same one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stackctl.catalogue.spec import FIELD_KINDS, ProviderSpec, spec_from_record
from stackctl.config.yamlio import load_yaml
from stackctl.errors import ConfigError, validation_lines
from stackctl.files import read_bounded
from stackctl.hints import did_you_mean

if TYPE_CHECKING:
    from stackctl.catalogue.lookup import Catalogue

PROVIDER_TYPE_PATTERN = r"^(inline|remote)::[a-z0-9][a-z0-9._-]*(::[a-z0-9][a-z0-9._-]*)*$"
_NAME = re.compile(r"[A-Z0-9_]+")
_LIST_OF = re.compile(r"^list\[(\w+)\]$")

Kind = Literal["str", "int", "float", "bool", "list", "dict", "any"]


class _FieldDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    secret: bool = False
    items: Kind | None = None

    @field_validator("type")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        match = _LIST_OF.match(value)
        if value not in FIELD_KINDS and not (match and match.group(1) in FIELD_KINDS):
            raise ValueError(f"unknown type '{value}'; use one of {', '.join(FIELD_KINDS)} or list[KIND]")
        return value

    def record(self) -> dict[str, Any]:
        record = self.model_dump()
        match = _LIST_OF.match(self.type)
        if match:
            record["type"], record["items"] = "list", match.group(1)
        return record


class _ProviderDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api: str
    provider_type: str = Field(pattern=PROVIDER_TYPE_PATTERN)
    description: str = ""
    api_dependencies: list[str] = []
    optional_api_dependencies: list[str] = []
    config_fields: list[_FieldDoc] = []
    sample_config: dict[str, Any] = {}


def load_user_providers(providers_dir: Path, builtin: Catalogue) -> list[ProviderSpec]:
    """Read every `*.yaml`/`*.yml` file in `providers_dir` (sorted by name) as one provider type."""
    if not providers_dir.is_dir():
        raise ConfigError(
            f"providers directory {providers_dir} does not exist or is not a directory",
            hint="set STACKCTL_PROVIDERS_DIR to a directory of provider YAML files, or unset it",
        )
    files = sorted(p for p in providers_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    specs: list[ProviderSpec] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in files:
        spec = _load_file(path, builtin)
        if spec.key in seen:
            raise ConfigError(
                f"{path}: provider type {spec.provider_type} for API {spec.api} "
                f"is already defined in {seen[spec.key]}"
            )
        seen[spec.key] = path
        specs.append(spec)
    return specs


def _load_file(path: Path, builtin: Catalogue) -> ProviderSpec:
    try:
        with path.open("rb") as handle:
            text = read_bounded(handle, str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read provider file: {exc.strerror}") from None
    data = load_yaml(text, source=str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a provider file must be a mapping with api, provider_type, ...")
    try:
        doc = _ProviderDoc.model_validate(data)
    except ValidationError as exc:
        details = validation_lines(exc.errors())
        raise ConfigError(f"{path}: invalid provider definition", details=details) from None
    _check_apis(path, doc, builtin)
    if (doc.api, doc.provider_type) in {spec.key for spec in builtin.providers}:
        raise ConfigError(
            f"{path}: provider type {doc.provider_type} for API {doc.api} is built in",
            hint="give the user-defined provider its own type name",
        )
    record = {
        "provider_type": doc.provider_type,
        "description": doc.description,
        "api_dependencies": doc.api_dependencies,
        "optional_api_dependencies": doc.optional_api_dependencies,
        "fields": [f.record() for f in doc.config_fields],
        "sample": doc.sample_config,
    }
    spec = spec_from_record(doc.api, record, source=str(path))
    _check_fields(path, spec)
    _check_sample(path, spec)
    return spec


def _check_apis(path: Path, doc: _ProviderDoc, builtin: Catalogue) -> None:
    known = [info.name for info in builtin.apis]
    try:
        builtin.providable_api(doc.api)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc.message}", hint=exc.hint) from None
    for dependency in (*doc.api_dependencies, *doc.optional_api_dependencies):
        if dependency not in known:
            raise ConfigError(
                f"{path}: unknown API '{dependency}' in the dependencies",
                hint=did_you_mean(dependency, known),
            )


def _check_fields(path: Path, spec: ProviderSpec) -> None:
    from stackctl.catalogue.schema import build_model, violations

    names = [f.name for f in spec.fields]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{path}: config field '{duplicates[0]}' is declared twice")
    for config_field in spec.fields:
        where = f"{path}: config field '{config_field.name}'"
        if config_field.required and config_field.default is not None:
            raise ConfigError(f"{where} is required and has a default; drop one of them")
        if config_field.items is not None and config_field.kind != "list":
            raise ConfigError(f"{where}: items is only for fields of type list")
    model = build_model(spec)
    defaults = {f.name: f.default for f in spec.fields if f.default is not None}
    problems = violations(spec, model, defaults)
    if problems:
        field_path, message = problems[0]
        raise ConfigError(
            f"{path}: default of config field '{field_path[0]}' does not fit its type: {message}"
        )


def _check_sample(path: Path, spec: ProviderSpec) -> None:
    names = [f.name for f in spec.fields]
    for key in spec.sample:
        if key not in names:
            raise ConfigError(
                f"{path}: sample_config key '{key}' is not a declared config field",
                hint=did_you_mean(key, names) or "declare it under config_fields",
            )
    for location, text in _sample_strings(spec.sample, ("sample_config",)):
        problem = reference_problem(text)
        if problem:
            raise ConfigError(
                f"{path}: {location}: {problem}", hint="references look like ${env.NAME:=default}"
            )


def _sample_strings(value: Any, where: tuple[str, ...]) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(".".join(where), value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_sample_strings(item, (*where, str(key))))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_sample_strings(item, (*where, f"[{index}]")))
    return found


def reference_problem(text: str) -> str | None:
    """What is wrong with the first malformed `${env...}` reference in `text`, or None.

    Well-formed: `${env.NAME}`, `${env.NAME:=default}`, `${env.NAME:+alt}`, `${env.NAME:?message}` with
    NAME in [A-Z0-9_]+; a default may hold nested references. `$${env...}` is an escaped literal.
    """
    start = text.find("${env.")
    while start >= 0:
        if not (start > 0 and text[start - 1] == "$"):
            problem = _reference_at(text, start)
            if problem:
                return problem
        start = text.find("${env.", start + 1)
    return None


def _reference_at(text: str, start: int) -> str | None:
    snippet = text[start : start + 40]
    pos = start + len("${env.")
    name = _NAME.match(text, pos)
    if name is None:
        return f"malformed reference {snippet!r}: the variable name must match [A-Z0-9_]+"
    pos = name.end()
    if pos >= len(text):
        return f"unclosed reference {snippet!r}"
    if text[pos] == "}":
        return None
    if text[pos] != ":" or text[pos + 1 : pos + 2] not in ("=", "+", "?"):
        return f"malformed reference {snippet!r}: expected '}}', ':=', ':+' or ':?' after the name"
    depth = 0
    pos += 2
    while pos < len(text):
        if text.startswith("${", pos):
            depth += 1
            pos += 2
            continue
        if text[pos] == "}":
            if depth == 0:
                return None
            depth -= 1
        pos += 1
    return f"unclosed reference {snippet!r}"
