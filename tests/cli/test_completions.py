"""The shipped completion scripts are exactly what the current CLI generates."""

from __future__ import annotations

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
