"""Both layouts first-class: render keeps the one it read, upgrade converts, the 0.3.x blocks are checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stackctl.catalogue.stack import catalogue_for
from stackctl.config.blocks import block_problems
from stackctl.config.pipeline import render_config
from stackctl.config.upgrade import upgrade
from stackctl.config.yamlio import dump_yaml, load_yaml
from stackctl.distros.adhoc import build_adhoc
from stackctl.distros.templates import read_template, template_names
from stackctl.errors import ConfigError, InvalidInputError

HERE = Path(__file__).resolve().parent
LAYOUT03 = (HERE.parent / "fixtures" / "layout03.yaml").read_text()
OLDER = (HERE.parent / "golden" / "inputs" / "starter.yaml").read_text()
SCHEMAS = catalogue_for({})
HOME = "/home/user"
PLAUSIBLE = {
    "FIREWORKS_API_KEY": "fw", "TOGETHER_API_KEY": "tg", "OPENAI_API_KEY": "sk", "NVIDIA_API_KEY": "nv",
    "VLLM_URL": "http://vllm:8000/v1", "INFERENCE_MODEL": "m", "WATSONX_API_KEY": "wx",
    "WATSONX_PROJECT_ID": "p", "POSTGRES_PASSWORD": "pw", "SAFETY_MODEL": "guard",
    # what the golden inputs need
    "BUILD_NUMBER": "20240501", "NUMERIC_KEY": "12345", "PORT": "9000", "ACCOUNT_ID": "0042", "HOST": "h",
}  # fmt: skip


def render(text: str, env: dict[str, str] | None = None) -> Any:
    return render_config(text, "run.yaml", env or {}, home=HOME, schemas=SCHEMAS)


def _keys(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every mapping key's path, in document order: the layout of a document."""
    if isinstance(doc, dict):
        return [p for key, value in doc.items() for p in [(*path, key), *_keys(value, (*path, key))]]
    if isinstance(doc, list):
        return [p for index, value in enumerate(doc) for p in _keys(value, (*path, index))]
    return []


# --- render keeps the layout it read ------------------------------------------------------------------------


def test_render_of_a_0_3_layout_moves_no_key_and_adds_none() -> None:
    env = {"VLLM_URL": "http://vllm:8000/v1", "SAFETY_MODEL": "meta-llama/Llama-Guard-3-1B"}
    written = render(LAYOUT03, env).as_written
    assert _keys(written) == _keys(yaml.safe_load(LAYOUT03))
    assert "version" in written and "models" not in written and "metadata_store" not in written
    resources = written["registered_resources"]
    assert [m["model_id"] for m in resources["models"]] == ["gpt-4o-mini", "nomic-ai/nomic-embed-text-v1.5"]
    assert resources["vector_stores"] == [
        {
            "vector_store_id": "docs",
            "embedding_model": "nomic-ai/nomic-embed-text-v1.5",
            "embedding_dimension": 768,
            "provider_id": "faiss",
        }
    ]
    assert resources["shields"][0]["provider_shield_id"] == "meta-llama/Llama-Guard-3-1B"


def test_render_of_the_older_layout_keeps_it() -> None:
    written = render(OLDER, PLAUSIBLE).as_written
    assert list(written) == list(yaml.safe_load(OLDER))  # disabled entries dropped, no key moved or added
    assert "storage" not in written and "registered_resources" not in written


def test_the_internal_model_is_the_same_for_both_layouts() -> None:
    rendered = render(LAYOUT03, {"SAFETY_MODEL": "guard"})
    doc = rendered.document
    assert [v["vector_db_id"] for v in doc["vector_dbs"]] == ["docs"]
    assert doc["metadata_store"] == {
        "type": "sqlite",
        "db_path": f"{HOME}/.llama/distributions/layout03/kvstore.db",
        "namespace": "registry",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("false", False), ("True", True), ("/etc/ssl/ca.pem", "/etc/ssl/ca.pem"), ("0", "0")],
)
def test_a_union_field_keeps_the_type_llama_stack_gives_it(value: str | None, expected: Any) -> None:
    env = {"VLLM_URL": "http://vllm:8000/v1", **({"VLLM_TLS_VERIFY": value} if value is not None else {})}
    vllm = render(LAYOUT03, env).as_written["providers"]["inference"][0]
    assert vllm["config"]["tls_verify"] == expected
    assert type(vllm["config"]["tls_verify"]) is type(expected)


def _sources() -> list[tuple[str, str]]:
    sources = [("layout03", LAYOUT03), ("older", OLDER)]
    sources += [(name, read_template(name)[0].decode()) for name in template_names()]
    specs = (
        "inference=ollama,vector_io=faiss",
        "inference=openai,agents=meta-reference,safety=llama-guard,vector_io=sqlite-vec,tool_runtime=rag-runtime,"
        "files=localfs",
    )
    for spec in specs:
        stack = build_adhoc([spec], SCHEMAS, Path("/data/stackctl"), home=Path("/data"))
        sources.append((spec, dump_yaml(stack.document)))
    return sources


