"""`stackctl adhoc SPEC...`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml


def test_missing_agent_dependencies_are_named(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("adhoc", "inference=fireworks,safety=llama-guard,agents=meta-reference")
    assert result.exit_code == 3
    assert result.stdout == ""
    for api in ("vector_io", "tool_runtime"):
        assert f"needs API '{api}'" in result.stderr
    assert "meta-reference" in result.stderr


def test_complete_spec_validates(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = "inference=fireworks,safety=llama-guard,agents=meta-reference"
    result = cli("adhoc", spec, "vector_io=faiss; tool_runtime=rag-runtime", "files=localfs")
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["image_name"] == "adhoc-fireworks-llama-guard-meta-reference-faiss-rag-runtime-localfs"
    assert "FIREWORKS_API_KEY" in result.stderr
    path = tmp_path / "run.yaml"
    path.write_text(result.stdout)
    assert cli("config", "validate", str(path)).exit_code == 0


def test_out_writes_file_and_refuses_overwrite(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "run.yaml"
    first = cli("adhoc", "inference=tgi", "--name", "tgi-stack", "--out", str(target))
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""
    assert "required environment variables: TGI_URL" in first.stderr
    assert yaml.safe_load(target.read_text())["image_name"] == "tgi-stack"
    assert cli("config", "validate", str(target)).exit_code == 3  # TGI_URL unset
    assert cli("config", "validate", str(target), "--env", "TGI_URL=http://tgi:8080").exit_code == 0
    again = cli("adhoc", "inference=ollama", "--out", str(target))
    assert again.exit_code == 5
    assert yaml.safe_load(target.read_text())["image_name"] == "tgi-stack"
    assert cli("adhoc", "inference=ollama", "--out", str(target), "--force").exit_code == 0
    assert yaml.safe_load(target.read_text())["image_name"] == "adhoc-ollama"


def test_json_output_and_distinct_ids(cli, isolated_env: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("adhoc", "inference=ollama,inference=openai", "inference = ollama", "-o", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [p["provider_id"] for p in doc["providers"]["inference"]] == ["ollama", "openai", "ollama-2"]
    store_dir = f"${{env.SQLITE_STORE_DIR:={isolated_env / 'data' / 'adhoc' / 'adhoc-ollama-openai'}}}"
    assert doc["storage"]["backends"] == {
        "kv_default": {"type": "kv_sqlite", "db_path": f"{store_dir}/kvstore.db"},
        "sql_default": {"type": "sql_sqlite", "db_path": f"{store_dir}/sql_store.db"},
    }
    assert doc["storage"]["stores"]["metadata"] == {"namespace": "registry", "backend": "kv_default"}
    assert set(doc["registered_resources"]) == {
        "models", "shields", "vector_stores", "datasets", "scoring_fns", "benchmarks", "tool_groups",
    }  # fmt: skip
    assert "metadata_store" not in doc and "models" not in doc
    assert doc["providers"]["inference"][1]["config"]["api_key"] == "${env.OPENAI_API_KEY:=}"


def test_paths_under_home_are_written_with_a_tilde(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home" / "author"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("STACKCTL_DATA_DIR", str(home / ".local" / "share" / "stackctl"))
    result = cli("adhoc", "inference=ollama,vector_io=sqlite-vec")
    assert result.exit_code == 0, result.stderr
    assert str(home) not in result.stdout
    doc = yaml.safe_load(result.stdout)
    assert doc["storage"]["backends"]["kv_default"]["db_path"] == (
        "${env.SQLITE_STORE_DIR:=~/.local/share/stackctl/adhoc/adhoc-ollama-sqlite-vec}/kvstore.db"
    )
    assert doc["providers"]["vector_io"][0]["config"]["db_path"].startswith("${env.SQLITE_STORE_DIR:=~/")


def test_secrets_in_env_are_never_resolved(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("adhoc", "inference=openai", env={"OPENAI_API_KEY": "sk-secret"})
    assert result.exit_code == 0
    assert "sk-secret" not in result.stdout


def test_errors(cli) -> None:  # type: ignore[no-untyped-def]
    unknown = cli("adhoc", "inference=fireworx")
    assert unknown.exit_code == 3
    assert "did you mean 'remote::fireworks'" in unknown.stderr
    assert cli("adhoc", "inferenc=ollama").exit_code == 3
    assert cli("adhoc", "inference").exit_code == 2
    assert cli("adhoc", "inference=ollama,").exit_code == 2
    bad_key = cli("adhoc", "inference=ollama?urll=http://x")
    assert bad_key.exit_code == 3
    assert "did you mean 'url'" in bad_key.stderr
    assert cli("adhoc", "models=ollama").exit_code == 3
    assert cli("adhoc", "inference=ollama", "--name", "../up").exit_code == 3
    as_json = cli("adhoc", "inference=nope", "-o", "json")
    assert json.loads(as_json.stderr)["error"]["exit_code"] == 3


def test_name_with_trailing_newline_is_rejected(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("adhoc", "inference=ollama", "--name", "x\n")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "invalid stack name" in result.stderr


def test_out_into_a_missing_directory_is_invalid(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("adhoc", "inference=ollama", "--out", str(tmp_path / "nowhere" / "run.yaml"))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "no such directory" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_out_onto_a_directory_is_invalid_even_with_force(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for extra in ((), ("--force",)):
        result = cli("adhoc", "inference=ollama", "--out", str(tmp_path), *extra)
        assert result.exit_code == 3, result.stderr
        assert "is a directory" in result.stderr
        assert list(tmp_path.iterdir()) == []


def test_out_dash_means_stdout(cli, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = cli("adhoc", "inference=ollama", "--out", "-")
    assert result.exit_code == 0, result.stderr
    assert yaml.safe_load(result.stdout)["image_name"] == "adhoc-ollama"
    assert "wrote" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_overrides_that_would_not_validate_are_exit_3(cli) -> None:  # type: ignore[no-untyped-def]
    for spec, named in [
        ("inference=ollama?url=${env.foo}", "url=${env.foo}"),
        ("inference=ollama?refresh_models=maybe", "refresh_models=maybe"),
        ("inference=openai?api_key=sk-123${env.X:+}", "api_key"),
        ("inference=openai?api_key=${env.K:=sk-live-abc}", "api_key"),
    ]:
        result = cli("adhoc", spec)
        assert result.exit_code == 3, spec
        assert result.stdout == ""
        assert named in result.stderr
        assert "sk-123" not in result.stderr.replace(spec, "")


def test_output_with_overrides_validates(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "run.yaml"
    spec = "inference=ollama?refresh_models=${env.R:=false}&url=${env.OLLAMA_HOST}"
    result = cli("adhoc", spec, "inference=openai?api_key=${env.MY_KEY:=}", "--out", str(target))
    assert result.exit_code == 0, result.stderr
    validated = cli(
        "config", "validate", str(target), "--env", "OLLAMA_HOST=http://o:11434", "--env", "R=true"
    )
    assert validated.exit_code == 0, validated.stderr


def test_a_literal_url_password_in_an_override_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "run.yaml"
    for url in ("http://u:hunter2LEAK@127.0.0.1/v1", "https://ghp_tokLEAK0123456789@127.0.0.1/v1"):
        result = cli("adhoc", f"inference=openai?base_url={url}", "--out", str(target))
        assert result.exit_code == 3
        assert "'base_url' of remote::openai" in result.stderr
        assert "LEAK" not in result.stderr + result.stdout
        assert (
            json.loads(cli("adhoc", f"inference=openai?base_url={url}", "-o", "json").stderr)["error"]["code"]
            == "literal_secret"
        )
        assert not target.exists()
    referenced = cli("adhoc", "inference=openai?base_url=http://u:${env.PROXY_PW}@127.0.0.1/v1")
    assert referenced.exit_code == 0, referenced.stderr
