"""The registry's hard guarantees, through the installed console script in real processes: concurrent
registrations all succeed, and a registration killed half-way leaves the database as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.store import run_config
from tests.runconfigs import dump_tables, full_config, write_config

STACKCTL = str(Path(sys.executable).parent / "stackctl")


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "STACKCTL_DB": str(db), "FIREWORKS_API_KEY": "sk-test"}


def test_eight_concurrent_registrations(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    configs = [write_config(tmp_path, full_config(tmp_path, f"stack-{n}"), f"run-{n}.yaml") for n in range(8)]
    procs = [
        subprocess.Popen(
            [STACKCTL, "register", str(c)], env=_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for c in configs
    ]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]  # type: ignore[union-attr]
    for code, stderr in results:
        assert code == 0, stderr
        assert "locked" not in stderr
    tables = dump_tables(db)
    assert sorted(row[0] for row in tables["stacks"]) == [f"stack-{n}" for n in range(8)]
    assert len(tables["resources"]) == 8 * 9
    assert len(tables["stack_providers"]) == 8 * 10


def test_killed_registration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    small = write_config(tmp_path, full_config(tmp_path, "big"), "small.yaml")
    assert (
        subprocess.run([STACKCTL, "register", str(small)], env=_env(db), capture_output=True).returncode == 0
    )
    before = dump_tables(db)
    big = write_config(
        tmp_path, run_config(20_000).replace("image_name: bench", "image_name: big"), "big.yaml"
    )
    wal = Path(f"{db}-wal")
    proc = subprocess.Popen(
        [STACKCTL, "register", str(big), "--prune"],
        env=_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    # Pages spill into the WAL while the transaction is still open; kill once that has begun.
    while not (wal.exists() and wal.stat().st_size > 256 * 1024):
        assert proc.poll() is None, "the registration finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert dump_tables(db) == before
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
