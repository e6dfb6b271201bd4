"""Issues 6 and 24, D.1: scan-and-move operations over HTTP, against `tracelot serve
--workers 2` on PostgreSQL and on SQLite, loaded on loopback by async httpx clients; and,
as the floor, a bare FastAPI endpoint doing one indexed SELECT (`bench/floor_app.py`)
under the same load.

A scan-and-move is one request, `POST /api/v1/operations/move` with the GS1 DataMatrix
content of a unit (`]d2` (01) GTIN (21) serial GS (17) expiry) as its reference and the
other of two bins as its destination. Each client owns its share of the units (nobody else
moves them) and knows where each is, so every move is a real one and every answer must be
201. Afterwards the ledger must hold exactly the move operations answered 201 (none lost,
none twice), each unit must be in the bin its last move sent it to, and `verify()` must
pass.

`tracelot serve` binds its socket for several workers as TCP, so that its connections get
TCP_NODELAY (uvicorn 0.54 does not: issue #3149, a ~40 ms stall on every request but a
connection's first); the floor is served by uvicorn with the same socket
(`bench/serve_nodelay.py`), so that both are served alike.

PostgreSQL: $TRACELOT_BENCH_PG_URL (a server: the section makes and drops its own database
there), else a throwaway server by `scripts/pg-test-server` on a free port, stopped at the
end (not in a quick run); without PostgreSQL installed only SQLite is measured (noted, not
a failure).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from harness import Context, Target, fmt_s, once, say
from scanning import GTIN
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

import tracelot
from tracelot.domain.scan import GS
from tracelot.domain.status import OperationKind
from tracelot.store.tables import locations, moves, operations, units

HERE = Path(__file__).resolve().parent
ITEM = "PART"
BINS = ("B1", "B2")
EXPIRES = "2030-12-31"
WORKERS = 2
#: concurrent clients: on this 2-core machine 16 gave the most operations a second against
#: `tracelot serve` on both databases (8: fewer; 32 and 64: no more, longer tails);
#: $TRACELOT_BENCH_API_CLIENTS tries another number
CLIENTS = int(os.environ.get("TRACELOT_BENCH_API_CLIENTS", "16"))
PG_DATABASE = "tracelot_bench"
FLOOR = "bare FastAPI endpoint, one indexed SELECT (bench/floor_app.py), same load"
#: how each server is started: tracelot as users start it; the floor with the socket
#: tracelot serve binds (TCP_NODELAY), not uvicorn's own
AS_IS = [sys.executable, "-m"]
PHASES = ("warm-up", "one client alone", "measured")
NODELAY = [sys.executable, str(HERE / "serve_nodelay.py")]


@dataclass(frozen=True)
class Sizes:
    units: int
    warmup: int  # requests before the clock starts, not counted
    alone: int  # requests of one client alone: the latency of an unloaded server
    ops: int  # requests measured
    limit: float  # seconds: a phase stops there even if its requests are not all sent


def _sizes(ctx: Context) -> Sizes:
    if ctx.quick:
        return Sizes(units=200, warmup=50, alone=10, ops=300, limit=30)
    return Sizes(units=2_000, warmup=400, alone=100, ops=4_000, limit=120)


class Rate(Target):
    """At least `per_second` operations a second: tracelot's figure (seconds an operation,
    the wall time over the count) at most its inverse."""

    def __init__(self, per_second: float) -> None:
        super().__init__("max_s", 1 / per_second)

    def __str__(self) -> str:
        return f">= {1 / self.value:,.0f} ops/s"


def run(ctx: Context) -> None:
    sizes = _sizes(ctx)
    ctx.note(
        "load",
        f"{CLIENTS} clients (asyncio, an httpx.AsyncClient and a kept-alive connection "
        f"each), {sizes.warmup:,} requests of warm-up, then {sizes.ops:,} measured (at most "
        f"{sizes.limit:.0f} s); {WORKERS} server workers; {os.cpu_count()} CPUs shared by the "
        "servers, the database and the load",
    )
    with _postgres(ctx) as server:
        if server is not None:
            url = _fresh_pg(server)
            try:
                _measure(ctx, "PostgreSQL", url, sizes, targets=True)
            finally:
                _drop_pg(server)
    path = ctx.db_path("api_load")
    _measure(ctx, "SQLite", f"sqlite:///{path}", sizes, targets=False)


# -- one backend --------------------------------------------------------------------------


def _measure(ctx: Context, backend: str, url: str, sizes: Sizes, *, targets: bool) -> None:
    serials, token = _setup(url, sizes.units)
    say(f"  ({backend}: {len(serials):,} units received)")
    mover = Mover(serials)
    refused: list[str] = []  # tracelot's answers other than 201
    for variant, launch in [("", AS_IS)]:
        name = f"{backend.lower()}{'-nodelay' if variant else ''}"
        which = f"{backend}{', ' + variant if variant else ''}"
        serve = [*launch, "tracelot", "--db", url, "serve", "--workers", str(WORKERS)]
        say(f"  ({which}: tracelot serve)")
        with _serving(serve, ctx.db_dir / f"serve-{name}.log", {}) as server:
            phases = _drive(server, mover, sizes, {"Authorization": f"Bearer {token}"})
        floor_app = [*NODELAY, "uvicorn", "floor_app:create", "--factory", "--app-dir", str(HERE)]
        floor_app += ["--workers", str(WORKERS), "--log-level", "info"]  # as tracelot serve
        env = {"FLOOR_DATABASE_URL": url, "FLOOR_ITEM": ITEM}
        say(f"  ({which}: the floor)")
        with _serving(floor_app, ctx.db_dir / f"floor-{name}.log", env) as server:
            floor_phases = _drive(server, Lookup(serials), sizes, {})
        _rows(ctx, _label(backend, variant), phases, floor_phases, targets=targets and not variant)
        for what, (ours, floor) in zip(PHASES, zip(phases, floor_phases, strict=True), strict=True):
            if ours.errors:
                refused.append(
                    f"{which}: tracelot answered {len(ours.errors)} of {ours.sent} requests "
                    f"({what}) with other than 201: {dict(ours.statuses)}; {ours.errors[:3]}"
                )
            ctx.check(
                not floor.errors,
                f"{which}: the floor answered {len(floor.errors)} of {floor.sent} requests "
                f"({what}) with other than 200: {floor.errors[:3]}",
            )
        for what, stats in (("tracelot", phases[-1]), ("floor", floor_phases[-1])):
            ctx.note(f"{which}, {what}", stats.summary())
            if stats.count < sizes.ops:
                ctx.note(
                    f"{which}, {what} stopped",
                    f"at the {sizes.limit:.0f} s limit after {stats.count:,} of {sizes.ops:,}",
                )
    _correct(ctx, backend, url, mover, refused)


def _rows(
    ctx: Context, label: str, phases: tuple[Load, ...], floors: tuple[Load, ...], *, targets: bool
) -> None:
    (_, alone, load), (_, floor_alone, floor) = phases, floors
    ctx.row(
        f"{label}: scan-and-move over HTTP, {load.rate:,.0f} ops/s (floor {floor.rate:,.0f} req/s)",
        load.seconds / max(load.count, 1),
        how=f"wall / {load.count:,}",
        baseline=floor.seconds / max(floor.count, 1),
        baseline_name=FLOOR,
        # issue 6: 500 a second; issue 24: within 1.5x of the floor in the same run
        targets=[Rate(500), Target("max_ratio", 1.5)] if targets else [],
    )
    for q in (0.50, 0.99):
        ctx.row(
            f"{label}: p{q * 100:.0f} latency of a scan-and-move",
            load.percentile(q),
            how=f"p{q * 100:.0f} of {load.count:,}",
            baseline=floor.percentile(q),
            baseline_name=FLOOR,
            targets=[Target("max_s", 0.050)] if targets and q == 0.99 else [],
        )
    ctx.row(
        f"{label}: p50 latency of a scan-and-move, one client alone",
        alone.percentile(0.5),
        how=f"p50 of {alone.count:,}",
        baseline=floor_alone.percentile(0.5),
        baseline_name=FLOOR,
    )


def _label(backend: str, variant: str) -> str:
    label = f"{backend}, {WORKERS} workers, {CLIENTS} clients"
    return f"(reference) {label}, {variant}" if variant else label


def _correct(ctx: Context, backend: str, url: str, mover: Mover, refused: list[str]) -> None:
    """Every request answered 201, and none lost, none twice: the ledger's move operations
    are those answered 201."""
    verify_s, report = _verify(url)
    ledger = _ledger(url)
    answered = mover.ids
    row = ctx.row(
        f"{backend}: verify() after the load: {len(answered):,} moves answered 201, "
        f"{len(ledger.move_ids):,} move operations in the ledger",
        verify_s,
    )
    for problem in refused:
        ctx.check(False, problem, row)
    twice = len(answered) - len(set(answered))
    ctx.check(not twice, f"{backend}: {twice} operation ids answered twice", row)
    lost = set(answered) - ledger.move_ids
    unanswered = ledger.move_ids - set(answered)
    ctx.check(
        not lost and not unanswered,
        f"{backend}: {len(lost)} moves answered 201 are not in the ledger, "
        f"{len(unanswered)} in the ledger were not answered 201",
        row,
    )
    ctx.check(
        ledger.move_lines == len(ledger.move_ids),
        f"{backend}: {ledger.move_lines} ledger lines for {len(ledger.move_ids)} one-unit moves",
        row,
    )
    misplaced = [s for s, at in mover.at.items() if ledger.at.get(s) != at]
    ctx.check(
        not misplaced,
        f"{backend}: {len(misplaced)} units are not where their last move sent them: "
        f"{[(s, mover.at[s], ledger.at.get(s)) for s in misplaced[:3]]}",
        row,
    )
    ctx.check(report.ok, f"{backend}: verify() found problems: {report.problems[:3]}", row)


def _setup(url: str, n: int) -> tuple[list[str], str]:
    """A fresh world: a warehouse with two bins, `n` units of a serialized item with a GTIN
    in the first bin, an operator with an API token."""
    serials = [f"U{i:05d}" for i in range(1, n + 1)]
    with tracelot.connect(url, user="bench") as tl:
        tl.init()
        tl.add_location("WH", kind="warehouse", name="Main warehouse")
        for code in BINS:
            tl.add_location(code, parent="WH")
        tl.add_item(ITEM, name="Part", tracking="serial")
        tl.add_gtin(ITEM, GTIN)
        tl.receive(ITEM, to=BINS[0], serials=f"{serials[0]}..{serials[-1]}", expires=EXPIRES)
        tl.add_user("loader", role="operator")
        token = tl.create_token("loader")["token"]
    return serials, token


def scan(serial: str) -> str:
    """What a scanner reads from the unit's GS1 DataMatrix: its symbology identifier, (01)
    GTIN, (21) serial, a GS ending the serial, (17) expiry."""
    return f"]d201{GTIN}21{serial}{GS}17{EXPIRES[2:].replace('-', '')}"


def _verify(url: str) -> tuple[float, Any]:
    with tracelot.connect(url, user="bench") as tl:
        return once(tl.verify)


@dataclass
class Ledger:
    move_ids: set[int]
    move_lines: int
    at: dict[str, str]  # serial: the code of the location the unit is at


def _ledger(url: str) -> Ledger:
    """The move operations recorded, their lines, and where each unit is, by SQL."""
    is_move = operations.c.kind == OperationKind.MOVE.value
    with tracelot.connect(url, user="bench") as tl, tl.engine.connect() as conn:
        ids = set(conn.execute(select(operations.c.id).where(is_move)).scalars())
        lines = conn.execute(
            select(func.count()).select_from(moves.join(operations)).where(is_move)
        ).scalar_one()
        at = conn.execute(
            select(units.c.serial, locations.c.code).join(
                locations, units.c.location_id == locations.c.id
            )
        ).all()
    return Ledger(ids, lines, {serial: code for serial, code in at})


# -- the load -----------------------------------------------------------------------------


class Shares:
    """The units shared out among the clients: each takes its own in turn."""

    path = ""
    ok = 200

    def __init__(self, serials: list[str]) -> None:
        self.shares = [serials[c::CLIENTS] for c in range(CLIENTS)]
        self.turns = [0] * CLIENTS

    def serial(self, client: int) -> str:
        share = self.shares[client]
        self.turns[client] += 1
        return share[(self.turns[client] - 1) % len(share)]

    def next(self, client: int) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def done(self, serial: str, body: dict[str, Any], answer: httpx.Response) -> str | None:
        """What was wrong with the answer, if anything."""
        raise NotImplementedError


class Mover(Shares):
    """Scan-and-move requests: each unit to the bin it is not in. Keeps where each unit was
    sent and the operation ids answered."""

    path = "/api/v1/operations/move"
    ok = 201

    def __init__(self, serials: list[str]) -> None:
        super().__init__(serials)
        self.at = dict.fromkeys(serials, BINS[0])
        self.ids: list[int] = []

    def next(self, client: int) -> tuple[str, dict[str, Any]]:
        serial = self.serial(client)
        to = BINS[1] if self.at[serial] == BINS[0] else BINS[0]
        return serial, {"refs": [scan(serial)], "to": to}

    def done(self, serial: str, body: dict[str, Any], answer: httpx.Response) -> str | None:
        if answer.status_code != self.ok:
            return f"{serial}: {answer.status_code} {answer.text[:200]}"
        self.at[serial] = body["to"]
        self.ids.append(answer.json()["id"])
        return None


class Lookup(Shares):
    """The floor's requests: a unit by its serial."""

    path = "/unit"

    def next(self, client: int) -> tuple[str, dict[str, Any]]:
        serial = self.serial(client)
        return serial, {"serial": serial}

    def done(self, serial: str, body: dict[str, Any], answer: httpx.Response) -> str | None:
        if answer.status_code != self.ok or answer.json().get("serial") != serial:
            return f"{serial}: {answer.status_code} {answer.text[:200]}"
        return None


