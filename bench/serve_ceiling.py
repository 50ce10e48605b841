"""Our server against the ceiling, run by hand: `python bench/serve_ceiling.py [--seconds 3] [--clients 1 8]`.

Starts `stackctl serve` on a free loopback port over a fresh database whose stack's provider is a local fake
(`bench/ceiling.py` answering chat completions), and, in the same run, the ceiling: a raw asyncio server that
stores nothing and answers the very bodies our server gave. The same official `openai` SDK client (one per
thread) drives both for create, add (20 items), list (100 per page), retrieve, and responses (non-stream
and stream), with each client count; each row is ours as a ratio of the ceiling (the target is >= 0.5).

Also printed: the server-side cost of a response (ours minus the ceiling's call minus a direct call to the
provider) and the latency of `/v1/health` while 50 provider calls hang on a slow provider; with `--pg URL`
(or STACKCTL_TEST_PG_URL in `--full` runs), the latency of a conversation read and write on PostgreSQL while
more slow provider calls are in flight than a worker's pool has connections.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai

if not __package__:  # run as `python bench/serve_ceiling.py`: make the bench package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ceiling import save_canned
from bench.figure import Figure, format_table
from bench.serve import batch, free_port, serving

SUITE = "serve-ceiling"
Call = Callable[[openai.OpenAI], Any]
SLOW_SECONDS = 5.0
SLOW_CALLS = 50


def _run_config(fast_url: str, slow_url: str) -> str:
    lines = ["image_name: bench", "apis: [inference]", "providers:", "  inference:"]
    for provider_id, url in (("fast", fast_url), ("slow", slow_url)):
        lines += [
            f"  - provider_id: {provider_id}",
            "    provider_type: remote::vllm",
            f"    config: {{url: {url}}}",
        ]
    lines += ["models:"]
    for model, provider_id in (("fake-model", "fast"), ("slow-model", "slow")):
        lines += [f"- model_id: {model}", f"  provider_id: {provider_id}", f"  provider_model_id: {model}-id"]
    return "\n".join(lines) + "\n"


@contextmanager
def ceiling_process(delay: float = 0.0, canned: str | None = None) -> Iterator[str]:
    """A ceiling server in a process of its own (no interpreter lock shared with the clients); its URL."""
    argv = [
        sys.executable,
        "-m",
        "bench.ceiling",
        "--delay",
        str(delay),
        *(["--canned", canned] if canned else []),
    ]
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{int(process.stdout.readline())}/v1"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


@contextmanager
def running_server(workdir: Path, fast_url: str, slow_url: str, location: str | None = None) -> Iterator[str]:
    env = {**os.environ, "STACKCTL_DB": location or str(workdir / "bench.db")}
    (workdir / "run.yaml").write_text(_run_config(fast_url, slow_url))
    stackctl = [sys.executable, "-m", "stackctl"]
    subprocess.run(
        [*stackctl, "register", str(workdir / "run.yaml")], env=env, check=True, capture_output=True
    )
    port = free_port()
    with serving([*stackctl, "serve", "--port", str(port)], port, workdir, env) as url:
        yield url


def measure(url: str, call: Call, seconds: float, clients: int) -> float:
    """Calls per second over `seconds` with `clients` threads, each with its own SDK client."""
    counts = [0] * clients
    until = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        with openai.OpenAI(base_url=url, api_key="bench", max_retries=0) as client:
            call(client)  # connect outside the measurement
            while time.perf_counter() < until:
                call(client)
                counts[slot] += 1

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - began)


def _stream(client: openai.OpenAI) -> None:
    with client.responses.create(model="fake-model", input="benchmark", stream=True) as events:
        for _ in events:
            pass


def scenarios(target: str) -> dict[str, tuple[str, bool, Call]]:
    """name -> (ceiling route, streamed, the SDK call)."""
    return {
        "create": ("create", False, lambda c: c.conversations.create(metadata={"bench": "yes"})),
        "add (20)": ("add", False, lambda c: c.conversations.items.create(target, items=batch(20))),  # type: ignore[arg-type]
        "list (100)": ("list", False, lambda c: c.conversations.items.list(target, limit=100)),
        "retrieve": ("retrieve", False, lambda c: c.conversations.retrieve(target)),
        "responses": (
            "responses",
            False,
            lambda c: c.responses.create(model="fake-model", input="benchmark"),
        ),
        "responses, stream": ("responses", True, _stream),
    }


def can_bodies(url: str, path: str) -> str:
    """Make the target conversation, and save our server's own answer for each route for the ceiling."""
    with httpx.Client(base_url=url, timeout=30) as http:
        target = http.post("/conversations", json={"items": batch(20)}).raise_for_status().json()["id"]
        for _ in range(5):
            http.post(f"/conversations/{target}/items", json={"items": batch(20)}).raise_for_status()
        answers = {
            ("create", False): http.post("/conversations", json={"metadata": {"bench": "yes"}}),
            ("add", False): http.post(f"/conversations/{target}/items", json={"items": batch(20)}),
            ("list", False): http.get(f"/conversations/{target}/items", params={"limit": 100}),
            ("retrieve", False): http.get(f"/conversations/{target}"),
            ("responses", False): http.post("/responses", json={"model": "fake-model", "input": "benchmark"}),
            ("responses", True): http.post(
                "/responses", json={"model": "fake-model", "input": "benchmark", "stream": True}
            ),
        }
    for answer in answers.values():
        answer.raise_for_status()
    save_canned({key: (a.content, a.headers["content-type"]) for key, a in answers.items()}, path)
    return target


