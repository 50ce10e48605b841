"""Many processes on one store, on both backends: ten `register` runs at once, and two `serve` processes
(one of them with two workers) under twenty concurrent openai-SDK clients.

The soak runs STACKCTL_TEST_SOAK_SECONDS (default 5; the README's figure is from a 30 s run by hand).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackctl.store.open import open_database
from stackctl.store.sqlite.schema import MIGRATIONS
from tests.e2e.test_serve_openai_sdk import Server, _start, _stop, clean_env
from tests.runconfigs import full_config, write_config

openai = pytest.importorskip("openai")
httpx = pytest.importorskip("httpx")

pytestmark = pytest.mark.e2e

SOAK_SECONDS = float(os.environ.get("STACKCTL_TEST_SOAK_SECONDS", "5"))
CLIENTS = 20


def test_ten_registers_started_at_once_make_one_copy_of_everything(db_location: str, tmp_path: Path) -> None:
    run_yaml = write_config(tmp_path, full_config(tmp_path, "team"))
    env = clean_env(tmp_path, FIREWORKS_API_KEY="sk-test", STACKCTL_DB=db_location)
    argv = [sys.executable, "-m", "stackctl", "register", str(run_yaml), "-o", "json"]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(10)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * 10, [err.decode() for _, err in outputs]
    reports = [json.loads(out) for out, _ in outputs]
    stack_actions = sorted(next(c["action"] for c in r["changes"] if c["kind"] == "stack") for r in reports)
    assert stack_actions == ["created"] + ["unchanged"] * 9  # applied one after the other, never twice
    created = [r for r in reports if r["summary"]["created"]]
    assert len(created) == 1
    assert all(r["summary"]["created"] == r["summary"]["updated"] == 0 for r in reports if r not in created)
    resources = {
        (c["kind"], c["id"])
        for c in created[0]["changes"]
        if c["kind"] not in ("stack", "provider") and c["action"] == "created"
    }
    with open_database(db_location) as db:
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT COUNT(*) FROM stacks").fetchone()[0] == 1
        rows = [tuple(r) for r in db.execute("SELECT kind, identifier FROM resources").fetchall()]
    assert len(rows) == len(set(rows))
    assert set(rows) == resources


def _serve(tmp: Path, location: str, *extra: str) -> Server:
    return _start(tmp, *extra, location=location, wait_seconds=30)


@pytest.fixture
def two_servers(db_location: str, tmp_path: Path) -> Iterator[list[Server]]:
    """Two serve processes on one database; the second runs two worker processes."""
    servers = [_serve(tmp_path, db_location), _serve(tmp_path, db_location, "--workers", "2")]
    try:
        yield servers
    finally:
        for server in servers:
            _stop(server)


def _msg(text: str) -> dict[str, str]:
    return {"type": "message", "role": "user", "content": text}


def _texts(page_items: list[Any]) -> list[str]:
    return [item.content[0].text for item in page_items]


def _list_all(clients: list[Any], conv_id: str, limit: int) -> list[str]:
    """Every item, oldest first, one small page at a time, the pages alternating between the servers."""
    seen: list[str] = []
    after: str | None = None
    turn = 0
    while True:
        kwargs: dict[str, Any] = {"limit": limit, "order": "asc"}
        if after is not None:
            kwargs["after"] = after
        page = clients[turn % len(clients)].conversations.items.list(conv_id, **kwargs)
        turn += 1
        seen += _texts(page.data)
        if not page.has_more:
            return seen
        after = page.data[-1].id


class Soak:
    def __init__(self, servers: list[Server]) -> None:
        self.urls = [s.base_url for s in servers]
        self.errors: list[str] = []
        self.server_errors = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.until = time.monotonic() + SOAK_SECONDS
        self.shared = ""
        self.shared_added: dict[int, int] = {}

    def clients(self) -> list[Any]:
        return [openai.OpenAI(base_url=u, api_key="x", max_retries=0, timeout=60) for u in self.urls]

    def run(self, slot: int) -> None:
        clients = self.clients()
        rng = random.Random(slot)  # noqa: S311 - a reproducible mix of calls, not a secret
        n = 0
        try:
            while time.monotonic() < self.until:
                n = self.cycle(slot, n, clients, rng)
        except openai.APIStatusError as exc:
            with self.lock:
                self.server_errors += exc.status_code >= 500
                self.errors.append(f"client {slot}: HTTP {exc.status_code}: {exc.message}")
        except Exception as exc:
            with self.lock:
                self.errors.append(f"client {slot}: {type(exc).__name__}: {exc}")

    def cycle(self, slot: int, n: int, clients: list[Any], rng: random.Random) -> int:
        pick = lambda: clients[rng.randrange(len(clients))]  # noqa: E731
        expected = [f"{slot}-{n}"]
        conv = pick().conversations.create(items=[_msg(expected[0])])
        for _ in range(rng.randint(2, 5)):
            batch = [f"{slot}-{n + k}" for k in range(1, rng.randint(2, 4))]
            n += len(batch)
            pick().conversations.items.create(conv.id, items=[_msg(t) for t in batch])
            expected += batch
            # Writers on the shared conversation race each other; each one's messages must keep its order.
            pick().conversations.items.create(self.shared, items=[_msg(f"{slot}:{n}")])
            self.shared_added[slot] = self.shared_added.get(slot, 0) + 1
        assert _list_all(clients, conv.id, limit=2) == expected, "items lost, repeated or out of order"
        victim = pick().conversations.items.list(conv.id, limit=1, order="desc").data[0]
        pick().conversations.items.delete(victim.id, conversation_id=conv.id)
        expected.remove(victim.content[0].text)
        assert _list_all(clients, conv.id, limit=3) == expected
        if rng.random() < 0.5:
            pick().conversations.delete(conv.id)
        with self.lock:
            self.requests += 9
        return n + 1


def test_two_servers_and_twenty_clients_lose_nothing(two_servers: list[Server], db_location: str) -> None:
    soak = Soak(two_servers)
    soak.shared = soak.clients()[0].conversations.create().id
    threads = [threading.Thread(target=soak.run, args=(slot,)) for slot in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SOAK_SECONDS + 120)
    assert soak.errors == [], soak.errors[:5]
    assert soak.server_errors == 0
    assert soak.requests > CLIENTS * 9
    print(f"\n{soak.requests} requests in {SOAK_SECONDS:.0f}s from {CLIENTS} clients, 0 errors")
    shared = _list_all(soak.clients(), soak.shared, limit=100)
    assert len(shared) == len(set(shared)) == sum(soak.shared_added.values())
    for slot in range(CLIENTS):
        mine = [int(t.split(":")[1]) for t in shared if t.split(":")[0] == str(slot)]
        assert mine == sorted(mine) and len(mine) == soak.shared_added.get(slot, 0)
    backend = "postgresql" if db_location.startswith("postgresql") else "sqlite"
    assert [httpx.get(f"{s.base_url}/health").json()["backend"] for s in two_servers] == [backend, backend]
