"""Shared fixtures: an isolated environment for every test, and a CLI runner that goes through the
real error boundary (`stackctl.cli.main.run`) with stdout and stderr kept apart."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own database and data dir, and no STACKCTL_* variable leaks in (except the one
    that names the PostgreSQL test server, see tests/pg.py)."""
    for name in list(os.environ):
        if name.startswith("STACKCTL_") and name != "STACKCTL_TEST_PG_URL":
            monkeypatch.delenv(name)
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("STACKCTL_DB", str(state / "stackctl.db"))
    monkeypatch.setenv("STACKCTL_DATA_DIR", str(state / "data"))
    monkeypatch.setenv("NO_COLOR", "1")
    yield state


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        return self.run(list(args), input=input, env=env)

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        from typer.testing import CliRunner

        from stackctl.cli.main import run

        runner = CliRunner()
        with runner.isolation(input=input, env=dict(env or {})) as streams:
            code = run(list(argv))
            sys.stdout.flush()
            sys.stderr.flush()
            out = streams[0].getvalue().decode()
            err = streams[1].getvalue().decode()
        return Result(code, out, err)


@pytest.fixture
def cli() -> Cli:
    """Run the CLI in-process: `cli("config", "render", path)` returns exit code, stdout, stderr."""
    return Cli()


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A location of a new, empty database, once per backend: a SQLite file, then a PostgreSQL schema.

    `STACKCTL_DB` points at it too, so that CLI calls in the test use the same database."""
    if request.param == "sqlite":
        location = str(tmp_path / "stackctl.db")
    else:
        location = str(request.getfixturevalue("pg_location"))
    request.getfixturevalue("monkeypatch").setenv("STACKCTL_DB", location)
    return location


# The fake OpenAI-compatible provider (tests/fakes), available to every test as `fake_openai`;
# PostgreSQL test databases (tests/pg), as `pg_location`.
from tests.fakes import fake_openai  # noqa: E402, F401
from tests.pg import pg_location, pg_server  # noqa: E402, F401
