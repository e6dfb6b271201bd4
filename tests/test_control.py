"""Inventory control: costing and valuation, turnover, reorder, purchase orders, excess,
ABC and the charts, through the command line (the ledgers are set up with the Python
API where an operation must be dated in the past).

Every figure asserted here is worked out by hand in the test's docstring.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from statistics import NormalDist

import pytest
from PIL import Image

from tracelot import Tracelot

TODAY = dt.datetime.now(dt.UTC).date()


def day(n: int, *, base: dt.date = dt.date(2026, 1, 1)) -> dt.datetime:
    """Noon (UTC) of the n-th day of the test's calendar (1: its first day)."""
    return dt.datetime.combine(base + dt.timedelta(days=n - 1), dt.time(12), tzinfo=dt.UTC)


def ago(n: int) -> dt.datetime:
    """Noon (UTC) n days before today."""
    return dt.datetime.combine(TODAY - dt.timedelta(days=n), dt.time(12), tzinfo=dt.UTC)


@pytest.fixture
def world(tl: Tracelot) -> Tracelot:
    tl.add_location("WH", kind="warehouse")
    tl.add_location("A1", parent="WH")
    tl.add_location("A2", parent="WH")
    tl.add_location("QUAR", kind="quarantine")
    tl.add_party("ACME", name="Acme Supplies", kind="supplier")
    tl.add_party("OTHER", name="Other Supplies", kind="supplier")
    tl.add_party("CUST", name="A Customer", kind="customer")
    tl.add_item("GLUE", name="Glue", tracking="none", cost="1")
    tl.add_item("CELL", name="Cell", tracking="lot", cost="3")
    tl.add_item("DEV", name="Device", tracking="serial", cost="100")
    tl.add_item("KIT", name="Kit", tracking="serial")
    return tl


def _fifo_ledger(tl: Tracelot) -> None:
    """GLUE (untracked) in A1: 10 at 1 on day 1, 10 at 2 on day 2; on day 3, 5 go to A2
    (the oldest: 5 at 1); on day 4, 12 are shipped from A1 (its oldest: 5 at 1 and 7 at 2,
    worth 19). Left: 3 at 2 in A1 (6), 5 at 1 in A2 (5)."""
    tl.receive("GLUE", to="A1", qty=10, cost="1", at=day(1))
    tl.receive("GLUE", to="A1", qty=10, cost="2", at=day(2))
    tl.move("GLUE", to="A2", from_="A1", qty=5, at=day(3))
    tl.ship("GLUE", to="CUST", from_="A1", qty=12, at=day(4))


def test_issues_cost_first_in_first_out_and_valuation_replays_any_day(world, cli) -> None:
    """See `_fifo_ledger`: at the end of day 2, 20 GLUE worth 30; of day 3, A1 holds 15
    (5 at 1, 10 at 2: 25) and A2 5 (5); today 8 worth 11, 6 in A1 and 5 in A2."""
    _fifo_ledger(world)
    shipped = world.history("GLUE")
    assert shipped
    at_day2 = cli("valuation", "--as-of", "2026-01-02", "--json").json()
    assert at_day2["total"] == {"qty": 20, "value": 30}
    assert at_day2["rows"][0]["item"] == "GLUE"
    by_location = cli("valuation", "--as-of", "2026-01-03", "--by", "location", "--json").json()
    assert {r["location_path"]: (r["qty"], r["value"]) for r in by_location["rows"]} == {
        "WH/A1": (15, 25),
        "WH/A2": (5, 5),
    }
    now = cli("valuation", "--by", "location", "--json").json()
    assert {r["location"]: (r["qty"], r["value"]) for r in now["rows"]} == {
        "A1": (3, 6),
        "A2": (5, 5),
    }
    assert now["total"] == {"qty": 8, "value": 11}
    turnover = cli("report", "turnover", "--from", "2026-01-04", "--to", "2026-01-04",
                   "--json").json()  # fmt: skip
    glue = next(r for r in turnover["rows"] if r["item"] == "GLUE")
    assert glue["issued_value"] == 19
    table = cli("valuation", "--as-of", "2026-01-03", "--by", "location")
    assert table.exit_code == 0 and "WH/A1" in table.stdout and "25" in table.stdout
    assert cli("verify", "--json").json()["ok"]


