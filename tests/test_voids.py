"""Corrections: `void OP --reason T` reverses an operation exactly by a new operation of
kind `void` that names it. The projections (units, balances, cost layers, holds,
genealogy, a purchase order's receipts) end as if the original had not happened, which
is checked against a second database where it never did; the original stays on the
ledger, marked voided, in `history`, `operation`, the trace and the EPCIS export (an
error declaration). Refusals name the operations in the way or the operation that
undoes instead, exit 1 and change nothing; of two racing voids one wins."""

from __future__ import annotations

import json
import multiprocessing as mp
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import BACKEND, Cli
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator
from sqlalchemy import create_engine, text

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.server import Settings, create_app

DATA = Path(__file__).parent / "data" / "epcis"


def _world(t: tracelot.Tracelot) -> None:
    """The master data both databases share."""
    t.add_location("WH", kind="warehouse")
    t.add_location("A1", parent="WH")
    t.add_location("A2", parent="WH")
    t.add_location("LINE", kind="production")
    t.add_party("CELLCO", name="Cell Co", kind="supplier")
    t.add_party("ACME", name="Acme", kind="customer")
    t.add_item("PCB", name="Board", tracking="serial", cost="12.5")
    t.add_item("CELL", name="Cell", tracking="lot", cost="2")
    t.add_item("SCREW", name="Screw", tracking="none", cost="0.01")
    t.add_item("DEV", name="Device", tracking="serial")


def _common(t: tracelot.Tracelot) -> None:
    """What happened in both databases, before the mistakes."""
    t.receive("PCB", to="A1", serials="S01..S03", supplier="CELLCO", cost=10)
    t.receive("CELL", to="A1", lot="L1", qty=50, cost=2, expires="2031-01-31")
    t.receive("SCREW", to="A2", qty=100, cost="0.01")


def _later(t: tracelot.Tracelot) -> None:
    """What happened in both databases after the mistakes, not depending on them."""
    t.move("CELL@L1", to="A2", qty=30)
    t.ship("SCREW", to="ACME", qty=50)
    t.move("PCB:S01", to="A2")


@pytest.fixture
def other(fresh_url: str):
    with tracelot.connect(fresh_url, user="other") as handle:
        handle.init()
        yield handle


def _layers(t: tracelot.Tracelot) -> dict[tuple, Decimal]:
    """What the open cost layers hold: how much of each item (and lot) at each location at
    each unit cost (a void gives back what a line took as one layer at its cost)."""
    held: dict[tuple, Decimal] = {}
    with t.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.code, l.code, loc.code, c.unit_cost, c.qty_left FROM cost_layers c"
            " JOIN items i ON i.id = c.item_id JOIN locations loc ON loc.id = c.location_id"
            " LEFT JOIN lots l ON l.id = c.lot_id WHERE c.qty_left > 0"
        )).all()  # fmt: skip
    for item, lot, loc, cost, left in rows:
        key = (item, lot, loc, Decimal(str(cost)).normalize())
        held[key] = held.get(key, Decimal(0)) + Decimal(str(left))
    return held


def _same_world(mine: tracelot.Tracelot, theirs: tracelot.Tracelot) -> None:
    assert mine.stock(serials=True) == theirs.stock(serials=True)
    assert mine.stock() == theirs.stock()
    for by in ("item", "location", "lot"):
        assert mine.valuation(by=by) == theirs.valuation(by=by), by
    assert _layers(mine) == _layers(theirs)
    assert mine.holds() == theirs.holds()
    assert mine.verify().ok and theirs.verify().ok, mine.verify().problems


