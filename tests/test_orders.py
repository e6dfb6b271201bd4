"""Sales orders with reservations, picking and shipping against them (issue 20, points 1
and 2): confirming reserves stock first-expiry-first-out, reserved stock is taken by no
other operation, the pick list walks the warehouse, picks are confirmed by scanning, and
shipping against the order checks each line. Through the CLI, the API and the Python API;
refusals change nothing; `verify` stays clean."""

import json
import threading
from collections.abc import Callable, Iterator

import pytest
from conftest import Cli, Outcome, from_state
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.server import Settings, create_app
from tracelot.store.tables import reservations

PREFIX = "/api/v1"
GTIN = "09506000134352"


@pytest.fixture
def stocked(setup_basics: Cli, db_url: str, tmp_path_factory) -> Cli:
    """The basic world with stock: five boards at A1; lot L1 of cells at A2 expiring
    first, L2 at A1 later, OLD expired; screws at A2. A2 comes first in the walk."""
    from_state("stocked", db_url, tmp_path_factory, lambda: _stocked(setup_basics))
    return setup_basics


def _stocked(cli: Cli) -> None:
    for args in [
        ("location", "set", "A2", "--pick-sequence", "10"),
        ("location", "set", "A1", "--pick-sequence", "20"),
        ("item", "gtin", "add", "PCB", GTIN),
        ("receive", "PCB", "--to", "A1", "--serials", "S1..S5", "--supplier", "CELLCO"),
        ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "30", "--expires", "2090-01-01"),
        ("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "50", "--expires", "2095-01-01"),
        ("receive", "CELL", "--to", "A1", "--lot", "OLD", "--qty", "5", "--expires", "2020-01-01"),
        ("receive", "SCREW", "--to", "A2", "--qty", "1000"),
    ]:
        _ok(cli(*args))


def _ok(out: Outcome) -> Outcome:
    assert out.exit_code == 0, (out.stdout, out.stderr)
    return out


def _order(cli: Cli, *args: str) -> dict:
    return _ok(cli("so", "create", "ACME", *args, "--json")).json()


def _lines(order: dict) -> list[tuple]:
    return [(ln["item"], ln["qty"], ln["reserved"], ln["shipped"]) for ln in order["lines"]]


def _stock(cli: Cli, item: str) -> dict:
    rows = _ok(cli("stock", "--item", item, "--json")).json()
    return {(r["location"], r["lot"]): (r["qty"], r["reserved"], r["available"]) for r in rows}


def test_confirming_an_order_reserves_stock_first_expiry_first_out(stocked: Cli) -> None:
    cli = stocked
    draft = _order(cli, "--line", "PCB:2:150", "--line", "CELL:40", "--line", "SCREW:100:0.05",
                   "--ship-by", "2031-05-01", "--reference", "PO-ACME-7")  # fmt: skip
    assert (draft["id"], draft["status"], draft["ship_by"]) == (1, "draft", "2031-05-01")
    assert _lines(draft) == [("PCB", 2, 0, 0), ("CELL", 40, 0, 0), ("SCREW", 100, 0, 0)]
    assert _stock(cli, "CELL")[("A2", "L1")] == (30, 0, 30)
    order = _ok(cli("so", "confirm", "1", "--json")).json()
    assert order["status"] == "open"
    assert _lines(order) == [("PCB", 2, 2, 0), ("CELL", 40, 40, 0), ("SCREW", 100, 100, 0)]
    # the earliest expiry first, never the expired lot
    cells = {(r["lot"], r["location"], r["qty"]) for r in order["reservations"]
             if r["item"] == "CELL"}  # fmt: skip
    assert cells == {("L1", "A2", 30), ("L2", "A1", 10)}
    assert [r["serial"] for r in order["reservations"] if r["item"] == "PCB"] == ["S1", "S2"]
    # stock and where show reserved and available beside qty
    assert _stock(cli, "CELL") == {("A2", "L1"): (30, 30, 0), ("A1", "L2"): (50, 10, 40),
                                   ("A1", "OLD"): (5, 0, 0)}  # fmt: skip
    where = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (where["reserved"], where["available"]) == (1, 0)
    assert _ok(cli("where", "PCB:S3", "--json")).json()[0]["available"] == 1
    assert "reserved" in _ok(cli("stock", "--item", "CELL")).stdout
    listed = _ok(cli("so", "list", "--json")).json()
    assert [(o["id"], o["status"], o["reserved"]) for o in listed] == [(1, "open", 142)]
    assert _ok(cli("verify")).exit_code == 0


def test_confirming_reserves_what_there_is_and_reserve_tries_again(stocked: Cli) -> None:
    cli = stocked
    order = _order(cli, "--line", "SCREW:1500", "--confirm")
    assert _lines(order) == [("SCREW", 1500, 1000, 0)]
    _ok(cli("receive", "SCREW", "--to", "A1", "--qty", "800"))
    again = _ok(cli("so", "reserve", "1", "--json")).json()
    assert _lines(again) == [("SCREW", 1500, 1500, 0)]
    picks = _ok(cli("so", "pick", "1", "--json")).json()
    assert picks["short"] == []


def test_named_lots_and_units_are_reserved(stocked: Cli, refused: Callable) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:10")
    refused("so", "reserve", "1", "PCB:S4", match="draft")
    first = _ok(cli("so", "confirm", "1", "PCB:S4", "CELL@L2=4", "--json")).json()
    held = sorted((r["item"], r["lot"] or "", r["serial"] or "", r["qty"])
                  for r in first["reservations"])  # fmt: skip
    assert held == [("CELL", "L1", "", 6), ("CELL", "L2", "", 4), ("PCB", "", "S1", 1),
                    ("PCB", "", "S4", 1)]  # fmt: skip
    second = _order(cli, "--line", "CELL@L2:10", "--confirm")
    assert second["lines"][0]["lot"] == "L2"
    assert [(r["lot"], r["qty"]) for r in second["reservations"]] == [("L2", 10)]
    _order(cli, "--line", "PCB:1", "--line", "CELL:5")
    refused("so", "confirm", "3", "PCB:S4", match="reserved for sales order 1")
    refused("so", "confirm", "3", "CELL@OLD=1", match="free")
    refused("so", "confirm", "3", "DEV:D9", match="DEV")
    refused("so", "confirm", "3", "SCREW=1", match="wrong item")
    refused("so", "confirm", "3", "PCB:S5", "PCB:S3", match="reserved in full")
    third = _ok(cli("so", "confirm", "3", "PCB:S5", "--json")).json()
    assert [r["serial"] for r in third["reservations"] if r["serial"]] == ["S5"]
    _ok(cli("so", "cancel", "3"))
    added = _ok(cli("so", "reserve", "1", "--json")).json()  # nothing more needed
    assert added["reservations"] == first["reservations"]


