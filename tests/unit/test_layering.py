"""The floor plan's layering is enforced: `lint-imports` passes on the tree and catches a violation."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its contracts, to break on purpose."""
    shutil.copytree(ROOT / "stackctl", tmp_path / "stackctl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_domain_module_importing_the_cli_is_caught(tree: Path) -> None:
    module = tree / "stackctl" / "config" / "docpath.py"
    module.write_text(module.read_text() + "\nfrom stackctl.cli import output  # noqa: E402\n")
    result = lint(tree)
    assert result.returncode != 0
    assert "Layers point down" in result.stdout and "BROKEN" in result.stdout
    assert "stackctl.config.docpath -> stackctl.cli.output" in result.stdout


def test_a_front_end_importing_a_repository_is_caught(tree: Path) -> None:
    module = tree / "stackctl" / "cli" / "stacks.py"
    module.write_text(module.read_text() + "\nfrom stackctl.store import registry  # noqa: E402\n")
    result = lint(tree)
    assert result.returncode != 0
    assert "Front ends call the domain" in result.stdout and "BROKEN" in result.stdout
    assert "stackctl.cli.stacks -> stackctl.store.registry" in result.stdout


def test_the_store_importing_the_domain_is_caught(tree: Path) -> None:
    module = tree / "stackctl" / "store" / "registry.py"
    module.write_text(module.read_text() + "\nimport stackctl.registry.records  # noqa: E402\n")
    result = lint(tree)
    assert result.returncode != 0
    assert "stackctl.store.registry -> stackctl.registry.records" in result.stdout
