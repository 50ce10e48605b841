"""Shipped distribution templates: `templates/<name>/run.yaml` plus `templates/<name>/distro.yaml`
(description and the variables it needs). Read through importlib.resources from the installed package; a
source checkout reads the repository's `templates/`. Names are validated before any path is built.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from stackctl.errors import InvalidInputError, NotFoundError

# Matched with fullmatch: `re.match` with `$` would accept a trailing newline.
NAME_PATTERN = re.compile(r"[A-Za-z0-9._-]+")


def templates_root() -> Any:
    packaged = resources.files("stackctl") / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name) or name in (".", "..") or name.startswith("."):
        raise InvalidInputError(
            f"invalid distribution name {name!r}",
            hint="names use letters, digits, '.', '_' and '-'; see 'stackctl distro list'",
            code="invalid_name",
        )
    return name


def template_names() -> list[str]:
    root = templates_root()
    if not root.is_dir():
        return []
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir() and (entry / "run.yaml").is_file())


def _entry(name: str) -> Any:
    check_name(name)
    names = template_names()
    if name not in names:
        from stackctl.hints import did_you_mean

        suggestion = did_you_mean(name, names, limit=1)
        raise NotFoundError(
            f"no distribution named {name!r}",
            hint=suggestion or "see 'stackctl distro list'",
            code="distro_not_found",
        )
    return templates_root() / name


def read_template(name: str) -> tuple[bytes, str]:
    """The template's run config bytes and a source label for error messages."""
    return (_entry(name) / "run.yaml").read_bytes(), f"distro:{name}"


def template_info(name: str) -> dict[str, Any]:
    from stackctl.config.yamlio import load_yaml

    entry = _entry(name)
    info_file = entry / "distro.yaml"
    info = load_yaml(info_file.read_bytes(), f"distro:{name}/distro.yaml") if info_file.is_file() else {}
    info = info if isinstance(info, dict) else {}
    return {
        "name": name,
        "description": str(info.get("description", "")).strip(),
        "required_env": list(info.get("required_env") or []),
        "optional_env": list(info.get("optional_env") or []),
    }