@dataclass
class Load:
    """What one phase of load did: a latency per answer, the statuses, the wall time, and
    the CPU time the load generator and each server worker spent on it."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    seconds: float = 0.0
    client_cpu: float = 0.0
    worker_cpu: list[float] = field(default_factory=list)
    connections: str = ""  # clients of each server worker, "8/8"

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0

    def summary(self) -> str:
        n = max(self.count, 1)
        text = (
            f"{self.rate:,.0f}/s, p50 {fmt_s(self.percentile(0.5))}, p99 "
            f"{fmt_s(self.percentile(0.99))} ({self.count:,} requests); CPU a request: load "
            f"generator {fmt_s(self.client_cpu / n)}"
        )
        if self.worker_cpu:
            total = sum(self.worker_cpu) or 1
            shares = "/".join(f"{100 * w / total:.0f}%" for w in self.worker_cpu)
            text += f", server workers {fmt_s(sum(self.worker_cpu) / n)} (split {shares})"
        if self.connections:
            text += f"; connections of each worker {self.connections}"
        return text


@dataclass
class Server:
    base: str
    pid: int


def _drive(
    server: Server, workload: Shares, sizes: Sizes, headers: dict[str, str]
) -> tuple[Load, Load, Load]:
    """The warm-up, one client alone, then the measured load, by the same clients, their
    connections spread evenly over the server's workers. Each client has an
    httpx.AsyncClient of its own, with one connection: one client shared by all spends more
    time in its connection pool than in the requests."""

    def client() -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        return httpx.AsyncClient(base_url=server.base, headers=headers, limits=limits, timeout=60)

    async def session() -> tuple[Load, Load, Load]:
        https = [client() for _ in range(CLIENTS)]
        try:
            await _spread(server, https, client)
            warm = await _phase(https, workload, sizes.warmup, sizes.limit)
            alone = await _phase(https[:1], workload, sizes.alone, sizes.limit)
            # again: the server closes connections idle for 5 s, as the others may have been
            split = await _spread(server, https, client)
            cpu, workers = _cpu(), _worker_cpu(server.pid)
            load = await _phase(https, workload, sizes.ops, sizes.limit)
            load.client_cpu = _cpu() - cpu
            after = _worker_cpu(server.pid)
            load.worker_cpu = [after[pid] - workers.get(pid, 0.0) for pid in sorted(after)]
            load.connections = split
            return warm, alone, load  # in the order of PHASES
        finally:
            for http in https:
                await http.aclose()

    return asyncio.run(session())


async def _spread(
    server: Server, https: list[httpx.AsyncClient], client: Callable[[], httpx.AsyncClient]
) -> str:
    """Connect the clients, one at a time, and see that the server's workers hold as many of
    the connections each (give or take one), reconnecting a client of the fullest worker
    until they do (at most four reconnections a client). The workers accept connections
    from one socket, in a race that one of them tends to win: left alone, one may serve 14
    clients of 16 for the whole run, and the figures would be those of one worker. Returns
    the connections of each worker ("8/8", and how they were first; "" where /proc cannot
    tell)."""

    async def connect(i: int) -> int:
        answer = await https[i].get("/readyz")
        answer.raise_for_status()
        return answer.extensions["network_stream"].get_extra_info("client_addr")[1]

    ports = []
    for i in range(len(https)):
        ports.append(await connect(i))
        await asyncio.sleep(0.02)
    port = int(server.base.rsplit(":", 1)[1])
    workers, tries, first = list(_worker_cpu(server.pid)), 4 * len(https), ""
    for attempt in range(tries + 1):
        owners = _connection_owners(workers, port)
        held = Counter(owners.get(p) for p in ports)
        if not owners or None in held:
            return ""
        counts = sorted((held[w] for w in workers), reverse=True)
        split = "/".join(map(str, counts))
        first = first or split
        if counts[0] - counts[-1] <= 1 or attempt == tries:
            return split + (f" ({first} as first connected, {attempt} reconnected)" * (attempt > 0))
        fullest = max(held, key=held.__getitem__)
        i = next(i for i, p in enumerate(ports) if owners[p] == fullest)
        await https[i].aclose()
        https[i] = client()
        ports[i] = await connect(i)
    return ""


def _connection_owners(workers: list[int], port: int) -> dict[int, int]:
    """{client port: worker pid} of the established connections to `port` held by the
    workers, from Linux's /proc; {} elsewhere."""
    try:
        sockets = {}
        for worker in workers:
            for fd in Path(f"/proc/{worker}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:["):
                    sockets[int(link[8:-1])] = worker
        owners = {}
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            if state == "01" and int(local.split(":")[1], 16) == port and inode in sockets:
                owners[int(remote.split(":")[1], 16)] = sockets[inode]
        return owners
    except (OSError, ValueError, IndexError):
        return {}