def test_reserved_stock_is_taken_by_no_other_operation(stocked: Cli, refused: Callable) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:1", "--line", "CELL:30", "--line", "SCREW:990", "--confirm")
    refused("ship", "PCB:S1", "--to", "GLOBEX", match="reserved for sales order 1")
    refused("scrap", "CELL@L1", "--qty", "1", "--reason", "dent", match="reserved")
    refused("move", "CELL@L1", "--qty", "5", "--to", "A1", match="reserved")
    refused("move", "PCB:S1", "--to", "A2", match="reserved for sales order 1")
    refused("ship", "SCREW", "--qty", "11", "--to", "GLOBEX", match="10 available")
    refused("build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "PCB:S1",
            match="reserved for sales order 1")  # fmt: skip
    _ok(cli("location", "add", "WH2", "--kind", "warehouse"))
    refused("transfer", "CELL@L1=1", "--from", "WH", "--to", "WH2", match="reserved")
    # what is not reserved goes as before
    _ok(cli("ship", "SCREW", "--qty", "10", "--to", "GLOBEX"))
    _ok(cli("ship", "PCB:S2", "--to", "GLOBEX"))
    _ok(cli("so", "cancel", "1", "--reason", "customer changed their mind"))
    _ok(cli("ship", "PCB:S1", "--to", "GLOBEX"))
    _ok(cli("scrap", "CELL@L1", "--qty", "1", "--reason", "dent"))
    assert _ok(cli("so", "show", "1", "--json")).json()["reservations"] == []
    assert _ok(cli("verify")).exit_code == 0


def test_shipping_against_an_order_checks_each_line(stocked: Cli, refused: Callable) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:40", "--reference", "PO-7", "--confirm")
    refused("ship", "--so", "1", "CELL@L1", "--qty", "41", match="more than ordered")
    refused("ship", "--so", "1", "SCREW", "--qty", "1", match="does not order SCREW")
    refused("ship", "--so", "1", "--to", "GLOBEX", "PCB:S1", match="ACME's, not GLOBEX's")
    refused("ship", "--so", "9", match="no sales order 9")
    shipped = _ok(cli("ship", "--so", "1", "PCB:S1", "CELL@L1", "--qty", "30", "--json")).json()
    assert (shipped["order"], shipped["party"], shipped["reference"]) == (1, "ACME", "SO 1 (PO-7)")
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "partly_shipped"
    assert [(ln["shipped"], ln["backorder"], ln["reserved"]) for ln in order["lines"]] == [
        (1, 1, 1), (30, 10, 10)]  # fmt: skip
    refused("ship", "--so", "1", "CELL@L2", "--qty", "11", match="more than ordered")
    # the rest: what is reserved for it, nothing named
    _ok(cli("ship", "--so", "1"))
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "shipped" and order["reservations"] == []
    assert [s["line"] for s in order["shipments"]] == [1, 2, 1, 2]
    assert len({s["operation"] for s in order["shipments"]}) == 2
    refused("ship", "--so", "1", match="shipped")
    refused("so", "cancel", "1", match="shipped already")
    where = _ok(cli("where", "PCB:S2", "--json")).json()[0]
    assert (where["status"], where["customer"]) == ("shipped", "ACME")
    assert _ok(cli("verify")).exit_code == 0


def test_a_recall_names_the_order_its_customer_received_it_by(stocked: Cli) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:1", "--reference", "ACME-PO-31", "--confirm")
    _ok(cli("ship", "--so", "1"))
    opened = _ok(cli("recall", "open", "PCB:S1", "--reason", "bad boards", "--json")).json()
    shown = _ok(cli("recall", "show", str(opened["recall"]), "--json")).json()
    text = str(shown)
    assert "SO 1 (ACME-PO-31)" in text
    forward = _ok(cli("trace", "forward", "PCB:S1", "--json")).json()
    assert "SO 1 (ACME-PO-31)" in str(forward)


def test_so_create_refuses_bad_input_and_changes_nothing(stocked: Cli, refused: Callable) -> None:
    refused("so", "create", "NOBODY", "--line", "PCB:1", match="NOBODY")
    refused("so", "create", "CELLCO", "--line", "PCB:1", match="customer")
    refused("so", "create", "ACME", "--line", "PCB", match="ITEM:QTY")
    refused("so", "create", "ACME", "--line", "CELL:NaN", match="not 'CELL:NaN'")
    refused("so", "create", "ACME", "--line", "PCB:1:1:1:1", match="not 'PCB:1:1:1:1'")
    refused("so", "create", "ACME", "--line", "PCB:0", match="quantity")
    refused("so", "create", "ACME", "--line", "PCB:1.5", match="whole units")
    refused("so", "create", "ACME", "--line", "NOPE:1", match="NOPE")
    refused("so", "create", "ACME", "--line", "SCREW@L1:1", match="no lots")
    refused("so", "create", "ACME", "--line", "CELL@NOPE:1", match="NOPE")
    refused("so", "create", "ACME", "--line", "PCB:1:1.2.3", match="price")
    refused("so", "create", "ACME", "--line", "PCB:1:abc", match="no pack 'abc'")  # a pack
    refused("so", "create", "ACME", "--line", "PCB:1", "--ship-by", "soon", match="ship-by")
    refused("so", "confirm", "1", match="no sales order 1")
    refused("so", "show", "0", match="no sales order 0")
    refused("so", "list", "--status", "lost", match="status must be one of")
    assert stocked("so", "create", "ACME").exit_code == 2  # a line is required: usage