def health_under_load(url: str, slow: str) -> tuple[float, float]:
    """Median and worst ms of `/v1/health` while SLOW_CALLS provider calls hang on the slow provider."""
    statuses: list[int] = []

    def call() -> None:
        body = {"model": "slow-model", "input": "slow"}
        statuses.append(httpx.post(f"{url}/responses", json=body, timeout=SLOW_SECONDS * 6).status_code)

    callers = [threading.Thread(target=call) for _ in range(SLOW_CALLS)]
    for caller in callers:
        caller.start()

    def in_flight() -> int:
        return int(httpx.get(f"{slow}/in_flight").text)

    until = time.monotonic() + SLOW_SECONDS
    while in_flight() < SLOW_CALLS and time.monotonic() < until:
        time.sleep(0.01)
    samples = []
    with httpx.Client(timeout=60) as http:
        for _ in range(20):
            began = time.perf_counter()
            http.get(f"{url}/health").raise_for_status()
            samples.append((time.perf_counter() - began) * 1000)
    held = in_flight()
    for caller in callers:
        caller.join()
    if held < SLOW_CALLS or statuses.count(200) != SLOW_CALLS:
        raise SystemExit(f"health under load: {held} calls in flight, statuses {sorted(set(statuses))}")
    return statistics.median(samples), max(samples)


def report(
    url: str, ceiling: str, provider: str, slow: str, seconds: float, counts: list[int]
) -> list[Figure]:
    figures = []
    per_call: dict[str, float] = {}
    for name, (_, _, call) in scenarios(TARGET[0]).items():
        for clients in counts:
            ours = measure(url, call, seconds, clients)
            best = measure(ceiling, call, seconds, clients)
            if clients == 1:
                per_call[name] = 1000 / ours
                per_call[f"{name} (ceiling)"] = 1000 / best
            plural = "s" * (clients > 1)
            label = f"{name}, {clients} client{plural}: {ours:,.0f} vs ceiling {best:,.0f} req/s"
            figures.append(Figure(SUITE, label, ours / best, "x ceiling"))
    direct = 1000 / measure(
        provider, lambda c: c.chat.completions.create(model="fake-model", messages=[]), seconds, 1
    )
    cost = per_call["responses"] - per_call["responses (ceiling)"] - direct
    figures.append(
        Figure(SUITE, "responses: server-side ms per call (ours - ceiling - provider)", cost, "ms")
    )
    median, worst = health_under_load(url, slow)
    label = f"/v1/health with {SLOW_CALLS} slow provider calls in flight"
    figures.append(Figure(SUITE, f"{label}, median", median, "ms"))
    figures.append(Figure(SUITE, f"{label}, worst of 20", worst, "ms"))
    return figures