async def _phase(
    https: list[httpx.AsyncClient], workload: Shares, count: int, limit: float
) -> Load:
    """`count` requests by the clients, each sending its next request when its last is
    answered; none started after `limit` seconds."""
    load = Load()
    deadline = time.perf_counter() + limit

    async def client(c: int, http: httpx.AsyncClient) -> None:
        while load.sent < count and time.perf_counter() < deadline:
            load.sent += 1
            serial, body = workload.next(c)
            start = time.perf_counter()
            try:
                answer = await http.post(workload.path, json=body)
            except httpx.HTTPError as exc:
                load.statuses[type(exc).__name__] += 1
                load.errors.append(f"{serial}: {type(exc).__name__} {exc}")
                continue
            load.latencies.append(time.perf_counter() - start)
            load.statuses[answer.status_code] += 1
            wrong = workload.done(serial, body, answer)
            if wrong is not None:
                load.errors.append(wrong)

    start = time.perf_counter()
    await asyncio.gather(*(client(c, http) for c, http in enumerate(https)))
    load.seconds = time.perf_counter() - start
    return load


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each of the server's worker processes (Linux's /proc; else none)."""
    found = {}
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in map(int, children):
            if "spawn_main" not in Path(f"/proc/{child}/cmdline").read_text():
                continue  # multiprocessing's resource tracker
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            found[child] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return {}
    return found


# -- servers and databases ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(command: list[str], log_path: Path, env: dict[str, str]) -> Iterator[Server]:
    """`command --host 127.0.0.1 --port P` running, up and answering /readyz."""
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                if process.poll() is not None or _ready(base):
                    break
                time.sleep(0.1)
            if process.poll() is not None or not _ready(base):
                tail = log_path.read_text()[-2000:]
                raise RuntimeError(f"{' '.join(command[-8:])} did not come up: {tail}")
            yield Server(base, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def _postgres(ctx: Context) -> Iterator[str | None]:
    """A PostgreSQL server's URL: $TRACELOT_BENCH_PG_URL, else a throwaway server started by
    scripts/pg-test-server on a free port (stopped afterwards); None when there is none."""
    given = os.environ.get("TRACELOT_BENCH_PG_URL")
    if given:
        yield given
        return
    if ctx.quick:  # the smoke test stays short: PostgreSQL when given a server only
        ctx.note("PostgreSQL", "not measured in a quick run without $TRACELOT_BENCH_PG_URL")
        yield None
        return
    script = str(HERE.parent / "scripts" / "pg-test-server")
    env = {k: v for k, v in os.environ.items() if k != "TRACELOT_PG_DIR"}
    env["TRACELOT_PG_PORT"] = str(_free_port())  # never the test suite's server
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        ctx.note("PostgreSQL", f"not measured: {started.stderr.strip() or 'no server'}")
        yield None
        return
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True, text=True)


def _admin(server: str) -> Engine:
    return create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _fresh_pg(server: str) -> str:
    """A new, empty database for the bench on the server; its URL."""
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return make_url(server).set(database=PG_DATABASE).render_as_string(hide_password=False)


def _drop_pg(server: str) -> None:
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
    admin.dispose()