@pytest.mark.parametrize(("name", "text"), _sources(), ids=lambda v: v if len(v) < 40 else "")
def test_render_load_render_is_a_fixed_point(name: str, text: str) -> None:
    once = dump_yaml(render(text, PLAUSIBLE).as_written)
    twice = dump_yaml(render(once, PLAUSIBLE).as_written)
    assert once == twice, name


# --- config upgrade -----------------------------------------------------------------------------------------


def test_upgrade_writes_the_0_3_layout_with_every_value_kept() -> None:
    raw = load_yaml(OLDER)
    upgraded = upgrade(raw)
    doc = upgraded.document
    assert upgraded.changed
    assert list(doc)[:4] == list(raw)[:4]  # version, image_name, apis, providers stay where they were
    assert not {"models", "shields", "vector_dbs", "metadata_store", "inference_store"} & set(doc)
    resources = doc["registered_resources"]
    assert resources["models"] == raw["models"]
    assert resources["shields"] == raw["shields"]
    stores = doc["storage"]["stores"]
    assert stores["metadata"]["backend"] == "kv_default"
    backend = doc["storage"]["backends"]["kv_default"]
    assert backend == {"type": "kv_sqlite", "db_path": raw["metadata_store"]["db_path"]}
    faiss = doc["providers"]["vector_io"][0]["config"]
    assert "kvstore" not in faiss and faiss["persistence"]["backend"] in doc["storage"]["backends"]
    assert any("registered_resources" in note for note in upgraded.notes)


def test_upgrade_is_a_fixed_point_and_leaves_a_0_3_file_alone() -> None:
    once = upgrade(load_yaml(OLDER)).document
    assert upgrade(once).document == once and not upgrade(once).changed
    layout03 = load_yaml(LAYOUT03)
    assert upgrade(layout03).document == layout03 and not upgrade(layout03).changed


def test_upgraded_older_files_render_and_validate_with_every_resource() -> None:
    for name in ("starter.yaml", "typed.yaml"):
        text = (HERE.parent / "golden" / "inputs" / name).read_text()
        raw = load_yaml(text)
        upgraded = upgrade(raw).document
        rendered = render(dump_yaml(upgraded), PLAUSIBLE)
        older = render(text, PLAUSIBLE).document
        for kind in ("models", "shields", "vector_dbs", "tool_groups"):
            assert rendered.document.get(kind, []) == older.get(kind, []), (name, kind)
        assert not any("older layout's name" in w for w in rendered.warnings)


def test_upgrade_drops_the_telemetry_provider_api() -> None:
    raw = {
        "image_name": "t",
        "apis": ["inference", "telemetry"],
        "providers": {
            "telemetry": [{"provider_id": "m", "provider_type": "inline::meta-reference", "config": {}}]
        },
    }
    upgraded = upgrade(raw)
    assert upgraded.document["apis"] == ["inference"]
    assert "telemetry" not in upgraded.document["providers"]
    assert upgraded.document["telemetry"] == {"enabled": True}


def test_upgrade_gives_postgres_stores_their_own_backends() -> None:
    store = {"type": "postgres", "host": "db", "user": "u", "password": "${env.PW}"}
    raw = {"image_name": "p", "providers": {}, "metadata_store": {**store, "table_name": "kv"},
           "inference_store": store, "conversations_store": store}  # fmt: skip
    storage = upgrade(raw).document["storage"]
    assert storage["backends"] == {
        "kv_default": {"type": "kv_postgres", "host": "db", "user": "u", "password": "${env.PW}",
                       "table_name": "kv"},
        "sql_default": {"type": "sql_postgres", "host": "db", "user": "u", "password": "${env.PW}"},
    }  # fmt: skip
    assert storage["stores"]["conversations"] == {
        "table_name": "openai_conversations",
        "backend": "sql_default",
    }


# --- older names and deprecated types -----------------------------------------------------------------------


def test_an_older_field_name_is_accepted_with_a_warning_naming_the_new_one() -> None:
    rendered = render(OLDER, PLAUSIBLE)
    assert (
        "providers.vector_io[0].config.kvstore: 'kvstore' is the older layout's name; "
        "llama-stack 0.3.x calls it 'persistence'"
    ) in rendered.warnings


def test_a_deprecated_type_is_accepted_with_its_replacement_named() -> None:
    rendered = render(LAYOUT03)
    assert (
        "providers.vector_io[1].provider_type: provider type inline::sqlite_vec is deprecated; "
        "use inline::sqlite-vec"
    ) in rendered.warnings


