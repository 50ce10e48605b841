"""The config-load pipeline: substitution over whole documents, normalization, validation, hostile input."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from stackctl.catalogue.load import load_catalogue
from stackctl.catalogue.stack import StackCatalogue
from stackctl.cli import inputs as sources
from stackctl.cli.inputs import read_source
from stackctl.config import yamlio
from stackctl.config.envfiles import parse_env_assignments, parse_env_file
from stackctl.config.pipeline import render_config
from stackctl.config.substitute import substitute_config
from stackctl.errors import ConfigError, InvalidInputError, NotFoundError, UsageError
from stackctl.files import MAX_INPUT_BYTES
from stackctl.models.runconfig import RESOURCE_KINDS

HOME = "/home/tester"


def render(text: str, env: dict[str, str] | None = None, *, validate: bool = True) -> dict[str, Any]:
    return render_config(text, "run.yaml", env or {}, home=HOME, validate=validate).document


def render_error(
    text: str | bytes, env: dict[str, str] | None = None, *, validate: bool = True
) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        render_config(text, "run.yaml", env or {}, home=HOME, validate=validate)
    assert caught.value.exit_code == 3
    return caught.value


PROVIDERS = """\
image_name: test
providers:
  inference:
  - provider_id: ${env.FIREWORKS:=__disabled__}
    provider_type: remote::fireworks
    config:
      api_key: ${env.FIREWORKS_API_KEY}
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config:
      url: ${env.OLLAMA_URL}
      timeout: ${env.TIMEOUT:=30}
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: ${env.OPENAI_API_KEY:=sk-test}
"""


# --- disabled and null providers ------------------------------------------------------------------


def test_disabled_provider_is_dropped_before_its_config_expands() -> None:
    doc = render(PROVIDERS)
    types = [p["provider_type"] for p in doc["providers"]["inference"]]
    assert "remote::fireworks" not in types  # and FIREWORKS_API_KEY, unset, raised nothing


def test_enabled_provider_expands_and_reports_its_missing_variables() -> None:
    error = render_error(PROVIDERS, {"FIREWORKS": "fireworks"})
    assert "FIREWORKS_API_KEY" in error.message
    assert any("providers.inference[0].config.api_key" in d for d in error.details)


def test_null_provider_id_keeps_element_unexpanded() -> None:
    doc = render(PROVIDERS)
    ollama = doc["providers"]["inference"][0]
    assert ollama["provider_type"] == "remote::ollama"
    assert ollama["provider_id"] is None
    assert ollama["config"] == {"url": "${env.OLLAMA_URL}", "timeout": "${env.TIMEOUT:=30}"}


def test_provider_id_set_expands_the_element() -> None:
    doc = render(PROVIDERS, {"OLLAMA_URL": "http://127.0.0.1:11434"})
    ollama = doc["providers"]["inference"][0]
    assert ollama == {
        "provider_id": "ollama",
        "provider_type": "remote::ollama",
        "config": {"url": "http://127.0.0.1:11434", "timeout": 30},
    }


def test_provider_ids_stay_strings() -> None:
    text = (
        "image_name: t\nproviders:\n  inference:\n  - provider_id: ${env.PID}\n    provider_type: remote::x\n"
    )
    assert render(text, {"PID": "123"})["providers"]["inference"][0]["provider_id"] == "123"


# --- resources and auth ---------------------------------------------------------------------------

RESOURCE_IDS = {
    "models": "model_id",
    "shields": "shield_id",
    "vector_dbs": "vector_db_id",
    "datasets": "dataset_id",
    "scoring_fns": "scoring_fn_id",
    "benchmarks": "benchmark_id",
    "tool_groups": "toolgroup_id",
}
EXTRA_REQUIRED = {"benchmarks": {"dataset_id": "ds"}, "vector_dbs": {"embedding_dimension": 384}}


def _resource_doc(kind: str, id_field: str, kept_id: str) -> dict[str, Any]:
    extra = EXTRA_REQUIRED.get(kind, {})
    return {
        "image_name": "t",
        "providers": {},
        kind: [
            {id_field: "${env.GONE:+dropped}", "provider_id": "p", **extra},
            {id_field: kept_id, "provider_id": "p", **extra},
        ],
    }


@pytest.mark.parametrize(("kind", "id_field"), list(RESOURCE_IDS.items()))
@pytest.mark.parametrize("validate", [True, False])
def test_resource_with_null_id_is_dropped(kind: str, id_field: str, validate: bool) -> None:
    text = yamlio.dump_yaml(_resource_doc(kind, id_field, "${env.KEPT:=kept}"))
    doc = render(text, validate=validate)
    assert [item[id_field] for item in doc[kind]] == ["kept"]


def test_resource_ids_and_the_seven_kinds_match_the_schema() -> None:
    assert {kind: id_field for kind, (id_field, _) in RESOURCE_KINDS.items()} == RESOURCE_IDS


def test_numeric_resource_id_stays_a_string() -> None:
    text = yamlio.dump_yaml(_resource_doc("models", "model_id", "${env.MID}"))
    assert render(text, {"MID": "7"})["models"][0]["model_id"] == "7"


NULL_PROVIDER_RESOURCES = """\
image_name: t
providers: {}
shields:
- shield_id: ${env.SAFETY_MODEL:+llama-guard}
  provider_id: ${env.SAFETY_MODEL:+llama-guard}