def test_the_companys_turnover_counts_a_component_once_as_the_product_shipped(world, cli) -> None:
    """Day 1: 10 CELL@L1 received at 3 (30). Day 2: KIT:K1 built from 5 of them (it costs
    15). Day 3: K1 shipped (15 leaves the company). Day 4: 1 CELL scrapped (3).
    Daily closing value: 30, 30, 15, 12: mean 87 / 4 = 21.75.
    The company's cost of goods sold is 15 (not 15 consumed + 15 shipped = 30): turnover
    15 / 21.75 = 0.6897, days of inventory 4 / 0.6897 = 5.8; scrap 3 is shown beside.
    Counting the consumption too would have said 30 / 21.75 = 1.3793.
    Per item, CELL issued 15 (consumed) and KIT 15 (shipped)."""
    world.receive("CELL", to="A1", lot="L1", qty=10, cost="3", at=day(1))
    world.build("KIT", to="A1", serial="K1", consume=["CELL@L1=5"], at=day(2))
    world.ship("KIT:K1", to="CUST", at=day(3))
    world.scrap("CELL@L1", qty=1, reason="dropped", at=day(4))
    report = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04",
                 "--json").json()  # fmt: skip
    total = report["total"]
    assert total["average_value"] == 21.75
    assert total["issued_value"] == 15 and total["shipped_value"] == 15
    assert total["scrapped_value"] == 3
    assert total["turnover"] == 0.6897 and total["days_of_inventory"] == 5.8
    issued = {r["item"]: r["issued_value"] for r in report["rows"]}
    assert issued == {"CELL": 15, "KIT": 15, "DEV": 0, "GLUE": 0}
    by_location = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04",
                      "--by", "location", "--json").json()  # fmt: skip
    a1 = next(r for r in by_location["rows"] if r["location"] == "A1")
    assert (a1["issued_value"], a1["scrapped_value"], a1["turnover"]) == (15, 3, 0.6897)
    assert by_location["total"]["turnover"] == 0.6897
    # a customer's return the next day takes the goods back: nothing left the company
    world.return_("KIT:K1", from_customer="CUST", to="A1", at=day(5))
    later = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-05",
                "--json").json()  # fmt: skip
    assert later["total"]["issued_value"] == 0 and later["total"]["turnover"] == 0


def test_lots_units_and_builds_carry_their_own_cost(world, cli) -> None:
    """CELL@L1: 4 received at 3 (12); DEV:D1 and D2 at the standard cost 100, D3 at 120.
    KIT:K1 is built from DEV:D3 and 2 CELL (2 x 3): it costs 126. Shipping it issues 126;
    valuation by lot shows CELL@L1 2 (6), the DEV units without a lot 2 (200)."""
    world.receive("CELL", to="A1", lot="L1", qty=4, cost="3", at=day(1))
    world.receive("DEV", to="A1", serials="D1,D2", at=day(1))
    world.receive("DEV", to="A1", serials="D3", cost="120", at=day(1))
    world.build("KIT", to="A1", serial="K1", consume=["DEV:D3", "CELL@L1=2"], at=day(2))
    world.ship("KIT:K1", to="CUST", at=day(3))
    by_lot = cli("valuation", "--by", "lot", "--json").json()
    assert {(r["item"], r["lot"]): (r["qty"], r["value"]) for r in by_lot["rows"]} == {
        ("CELL", "L1"): (2, 6),
        ("DEV", None): (2, 200),
    }
    at_day2 = cli("valuation", "--as-of", "2026-01-02", "--json").json()
    assert {r["item"]: r["value"] for r in at_day2["rows"]} == {"CELL": 6, "DEV": 200, "KIT": 126}
    period = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-03",
                 "--json").json()  # fmt: skip
    issued = {r["item"]: r["issued_value"] for r in period["rows"]}
    # consumed into the kit (120 + 6), then the kit shipped (126)
    assert issued == {"KIT": 126, "DEV": 120, "CELL": 6, "GLUE": 0}


