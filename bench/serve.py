"""HTTP server benchmark, run by hand:
`python bench/serve.py [--seconds 3] [--clients 1 8] [--workers 1 2 4] [--pg URL] [--url URL]`.

Starts `stackctl serve --workers N` on a free loopback port over a fresh database, once per backend and
worker count: a SQLite file, and with `--pg URL` (or STACKCTL_TEST_PG_URL) a fresh schema on that
PostgreSQL server, dropped afterwards. Or uses `--url` of a running server. Prints requests per second for
create-conversation, add-items (batches of 5) and list-items (pages of 20), each for a bounded time with
one keep-alive httpx client per thread.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

if not __package__:  # run as `python bench/serve.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, format_table

SUITE = "serve"
Call = Callable[[httpx.Client], None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def pg_schema(server_url: str) -> Iterator[str]:
    """A location on a new schema of the PostgreSQL server at `server_url`, dropped afterwards."""
    import uuid
    from urllib.parse import urlencode

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            sep = "&" if "?" in server_url else "?"
            yield f"{server_url}{sep}{urlencode({'options': f'-csearch_path={schema}'})}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def database(backend: str, workdir: Path, pg_url: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield str(workdir / f"bench-{time.monotonic_ns()}.db")
        return
    assert pg_url is not None
    with pg_schema(pg_url) as location:
        yield location


@contextmanager
def serving(argv: Sequence[str], port: int, workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """Start `stackctl ... serve` (argv), wait until /v1/health answers, yield its URL, stop it after."""
    with (workdir / "serve.log").open("wb") as log:
        process = subprocess.Popen(list(argv), stdout=log, stderr=log, env=env)
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


@contextmanager
def running_server(workdir: Path, location: str | None = None, workers: int = 1) -> Iterator[str]:
    port = free_port()
    location = location or str(workdir / "bench.db")
    argv = [sys.executable, "-m", "stackctl", "--db", location, "serve", "--port", str(port)]
    argv += ["--workers", str(workers)]
    with serving(argv, port, workdir, os.environ.copy()) as url:
        yield url


def batch(n: int) -> list[dict[str, str]]:
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
        target = http.post("/conversations", json={"items": batch(20)}).raise_for_status().json()["id"]
        for _ in range(4):
            http.post(f"/conversations/{target}/items", json={"items": batch(20)}).raise_for_status()

    def create(http: httpx.Client) -> None:
        http.post("/conversations", json={"metadata": {"bench": "yes"}}).raise_for_status()

    def add(http: httpx.Client) -> None:
        http.post(f"/conversations/{target}/items", json={"items": batch(5)}).raise_for_status()

    def list_page(http: httpx.Client) -> None:
        http.get(f"/conversations/{target}/items", params={"limit": 20}).raise_for_status()

    return {
        "create-conversation": create,
        "add-items (5 per call)": add,
        "list-items (20 per page)": list_page,
    }


def report(url: str, seconds: float, client_counts: list[int], setup: str = "") -> list[Figure]:
    figures = []
    for name, call in scenarios(url).items():
        for clients in client_counts:
            rate, errors = measure(url, call, seconds, clients)
            failed = f", {errors} errors" if errors else ""
            label = f"{setup}{name}, {clients} client{'s' * (clients > 1)}{failed}"
            figures.append(Figure(SUITE, label, rate, "req/s"))
    return figures


def serve_figures(
    seconds: float,
    client_counts: list[int],
    url: str | None = None,
    *,
    workers: Sequence[int] = (1,),
    pg_url: str | None = None,
) -> list[Figure]:
    """Each workload on SQLite (and PostgreSQL, given a server) with each worker count."""
    if url:
        return report(url, seconds, client_counts)
    backends = ["sqlite", *(["postgresql"] if pg_url else [])]
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            for count in workers:
                with (
                    database(backend, Path(tmp), pg_url) as location,
                    running_server(Path(tmp), location, count) as started,
                ):
                    setup = f"{backend}, {count} worker{'s' * (count > 1)}: "
                    figures += report(started, seconds, client_counts, setup)
    return figures


def run(quick: bool) -> list[Figure]:
    """For `python -m bench`: quick is SQLite with one worker; full adds workers, and PostgreSQL if the
    environment names a server (STACKCTL_TEST_PG_URL)."""
    if quick:
        return serve_figures(2.0, [1, 8])
    return serve_figures(3.0, [1, 8], workers=(1, 2, 4), pg_url=os.environ.get("STACKCTL_TEST_PG_URL"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8], help="concurrent clients to try")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="serve --workers to try")
    parser.add_argument(
        "--pg",
        default=os.environ.get("STACKCTL_TEST_PG_URL"),
        help="PostgreSQL server URL to bench on too (a fresh schema; default: $STACKCTL_TEST_PG_URL)",
    )
    parser.add_argument("--url", help="base URL of a running server (…/v1); default: start one")
    args = parser.parse_args()
    figures = serve_figures(args.seconds, args.clients, args.url, workers=args.workers, pg_url=args.pg)
    sys.stdout.write(format_table(figures))


if __name__ == "__main__":
    main()