def test_voided_receipts_leave_the_world_as_if_they_never_happened(tl, other) -> None:
    for t in (tl, other):
        _world(t)
        _common(t)
    mistakes = [
        tl.receive("CELL", to="A1", lot="L1", qty=20, cost=3),  # into a lot already there
        tl.receive("PCB", to="A1", serials="S04..S06", supplier="CELLCO", cost=11),
        tl.receive("SCREW", to="A2", qty=30, cost="0.05"),
        tl.receive("CELL", to="A1", lot="L2", qty=10, cost="2.5"),  # a new lot
    ]
    for t in (tl, other):
        _later(t)
    for done in mistakes:
        void = tl.void(done.id, reason="received by mistake")
        assert void.kind == "void" and void.voids == done.id
        assert [(ln.from_location, ln.to_location, ln.qty) for ln in void.lines] == [
            (ln.to_location, ln.from_location, ln.qty) for ln in done.lines
        ]
    _same_world(tl, other)
    # the serials of a voided receipt can be received again
    again = tl.receive("PCB", to="A2", serials="S04..S05", supplier="CELLCO", cost=11)
    assert [ln.serials for ln in again.lines] == [["S04", "S05"]]
    assert tl.where("PCB:S04")[0]["location_path"] == "WH/A2"
    assert tl.verify().ok


def test_voided_moves_shipments_scraps_counts_and_returns_leave_no_trace_in_stock(
    tl, other
) -> None:
    for t in (tl, other):
        _world(t)
        _common(t)
    done = [
        tl.move("CELL@L1", "PCB:S02", to="A2", qty=20),
        tl.ship("PCB:S03", to="ACME", reference="SO-1"),
        tl.ship("CELL@L1", to="ACME", qty=5),
        tl.scrap("SCREW", reason="bent", qty=5),
        tl.adjust("SCREW", at_location="A2", counted=90),
        tl.return_to_supplier("CELL@L1", to="CELLCO", qty=2),
    ]
    for op in reversed(done):
        tl.void(op.id, reason="not so")
    _same_world(tl, other)
    assert tl.where("PCB:S03")[0]["customer"] is None
    # a return voided: back at the customer's, who is named again
    tl.ship("PCB:S03", to="ACME")
    back = tl.return_("PCB:S03", from_customer="ACME", to="A1")
    tl.void(back.id, reason="it never came back")
    assert tl.where("PCB:S03")[0]["customer"] == "ACME"
    assert tl.verify().ok


def test_a_voided_build_gives_back_its_components_and_ends_its_genealogy(tl, other) -> None:
    for t in (tl, other):
        _world(t)
        _common(t)
    built = tl.build("DEV", to="LINE", serial="D1",
                     consume=["PCB:S01", "CELL@L1=4", "SCREW=6"])  # fmt: skip
    void = tl.void(built.id, reason="wrong components")
    _same_world(tl, other)
    assert tl.where("PCB:S01")[0]["status"] == "in_stock"
    # the trace says so: now, the links stand no more (shown as voided); as of the build,
    # they stood, and the build is named voided
    inputs = tl.trace_backward("DEV:D1").to_dict()["roots"][0]["inputs"]
    assert {i["ref"]: (i["build"], i["voided_by"]) for i in inputs} == {
        "PCB:S01": (built.id, void.id), "CELL@L1": (built.id, void.id),
        "SCREW": (built.id, void.id),
    }  # fmt: skip
    assert tl.trace_forward("PCB:S01").to_dict()["roots"][0]["outputs"][0]["voided_by"] == void.id
    then = built.occurred_at
    assert (
        tl.trace_forward("PCB:S01", as_of=then).to_dict()["roots"][0]["outputs"][0]["voided_by"]
        == void.id
    )
    # the serial can be built again, from other components
    again = tl.build("DEV", to="LINE", serial="D1", consume=["PCB:S02"])
    assert tl.where("DEV:D1")[0]["location_path"] == "LINE"
    current = tl.trace_backward("DEV:D1").to_dict()["roots"][0]["inputs"]
    assert [(i["ref"], i["build"]) for i in current if i["voided_by"] is None] == [
        ("PCB:S02", again.id)
    ]
    assert tl.verify().ok


