"""Credentials in URLs (`http://user:pass@host`) are masked in errors too: CLI, HTTP and provider errors."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.config.secrets import URL_MASK
from stackctl.errors import UpstreamError
from stackctl.inference.client import RetryPolicy, client_for_provider


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
