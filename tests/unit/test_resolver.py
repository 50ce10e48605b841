"""The resolver core: every error it reports, the skipped entries, and a deterministic order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.stack import StackCatalogue
from stackctl.config.pipeline import render_config
from stackctl.config.resolver import resolve
from stackctl.errors import ConfigError

BUILTIN = StackCatalogue(load_catalogue())


def stack(providers: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"image_name": "t", "providers": providers}


def entry(provider_id: str | None, provider_type: str) -> dict[str, Any]:
    return {"provider_id": provider_id, "provider_type": provider_type, "config": {}}


def problems(doc: dict[str, Any], catalogue: StackCatalogue = BUILTIN) -> list[str]:
    with pytest.raises(ConfigError) as info:
        resolve(doc, catalogue, "run.yaml")
    assert info.value.exit_code == 3
    return info.value.details


def test_a_valid_stack_resolves_dependencies_first() -> None:
    doc = stack(
        {
            "safety": [entry("llama-guard", "inline::llama-guard")],
            "inference": [entry("vllm", "remote::vllm")],
        }
    )
    resolved = resolve(doc, BUILTIN)
    assert [p.key for p in resolved.order] == ["inference:vllm", "safety:llama-guard"]
    assert resolved.order[1].depends_on == ("inference:vllm",)
    assert resolved.image_name == "t"


def test_unknown_api_has_a_did_you_mean() -> None:
    lines = problems(stack({"inferenc": [entry("x", "remote::vllm")]}))
    assert lines == ["providers.inferenc: unknown API 'inferenc'; did you mean 'inference'?"]


def test_unknown_api_in_apis_is_an_error() -> None:
    doc = {**stack({}), "apis": ["inferenc", "models", "inspect"]}
    assert problems(doc) == ["apis[0]: unknown API 'inferenc'; did you mean 'inference'?"]


def test_unknown_api_without_providers_is_still_an_error() -> None:
    assert problems(stack({"inferenc": [], "zzz": []})) == [
        "providers.inferenc: unknown API 'inferenc'; did you mean 'inference'?",
        "providers.zzz: unknown API 'zzz'",
    ]


def test_unknown_api_names_are_collected_with_other_problems() -> None:
    doc = {**stack({"safety": [entry("g", "inline::llama-guard")]}), "apis": ["safety", "evall"]}
    lines = problems(doc)
    assert lines[0] == "apis[1]: unknown API 'evall'; did you mean 'eval'?"
    assert any("needs API 'inference'" in line for line in lines[1:])


def test_routing_table_and_builtin_apis_take_no_providers() -> None:
    lines = problems(stack({"models": [entry("x", "remote::vllm")], "inspect": [entry("y", "z")]}))
    assert (
        "providers.models: 'models' is a routing-table API (it routes inference); it takes no providers"
        in lines
    )
    assert "providers.inspect: 'inspect' is built into every stack; it takes no providers" in lines


def test_unknown_provider_type_names_the_api() -> None:
    lines = problems(stack({"inference": [entry("x", "remote::fireworkz")]}))
    assert len(lines) == 1
    assert "unknown provider type 'remote::fireworkz' for API 'inference'" in lines[0]
    assert "did you mean 'remote::fireworks'" in lines[0]
    assert lines[0].startswith("providers.inference[0].provider_type:")


def test_duplicate_provider_ids_in_one_api_are_an_error() -> None:
    lines = problems(stack({"inference": [entry("p", "remote::vllm"), entry("p", "remote::ollama")]}))
    assert lines == [
        "providers.inference[1].provider_id: duplicate provider id 'p' for API 'inference' "
        "(first at providers.inference[0])"
    ]


def test_the_same_id_under_two_apis_is_fine() -> None:
    doc = stack(
        {
            "inference": [entry("meta-reference", "remote::vllm")],
            "safety": [entry("meta-reference", "inline::llama-guard")],
        }
    )
    assert len(resolve(doc, BUILTIN).order) == 2


def test_disabled_providers_are_skipped_with_a_warning() -> None:
    doc = stack({"inference": [entry(None, "remote::ollama"), entry("vllm", "remote::vllm")]})
    resolved = resolve(doc, BUILTIN)
    assert [p.key for p in resolved.order] == ["inference:vllm"]
    assert resolved.warnings == [
        "providers.inference[0]: provider remote::ollama is disabled (provider_id is null); skipped"
    ]


def test_missing_dependency_names_provider_and_api() -> None:
    lines = problems(stack({"safety": [entry("llama-guard", "inline::llama-guard")]}))
    assert lines == [
        "providers.safety: provider 'llama-guard' (inline::llama-guard) needs API 'inference', "
        "which no enabled provider serves"
    ]


def test_a_disabled_provider_does_not_serve_a_dependency() -> None:
    doc = stack(
        {"inference": [entry(None, "remote::vllm")], "safety": [entry("llama-guard", "inline::llama-guard")]}
    )
    assert any("needs API 'inference'" in line for line in problems(doc))


def test_every_problem_is_reported_at_once() -> None:
    doc = stack(
        {
            "inferenc": [entry("x", "remote::vllm")],
            "safety": [entry("g", "inline::llama-guard"), entry("g", "inline::llama-guard")],
        }
    )
    lines = problems(doc)
    assert len(lines) == 3  # unknown API, duplicate id, missing inference


def _user_provider(directory: Path, api: str, name: str, needs: str) -> None:
    (directory / f"{name}.yaml").write_text(
        f"api: {api}\nprovider_type: remote::{name}\ndescription: {name}.\n"
        f"api_dependencies: [{needs}]\nconfig_fields: []\nsample_config: {{}}\n"
    )


def test_a_three_provider_cycle_is_reported_as_a_path(tmp_path: Path) -> None:
    _user_provider(tmp_path, "inference", "loop-a", "safety")
    _user_provider(tmp_path, "safety", "loop-b", "agents")
    _user_provider(tmp_path, "agents", "loop-c", "inference")
    catalogue = StackCatalogue(load_catalogue(tmp_path))
    doc = stack(
        {
            "agents": [entry("c", "remote::loop-c")],
            "inference": [entry("a", "remote::loop-a")],
            "safety": [entry("b", "remote::loop-b")],
        }
    )
    with pytest.raises(ConfigError) as info:
        resolve(doc, catalogue, "run.yaml")
    assert info.value.code == "dependency_cycle"
    assert info.value.exit_code == 3
    assert info.value.message == (
        "run.yaml: provider dependency cycle: agents:c -> inference:a -> safety:b -> agents:c"
    )


@pytest.mark.parametrize("needs", ["inference", "models"])  # its own API, or the routing table over it
@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_dependency_on_its_own_api_adds_no_edge(tmp_path: Path, needs: str, count: int) -> None:
    # As in llama-stack, where dependencies link APIs: an API never waits for itself, so providers of one
    # API never depend on each other, however many there are.
    _user_provider(tmp_path, "inference", "selfish", needs)
    catalogue = StackCatalogue(load_catalogue(tmp_path))
    ids = [f"p{n}" for n in range(count)]
    doc = stack(
        {
            "inference": [entry(i, "remote::selfish") for i in reversed(ids)],
            "safety": [entry("llama-guard", "inline::llama-guard")],
        }
    )
    resolved = resolve(doc, catalogue)
    assert [p.key for p in resolved.order] == [*(f"inference:{i}" for i in ids), "safety:llama-guard"]
    assert all(p.depends_on == () for p in resolved.providers_of("inference"))
    assert resolved.order[-1].depends_on == tuple(f"inference:{i}" for i in ids)


def test_order_is_deterministic_whatever_the_file_order() -> None:
    providers = {
        "safety": [entry("llama-guard", "inline::llama-guard")],
        "inference": [entry("vllm", "remote::vllm"), entry("ollama", "remote::ollama")],
    }
    reversed_doc = stack({api: list(reversed(items)) for api, items in reversed(list(providers.items()))})
    first = [p.key for p in resolve(stack(providers), BUILTIN).order]
    second = [p.key for p in resolve(reversed_doc, BUILTIN).order]
    assert first == second == ["inference:ollama", "inference:vllm", "safety:llama-guard"]


# --- paths in the file the user wrote -------------------------------------------------------------

AFTER_A_DISABLED_PROVIDER = """\
image_name: t
providers:
  inference:
  - provider_id: ${env.OLD:=__disabled__}
    provider_type: remote::openai
    config: {api_key: x}
  - provider_id: openai
    provider_type: remote::openai
    config: {api_key: x}
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config: {}
  - provider_id: openai
    provider_type: remote::openai
    config: {api_key: y}
"""


def test_errors_and_warnings_name_the_entries_in_the_file_after_a_disabled_one() -> None:
    rendered = render_config(AFTER_A_DISABLED_PROVIDER, "run.yaml", {}, schemas=BUILTIN)
    with pytest.raises(ConfigError) as info:
        resolve(rendered.document, BUILTIN, "run.yaml", rendered.origins)
    assert info.value.details == [
        "providers.inference[3].provider_id: duplicate provider id 'openai' for API 'inference' "
        "(first at providers.inference[1])"
    ]
    unique = AFTER_A_DISABLED_PROVIDER.rsplit("  - provider_id: openai", 1)[0]
    rendered = render_config(unique, "run.yaml", {}, schemas=BUILTIN)
    resolved = resolve(rendered.document, BUILTIN, "run.yaml", rendered.origins)
    assert resolved.warnings == [
        "providers.inference[2]: provider remote::ollama is disabled (provider_id is null); skipped"
    ]