def test_the_pick_list_walks_the_warehouse_and_leaves_out_held_stock(
    stocked: Cli, tmp_path
) -> None:  # fmt: skip
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:40", "--line", "SCREW:5", "--confirm")
    shown = _ok(cli("so", "pick", "1", "--json")).json()
    walk = [(r["location"], r["item"], r["lot"], r["serial"], r["qty"]) for r in shown["rows"]]
    assert walk == [("A2", "CELL", "L1", None, 30), ("A2", "SCREW", None, None, 5),
                    ("A1", "CELL", "L2", None, 10), ("A1", "PCB", None, "S1", 1),
                    ("A1", "PCB", None, "S2", 1)]  # fmt: skip
    assert shown["short"] == []
    table = _ok(cli("so", "pick", "1")).stdout
    assert table.index("WH/A2") < table.index("WH/A1")
    _ok(cli("hold", "CELL@L1", "--reason", "supplier complaint"))
    shown = _ok(cli("so", "pick", "1", "--json")).json()
    assert [r["lot"] for r in shown["rows"] if r["item"] == "CELL"] == ["L2"]
    assert [(s["line"], s["qty"]) for s in shown["short"]] == [(2, 30)]
    assert "CELL@L1 held" in shown["short"][0]["reason"]
    pdf = tmp_path / "pick.pdf"
    _ok(cli("so", "pick", "1", "--out", str(pdf)))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_picking_by_scanning_refuses_wrong_items_lots_and_expired_units(
    stocked: Cli, refused: Callable
) -> None:  # fmt: skip
    cli = stocked
    _ok(cli("receive", "DEV", "--to", "A1", "--serials", "D1"))
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "X1", "--expires", "2020-01-01"))
    _order(cli, "--line", "PCB:2", "--line", "CELL:40", "--confirm")
    scans = "\n".join([
        "DEV:D1",  # not on the order
        "CELL@OLD=5",  # expired lot
        "PCB:X1",  # an expired unit
        f"(01){GTIN}(21)S3",  # a free board stands in for a reserved one
        "CELL@L2=10",  # reserved at A1
        "CELL@L2=10",  # more than reserved of L2
        "PCB:S3",  # twice
    ]) + "\n"  # fmt: skip
    out = cli("scan", "--then", "pick", "1", "--json", input=scans)
    assert out.exit_code == 1
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    import json

    said = [json.loads(line) for line in lines]
    assert [s.get("ok") for s in said[:7]] == [False, False, False, True, True, False, False]
    assert "wrong item" in said[0]["error"]
    assert "expired" in said[1]["error"]
    assert "expired" in said[2]["error"]
    assert "picked already" in said[6]["error"]
    # each line has `tracelot scan --json`'s fields too (CONVENTIONS), refused or not
    assert (said[3]["valid"], said[3]["kind"], said[3]["gtin"], said[3]["serial"]) == (
        True, "unit", GTIN, "S3")  # fmt: skip
    assert said[3]["ais"] == {"01": GTIN, "21": "S3"} and said[3]["line"] == 1
    assert (said[1]["kind"], said[1]["lot"], said[1]["valid"]) == ("lot", "OLD", True)
    short = said[-1]["short"]
    assert [(s["line"], s["short"]) for s in short] == [(1, 1), (2, 30)]
    progress = _ok(cli("so", "pick", "1", "--json")).json()
    assert [(r["item"], r["lot"], r["serial"], r["qty"]) for r in progress["rows"]] == [
        ("CELL", "L1", None, 30), ("PCB", None, "S1", 1)]  # fmt: skip
    # the rest, typed by hand in one go; and then an over-pick
    done = _ok(cli("so", "pick-scan", "1", "A2", "CELL@L1=30", "A1", "PCB:S1", "--json")).json()
    assert [p["left"] for p in done["picked"]] == [0, 0]
    refused("so", "pick-scan", "1", "SCREW=1", match="wrong item")
    refused("so", "pick-scan", "1", "CELL@L1=1", match="picked already")


def test_picking_then_shipping_the_picked_stock_completes_the_order(stocked: Cli) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:35", "--confirm")
    _ok(cli("scan", "--then", "pick", "1", input="PCB:S1\nCELL@L1=30\n"))
    first = _ok(cli("ship", "--so", "1", "--json")).json()  # what was picked
    assert sorted((ln["item"], ln["lot"], ln["qty"]) for ln in first["lines"]) == [
        ("CELL", "L1", 30), ("PCB", None, 1)]  # fmt: skip
    assert _ok(cli("so", "show", "1", "--json")).json()["status"] == "partly_shipped"
    _ok(cli("scan", "--then", "pick", "1", input="PCB:S2\nCELL@L2=5\n"))
    _ok(cli("ship", "--so", "1"))
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "shipped"
    assert [(ln["shipped"], ln["picked"], ln["backorder"]) for ln in order["lines"]] == [
        (2, 0, 0), (35, 0, 0)]  # fmt: skip
    assert _ok(cli("verify")).exit_code == 0


def test_a_scan_session_ships_against_an_order_checking_each_line(
    stocked: Cli, refused: Callable
) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:10", "--confirm")
    done = cli("scan", "--then", "ship-to", "--so", "1", "--json",
               input="PCB:S1\nCELL@L1=6\nCELL@L1=4\n")  # fmt: skip
    assert done.exit_code == 0, done.stderr
    shipped = [json.loads(line) for line in done.stdout.splitlines()][-1]
    assert shipped["reference"] == "SO 1" and shipped["order"] == 1
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "partly_shipped"
    assert _lines(order) == [("PCB", 2, 1, 1), ("CELL", 10, 0, 10)]
    over = cli("scan", "--then", "ship-to", "--so", "1", input="PCB:S2\nSCREW=5\n")
    assert over.exit_code == 1 and "does not order SCREW" in over.stderr + over.stdout
    assert _ok(cli("so", "show", "1", "--json")).json()["status"] == "partly_shipped"
    assert cli("scan", "--then", "move-to", "A2", "--so", "1", input="PCB:S2\n").exit_code == 2


def test_a_voided_shipment_gives_the_order_its_lines_and_reservations_back(
    stocked: Cli,
) -> None:
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:10", "--confirm")
    first = _ok(cli("ship", "--so", "1", "PCB:S1", "--json")).json()
    second = _ok(cli("ship", "--so", "1", "--json")).json()  # the rest, as reserved
    assert _ok(cli("so", "show", "1", "--json")).json()["status"] == "shipped"
    _ok(cli("void", str(second["id"]), "--reason", "keyed against the wrong order"))
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "partly_shipped"
    assert _lines(order) == [("PCB", 2, 1, 1), ("CELL", 10, 10, 0)]
    assert _stock(cli, "CELL")[("A2", "L1")] == (30, 10, 20)  # back, and reserved again
    _ok(cli("void", str(first["id"]), "--reason", "not sent either"))
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "open" and _lines(order) == [("PCB", 2, 2, 0), ("CELL", 10, 10, 0)]
    _ok(cli("ship", "--so", "1"))
    assert _ok(cli("so", "show", "1", "--json")).json()["status"] == "shipped"
    assert _ok(cli("verify")).exit_code == 0


def test_a_count_or_an_adjustment_finding_reserved_stock_gone_releases_it(stocked: Cli) -> None:
    cli = stocked
    _order(cli, "--line", "CELL:30", "--line", "PCB:2", "--confirm")
    _ok(cli("adjust", "CELL", "--at", "A2", "--lot", "L1", "--counted", "25"))
    assert _stock(cli, "CELL")[("A2", "L1")] == (25, 25, 0)
    _ok(cli("count", "start", "--at", "A1", "--item", "PCB"))
    _ok(cli("count", "scan", "1", "PCB:S2", "PCB:S3", "PCB:S4", "PCB:S5"))  # S1 is missing
    _ok(cli("count", "post", "1"))
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert _lines(order) == [("CELL", 30, 25, 0), ("PCB", 2, 1, 0)]
    assert _ok(cli("verify")).exit_code == 0
    _ok(cli("so", "reserve", "1"))  # tries again: another board, the other lot
    assert _lines(_ok(cli("so", "show", "1", "--json")).json()) == [
        ("CELL", 30, 30, 0), ("PCB", 2, 2, 0)]  # fmt: skip
    assert _ok(cli("verify")).exit_code == 0


def test_verify_finds_reservations_beyond_what_is_on_hand(stocked: Cli, db_url: str) -> None:
    cli = stocked
    _order(cli, "--line", "CELL:30", "--confirm")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(reservations).values(qty=31))
    engine.dispose()
    out = cli("verify")
    assert out.exit_code == 1
    assert "reserved: 31 of CELL@L1 at WH/A2, but 30 on hand there" in out.stdout + out.stderr