def test_turnover_is_issues_over_the_mean_of_daily_balances(world, cli) -> None:
    """GLUE over 2026-01-01..2026-01-04 (see `_fifo_ledger`), 4 days. Daily closing value:
    10, 30, 30, 11: mean 81 / 4 = 20.25; issued 19: turnover 19 / 20.25 = 0.9383; days of
    inventory 4 / 0.9383 = 4.3. Daily closing quantity 10, 20, 20, 8: mean 14.5; issued 12:
    turnover in units 12 / 14.5 = 0.8276.
    By location, A1 closes 10, 30, 25, 6 (mean 17.75) and issues 19: 1.0704; A2 closes
    0, 0, 5, 5 (mean 2.5) and issues nothing: turnover 0, days of inventory none."""
    _fifo_ledger(world)
    report = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04",
                 "--json").json()  # fmt: skip
    assert report["days"] == 4
    glue = next(r for r in report["rows"] if r["item"] == "GLUE")
    assert glue["average_value"] == 20.25
    assert glue["issued_value"] == 19
    assert glue["turnover"] == 0.9383
    assert glue["days_of_inventory"] == 4.3
    assert glue["average_qty"] == 14.5
    assert glue["turnover_units"] == 0.8276
    assert (glue["opening_value"], glue["closing_value"]) == (0, 11)
    # items without stock or issues: zeros and no ratio, never an infinity
    cell = next(r for r in report["rows"] if r["item"] == "CELL")
    assert cell["turnover"] is None and cell["days_of_inventory"] is None
    assert cell["average_value"] == 0
    by_location = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04",
                      "--by", "location", "--json").json()  # fmt: skip
    rows = {r["location"]: r for r in by_location["rows"]}
    assert rows["A1"]["average_value"] == 17.75 and rows["A1"]["turnover"] == 1.0704
    assert rows["A2"]["average_value"] == 2.5 and rows["A2"]["turnover"] == 0
    assert rows["A2"]["days_of_inventory"] is None
    csv_out = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04", "--csv")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("item,item_name,uom,opening_value")
    assert any(line.startswith("GLUE,Glue,EA,0,11,20.25,19,0.9383,4.3") for line in lines)
    world.set_item("GLUE", category="adhesives")
    by_category = cli("report", "turnover", "--from", "2026-01-01", "--to", "2026-01-04",
                      "--by", "category", "--json").json()  # fmt: skip
    assert by_category["rows"][0]["category"] == "adhesives"
    assert by_category["rows"][0]["turnover"] == 0.9383


def test_bad_report_input_is_refused(world, cli, refused) -> None:
    refused("report", "turnover", "--from", "2026-02-01", "--to", "2026-01-01",
            match="ends (2026-01-01) before it starts")  # fmt: skip
    refused("report", "turnover", "--by", "colour", match="--by must be one of")
    refused("valuation", "--as-of", "yesterday", match="--as-of")
    refused("report", "reorder", "--service-level", "1.5", match="between 0 and 1")
    refused("report", "reorder", "--service-level", "0", match="between 0 and 1")
    refused("report", "reorder", "--ordering-cost", "-5", match="ordering cost")
    refused("item", "set", "GLUE", "--cost", "-1", match="cost")
    refused("item", "set", "GLUE", "--min", "10", "--max", "5", match="below the minimum")
    refused("report", "abc", "--a", "0.9", "--b", "0.8", match="0 < A < B")
    refused("report", "turnover", "--chart", "turnover.gif", match=".png or .svg")
    refused("po", "create", "ACME", "--line", "GLUE", match="ITEM:QTY")
    refused("po", "create", "ACME", "--line", "GLUE:-3", match="greater than zero")
    refused("po", "create", "CUST", "--line", "GLUE:3", match="CUST")
    refused("po", "show", "99", match="no purchase order 99")


def _demand_history(tl: Tracelot) -> None:
    """GLUE: 60 received 20 days ago; then over the last 10 days (today included) shipped
    4, 6, 5, 5, 0, 10, 5, 5, 5, 5 a day: 50 in all. 10 are left."""
    tl.receive("GLUE", to="A1", qty=60, cost="2", supplier="ACME", at=ago(20))
    for n, qty in zip(range(9, -1, -1), (4, 6, 5, 5, 0, 10, 5, 5, 5, 5), strict=True):
        if qty:
            tl.ship("GLUE", to="CUST", qty=qty, at=ago(n))


