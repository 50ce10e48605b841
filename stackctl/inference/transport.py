"""HTTP clients to providers: one per provider origin per process, shared by every call and every thread.

Building an `httpx.Client` for an `https://` provider loads the CA bundle into a new TLS context (tens of
milliseconds), and a new client starts with an empty connection pool; doing that once per call made it the
largest cost of a response. `HttpClients` keeps one client per origin (scheme, host, port) until `close()`.

Invariants:
- A client is made once per origin and reused by every call until `close()`; httpx's connection pool is safe
  to share between threads, so the server's threads share it. After `close()` no client is handed out.
- An `http://` origin never loads a CA bundle: its client gets a TLS context with verification required and
  no CA loaded, so anything that would reach `https://` through it fails verification, never goes unchecked.
- Timeouts are given per request by the caller (`stackctl.inference.client`); a client's own are a fallback.
"""

from __future__ import annotations

import ssl
import threading

from stackctl.inference.lean_httpx import httpx

FALLBACK_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


def origin(base_url: str) -> str:
    """`https://api.openai.com:443` for `https://api.openai.com/v1`: what one client serves."""
    url = httpx.URL(base_url)
    return f"{url.scheme}://{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"


def _verify_for(base_url: str) -> ssl.SSLContext | bool:
    if httpx.URL(base_url).scheme == "http":
        # Verification stays on (PROTOCOL_TLS_CLIENT requires it) but no CA is loaded: cheap, and closed.
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True


def new_client(base_url: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client fit for the provider at `base_url` (a CA bundle only for https)."""
    return httpx.Client(transport=transport, verify=_verify_for(base_url), timeout=FALLBACK_TIMEOUT)


class HttpClients:
    """One `httpx.Client` per provider origin, made on first use, closed together by `close()`."""

    def __init__(self, transport: httpx.BaseTransport | None = None) -> None:
        self._transport = transport
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()
        self._closed = False

    def get(self, base_url: str) -> httpx.Client:
        key = origin(base_url)
        with self._lock:
            if self._closed:
                raise RuntimeError("the provider HTTP clients are closed (the server is shutting down)")
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = new_client(base_url, self._transport)
            return client

    def __len__(self) -> int:
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        with self._lock:
            clients, self._clients, self._closed = list(self._clients.values()), {}, True
        for client in clients:
            client.close()