def test_two_orders_racing_for_the_last_stock_never_both_get_it(stocked: Cli, db_url) -> None:
    cli = stocked
    for _ in range(2):
        _order(cli, "--line", "CELL:30")
    errors: list[Exception] = []

    def confirm(so_id: int) -> None:
        try:
            with tracelot.connect(db_url, user="racer") as tl:
                tl.so_confirm(so_id)
        except TracelotError as exc:  # a conflict is fine: one of them wins
            errors.append(exc)

    threads = [threading.Thread(target=confirm, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with tracelot.connect(db_url) as tl:
        orders = [tl.sales_order(n) for n in (1, 2)]
        l1 = [r for o in orders for r in o["reservations"] if r["lot"] == "L1"]
        assert sum(r["qty"] for r in l1) == 30
        assert tl.verify().ok


def test_a_unit_reserved_while_it_is_being_shipped_is_not_both(stocked: Cli, db_url) -> None:
    """An order confirmed in a transaction the shipper did not see (it committed after
    the shipper asked what is reserved): the shipment is refused, not both."""
    cli = stocked
    _order(cli, "--line", "PCB:1")  # a draft: PCB:S1 is free
    engine = create_engine(db_url)
    with engine.connect() as conn:
        trans = conn.begin()  # the confirming transaction, held open
        if conn.dialect.name == "postgresql":  # as reserving does: the item's balances
            conn.execute(text("SELECT s.id FROM stock s JOIN items i ON i.id = s.item_id "
                              "WHERE i.code = 'PCB' ORDER BY s.id FOR UPDATE"))  # fmt: skip
        else:
            conn.execute(text("UPDATE sales_orders SET status = status"))  # the write lock
        conn.execute(text(
            "INSERT INTO reservations (so_id, so_line_id, item_id, location_id, unit_id, qty) "
            "SELECT 1, l.id, u.item_id, u.location_id, u.id, 1 FROM units u, so_lines l "
            "WHERE u.serial = 'S1' AND l.so_id = 1"))  # fmt: skip
        conn.execute(text("UPDATE sales_orders SET status = 'open' WHERE id = 1"))
        outcome: list[object] = []

        def ship() -> None:
            try:
                with tracelot.connect(db_url, user="racer") as tl:
                    outcome.append(tl.ship("PCB:S1", to="GLOBEX"))
            except TracelotError as exc:
                outcome.append(exc)

        shipper = threading.Thread(target=ship)
        shipper.start()
        shipper.join(timeout=1.0)  # it waits for the confirming transaction
        trans.commit()
    engine.dispose()
    shipper.join()
    assert isinstance(outcome[0], TracelotError), outcome
    assert "reserved for sales order 1" in str(outcome[0])
    where = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (where["status"], where["reserved"]) == ("in_stock", 1)
    assert _ok(cli("verify")).exit_code == 0


# -- the Python API and the HTTP API ------------------------------------------------------------


def test_the_python_api_takes_reserves_picks_and_ships(stocked: Cli, db_url: str) -> None:
    with tracelot.connect(db_url, user="sales") as tl:
        order = tl.so_create("ACME", lines=["PCB:1:150", "SCREW:10"], confirm=True)
        picked = tl.so_pick(order["id"], ["PCB:S1", "SCREW=10"])
        assert [ln["short"] for ln in picked["lines"]] == [0, 0]
        done = tl.ship(so=order["id"])
        assert done.order == order["id"]
        assert tl.sales_order(order["id"])["status"] == "shipped"
        with pytest.raises(TracelotError, match="shipped"):
            tl.so_cancel(order["id"])


@pytest.fixture
def api(stocked: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with tracelot.connect(db_url) as tl:
        tokens = {}
        for role in ("viewer", "operator", "planner", "quality"):
            tl.add_user(f"u_{role}", role=role)
            tokens[role] = tl.create_token(f"u_{role}")["token"]
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        yield client, {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}


def test_over_http_orders_are_taken_picked_and_shipped(api, db_url: str) -> None:
    client, auth = api
    body = {"customer": "ACME", "lines": ["PCB:2:150", "CELL:40"], "ship_by": "2031-01-31",
            "reference": "PO-9"}  # fmt: skip
    assert (
        client.post(f"{PREFIX}/sales-orders", json=body, headers=auth["viewer"]).status_code == 403
    )
    assert (
        client.post(f"{PREFIX}/sales-orders", json=body, headers=auth["quality"]).status_code == 403
    )
    made = client.post(f"{PREFIX}/sales-orders", json=body, headers=auth["planner"])
    assert made.status_code == 201, made.json()
    assert (made.json()["id"], made.json()["status"]) == (1, "draft")
    bad = client.post(f"{PREFIX}/sales-orders", headers=auth["planner"],
                      json={**body, "lines": ["PCB:-1"]})  # fmt: skip
    assert bad.status_code == 422
    assert client.post(f"{PREFIX}/sales-orders", headers=auth["planner"],
                       json={**body, "customer": "NOBODY"}).status_code == 404  # fmt: skip
    confirmed = client.post(f"{PREFIX}/sales-orders/1/confirm", headers=auth["operator"])
    assert confirmed.status_code == 200, confirmed.json()
    assert [ln["reserved"] for ln in confirmed.json()["lines"]] == [2, 40]
    again = client.post(f"{PREFIX}/sales-orders/1/confirm", headers=auth["operator"])
    assert again.status_code == 409 and "not a draft" in again.json()["detail"]
    listed = client.get(f"{PREFIX}/sales-orders", params={"status": "open"},
                        headers=auth["viewer"]).json()  # fmt: skip
    assert [o["id"] for o in listed] == [1]
    walk = client.get(f"{PREFIX}/sales-orders/1/pick-list", headers=auth["viewer"]).json()
    assert [r["location"] for r in walk["rows"]] == ["A2", "A1", "A1", "A1"]
    pdf = client.get(f"{PREFIX}/sales-orders/1/pick-list", params={"format": "pdf"},
                     headers=auth["viewer"])  # fmt: skip
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    wrong = client.post(f"{PREFIX}/sales-orders/1/picks", headers=auth["operator"],
                        json={"scans": ["SCREW=1"]})  # fmt: skip
    assert wrong.status_code == 422 and "wrong item" in wrong.json()["detail"]
    picked = client.post(f"{PREFIX}/sales-orders/1/picks", headers=auth["operator"],
                         json={"scans": ["PCB:S1", "CELL@L1=30"]})  # fmt: skip
    assert picked.status_code == 201, picked.json()
    progress = client.get(f"{PREFIX}/sales-orders/1/picks", headers=auth["viewer"]).json()
    assert [(s["line"], s["short"]) for s in progress["short"]] == [(1, 1), (2, 10)]
    too_much = client.post(f"{PREFIX}/sales-orders/1/ship", headers=auth["operator"],
                           json={"refs": ["CELL@L2"], "qty": 41})  # fmt: skip
    assert too_much.status_code == 422 and "more than ordered" in too_much.json()["detail"]
    shipped = client.post(f"{PREFIX}/sales-orders/1/ship", headers=auth["operator"], json={})
    assert shipped.status_code == 201, shipped.json()
    assert (shipped.json()["order"], shipped.json()["order_status"]) == (1, "partly_shipped")
    # the operations route takes `so` too
    rest = client.post(f"{PREFIX}/operations/ship", headers=auth["operator"], json={"so": 1})
    assert rest.status_code == 201, rest.json()
    assert rest.json()["order"] == 1
    shown = client.get(f"{PREFIX}/sales-orders/1", headers=auth["viewer"]).json()
    assert shown["status"] == "shipped"
    assert client.get(f"{PREFIX}/sales-orders/5", headers=auth["viewer"]).status_code == 404
    stock = client.get(f"{PREFIX}/stock", params={"item": "CELL"}, headers=auth["viewer"]).json()
    assert {(r["lot"], r["reserved"], r["available"]) for r in stock["items"]} == {
        ("L2", 0, 40), ("OLD", 0, 0)}  # fmt: skip
    with tracelot.connect(db_url) as tl:
        assert tl.verify().ok


def test_over_http_cancel_releases_and_reserve_names_stock(api) -> None:
    client, auth = api
    made = client.post(
        f"{PREFIX}/sales-orders",
        headers=auth["operator"],
        json={"customer": "ACME", "lines": ["PCB:1"], "confirm": True},
    )
    assert made.status_code == 201 and made.json()["status"] == "open"
    named = client.post(f"{PREFIX}/sales-orders/1/reserve", headers=auth["operator"],
                        json={"refs": ["PCB:S3"]})  # fmt: skip
    assert named.status_code == 422 and "reserved in full" in named.json()["detail"]
    cancelled = client.post(f"{PREFIX}/sales-orders/1/cancel", headers=auth["operator"],
                            json={"reason": "duplicate"})  # fmt: skip
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["reservations"]) == ("cancelled", [])
    assert client.post(f"{PREFIX}/sales-orders/1/cancel", headers=auth["operator"],
                       json={}).status_code == 409  # fmt: skip


def test_a_long_order_is_reserved_picked_and_shipped_in_a_few_statements_as_one_by_one(
    stocked: Cli,
) -> None:
    """Twelve lines (more than the ledger costs and books one by one): each item's old,
    cheap lot is reserved, picked and shipped before its new one, at the cost of the
    layers it took, and the balances left are right."""
    cli = stocked
    for k in range(12):
        _ok(cli("item", "add", f"P{k:02d}", "--name", f"Part {k}", "--tracking", "lot",
                "--cost", "9"))  # fmt: skip
        _ok(cli("receive", f"P{k:02d}", "--to", "A1", "--lot", "OLD", "--qty", "3",
                "--expires", "2090-01-01", "--cost", "2"))  # fmt: skip
        _ok(cli("receive", f"P{k:02d}", "--to", "A2", "--lot", "NEW", "--qty", "10",
                "--expires", "2095-01-01", "--cost", "3"))  # fmt: skip
    lines = [a for k in range(12) for a in ("--line", f"P{k:02d}:5:9.5")]
    order = _order(cli, *lines, "--confirm")
    assert {(r["item"], r["lot"], r["location"], r["qty"]) for r in order["reservations"]} == {
        (f"P{k:02d}", lot, loc, q) for k in range(12)
        for lot, loc, q in (("OLD", "A1", 3), ("NEW", "A2", 2))}  # fmt: skip
    scans = [s for k in range(12) for s in (f"P{k:02d}@OLD=3", f"P{k:02d}@NEW=2")]
    first = _ok(cli("so", "pick-scan", "1", *scans[:3], "--json")).json()
    assert [(p["item"], p["lot"], p["qty"], p["left"]) for p in first["picked"]] == [
        ("P00", "OLD", 3, 2), ("P00", "NEW", 2, 0), ("P01", "OLD", 3, 2)]  # fmt: skip
    # the answer shows the lines this batch picked for, and how many are still short
    assert [(ln["item"], ln["picked"], ln["short"]) for ln in first["lines"]] == [
        ("P00", 5, 0), ("P01", 3, 2)]  # fmt: skip
    assert first["short_lines"] == 11
    said = _ok(cli("so", "pick-scan", "1", scans[3]))
    assert "short: line 3 P02" in said.stderr and "line 2 " not in said.stderr
    picked = _ok(cli("so", "pick-scan", "1", *scans[4:], "--json")).json()
    assert picked["short_lines"] == 0 and len(picked["lines"]) == 10
    shipped = _ok(cli("ship", "--so", "1", "--json")).json()
    assert len(shipped["lines"]) == 24
    # the value of what left: 3 at 2 and 2 at 3 of each item, first in first out
    history = _ok(cli("history", "P05@OLD", "--json")).json()
    assert any(h.get("kind") == "ship" for h in history), history
    value = _ok(cli("valuation", "--json")).json()
    by_item = {r["item"]: (r["qty"], r["value"]) for r in value["rows"]
               if r["item"][1:].isdigit()}  # fmt: skip
    assert by_item == {f"P{k:02d}": (8, 24) for k in range(12)}
    assert _stock(cli, "P07") == {("A2", "NEW"): (8, 0, 8)}
    order = _ok(cli("so", "show", "1", "--json")).json()
    assert order["status"] == "shipped" and order["reservations"] == []
    assert _ok(cli("verify")).exit_code == 0


def test_a_batch_of_lot_picks_refused_at_any_scan_picks_nothing(
    stocked: Cli, refused: Callable
) -> None:
    """A batch of `ITEM@LOT=QTY` (picked by set) is all or nothing, and each refusal
    says what the scan-by-scan path says: an over-pick, a lot not reserved for the line,
    a held lot."""
    cli = stocked
    for k in range(3):
        _ok(cli("item", "add", f"P{k}", "--name", f"Part {k}", "--tracking", "lot"))
        _ok(cli("receive", f"P{k}", "--to", "A1", "--lot", "OLD", "--qty", "3",
                "--expires", "2090-01-01"))  # fmt: skip
        _ok(cli("receive", f"P{k}", "--to", "A2", "--lot", "NEW", "--qty", "10",
                "--expires", "2095-01-01"))  # fmt: skip
    _order(cli, *[a for k in range(3) for a in ("--line", f"P{k}:5")], "--confirm")
    refused("so", "pick-scan", "1", "P0@OLD=3", "P1@OLD=3", "P2@NEW=9", match="over-pick")
    refused("so", "pick-scan", "1", "P0@OLD=3", "P1@NEW=3", match="only 2 of P1@NEW")
    _ok(cli("receive", "P2", "--to", "A1", "--lot", "ODD", "--qty", "1"))
    refused("so", "pick-scan", "1", "P0@OLD=3", "P2@ODD=1", match="wrong lot")
    _ok(cli("hold", "P1@NEW", "--reason", "supplier alert"))
    refused("so", "pick-scan", "1", "P0@OLD=3", "P1@NEW=2", match="P1@NEW is held")
    # a fraction of an item counted in eaches, alone or in a batch (issue 20)
    refused("so", "pick-scan", "1", "P0@OLD=0.5", match="not a whole number")
    refused("so", "pick-scan", "1", "P0@OLD=2", "P2@OLD=1.5", match="not a whole number")
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert [ln["picked"] for ln in shown["lines"]] == [0, 0, 0]  # nothing was picked
    done = _ok(cli("so", "pick-scan", "1", "P0@OLD=3", "P0@NEW=2", "P2@OLD=3",
                   "--json")).json()  # fmt: skip
    assert [(p["item"], p["lot"], p["qty"], p["location_path"], p["left"])
            for p in done["picked"]] == [("P0", "OLD", 3, "WH/A1", 2), ("P0", "NEW", 2, "WH/A2", 0),
                                         ("P2", "OLD", 3, "WH/A1", 2)]  # fmt: skip
    assert done["short_lines"] == 2


def test_a_batch_of_lot_picks_counts_what_each_lot_and_place_has_picked_already(
    stocked: Cli, refused: Callable
) -> None:
    """Picks are counted against the first reservations of their lot at their place, as
    the scan-by-scan path counts them: a place reserved twice is picked from before the
    next, and a lot picked in full is not picked again beside another lot's scan."""
    cli = stocked
    for code, seq in (("P1", "1"), ("P2", "2")):
        _ok(cli("location", "add", code, "--parent", "WH"))
        _ok(cli("location", "set", code, "--pick-sequence", seq))
    _ok(cli("item", "add", "WID", "--name", "Widget", "--tracking", "lot"))
    _ok(cli("receive", "WID", "--to", "P1", "--lot", "L1", "--qty", "2"))
    _order(cli, "--line", "WID:10", "--confirm")
    _ok(cli("receive", "WID", "--to", "P1", "--lot", "L1", "--qty", "5"))
    _ok(cli("so", "reserve", "1"))  # a second reservation of L1 at P1
    _ok(cli("receive", "WID", "--to", "P2", "--lot", "L1", "--qty", "2"))
    _ok(cli("receive", "WID", "--to", "P2", "--lot", "L2", "--qty", "5"))
    _ok(cli("so", "reserve", "1"))
    six = _ok(cli("so", "pick-scan", "1", "WID@L1=6", "--json")).json()
    assert [(p["qty"], p["location_path"]) for p in six["picked"]] == [(6, "WH/P1")]
    one = _ok(cli("so", "pick-scan", "1", "WID@L1=1", "--json")).json()
    assert [(p["qty"], p["location_path"]) for p in one["picked"]] == [(1, "WH/P1")]
    # L1 at P1 is picked in full: two more of L1 come from P2, not P1 again
    refused("so", "pick-scan", "1", "WID@L1=3", "WID@L2=1", match="only 2 of WID@L1")
    done = _ok(cli("so", "pick-scan", "1", "WID@L1=2", "WID@L2=1", "--json")).json()
    assert [(p["lot"], p["qty"], p["location_path"]) for p in done["picked"]] == [
        ("L1", 2, "WH/P2"), ("L2", 1, "WH/P2")]  # fmt: skip
    refused("so", "pick-scan", "1", "WID@L1\t=1", match="no control characters")
    _ok(cli("ship", "--so", "1"))
    assert _ok(cli("verify")).exit_code == 0


def test_two_lines_of_one_item_share_its_free_stock(stocked: Cli) -> None:
    """A second line of the same item gets what the first left, never the same stock."""
    cli = stocked
    order = _order(cli, "--line", "SCREW:600", "--line", "SCREW:700", "--confirm")
    assert _lines(order) == [("SCREW", 600, 600, 0), ("SCREW", 700, 400, 0)]
    assert _stock(cli, "SCREW")[("A2", None)] == (1000, 1000, 0)
    assert _ok(cli("verify")).exit_code == 0


def test_a_long_shipment_whose_picked_lot_became_held_is_refused_naming_it(
    stocked: Cli, refused: Callable
) -> None:
    cli = stocked
    for k in range(10):
        _ok(cli("item", "add", f"Q{k}", "--name", f"Q {k}", "--tracking", "lot"))
        _ok(cli("receive", f"Q{k}", "--to", "A1", "--lot", "L", "--qty", "4"))
    _order(cli, *[a for k in range(10) for a in ("--line", f"Q{k}:4")], "--confirm")
    _ok(cli("so", "pick-scan", "1", *[f"Q{k}@L=4" for k in range(10)]))
    _ok(cli("hold", "Q7@L", "--reason", "supplier alert"))
    refused("ship", "--so", "1", match="Q7@L is held")


def test_reserved_stock_still_goes_to_quarantine_and_with_its_case(stocked: Cli) -> None:
    """What takes reserved stock on purpose (a recall's quarantine, a case moved whole)
    is not refused as if another order had reserved it meanwhile."""
    cli = stocked
    _order(cli, "--line", "CELL:35", "--line", "PCB:2", "--confirm")
    _ok(cli("settings", "set", "gs1_company_prefix", "0614141"))
    case = _ok(cli("pack", "PCB:S1", "PCB:S2", "--new", "case", "--json")).json()
    _ok(cli("location", "add", "DOCK", "--parent", "WH"))
    _ok(cli("move", case["sscc"], "--to", "DOCK"))
    order = _ok(cli("so", "show", "1", "--json")).json()  # the units' reservations followed
    assert {r["location"] for r in order["reservations"] if r["item"] == "PCB"} == {"DOCK"}
    _ok(cli("recall", "open", "CELL@L1", "--reason", "supplier alert", "--quarantine", "QUAR"))
    assert {r["location"] for r in _ok(cli("where", "CELL@L1", "--json")).json()} == {"QUAR"}
    order = _ok(cli("so", "show", "1", "--json")).json()  # quarantined: not for sale
    assert {(r["lot"], r["qty"]) for r in order["reservations"] if r["item"] == "CELL"} == {
        ("L2", 5)}  # fmt: skip
    assert _ok(cli("verify")).exit_code == 0


def test_a_case_holding_reserved_stock_is_shipped_to_no_one(stocked: Cli, refused) -> None:
    """Reserved stock is not shipped for anything else, in a case as loose (issue 20): a
    case with a reserved unit inside, or more of a lot than its place has free, is
    refused; the order keeps its reservations. What is free of them ships in a case."""
    cli = stocked
    _order(cli, "--line", "CELL:35", "--line", "PCB:2", "--confirm")  # L1 30, L2 5; S1, S2
    _ok(cli("settings", "set", "gs1_company_prefix", "0614141"))
    units = _ok(cli("pack", "PCB:S1", "PCB:S3", "--new", "case", "--json")).json()["sscc"]
    refused("ship", units, "--to", "GLOBEX", match="PCB:S1 is reserved for sales order 1")
    cells = _ok(cli("pack", "CELL@L2=46", "--new", "case", "--at", "A1", "--json")).json()
    refused("ship", cells["sscc"], "--to", "GLOBEX", match="5 of CELL@L2 at WH/A1 is reserved")
    before = _ok(cli("so", "show", "1", "--json")).json()["reservations"]
    assert {(r["item"], r["lot"], r["serial"], r["qty"]) for r in before} == {
        ("CELL", "L1", None, 30), ("CELL", "L2", None, 5), ("PCB", None, "S1", 1),
        ("PCB", None, "S2", 1)}  # fmt: skip
    _ok(cli("unpack", cells["sscc"], "CELL@L2=1"))  # 45 left in it: the 5 reserved stay free
    _ok(cli("ship", cells["sscc"], "--to", "GLOBEX"))
    assert _ok(cli("so", "show", "1", "--json")).json()["reservations"] == before
    assert _ok(cli("verify")).exit_code == 0


def test_shipping_by_name_beside_picks_leaves_ship_so_working(stocked: Cli) -> None:
    """A line shipped by name from other stock than was picked, or from part of a pick,
    lets go of the picks it no longer needs (the newest first) and splits the pick it
    took part of: `ship --so N` then ships what is picked and still ordered."""
    cli = stocked
    _order(cli, "--line", "PCB:3", "--line", "CELL:24", "--confirm")
    _ok(cli("so", "pick-scan", "1", "PCB:S1", "PCB:S2", "PCB:S3", "CELL@L1=20", "CELL@L1=2"))
    _ok(cli("ship", "--so", "1", "PCB:S5", "CELL@L1=10"))  # S5 was not picked
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert [(ln["item"], ln["shipped"], ln["picked"]) for ln in shown["lines"]] == [
        ("PCB", 1, 2), ("CELL", 10, 12)]  # fmt: skip
    done = _ok(cli("ship", "--so", "1", "--json")).json()
    assert sorted(s for ln in done["lines"] for s in ln.get("serials") or []) == ["S1", "S2"]
    assert [(ln["item"], ln["qty"]) for ln in done["lines"] if ln["item"] == "CELL"] == [
        ("CELL", 12)]  # fmt: skip
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert shown["status"] == "partly_shipped"
    assert [(ln["item"], ln["shipped"]) for ln in shown["lines"]] == [("PCB", 3), ("CELL", 22)]
    assert _ok(cli("verify")).exit_code == 0


def test_two_lines_of_one_serial_item_reserve_different_units(stocked: Cli) -> None:
    cli = stocked
    order = _order(cli, "--line", "PCB:2", "--line", "PCB:1:20", "--confirm")
    shown = _ok(cli("so", "show", str(order["id"]), "--json")).json()
    serials = [(r["line"], r["serial"]) for r in shown["reservations"]]
    assert sorted(n for n, _ in serials) == [1, 1, 2] and len({s for _, s in serials}) == 3
    other = _order(cli, "--line", "PCB:1", "--line", "PCB:3", "--confirm")  # 2 of 4 left
    shown = _ok(cli("so", "show", str(other["id"]), "--json")).json()
    assert len({r["serial"] for r in shown["reservations"]} | {s for _, s in serials}) == 5
    assert [(ln["line"], ln["reserved"]) for ln in shown["lines"]] == [(1, 1), (2, 1)]
    assert _ok(cli("verify")).exit_code == 0


def test_a_shipment_by_name_keeps_the_reservation_of_what_is_picked(stocked: Cli) -> None:
    """Shipping a line by name from stock not reserved releases what the line no longer
    needs, but not what backs a pick: the picked unit stays reserved for its order, and
    another order does not get it."""
    cli = stocked
    _order(cli, "--line", "PCB:3", "--confirm")
    reserved = {r["serial"] for r in _ok(cli("so", "show", "1", "--json")).json()
                ["reservations"]}  # fmt: skip
    picked = max(reserved)  # the newest reservation
    _ok(cli("so", "pick-scan", "1", f"PCB:{picked}"))
    [free] = {"S1", "S2", "S3", "S4", "S5"} - reserved - {"S4"}
    _ok(cli("ship", "--so", "1", f"PCB:{free}"))
    shown = _ok(cli("so", "show", "1", "--json")).json()
    kept = {r["serial"] for r in shown["reservations"]}
    assert picked in kept and len(kept) == 2
    assert [(ln["shipped"], ln["picked"]) for ln in shown["lines"]] == [(1, 1)]
    other = _order(cli, "--line", "PCB:1", "--confirm")
    assert picked not in {r["serial"] for r in _ok(cli("so", "show", str(other["id"]), "--json"))
                          .json()["reservations"]}  # fmt: skip
    done = _ok(cli("ship", "--so", "1", "--json")).json()
    assert [s for ln in done["lines"] for s in ln.get("serials") or []] == [picked]
    assert _ok(cli("verify")).exit_code == 0


def test_a_case_packed_for_an_order_ships_against_it_by_its_sscc(stocked: Cli, refused) -> None:
    """An SSCC is a REF in `ship --so N` too (issue 20): what the case holds goes against
    the order's lines (more than ordered, or an item it lacks, refused), its reservations
    are used, and the case follows to the customer."""
    cli = stocked
    _order(cli, "--line", "PCB:2", "--line", "CELL:35", "--confirm")  # S1, S2; L1 30, L2 5
    _ok(cli("settings", "set", "gs1_company_prefix", "0614141"))
    _ok(cli("receive", "SCREW", "--to", "A1", "--qty", "5"))
    extra = _ok(cli("pack", "PCB:S1", "SCREW=5", "--new", "case", "--at", "A1",
                    "--json")).json()["sscc"]  # fmt: skip
    refused("ship", "--so", "1", extra, match="does not order SCREW")
    _ok(cli("unpack", extra))
    case = _ok(cli("pack", "PCB:S1", "PCB:S2", "CELL@L2=5", "--new", "case", "--at", "A1",
                   "--json")).json()["sscc"]  # fmt: skip
    refused("ship", "--so", "1", case, "--qty", "1", match="--qty counts lots and items")
    refused("ship", "--so", "1", case, "PCB:S1", match=f"packed in SSCC {case}")
    done = _ok(cli("ship", "--so", "1", case, "--json")).json()
    assert done["order"] == 1
    assert {(ln["item"], ln["qty"]) for ln in done["lines"]} == {("PCB", 2), ("CELL", 5)}
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert [(ln["item"], ln["shipped"]) for ln in shown["lines"]] == [("PCB", 2), ("CELL", 5)]
    assert {(r["item"], r["lot"], r["qty"]) for r in shown["reservations"]} == {
        ("CELL", "L1", 30)}  # fmt: skip
    lu = _ok(cli("lu", "show", case, "--json")).json()
    assert (lu["status"], lu["customer"]) == ("shipped", "ACME")
    assert _ok(cli("verify")).exit_code == 0
    # voided: the case is back where it was with what it holds, the order wants it again
    _ok(cli("void", str(done["id"]), "--reason", "not sent"))
    lu = _ok(cli("lu", "show", case, "--json")).json()
    assert (lu["location"], lu["status"], lu["customer"]) == ("A1", "in_stock", None)
    assert len(lu["contents"]) == 3
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert [(ln["item"], ln["shipped"]) for ln in shown["lines"]] == [("PCB", 0), ("CELL", 0)]
    assert _ok(cli("verify")).exit_code == 0


def test_a_case_scanned_while_picking_is_picked_piece_by_piece_and_ships_whole(
    stocked: Cli, refused
) -> None:
    """Scanning a case's SSCC while picking picks what it holds, each against its line at
    the case's place; the order then ships by the SSCC (a case goes whole), and `ship --so
    N` alone says so."""
    cli = stocked
    _ok(cli("settings", "set", "gs1_company_prefix", "0614141"))
    _order(cli, "--line", "PCB:2", "--line", "CELL@L2:5", "--confirm")
    case = _ok(cli("pack", "PCB:S1", "PCB:S2", "CELL@L2=5", "--new", "case", "--at", "A1",
                   "--json")).json()["sscc"]  # fmt: skip
    said = [json.loads(line) for line in
            cli("scan", "--then", "pick", "1", "--json", input=f"(00){case}\n").stdout
            .splitlines()]  # fmt: skip
    picked = said[0]["picked"]  # the scan's line names each piece
    assert said[0]["ok"] and said[0]["kind"] == "sscc"
    assert sorted((s["item"], s["serial"], s["qty"]) for s in picked) == [
        ("CELL", None, 5), ("PCB", "S1", 1), ("PCB", "S2", 1)]  # fmt: skip
    assert {s["input"] for s in picked} == {f"(00){case}"} and said[-1]["short"] == []
    refused("ship", "--so", "1", match=f"packed in SSCC {case}: ship it against the order by "
            f"its SSCC (tracelot ship --so 1 {case})")  # fmt: skip
    done = _ok(cli("ship", "--so", "1", case, "--json")).json()
    assert sorted((ln["item"], ln["qty"]) for ln in done["lines"]) == [("CELL", 5), ("PCB", 2)]
    shown = _ok(cli("so", "show", "1", "--json")).json()
    assert shown["status"] == "shipped"
    assert [(ln["shipped"], ln["picked"]) for ln in shown["lines"]] == [(2, 0), (5, 0)]
    assert _ok(cli("verify")).exit_code == 0


def test_a_lot_shipped_against_an_order_names_it_in_traces_and_recalls(stocked: Cli) -> None:
    """A trace and a recall name the order a customer got a lot quantity by: its row at
    the customer names the last shipment that took some to it (issue 20)."""
    cli = stocked
    _order(cli, "--line", "CELL:12", "--reference", "PO-77", "--confirm")
    _ok(cli("ship", "--so", "1", "CELL@L1=10"))
    _ok(cli("ship", "--so", "1", "CELL@L1=2", "--reference", "PO-78"))
    rows = [json.loads(line) for line in
            _ok(cli("trace", "forward", "CELL@L1", "--jsonl")).stdout.splitlines()]  # fmt: skip
    [at_acme] = [r for r in rows if r["customer"] == "ACME"]
    assert (at_acme["qty"], at_acme["shipment_ref"]) == (12, "SO 1 (PO-78)")
    assert at_acme["shipment_date"] is not None
    tree = _ok(cli("trace", "forward", "CELL@L1", "--json")).json()["affected"]
    assert [r["shipment_ref"] for r in tree if r["customer"] == "ACME"] == ["SO 1 (PO-78)"]
    _ok(cli("recall", "open", "CELL@L1", "--reason", "supplier alert"))
    items = _ok(cli("recall", "show", "1", "--json")).json()["items"]
    assert [i["shipment_ref"] for i in items if i.get("customer") == "ACME"] == ["SO 1 (PO-78)"]
    _ok(cli("recall", "close", "1", "--force", "--reason", "test over"))
    # the last shipment voided: the one before it is the last (neither it nor its void)
    last = _ok(cli("history", "CELL@L1", "--json")).json()
    shipped = max(r["operation"] for r in last if r["kind"] == "ship")
    _ok(cli("void", str(shipped), "--reason", "not sent"))
    rows = [json.loads(line) for line in
            _ok(cli("trace", "forward", "CELL@L1", "--jsonl")).stdout.splitlines()]  # fmt: skip
    assert [(r["qty"], r["shipment_ref"]) for r in rows if r["customer"] == "ACME"] == [
        (10, "SO 1 (PO-77)")]  # fmt: skip
    tree = _ok(cli("trace", "forward", "CELL@L1", "--json")).json()["affected"]
    assert [r["shipment_ref"] for r in tree if r["customer"] == "ACME"] == ["SO 1 (PO-77)"]
    assert [r.get("shipment_ref") for r in _ok(cli("where", "CELL@L1", "--json")).json()
            if r.get("customer") == "ACME"] == ["SO 1 (PO-77)"]  # fmt: skip


def test_a_reserved_unit_whose_lot_is_held_is_not_shipped(stocked: Cli, refused) -> None:
    cli = stocked
    _ok(cli("item", "add", "BAT", "--name", "Battery", "--tracking", "serial"))
    _ok(cli("receive", "BAT", "--to", "A1", "--lot", "L9", "--serials", "B1..B2"))
    _order(cli, "--line", "BAT:1", "--confirm")
    _ok(cli("hold", "BAT@L9", "--reason", "swelling"))
    refused("ship", "--so", "1", match="held")


def test_a_long_shipment_leaves_no_balance_of_nothing_behind(stocked: Cli) -> None:
    """Fractions taken to zero by a shipment of many balances (booked at once) are gone,
    not a balance of 0.1 + 0.2 - 0.3 left over."""
    cli = stocked
    _ok(cli("item", "add", "OIL", "--name", "Oil", "--tracking", "none", "--uom", "kg"))
    _ok(cli("receive", "OIL", "--to", "A1", "--qty", "0.1"))
    _ok(cli("receive", "OIL", "--to", "A1", "--qty", "0.2"))
    for k in range(8):
        _ok(cli("item", "add", f"X{k}", "--name", f"X {k}", "--tracking", "none"))
        _ok(cli("receive", f"X{k}", "--to", "A2", "--qty", "2"))
    _order(cli, "--line", "OIL:0.3", *[a for k in range(8) for a in ("--line", f"X{k}:2")],
           "--confirm")  # fmt: skip
    _ok(cli("ship", "--so", "1"))
    assert _ok(cli("stock", "--item", "OIL", "--json")).json() == []
    assert _ok(cli("verify")).exit_code == 0
