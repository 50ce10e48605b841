"""Redaction keeps the variable a reference names and masks every literal text a secret field holds."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.config.secrets import MASK, is_secret_name, redact


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("sk-live-123", MASK),
        (12345, MASK),
        (None, None),
        ("${env.KEY}", "${env.KEY}"),
        ("${env.KEY:=}", "${env.KEY:=}"),
        ("${env.KEY:=sk-live-123}", f"${{env.KEY:={MASK}}}"),
        ("${env.ON:+sk-live-123}", f"${{env.ON:+{MASK}}}"),
        ("${env.A:=${env.B}}", "${env.A:=${env.B}}"),
        ("${env.A:=${env.B:=sk-live}}", f"${{env.A:=${{env.B:={MASK}}}}}"),
        ("Bearer ${env.TOKEN}", f"{MASK}${{env.TOKEN}}"),
        ("${env.KEY:?set KEY to your key}", "${env.KEY:?set KEY to your key}"),
        ("${env.lower}", MASK),  # malformed: not a reference, so literal
        ("$${env.KEY}", MASK),  # an escape is literal text
    ],
)
def test_a_secret_field_shows_references_but_no_literal_text(value: Any, shown: Any) -> None:
    assert redact({"api_key": value}) == {"api_key": shown}


def test_fields_that_are_not_secret_are_kept_and_nesting_is_followed() -> None:
    doc = {"url": "http://x", "nested": [{"password": "hunter2", "max_tokens": 5}]}
    assert redact(doc) == {"url": "http://x", "nested": [{"password": MASK, "max_tokens": 5}]}


def test_schema_marked_fields_are_masked_through_the_predicate() -> None:
    doc = {"aws_access_key_id": "AKIA123", "region": "us-east-1"}
    assert redact(doc, lambda path: path == ("aws_access_key_id",)) == {
        "aws_access_key_id": MASK,
        "region": "us-east-1",
    }


@pytest.mark.parametrize(
    "name",
    [
        "passphrase",
        "db_passwd",
        "client_secret",
        "client_key",
        "clientKey",
        "connection_string",
        "dsn",
        "postgres_dsn",
        "ssl_key_passphrase",
    ],
)
def test_the_widened_secret_names_are_masked(name: str) -> None:
    assert is_secret_name(name)
    assert redact({name: "literal"}) == {name: MASK}


@pytest.mark.parametrize(
    "name", ["token_count", "max_tokens", "secret_name", "api_key_type", "password_length", "cmdsnapshot"]
)
def test_counts_and_names_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)
    assert redact({name: "shown"}) == {name: "shown"}


def test_a_url_password_is_masked_wherever_it_appears() -> None:
    doc = {
        "url": "https://user:pass@host:8443/v1",
        "deep": [{"endpoint": "postgresql://app:s3cr3t@db.internal/prod"}],
        "ref": "postgresql://app:${env.PGPASSWORD}@db/prod",
        "without_one": "https://user@host/x",
        "text": "write to me@example.org",
    }
    assert redact(doc) == {
        "url": "https://user:****@host:8443/v1",
        "deep": [{"endpoint": "postgresql://app:****@db.internal/prod"}],
        "ref": "postgresql://app:${env.PGPASSWORD}@db/prod",
        "without_one": "https://user@host/x",
        "text": "write to me@example.org",
    }


@pytest.mark.parametrize(
    ("name", "lookalike"),
    [
        ("authorization", "authorization_url"),
        ("Authorization", "Authorization-Endpoint"),
        ("Proxy-Authorization", "proxy_url"),
        ("authorization_header", "header_name"),
        ("bearer", "bearer_format"),
        ("cookie", "cookie_name"),
        ("Set-Cookie", "cookie_domain"),
        ("session_cookie", "session_id"),
        ("access_key", "access_key_name"),
        ("signing_key", "signing_key_name"),
        ("key", "keyword"),
        ("key", "key_name"),
        ("key", "key_id"),
        ("key", "keys"),
        ("key", "monkey"),
        ("key", "hotkey"),
        ("key", "cache_key"),
        ("key", "primary_key"),
        ("key", "sort_key"),
        ("s3_access_key", "aws_access_key_id"),
        ("accessKey", "signing_key_id"),
    ],
)
def test_credential_carriers_and_a_bare_key_are_secret_but_not_their_lookalikes(
    name: str, lookalike: str
) -> None:
    assert is_secret_name(name)
    assert redact({name: "sk-LEAK"}) == {name: MASK}
    assert not is_secret_name(lookalike)


def test_headers_of_a_provider_config_are_masked() -> None:
    config = {"headers": {"Authorization": "Bearer sk-LEAK", "X-Trace": "on"}, "cookie": "s=sk-LEAK"}
    assert redact(config) == {"headers": {"Authorization": MASK, "X-Trace": "on"}, "cookie": MASK}
