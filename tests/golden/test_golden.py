"""Rendered run configs compared byte for byte with tests/golden/expected/ (rewrite: --update-golden)."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
INPUTS = sorted((HERE / "inputs").glob("*.yaml"))

# The fixed environment every golden file is rendered with; nothing else leaks in.
ENV = {
    "HOME": "/home/golden",
    "OPENAI_API_KEY": "sk-golden",
    "FIREWORKS_API_KEY": "fw-golden",
    "SQLITE_STORE_DIR": "~/stores",
    "SAFETY_MODEL": "meta-llama/Llama-Guard-3-1B",
    "BUILD_NUMBER": "20240501",
    "NUMERIC_KEY": "12345",
    "PORT": "9000",
    "ACCOUNT_ID": "0042",
    "HOST": "stack.internal",
    "INFERENCE_MODEL": "meta-llama/Llama-3.2-3B-Instruct",
    "POSTGRES_PASSWORD": "pg-golden",
}


def test_there_are_golden_inputs() -> None:
    assert len(INPUTS) >= 3


@pytest.mark.parametrize("source", INPUTS, ids=[p.stem for p in INPUTS])
def test_golden(cli, monkeypatch: pytest.MonkeyPatch, source: Path, update_golden: bool) -> None:
    for name in ENV.keys() | {
        "OLLAMA_URL",
        "ENABLE_VLLM",
        "VLLM_URL",
        "STACK_NAME",
        "AUTH_PROVIDER",
        "DISTRO",
    }:
        monkeypatch.delenv(name, raising=False)
    result = cli("config", "render", str(source), "--show-secrets", env=ENV)
    assert result.exit_code == 0, result.stderr
    # An older-layout file renders unchanged; its older field names are only warned about.
    assert all("older layout's name" in line for line in result.stderr.splitlines()), result.stderr
    expected = HERE / "expected" / source.name
    if update_golden:
        expected.write_text(result.stdout)
        pytest.skip(f"rewrote {expected.relative_to(HERE)}")
    assert expected.exists(), f"no golden file for {source.name}; run pytest --update-golden"
    assert result.stdout == expected.read_text()
