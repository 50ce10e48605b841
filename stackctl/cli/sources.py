"""Reading inputs named on the command line: a file path, or `-` for stdin; `@path` JSON arguments."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from stackctl.config.yamlio import MAX_BYTES
from stackctl.errors import InvalidInputError, NotFoundError


def read_source(name: str, stdin: BinaryIO) -> tuple[bytes, str]:
    """Read a file or stdin (`-`), refusing anything larger than the YAML size limit."""
    if name == "-":
        data = stdin.read(MAX_BYTES + 1)
        return data, "<stdin>"
    path = Path(name)
    try:
        if path.is_dir():
            raise InvalidInputError(f"{name}: is a directory, not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InvalidInputError(
                f"{name}: file too large ({size:,} bytes; the limit is {MAX_BYTES:,})",
                code="document_too_large",
            )
        return path.read_bytes(), name
    except FileNotFoundError:
        raise NotFoundError(f"{name}: no such file", code="file_not_found") from None
    except PermissionError:
        raise InvalidInputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot read: {exc.strerror or exc}") from None
