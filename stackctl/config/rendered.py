"""What the config pipeline's stages share: the rendered document, and what they ask of the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from stackctl.config.docpath import DocPath
from stackctl.config.origins import Origins


class ProviderSchemas(Protocol):
    """What the pipeline needs from the provider catalogue."""

    @property
    def apis(self) -> Mapping[str, Any]: ...  # the known API names

    def field_kind(self, api: str, provider_type: str, path: DocPath) -> str | None: ...

    def validate_config(
        self, api: str, provider_type: str, config: dict[str, Any]
    ) -> list[tuple[DocPath, str]]: ...

    def known_provider(self, api: str, provider_type: str) -> bool: ...

    def ignores_unknown(self, api: str, provider_type: str) -> bool: ...  # llama-stack drops unknown keys

    def with_external(
        self, providers_dir: str | None, apis_dir: str | None, home: str | None
    ) -> ProviderSchemas: ...  # plus a config's external_providers_dir / external_apis_dir

    def provider_warnings(
        self, api: str, provider_type: str, config: dict[str, Any]
    ) -> list[tuple[DocPath, str]]: ...  # paths inside the provider entry


@dataclass
class Rendered:
    """A rendered run config, the warnings of its render, and where its parts came from in the file.

    `document` is the one internal model every command works on (the canonical layout, validated);
    `written` is the substituted document in the layout the file was written in, no key moved and none
    added: what `config render` prints, so that its output loads in the release the file was written for.
    """

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    origins: Origins = field(default_factory=Origins)
    written: dict[str, Any] | None = None
    # Problems that only warn when rendering, because llama-stack loads the file anyway (a provider config
    # key it ignores), but that `config validate` reports as problems.
    strict: list[str] = field(default_factory=list)
    # The schemas the document was validated with: the catalogue plus the config's external providers and
    # APIs, if it names any. Commands that go on to resolve the stack use these.
    schemas: ProviderSchemas | None = None
    # The secret values the substitution read (`Substituter.secret_values`): masked wherever they land.
    secret_values: frozenset[str] = frozenset()

    @property
    def as_written(self) -> dict[str, Any]:
        return self.document if self.written is None else self.written
