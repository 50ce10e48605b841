"""Where stackctl keeps its state. Computed per call from an environment mapping, never at import."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def data_dir(env: Mapping[str, str]) -> Path:
    """The stackctl data directory: `STACKCTL_DATA_DIR`, else platformdirs' user data dir."""
    override = env.get("STACKCTL_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("stackctl"))


def db_location(env: Mapping[str, str], override: str | None = None) -> str:
    """The database location: `--db`, else `STACKCTL_DB`, else `<data dir>/stackctl.db`.

    Returned as a string because a later backend takes URLs (`postgresql://...`).
    """
    if override:
        return override
    from_env = env.get("STACKCTL_DB")
    if from_env:
        return from_env
    return str(data_dir(env) / "stackctl.db")


def providers_dir(env: Mapping[str, str]) -> Path | None:
    """The directory of user-defined provider types: `STACKCTL_PROVIDERS_DIR`, else None."""
    value = env.get("STACKCTL_PROVIDERS_DIR")
    return Path(value).expanduser() if value else None
