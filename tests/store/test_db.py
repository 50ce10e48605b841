from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from stackctl.errors import InvalidInputError
from stackctl.store.open import open_database
from stackctl.store.sqlite.connection import connect, resolve_path


def test_new_database_is_private_and_parents_are_created(tmp_path):
    path = tmp_path / "a" / "b" / "stackctl.db"
    with open_database(str(path)):
        pass
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_existing_file_mode_is_left_alone(tmp_path):
    path = tmp_path / "stackctl.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    with open_database(str(path)):
        pass
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_pragmas(tmp_path):
    with open_database(str(tmp_path / "x.db")) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_transaction_rolls_back_on_error(tmp_path):
    with connect(str(tmp_path / "x.db")) as db:
        db.execute("CREATE TABLE t (v INTEGER)")
        with pytest.raises(RuntimeError), db.transaction():
            db.execute("INSERT INTO t VALUES (1)")
            raise RuntimeError("boom")
        assert db.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        assert not db.in_transaction


def test_nested_transaction_is_a_savepoint(tmp_path):
    with connect(str(tmp_path / "x.db")) as db:
        db.execute("CREATE TABLE t (v INTEGER)")
        with db.transaction():
            db.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(RuntimeError), db.transaction():
                db.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("inner")
            with db.transaction():
                db.execute("INSERT INTO t VALUES (3)")
        assert [r[0] for r in db.execute("SELECT v FROM t ORDER BY v")] == [1, 3]


def test_a_second_connection_sees_only_committed_writes(tmp_path):
    path = str(tmp_path / "x.db")
    with connect(path) as a, connect(path) as b:
        a.execute("CREATE TABLE t (v INTEGER)")
        with a.transaction():
            a.execute("INSERT INTO t VALUES (1)")
            assert b.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0
        assert b.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 1


def test_sqlite_url_is_a_path(tmp_path):
    assert resolve_path(f"sqlite:///{tmp_path}/x.db") == tmp_path / "x.db"


@pytest.mark.parametrize("content", [b"hello, this is text\n", bytes(range(256)) * 4])
def test_a_file_that_is_not_sqlite_is_invalid_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(InvalidInputError) as caught:
        open_database(str(path))
    assert caught.value.exit_code == 3
    assert "not a stackctl database" in caught.value.message
    assert path.read_bytes() == content


def test_without_create_a_missing_database_stays_missing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "absent.db"
    with open_database(str(path), create=False) as db:
        assert db.execute("SELECT count(*) FROM stacks").fetchone() == (0,)
        assert db.path == path
    assert not path.parent.exists()
