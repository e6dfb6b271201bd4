"""Items, locations and parties through the CLI."""

from decimal import Decimal

import pytest
from conftest import Cli

import tracelot
from tracelot.domain.errors import InvalidInput, NotFound


def test_an_item_keeps_what_it_was_given(cli: Cli) -> None:
    out = cli(
        "item",
        "add",
        "DEV",
        "--name",
        "Device",
        "--tracking",
        "serial",
        "--gtin",
        "9506000134352",
        "--uom",
        "PCE",
        "--shelf-life-days",
        "365",
        "--cost",
        "99.90",
    )
    assert out.exit_code == 0, out.stderr
    item = cli("item", "show", "DEV", "--json").json()
    assert item == {
        "item": "DEV",
        "name": "Device",
        "tracking": "serial",
        "gtin": "09506000134352",
        "uom": "PCE",
        "shelf_life_days": 365,
        "cost": 99.9,
        "gtins": ["09506000134352"],
        "category": None,
        "supplier": None,
        "lead_time_days": None,
        "ordering_cost": None,
        "holding_rate": None,
        "min_qty": None,
        "max_qty": None,
        "pack_size": None,
        "active": True,
        "inactive_reason": None,
        "lead_times": {},
        "inspect_on_receipt": False,  # issue 19: inspection on receipt
        "inspect_on_receipt_from": {},
    }
    assert [i["item"] for i in cli("item", "list", "--json").json()] == ["DEV"]
    assert "DEV" in cli("item", "list").stdout


def test_bad_items_are_refused(cli: Cli, refused) -> None:
    cli("item", "add", "A", "--name", "A", "--tracking", "none", "--gtin", "4006381333931")
    refused(
        "item",
        "add",
        "B",
        "--name",
        "B",
        "--tracking",
        "none",
        "--gtin",
        "4006381333932",
        match="bad check digit: 2, expected 1",
    )
    refused("item", "add", "A", "--name", "again", "--tracking", "none", match="already exists")
    refused(
        "item",
        "add",
        "B",
        "--name",
        "B",
        "--tracking",
        "none",
        "--gtin",
        "04006381333931",
        match="already belongs to item A",
    )
    refused("item", "add", "C", "--name", "C", "--tracking", "batch", match="tracking must be")
    refused("item", "add", "C:1", "--name", "C", "--tracking", "none", match="may hold only")
    refused("item", "add", "C", "--name", " ", "--tracking", "none", match="name must not be empty")
    refused("item", "add", "C", "--name", "C", "--tracking", "none", "--cost", "-1", match="cost")
    refused(
        "item",
        "add",
        "C",
        "--name",
        "C",
        "--tracking",
        "lot",
        "--shelf-life-days",
        "0",
        match="shelf life",
    )
    refused("item", "show", "NOPE", match="unknown item")


def test_locations_form_a_tree(cli: Cli) -> None:
    for args in [
        ("WH", "--kind", "warehouse"),
        ("B", "--parent", "WH", "--kind", "zone"),
        ("A", "--parent", "WH", "--kind", "zone"),
        ("A2", "--parent", "A"),
        ("A1", "--parent", "A", "--name", "Bin A1"),
        ("Q", "--kind", "quarantine"),
    ]:
        assert cli("location", "add", *args).exit_code == 0
    rows = cli("location", "list", "--json").json()
    assert [r["location_path"] for r in rows] == ["Q", "WH", "WH/A", "WH/A/A1", "WH/A/A2", "WH/B"]
    a1 = next(r for r in rows if r["location"] == "A1")
    assert (a1["name"], a1["parent"], a1["kind"], a1["depth"]) == ("Bin A1", "A", "bin", 2)
    table = cli("location", "list").stdout
    assert "    A1" in table  # indented under WH/A
    virtual = cli("location", "list", "--all", "--json").json()
    assert {"SUPPLIER", "CUSTOMER", "PRODUCTION", "SCRAP", "ADJUSTMENT"} <= {
        r["location"] for r in virtual
    }


def test_bad_locations_are_refused(cli: Cli, refused) -> None:
    cli("location", "add", "WH")
    refused("location", "add", "WH", match="already exists")
    refused("location", "add", "X", "--parent", "NOPE", match="unknown location")
    refused("location", "add", "X", "--parent", "SCRAP", match="virtual")
    refused("location", "add", "X", "--kind", "customer", match="kind must be one of")
    refused("location", "add", "SUPPLIER", match="already exists")
    refused("location", "add", "A/B", match="may hold only")


def test_parties_are_suppliers_or_customers(cli: Cli, refused) -> None:
    assert cli("party", "add", "ACME", "--name", "Acme", "--kind", "customer").exit_code == 0
    assert cli("party", "add", "CC", "--name", "Cell Co", "--kind", "supplier").exit_code == 0
    assert [p["party"] for p in cli("party", "list", "--kind", "customer", "--json").json()] == [
        "ACME"
    ]
    refused("party", "add", "ACME", "--name", "Acme", "--kind", "customer", match="already exists")
    refused("party", "add", "X", "--name", "X", "--kind", "carrier", match="supplier or customer")