def test_reorder_point_safety_stock_and_eoq(world, cli) -> None:
    """Over a 10-day look-back GLUE issues 50: d = 5 a day. Deviations from 5: -1, 1, 0, 0,
    -5, 5, 0, 0, 0, 0; squares 52; sample variance 52 / 9, sigma = 2.4037. Lead time 4
    days (configured for ACME); z(0.95) = 1.6449. SS = 1.6449 x 2.4037 x 2 = 7.91;
    ROP = 5 x 4 + 7.91 = 27.91. EOQ = sqrt(2 x 1825 x 50 / (0.25 x 2)) = 604.15.
    Position 10 <= 27.91: due; suggested 605 (the EOQ rounded up), 650 in packs of 50."""
    _demand_history(world)
    cli("item", "set", "GLUE", "--supplier", "ACME", "--lead-time", "4d")
    report = cli("report", "reorder", "--lookback", "10d", "--json").json()
    (row,) = report["rows"]
    sigma = math.sqrt(52 / 9)
    z = NormalDist().inv_cdf(0.95)
    assert row["item"] == "GLUE" and row["due"] is True
    assert row["available"] == 10 and row["on_order"] == 0 and row["position"] == 10
    assert row["daily_demand"] == 5
    assert row["demand_sd"] == round(sigma, 4)
    assert row["lead_time_days"] == 4 and row["lead_time_source"] == "supplier"
    assert row["safety_stock"] == round(z * sigma * 2, 2) == 7.91
    assert row["reorder_point"] == round(20 + z * sigma * 2, 2) == 27.91
    assert row["eoq"] == round(math.sqrt(2 * 1825 * 50 / 0.5), 2) == 604.15
    assert row["suggested_qty"] == 605 and row["supplier"] == "ACME"
    cli("item", "set", "GLUE", "--pack-size", "50")
    assert (
        cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"][0]["suggested_qty"]
        == 650
    )
    cli("item", "set", "GLUE", "--max", "300")
    assert (
        cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"][0]["suggested_qty"]
        == 300
    )  # up to the maximum: 300 - 10 = 290, in packs of 50
    # stock in quarantine does not count; stock on order does
    world.receive("GLUE", to="QUAR", qty=100)
    on_order = cli("po", "create", "ACME", "--line", "GLUE:15", "--json").json()
    row = cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"][0]
    assert (row["available"], row["on_order"], row["position"]) == (10, 15, 25)
    cli("po", "close", str(on_order["id"]))
    created = cli("report", "reorder", "--lookback", "10d", "--create-po", "--json").json()
    (order,) = created["created"]["orders"]
    assert order["status"] == "draft" and order["supplier"] == "ACME"
    assert order["lines"][0]["item"] == "GLUE" and order["lines"][0]["qty"] == 300
    # the draft is on order: nothing is due any more
    assert cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"] == []


def test_reorder_never_orders_more_than_is_used_before_it_expires(world, cli) -> None:
    """ADH (shelf life 30 days, cost 2): 100 received 20 days ago, 5 shipped a day over the
    last 10 days: d = 5, sigma 0; lead time 14 days (the default): ROP 70, position 50,
    due. The EOQ would be sqrt(2 x 1825 x 50 / 0.5) = 604.15 (605): 121 days of demand.
    What is used before it expires: 5 x (30 - 14) = 80. In packs of 50: one pack (50).
    Without a shelf life of the item's own, its latest lot's counts: received with 20 days
    left, 5 x (20 - 14) = 30."""
    world.add_item("ADH", name="Adhesive", tracking="lot", cost="2", shelf_life_days=30)
    world.receive("ADH", to="A1", lot="A", qty=100, supplier="ACME", at=ago(20))
    for n in range(10):
        world.ship("ADH", to="CUST", qty=5, at=ago(n))
    row = cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"][0]
    assert (row["item"], row["due"], row["reorder_point"], row["eoq"]) == ("ADH", True, 70, 604.15)
    assert row["shelf_life_days"] == 30 and row["usable_qty"] == 80
    assert row["suggested_qty"] == 80 and row["limited_by"] == "shelf_life"
    assert row["action"] == "buy" and row["supplier"] == "ACME"
    cli("item", "set", "ADH", "--pack-size", "50")
    assert (
        cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"][0]["suggested_qty"]
        == 50
    )
    world.add_item("ADH2", name="Adhesive 2", tracking="lot", cost="2")
    world.receive("ADH2", to="A1", lot="B", qty=100, expires=(TODAY + dt.timedelta(days=0)),
                  at=ago(20))  # fmt: skip
    world.receive("ADH2", to="A1", lot="C", qty=50, expires=(TODAY + dt.timedelta(days=20)),
                  at=ago(0))  # fmt: skip
    for n in range(10):
        world.ship("ADH2", to="CUST", qty=5, from_="A1", at=ago(n))
    rows = cli("report", "reorder", "--lookback", "10d", "--all", "--json").json()["rows"]
    adh2 = next(r for r in rows if r["item"] == "ADH2")
    assert adh2["shelf_life_days"] == 20 and adh2["usable_qty"] == 30


