"""Issue 23, H.1: a receipt of 1,000,000 serials over HTTP as a job, against
`tracelot serve` on SQLite, while another client moves stock back and forth: how long the
job takes against the same receipt done in one command in this process, and the moves'
99th percentile while the job runs against the same moves with nothing else running.
The job is done in parts of 50,000 serials, each its own transaction, so that the moves
get the write lock between them."""

from __future__ import annotations

import sys
import threading
import time

import httpx
from api_load import _serving
from harness import Context, Target, fresh, once

import tracelot

TIMEOUT = 600


def run(ctx: Context) -> None:
    serials = 50_000 if ctx.quick else 1_000_000
    path, tl = fresh(ctx, "jobs")
    tl.add_location("WH", kind="warehouse")
    for b in ("B1", "B2"):
        tl.add_location(b, parent="WH")
    tl.add_item("PART", name="Part", tracking="serial")
    tl.add_item("BOLT", name="Bolt", tracking="none")
    tl.receive("BOLT", to="B1", qty=1_000_000)
    tl.add_user("bench", role="admin")
    token = tl.create_token("bench")["token"]
    direct_s, _ = once(lambda: tl.receive("PART", to="B1", serials=f"D{1:07d}..D{serials:07d}"))
    tl.close()
    headers = {"Authorization": f"Bearer {token}"}
    command = [sys.executable, "-m", "tracelot", "--db", f"sqlite:///{path}", "serve"]
    with (
        _serving(command, ctx.db_dir / "jobs-serve.log", {}) as server,
        httpx.Client(base_url=server.base, headers=headers, timeout=120) as http,
    ):
        alone = _moves(http, 200)
        latencies: list[float] = []
        running = threading.Event()
        running.set()
        mover = threading.Thread(target=_keep_moving, args=(server.base, headers, running,
                                                            latencies))  # fmt: skip
        start = time.perf_counter()
        answer = http.post("/api/v1/jobs/receive", json={
            "item": "PART", "to": "B2", "serials": f"J{1:07d}..J{serials:07d}"})  # fmt: skip
        ctx.check(answer.status_code == 202, f"the job was not started: {answer.text[:300]}")
        mover.start()
        job = answer.json()
        url = job["url"]
        while job["status"] not in ("done", "failed") and time.perf_counter() - start < TIMEOUT:
            time.sleep(0.2)
            job = http.get(url).json()
        job_s = time.perf_counter() - start
        running.clear()
        mover.join(60)
    ok = job["status"] == "done" and job["result"]["received"] == serials
    row = ctx.row(
        f"receive {serials:,} serials over HTTP as a job (parts of 50,000), moves running",
        job_s,
        baseline=direct_s,
        baseline_name="the same receipt in one command, in this process",
        targets=[Target("max_ratio", 3.0)],
    )
    ctx.check(ok, f"the job: {job.get('status')} {job.get('error')}", row)
    during = _p99(latencies)
    ctx.row(
        f"a move's p99 while the job runs ({len(latencies):,} moves)",
        during,
        baseline=_p99(alone),
        baseline_name="a move's p99 with nothing else running (200 moves)",
        targets=[Target("max_s", 5.0)],
    )
    with tracelot.connect(f"sqlite:///{path}") as check:
        ctx.check(check.verify().ok, "verify after the job")


def _moves(http: httpx.Client, n: int) -> list[float]:
    took = []
    for i in range(n):
        there, back = ("B1", "B2") if i % 2 == 0 else ("B2", "B1")
        start = time.perf_counter()
        body = {"refs": ["BOLT"], "qty": 1, "from": there, "to": back}
        answer = http.post("/api/v1/operations/move", json=body)
        took.append(time.perf_counter() - start)
        if answer.status_code != 201:
            raise RuntimeError(f"a move was refused: {answer.text[:300]}")
    return took


def _keep_moving(base: str, headers: dict, running: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        while running.is_set():
            out += _moves(http, 2)


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
