"""The pip packages a stack's providers need (`stackctl stack deps`), from the catalogue's facts.

Works on the run config as written, before substitution: what to install does not depend on the environment
a stack later runs in, so every provider entry counts except those switched off for good (`provider_id`
null or literally `__disabled__`). Unknown APIs or provider types are a `ConfigError` naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackctl.catalogue.lookup import Catalogue
from stackctl.errors import ConfigError

_OFF = (None, "__disabled__")


@dataclass
class StackDeps:
    """`packages`: plain requirements, one each, for `pip install $(...)`; `separately`: requirements that
    carry pip options (`--no-deps`, `--extra-index-url`), each to be installed with its own pip command."""

    packages: list[str] = field(default_factory=list)
    separately: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"packages": list(self.packages), "separately": list(self.separately)}


def stack_deps(doc: Mapping[str, Any], catalogue: Catalogue, source: str = "<config>") -> StackDeps:
    providers = doc.get("providers")
    if not isinstance(providers, Mapping):
        raise ConfigError(f"{source}: a run config needs a 'providers' mapping", code="schema_violation")
    deps = StackDeps()
    problems: list[str] = []
    for api, entries in providers.items():
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, Mapping) or entry.get("provider_id") in _OFF:
                continue
            try:
                spec = catalogue.get(str(api), str(entry.get("provider_type")))
            except ConfigError as exc:
                problems.append(f"providers.{api}[{index}]: {exc.message}")
                continue
            for requirement in spec.pip_packages:
                target = deps.separately if " " in requirement.strip() else deps.packages
                if requirement not in target:
                    target.append(requirement)
    if problems:
        raise ConfigError(
            f"{source}: unknown providers ({len(problems)})", details=problems, code="unknown_provider"
        )
    return deps