def test_reorder_makes_what_is_built_here_and_names_suppliers_of_what_is_bought(world, cli) -> None:
    """KIT is built here (each from 2 CELL) and has no supplier: 3 built and shipped over
    the last 10 days, none left: due, to make, with 2 CELL a kit. GLUE, untracked, was
    received from OTHER with no preferred supplier: bought from OTHER. CELL, consumed by the
    builds, is bought from its lot's supplier ACME. Drafting orders orders CELL from ACME
    and GLUE from OTHER, and leaves KIT to make."""
    world.receive("CELL", to="A1", lot="L1", qty=20, cost="3", supplier="ACME", at=ago(9))
    world.receive("GLUE", to="A1", qty=30, cost="1", supplier="OTHER", at=ago(9))
    for n, serial in zip((8, 5, 2), ("K1", "K2", "K3"), strict=True):
        world.build("KIT", to="A1", serial=serial, consume=["CELL@L1=2"], at=ago(n))
        world.ship(f"KIT:{serial}", to="CUST", at=ago(n))
        world.ship("GLUE", to="CUST", qty=9, at=ago(n))
    rows = cli("report", "reorder", "--lookback", "10d", "--json").json()["rows"]
    kit = next(r for r in rows if r["item"] == "KIT")
    assert kit["action"] == "make" and kit["supplier"] is None and kit["due"]
    assert kit["suggested_qty"] > 0
    assert kit["components"] == [
        {"item": "CELL", "qty_per_unit": 2, "qty": 2 * kit["suggested_qty"]}
    ]
    glue = next(r for r in rows if r["item"] == "GLUE")
    assert glue["action"] == "buy" and glue["supplier"] == "OTHER" and glue["components"] == []
    created = cli("report", "reorder", "--lookback", "10d", "--create-po", "--json").json()
    assert created["created"]["to_make"] == ["KIT"]
    assert created["created"]["without_supplier"] == []
    assert [o["supplier"] for o in created["created"]["orders"]] == ["ACME", "OTHER"]
    table = cli("report", "reorder", "--lookback", "10d")
    assert table.exit_code == 0 and "make" in table.stdout


def test_purchase_orders_receive_partially_refuse_over_receipt_and_close(
    world, cli, refused
) -> None:
    made = cli("po", "create", "ACME", "--line", "GLUE:100:1.5", "--line", "CELL:10",
               "--expected", "2030-01-31", "--json").json()  # fmt: skip
    po = str(made["id"])
    assert made["status"] == "open" and made["expected"] == "2030-01-31"
    assert [(ln["item"], ln["qty"], ln["price"]) for ln in made["lines"]] == [
        ("GLUE", 100, 1.5),
        ("CELL", 10, 3),  # the item's standard cost when no price is given
    ]
    got = cli("receive", "GLUE", "--to", "A1", "--qty", "40", "--po", po, "--json")
    assert got.exit_code == 0, got.stderr
    shown = cli("po", "show", po, "--json").json()
    assert shown["lines"][0]["received"] == 40 and shown["lines"][0]["open_qty"] == 60
    assert shown["receipts"][0]["qty"] == 40
    # priced at the order's price, from the order's supplier
    assert cli("valuation", "--json").json()["total"]["value"] == 60
    refused("receive", "GLUE", "--to", "A1", "--qty", "61", "--po", po, match="over-receipt")
    refused("receive", "DEV", "--to", "A1", "--serials", "X1", "--po", po,
            match="does not order DEV")  # fmt: skip
    refused("receive", "GLUE", "--to", "A1", "--qty", "1", "--po", po, "--supplier", "OTHER",
            match="is from ACME")  # fmt: skip
    cli("receive", "GLUE", "--to", "A1", "--qty", "60", "--po", po)
    cli("receive", "CELL", "--to", "A1", "--lot", "C1", "--qty", "10", "--po", po)
    assert cli("po", "show", po, "--json").json()["status"] == "closed"
    refused("receive", "GLUE", "--to", "A1", "--qty", "1", "--po", po, match="is closed")
    draft = cli("po", "create", "ACME", "--line", "GLUE:5", "--draft", "--json").json()
    refused("receive", "GLUE", "--to", "A1", "--qty", "1", "--po", str(draft["id"]),
            match="open it first")  # fmt: skip
    assert cli("po", "open", str(draft["id"]), "--json").json()["status"] == "open"
    assert cli("po", "close", str(draft["id"]), "--json").json()["status"] == "closed"
    refused("po", "close", str(draft["id"]), match="closed already")
    listed = cli("po", "list", "--json").json()
    assert [(o["id"], o["status"], o["received"]) for o in listed] == [
        (made["id"], "closed", 110),
        (draft["id"], "closed", 0),
    ]