# --- the storage and server blocks --------------------------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    doc = yaml.safe_load(LAYOUT03)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return doc


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"storage__stores__metadata": None},
         (("storage", "stores", "metadata"), "required: the store of the stack's registry (a kv_* backend)")),
        ({"storage__stores__inference__backend": "kv_default"},
         (("storage", "stores", "inference", "backend"),
          "backend 'kv_default' is kv_sqlite, but this store needs a sql_* backend")),
        ({"storage__backends__kv_default__type": "kv_sqlite3"},
         (("storage", "backends", "kv_default", "type"),
          "unknown backend type 'kv_sqlite3'; use one of kv_sqlite, kv_redis, kv_postgres, kv_mongodb, "
          "sql_sqlite, sql_postgres")),
        ({"server__port": 80}, (("server", "port"), "80 is out of range; llama-stack takes 1024..65535")),
        ({"server__auth": {"provider_config": {"type": "oauth"}}},
         (("server", "auth", "provider_config", "type"),
          "unknown auth provider type 'oauth'; use one of oauth2_token, github_token, kubernetes, custom")),
        ({"server__cors": {"allow_origins": ["*"], "allow_credentials": True}},
         (("server", "cors", "allow_origins"), "a wildcard origin cannot be used with allow_credentials")),
        ({"server__quota": {"anonymous_max_requests": 5}},
         (("server", "quota", "kvstore"), "required: a key-value store reference (namespace, backend)")),
    ],
)  # fmt: skip
def test_block_problems(changes: dict[str, Any], expected: tuple[Any, str]) -> None:
    assert block_problems(_with(**changes)) == [expected]


def test_a_provider_reference_to_a_missing_backend_is_reported_with_its_file_line() -> None:
    text = LAYOUT03.replace("        namespace: vector_io::faiss\n        backend: kv_default",
                            "        namespace: vector_io::faiss\n        backend: kv_cache")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        render(text)
    assert caught.value.details == [
        "providers.vector_io[0].config.persistence.backend: unknown backend 'kv_cache' "
        "(storage.backends: kv_default, sql_default)"
    ]


def test_references_without_a_storage_block() -> None:
    doc = _with(storage=None)
    assert block_problems(doc) == [(("storage",), "required: provider configs refer to storage backends")]
    assert block_problems(yaml.safe_load(OLDER)) == []


# --- external_providers_dir and external_apis_dir -------------------------------------------------------


def _external(tmp_path: Path) -> str:
    (tmp_path / "providers" / "remote" / "inference").mkdir(parents=True)
    (tmp_path / "providers" / "remote" / "inference" / "custom_ollama.yaml").write_text(
        "adapter_type: custom_ollama\nmodule: custom_ollama\nconfig_class: custom_ollama.Config\n"
        "pip_packages: [ollama]\n"
    )
    (tmp_path / "providers" / "inline" / "weather").mkdir(parents=True)
    (tmp_path / "providers" / "inline" / "weather" / "kaiko.yaml").write_text(
        "module: kaiko\nconfig_class: kaiko.Config\napi_dependencies: [inference]\n"
    )
    (tmp_path / "apis").mkdir()
    (tmp_path / "apis" / "weather.yaml").write_text("name: weather\nmodule: weather_api\nprotocol: Weather\n")
    return f"""\
image_name: ext
external_providers_dir: {tmp_path / "providers"}
external_apis_dir: {tmp_path / "apis"}
providers:
  inference:
  - provider_id: custom
    provider_type: remote::custom_ollama
    config: {{url: "http://localhost:11434", anything: 1}}
  weather:
  - provider_id: kaiko
    provider_type: inline::kaiko
"""


def test_external_provider_specs_and_apis_join_the_catalogue_for_that_config(tmp_path: Path) -> None:
    from stackctl.config.resolver import resolve

    rendered = render(_external(tmp_path))
    assert rendered.schemas is not None and rendered.schemas.known_provider("weather", "inline::kaiko")
    stack = resolve(rendered.document, rendered.schemas, "run.yaml", rendered.origins)
    assert [node.key for node in stack.order] == ["inference:custom", "weather:kaiko"]
    assert not SCHEMAS.known_provider("inference", "remote::custom_ollama")  # only for that config


def test_external_directories_must_exist_and_hold_whole_specs(tmp_path: Path) -> None:
    text = _external(tmp_path)
    with pytest.raises(ConfigError, match="external_providers_dir: directory not found"):
        render(text.replace(str(tmp_path / "providers"), str(tmp_path / "nope")))
    (tmp_path / "providers" / "inline" / "weather" / "kaiko.yaml").write_text("module: kaiko\n")
    with pytest.raises(ConfigError, match=r"kaiko\.yaml: a inline provider spec needs config_class"):
        render(text)
    with pytest.raises(ConfigError) as caught:
        render(text.replace(f"external_apis_dir: {tmp_path / 'apis'}\n", ""))
    assert any("unknown API 'weather'" in line for line in caught.value.details)


def test_an_external_spec_file_is_read_up_to_the_cap(tmp_path: Path) -> None:
    text = _external(tmp_path)
    spec = tmp_path / "apis" / "weather.yaml"
    spec.write_text("name: weather\nmodule: weather_api\n# " + "x" * (10 * 1024 * 1024) + "\n")
    with pytest.raises(InvalidInputError, match=rf"{spec}: input larger than 10,485,760 bytes"):
        render(text)