models:
- model_id: ${env.INFERENCE_MODEL:=llama3.2:3b}
  provider_id: ${env.MODEL_PROVIDER:=}
  metadata: {api_token: '${env.TOK:=tok-SECRET}'}
"""


@pytest.mark.parametrize("validate", [True, False])
def test_resource_with_null_provider_id_is_fully_substituted(validate: bool) -> None:
    # The null-provider_id rule (kept unexpanded) is for provider entries; resources are rendered in full.
    doc = render(NULL_PROVIDER_RESOURCES, validate=validate)
    assert doc["models"] == [
        {"model_id": "llama3.2:3b", "provider_id": None, "metadata": {"api_token": "tok-SECRET"}}
    ]
    assert doc["shields"] == []  # its id resolves to null too: dropped


def test_resource_with_null_provider_id_never_fails_on_its_missing_variables() -> None:
    text = NULL_PROVIDER_RESOURCES.replace("${env.TOK:=tok-SECRET}", "${env.TOK}")
    model = render(text)["models"][0]
    assert model["provider_id"] is None
    assert model["metadata"]["api_token"] == "${env.TOK}"  # kept as written: the model is skipped anyway
    assert "${env." not in str(model["model_id"])  # what can be expanded is


def test_auth_provider_config_with_null_type_becomes_null() -> None:
    text = """\
