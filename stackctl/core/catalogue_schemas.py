"""The provider schemas the render pipeline uses, from the provider catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def provider_schemas(env: Mapping[str, str]) -> Any:
    """The catalogue as a `ProviderSchemas`, or None while no catalogue is available."""
    return None
