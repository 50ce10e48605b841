"""HTTP server benchmark, run by hand: `python bench/serve.py [--seconds 3] [--clients 1 8] [--url URL]`.

Starts `stackctl serve` on a free loopback port over a fresh database (or uses `--url` of a running one) and
prints requests per second for create-conversation, add-items (batches of 5) and list-items (pages of 20),
each for a bounded time with one keep-alive httpx client per thread.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

if not __package__:  # run as `python bench/serve.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table

SUITE = "serve"
Call = Callable[[httpx.Client], None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(workdir: Path) -> Iterator[str]:
    port = _free_port()
    argv = [sys.executable, "-m", "stackctl", "--db", str(workdir / "bench.db"), "serve", "--port", str(port)]
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=log, env=os.environ.copy())
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(400):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise SystemExit("server did not start; see " + str(workdir / "serve.log"))
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _batch(n: int) -> list[dict[str, str]]:
    return [{"type": "message", "role": "user", "content": f"benchmark message {i}"} for i in range(n)]


def measure(url: str, call: Call, seconds: float, clients: int) -> tuple[float, int]:
    """Requests per second over `seconds` with `clients` threads; also the count of non-2xx answers."""
    counts = [0] * clients
    failures = [0] * clients
    until = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.perf_counter() < until:
                try:
                    call(http)
                except httpx.HTTPStatusError:
                    failures[slot] += 1
                counts[slot] += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - began), sum(failures)


def scenarios(url: str) -> dict[str, Call]:
    with httpx.Client(base_url=url) as http:
        target = http.post("/conversations", json={"items": _batch(20)}).raise_for_status().json()["id"]
        for _ in range(4):
            http.post(f"/conversations/{target}/items", json={"items": _batch(20)}).raise_for_status()

    def create(http: httpx.Client) -> None:
        http.post("/conversations", json={"metadata": {"bench": "yes"}}).raise_for_status()

    def add(http: httpx.Client) -> None:
        http.post(f"/conversations/{target}/items", json={"items": _batch(5)}).raise_for_status()

    def list_page(http: httpx.Client) -> None:
        http.get(f"/conversations/{target}/items", params={"limit": 20}).raise_for_status()

    return {
        "create-conversation": create,
        "add-items (5 per call)": add,
        "list-items (20 per page)": list_page,
    }


def report(url: str, seconds: float, client_counts: list[int]) -> list[Figure]:
    figures = []
    for name, call in scenarios(url).items():
        for clients in client_counts:
            rate, errors = measure(url, call, seconds, clients)
            failed = f", {errors} errors" if errors else ""
            figures.append(
                Figure(SUITE, f"{name}, {clients} client{'s' * (clients > 1)}{failed}", rate, "req/s")
            )
    return figures


def serve_figures(seconds: float, client_counts: list[int], url: str | None = None) -> list[Figure]:
    if url:
        return report(url, seconds, client_counts)
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp)) as started:
        return report(started, seconds, client_counts)


def run(quick: bool) -> list[Figure]:
    return serve_figures(2.0 if quick else 3.0, [1, 8])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8], help="concurrent clients to try")
    parser.add_argument("--url", help="base URL of a running server (…/v1); default: start one")
    args = parser.parse_args()
    sys.stdout.write(format_table(serve_figures(args.seconds, args.clients, args.url)))


if __name__ == "__main__":
    main()
