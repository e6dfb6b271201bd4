"""Two clients acting on the same stock at once: exactly one succeeds, nothing is lost.

Real parallel processes, on SQLite and on PostgreSQL (whichever the suite runs on).
"""

import multiprocessing as mp
import subprocess
import sys
import threading

import pytest
from conftest import BACKEND
from sqlalchemy import create_engine, text

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.store import engine as engine_module

pytestmark = pytest.mark.slow


def _world(url: str, serials: str) -> None:
    with tracelot.connect(url, user="setup") as tl:
        tl.add_location("WH")
        tl.add_party("ACME", name="Acme", kind="customer")
        tl.add_party("GLOBEX", name="Globex", kind="customer")
        tl.add_item("PCB", name="Board", tracking="serial")
        tl.add_item("CELL", name="Cell", tracking="lot")
        tl.receive("PCB", to="WH", serials=serials)
        tl.receive("CELL", to="WH", lot="L1", qty=10)


def _ship_at_barrier(url: str, refs: list[str], customer: str, barrier, results) -> None:  # noqa: ANN001
    with tracelot.connect(url, user=customer) as tl:
        tl.stock(item="PCB")  # connect and warm up before the race
        for ref in refs:
            barrier.wait()
            try:
                if "@" in ref:
                    tl.ship(ref, to=customer, qty=7)
                else:
                    tl.ship(ref, to=customer)
                results.put((ref, customer, "ok"))
            except TracelotError as exc:
                results.put((ref, customer, f"{exc.code}: {exc}"))


def test_two_processes_shipping_the_same_units_one_wins_each_race(db_url: str) -> None:
    refs = [f"PCB:S{i:02d}" for i in range(1, 13)] + ["CELL@L1"]
    _world(db_url, "S01..S12")
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_ship_at_barrier, args=(db_url, refs, c, barrier, results))
        for c in ("ACME", "GLOBEX")
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(refs))]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    results.close()
    results.join_thread()
    by_ref: dict[str, list[tuple[str, str]]] = {}
    for ref, customer, outcome in outcomes:
        by_ref.setdefault(ref, []).append((customer, outcome))
    with tracelot.connect(db_url) as tl:
        for ref, pair in by_ref.items():
            winners = [c for c, o in pair if o == "ok"]
            losers = [o for _, o in pair if o != "ok"]
            assert len(winners) == 1, (ref, pair)
            # the CELL lot holds 10: only one shipment of 7 fits
            assert any(w in losers[0] for w in ("already shipped", "conflict", "not enough")), pair
            if ref.startswith("PCB"):
                assert tl.where(ref)[0]["customer"] == winners[0]
        report = tl.verify()
        assert report.ok, report.problems
        assert sum(r["qty"] for r in tl.where("CELL@L1") if r["status"] == "shipped") == 7


def test_two_cli_processes_shipping_one_unit(db_url: str) -> None:
    _world(db_url, "S01..S03")
    for serial in ("S01", "S02", "S03"):
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tracelot",
                    "--db",
                    db_url,
                    "ship",
                    f"PCB:{serial}",
                    "--to",
                    customer,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for customer in ("ACME", "GLOBEX")
        ]
        done = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
        codes = sorted(code for code, _ in done)
        assert codes == [0, 1], done
        loser = next(err for code, err in done if code == 1)
        assert loser.startswith("error: ") and "Traceback" not in loser
        assert "already shipped" in loser or "conflict" in loser
    with tracelot.connect(db_url) as tl:
        assert tl.verify().ok
        assert {r["status"] for r in tl.stock(item="PCB", serials=True)} == set()


def _trade(url: str, name: str, rounds: int, barrier, results) -> None:  # noqa: ANN001
    """Ship a few of GLUE and receive a few more at a new cost, in one transaction, in
    both orders of two items (a deadlock if cost layers were taken unordered)."""
    with tracelot.connect(url, user=name) as tl:
        tl.stock(item="GLUE")
        barrier.wait()
        done = 0
        for n in range(rounds):
            items = ["GLUE", "TAPE"] if (n + (name == "B")) % 2 else ["TAPE", "GLUE"]
            try:
                with tl.atomic():
                    for item in items:
                        tl.ship(item, to="ACME", qty=2)
                        tl.receive(item, to="WH", qty=2, cost=str(1 + n % 3))
                done += 1
            except TracelotError:
                pass  # a conflict is a clean refusal; the ledger must still hold together
        results.put(done)


def test_concurrent_trades_keep_cost_layers_equal_to_the_stock(db_url: str) -> None:
    with tracelot.connect(db_url, user="setup") as tl:
        tl.add_location("WH")
        tl.add_party("ACME", name="Acme", kind="customer")
        for item in ("GLUE", "TAPE"):
            tl.add_item(item, name=item, tracking="none")
            tl.receive(item, to="WH", qty=10, cost="1")
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_trade, args=(db_url, name, 15, barrier, results)) for name in "AB"]
    for p in procs:
        p.start()
    done = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(done) >= 15, done  # most trades go through
    with tracelot.connect(db_url) as tl:
        report = tl.verify()
        assert report.ok, report.problems
        by_item = {r["item"]: r for r in tl.valuation()["rows"]}
        assert by_item["GLUE"]["qty"] == 10 and by_item["TAPE"]["qty"] == 10


@pytest.mark.skipif(BACKEND != "postgresql", reason="a server that closes connections")
def test_a_connection_the_server_closed_while_idle_is_replaced(
    tl: tracelot.Tracelot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pooled connections are tested before use once idle (not at every checkout): one the
    server closed meanwhile is dropped and the call goes through on a new one."""
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    tl.add_location("WH", kind="warehouse")
    tl.add_item("BOLT", name="Bolt", tracking="none")
    tl.receive("BOLT", to="WH", qty=5)
    with tl.engine.connect() as conn:  # the pool's connection, as the server sees it
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(tl.engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()
    assert [(r["location"], r["qty"]) for r in tl.stock(item="BOLT")] == [("WH", 5)]


@pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL's row locks")
def test_a_big_move_does_not_wait_for_a_row_being_written_that_names_one_of_its_units(
    db_url: str,
) -> None:
    """A move of many units locks them as an UPDATE of a unit does (FOR NO KEY UPDATE):
    another transaction writing a row that names one of them (a hold, a recall's list: it
    holds a key-share lock on the unit) does not keep the move waiting."""
    _world(db_url, "S001..S020")
    with tracelot.connect(db_url, user="mover") as tl:
        tl.add_location("A2")
    moved: list[object] = []

    def move() -> None:
        with tracelot.connect(db_url, user="mover") as tl:
            moved.append(tl.move(*[f"PCB:S{n:03d}" for n in range(1, 21)], to="A2"))

    other = create_engine(db_url)
    with other.connect() as conn:
        conn.execute(text("SELECT id FROM units WHERE serial = 'S015' FOR KEY SHARE"))
        mover = threading.Thread(target=move)
        mover.start()
        mover.join(timeout=30)
        waited = mover.is_alive()
        conn.rollback()  # (lets a waiting move go, so that the test ends either way)
    mover.join()
    other.dispose()
    assert not waited, "the move waited for the key-share lock"
    assert len(moved[0].lines[0].serials) == 20  # type: ignore[attr-defined]
    with tracelot.connect(db_url) as tl:
        assert {r["location"] for r in tl.stock(item="PCB", serials=True)} == {"A2"}