def test_lead_times_are_learned_from_three_receipts_against_orders(world, cli) -> None:
    """Three orders placed 30, 20 and 12 days ago, received 10, 5 and 4 days after: the
    learned lead time is (10 + 5 + 4) / 3 = 6.3 days."""
    world.set_item("GLUE", supplier="ACME")
    for placed, after in ((30, 10), (20, 5), (12, 4)):
        ordered = (TODAY - dt.timedelta(days=placed)).isoformat()
        order = world.po_create("ACME", lines=["GLUE:10"], ordered=ordered)
        world.receive("GLUE", to="A1", qty=10, po=order["id"], at=ago(placed - after))
    rows = cli("report", "reorder", "--all", "--json").json()["rows"]
    row = next(r for r in rows if r["item"] == "GLUE")
    assert row["lead_time_source"] == "learned"
    assert row["lead_time_days"] == 6.3


def test_excess_idle_stock_and_abc_classes(world, cli) -> None:
    """GLUE: 60 received 20 days ago, 50 issued over the last 10 days (5 a day over a
    10-day look-back): 10 on hand is 2 days of cover; with 1 day of cover allowed, 5 are
    in excess, worth 10. CELL: 10 received 400 days ago and never moved: idle; issuing
    nothing, all of it is in excess (30).
    ABC over the last 10 days with A = 0.7: DEV issued 300 (3 x 100), GLUE 100 (50 x 2).
    DEV is A (nothing above it); GLUE has 75% above it, at least 70% and under 95%: B;
    CELL and KIT issued nothing: C."""
    _demand_history(world)
    world.receive("CELL", to="A1", lot="OLD", qty=10, cost="3", at=ago(400))
    world.receive("DEV", to="A1", serials="D1..D3", at=ago(5))
    world.ship("DEV:D1", "DEV:D2", "DEV:D3", to="CUST", at=ago(2))
    report = cli("report", "excess", "--days-of-cover", "1d", "--lookback", "10d",
                 "--idle-days", "365d", "--json").json()  # fmt: skip
    rows = {r["item"]: r for r in report["rows"]}
    assert rows["GLUE"]["days_of_cover"] == 2 and rows["GLUE"]["excess_qty"] == 5
    assert rows["GLUE"]["excess_value"] == 10 and rows["GLUE"]["idle"] is False
    assert rows["CELL"]["idle"] is True and rows["CELL"]["excess_value"] == 30
    assert rows["CELL"]["days_of_cover"] is None
    assert report["total"] == {"excess_value": 40, "idle_value": 30}
    abc = cli("report", "abc", "--from", (TODAY - dt.timedelta(days=9)).isoformat(),
              "--a", "0.7", "--json").json()  # fmt: skip
    classes = {r["item"]: (r["class"], r["issued_value"]) for r in abc["rows"]}
    assert classes == {"DEV": ("A", 300), "GLUE": ("B", 100), "CELL": ("C", 0), "KIT": ("C", 0)}
    assert abc["total"]["classes"] == {"A": 1, "B": 1, "C": 2}
    assert [r["rank"] for r in abc["rows"]] == [1, 2, 3, 4]


def _svg(path: Path) -> ET.Element:
    return ET.fromstring(path.read_text())


def _ids(root: ET.Element) -> list[str]:
    return [el.get("id") for el in root.iter() if el.get("id")]