def test_a_void_after_a_voided_later_operation_goes_through(tl) -> None:
    _world(tl)
    receipt = tl.receive("PCB", to="A1", serials="X1..X2")
    move = tl.move("PCB:X1", to="A2")
    with pytest.raises(TracelotError, match=f"move {move.id}"):
        tl.void(receipt.id, reason="wrong")
    tl.void(move.id, reason="wrong bin")
    tl.void(receipt.id, reason="wrong item")
    assert tl.stock() == [] and tl.verify().ok


def test_a_unit_back_at_its_customer_by_a_void_names_the_shipment_that_took_it_there(
    tl,
) -> None:
    """A void of a return takes the unit back to its customer: the trace names the
    shipment that took it there, not the void (nor a voided shipment)."""
    _world(tl)
    tl.receive("PCB", to="A1", serials="X1")
    voided = tl.ship("PCB:X1", to="ACME", reference="SO-OLD")
    tl.void(voided.id, reason="not sent")
    tl.ship("PCB:X1", to="ACME", reference="SO-9")
    came_back = tl.return_("PCB:X1", from_customer="ACME", to="A1")
    tl.void(came_back.id, reason="it did not come back")
    rows = [json.loads(line) for line in tl.iter_affected("forward", "PCB:X1", fmt="jsonl")]
    assert [(r["customer"], r["shipment_ref"]) for r in rows] == [("ACME", "SO-9")]
    tree = tl.trace_forward("PCB:X1")
    assert [(a["customer"], a["shipment_ref"]) for a in tree.affected] == [("ACME", "SO-9")]
    assert tl.verify().ok


def test_a_shipment_of_a_lot_partly_returned_is_not_voided_until_the_return_is(tl) -> None:
    """A void of a shipment would take back from the customer what they returned already
    (another customer's holding of the lot hid it): refused, naming the return."""
    _world(tl)
    tl.receive("CELL", to="A1", lot="L9", qty=50)
    shipped = tl.ship("CELL@L9", to="ACME", qty=10)
    tl.ship("CELL@L9", to="ACME", qty=1, reference="later")  # still theirs after the void
    tl.add_party("BETA", name="Beta", kind="customer")
    tl.ship("CELL@L9", to="BETA", qty=10)
    back = tl.return_("CELL@L9", from_customer="ACME", to="A1", qty=4)
    with pytest.raises(TracelotError, match=rf"return {back.id} \(CELL@L9 \(7 of 10 still"):
        tl.void(shipped.id, reason="not sent")
    assert [(r["location"], r["qty"]) for r in tl.stock(item="CELL")] == [("A1", 33)]
    tl.void(back.id, reason="it did not come back")
    tl.void(shipped.id, reason="not sent")
    assert [(r["location"], r["qty"]) for r in tl.stock(item="CELL")] == [("A1", 39)]
    held = {r["customer"]: r["qty"] for r in tl.where("CELL@L9") if r["customer"]}
    assert held == {"ACME": 1, "BETA": 10} and tl.verify().ok


def test_history_operation_and_dashboard_name_the_void(setup_basics: Cli) -> None:
    cli = setup_basics
    receipt = cli("receive", "PCB", "--to", "A1", "--serials", "SN1..SN2", "--json").json()
    out = cli("void", str(receipt["id"]), "--reason", "wrong item", "--json")
    assert out.exit_code == 0, out.stderr
    void = out.json()
    assert void["kind"] == "void" and void["voids"] == receipt["id"]
    assert void["note"] == "wrong item"
    assert void["lines"] == [{"item": "PCB", "lot": None, "from": "WH/A1", "to": "SUPPLIER",
                              "qty": 1 * 2, "serials": ["SN1", "SN2"]}]  # fmt: skip
    history = cli("history", "PCB:SN1", "--json").json()
    assert [(h["operation"], h["kind"], h["voided_by"], h["voids"]) for h in history] == [
        (receipt["id"], "receive", void["id"], None),
        (void["id"], "void", None, receipt["id"]),
    ]
    shown = cli("operation", str(receipt["id"]), "--json").json()
    assert shown["voided_by"] == void["id"] and shown["void_reason"] == "wrong item"
    assert shown["lines"] == receipt["lines"]
    assert cli("operation", str(void["id"]), "--json").json()["voids"] == receipt["id"]
    table = cli("history", "PCB:SN1").stdout
    assert "voided_by" in table
    text_out = cli("operation", str(receipt["id"])).stdout
    assert f"VOIDED by operation {void['id']}: wrong item" in text_out
    assert cli("verify").exit_code == 0


