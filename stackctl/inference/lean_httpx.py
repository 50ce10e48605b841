"""httpx, imported without its command-line client.

`import httpx` also imports `httpx._main`, its own CLI, which pulls in click, rich and pygments when they are
installed (they are: typer needs them): about 40 ms of a `responses create` that uses none of them. Marking
the module as absent for the length of the import makes httpx take its documented fallback (a `main` that
says the CLI is not installed); the mark is removed afterwards, so nothing else is affected.
"""

from __future__ import annotations

import sys

if "httpx" not in sys.modules and "httpx._main" not in sys.modules:
    sys.modules["httpx._main"] = None  # type: ignore[assignment]
    try:
        import httpx
    finally:
        del sys.modules["httpx._main"]
else:  # pragma: no cover - httpx was imported before stackctl's client
    import httpx

__all__ = ["httpx"]
