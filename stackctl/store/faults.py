"""Storage faults after a database is open, classified into what a user can do about each.

SQLite reports them as `sqlite3.OperationalError`/`DatabaseError` from any statement: a write lock held by
another writer past the busy timeout, a full disk, a read-only file, corrupt pages. Unclassified they were
"internal error" (exit 1, HTTP 500) with tracebacks. `classify` turns each into a `StackctlError`:

- busy (locked past the busy timeout): `DatabaseBusyError`, exit 5, HTTP 503 with `Retry-After`,
  "database is busy"; retrying later is the remedy;
- disk full, read-only, corrupt, not a database, an I/O error: `StorageFaultError`, exit 3, HTTP 503, naming
  the file and the cause; someone has to fix the file or the disk.

The transaction in progress is rolled back by SQLite in every case: integrity is unchanged. PostgreSQL's
faults (psycopg errors: lock timeout, serialization failure, refused connection, failed authentication,
disk full, read-only, corrupt) are classified the same way by
`stackctl.store.postgres.connection.classify_error`, the location's password masked.
"""

from __future__ import annotations

import sqlite3
import sys

from stackctl.errors import ConflictError, InvalidInputError, StackctlError

BUSY_HINT = "another process holds the database's write lock; retry shortly"


class DatabaseBusyError(ConflictError):
    code = "database_busy"


class StorageFaultError(InvalidInputError):
    code = "storage_fault"


_CAUSES = (
    ("SQLITE_FULL", "database or disk is full", "the disk is full"),
    ("SQLITE_READONLY", "readonly database", "the file is read-only"),
    ("SQLITE_CORRUPT", "malformed", "the file is corrupt"),
    ("SQLITE_NOTADB", "not a database", "the file is not a SQLite database"),
    ("SQLITE_IOERR", "disk I/O error", "an I/O error"),
    ("SQLITE_CANTOPEN", "unable to open", "the file cannot be opened"),
    # Another program wrote bytes that are not UTF-8 into a text column: no stackctl write can.
    ("", "Could not decode to UTF-8", "a row holds text that is not UTF-8 (written by another program)"),
)


def classify(exc: BaseException, location: str) -> StackctlError | None:
    """The user-facing error for a storage fault of the database at `location`; None if `exc` is not one."""
    if not isinstance(exc, sqlite3.Error):
        if "psycopg" not in sys.modules:  # no PostgreSQL database was opened: none of its faults
            return None

        from stackctl.store.postgres.connection import classify_error

        return classify_error(exc, location)
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    text = str(exc)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return DatabaseBusyError(
            f"database is busy: {location} stayed locked past the busy timeout", hint=BUSY_HINT
        )
    for prefix, words, cause in _CAUSES:
        if (prefix and name.startswith(prefix)) or words in text:
            return StorageFaultError(f"database {location}: {cause} ({text})")
    return None


def fault_types(location: str) -> tuple[type[Exception], ...]:
    """The exception types a database at `location` raises for its faults (for a server's handlers)."""
    from stackctl.store.open import backend_of

    if backend_of(location) == "postgresql":
        from stackctl.store.postgres.connection import error_type

        return (sqlite3.Error, error_type())
    return (sqlite3.Error,)