def test_refusals_name_what_is_in_the_way_and_change_nothing(setup_basics: Cli, refused) -> None:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN1..SN3"),  # 1
        ("ship", "PCB:SN2", "--to", "ACME"),  # 2
        ("move", "PCB:SN3", "--to", "A2"),  # 3
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "10"),  # 4
        ("move", "CELL@L1", "--to", "A2", "--qty", "4"),  # 5
        ("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", "PCB:SN1"),  # 6
        ("ship", "DEV:D1", "--to", "GLOBEX"),  # 7
        ("hold", "CELL@L1", "--reason", "check"),  # 8
        ("release", "CELL@L1"),  # 9
        ("receive", "SCREW", "--to", "A1", "--qty", "10"),  # 10
        ("void", "10", "--reason", "wrong"),  # 11
        ("receive", "PCB", "--to", "A1", "--serials", "Q1"),  # 12
        ("recall", "open", "PCB:Q1", "--reason", "bad batch"),  # 13
    ]:
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    # a receipt whose units were shipped and moved since, naming each operation
    said = refused("void", "1", "--reason", "wrong", match="ship 2 (PCB:SN2)").stderr
    assert "move 3 (PCB:SN3)" in said and "build 6 (PCB:SN1)" in said
    assert "return-to-supplier" in said  # the fitting operation for a part of it
    refused("void", "4", "--reason", "wrong", match="move 5 (CELL@L1 (6 of 10 left))")
    refused("void", "6", "--reason", "wrong", match="ship 7 (DEV:D1)")
    refused("void", "8", "--reason", "wrong", match="release the hold instead")
    refused("void", "9", "--reason", "wrong", match="hold it again instead")
    refused("void", "11", "--reason", "wrong", match="a void cannot be voided")
    refused("void", "10", "--reason", "again", match="voided already (by operation 11)")
    refused("void", "12", "--reason", "wrong", match="recall 13 (PCB:Q1)")
    refused("void", "13", "--reason", "wrong", match="recall close")
    refused("void", "999", "--reason", "wrong", match="no operation 999")
    refused("void", "abc", "--reason", "wrong", match="operation must be a whole number")
    refused("void", "3", "--reason", "  ", match="--reason")
    refused("operation", "999", match="no operation 999")
    assert cli("void", "3").exit_code == 2  # no --reason: a usage error
    assert cli("verify").exit_code == 0


def test_a_receipt_against_a_purchase_order_voided_is_due_again(tl) -> None:
    _world(tl)
    po = tl.po_create("CELLCO", lines=["SCREW:100:0.02"])["id"]
    receipt = tl.receive("SCREW", to="A1", qty=100, po=po)
    assert tl.purchase_order(po)["status"] == "closed"
    tl.void(receipt.id, reason="counted wrong")
    order = tl.purchase_order(po)
    assert order["status"] == "open"
    assert [line["received"] for line in order["lines"]] == [0]
    tl.receive("SCREW", to="A1", qty=100, po=po)
    assert tl.purchase_order(po)["status"] == "closed" and tl.verify().ok


