"""The Database protocol on both backends: transactions, savepoints, isolation, placeholders, the writers'
lock, migrations under concurrency, locations and their masking."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from stackctl.errors import InvalidInputError
from stackctl.store.database import retrying
from stackctl.store.migrate import applied_names, status
from stackctl.store.open import backend_of, connect, display, open_database
from stackctl.store.postgres.connection import mask_location, translate
from stackctl.store.sqlite.schema import MIGRATIONS


def test_transaction_rolls_back_on_error(db_location: str) -> None:
    with connect(db_location) as db:
        db.execute("CREATE TABLE t (v INTEGER)")
        with pytest.raises(RuntimeError), db.transaction():
            db.execute("INSERT INTO t VALUES (?)", (1,))
            raise RuntimeError("boom")
        assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        assert not db.in_transaction


def test_nested_transaction_is_a_savepoint(db_location: str) -> None:
    with connect(db_location) as db:
        db.execute("CREATE TABLE t (v INTEGER)")
        with db.transaction():
            db.execute("INSERT INTO t VALUES (?)", (1,))
            with pytest.raises(RuntimeError), db.transaction():
                db.execute("INSERT INTO t VALUES (?)", (2,))
                raise RuntimeError("inner")
            with db.transaction():
                db.execute("INSERT INTO t VALUES (?)", (3,))
        assert [r[0] for r in db.execute("SELECT v FROM t ORDER BY v")] == [1, 3]


def test_a_second_connection_sees_only_committed_writes(db_location: str) -> None:
    with connect(db_location) as a, connect(db_location) as b:
        a.execute("CREATE TABLE t (v INTEGER)")
        with a.transaction():
            a.execute("INSERT INTO t VALUES (?)", (1,))
            assert b.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        assert b.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1


def test_portable_sql_keeps_literal_percent_and_question_marks_in_parameters(db_location: str) -> None:
    with open_database(db_location) as db:
        with db.transaction():
            db.execute(
                "INSERT INTO stacks (name, source, created_at, updated_at) VALUES (?, ?, ?, ?)",
                ("100% sure?", "a?b%c", 1, 2),
            )
        row = db.execute("SELECT name, source FROM stacks WHERE name LIKE '100%'").fetchone()
        assert tuple(row) == ("100% sure?", "a?b%c")
        assert (
            db.execute("SELECT name FROM stacks WHERE source = ?", ("a?b%c",)).fetchone()[0] == "100% sure?"
        )


def test_text_sorts_by_code_point_on_both_backends(db_location: str) -> None:
    names = ["b", "B", "a", "_x", "Z", "é"]
    with open_database(db_location) as db:
        with db.transaction():
            db.executemany(
                "INSERT INTO stacks (name, source, created_at, updated_at) VALUES (?, NULL, 1, 1)",
                [(n,) for n in names],
            )
        got = [r[0] for r in db.execute("SELECT name FROM stacks ORDER BY name")]
    assert got == sorted(names)


def test_writers_queue_on_the_lock_so_sequences_commit_in_order(db_location: str) -> None:
    """The second writer cannot take a seq until the first has committed: seq order is commit order."""
    with open_database(db_location) as first, open_database(db_location) as second:
        entered = threading.Event()
        seqs: dict[str, int] = {}

        def slow_writer() -> None:
            with first.transaction():
                first.execute(
                    "INSERT INTO conversations (id, created_at, metadata) VALUES ('conv_a', 1, '{}')"
                )
                entered.set()
                time.sleep(0.3)
            seqs["a"] = first.execute("SELECT seq FROM conversations WHERE id = 'conv_a'").fetchone()[0]

        thread = threading.Thread(target=slow_writer)
        thread.start()
        entered.wait(5)
        began = time.monotonic()
        with second.transaction():
            second.execute("INSERT INTO conversations (id, created_at, metadata) VALUES ('conv_b', 1, '{}')")
        waited = time.monotonic() - began
        thread.join()
        seqs["b"] = second.execute("SELECT seq FROM conversations WHERE id = 'conv_b'").fetchone()[0]
    assert waited > 0.15
    assert seqs["a"] < seqs["b"]


def test_retrying_repeats_a_retryable_failure_and_gives_up_on_others(db_location: str) -> None:
    with open_database(db_location) as db:
        attempts: list[int] = []
        if db.backend == "postgresql":
            import psycopg

            retryable: Exception = psycopg.errors.SerializationFailure("conflict")
        else:
            retryable = RuntimeError("not retryable on sqlite")

        def work() -> str:
            attempts.append(1)
            db.execute(
                "INSERT INTO stacks (name, source, created_at, updated_at) VALUES (?, NULL, 1, 1)",
                (f"s{len(attempts)}",),
            )
            if len(attempts) < 3:
                raise retryable
            return "done"

        if db.backend == "postgresql":
            assert retrying(db, work, sleep=lambda _: None) == "done"
            assert [r[0] for r in db.execute("SELECT name FROM stacks")] == ["s3"]  # failed attempts undone
        else:
            with pytest.raises(RuntimeError):
                retrying(db, work, sleep=lambda _: None)
            assert len(attempts) == 1
            assert db.execute("SELECT COUNT(*) FROM stacks").fetchone()[0] == 0


def test_ten_processes_starting_together_migrate_once(db_location: str) -> None:
    code = "import sys; from stackctl.store.open import open_database; open_database(sys.argv[1]).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_location], stderr=subprocess.PIPE) for _ in range(10)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, errors
    with connect(db_location) as db:
        assert applied_names(db) == [m.name for m in MIGRATIONS]
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_status_names_the_backend_and_masks_the_password(db_location: str) -> None:
    with open_database(db_location) as db:
        report = status(db)
    assert report.backend == backend_of(db_location)
    assert report.pending == []
    assert set(report.tables) >= {"conversations", "conversation_items", "stacks", "responses"}


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("postgresql://me:s3cret@db.internal:5432/team", "postgresql://me:********@db.internal:5432/team"),
        ("postgres://me@db/team?sslmode=require", "postgres://me@db/team?sslmode=require"),
        (
            "postgresql://db/team?password=s3cret&sslmode=require",
            "postgresql://db/team?password=********&sslmode=require",
        ),
        ("postgresql://me:p%40ss@[::1]:6432/team", "postgresql://me:********@[::1]:6432/team"),
    ],
)
def test_a_postgresql_password_is_never_shown(location: str, shown: str) -> None:
    assert mask_location(location) == shown
    assert display(location) == shown
    assert "s3cret" not in display(location)


@pytest.mark.parametrize(
    ("location", "backend"),
    [
        ("x.db", "sqlite"),
        ("sqlite:///tmp/x.db", "sqlite"),
        ("postgresql://h/d", "postgresql"),
        ("POSTGRES://h/d", "postgresql"),
    ],
)
def test_the_scheme_picks_the_backend(location: str, backend: str) -> None:
    assert backend_of(location) == backend


def test_an_unknown_scheme_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="mysql://"):
        backend_of("mysql://h/d")


def test_placeholders_translate_once_and_literal_percent_doubles() -> None:
    assert translate("SELECT ? WHERE a LIKE 'x%'") == "SELECT %s WHERE a LIKE 'x%%'"


def test_an_unreachable_server_is_invalid_input_with_the_password_masked() -> None:
    with pytest.raises(InvalidInputError) as caught:
        connect("postgresql://me:s3cret@127.0.0.1:1/nothing?connect_timeout=2")
    assert caught.value.exit_code == 3
    assert "s3cret" not in caught.value.message
    assert "********" in caught.value.message


def test_without_psycopg_a_postgresql_location_asks_for_the_extra(tmp_path: Path) -> None:
    """psycopg hidden from a fresh interpreter: exit 3 and the pip command to run."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('psycopg', 'psycopg_pool'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(blocker), "STACKCTL_DB": "postgresql://me@127.0.0.1:1/x"}
    result = subprocess.run(
        [sys.executable, "-m", "stackctl", "db", "status"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert "pip install 'stackctl[postgres]'" in result.stderr


def test_a_pooled_postgresql_handle_holds_a_connection_only_for_a_statement_or_a_transaction(
    pg_location: str,
) -> None:
    """A server's handles share a pool of ONE connection: neither keeps it between statements, a
    transaction keeps it to its commit (the writers' lock taken first, savepoints nested), and a result
    reads whole after the connection went back."""
    from stackctl.store.postgres.connection import PostgresPool

    open_database(pg_location).close()
    pool = PostgresPool(pg_location, size=1)
    try:
        a, b = pool.acquire(), pool.acquire()  # both open at once: with one connection, neither may hold it
        rows = a.execute("SELECT v FROM generate_series(1, 3) AS v")
        b.execute("CREATE TABLE t (v INTEGER)")  # would wait for the connection if `a` kept it
        assert rows.fetchone() == (1,)
        assert [row[0] for row in rows] == [2, 3]
        with a.transaction():
            assert a.in_transaction
            a.execute("INSERT INTO t VALUES (?)", (1,))
            with pytest.raises(RuntimeError), a.transaction():
                a.execute("INSERT INTO t VALUES (?)", (2,))
                raise RuntimeError("inner")
            locks = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            assert a.execute(locks).fetchone()[0] == 1  # the writers' lock, on the transaction's connection
        assert not a.in_transaction
        with pytest.raises(RuntimeError), b.transaction():
            b.execute("INSERT INTO t VALUES (?)", (3,))
            raise RuntimeError("boom")
        assert [row[0] for row in b.execute("SELECT v FROM t ORDER BY v")] == [1]
        assert a.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0] == 0
        assert a.tables() == b.tables()
        assert "t" in a.tables()
        a.close()
        b.close()
    finally:
        pool.close()