image_name: t
providers: {}
server:
  auth:
    provider_config:
      type: ${env.AUTH_TYPE:+oauth2_token}
      issuer: ${env.AUTH_ISSUER:=https://issuer.example}
"""
    assert render(text)["server"]["auth"]["provider_config"] is None
    assert render(text, validate=False)["server"]["auth"]["provider_config"] is None
    enabled = render(text, {"AUTH_TYPE": "1"})["server"]["auth"]["provider_config"]
    assert enabled == {"type": "oauth2_token", "issuer": "https://issuer.example"}


@pytest.mark.parametrize(
    ("line", "env"),
    [
        ("image_name: ${env.IMG}", {"IMG": "1234"}),
        ("image_name: 2024", {}),
        ("image_name: ${env.IMG:=3.5}", {}),
    ],
)
def test_image_name_is_always_a_string(line: str, env: dict[str, str]) -> None:
    doc = render(f"{line}\nproviders: {{}}\n", env)
    assert isinstance(doc["image_name"], str)
    assert doc["image_name"] in ("1234", "2024", "3.5")


def test_substituted_image_name_is_a_string_without_validation() -> None:
    assert render("image_name: ${env.IMG}\n", {"IMG": "0042"}, validate=False)["image_name"] == "0042"
    assert render("image_name: ${env.IMG}\n", {"IMG": "42"}, validate=False)["image_name"] == "42"


# --- all problems at once -------------------------------------------------------------------------

THREE_MISSING = """\
image_name: ${env.STACK_NAME}
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: ${env.OPENAI_API_KEY}
models:
- model_id: m
  provider_id: openai
  metadata:
    note: "uses ${env.MODEL_NOTE}"
"""


def test_three_missing_variables_make_one_error() -> None:
    error = render_error(THREE_MISSING)
    assert error.code == "missing_env_var"
    for name in ("STACK_NAME", "OPENAI_API_KEY", "MODEL_NOTE"):
        assert name in error.message
    assert error.details == [
        "image_name (run.yaml:1): environment variable STACK_NAME is not set",
        "providers.inference[0].config.api_key (run.yaml:7): environment variable OPENAI_API_KEY is not set",
        "models[0].metadata.note (run.yaml:12): environment variable MODEL_NOTE is not set",
    ]
    assert error.hint and "--env" in error.hint


def test_custom_required_message_is_shown() -> None:
    error = render_error("image_name: ${env.NAME:?name the stack}\nproviders: {}\n")
    assert error.details == ["image_name (run.yaml:1): environment variable NAME is not set: name the stack"]


def test_malformed_references_are_reported_with_path_line_and_hint() -> None:
    text = """\
image_name: t
providers:
  inference:
  - provider_id: p
    provider_type: remote::x
    config:
      url: ${env.URL:-http://x}
"""
    error = render_error(text)
    assert error.code == "invalid_reference"
    assert error.details[0].startswith("providers.inference[0].config.url (run.yaml:7): ")
    assert error.hint == "use ${env.URL:=http://x} for a default"


def test_missing_and_malformed_together() -> None:
    error = render_error("image_name: ${env.foo}\nproviders:\n  x: ${env.MISSING}\n")
    assert "MISSING" in error.message
    assert "1 malformed" in error.message
    assert len(error.details) == 2


# --- env files and --env --------------------------------------------------------------------------


def test_env_file_parsing() -> None:
    text = """\
# a comment

PLAIN=value
export EXPORTED=yes
  SPACED = padded value
DOUBLE="two words # not a comment"
SINGLE='it\\'s raw \\n ${PLAIN}'
ESCAPES="line1\\nline2 \\"quoted\\""
TRAILING=value # a comment
QUOTED_COMMENT="quoted value" # a comment
SINGLE_COMMENT='raw' # a comment
EMPTY=
URL=http://host:8080/path?a=b
MULTI="first
second"
EXPANDED="${PLAIN}-${FROM_ENV}-${UNSET:-fallback}"
"""
    assert parse_env_file(text, ".env", {"FROM_ENV": "outside", "PLAIN": "overridden by the file"}) == {
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "padded value",
        "DOUBLE": "two words # not a comment",
        "SINGLE": "it's raw \\n value",  # python-dotenv expands in single quotes too
        "ESCAPES": 'line1\nline2 "quoted"',
        "TRAILING": "value",
        "QUOTED_COMMENT": "quoted value",
        "SINGLE_COMMENT": "raw",
        "EMPTY": "",
        "URL": "http://host:8080/path?a=b",
        "MULTI": "first\nsecond",
        "EXPANDED": "value-outside-fallback",
    }


@pytest.mark.parametrize("line", ["JUSTAWORD", "=value", "BAD-NAME=x", "two words=x"])
def test_env_file_malformed_line_is_an_error_with_its_line(line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_env_file(f"OK=1\n{line}\n", "prod.env")
    assert caught.value.exit_code == 3
    assert caught.value.message.startswith("prod.env:2: ")


def test_env_file_error_does_not_echo_the_line() -> None:
    for line in ("sk-live-SECRET", "MY-KEY=sk-live-SECRET"):
        with pytest.raises(ConfigError) as caught:
            parse_env_file(f"{line}\n", "prod.env")
        assert "sk-live-SECRET" not in str(caught.value.to_dict())


def test_env_assignments() -> None:
    assert parse_env_assignments(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(UsageError):
        parse_env_assignments(["NOEQUALS"])
    with pytest.raises(UsageError):
        parse_env_assignments(["=value"])


# --- the later layout -----------------------------------------------------------------------------

LATER = """\
version: 2
distro_name: ${env.DISTRO:=starter}
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
registered_resources:
  models:
  - model_id: m1
    provider_id: openai
  shields:
  - shield_id: ${env.SAFETY_MODEL:+guard}
  vector_stores:
  - vector_store_id: vs1
    embedding_model: e5
    embedding_dimension: ${env.DIM:=384}
  tool_groups:
  - toolgroup_id: builtin::websearch
    provider_id: tavily
storage:
  backends:
    kv_default:
      type: kv_sqlite
      db_path: ${env.STATE:=~/.stack}/kv.db
    sql_default:
      type: sql_postgres
      host: db.example
  stores:
    metadata:
      backend: kv_default
      namespace: registry
    inference:
      backend: sql_default
      table_name: inference_store
"""

CANONICAL = """\
version: 2
image_name: starter
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
models:
- model_id: m1
  provider_id: openai
shields:
- shield_id: ${env.SAFETY_MODEL:+guard}
vector_dbs:
- vector_db_id: vs1
  embedding_model: e5
  embedding_dimension: 384
tool_groups:
- toolgroup_id: builtin::websearch
  provider_id: tavily
metadata_store:
  type: sqlite
  db_path: /home/tester/.stack/kv.db
  namespace: registry
inference_store:
  type: postgres
  host: db.example
  table_name: inference_store
"""


def test_later_layout_normalizes_to_the_canonical_one() -> None:
    later = render(LATER)
    canonical = render(CANONICAL)
    storage = later.pop("storage")
    assert later == canonical
    assert later["shields"] == []
    assert render(LATER, {"SAFETY_MODEL": "x"})["shields"] == [{"shield_id": "guard"}]
    assert set(storage["stores"]) == {"metadata", "inference"}
    assert "distro_name" not in later
    assert "registered_resources" not in later


def test_later_layout_without_validation_is_left_as_written() -> None:
    doc = render(LATER, validate=False)
    assert doc["distro_name"] == "starter"
    assert doc["registered_resources"]["shields"] == []
    assert doc["registered_resources"]["vector_stores"][0]["embedding_dimension"] == 384
    assert "image_name" not in doc


# --- validation -----------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests_the_right_one() -> None:
    error = render_error("image_name: t\nprovders:\n  inference: []\n")
    assert error.code == "schema_violation"
    assert "provders: unknown key 'provders'; did you mean 'providers'?" in error.details
    assert "providers: required key is missing" in error.details


def test_unknown_api_names_are_schema_violations_with_the_catalogue() -> None:
    text = "image_name: t\napis: [inferenc]\nproviders:\n  safty: []\n  inference: []\n"
    with pytest.raises(ConfigError) as caught:
        render_config(text, "run.yaml", {}, schemas=StackCatalogue(load_catalogue()))
    assert caught.value.code == "schema_violation"
    assert caught.value.details == [
        "apis[0]: unknown API 'inferenc'; did you mean 'inference'?",
        "providers.safty: unknown API 'safty'; did you mean 'safety'?",
    ]
    assert render(text)["apis"] == ["inferenc"]  # without a catalogue, API names are not known


def test_schema_violations_are_listed_with_paths() -> None:
    text = """\
image_name: t
providers:
  inference:
  - provider_id: p
    config: {}
    colour: blue
server:
  port: ${env.PORT:=not-a-port}
models:
- provider_id: p
"""
    error = render_error(text)
    assert error.message == "run.yaml: run config is invalid (4 problem(s))"
    joined = "\n".join(error.details)
    assert "providers.inference[0].provider_type: required key is missing" in joined
    assert "providers.inference[0].colour: unknown key 'colour'" in joined
    assert "server.port: " in joined
    assert "models[0].model_id: required key is missing" in joined


def test_no_validate_returns_exactly_the_substituted_document() -> None:
    text = "distro_name: x\nunknown_key: ${env.V:=1}\nproviders: {}\nserver:\n  port: nope\n"
    assert render(text, validate=False) == {
        "distro_name": "x",
        "unknown_key": 1,
        "providers": {},
        "server": {"port": "nope"},
    }
    assert render(text, validate=False) == substitute_config(text, "run.yaml", {}, home=HOME)


def test_no_validate_still_reports_substitution_errors() -> None:
    error = render_error("x: ${env.NEEDED}\n", validate=False)
    assert "NEEDED" in error.message


def test_version_defaults_to_2() -> None:
    assert render("image_name: t\nproviders: {}\n")["version"] == 2


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n", "42\n"])
def test_document_must_be_a_mapping(text: str) -> None:
    assert "must be a YAML mapping" in render_error(text).message


# --- hostile input --------------------------------------------------------------------------------


def _fast_error(text: str | bytes, *, within: float = 30.0) -> ConfigError:
    # A guard against hangs, not a speed goal (those live in bench/): the bound is far above any real run.
    start = time.perf_counter()
    error = render_error(text)
    assert time.perf_counter() - start < within
    return error


def test_malformed_yaml() -> None:
    error = _fast_error("image_name: [unclosed\nproviders: {\n")
    assert error.code == "invalid_yaml"
    assert "invalid YAML (line" in error.message


def test_binary_junk() -> None:
    error = _fast_error(bytes(range(256)) * 4)
    assert "not UTF-8" in error.message
    assert error.hint == "is this a binary file?"
    assert "NUL" in _fast_error(b"image_name: t\x00\n").message


def test_text_over_the_read_cap_parses_once_read() -> None:
    # The byte cap is the reader's (raised with STACKCTL_MAX_INPUT_BYTES): text already read is not held
    # to the default cap a second time.
    assert yamlio.load_yaml("a: " + "x" * MAX_INPUT_BYTES + "\n") == {"a": "x" * MAX_INPUT_BYTES}


@pytest.mark.parametrize("opener", ["[", "{", "[{"])
def test_deeply_nested_flow_collections(opener: str) -> None:
    error = _fast_error(opener * 100_000)
    assert error.code == "invalid_yaml"
    assert "nesting depth" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "[" * 500 + "]" * 500,
        "- " * 500 + "x\n",
        "".join(" " * i + "a:\n" for i in range(500)) + " " * 500 + "1\n",
    ],
    ids=["flow", "block-sequence", "block-mapping"],
)
def test_nesting_the_parser_accepts_but_is_too_deep(text: str) -> None:
    # libyaml stops at 1,000 levels; below that, stackctl refuses anything past MAX_DEPTH in every style.
    error = _fast_error(text)
    assert error.code == "document_too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    doc = yamlio.load_yaml("note: '" + "[" * 300 + "'\n")
    assert doc == {"note": "[" * 300}


def test_deeply_nested_block_sequences() -> None:
    error = _fast_error("- " * 100_000 + "x\n")
    assert "nesting depth" in error.message


def test_deeply_nested_references() -> None:
    text = "image_name: '" + "${env.A:=" * 150 + "x" + "}" * 150 + "'\nproviders: {}\n"
    error = _fast_error(text)
    assert error.code == "invalid_reference"
    assert "nested" in error.details[0]


def test_alias_bomb() -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    error = _fast_error("\n".join(lines) + "\n")
    assert error.code == "document_too_large"
    assert "aliases" in error.message


def test_a_long_list_is_refused_while_composing_by_its_node_count() -> None:
    # 5.2M items fit under the byte cap. The text ends in a syntax error the parser would reach only after
    # composing every item: "too many nodes" proves the refusal came from the count, while composing.
    text = "[" + "0," * 5_200_000 + " : : ]"
    assert len(text) <= MAX_INPUT_BYTES
    error = _fast_error(text)
    assert error.code == "document_too_large"
    assert "too many nodes" in error.message
    assert "aliases" not in error.message


def test_the_node_count_includes_keys_and_tagged_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 10)
    # root + 5 keys + 5 values = 11 nodes; every scalar carries an explicit tag (no resolver call for it).
    text = "".join(f"!!str k{i}: !!str v{i}\n" for i in range(5))
    with pytest.raises(ConfigError, match="too many nodes"):
        yamlio.load_yaml(text)
    assert yamlio.load_yaml("a: [1, 2, 3]\nb: [4, 5]\n") == {"a": [1, 2, 3], "b": [4, 5]}  # 10 nodes
    with pytest.raises(ConfigError, match="too many nodes"):
        yamlio.load_yaml("[" + "1, " * 10 + "}}} not yaml")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: [1, {c: *a}]}\n", "image_name: &x [[*x]]\n"])
def test_recursive_alias_is_refused(text: str) -> None:
    error = _fast_error(text)
    assert error.code == "recursive_alias"


def test_shared_aliases_are_fine() -> None:
    text = "image_name: t\nproviders: {}\nlogging:\n  a: &a {x: 1}\n  b: [*a, *a, {c: *a}]\n"
    assert render(text)["logging"]["b"] == [{"x": 1}, {"x": 1}, {"c": {"x": 1}}]


def test_huge_file_is_refused_by_size_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: no 50 MB actually written

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(InvalidInputError) as caught:
        read_source(str(huge), io.BytesIO())
    assert caught.value.exit_code == 3
    assert caught.value.code == "document_too_large"
    assert f"{50 * 1024 * 1024:,} bytes" in caught.value.message


def test_stdin_is_read_only_up_to_the_limit() -> None:
    stream = io.BytesIO(b"#" * (MAX_INPUT_BYTES * 2))
    with pytest.raises(InvalidInputError, match=f"stdin: input larger than {sources.MAX_BYTES:,} bytes"):
        read_source("-", stream)
    assert stream.tell() == sources.MAX_BYTES + 1  # refused as soon as it passed the cap


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        read_source(str(tmp_path / "nope.yaml"), io.BytesIO())
    assert caught.value.exit_code == 4
    with pytest.raises(InvalidInputError, match="directory"):
        read_source(str(tmp_path), io.BytesIO())


def test_a_provider_id_that_fails_to_resolve_does_not_hide_the_rest() -> None:
    text = (
        "image_name: t\nproviders:\n  inference:\n  - provider_id: ${env.PID}\n"
        "    provider_type: remote::ollama\n    config:\n      url: ${env.OLLAMA_URL}\n"
    )
    error = render_error(text)
    assert [line.split(" (")[0] for line in error.details] == [
        "providers.inference[0].provider_id",
        "providers.inference[0].config.url",
    ]


# --- paths in the file the user wrote -------------------------------------------------------------

CATALOGUE = StackCatalogue(load_catalogue())


def catalogue_error(text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        render_config(text, "run.yaml", env or {}, home=HOME, schemas=CATALOGUE)
    assert caught.value.exit_code == 3
    return caught.value


AFTER_A_DISABLED_PROVIDER = """\
image_name: t
providers:
  inference:
  - provider_id: ${env.OLD_OPENAI:=__disabled__}
    provider_type: remote::openai
    config: {api_key: x}
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: x
      refresh_model: true
"""


def test_provider_config_errors_name_the_entry_in_the_file_after_a_disabled_one() -> None:
    error = catalogue_error(AFTER_A_DISABLED_PROVIDER.replace("refresh_model: true", "refresh_models: often"))
    assert error.details == [
        "providers.inference[1].config.refresh_models: "
        "Input should be a valid boolean, unable to interpret input"
    ]


def test_an_unknown_key_llama_stack_ignores_warns_and_is_strict_for_validate() -> None:
    rendered = render_config(AFTER_A_DISABLED_PROVIDER, "run.yaml", {}, home=HOME, schemas=CATALOGUE)
    line = (
        "providers.inference[1].config.refresh_model: unknown field 'refresh_model'; "
        "did you mean 'refresh_models'? (llama-stack ignores it)"
    )
    assert rendered.strict == [line]
    assert line in rendered.warnings


def test_schema_errors_name_the_entry_in_the_file_after_a_disabled_one() -> None:
    text = AFTER_A_DISABLED_PROVIDER.replace("      refresh_model: true\n", "    colour: blue\n")
    assert render_error(text).details == ["providers.inference[1].colour: unknown key 'colour'"]


def test_resource_errors_name_the_entry_in_the_file_after_dropped_ones() -> None:
    text = """\
image_name: t
providers: {}
models:
- model_id: m0
  provider_id: ${env.OLD:=__disabled__}
- model_id: ${env.OPTIONAL_MODEL:+m1}
- model_id: m2
  metadata: not-a-mapping
"""
    details = render_error(text).details
    assert len(details) == 1
    assert details[0].startswith("models[2].metadata: ")


def test_later_layout_errors_name_the_later_layout_paths() -> None:
    text = """\
distro_name: [not, a, name]
providers: {}
models:
- model_id: top
registered_resources:
  models:
  - model_id: ${env.OPTIONAL_MODEL:+gone}
  - model_id: m1
    metadata: 5
  vector_stores:
  - vector_store_id: vs0
    embedding_dimension: ${env.DIM:=not-a-number}
  - embedding_model: e5
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /tmp/kv.db}
  stores:
    metadata: {backend: kv_default, type: [1]}
"""
    details = render_error(text).details
    paths = sorted(line.split(":", 1)[0] for line in details)
    assert paths == [
        "distro_name",
        "registered_resources.models[1].metadata",
        "registered_resources.vector_stores[0].embedding_dimension",
        "registered_resources.vector_stores[1].vector_store_id",
        "storage.stores.metadata.type",
    ]
    assert "registered_resources.vector_stores[1].vector_store_id: required key is missing" in details


@pytest.mark.parametrize(("value", "kind"), [("[1, 2]", "a list"), ("hello", "a string")])
def test_registered_resources_that_is_not_a_mapping_is_a_schema_violation(value: str, kind: str) -> None:
    text = f"image_name: t\nproviders: {{}}\nregistered_resources: {value}\nserver:\n  port: nope\n"
    error = render_error(text)
    assert error.code == "schema_violation"
    assert error.details[0] == (
        "registered_resources: must be a mapping of resource lists "
        f"(models, shields, vector_stores, tool_groups), got {kind}"
    )
    assert error.details[1].startswith("server.port: ")
    assert render(text, validate=False)["registered_resources"] == yamlio.load_yaml(value)


def test_resources_dropped_for_a_disabled_provider_leave_a_warning() -> None:
    text = """\
image_name: t
providers:
  inference:
  - provider_id: ${env.OLD:=__disabled__}
    provider_type: remote::openai
models:
- model_id: m0
  provider_id: ${env.OLD:=__disabled__}
- model_id: m1
registered_resources:
  shields:
  - shield_id: s0
    provider_id: __disabled__
"""
    expected = [
        "models[0]: dropped: its provider_id is __disabled__",
        "registered_resources.shields[0]: dropped: its provider_id is __disabled__",
    ]
    rendered = render_config(text, "run.yaml", {}, home=HOME)
    assert rendered.warnings == expected
    assert rendered.document["models"] == [{"model_id": "m1"}]
    assert render_config(text, "run.yaml", {}, home=HOME, validate=False).warnings == expected
    assert render_config(text, "run.yaml", {"OLD": "openai"}, home=HOME).warnings == expected[1:]
