"""`stackctl stack resolve` and the resolver behind `config validate`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RUN = """\
image_name: resolve-me
providers:
  safety:
  - provider_id: llama-guard
    provider_type: inline::llama-guard
    config: {}
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config:
      url: ${env.VLLM_URL:=http://127.0.0.1:8000/v1}
"""


def test_resolve_prints_the_order_as_json(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    result = cli("stack", "resolve", str(path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["image_name"] == "resolve-me"
    assert [(p["position"], p["api"], p["provider_id"]) for p in body["order"]] == [
        (1, "inference", "vllm"),
        (2, "safety", "llama-guard"),
    ]
    assert body["order"][1]["depends_on"] == ["inference:vllm"]


def test_resolve_table(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    result = cli("stack", "resolve", str(path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["#", "API", "PROVIDER", "ID", "TYPE", "DEPENDS", "ON"]
    assert lines[2].split() == ["2", "safety", "llama-guard", "inline::llama-guard", "inference:vllm"]


def test_validate_fails_on_a_missing_dependency(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN.split("  inference:", maxsplit=1)[0])
    result = cli("config", "validate", str(path), "-o", "json")
    assert result.exit_code == 3
    problems = json.loads(result.stdout)["problems"]
    assert [(p["code"], p["path"], p["message"]) for p in problems] == [
        (
            "unresolved",
            "providers.safety",
            "provider 'llama-guard' (inline::llama-guard) needs API 'inference', "
            "which no enabled provider serves",
        )
    ]
    assert problems[0]["line"] is not None


def test_resolve_errors_name_the_entries_in_the_file(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    entry = "  - provider_id: {}\n    provider_type: remote::openai\n    config: {{api_key: x}}\n"
    providers = "".join(entry.format(i) for i in ["${env.OLD:=__disabled__}", "openai", "openai"])
    path.write_text(f"image_name: dup\nproviders:\n  inference:\n{providers}")
    result = cli("stack", "resolve", str(path), "-o", "json")
    assert result.exit_code == 3
    assert json.loads(result.stderr)["error"]["details"] == [
        "providers.inference[2].provider_id: duplicate provider id 'openai' for API 'inference' "
        "(first at providers.inference[1])"
    ]