PG_SLOW_CALLS = 20  # twice a worker's pool (store/postgres/connection.POOL_SIZE)


def pg_under_load(pg_url: str) -> list[Figure]:
    """Median and worst ms of a conversation read (and an item write) on PostgreSQL while PG_SLOW_CALLS
    provider calls hang on the slow provider: no call may hold a connection the other routes need."""
    from bench.serve import pg_schema

    with (
        tempfile.TemporaryDirectory() as tmp,
        pg_schema(pg_url) as location,
        ceiling_process() as provider,
        ceiling_process(delay=SLOW_SECONDS) as slow,
        running_server(Path(tmp), provider, slow, location) as url,
        httpx.Client(base_url=url, timeout=60) as http,
    ):
        target = http.post("/conversations", json={"items": batch(20)}).raise_for_status().json()["id"]
        statuses: list[int] = []

        def call() -> None:
            body = {"model": "slow-model", "input": "slow"}
            answer = httpx.post(f"{url}/responses", json=body, timeout=SLOW_SECONDS * 12)
            statuses.append(answer.status_code)

        callers = [threading.Thread(target=call) for _ in range(PG_SLOW_CALLS)]
        for caller in callers:
            caller.start()
        until = time.monotonic() + SLOW_SECONDS / 2
        while int(httpx.get(f"{slow}/in_flight").text) < PG_SLOW_CALLS and time.monotonic() < until:
            time.sleep(0.01)
        held = int(httpx.get(f"{slow}/in_flight").text)
        reads, writes = [], []
        for _ in range(10):
            began = time.perf_counter()
            http.get(f"/conversations/{target}/items", params={"limit": 20}).raise_for_status()
            reads.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            http.post(f"/conversations/{target}/items", json={"items": batch(1)}).raise_for_status()
            writes.append((time.perf_counter() - began) * 1000)
        for caller in callers:
            caller.join()
    label = f"postgresql, {held} of {PG_SLOW_CALLS} slow provider calls in flight"
    if statuses.count(200) != PG_SLOW_CALLS:
        label += f" (statuses {sorted(statuses)})"
    return [
        Figure(SUITE, f"{label}: list items, median", statistics.median(reads), "ms"),
        Figure(SUITE, f"{label}: list items, worst of 10", max(reads), "ms"),
        Figure(SUITE, f"{label}: add an item, median", statistics.median(writes), "ms"),
        Figure(SUITE, f"{label}: add an item, worst of 10", max(writes), "ms"),
    ]


TARGET: list[str] = []


def serve_figures(seconds: float, counts: list[int]) -> list[Figure]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        ceiling_process() as provider,
        ceiling_process(delay=SLOW_SECONDS) as slow,
        running_server(Path(tmp), provider, slow) as url,
    ):
        canned = str(Path(tmp) / "canned.json")
        TARGET[:] = [can_bodies(url, canned)]
        with ceiling_process(canned=canned) as ceiling:
            return report(url, ceiling, provider, slow, seconds, counts)


def run(quick: bool) -> list[Figure]:
    figures = serve_figures(1.0 if quick else 3.0, [1, 8])
    pg_url = os.environ.get("STACKCTL_TEST_PG_URL")
    if not quick and pg_url:
        figures += pg_under_load(pg_url)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8], help="concurrent clients to try")
    parser.add_argument(
        "--pg",
        default=os.environ.get("STACKCTL_TEST_PG_URL"),
        help="PostgreSQL server for the reads under load (a fresh schema; default: $STACKCTL_TEST_PG_URL)",
    )
    parser.add_argument("--only-pg", action="store_true", help="only the PostgreSQL reads under load")
    args = parser.parse_args()
    figures = [] if args.only_pg else serve_figures(args.seconds, args.clients)
    if args.pg:
        figures += pg_under_load(args.pg)
    sys.stdout.write(format_table(figures))


if __name__ == "__main__":
    main()
