"""Start-up cost: the common commands must not import modules they do not use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import FakeOpenAI

HEAVY = ("httpx", "rich.table", "rich.console", "fastapi", "uvicorn", "starlette", "openai")

PROBE = """
import json, sys
from stackctl.cli.main import run
code = run(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
sys.exit(code)
"""


def modules_loaded(args: list[str], env_db: Path) -> tuple[int, set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"STACKCTL_DB": str(env_db), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    marker = proc.stderr.rsplit("MODULES ", 1)
    return proc.returncode, set(json.loads(marker[1])), proc.stdout


@pytest.fixture
def conversation(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "lazy.db"
    code, _, out = modules_loaded(["conv", "create", "--message", "user:hi", "-o", "json"], db)
    assert code == 0
    return db, json.loads(out)["id"]


@pytest.fixture
def run_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        "image_name: lazy\nproviders:\n  inference:\n  - provider_id: vllm\n    provider_type: remote::vllm\n"
        "    config:\n      url: ${env.VLLM_URL:=http://127.0.0.1:8000/v1}\n"
    )
    return path


def test_common_commands_skip_heavy_modules(conversation: tuple[Path, str], run_file: Path) -> None:
    db, conv_id = conversation
    commands = [
        ["--version"],
        ["--help"],
        ["conv", "get", conv_id],
        ["conv", "items", "list", conv_id, "-o", "json"],
        ["config", "render", str(run_file)],
    ]
    for args in commands:
        code, loaded, _ = modules_loaded(args, db)
        assert code == 0, args
        heavy = sorted(m for m in HEAVY if m in loaded)
        assert heavy == [], f"stackctl {' '.join(args)} imported {heavy}"


def test_version_does_not_import_pydantic_or_yaml(tmp_path: Path) -> None:
    code, loaded, out = modules_loaded(["--version"], tmp_path / "v.db")
    assert code == 0 and out.startswith("stackctl ")
    assert "pydantic" not in loaded
    assert "yaml" not in loaded
    assert "sqlite3" not in loaded


def test_help_does_not_import_pydantic_or_yaml(tmp_path: Path) -> None:
    code, loaded, out = modules_loaded(["--help"], tmp_path / "h.db")
    assert code == 0 and "Commands:" in out
    assert "pydantic" not in loaded
    assert "yaml" not in loaded


def test_a_command_builds_only_its_own_group(conversation: tuple[Path, str]) -> None:
    db, conv_id = conversation
    code, loaded, _ = modules_loaded(["--version"], db)
    assert code == 0
    cli_modules = sorted(m for m in loaded if m.startswith("stackctl.cli."))
    assert cli_modules == ["stackctl.cli.coercion", "stackctl.cli.main"]
    code, loaded, _ = modules_loaded(["conv", "items", "list", conv_id, "-o", "json"], db)
    assert code == 0
    others = ("registry", "providers", "distro", "adhoc", "serve", "config")
    # Nor the parts of other commands, or of a failed run, that live in modules of their own.
    others += ("failures", "response_stream", "server_options", "completion_values", "completions")
    assert [m for m in others if f"stackctl.cli.{m}" in loaded] == []


def test_items_list_reads_wire_json_without_pydantic(conversation: tuple[Path, str]) -> None:
    db, conv_id = conversation
    for output in ("json", "table"):
        code, loaded, out = modules_loaded(["conv", "items", "list", conv_id, "--all", "-o", output], db)
        assert code == 0 and "hi" in out
        assert "pydantic" not in loaded
        assert "yaml" not in loaded
        assert "psycopg" not in loaded  # a SQLite database never loads the PostgreSQL driver


def test_conv_get_reads_the_stored_row_without_pydantic(conversation: tuple[Path, str]) -> None:
    db, conv_id = conversation
    for output in ("json", "table"):
        code, loaded, out = modules_loaded(["conv", "get", conv_id, "-o", output], db)
        assert code == 0 and conv_id in out
        assert "pydantic" not in loaded
        assert "yaml" not in loaded
        assert "psycopg" not in loaded  # a SQLite database never loads the PostgreSQL driver


def test_render_of_a_shipped_distro_validates_without_pydantic(run_file: Path, tmp_path: Path) -> None:
    for args in (["config", "render", "--distro", "starter"], ["config", "validate", str(run_file)]):
        code, loaded, out = modules_loaded(args, tmp_path / "r.db")
        assert code == 0 and out
        assert "pydantic" not in loaded, args


def test_a_value_that_needs_coercion_is_validated_by_pydantic(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("image_name: lazy\nproviders: {}\nserver:\n  port: '8321'\n")
    code, loaded, out = modules_loaded(["config", "render", str(path), "-o", "json"], tmp_path / "r.db")
    assert code == 0
    # Validated as an int by pydantic; printed as written (a literal YAML string is never coerced).
    assert json.loads(out)["server"] == {"port": "8321"}
    assert "pydantic" in loaded


def test_responses_create_skips_httpx_cli_and_rich(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    db = tmp_path / "responses.db"
    path = tmp_path / "run.yaml"
    path.write_text(
        "image_name: lazy\nproviders:\n  inference:\n  - provider_id: vllm\n    provider_type: remote::vllm\n"
        f"    config:\n      url: {fake_openai.base_url}\n"
        "models:\n- model_id: fake-model\n  provider_id: vllm\n  provider_model_id: fake-model\n"
    )
    code, _, _ = modules_loaded(["register", str(path)], db)
    assert code == 0
    for output, stream in (("json", []), ("yaml", []), ("table", ["--stream"])):
        # stderr is a pipe here: no spinner, so rich stays unloaded whether streamed or not
        args = ["responses", "create", "--model", "fake-model", "--input", "hi", *stream, "-o", output]
        code, loaded, out = modules_loaded(args, db)
        assert code == 0 and "echo: hi" in out
        # httpx's own CLI (click, rich, pygments), rich and the server. (No CA bundle is loaded for an
        # http:// provider either: tests/unit/test_call_limits.py counts the certificates.)
        unused = ("httpx._main", "click", "pygments", "rich", "fastapi", "uvicorn", "starlette")
        assert sorted(m for m in unused if m in loaded) == []
        # Nor the server, the PostgreSQL driver on a SQLite database, or the config checks of `register`;
        # YAML only to print YAML.
        unused = ("stackctl.server", "psycopg", "psycopg_pool", "stackctl.registry.checks")
        assert sorted(m for m in unused if m in loaded) == []
        assert ("yaml" in loaded) == (output == "yaml")
