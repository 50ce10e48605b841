"""Loading the catalogue: the built-in data, plus the provider types of a user's providers directory.

The built-in part is turned into objects once per process and shared; a providers directory gives a new
catalogue on each call (its files may change between calls).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from stackctl.catalogue.lookup import Catalogue
from stackctl.catalogue.spec import ApiInfo, ProviderSpec, spec_from_record


@lru_cache(maxsize=1)
def _builtin_apis() -> tuple[ApiInfo, ...]:
    from stackctl.catalogue.data import APIS

    return tuple(ApiInfo(name, kind, description, routes) for name, kind, routes, description in APIS)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _builtin_specs() -> tuple[ProviderSpec, ...]:
    from stackctl.catalogue.data import builtin_providers

    return tuple(spec_from_record(api, record) for api, record in builtin_providers())


@lru_cache(maxsize=1)
def _builtin_catalogue() -> Catalogue:
    return Catalogue(_builtin_apis(), _builtin_specs())


def load_catalogue(providers_dir: Path | None = None) -> Catalogue:
    """The catalogue: built-in APIs and providers, plus the provider types defined in `providers_dir`."""
    if providers_dir is None:
        return _builtin_catalogue()
    from stackctl.catalogue.user import load_user_providers

    builtin = _builtin_catalogue()
    user = load_user_providers(providers_dir, builtin)
    return Catalogue(builtin.apis, (*_builtin_specs(), *user))