def test_the_api_voids_for_quality_and_admin_and_refuses_as_problems(
    setup_basics: Cli, db_url: str
) -> None:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN1..SN2"),
        ("move", "PCB:SN1", "--to", "A2"),
        ("hold", "PCB:SN2", "--reason", "x"),
    ]:
        assert cli(*args).exit_code == 0
    with tracelot.connect(db_url) as t:
        tokens = {}
        for role in ("operator", "quality", "viewer"):
            t.add_user(f"u_{role}", role=role)
            tokens[role] = {"Authorization": f"Bearer {t.create_token(f'u_{role}')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        url = "/api/v1/operations/2/void"
        body = {"reason": "wrong bin"}
        assert client.post(url, json=body, headers=tokens["operator"]).status_code == 403
        got = client.post(url, json=body, headers=tokens["viewer"])
        assert got.status_code == 403
        key = {**tokens["quality"], "Idempotency-Key": "void-2"}
        done = client.post(url, json=body, headers=key)
        assert done.status_code == 201, done.json()
        assert done.json()["voids"] == 2 and done.json()["kind"] == "void"
        again = client.post(url, json=body, headers=key)  # sent again: the same answer
        assert again.status_code == 201 and again.json() == done.json()
        history = client.get("/api/v1/history", params={"ref": "PCB:SN1"},
                             headers=tokens["viewer"]).json()  # fmt: skip
        assert [(h["operation"], h["voided_by"], h["voids"]) for h in history] == [
            (1, None, None), (2, done.json()["id"], None), (done.json()["id"], None, 2),
        ]  # fmt: skip
        shown = client.get("/api/v1/operations/2", headers=tokens["viewer"]).json()
        assert shown["voided_by"] == done.json()["id"] and shown["void_reason"] == "wrong bin"
        twice = client.post(url, json=body, headers=tokens["quality"])
        assert twice.status_code == 409
        assert twice.headers["content-type"] == "application/problem+json"
        assert "voided already" in twice.json()["detail"]
        in_way = client.post("/api/v1/operations/1/void", json=body, headers=tokens["quality"])
        assert in_way.status_code == 409 and "hold 3 (PCB:SN2)" in in_way.json()["detail"]
        hold = client.post("/api/v1/operations/3/void", json=body, headers=tokens["quality"])
        assert hold.status_code == 422 and "release" in hold.json()["detail"]
        blank = client.post(url, json={"reason": ""}, headers=tokens["quality"])
        assert blank.status_code == 422
        missing = client.get("/api/v1/operations/99", headers=tokens["viewer"])
        assert missing.status_code == 404
        assert client.get("/api/v1/operations/receive", headers=tokens["viewer"]).status_code in (
            404, 405,
        )  # fmt: skip
    assert cli("verify").exit_code == 0


def _void_at_barrier(url: str, op_id: int, name: str, barrier, results) -> None:  # noqa: ANN001
    with tracelot.connect(url, user=name) as t:
        t.stock()  # connect and warm up before the race
        barrier.wait()
        try:
            done = t.void(op_id, reason=f"by {name}")
            results.put((name, "ok", done.id))
        except TracelotError as exc:
            results.put((name, exc.code, str(exc)))


@pytest.mark.slow
def test_two_voids_of_one_operation_race_and_one_wins(db_url: str) -> None:
    with tracelot.connect(db_url, user="setup") as t:
        _world(t)
        receipt = t.receive("CELL", to="A1", lot="L1", qty=10)
        move = t.move("CELL@L1", to="A2", qty=4)  # a lot quantity: stock alone would allow two
        del receipt
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_void_at_barrier, args=(db_url, move.id, n, barrier, results))
             for n in ("ann", "bob")]  # fmt: skip
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(o[1] for o in outcomes) != ["ok", "ok"], outcomes
    assert [o[1] for o in outcomes].count("ok") == 1, outcomes
    loser = next(o for o in outcomes if o[1] != "ok")
    assert loser[1] in ("conflict", "not_available"), loser
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM voids")).scalar_one() == 1
        kinds = conn.execute(text("SELECT kind FROM operations ORDER BY id")).scalars().all()
    engine.dispose()
    assert kinds.count("void") == 1
    with tracelot.connect(db_url) as t:
        assert t.stock(location="A1")[0]["qty"] == 10 and t.verify().ok


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def test_the_epcis_export_declares_the_voided_event_in_error(tl, other, validator) -> None:
    _world(tl)
    receipt = tl.receive("PCB", to="A1", serials="S1..S2", supplier="CELLCO", cost=10)
    lot = tl.receive("CELL", to="A1", lot="L1", qty=50, cost=2)
    move = tl.move("CELL@L1", to="A2", qty=5)
    void = tl.void(move.id, reason="wrong bin")
    tl.move("CELL@L1", to="A2", qty=7)
    void_receipt = tl.void(receipt.id, reason="not ours")
    doc = tl.epcis_export()
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)] == []
    events = doc["epcisBody"]["eventList"]
    # a void is no event of its own: it is the declaration on the events it voids
    assert [e["tracelot:operation"] for e in events] == [
        f"urn:tracelot:operation:{op.id}" for op in (receipt, lot, move)
    ] + [f"urn:tracelot:operation:{move.id + 2}"]
    declared = {e["tracelot:operation"]: e.get("errorDeclaration") for e in events}
    assert declared[f"urn:tracelot:operation:{lot.id}"] is None
    on_move = declared[f"urn:tracelot:operation:{move.id}"]
    assert on_move["reason"] == "did_not_occur" and on_move["correctiveEventIDs"] == []
    assert on_move["tracelot:voidReason"] == "wrong bin"
    assert on_move["tracelot:voidOperation"] == f"urn:tracelot:operation:{void.id}"
    assert on_move["declarationTime"].startswith(void.occurred_at.strftime("%Y-%m-%dT%H:%M"))
    # the declaration leaves the event's ID (its CBV hash) as it was
    before = tl.epcis_export(end=receipt.occurred_at.date().replace(year=2000))
    assert before["epcisBody"]["eventList"] == []
    # a period holding the void alone states the voided event again, declared in error
    only = tl.epcis_export(ref="PCB:S1")
    assert [bool(e.get("errorDeclaration")) for e in only["epcisBody"]["eventList"]] == [True]
    assert only["epcisBody"]["eventList"][0]["eventID"] == events[0]["eventID"]
    assert declared[f"urn:tracelot:operation:{receipt.id}"]["tracelot:voidOperation"] == (
        f"urn:tracelot:operation:{void_receipt.id}"
    )
    # imported, the declared events are voided in their place in time: the same world
    summary = other.epcis_import(doc)
    assert summary["problems"] == [] and summary["written"]
    assert other.stock(serials=True) == tl.stock(serials=True)
    assert other.valuation(by="lot") == tl.valuation(by="lot")
    assert other.verify().ok
    again = other.epcis_import(doc)
    assert again["skipped"] == 4
    assert other.stock(serials=True) == tl.stock(serials=True)


def test_verify_finds_a_void_that_does_not_undo_its_original(tl) -> None:
    _world(tl)
    first = tl.receive("SCREW", to="A1", qty=10)
    other = tl.receive("SCREW", to="A1", qty=3)
    void = tl.void(other.id, reason="wrong")
    assert tl.verify().ok
    with tl.engine.begin() as conn:  # the record says it voids another operation
        conn.execute(text("UPDATE voids SET voided_op_id = :a WHERE void_op_id = :v"),
                     {"a": first.id, "v": void.id})  # fmt: skip
    problems = tl.verify().problems
    assert any(f"the void of operation {first.id}" in p for p in problems), problems


@pytest.mark.skipif(BACKEND != "sqlite", reason="the CLI as a process, once")
def test_void_as_a_process(setup_basics: Cli, db_url: str) -> None:
    from conftest import run_process

    assert setup_basics("receive", "SCREW", "--to", "A1", "--qty", "5").exit_code == 0
    done = run_process("void", "1", "--reason", "wrong", "--json", db=db_url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["voids"] == 1
    again = run_process("void", "1", "--reason", "wrong", db=db_url)
    assert again.returncode == 1 and again.stderr.startswith("error: operation 1 is voided")
