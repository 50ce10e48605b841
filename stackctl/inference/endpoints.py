"""Where an inference provider's OpenAI-compatible API lives and how to authenticate to it.

Input is a provider type and its rendered config (a plain dict, `${env.*}` already substituted). Each
remote provider type names its base URL differently (`url`, `base_url`, `openai_compat_api_base`, `api_base`)
and some write it without the path of their OpenAI-compatible API (ollama's `http://localhost:11434`, groq's
`https://api.groq.com`); each provider's catalogue record (its `http` profile, in
`stackctl.catalogue.data.inference`) knows its keys, default URL, and that path suffix, so every endpoint's
`base_url` ends where `/chat/completions` and `/models` can be appended.

Invariants: no network, no httpx; a secret lives only in `ProviderEndpoint.headers`, which never appears in a
repr, and no error message quotes it; an unknown provider type or a missing base URL is an `InvalidInputError`
(exit 3); a missing API key, or one that cannot be sent in an HTTP header (a control character such as a stray
line break, or a non-ASCII character), is an `InvalidInputError` reported only when a call goes to the network
(replaying recordings needs no secrets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from stackctl.config.secrets import MASK, mask_url_userinfo, unset_secret_error
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

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ProviderProfile:
        return cls(
            url_keys=tuple(record["url_keys"]),
            default_url=record.get("default_url"),
            suffix=record.get("suffix", ""),
            key_fields=tuple(record.get("key_fields", ("api_key",))),
            auth=record.get("auth", "bearer"),
            key_required=bool(record.get("key_required", True)),
        )


@lru_cache(maxsize=1)
def profiles() -> dict[str, ProviderProfile]:
    """Short provider type -> profile, for every remote inference provider whose catalogue record has one."""
    from stackctl.catalogue.load import load_catalogue

    return {
        short_type(spec.provider_type): ProviderProfile.from_record(spec.http)
        for spec in load_catalogue().providers_for("inference")
        if spec.http is not None and spec.provider_type.startswith("remote::")
    }


@dataclass(frozen=True)
class ProviderEndpoint:
    """A resolved endpoint: `base_url` + `/chat/completions` is where requests go."""

    label: str
    provider_type: str
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Set when the provider needs a key and none was given, or the key cannot be sent. Raised only when a
    # call goes to the network, so that replaying recordings in CI needs no secrets.
    key_error: InvalidInputError | None = field(default=None, repr=False, compare=False)
    # Other text to mask in what the endpoint says: the config's secret values (a token in the URL's
    # path), and the base URL's userinfo in the forms it travels (httpx sends it as Basic credentials).
    masked: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def redact(self, text: str) -> str:
        """The text with every header value, key and other secret value in it masked, also as a repr would
        quote them, and the userinfo of every URL in it (`http://user:pass@host`)."""
        secrets = {v for value in self.headers.values() for v in (value, value.removeprefix("Bearer "))}
        secrets |= self.masked
        text = mask_url_userinfo(text)  # first: a URL's password reads as `user:****@`, in one form
        for secret in sorted(secrets, key=len, reverse=True):
            quoted = (repr(secret)[1:-1], repr(secret.encode("utf-8", "backslashreplace"))[2:-1])
            for form in (secret, *quoted):
                if len(form) >= 4:  # masking a one-letter "key" would garble the message, not hide much
                    text = text.replace(form, MASK)
        return text


def short_type(provider_type: str) -> str:
    """`remote::fireworks` → `fireworks`; a bare name is returned as is."""
    return provider_type.split("::", 1)[1] if "::" in provider_type else provider_type


def profile_for(provider_type: str) -> ProviderProfile:
    known = profiles()
    profile = known.get(short_type(provider_type))
    if profile is None or (provider_type.startswith("inline::")):
        supported = ", ".join(f"remote::{name}" for name in sorted(known))
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


def _unsendable(text: str) -> str | None:
    """What makes the text impossible to send as an HTTP header value, or None if nothing does."""
    if not text.isascii():
        return "a non-ASCII character"
    if not text.isprintable():
        return "a control character (such as a line break)"
    return None


def _key(profile: ProviderProfile, config: Mapping[str, Any], api_key: str | None) -> tuple[str | None, str]:
    """The API key, and the name of where it came from (the override, or the config field)."""
    if (text := _secret_text(api_key)) is not None:
        return text, "api_key"
    for name in profile.key_fields:
        if (text := _secret_text(config.get(name))) is not None:
            return text, name
    return None, " or ".join(profile.key_fields)


def _key_error(
    label: str, profile: ProviderProfile, key: str | None, source: str, unset: Mapping[str, str]
) -> InvalidInputError | None:
    """Why the key cannot be used (missing, or unfit for a header), or None; never quoting the key."""
    if key is None:
        if not profile.key_required:
            return None
        for name in profile.key_fields:
            if name in unset:
                error: InvalidInputError = unset_secret_error(label, name, unset[name])
                return error
        return InvalidInputError(
            f"provider {label} has no API key: its config needs {source}",
            hint="set it with ${env.*} in the run config, e.g. api_key: ${env.PROVIDER_API_KEY}",
            code="missing_api_key",
        )
    problem = _unsendable(key)
    if problem is None:
        return None
    return InvalidInputError(
        f"provider {label}: the API key in {source} cannot be sent in an HTTP header: it holds {problem}",
        hint="check the environment variable or file that sets it, e.g. for a line break pasted with it",
        code="invalid_api_key",
    )


def _auth_headers(profile: ProviderProfile, key: str | None) -> dict[str, str]:
    if key is None or _unsendable(key):
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
    unset_secrets: Mapping[str, str] | None = None,
    secret_values: Iterable[str] = (),
) -> ProviderEndpoint:
    """Resolve a provider's rendered config to its endpoint. `api_key` overrides the config's key fields;
    `unset_secrets` (field -> variable) names the variables of key fields the render left unset;
    `secret_values` are masked in whatever the endpoint's calls say."""
    profile = profile_for(provider_type)
    full_type = provider_type if "::" in provider_type else f"remote::{provider_type}"
    label = provider_id or full_type
    key, source = _key(profile, config, api_key)
    base_url = _base_url(profile, full_type, config)
    return ProviderEndpoint(
        label=label,
        provider_type=full_type,
        base_url=base_url,
        headers=_auth_headers(profile, key),
        key_error=_key_error(label, profile, key, source, unset_secrets or {}),
        masked=frozenset(secret_values) | _userinfo_forms(base_url),
    )


def _userinfo_forms(url: str) -> frozenset[str]:
    """A URL's password as written and decoded, and its userinfo as Basic credentials (base64); the
    userinfo found as `stackctl.userinfo` finds it everywhere else."""
    import base64
    from urllib.parse import unquote

    from stackctl.userinfo import find_userinfo

    forms: set[str] = set()
    for info in find_userinfo(url):
        user, password = info.parts(url)
        if password:
            basic = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
            forms |= {password, unquote(password), basic}
    return frozenset(forms)
