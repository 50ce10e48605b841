"""The adhoc builder: providers from sample configs, ids, overrides, dependencies, env notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.catalogue.stack import catalogue_for
from stackctl.distros.adhoc import build_adhoc, derive_image_name, write_atomically
from stackctl.errors import ConfigError, ConflictError, InvalidInputError, UsageError

ROOT = Path("/data/stackctl")


def build(*specs: str, name: str | None = None):  # type: ignore[no-untyped-def]
    return build_adhoc(list(specs), catalogue_for({}), ROOT, name=name)


def test_lookup_order_and_sample_config() -> None:
    stack = build("inference=fireworks,vector_io=faiss")
    assert stack.image_name == "adhoc-fireworks-faiss"
    (fireworks,) = stack.document["providers"]["inference"]
    assert fireworks["provider_type"] == "remote::fireworks"
    assert fireworks["config"]["api_key"] == "${env.FIREWORKS_API_KEY:=}"
    (faiss,) = stack.document["providers"]["vector_io"]
    assert faiss["config"]["persistence"] == {"namespace": "vector_io::faiss", "backend": "kv_default"}
    backends = stack.document["storage"]["backends"]
    assert backends["kv_default"]["db_path"] == (
        "${env.SQLITE_STORE_DIR:=/data/stackctl/adhoc/adhoc-fireworks-faiss}/kvstore.db"
    )


def test_derived_name_is_not_a_constant() -> None:
    assert build("inference=ollama").image_name != build("inference=openai").image_name
    assert build("inference=ollama", name="mine").image_name == "mine"


def test_several_providers_per_api_get_distinct_ids() -> None:
    stack = build("inference=ollama,inference=openai,inference=ollama")
    ids = [p["provider_id"] for p in stack.document["providers"]["inference"]]
    assert ids == ["ollama", "openai", "ollama-2"]


def test_overrides_are_coerced_by_field_type() -> None:
    stack = build(
        "tool_runtime=brave-search?max_results=7", "inference=vllm?tls_verify=false&url=http://v:8000"
    )
    assert stack.document["providers"]["tool_runtime"][0]["config"]["max_results"] == 7
    vllm = stack.document["providers"]["inference"][0]["config"]
    assert vllm["tls_verify"] is False
    assert vllm["url"] == "http://v:8000"


def test_unknown_override_key_suggests() -> None:
    with pytest.raises(ConfigError) as info:
        build("inference=ollama?urll=x")
    assert info.value.exit_code == 3
    assert "url" in (info.value.hint or "")


def test_literal_secret_is_refused_but_reference_kept() -> None:
    with pytest.raises(InvalidInputError):
        build("inference=openai?api_key=sk-123")
    stack = build("inference=openai?api_key=${env.MY_KEY}")
    assert stack.document["providers"]["inference"][0]["config"]["api_key"] == "${env.MY_KEY}"
    assert stack.required_env == ["MY_KEY"]


def test_env_notes_required_first() -> None:
    stack = build("inference=tgi,inference=ollama")
    assert stack.required_env == ["TGI_URL"]
    assert "OLLAMA_URL" in stack.optional_env and "SQLITE_STORE_DIR" in stack.optional_env


def test_missing_dependency_names_provider_and_api() -> None:
    with pytest.raises(ConfigError) as info:
        build("safety=llama-guard")
    assert "llama-guard" in " ".join(info.value.details)
    assert "'inference'" in " ".join(info.value.details)


def test_unknown_api_and_provider() -> None:
    with pytest.raises(ConfigError):
        build("inferenc=ollama")
    with pytest.raises(ConfigError) as info:
        build("inference=olama")
    assert "remote::ollama" in (info.value.hint or "")
    with pytest.raises(UsageError):
        build("inference")


def test_bad_name_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        build("inference=ollama", name="../x")


def test_derive_image_name_flattens_nested_types() -> None:
    spec = catalogue_for({}).catalogue.get("inference", "remote::hf::endpoint")
    assert derive_image_name([spec]) == "adhoc-hf-endpoint"


def test_write_atomically(tmp_path: Path) -> None:
    target = tmp_path / "run.yaml"
    write_atomically(target, "a: 1\n")
    with pytest.raises(ConflictError):
        write_atomically(target, "a: 2\n")
    write_atomically(target, "a: 3\n", force=True)
    assert target.read_text() == "a: 3\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.yaml"]


def test_write_atomically_needs_an_existing_directory_and_a_file_target(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as missing:
        write_atomically(tmp_path / "nowhere" / "run.yaml", "a: 1\n")
    assert missing.value.exit_code == 3
    for force in (False, True):
        with pytest.raises(InvalidInputError) as directory:
            write_atomically(tmp_path, "a: 1\n", force=force)
        assert directory.value.code == "is_a_directory"
    assert list(tmp_path.iterdir()) == []


def test_malformed_override_reference_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigError) as info:
        build("inference=ollama?url=${env.foo}")
    assert info.value.exit_code == 3
    assert info.value.code == "invalid_reference"
    assert "url=${env.foo}" in info.value.message
    assert "${env.FOO}" in (info.value.hint or "")


@pytest.mark.parametrize(
    "override",
    [
        "refresh_models=maybe",
        "refresh_models=${env.R:=maybe}",  # the default is used when R is unset
        "refresh_models=${env.R:+maybe}",  # the alternative is used when R is set
        "url=${env.U:=${env.V:=x}}&refresh_models=${env.U:+${env.V:+maybe}}",
    ],
)
def test_override_that_breaks_the_provider_schema_is_refused(override: str) -> None:
    with pytest.raises(ConfigError) as info:
        build(f"inference=ollama?{override}")
    assert info.value.exit_code == 3
    assert "refresh_models=" in info.value.message
    assert any(line.startswith("providers.inference[0].config.refresh_models") for line in info.value.details)


def test_typed_overrides_that_fit_the_schema_are_kept() -> None:
    stack = build("inference=ollama?refresh_models=${env.R:=true}", "inference=vllm?max_tokens=${env.MAX}")
    ollama, vllm = stack.document["providers"]["inference"]
    assert ollama["config"]["refresh_models"] == "${env.R:=true}"
    assert vllm["config"]["max_tokens"] == "${env.MAX}"
    assert "MAX" in stack.required_env


@pytest.mark.parametrize(
    "value",
    ["sk-123${env.X:+}", "${env.K:=sk-live-abc}", "${env.K:+sk-live-abc}", "$${env.K}", "sk-${env.K}"],
)
def test_secret_override_with_literal_text_is_refused(value: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        build(f"inference=openai?api_key={value}")
    assert info.value.exit_code == 3
    assert info.value.code == "literal_secret"
    assert "${env." in (info.value.hint or "")


@pytest.mark.parametrize(
    "value",
    ["${env.MY_KEY}", "${env.MY_KEY:=}", "${env.MY_KEY:=${env.OTHER_KEY}}", "${env.MY_KEY:?set MY_KEY}"],
)
def test_secret_override_of_references_only_is_kept(value: str) -> None:
    stack = build(f"inference=openai?api_key={value}")
    assert stack.document["providers"]["inference"][0]["config"]["api_key"] == value


def test_an_override_error_names_its_entry_in_the_whole_config() -> None:
    with pytest.raises(ConfigError) as info:
        build("inference=ollama,inference=vllm?max_tokens=${env.MAX:=many}")
    assert info.value.exit_code == 3
    assert any(line.startswith("providers.inference[1].config.max_tokens") for line in info.value.details)
    assert "max_tokens=${env.MAX:=many}" in info.value.message
