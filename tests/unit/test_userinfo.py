"""Credentials in URLs (`http://user:pass@host`) are masked in errors too: CLI, HTTP and provider errors."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.config import secrets
from stackctl.config.secrets import URL_MASK, mask_url_userinfo
from stackctl.errors import UpstreamError
from stackctl.inference.client import client_for_provider
from stackctl.inference.retries import RetryPolicy


def test_provider_errors_mask_the_url_password(fake_openai: Any) -> None:
    url = fake_openai.base_url.replace("http://", "http://admin:s3cret@")
    fake_openai.stop()
    with (
        client_for_provider("remote::vllm", {"url": url}, retry=RetryPolicy(attempts=1)) as client,
        pytest.raises(UpstreamError) as info,
    ):
        client.chat({"model": "m", "messages": [{"role": "user", "content": "x"}]})
    assert "s3cret" not in info.value.message
    assert f"http://admin:{URL_MASK}@127.0.0.1" in info.value.message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://user:hun/ter2LEAK@127.0.0.1:1/db", "postgresql://user:****@127.0.0.1:1/db"),
        ("postgresql://user:hunter2@LEAK@127.0.0.1:1/db", "postgresql://user:****@127.0.0.1:1/db"),
        ("http://u:p@ssLEAK@h", "http://u:****@h"),
        ("http://u:pa?ss/LEAK@h/x", "http://u:****@h/x"),
        ("http://u:pa#ss/LEAK@h/x", "http://u:****@h/x"),
        ("https://ghp_tokLEAK0123456789@github.com/o/r", "https://****@github.com/o/r"),
        ("https://glpat-LEAK@gitlab.com", "https://****@gitlab.com"),
        ("https://sk-LEAK@api.example", "https://****@api.example"),
        ("https://abcdefLEAK0123456789abcdef@git.example", "https://****@git.example"),
        ("https://ghp_LEAK:x-oauth-basic@github.com", "https://****:****@github.com"),
        (
            "http://u:${env.PROXY_PW:=hunter2LEAK}@127.0.0.1/v1",
            "http://u:${env.PROXY_PW:=****}@127.0.0.1/v1",
        ),
        ("http://u:${env.PW:+LEAKalt}@h", "http://u:${env.PW:+****}@h"),
        ("http://u:LEAK${env.PW}@h", "http://u:****${env.PW}@h"),
        ("https://${env.GH_TOKEN:=ghp_LEAK0123}@github.com", "https://${env.GH_TOKEN:=****}@github.com"),
    ],
)
def test_every_form_of_a_url_secret_is_masked(text: str, shown: str) -> None:
    assert mask_url_userinfo(text) == shown
    assert "LEAK" not in mask_url_userinfo(text)
    assert mask_url_userinfo(shown) == shown  # masked once is masked


@pytest.mark.parametrize(
    "text",
    [
        "http://host/path@x",
        "https://medium.com/@someone",
        "http://host:8080/a@b",
        "http://[::1]:8080/a@b",
        "http://${env.HOST}:${env.PORT}/p@x",
        "postgresql://postgres@db/x",
        "ssh://git@github.com/o/r",
        "https://bob@host/x",
        "postgresql://app:${env.PGPASSWORD}@db/prod",
        "http://${env.USER:=bob}:${env.PW}@h",
        "http://u:${env.PW:?set PW to the proxy's password}@h",
        "http://u:@h",
        "write to me@example.org",
    ],
)
def test_user_names_references_and_paths_are_kept(text: str) -> None:
    assert mask_url_userinfo(text) == text
    assert not secrets.has_literal_url_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "http://u:hunter2@h",
        "postgresql://user:hun/ter2@127.0.0.1:1/db",
        "http://u:p@ss@h",
        "https://ghp_tok0123456789@github.com",
        "https://x-access-token:ghp_abc@github.com",
    ],
)
def test_a_literal_url_secret_is_what_register_refuses(text: str) -> None:
    assert secrets.has_literal_url_secret(text)
    assert not secrets.has_literal_url_secret(mask_url_userinfo(text))
    assert not secrets.has_literal_url_secret("http://u:${env.PW:=hunter2}@h")  # a reference, default and all
