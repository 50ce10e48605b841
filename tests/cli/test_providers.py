from __future__ import annotations

import json
from pathlib import Path

import yaml

ACME = """\
api: inference
provider_type: remote::acme
description: Acme's hosted models.
config_fields:
  - {name: url, type: str, description: Base URL.}
  - {name: api_key, type: str, default: sk-literal, description: Key.}
sample_config:
  url: ${env.ACME_URL:=https://api.acme.example/v1}
  api_key: ${env.ACME_API_KEY:=}
"""


def test_apis_list_table(cli):
    result = cli("apis", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "ROUTES", "DESCRIPTION"]
    rows = {line.split()[0]: line.split()[1:3] for line in lines[1:]}
    assert len(rows) == 24
    assert rows["vector_stores"] == ["routing_table", "vector_io"]
    assert rows["models"] == ["routing_table", "inference"]
    assert rows["inference"][0] == "providable"
    assert rows["conversations"][0] == "builtin"


def test_apis_list_json_is_a_list_object(cli):
    result = cli("apis", "list", "-o", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["object"] == "list"
    assert set(body) == {"object", "data"}
    by_name = {row["name"]: row for row in body["data"]}
    assert by_name["tool_groups"] == {
        "name": "tool_groups",
        "kind": "routing_table",
        "routes": "tool_runtime",
        "description": by_name["tool_groups"]["description"],
    }
    assert by_name["files"]["routes"] is None


def test_providers_list_all(cli):
    result = cli("providers", "list", "-o", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["object"] == "list"
    assert 60 <= len(body["data"]) <= 75
    first = body["data"][0]
    assert set(first) >= {"provider_type", "api", "description", "api_dependencies"}
    pairs = [(row["api"], row["provider_type"]) for row in body["data"]]
    assert ("inference", "remote::fireworks") in pairs
    assert ("safety", "remote::nvidia") in pairs
    assert result.stderr == ""


def test_providers_list_by_api_table(cli):
    result = cli("providers", "list", "--api", "files")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TYPE", "API", "DESCRIPTION"]
    assert [line.split()[:2] for line in lines[1:]] == [["inline::localfs", "files"], ["remote::s3", "files"]]


def test_providers_list_yaml_equals_json(cli):
    as_json = json.loads(cli("providers", "list", "--api", "safety", "-o", "json").stdout)
    as_yaml = yaml.safe_load(cli("providers", "list", "--api", "safety", "-o", "yaml").stdout)
    assert as_json == as_yaml


def test_providers_list_unknown_api_exit_3(cli):
    result = cli("providers", "list", "--api", "inferense")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "unknown API 'inferense'" in result.stderr
    assert "did you mean 'inference'?" in result.stderr


def test_providers_list_routing_table_api_exit_3_json(cli):
    result = cli("providers", "list", "--api", "models", "-o", "json")
    assert result.exit_code == 3
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "not_providable"
    assert "'inference'" in error["hint"]


def test_show_by_short_name_json(cli, isolated_env):
    result = cli("providers", "show", "fireworks", "-o", "json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["provider_type"] == "remote::fireworks"
    assert body["api"] == "inference"
    assert body["env_vars"] == ["FIREWORKS_API_KEY"]
    assert body["api_dependencies"] == []
    fields = {f["name"]: f for f in body["config_fields"]}
    assert fields["api_key"]["secret"] is True
    assert fields["url"] == {
        "name": "url",
        "type": "str",
        "required": False,
        "default": "https://api.fireworks.ai/inference/v1",
        "secret": False,
        "description": fields["url"]["description"],
    }
    assert body["sample_config"]["api_key"] == "${env.FIREWORKS_API_KEY:=}"


def test_show_fills_the_stackctl_data_dir(cli, isolated_env):
    result = cli("providers", "show", "sqlite-vec", "-o", "json")
    body = json.loads(result.stdout)
    data_dir = isolated_env / "data"
    assert body["sample_config"]["db_path"] == f"${{env.SQLITE_STORE_DIR:={data_dir}}}/sqlite_vec.db"
    assert body["sample_config"]["persistence"] == {
        "namespace": "vector_io::sqlite_vec",
        "backend": "kv_default",
    }
    assert body["env_vars"] == ["SQLITE_STORE_DIR"]
    assert body["optional_api_dependencies"] == ["files", "models"]
    assert body["pip_packages"] == ["sqlite-vec", "chardet", "pypdf"]


def test_show_names_a_deprecated_type_and_its_replacement(cli):
    result = cli("providers", "show", "inline::sqlite_vec", "--api", "vector_io", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["deprecated"] == (
        "provider type inline::sqlite_vec is deprecated; use inline::sqlite-vec"
    )


def test_show_table(cli):
    result = cli("providers", "show", "inline::llama-guard")
    assert result.exit_code == 0
    out = result.stdout
    assert "provider_type               inline::llama-guard" in out
    assert "api_dependencies            inference" in out
    assert "excluded_categories   list[str]" in out
    assert "sample config:\nexcluded_categories: []\n" in out


def test_show_ambiguous_type_exit_3_lists_apis(cli):
    result = cli("providers", "show", "remote::nvidia")
    assert result.exit_code == 3
    assert "inference, safety, datasetio, eval, post_training" in result.stderr
    assert "--api" in result.stderr


def test_show_with_api_disambiguates(cli):
    result = cli("providers", "show", "nvidia", "--api", "safety", "-o", "json")
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert (body["api"], body["provider_type"]) == ("safety", "remote::nvidia")
    assert "config_id" in {f["name"] for f in body["config_fields"]}


def test_show_unknown_exit_3_did_you_mean(cli):
    result = cli("providers", "show", "olama")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "error: unknown provider type 'olama'" in result.stderr
    assert "hint: did you mean 'remote::ollama'?" in result.stderr


def test_show_unknown_json_error(cli):
    result = cli("providers", "show", "nope-nope", "--api", "inference", "-o", "json")
    assert result.exit_code == 3
    assert json.loads(result.stderr)["error"]["code"] == "unknown_provider"


def test_show_without_type_is_usage_error(cli):
    assert cli("providers", "show").exit_code == 2


def test_user_providers_dir(cli, tmp_path: Path):
    (tmp_path / "acme.yaml").write_text(ACME)
    env = {"STACKCTL_PROVIDERS_DIR": str(tmp_path)}
    listed = json.loads(cli("providers", "list", "--api", "inference", "-o", "json", env=env).stdout)
    assert "remote::acme" in [row["provider_type"] for row in listed["data"]]
    shown = cli("providers", "show", "acme", "-o", "json", env=env)
    assert shown.exit_code == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["source"] == str(tmp_path / "acme.yaml")
    assert body["env_vars"] == ["ACME_URL", "ACME_API_KEY"]
    # a secret written out as a default is redacted unless asked for
    assert {f["name"]: f["default"] for f in body["config_fields"]}["api_key"] == "********"
    shown = cli("providers", "show", "acme", "--show-secrets", "-o", "json", env=env)
    assert {f["name"]: f["default"] for f in json.loads(shown.stdout)["config_fields"]}[
        "api_key"
    ] == "sk-literal"


def test_broken_user_provider_file_exit_3(cli, tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(ACME.replace("api: inference", "api: inferenc"))
    result = cli("providers", "list", env={"STACKCTL_PROVIDERS_DIR": str(tmp_path)})
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert "did you mean 'inference'?" in result.stderr


def test_help_has_examples(cli):
    for args in (["apis", "list"], ["providers", "list"], ["providers", "show"]):
        result = cli(*args, "--help")
        assert result.exit_code == 0
        assert "Example: stackctl " + " ".join(args[:1]) in result.stdout
