"""Files stackctl writes, always whole or not at all; and the bound on what it reads.

A target that cannot be written (a directory, a missing parent directory, no permission) is an
`InvalidInputError` naming the path, raised before anything is written; no other OSError escapes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from stackctl.errors import InvalidInputError

# The most stackctl reads from one input (a file, stdin, an env file), checked while reading.
MAX_INPUT_BYTES = 10 * 1024 * 1024
MAX_INPUT_VAR = "STACKCTL_MAX_INPUT_BYTES"
CHUNK = 64 * 1024


def read_bounded(stream: BinaryIO, name: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Everything `stream` holds, read in chunks and refused as soon as it passes `limit` bytes (a device
    such as /dev/zero, or a FIFO, has no size to check first), with exit 3 "input larger than N bytes"."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise InvalidInputError(
                f"{name}: input larger than {limit:,} bytes",
                hint=f"give a smaller input, or raise the cap with {MAX_INPUT_VAR}",
                code="document_too_large",
            )
        chunks.append(chunk)


def check_target(path: Path) -> None:
    """Refuse a target that is a directory, or whose parent is not an existing directory."""
    if path.is_dir():
        raise InvalidInputError(
            f"{path} is a directory",
            hint=f"give a file name, e.g. {path / 'run.yaml'}",
            code="is_a_directory",
        )
    directory = path.parent
    if not directory.is_dir():
        raise InvalidInputError(
            f"cannot write {path}: no such directory {directory}",
            hint="create the directory first",
            code="no_such_directory",
        )


def replace_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never a partial one; a failed write leaves no temporary file.
    """
    check_target(path)
    try:
        import tempfile  # only writers need it; start-up of every command imports this module

        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_error(path: Path, exc: OSError) -> InvalidInputError:
    return InvalidInputError(f"cannot write {path}: {exc.strerror or exc}", code="write_failed")
