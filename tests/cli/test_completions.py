"""The shipped completion scripts are exactly what the current CLI generates."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from stackctl.cli.completions import GENERATORS, SHELLS

COMPLETIONS = Path(__file__).resolve().parents[2] / "completions"


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_completion_script_is_up_to_date(shell: str) -> None:
    shipped = (COMPLETIONS / SHELLS[shell]).read_text()
    assert shipped == GENERATORS[shell](), (
        f"completions/{SHELLS[shell]} is out of date: run `python -m stackctl.cli.completions completions`"
    )


def test_every_command_group_is_completed() -> None:
    import typer

    from stackctl.cli.main import app

    script = GENERATORS["bash"]()
    for name in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert f'"|{name}") cmdpath="{name}"' in script


def test_bash_script_completes_nested_groups() -> None:
    import subprocess

    script = COMPLETIONS / SHELLS["bash"]
    probe = (
        f"source {script}; COMP_WORDS=(stackctl conv items ''); COMP_CWORD=3; _stackctl; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert {"create", "list", "get", "delete"} <= set(out)
    assert "render" not in out


STACKCTL_BIN = Path(sys.executable).parent


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_completion_command_prints_the_shipped_script(cli, shell: str) -> None:
    result = cli("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (COMPLETIONS / SHELLS[shell]).read_text()


def test_completion_of_an_unknown_shell_is_exit_2(cli) -> None:
    result = cli("completion", "tcsh")
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'." in result.stderr


def _bash_complete(words: list[str], db: Path) -> list[str]:
    script = COMPLETIONS / SHELLS["bash"]
    quoted = " ".join(shlex.quote(w) for w in ["stackctl", *words])
    probe = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words)}; _stackctl; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = {"PATH": f"{STACKCTL_BIN}:/usr/bin:/bin", "STACKCTL_DB": str(db), "NO_COLOR": "1"}
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True, env=env)
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture
def filled(cli, tmp_path: Path) -> tuple[Path, str]:
    import json
    import os

    run = tmp_path / "run.yaml"
    run.write_text(
        "image_name: compl\nproviders:\n  inference:\n"
        "  - provider_id: vllm\n    provider_type: remote::vllm\n"
        "    config:\n      url: http://127.0.0.1:9/v1\nmodels:\n- model_id: m1\n  provider_id: vllm\n"
    )
    assert cli("register", str(run)).exit_code == 0
    conv = json.loads(cli("conv", "create", "-o", "json").stdout)["id"]
    return Path(os.environ["STACKCTL_DB"]), conv


@pytest.mark.parametrize(
    ("words", "expected", "absent"),
    [
        (["conv", "list", "-o", ""], {"table", "wide", "json", "yaml"}, set()),
        (["config", "render", "--output", ""], {"yaml", "json"}, {"table"}),
        (["conv", "list", "--order", "d"], {"desc"}, {"asc"}),
        (["distro", "show", ""], {"starter", "ollama"}, set()),
        (["config", "render", "--distro", "st"], {"starter"}, {"ollama"}),
        (["providers", "list", "--api", "inf"], {"inference"}, set()),
        (["providers", "show", "remote"], {"remote::vllm", "remote::openai"}, {"inline::faiss"}),
        (["models", "list", "--stack", ""], {"compl"}, set()),
        (["stacks", "delete", ""], {"compl"}, set()),
        (["models", "get", ""], {"vllm/m1"}, set()),
        (["responses", "create", "--model", ""], {"vllm/m1"}, set()),
        (["conv", "get", ""], {"CONV"}, set()),
        (["responses", "create", "--conversation", ""], {"CONV"}, set()),
        (["conv", "items", "list", ""], {"CONV"}, set()),
    ],
)
def test_bash_completes_values(filled: tuple[Path, str], words, expected, absent) -> None:
    db, conv = filled
    got = set(_bash_complete(words, db))
    want = {conv if value == "CONV" else value for value in expected}
    assert want <= got, got
    assert not (absent & got)


def test_value_completion_reads_no_database_into_existence(tmp_path: Path, cli) -> None:
    missing = tmp_path / "none.db"
    assert _bash_complete(["conv", "get", ""], missing) == []
    assert not missing.exists()
    result = cli("__complete", "nonsense")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


@pytest.mark.parametrize(("shell", "check"), [("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])])
def test_other_shells_parse_their_scripts(shell: str, check: list[str]) -> None:
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed")
    subprocess.run([*check, str(COMPLETIONS / SHELLS[shell])], check=True, capture_output=True)
