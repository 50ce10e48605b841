"""Where an inference provider's OpenAI-compatible API lives and how to authenticate to it.

Input is a provider type and its rendered config (a plain dict, `${env.*}` already substituted). Each
remote provider type names its base URL differently (`url`, `base_url`, `openai_compat_api_base`, `api_base`)
and some write it without the path of their OpenAI-compatible API (ollama's `http://localhost:11434`, groq's
`https://api.groq.com`); the table below knows each one's keys, default URL, and that path suffix, so every
endpoint's `base_url` ends where `/chat/completions` and `/models` can be appended.

Invariants: no network, no httpx; a secret lives only in `ProviderEndpoint.headers`, which never appears in a
repr; an unknown provider type or a missing base URL is an `InvalidInputError` (exit 3); a missing API key is
reported only when a call goes to the network (replaying recordings needs no secrets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackctl.errors import InvalidInputError


@dataclass(frozen=True)
class ProviderProfile:
    """How one provider type's config maps to an OpenAI-compatible endpoint."""

    url_keys: tuple[str, ...]
    default_url: str | None
    # Appended to a configured URL that does not already end with it (ollama's url has no /v1).
    suffix: str = ""
    key_fields: tuple[str, ...] = ("api_key",)
    # "bearer": `Authorization: Bearer KEY`; "api-key": Azure's `api-key: KEY` header.
    auth: str = "bearer"
    key_required: bool = True


PROFILES: dict[str, ProviderProfile] = {
    "openai": ProviderProfile(("base_url", "url"), "https://api.openai.com/v1"),
    "fireworks": ProviderProfile(("url", "base_url"), "https://api.fireworks.ai/inference/v1"),
    "together": ProviderProfile(("url", "base_url"), "https://api.together.xyz/v1"),
    "groq": ProviderProfile(("url", "base_url"), "https://api.groq.com", suffix="/openai/v1"),
    "sambanova": ProviderProfile(("url", "base_url"), "https://api.sambanova.ai/v1"),
    "cerebras": ProviderProfile(("base_url", "url"), "https://api.cerebras.ai", suffix="/v1"),
    "nvidia": ProviderProfile(("url", "base_url"), "https://integrate.api.nvidia.com", suffix="/v1"),
    "vllm": ProviderProfile(
        ("url", "base_url"), None, key_fields=("api_token", "api_key"), key_required=False
    ),
    "ollama": ProviderProfile(
        ("url", "base_url"), "http://localhost:11434", suffix="/v1", key_required=False
    ),
    "llama-openai-compat": ProviderProfile(
        ("openai_compat_api_base", "base_url", "url"), "https://api.llama.com/compat/v1"
    ),
    "passthrough": ProviderProfile(("url", "base_url"), None, key_required=False),
    "azure": ProviderProfile(("api_base", "base_url", "url"), None, suffix="/openai/v1", auth="api-key"),
    "gemini": ProviderProfile(("base_url", "url"), "https://generativelanguage.googleapis.com/v1beta/openai"),
    "anthropic": ProviderProfile(("base_url", "url"), "https://api.anthropic.com/v1"),
}


@dataclass(frozen=True)
class ProviderEndpoint:
    """A resolved endpoint: `base_url` + `/chat/completions` is where requests go."""

    label: str
    provider_type: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Set when the provider needs a key and none was given. Raised only when a call goes to the network,
    # so that replaying recordings in CI needs no secrets.
    missing_key: InvalidInputError | None = field(default=None, repr=False, compare=False)

    def url(self, path: str) -> str:
        return self.base_url + path


def short_type(provider_type: str) -> str:
    """`remote::fireworks` → `fireworks`; a bare name is returned as is."""
    return provider_type.split("::", 1)[1] if "::" in provider_type else provider_type


def profile_for(provider_type: str) -> ProviderProfile:
    profile = PROFILES.get(short_type(provider_type))
    if profile is None or (provider_type.startswith("inline::")):
        supported = ", ".join(f"remote::{name}" for name in sorted(PROFILES))
        raise InvalidInputError(
            f"provider type {provider_type!r} has no OpenAI-compatible HTTP API stackctl can call",
            hint=f"inference providers stackctl calls: {supported}",
            code="unsupported_provider",
        )
    return profile


def _secret_text(value: Any) -> str | None:
    """A secret from a rendered config: a string, or an object with `get_secret_value()` (pydantic)."""
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    text = str(getter() if callable(getter) else value).strip()
    return text or None


def _base_url(profile: ProviderProfile, provider_type: str, config: Mapping[str, Any]) -> str:
    configured = next((str(config[key]) for key in profile.url_keys if config.get(key)), None)
    url = (configured or profile.default_url or "").strip().rstrip("/")
    if not url:
        keys = " or ".join(profile.url_keys)
        raise InvalidInputError(
            f"provider {provider_type} has no base URL: its config needs {keys}",
            code="missing_base_url",
        )
    # nvidia's config can say its url already carries the API version.
    skip_suffix = config.get("append_api_version") is False
    if profile.suffix and not skip_suffix and not url.endswith(profile.suffix):
        url += profile.suffix
    return url


def _auth_headers(profile: ProviderProfile, key: str | None) -> dict[str, str]:
    if key is None:
        return {}
    if profile.auth == "api-key":
        return {"api-key": key}
    return {"Authorization": f"Bearer {key}"}


def endpoint_for(
    provider_type: str,
    config: Mapping[str, Any],
    *,
    provider_id: str | None = None,
    api_key: str | None = None,
) -> ProviderEndpoint:
    """Resolve a provider's rendered config to its endpoint. `api_key` overrides the config's key fields."""
    profile = profile_for(provider_type)
    full_type = provider_type if "::" in provider_type else f"remote::{provider_type}"
    label = provider_id or full_type
    key = _secret_text(api_key) or next(
        (text for name in profile.key_fields if (text := _secret_text(config.get(name)))), None
    )
    missing_key = None
    if key is None and profile.key_required:
        names = " or ".join(profile.key_fields)
        missing_key = InvalidInputError(
            f"provider {label} has no API key: its config needs {names}",
            hint="set it with ${env.*} in the run config, e.g. api_key: ${env.PROVIDER_API_KEY}",
            code="missing_api_key",
        )
    return ProviderEndpoint(
        label=label,
        provider_type=full_type,
        base_url=_base_url(profile, full_type, config),
        headers=_auth_headers(profile, key),
        missing_key=missing_key,
    )