def test_text_with_a_nul_is_refused_alike_on_every_database(tl: tracelot.Tracelot) -> None:
    """A NUL in a name, an operation's reference or its note is refused before anything
    is written, on SQLite as on PostgreSQL (whose text cannot hold one): SQLite's text
    functions end a string at it, so a trace's CSV would cut the name short."""
    nul = "text cannot contain NUL \\(0x00\\) characters"
    for add in (lambda: tl.add_party("ACME", name="Acme\x00, Inc", kind="customer"),
                lambda: tl.add_item("BOLT", name="Bolt\x00", tracking="none"),
                lambda: tl.add_location("WH", name="Main\x00")):  # fmt: skip
        with pytest.raises(InvalidInput, match=nul):
            add()
    assert tl.parties() == [] and tl.items() == []
    tl.add_location("WH")
    tl.add_location("B1", parent="WH")
    tl.add_item("BOLT", name="Bolt", tracking="none")
    tl.add_party("ACME", name="Acme", kind="customer")
    tl.receive("BOLT", to="WH", qty=5)
    with pytest.raises(InvalidInput, match="reference: " + nul):
        tl.ship("BOLT", qty=1, to="ACME", reference="SO\x001")
    with pytest.raises(InvalidInput, match="note: " + nul):
        tl.move("BOLT", qty=1, to="B1", note="a\x00b")
    assert [(r["location"], r["qty"]) for r in tl.stock(item="BOLT")] == [("WH", 5)]
    # a sales order's reference, note and cancel reason alike (shipped against, its
    # reference names the shipment)
    with pytest.raises(InvalidInput, match="reference: " + nul):
        tl.so_create("ACME", lines=["BOLT:1"], reference="PO\x007")
    with pytest.raises(InvalidInput, match="note: " + nul):
        tl.so_create("ACME", lines=["BOLT:1"], note="a\x00b")
    assert tl.sales_orders() == []
    order = tl.so_create("ACME", lines=["BOLT:1"])
    with pytest.raises(InvalidInput, match="reason: " + nul):
        tl.so_cancel(order["id"], reason="a\x00b")
    assert tl.sales_order(order["id"])["status"] == "draft"
    with pytest.raises(InvalidInput, match="note: " + nul):
        tl.count_start(at="WH", note="a\x00b")
    assert tl.counts() == []
    with pytest.raises(InvalidInput, match=nul):
        tl.set_party("ACME", name="Acme\x00")
    assert [p["name"] for p in tl.parties()] == ["Acme"]


def test_a_location_rolled_back_is_not_remembered(tl: tracelot.Tracelot) -> None:
    """Locations read by a committed transaction are kept for later ones; one added and
    used in a transaction that was rolled back is not, even when its id is given again."""
    tl.add_location("WH", kind="warehouse")
    tl.add_item("BOLT", name="Bolt", tracking="none")
    tl.receive("BOLT", to="WH", qty=5)  # WH is kept from here on
    with pytest.raises(RuntimeError), tl.atomic() as batch:
        batch.add_location("B9", parent="WH")
        batch.move("BOLT", qty=1, to="B9")  # B9 read inside the block
        raise RuntimeError("changed my mind")
    with pytest.raises(NotFound, match="B9"):
        tl.move("BOLT", qty=1, to="B9")
    tl.add_location("B8", parent="WH")  # may get the id B9 had
    tl.move("BOLT", qty=2, to="B8")
    assert {(r["location"], r["qty"]) for r in tl.stock(item="BOLT")} == {("WH", 3), ("B8", 2)}


def test_an_item_changed_in_a_batch_is_read_afresh_by_gtin_code_and_id(
    tl: tracelot.Tracelot,
) -> None:
    tl.add_item("BOLT", name="Old name", tracking="none", gtin="09506000134352", cost="1.00")
    scan = "0109506000134352"
    with tl.atomic() as batch:
        assert batch.identify(scan)["item_name"] == "Old name"
        batch.set_item("BOLT", name="New name", cost="2.50")
        assert batch.identify(scan)["item_name"] == "New name"
        changed = batch.item("BOLT")
        assert (changed["name"], changed["cost"]) == ("New name", Decimal("2.5"))


def test_parties_keep_their_contact_details(cli: Cli, refused) -> None:
    added = cli("party", "add", "CUS", "--name", "Customer", "--kind", "customer",
                "--contact-name", "Ann Lee", "--email", "qa@customer.example",
                "--phone", "+44 20 7946 0000", "--address", "1 Quay St\nBristol",
                "--json")  # fmt: skip
    assert added.json() == {
        "party": "CUS", "name": "Customer", "kind": "customer", "contact_name": "Ann Lee",
        "email": "qa@customer.example", "phone": "+44 20 7946 0000",
        "address": "1 Quay St\nBristol", "active": True, "inactive_reason": None,
    }  # fmt: skip
    changed = cli("party", "set", "CUS", "--email", "recalls@customer.example", "--phone", "",
                  "--json").json()  # fmt: skip
    assert changed["email"] == "recalls@customer.example" and changed["phone"] is None
    assert changed["contact_name"] == "Ann Lee"  # not given: kept
    (row,) = cli("party", "list", "--json").json()
    assert row == changed
    refused("party", "set", "CUS", "--email", "nobody", match="not an email address")
    refused("party", "set", "CUS", "--phone", "call me", match="phone")
    refused("party", "set", "NOPE", "--email", "a@b.example", match="unknown party")
    refused("party", "set", "CUS", match="nothing to change")
    refused("party", "add", "C2", "--name", "C2", "--kind", "customer", "--email", "x@",
            match="not an email address")  # fmt: skip