def test_charts_show_what_the_reports_say(world, cli, tmp_path: Path) -> None:
    _demand_history(world)
    world.receive("DEV", to="A1", serials="D1..D3", at=ago(5))
    world.ship("DEV:D1", "DEV:D2", to="CUST", at=ago(2))
    world.receive("CELL", to="A1", lot="SOON", qty=4, expires=TODAY + dt.timedelta(days=3))

    turnover_svg = tmp_path / "turnover.svg"
    out = cli("report", "turnover", "--chart", str(turnover_svg), "--json")
    assert out.exit_code == 0, out.stderr
    root = _svg(turnover_svg)
    bars = [i for i in _ids(root) if i.startswith("bar-")]
    # the items with stock, the one that issued most first (CELL: turnover 0)
    assert bars == ["bar-DEV", "bar-GLUE", "bar-CELL"]
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Turnover by item" in texts

    abc_svg = tmp_path / "abc.svg"
    cli("report", "abc", "--chart", str(abc_svg))
    ids = _ids(_svg(abc_svg))
    assert [i for i in ids if i.startswith("bar-")] == ["bar-DEV", "bar-GLUE"]
    assert "cumulative-share" in ids

    calendar = tmp_path / "expiry.svg"
    cli("report", "expiring", "--within", "14d", "--chart", str(calendar))
    days = [i for i in _ids(_svg(calendar)) if i.startswith("day-")]
    assert f"day-{(TODAY + dt.timedelta(days=3)).isoformat()}" in days
    assert len(days) % 7 == 0 and len(days) >= 14
    # stock that expired ten days ago is drawn on its day, not today's
    world.receive("CELL", to="A1", lot="OLD", qty=2, cost="3",
                  expires=TODAY - dt.timedelta(days=10))  # fmt: skip
    cli("report", "expiring", "--within", "14d", "--chart", str(calendar))
    values = [i for i in _ids(_svg(calendar)) if i.startswith("value-")]
    assert f"value-{(TODAY - dt.timedelta(days=10)).isoformat()}" in values
    assert f"value-{TODAY.isoformat()}" not in values

    level_png = tmp_path / "level.png"
    cli("item", "set", "GLUE", "--supplier", "ACME", "--lead-time", "4d")
    out = cli("report", "level", "GLUE", "--from", (TODAY - dt.timedelta(days=25)).isoformat(),
              "--chart", str(level_png), "--json")  # fmt: skip
    series = out.json()["rows"]
    assert series[-1]["qty"] == 10 and max(r["qty"] for r in series) == 60
    image = Image.open(io.BytesIO(level_png.read_bytes()))
    assert image.format == "PNG" and image.width > 400
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 10, "a blank picture"
    level_svg = tmp_path / "level.svg"
    cli("report", "level", "GLUE", "--chart", str(level_svg))
    assert {"level", "reorder-point", "safety-stock"} <= set(_ids(_svg(level_svg)))


