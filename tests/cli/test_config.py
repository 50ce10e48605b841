"""`stackctl config render|vars|validate` through the real error boundary, and one test per exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackctl.config.secrets import MASK
from stackctl.config.substitute import substitute_config
from stackctl.config.yamlio import dump_yaml

RUN = """\
version: 2
image_name: ${env.STACK:=demo}
providers:
  inference:
  - provider_id: openai
    provider_type: remote::vllm
    config:
      url: ${env.OPENAI_BASE_URL:=https://api.openai.com/v1}
      api_token: ${env.OPENAI_API_KEY}
      max_tokens: ${env.MAX_TOKENS:=512}
  - provider_id: ${env.OLLAMA_URL:+ollama}
    provider_type: remote::ollama
    config:
      url: ${env.OLLAMA_URL}
models:
- model_id: ${env.MODEL:=gpt-4o}
  provider_id: openai
"""


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(RUN)
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STACK", "OPENAI_BASE_URL", "OPENAI_API_KEY", "MAX_TOKENS", "OLLAMA_URL", "MODEL"):
        monkeypatch.delenv(name, raising=False)


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result


def openai(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = doc["providers"]["inference"][0]
    return entry


# --- config render --------------------------------------------------------------------------------


def test_render_file_with_env(cli: Any, run_file: Path) -> None:
    result = cli("config", "render", str(run_file), "--env", "OPENAI_API_KEY=sk-1", "--show-secrets")
    assert result.exit_code == 0
    assert result.stderr == (  # a secret in argv: named, never shown, and the safer ways suggested
        "warning: --env OPENAI_API_KEY is visible to every user of this machine in the process list\n"
        "hint: set OPENAI_API_KEY in the environment, or in a file given with --env-file, instead\n"
    )
    doc = yaml.safe_load(result.stdout)
    assert doc["image_name"] == "demo"
    assert openai(doc)["config"] == {
        "url": "https://api.openai.com/v1",
        "api_token": "sk-1",
        "max_tokens": 512,
    }
    assert doc["providers"]["inference"][1]["provider_id"] is None
    assert doc["models"] == [{"model_id": "gpt-4o", "provider_id": "openai"}]


def test_render_reads_the_process_environment(cli: Any, run_file: Path) -> None:
    result = ok(cli("config", "render", str(run_file), env={"OPENAI_API_KEY": "k", "STACK": "from-env"}))
    assert yaml.safe_load(result.stdout)["image_name"] == "from-env"


def test_render_keeps_an_integer_too_long_for_int_as_text(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("image_name: ${env.BIG}\nproviders: {}\n")
    huge = "9" * 5000
    result = ok(cli("config", "render", str(path), env={"BIG": huge}))
    assert yaml.safe_load(result.stdout)["image_name"] == huge


def test_env_option_overrides_env_file_overrides_environment(
    cli: Any, run_file: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "stack.env"
    env_file.write_text("# settings\nexport STACK=from-file\nMODEL='llama3'\nOPENAI_API_KEY=\"k\"\n")
    result = ok(
        cli(
            "config",
            "render",
            str(run_file),
            "--env-file",
            str(env_file),
            "--env",
            "MODEL=from-flag",
            env={"STACK": "from-env", "MODEL": "from-env"},
        )
    )
    doc = yaml.safe_load(result.stdout)
    assert doc["image_name"] == "from-file"
    assert doc["models"][0]["model_id"] == "from-flag"


def test_render_stdin_dash(cli: Any) -> None:
    result = ok(cli("config", "render", "-", input=RUN, env={"OPENAI_API_KEY": "k"}))
    assert yaml.safe_load(result.stdout)["image_name"] == "demo"


def test_render_stdin_errors_name_stdin(cli: Any) -> None:
    result = cli("config", "render", "-", input=RUN)
    assert result.exit_code == 3
    assert "<stdin>" in result.stderr
    assert "<stdin>:9" in result.stderr


def test_render_json(cli: Any, run_file: Path) -> None:
    result = ok(cli("config", "render", str(run_file), "-o", "json", env={"OPENAI_API_KEY": "k"}))
    doc = json.loads(result.stdout)
    assert doc["version"] == 2
    assert openai(doc)["config"]["max_tokens"] == 512


def test_yaml_output_equals_json_output(cli: Any, run_file: Path) -> None:
    args, env = ("config", "render", str(run_file)), {"OPENAI_API_KEY": "k"}
    as_yaml = yaml.safe_load(ok(cli(*args, env=env)).stdout)
    as_json = json.loads(ok(cli(*args, "-o", "json", env=env)).stdout)
    assert as_yaml == as_json


def test_secrets_are_redacted_unless_asked(cli: Any, run_file: Path) -> None:
    args, env = ("config", "render", str(run_file), "-o", "json"), {"OPENAI_API_KEY": "12345"}
    redacted = json.loads(ok(cli(*args, env=env)).stdout)
    assert openai(redacted)["config"]["api_token"] == MASK
    assert openai(redacted)["config"]["max_tokens"] == 512  # not a secret despite "token"
    assert "12345" not in ok(cli(*args, env=env)).stdout
    shown = json.loads(ok(cli(*args, "--show-secrets", env=env)).stdout)
    assert openai(shown)["config"]["api_token"] == "12345"  # a key of digits stays a string


def test_no_validate_prints_exactly_the_substituted_document(cli: Any, tmp_path: Path) -> None:
    text = (
        "distro_name: x\nextra: ${env.EXTRA:=1}\nproviders:\n  a:\n  - provider_id: ${env.P:=__disabled__}\n"
    )
    path = tmp_path / "loose.yaml"
    path.write_text(text)
    result = ok(cli("config", "render", str(path), "--no-validate"))
    assert result.stdout == dump_yaml(substitute_config(text, str(path), {}))
    assert yaml.safe_load(result.stdout) == {"distro_name": "x", "extra": 1, "providers": {"a": []}}
    assert cli("config", "render", str(path)).exit_code == 3


def test_resources_with_a_null_provider_are_rendered_in_full(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "mr.yaml"
    path.write_text(
        "image_name: mr\nproviders: {}\n"
        "shields: [{shield_id: '${env.SAFETY_MODEL:+llama-guard}',\n"
        "  provider_id: '${env.SAFETY_MODEL:+llama-guard}'}]\n"
        "models: [{model_id: '${env.INFERENCE_MODEL:=llama3.2:3b}', provider_id: '${env.MODEL_PROVIDER:=}',\n"
        "  metadata: {api_token: '${env.TOK:=tok-SECRET}'}}]\n"
    )
    result = ok(cli("config", "render", str(path), "-o", "json"))
    assert "${env." not in result.stdout
    doc = json.loads(result.stdout)
    assert doc["shields"] == []
    assert doc["models"] == [
        {"model_id": "llama3.2:3b", "provider_id": None, "metadata": {"api_token": MASK}}
    ]


# --- config vars ----------------------------------------------------------------------------------


def test_vars_table(cli: Any, run_file: Path) -> None:
    result = ok(cli("config", "vars", str(run_file), env={"OPENAI_API_KEY": "k"}))
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SYNTAX", "DEFAULT", "SET", "PATHS"]
    rows = {line.split()[1]: line.split() for line in lines[1:]}
    assert rows["${env.OPENAI_API_KEY}"] == [
        "OPENAI_API_KEY",
        "${env.OPENAI_API_KEY}",
        "true",
        "providers.inference[0].config.api_token",
    ]
    assert rows["${env.MAX_TOKENS:=512}"][2:4] == ["512", "false"]
    assert len(rows) == 7


def test_vars_json(cli: Any, run_file: Path) -> None:
    result = ok(cli("config", "vars", str(run_file), "-o", "json", "--env", "OLLAMA_URL=http://h"))
    body = json.loads(result.stdout)
    assert body["object"] == "list"
    ollama = [row for row in body["data"] if row["name"] == "OLLAMA_URL"]
    assert {row["kind"] for row in ollama} == {"alternative", "required"}
    assert all(row["set"] for row in ollama)
    assert {p for row in ollama for p in row["paths"]} == {
        "providers.inference[1].provider_id",
        "providers.inference[1].config.url",
    }
    names = [row["name"] for row in body["data"]]
    assert names == sorted(names)


def test_vars_masks_the_defaults_of_secret_fields(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN.replace("${env.OPENAI_API_KEY}", "${env.OPENAI_API_KEY:=sk-live-DEFAULT}"))
    rows = json.loads(ok(cli("config", "vars", str(path), "-o", "json")).stdout)["data"]
    key = next(row for row in rows if row["name"] == "OPENAI_API_KEY")
    assert key["syntax"] == "${env.OPENAI_API_KEY:=********}"
    assert key["default"] == "********"
    assert "sk-live-DEFAULT" not in ok(cli("config", "vars", str(path))).stdout
    shown = json.loads(ok(cli("config", "vars", str(path), "-o", "json", "--show-secrets")).stdout)["data"]
    assert next(row for row in shown if row["name"] == "OPENAI_API_KEY")["default"] == "sk-live-DEFAULT"
    url = next(row for row in rows if row["name"] == "OPENAI_BASE_URL")
    assert url["default"] == "https://api.openai.com/v1"  # not a secret field


def test_vars_reports_malformed_references(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(RUN.replace("${env.MODEL:=gpt-4o}", "${env.model:-gpt-4o}"))
    result = cli("config", "vars", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"models[0].model_id ({path}:" in result.stderr
    assert "${env.model:-gpt-4o}" in result.stderr


# --- config validate ------------------------------------------------------------------------------


def test_validate_ok(cli: Any, run_file: Path) -> None:
    result = cli("config", "validate", str(run_file), "-o", "json", env={"OPENAI_API_KEY": "k"})
    assert result.exit_code == 0, result.stderr
    # The disabled provider is skipped with a warning, on stderr only.
    warning = "providers.inference[1]: provider remote::ollama is disabled (provider_id is null); skipped"
    assert result.stderr == f"warning: {warning}\n"
    summary = json.loads(result.stdout)
    assert summary["valid"] is True
    assert summary["providers"] == 1  # the null-id ollama entry does not count
    assert summary["resources"] == {"models": 1}


def test_validate_invalid_lists_problems(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("image_name: t\nprovders: {}\n")
    result = cli("config", "validate", str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "did you mean 'providers'?" in result.stderr


# --- paths in the file the user wrote -------------------------------------------------------------

SHIFTED = """\
image_name: shifted
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
models:
- model_id: old
  provider_id: ${env.OLD_OPENAI:=__disabled__}
- model_id: m1
  provider_id: openai
"""


UNKNOWN_AFTER_DISABLED = (
    "providers.inference[1].config.refresh_model: unknown field 'refresh_model'; "
    "did you mean 'refresh_models'? (llama-stack ignores it)"
)


def test_render_warns_about_a_provider_config_key_llama_stack_ignores(cli: Any, tmp_path: Path) -> None:
    # llama-stack loads the file (its provider config classes drop unknown keys): render prints it and
    # warns, validate rejects it (below).
    path = tmp_path / "run.yaml"
    path.write_text(SHIFTED)
    result = cli("config", "render", str(path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert f"warning: {UNKNOWN_AFTER_DISABLED}" in result.stderr.splitlines()
    assert json.loads(result.stdout)["providers"]["inference"][0]["config"] == {
        "api_key": "********",
        "refresh_model": True,
    }


def test_validate_reports_every_problem_with_its_line_in_one_run(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(SHIFTED)
    result = cli("config", "validate", str(path), "-o", "json")
    assert result.exit_code == 3
    assert result.stderr == "warning: models[0]: dropped: its provider_id is __disabled__\n"
    report = json.loads(result.stdout)
    assert report["warnings"] == ["models[0]: dropped: its provider_id is __disabled__"]
    assert report["valid"] is False
    assert [(p["path"], p["line"], p["code"]) for p in report["problems"]] == [
        ("providers.inference[1].config.api_key", 10, "literal_secret"),  # the disabled [0] is not stored
        ("providers.inference[1].config.refresh_model", 11, "schema_violation"),
    ]
    assert all(p["file"] == str(path) for p in report["problems"])
    assert "did you mean 'refresh_models'?" in report["problems"][1]["message"]
    table = cli("config", "validate", str(path))
    assert table.exit_code == 3
    assert table.stdout == ""
    assert f"providers.inference[1].config.api_key ({path}:10): a literal secret" in table.stderr
    assert f"providers.inference[1].config.refresh_model ({path}:11): unknown field" in table.stderr


DUPLICATES_AND_RESOURCES = """\
image_name: dup
image_name: dup2
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      api_key: ${env.OPENAI_API_KEY}
      api_key: ${env.OTHER_KEY}
models:
- model_id: m1
  provider_id: nowhere
"""


def test_validate_checks_what_register_checks(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(DUPLICATES_AND_RESOURCES)
    result = cli("config", "validate", str(path), "-o", "json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert [(p["path"], p["line"], p["code"]) for p in report["problems"]] == [
        ("image_name", 2, "duplicate_key"),
        ("providers.inference[0].config.api_key", 9, "duplicate_key"),
        ("models[0].provider_id", 12, "invalid_config"),
    ]
    assert "the stack has no inference provider 'nowhere'" in report["problems"][2]["message"]
    # The unset secret variable is a warning (read at call time), as in `register`.
    assert any("OTHER_KEY is not set" in w for w in report["warnings"])
    registered = cli("register", str(path))
    assert registered.exit_code == 3
    assert "duplicate key 'image_name'" in registered.stderr


def test_validate_json_is_always_the_report(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("image_name: t\nproviders: {}\n")
    report = json.loads(ok(cli("config", "validate", str(path), "-o", "json")).stdout)
    assert (report["valid"], report["problems"], report["warnings"]) == (True, [], [])
    path.write_text("image_name: [unclosed\n")
    broken = cli("config", "validate", str(path), "-o", "json")
    assert broken.exit_code == 3
    assert json.loads(broken.stdout)["valid"] is False


def test_render_warns_about_a_resource_dropped_for_a_disabled_provider(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(SHIFTED.replace("      refresh_model: true\n", ""))
    for args in [(), ("--no-validate",)]:
        result = cli("config", "render", str(path), *args)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == "warning: models[0]: dropped: its provider_id is __disabled__\n"
        assert [m["model_id"] for m in yaml.safe_load(result.stdout)["models"]] == ["m1"]


def test_later_layout_errors_name_the_later_layout_paths(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "distro_name: {a: b}\nproviders: {}\nregistered_resources:\n  vector_stores:\n"
        "  - vector_store_id: vs\n    embedding_dimension: ${env.DIM:=big}\n"
    )
    result = cli("config", "render", str(path))
    assert result.exit_code == 3
    assert "\n  distro_name: " in result.stderr
    assert "\n  registered_resources.vector_stores[0].embedding_dimension: " in result.stderr
    assert "image_name" not in result.stderr
    assert "vector_dbs" not in result.stderr


@pytest.mark.parametrize("value", ["[1, 2]", "hello"])
def test_registered_resources_not_a_mapping_exit_3(cli: Any, tmp_path: Path, value: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(f"image_name: t\nproviders: {{}}\nregistered_resources: {value}\n")
    result = cli("config", "render", str(path), "-o", "json")
    assert result.exit_code == 3
    assert result.stdout == ""
    error = json.loads(result.stderr)["error"]
    assert error["code"] == "schema_violation"
    assert error["details"][0].startswith("registered_resources: must be a mapping of resource lists")


# --- errors and exit codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "image_name: t\napis: [inferenc, models]\nproviders: {}\n",
            "apis[0]: unknown API 'inferenc'; did you mean 'inference'?",
        ),
        (
            "image_name: t\nproviders:\n  inferenc: [{provider_id: x, provider_type: remote::nope}]\n",
            "providers.inferenc: unknown API 'inferenc'; did you mean 'inference'?",
        ),
    ],
    ids=["apis", "providers"],
)
@pytest.mark.parametrize("command", ["render", "validate"])
def test_unknown_api_names_exit_3(cli: Any, tmp_path: Path, text: str, line: str, command: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    result = cli("config", command, str(path))
    assert result.exit_code == 3
    assert result.stdout == ""
    where, message = line.split(": ", 1)
    assert f"{where}: {message}" in result.stderr or f"{where} ({path}:" in result.stderr
    assert message in result.stderr


def test_no_validate_does_not_check_api_names(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("image_name: t\napis: [inferenc]\nproviders: {}\n")
    assert "inferenc" in ok(cli("config", "render", str(path), "--no-validate")).stdout


def test_missing_variables_error_text(cli: Any, run_file: Path) -> None:
    result = cli("config", "render", str(run_file), "--env", "OLLAMA_URL=http://h")
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {run_file}: missing environment variable(s): OPENAI_API_KEY"
    where = f"providers.inference[0].config.api_token ({run_file}:9)"
    assert lines[1] == f"  {where}: environment variable OPENAI_API_KEY is not set"
    assert lines[-1].startswith("hint: ")
    assert "Traceback" not in result.stderr


def test_json_error_shape(cli: Any, run_file: Path) -> None:
    result = cli("config", "render", str(run_file), "-o", "json")
    assert result.exit_code == 3
    assert result.stdout == ""
    body = json.loads(result.stderr)
    assert set(body) == {"error"}
    assert {"code", "message", "exit_code"} <= set(body["error"])
    assert body["error"]["code"] == "missing_env_var"
    assert body["error"]["exit_code"] == 3
    assert "OPENAI_API_KEY" in body["error"]["message"]


def test_exit_0(cli: Any, run_file: Path) -> None:
    assert cli("config", "render", str(run_file), "--env", "OPENAI_API_KEY=k").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        (),
        ("{file}", "--env", "NOEQUALS"),
        ("{file}", "--distro", "starter"),
        ("{file}", "-o", "xml"),
    ],
)
def test_exit_2_usage(cli: Any, run_file: Path, args: tuple[str, ...]) -> None:
    result = cli("config", "render", *(arg.format(file=run_file) for arg in args))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")


def test_exit_2_usage_json(cli: Any) -> None:
    result = cli("config", "render", "--env", "NOEQUALS", "-", "-o", "json", input=RUN)
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"]["code"] == "usage_error"


def test_exit_3_invalid_yaml(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("image_name: [\n")
    result = cli("config", "render", str(path), "-o", "json")
    assert result.exit_code == 3
    assert json.loads(result.stderr)["error"]["code"] == "invalid_yaml"


def test_exit_3_malformed_env_file(cli: Any, run_file: Path, tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("GOOD=1\nnot an assignment\n")
    result = cli("config", "render", str(run_file), "--env-file", str(env_file))
    assert result.exit_code == 3
    assert f"{env_file}:2" in result.stderr


def test_exit_3_huge_file(cli: Any, tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = cli("config", "render", str(huge))
    assert result.exit_code == 3
    assert f"{huge}: input larger than 10,485,760 bytes" in result.stderr


def test_exit_4_missing_file(cli: Any, tmp_path: Path) -> None:
    result = cli("config", "render", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 4
    assert result.stderr == f"error: {tmp_path / 'absent.yaml'}: no such file\n"


def test_exit_4_missing_env_file(cli: Any, run_file: Path, tmp_path: Path) -> None:
    result = cli("config", "render", str(run_file), "--env-file", str(tmp_path / "absent.env"), "-o", "json")
    assert result.exit_code == 4
    assert json.loads(result.stderr)["error"]["code"] == "file_not_found"


def _explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom")


def test_exit_1_internal_error(cli: Any, run_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stackctl.config.pipeline.render_config", _explode)
    result = cli("config", "render", str(run_file))
    assert result.exit_code == 1
    assert result.stderr.startswith("error: internal error: RuntimeError: boom\n")
    assert "hint: rerun with --debug" in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_1_debug_shows_traceback(cli: Any, run_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("stackctl.config.pipeline.render_config", _explode)
    result = cli("--debug", "config", "render", str(run_file))
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: boom" in result.stderr
    assert "error: internal error" in result.stderr


def test_exit_130_interrupted(cli: Any, run_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("stackctl.config.pipeline.render_config", interrupt)
    result = cli("config", "render", str(run_file))
    assert result.exit_code == 130
    assert result.stderr == "error: interrupted\n"
    json_result = cli("config", "render", str(run_file), "-o", "json")
    assert json.loads(json_result.stderr)["error"] == {
        "code": "interrupted",
        "message": "interrupted",
        "exit_code": 130,
    }


def test_a_malformed_flag_is_reported_before_any_file_is_read(cli: Any, tmp_path: Path) -> None:
    result = cli("config", "render", str(tmp_path / "missing.yaml"), "--env", "NOEQUALS")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --env expects KEY=VALUE")


def test_a_malformed_env_argument_is_named_by_position_never_echoed(cli: Any, tmp_path: Path) -> None:
    result = cli("config", "render", str(tmp_path / "x.yaml"), "--env", "A=1", "--env", "sk-LEAK-noequals")
    assert result.exit_code == 2
    assert "--env #2 has no '='" in result.stderr and "LEAK" not in result.stderr
    empty_key = cli("config", "render", str(tmp_path / "x.yaml"), "--env", "=sk-LEAK-value")
    assert "--env #1 has an empty key" in empty_key.stderr and "LEAK" not in empty_key.stderr
    metadata = cli("conv", "create", "--metadata", "topic")  # no secret: the key that lacks a value is named
    assert metadata.exit_code == 2
    assert "--metadata expects KEY=VALUE, got 'topic'" in metadata.stderr


def test_an_env_file_line_with_a_bad_key_names_the_line_never_echoes_it(
    cli: Any, run_file: Path, tmp_path: Path
) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("GOOD=1\nOPENAI_API_KEY:sk-LEAK=x\n")
    result = cli("config", "render", str(run_file), "--env-file", str(env_file))
    assert result.exit_code == 3
    assert f"{env_file}:2: expected KEY=VALUE, got a key that is not a name" in result.stderr
    assert "sk-LE" not in result.stderr


def test_a_number_that_overflows_stays_the_text(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("image_name: t\nproviders: {}\nextra_value: ${env.BIG}\n")
    result = ok(cli("config", "render", str(path), "--no-validate", "--env", "BIG=1e400", "-o", "json"))
    assert json.loads(result.stdout)["extra_value"] == "1e400"


ALL_AT_ONCE = """\
image_name: many
providers:
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config:
      base_url: ${env.OPENAI_URL}
      api_key: ${env.OPENAI_API_KEY}
      refresh_model: true
models:
- model_id: m1
  provider_id: elsewhere
"""


def test_validate_reports_the_rest_of_the_file_when_variables_are_missing(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(ALL_AT_ONCE)
    result = cli("config", "validate", str(path), "-o", "json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert [(p["path"], p["line"]) for p in report["problems"]] == [
        ("providers.inference[0].config.base_url", 7),  # OPENAI_URL is not set
        ("providers.inference[0].config.refresh_model", 9),  # the schema still checks the rest
        # An unknown key llama-stack ignores does not stop the render: the resources are checked too.
        ("models[0].provider_id", 12),
    ]
    assert "OPENAI_URL is not set" in report["problems"][0]["message"]
    # The secret's variable is only a warning, as in `register`.
    assert any("OPENAI_API_KEY is not set" in w for w in report["warnings"])
    # With the schema satisfied, the resources are checked against the stack's providers too.
    path.write_text(ALL_AT_ONCE.replace("      refresh_model: true\n", ""))
    report = json.loads(cli("config", "validate", str(path), "-o", "json").stdout)
    assert [(p["path"], p["line"]) for p in report["problems"]] == [
        ("providers.inference[0].config.base_url", 7),
        ("models[0].provider_id", 11),
    ]


# --- config upgrade and stack deps ---------------------------------------------------------------------

OLDER_LAYOUT = """\
version: 2
image_name: older
providers:
  vector_io:
  - provider_id: faiss
    provider_type: inline::faiss
    config:
      kvstore: {type: sqlite, db_path: "${env.SQLITE_STORE_DIR:=~/s}/faiss.db"}
  inference:
  - provider_id: openai
    provider_type: remote::openai
    config: {api_key: "${env.OPENAI_API_KEY:=}"}
metadata_store: {type: sqlite, db_path: "${env.SQLITE_STORE_DIR:=~/s}/registry.db"}
models:
- model_id: gpt-4o
  provider_id: openai
vector_dbs:
- vector_db_id: docs
  embedding_model: all-MiniLM-L6-v2
  provider_id: faiss
server: {port: 8321}
"""


def test_upgrade_writes_the_0_3_layout_and_notes_each_change(cli: Any, tmp_path: Path) -> None:
    source, target = tmp_path / "run.yaml", tmp_path / "run-0.3.yaml"
    source.write_text(OLDER_LAYOUT)
    result = cli("config", "upgrade", str(source), "--out", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "config.kvstore -> config.persistence" in result.stderr
    doc = yaml.safe_load(target.read_text())
    assert list(doc) == ["version", "image_name", "providers", "storage", "registered_resources", "server"]
    assert doc["registered_resources"]["vector_stores"] == [
        {"vector_store_id": "docs", "embedding_model": "all-MiniLM-L6-v2", "provider_id": "faiss"}
    ]
    assert doc["providers"]["vector_io"][0]["config"] == {
        "persistence": {"namespace": "vector_io::faiss", "backend": "kv_faiss"}
    }
    assert doc["storage"]["backends"]["kv_default"]["db_path"] == "${env.SQLITE_STORE_DIR:=~/s}/registry.db"
    # The upgraded file validates, with no older names left to warn about, and upgrading it changes nothing.
    validated = cli("config", "validate", str(target))
    assert validated.exit_code == 0, validated.stderr
    assert "older layout" not in validated.stderr
    again = cli("config", "upgrade", str(target))
    assert yaml.safe_load(again.stdout) == doc
    assert "already in the 0.3.x layout" in again.stderr
    assert cli("config", "upgrade", str(source), "--out", str(target)).exit_code == 5  # exists: --force


def test_render_prints_the_layout_it_read(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(OLDER_LAYOUT)
    older = yaml.safe_load(cli("config", "render", str(path)).stdout)
    assert list(older) == list(yaml.safe_load(OLDER_LAYOUT))
    upgraded = tmp_path / "up.yaml"
    upgraded.write_text(cli("config", "upgrade", str(path)).stdout)
    newer = yaml.safe_load(cli("config", "render", str(upgraded)).stdout)
    assert list(newer) == list(yaml.safe_load(upgraded.read_text()))
    assert newer["registered_resources"]["models"] == [{"model_id": "gpt-4o", "provider_id": "openai"}]


def test_stack_deps(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(OLDER_LAYOUT)
    result = cli("stack", "deps", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["faiss-cpu", "chardet", "pypdf"]
    body = json.loads(cli("stack", "deps", "--distro", "starter", "-o", "json").stdout)
    assert "sentence-transformers --no-deps" in body["separately"]
    assert "faiss-cpu" in body["packages"] and len(body["packages"]) == len(set(body["packages"]))
    starter = cli("stack", "deps", "--distro", "starter")
    assert "install separately: pip install sentence-transformers --no-deps" in starter.stderr
    path.write_text(OLDER_LAYOUT.replace("inline::faiss", "inline::faiss-nope"))
    unknown = cli("stack", "deps", str(path))
    assert unknown.exit_code == 3
    assert "providers.vector_io[0]: unknown provider type 'inline::faiss-nope'" in unknown.stderr


def test_register_refuses_a_provider_key_llama_stack_would_ignore(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(OLDER_LAYOUT.replace('api_key: "${env.OPENAI_API_KEY:=}"', "api_kye: x"))
    result = cli("register", str(path))
    assert result.exit_code == 3
    assert "unknown field 'api_kye'; did you mean 'api_key'? (llama-stack ignores it)" in result.stderr
