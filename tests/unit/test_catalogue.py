from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.lookup import Catalogue
from stackctl.catalogue.spec import ProviderSpec
from stackctl.config.secrets import is_secret_name as is_secret
from stackctl.errors import ConfigError

PROVIDABLE = [
    "inference", "safety", "agents", "batches", "vector_io", "datasetio", "scoring", "eval",
    "post_training", "tool_runtime", "telemetry", "files",
]  # fmt: skip
ROUTING = {
    "models": "inference",
    "shields": "safety",
    "vector_stores": "vector_io",
    "vector_dbs": "vector_io",  # the older layout's name
    "datasets": "datasetio",
    "scoring_functions": "scoring",
    "benchmarks": "eval",
    "tool_groups": "tool_runtime",
}
BUILTIN = ["inspect", "providers", "prompts", "conversations"]

WELL_FORMED = re.compile(r"\$\{env\.[A-Z0-9_]+(:[=+?][^}]*)?\}")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


_REF = re.compile(r"\$\{env\.([A-Z0-9_]+)(?::([=+])([^}]*))?\}")


def _render_with_defaults(value: Any) -> Any:
    """What a sample renders to with no variable set; `${env.X}` (required) gets a placeholder string."""
    if isinstance(value, dict):
        return {k: _render_with_defaults(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_with_defaults(v) for v in value]
    if not isinstance(value, str) or "${env." not in value:
        return value

    def one(match: re.Match[str]) -> str:
        op, text = match.group(2), match.group(3)
        if op is None:
            return f"set-{match.group(1).lower()}"
        return text if op == "=" else ""

    rendered = _REF.sub(one, value)
    return None if rendered == "" else rendered


def _coerce(spec: ProviderSpec, config: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    converters = {"int": int, "float": float, "bool": lambda s: s.lower() == "true"}
    out = dict(config)
    for key, value in config.items():
        kind = catalogue.field_kind(spec.provider_type, (key,), api=spec.api)
        if isinstance(value, str) and kind in converters and isinstance(spec.sample.get(key), str):
            out[key] = converters[kind](value)
    return out


# --- APIs -------------------------------------------------------------------------------------------------


def test_every_api_present_with_its_kind(catalogue: Catalogue) -> None:
    kinds = {info.name: info.kind for info in catalogue.apis}
    assert kinds == {
        **dict.fromkeys(PROVIDABLE, "providable"),
        **dict.fromkeys(ROUTING, "routing_table"),
        **dict.fromkeys(BUILTIN, "builtin"),
    }
    for info in catalogue.apis:
        assert info.description and "\n" not in info.description
        assert info.routes == ROUTING.get(info.name)


def test_unknown_api_has_did_you_mean(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError) as err:
        catalogue.providers_for("inferenc")
    assert err.value.exit_code == 3
    assert err.value.hint == "did you mean 'inference'?"


@pytest.mark.parametrize("api", ["models", "inspect"])
def test_non_providable_api_has_no_providers(catalogue: Catalogue, api: str) -> None:
    with pytest.raises(ConfigError, match="no providers"):
        catalogue.providers_for(api)


# --- providers --------------------------------------------------------------------------------------------


def test_about_sixty_five_providers_covering_every_providable_api(catalogue: Catalogue) -> None:
    assert 60 <= len(catalogue.providers) <= 75
    assert {spec.api for spec in catalogue.providers} == set(PROVIDABLE)
    keys = [spec.key for spec in catalogue.providers]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("api", "provider_type"),
    [
        ("inference", "remote::fireworks"),
        ("inference", "remote::openai"),
        ("inference", "remote::ollama"),
        ("inference", "remote::vllm"),
        ("inference", "remote::together"),
        ("inference", "remote::hf::serverless"),
        ("inference", "inline::sentence-transformers"),
        ("safety", "inline::llama-guard"),
        ("agents", "inline::meta-reference"),
        ("vector_io", "inline::faiss"),
        ("vector_io", "inline::sqlite-vec"),
        ("datasetio", "inline::localfs"),
        ("files", "inline::localfs"),
        ("tool_runtime", "remote::model-context-protocol"),
        ("batches", "inline::reference"),
    ],
)
def test_known_providers_exist(catalogue: Catalogue, api: str, provider_type: str) -> None:
    spec = catalogue.get(api, provider_type)
    assert (spec.api, spec.provider_type) == (api, provider_type)


def test_same_type_under_several_apis_is_keyed_by_api(catalogue: Catalogue) -> None:
    assert catalogue.apis_of("remote::nvidia") == [
        "inference",
        "safety",
        "datasetio",
        "eval",
        "post_training",
    ]
    assert catalogue.get("safety", "remote::nvidia").get_field("config_id") is not None
    assert catalogue.get("inference", "remote::nvidia").get_field("config_id") is None


def test_real_dependencies(catalogue: Catalogue) -> None:
    deps = {
        ("agents", "inline::meta-reference"): {
            "inference", "safety", "vector_io", "tool_runtime", "tool_groups", "conversations",
        },
        ("eval", "inline::meta-reference"): {"datasetio", "datasets", "scoring", "inference", "agents"},
        ("scoring", "inline::llm-as-judge"): {"datasetio", "datasets", "inference"},
        ("tool_runtime", "inline::rag-runtime"): {"vector_io", "inference", "files"},
        ("batches", "inline::reference"): {"inference", "files", "models"},
        ("safety", "inline::llama-guard"): {"inference"},
        ("inference", "remote::fireworks"): set(),
    }  # fmt: skip
    for (api, provider_type), expected in deps.items():
        assert set(catalogue.get(api, provider_type).api_dependencies) == expected, provider_type


def test_dependencies_name_known_apis(catalogue: Catalogue) -> None:
    names = {info.name for info in catalogue.apis}
    for spec in catalogue.providers:
        assert set(spec.api_dependencies) <= names, spec.key
        assert set(spec.optional_api_dependencies) <= names, spec.key
        assert spec.api not in spec.api_dependencies


def test_every_provider_is_described(catalogue: Catalogue) -> None:
    for spec in catalogue.providers:
        assert spec.description and "\n" not in spec.description, spec.key
        assert re.fullmatch(r"(inline|remote)::[a-z0-9_-]+(::[a-z0-9-]+)?", spec.provider_type)
        for config_field in spec.fields:
            assert set(config_field.kinds) <= {"str", "int", "float", "bool", "list", "dict", "any"}
            assert config_field.description, (spec.key, config_field.name)
            assert not (config_field.required and config_field.default is not None)


# --- lookups ----------------------------------------------------------------------------------------------


def test_resolve_name_exact_then_inline_then_remote(catalogue: Catalogue) -> None:
    assert catalogue.resolve_name("inference", "remote::ollama").provider_type == "remote::ollama"
    assert catalogue.resolve_name("inference", "ollama").provider_type == "remote::ollama"
    assert catalogue.resolve_name("safety", "llama-guard").provider_type == "inline::llama-guard"
    assert catalogue.resolve_name("vector_io", "faiss").provider_type == "inline::faiss"
    # chromadb exists inline and remote: the inline one wins, the remote one needs its prefix.
    assert catalogue.resolve_name("vector_io", "chromadb").provider_type == "inline::chromadb"
    assert catalogue.resolve_name("vector_io", "remote::chromadb").provider_type == "remote::chromadb"


def test_resolve_name_prefers_exact_over_prefixed() -> None:
    exact = ProviderSpec(api="inference", provider_type="acme", description="exact")
    inline = ProviderSpec(api="inference", provider_type="inline::acme", description="inline")
    remote = ProviderSpec(api="inference", provider_type="remote::acme", description="remote")
    apis = load_catalogue().apis
    assert Catalogue(apis, [remote, inline, exact]).resolve_name("inference", "acme").description == "exact"
    assert Catalogue(apis, [remote, inline]).resolve_name("inference", "acme").description == "inline"
    assert Catalogue(apis, [remote]).resolve_name("inference", "acme").description == "remote"


def test_unknown_provider_did_you_mean(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError) as err:
        catalogue.resolve_name("inference", "fireworkz")
    assert "unknown provider type 'fireworkz' for API 'inference'" in err.value.message
    assert err.value.hint == "did you mean 'remote::fireworks'?"
    with pytest.raises(ConfigError) as err:
        catalogue.get("inference", "remote::olama")
    assert "remote::ollama" in (err.value.hint or "")


def test_provider_of_another_api_is_unknown(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError, match="for API 'safety'"):
        catalogue.resolve_name("safety", "fireworks")


def test_lookup_without_api(catalogue: Catalogue) -> None:
    assert catalogue.lookup("fireworks").key == ("inference", "remote::fireworks")
    with pytest.raises(ConfigError) as err:
        catalogue.lookup("meta-reference")
    assert err.value.code == "ambiguous_provider"
    assert "inference, agents, vector_io, eval, telemetry" in err.value.message
    assert catalogue.lookup("meta-reference", "eval").key == ("eval", "inline::meta-reference")


# --- samples ----------------------------------------------------------------------------------------------


def test_sample_fills_data_dir_and_returns_a_copy(catalogue: Catalogue, tmp_path: Path) -> None:
    sample = catalogue.sample_config("vector_io", "inline::faiss", tmp_path)
    assert sample == {"persistence": {"namespace": "vector_io::faiss", "backend": "kv_default"}}
    sqlite_vec = catalogue.sample_config("vector_io", "inline::sqlite-vec", tmp_path)
    assert sqlite_vec["db_path"] == f"${{env.SQLITE_STORE_DIR:={tmp_path}}}/sqlite_vec.db"
    sample["persistence"]["backend"] = "changed"
    assert "changed" not in str(catalogue.sample_config("vector_io", "inline::faiss", tmp_path))


def test_fireworks_sample(catalogue: Catalogue, tmp_path: Path) -> None:
    assert catalogue.sample_config("inference", "remote::fireworks", tmp_path) == {
        "url": "https://api.fireworks.ai/inference/v1",
        "api_key": "${env.FIREWORKS_API_KEY:=}",
    }
    assert catalogue.env_vars("inference", "remote::fireworks") == ["FIREWORKS_API_KEY"]


def test_no_sample_mentions_the_placeholder_after_filling(catalogue: Catalogue, tmp_path: Path) -> None:
    for spec in catalogue.providers:
        text = " ".join(_strings(spec.sample_config(tmp_path)))
        assert "{data_dir}" not in text, spec.key
        assert "~/.llama" not in text, spec.key


def test_every_reference_in_every_sample_is_well_formed(catalogue: Catalogue, tmp_path: Path) -> None:
    for spec in catalogue.providers:
        for text in _strings(spec.sample_config(tmp_path)):
            for start in [m.start() for m in re.finditer(r"\$\{env\.", text)]:
                assert WELL_FORMED.match(text, start), (spec.key, text)


def test_env_vars_lists_every_referenced_name_once(catalogue: Catalogue) -> None:
    for spec in catalogue.providers:
        names = re.findall(r"\$\{env\.([A-Z0-9_]+)", " ".join(_strings(spec.sample)))
        assert spec.env_vars() == list(dict.fromkeys(names)), spec.key
    assert catalogue.env_vars("vector_io", "remote::pgvector") == [
        "PGVECTOR_HOST", "PGVECTOR_PORT", "PGVECTOR_DB", "PGVECTOR_USER", "PGVECTOR_PASSWORD",
    ]  # fmt: skip
    # Bedrock's OpenAI-compatible endpoint takes a bearer token, under the name AWS's own tools read.
    assert catalogue.env_vars("inference", "remote::bedrock") == [
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_DEFAULT_REGION",
    ]


def test_every_sample_validates_against_its_own_schema(catalogue: Catalogue, tmp_path: Path) -> None:
    checked = 0
    for spec in catalogue.providers:
        rendered = _coerce(spec, _render_with_defaults(spec.sample_config(tmp_path)), catalogue)
        problems = catalogue.validate_config(spec.provider_type, rendered, api=spec.api)
        assert problems == [], (spec.key, rendered, problems)
        checked += 1
    assert checked == len(catalogue.providers)


def test_sample_keys_are_declared_fields(catalogue: Catalogue) -> None:
    for spec in catalogue.providers:
        assert set(spec.sample) <= {f.name for f in spec.fields}, spec.key


# --- validation -------------------------------------------------------------------------------------------


def test_validate_reports_every_violation_with_its_path(catalogue: Catalogue) -> None:
    problems = catalogue.validate_config(
        "remote::fireworks",
        {"url": 5, "apikey": "x", "allowed_models": ["a", 7], "refresh_models": "maybe"},
        api="inference",
    )
    by_path = dict(problems)
    assert set(by_path) == {("url",), ("apikey",), ("allowed_models", 1), ("refresh_models",)}
    assert by_path[("apikey",)] == "unknown field 'apikey'; did you mean 'api_key'?"
    assert "string" in by_path[("url",)]


def test_validate_required_and_shapes(catalogue: Catalogue) -> None:
    assert catalogue.validate_config("remote::tgi", {}) == [(("url",), "required field is missing")]
    assert catalogue.validate_config("remote::tgi", None) == [(("url",), "required field is missing")]
    assert catalogue.validate_config("remote::tgi", ["x"]) == [((), "config must be a mapping, not list")]
    assert catalogue.validate_config("inline::code-scanner", {"x": 1}) == [
        (("x",), "unknown field 'x' (inline::code-scanner takes no config fields)")
    ]
    assert catalogue.validate_config("remote::ollama", {"url": "http://h:1"}) == []


def test_validate_api_key_must_stay_a_string(catalogue: Catalogue) -> None:
    assert catalogue.validate_config("remote::openai", {"api_key": 12345})[0][0] == ("api_key",)
    assert catalogue.validate_config("remote::openai", {"api_key": "12345"}) == []


def test_validate_ambiguous_type_needs_api(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError, match="several APIs"):
        catalogue.validate_config("remote::nvidia", {})
    assert catalogue.validate_config("remote::nvidia", {"config_id": "x"}, api="safety") == []


def test_list_of_strings_accepts_comma_string(catalogue: Catalogue) -> None:
    assert (
        catalogue.validate_config("inline::meta-reference", {"sinks": "console,otel_trace"}, api="telemetry")
        == []
    )
    model = catalogue.config_model("inline::meta-reference", api="telemetry")
    assert model.model_validate({"sinks": "console, sqlite"}).model_dump(by_alias=True)["sinks"] == [
        "console",
        "sqlite",
    ]


def test_config_model_is_cached(catalogue: Catalogue) -> None:
    first = catalogue.config_model("remote::ollama", api="inference")
    assert catalogue.config_model("remote::ollama", api="inference") is first
    assert load_catalogue().config_model("remote::ollama", api="inference") is first


# --- field kinds and secrets ------------------------------------------------------------------------------


def test_field_kind(catalogue: Catalogue) -> None:
    assert catalogue.field_kind("remote::openai", ("api_key",)) == "str"
    assert catalogue.field_kind("remote::vllm", ("max_tokens",)) == "int"
    assert catalogue.field_kind("remote::vllm", ("tls_verify",)) == "bool|str"  # a union, as in 0.3.x
    assert catalogue.field_kind("remote::nvidia", ("append_api_version",), api="inference") == "bool"
    assert catalogue.field_kind("inline::huggingface-cpu", ("warmup_ratio",)) == "float"
    assert catalogue.field_kind("remote::fireworks", ("allowed_models",)) == "list"
    assert catalogue.field_kind("remote::fireworks", ("allowed_models", 0)) == "str"
    assert catalogue.field_kind("inline::faiss", ("kvstore",)) == "dict"  # the older layout's name
    assert catalogue.field_kind("inline::faiss", ("persistence",)) == "dict"
    assert catalogue.field_kind("inline::faiss", ("kvstore", "db_path")) is None
    assert catalogue.field_kind("remote::fireworks", ("nope",)) is None
    assert catalogue.field_kind("remote::fireworks", ()) is None
    assert catalogue.field_kind("remote::nope", ("url",)) is None
    # Without an API, the APIs that declare the field decide; with one, only that API does.
    assert catalogue.field_kind("remote::nvidia", ("api_key",)) == "str"
    assert catalogue.field_kind("remote::nvidia", ("api_key",), api="safety") is None


@pytest.mark.parametrize(
    "name",
    ["api_key", "openai_api_key", "api_token", "token", "password", "aws_secret_access_key",
     "auth_credential", "private_key", "apiKey", "client_secrets", "PGVECTOR_PASSWORD", "dbpassword",
     "apitoken", "secretkey", "authtoken", "db_password1", "mypassword", "auth_tokens", "privateKey",
     "token_string", "tokenSignature", "token_salt", "token_store", "signing_token_s3", "tokenstring"],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize(
    "name",
    ["url", "max_tokens", "tokenizer", "keystore", "model", "cache_key", "max_new_tokens",
     "tokens_per_minute", "tokenise", "num_tokens", "MAX_TOKENS", "maxTokens", "tokensPerMinute"],
)  # fmt: skip
def test_not_secret_names(name: str) -> None:
    assert not is_secret(name)


def test_secret_fields_schema_marked_or_named(catalogue: Catalogue) -> None:
    bedrock = catalogue.get("safety", "remote::bedrock")
    assert "aws_access_key_id" in bedrock.secret_fields  # schema-marked; the name alone is not secret
    assert not is_secret("aws_access_key_id")
    vllm = catalogue.get("inference", "remote::vllm")
    assert vllm.secret_fields == ("api_token",)
    for spec in catalogue.providers:
        for config_field in spec.fields:
            if is_secret(config_field.name):
                assert config_field.is_secret


# --- user-defined providers -------------------------------------------------------------------------------

ACME = """\
api: inference
provider_type: remote::acme
description: Acme's hosted models.
api_dependencies: []
config_fields:
  - {name: url, type: str, default: "https://api.acme.example/v1", description: Base URL.}
  - {name: api_key, type: str, description: Key.}
  - {name: session, type: str, secret: true, description: Session cookie.}
  - {name: retries, type: int, default: 2, description: Retries.}
  - {name: regions, type: "list[str]", description: Regions.}
sample_config:
  url: ${env.ACME_URL:=https://api.acme.example/v1}
  api_key: ${env.ACME_API_KEY:=}
  retries: 3
  cache: "{data_dir}/acme"
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_user_defined_provider_loads(tmp_path: Path) -> None:
    _write(tmp_path, "acme.yaml", ACME.replace('  cache: "{data_dir}/acme"\n', ""))
    catalogue = load_catalogue(tmp_path)
    spec = catalogue.resolve_name("inference", "acme")
    assert spec.source == str(tmp_path / "acme.yaml")
    assert spec.description == "Acme's hosted models."
    assert spec.secret_fields == ("api_key", "session")
    assert catalogue.field_kind("remote::acme", ("retries",)) == "int"
    assert catalogue.field_kind("remote::acme", ("regions", 0)) == "str"
    assert catalogue.env_vars("inference", "remote::acme") == ["ACME_URL", "ACME_API_KEY"]
    assert catalogue.validate_config("remote::acme", {"retries": "x"}, api="inference")[0][0] == ("retries",)
    problems = catalogue.validate_config("remote::acme", {"url": "u", "retrys": 1})
    assert problems == [(("retrys",), "unknown field 'retrys'; did you mean 'retries'?")]
    # built-ins are still there, and the plain built-in catalogue does not see the user's type
    assert catalogue.resolve_name("inference", "fireworks").provider_type == "remote::fireworks"
    assert len(catalogue.providers) == len(load_catalogue().providers) + 1
    with pytest.raises(ConfigError):
        load_catalogue().resolve_name("inference", "acme")


def test_user_sample_placeholder_is_filled(tmp_path: Path) -> None:
    text = ACME.replace('  cache: "{data_dir}/acme"\n', "").replace(
        "retries: 3", "retries: 3\n  session: '{data_dir}'"
    )
    _write(tmp_path, "acme.yml", text)
    sample = load_catalogue(tmp_path).sample_config("inference", "remote::acme", Path("/data"))
    assert sample["session"] == "/data"


def test_empty_providers_dir_adds_nothing(tmp_path: Path) -> None:
    _write(tmp_path, "notes.txt", "not yaml at all: [")
    assert len(load_catalogue(tmp_path).providers) == len(load_catalogue().providers)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("api: [unclosed\n", "invalid YAML"),
        ("- a list\n", "must be a mapping"),
        (ACME.replace("api: inference", "api: inferenc"), "unknown API 'inferenc'"),
        (ACME.replace("api: inference", "api: models"), "routing table"),
        (ACME.replace("remote::acme", "acme"), "provider_type"),
        (ACME.replace("remote::acme", "remote::fireworks"), "is built in"),
        (ACME.replace("type: int", "type: integer"), "unknown type 'integer'"),
        (ACME.replace("default: 2", "default: two"), "default of config field 'retries'"),
        (ACME.replace("api_dependencies: []", "api_dependencies: [infrence]"), "unknown API 'infrence'"),
        (ACME.replace("description: Acme's", "descripton: Acme's"), "descripton"),
        (ACME, "sample_config key 'cache'"),
        (ACME.replace("ACME_API_KEY:=", "acme_api_key:=").replace('  cache: "{data_dir}/acme"\n', ""),
         "sample_config.api_key: malformed reference"),
        (ACME.replace("ACME_API_KEY:=", "ACME_API_KEY:").replace('  cache: "{data_dir}/acme"\n', ""),
         "sample_config.api_key: malformed reference"),
        (ACME.replace("{name: session,", "{name: url,").replace('  cache: "{data_dir}/acme"\n', ""),
         "config field 'url' is declared twice"),
    ],
)  # fmt: skip
def test_broken_user_file_is_a_config_error_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, "broken.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_catalogue(tmp_path)
    full = " ".join([err.value.message, *err.value.details])
    assert str(path) in err.value.message
    assert problem in full
    assert err.value.exit_code == 3


def test_two_files_defining_one_type(tmp_path: Path) -> None:
    text = ACME.replace('  cache: "{data_dir}/acme"\n', "")
    _write(tmp_path, "a.yaml", text)
    _write(tmp_path, "b.yaml", text)
    with pytest.raises(ConfigError, match=r"b\.yaml.*already defined in .*a\.yaml"):
        load_catalogue(tmp_path)


def test_missing_providers_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalogue(tmp_path / "nope")