def test_reports_and_purchase_orders_over_http(world, db_url: str) -> None:
    """The same figures over the API: a planner orders, an operator receives against the
    order, and the reports come as JSON, CSV and charts."""
    from fastapi.testclient import TestClient

    from tracelot.server import Settings, create_app

    _fifo_ledger(world)
    world.add_user("plan", role="planner")
    world.add_user("op", role="operator")
    planner = {"Authorization": f"Bearer {world.create_token('plan')['token']}"}
    operator = {"Authorization": f"Bearer {world.create_token('op')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        api = "/api/v1"
        turnover = client.get(f"{api}/reports/turnover", headers=planner,
                              params={"from": "2026-01-01", "to": "2026-01-04"})  # fmt: skip
        glue = next(r for r in turnover.json()["rows"] if r["item"] == "GLUE")
        assert (glue["average_value"], glue["turnover"]) == (20.25, 0.9383)
        chart = client.get(
            f"{api}/reports/turnover",
            headers=planner,
            params={"from": "2026-01-01", "to": "2026-01-04", "format": "svg"},
        )
        assert chart.headers["content-type"] == "image/svg+xml"
        assert 'id="bar-GLUE"' in chart.text
        csv_answer = client.get(
            f"{api}/reports/valuation",
            headers=planner,
            params={"as_of": "2026-01-03", "by": "location", "format": "csv"},
        )
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert "A1,WH/A1,15,25" in csv_answer.text
        bad = client.get(f"{api}/reports/turnover", headers=planner,
                         params={"from": "2026-02-01", "to": "2026-01-01"})  # fmt: skip
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"
        assert client.get(f"{api}/reports/reorder", headers=planner,
                          params={"service_level": 1}).status_code == 422  # fmt: skip

        changed = client.patch(
            f"{api}/items/GLUE",
            headers=planner,
            json={"supplier": "ACME", "lead_time_days": 5, "min_qty": 20},
        )
        assert changed.status_code == 200, changed.json()
        assert changed.json()["lead_times"] == {"ACME": 5} and changed.json()["min_qty"] == 20
        due = client.get(f"{api}/reports/reorder", headers=planner).json()["rows"]
        assert [r["item"] for r in due] == ["GLUE"] and due[0]["reorder_point"] == 20
        drafted = client.post(f"{api}/reports/reorder/purchase-orders", headers=planner)
        assert drafted.status_code == 201
        (order,) = drafted.json()["created"]["orders"]
        assert client.post(f"{api}/purchase-orders/{order['id']}/open",
                           headers=operator).status_code == 403  # fmt: skip
        assert client.post(f"{api}/purchase-orders/{order['id']}/open",
                           headers=planner).json()["status"] == "open"  # fmt: skip
        qty = order["lines"][0]["qty"]
        receipt = client.post(
            f"{api}/operations/receive",
            headers=operator,
            json={"item": "GLUE", "to": "A1", "qty": qty, "po": order["id"]},
        )
        assert receipt.status_code == 201, receipt.json()
        shown = client.get(f"{api}/purchase-orders/{order['id']}", headers=planner).json()
        assert shown["status"] == "closed" and shown["lines"][0]["received"] == qty
        over = client.post(
            f"{api}/operations/receive",
            headers=operator,
            json={"item": "GLUE", "to": "A1", "qty": 1, "po": order["id"]},
        )
        assert over.status_code == 409 and "closed" in over.json()["detail"]


def test_returns_come_back_at_what_they_were_shipped_at(world, cli) -> None:
    """10 GLUE received at 1 and shipped (worth 10); then 10 received at 5; the customer
    sends the first 10 back: they return at 1 each. On hand 20 worth 60, and the period's
    issues net to nothing. A look-back with more returned than shipped has no demand (and
    the reorder report still answers)."""
    world.receive("GLUE", to="A1", qty=10, cost="1", at=ago(6))
    world.ship("GLUE", to="CUST", qty=10, at=ago(5))
    world.receive("GLUE", to="A1", qty=10, cost="5", at=ago(4))
    world.return_("GLUE", from_customer="CUST", to="A1", qty=10, at=ago(1))
    assert cli("valuation", "--json").json()["total"] == {"qty": 20, "value": 60}
    start = (TODAY - dt.timedelta(days=6)).isoformat()
    glue = next(r for r in cli("report", "turnover", "--from", start, "--json").json()["rows"]
                if r["item"] == "GLUE")  # fmt: skip
    assert (glue["issued_value"], glue["issued_qty"]) == (0, 0)
    rows = cli("report", "reorder", "--lookback", "3d", "--all", "--json").json()["rows"]
    glue = next(r for r in rows if r["item"] == "GLUE")
    assert glue["daily_demand"] == 0 and glue["due"] is False
    assert cli("verify", "--json").json()["ok"]


def test_a_repair_moves_the_value_of_the_parts_it_swaps(world, cli) -> None:
    """KIT:K1 is built of DEV:D3 (120) and 2 CELL (6): 126. D3 is replaced by D1 (100):
    K1 is then worth 106, D3 is back in stock at 120, and the stock is worth what it was
    (126 + 100 + 100 + 6 = 332 = 106 + 120 + 100 + 6); the kit has not moved."""
    world.receive("CELL", to="A1", lot="L1", qty=4, cost="3")
    world.receive("DEV", to="A1", serials="D1,D2")
    world.receive("DEV", to="A1", serials="D3", cost="120")
    world.build("KIT", to="A1", serial="K1", consume=["DEV:D3", "CELL@L1=2"])
    before = cli("valuation", "--json").json()["total"]["value"]
    out = cli("replace", "KIT:K1", "--remove", "DEV:D3", "--install", "DEV:D1", "--to", "A2")
    assert out.exit_code == 0, out.stderr
    values = {r["item"]: r["value"] for r in cli("valuation", "--json").json()["rows"]}
    assert values["KIT"] == 106 and values["DEV"] == 220
    assert cli("valuation", "--json").json()["total"]["value"] == before == 332
    assert cli("where", "KIT:K1", "--json").json()[0]["location"] == "A1"
    assert cli("verify", "--json").json()["ok"]


def test_the_stock_value_day_by_day(setup_basics, tl) -> None:
    import datetime as dt

    today = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    tl.receive("SCREW", to="A1", qty="1000", cost="0.02", at=today - dt.timedelta(days=5))
    tl.receive("CELL", to="A1", lot="L1", qty="10", cost="2", at=today - dt.timedelta(days=2))
    tl.ship("CELL@L1", to="ACME", qty="4", at=today)
    days = tl.value_by_day(days=4)["rows"]
    assert [d["date"] for d in days] == [
        (today - dt.timedelta(days=n)).date().isoformat() for n in (3, 2, 1, 0)
    ]
    assert [d["value"] for d in days] == [20, 40, 40, 32]  # 1000 x 0.02, + 10 x 2, - 4 x 2
    assert days[-1]["value"] == tl.valuation()["total"]["value"]
