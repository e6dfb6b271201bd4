"""Units of measure and pack sizes (issue 20, point 4): an item's packaging levels, each
maybe with a GTIN of its own; a scan of a pack's GTIN, or a quantity given with `--pack`,
is that many base units wherever stock moves; stock shows the packs beside the base
quantity; purchase order lines in a pack with a price per pack; a quantity that is not
whole is refused for an item counted in eaches. Through the CLI, the API and the Python
facade; every refusal says why and changes nothing."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import Cli, snapshot
from fastapi.testclient import TestClient

import tracelot
from tracelot.domain.errors import InvalidInput, NotFound
from tracelot.domain.uom import Pack, in_packs, packs_text
from tracelot.domain.values import gtin_check_digit
from tracelot.server import Settings, create_app


def check(body: str) -> str:
    return body + str(gtin_check_digit(body))


SCREW_GTIN = check("0950600013000")  # the screw itself (as 14 digits)
BOX_GTIN = check("1950600013000")  # a box of 12 screws
CASE_GTIN = check("2950600013000")  # a case of 12 boxes: 144 screws
CELL_CASE_GTIN = check("3950600013000")  # a case of 50 cells
SSCC = check("09506000130000001")  # a pallet holding 3 cases of cells: (02) + (37)


@pytest.fixture
def packed(setup_basics: Cli) -> Cli:
    """The basic world; SCREW in boxes of 12 and cases of 12 boxes, CELL in cases of 50."""
    cli = setup_basics
    for args in [
        ("item", "gtin", "add", "SCREW", SCREW_GTIN),
        ("item", "pack", "add", "SCREW", "--name", "box", "--qty", "12", "--gtin", BOX_GTIN),
        ("item", "pack", "add", "SCREW", "--name", "case", "--qty", "12", "--of", "box",
         "--gtin", CASE_GTIN),
        ("item", "pack", "add", "CELL", "--name", "case", "--qty", "50", "--gtin",
         CELL_CASE_GTIN),
        ("party", "add", "SUP", "--name", "A supplier", "--kind", "supplier"),
    ]:  # fmt: skip
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return cli


def _stock(cli: Cli, item: str) -> dict[tuple[str, str | None], float]:
    rows = cli("stock", "--item", item, "--json").json()
    return {(r["location"], r["lot"]): r["qty"] for r in rows}


def test_packaging_levels_are_added_listed_and_removed(packed: Cli) -> None:
    cli = packed
    listed = cli("item", "pack", "list", "SCREW", "--json").json()
    assert [(p["name"], p["qty"], p["of"], p["of_count"], p["gtin"]) for p in listed] == [
        ("case", 144, "box", 12, CASE_GTIN),
        ("box", 12, None, None, BOX_GTIN),
    ]
    assert all(p["uom"] == "EA" and p["item"] == "SCREW" for p in listed)
    table = cli("item", "pack", "list", "SCREW")
    assert table.exit_code == 0 and "case" in table.stdout and "144" in table.stdout
    # the change log keeps each pack added and removed
    added = cli("item", "pack", "add", "SCREW", "--name", "bag", "--qty", "100", "--json")
    assert added.exit_code == 0 and added.json()["qty"] == 100
    removed = cli("item", "pack", "remove", "SCREW", "bag", "--json")
    assert removed.exit_code == 0 and removed.json()["name"] == "bag"
    changes = cli("changes", "--item", "SCREW", "--json").json()
    packs = [(c["before"], c["after"]) for c in changes if c["field"] == "pack"]
    assert (None, "bag = 100 EA") in packs and ("bag = 100 EA", None) in packs
    assert (None, f"case = 144 EA (12 box), GTIN {CASE_GTIN}") in packs
    # a level given in another stays while the other is removed first
    assert cli("item", "pack", "remove", "SCREW", "case").exit_code == 0
    assert cli("item", "pack", "remove", "SCREW", "box").exit_code == 0
    assert cli("item", "pack", "list", "SCREW", "--json").json() == []


def test_bad_packaging_levels_are_refused_and_change_nothing(packed: Cli, refused) -> None:
    refused("item", "pack", "add", "SCREW", "--name", "box", "--qty", "10",
            match="has a pack 'box' already")  # fmt: skip
    refused("item", "pack", "add", "SCREW", "--name", "2box", "--qty", "10",
            match="a pack's name is a word")  # fmt: skip
    refused("item", "pack", "add", "SCREW", "--name", "bag", "--qty", "0",
            match="greater than zero")  # fmt: skip
    refused("item", "pack", "add", "SCREW", "--name", "bag", "--qty", "2.5",
            match="not a whole number")  # an item counted in eaches  # fmt: skip
    refused("item", "pack", "add", "SCREW", "--name", "pallet", "--qty", "4", "--of", "crate",
            match="no pack 'crate'")  # fmt: skip
    refused("item", "pack", "add", "NOPE", "--name", "bag", "--qty", "4", match="unknown item")
    # a GTIN names one item or one pack, the item's own GTINs included
    refused("item", "pack", "add", "CELL", "--name", "box", "--qty", "10", "--gtin", BOX_GTIN,
            match="already belongs to pack box of SCREW")  # fmt: skip
    refused("item", "pack", "add", "CELL", "--name", "box", "--qty", "10", "--gtin",
            SCREW_GTIN, match="already belongs to item SCREW")  # fmt: skip
    refused("item", "gtin", "add", "CELL", CASE_GTIN, match="already belongs to pack case")
    refused("item", "add", "NUT", "--name", "Nut", "--tracking", "none", "--gtin", BOX_GTIN,
            match="already belongs to pack box")  # fmt: skip
    refused("item", "set", "CELL", "--gtin", CELL_CASE_GTIN, match="already belongs to pack")
    refused("item", "pack", "add", "CELL", "--name", "box", "--qty", "10", "--gtin", "123",
            match="GTIN")  # fmt: skip
    refused("item", "pack", "remove", "SCREW", "box", match="remove case first")
    refused("item", "pack", "remove", "SCREW", "pallet", match="no pack 'pallet'")


def test_a_pack_gtin_scanned_is_its_base_units_wherever_stock_moves(packed: Cli) -> None:
    cli = packed
    # receive: one case by its plain GTIN, two by a GS1 string with a count, a box by a
    # Digital Link; CELL's case with its lot
    for scan in (CASE_GTIN, f"(01){CASE_GTIN}(30)2", f"https://id.gs1.org/01/{BOX_GTIN}"):
        got = cli("receive", "--scan", scan, "--to", "A1", "--json")
        assert got.exit_code == 0, (scan, got.stderr)
    assert _stock(cli, "SCREW") == {("A1", None): 144 + 288 + 12}
    pallet = f"(00){SSCC}(02){CELL_CASE_GTIN}(10)L1(37)3"  # 3 cases of the lot, on a pallet
    got = cli("receive", "--scan", pallet, "--to", "A1", "--json")
    assert got.exit_code == 0, got.stderr
    assert [(ln["lot"], ln["qty"]) for ln in got.json()["lines"]] == [("L1", 150)]
    # what a scan says: the item, the pack, and its base units
    shown = cli("scan", "--json", input=f"(01){CASE_GTIN}(30)2\n").json()
    assert (shown["ok"], shown["kind"], shown["item"], shown["pack"], shown["qty"]) == (
        True, "item", "SCREW", "case", 288,
    )  # fmt: skip
    plain = cli("scan", "--json", input=f"{SCREW_GTIN}\n").json()
    assert (plain["item"], plain["pack"], plain["qty"]) == ("SCREW", None, 1)
    # move and ship by scanning a pack: its base units, unless a quantity is given
    moved = cli("move", f"(01){CASE_GTIN}", "--to", "A2", "--json")
    assert moved.exit_code == 0, moved.stderr
    assert [ln["qty"] for ln in moved.json()["lines"]] == [144]
    shipped = cli("ship", f"(01){BOX_GTIN}(30)3", "--from", "A1", "--to", "ACME", "--json")
    assert [ln["qty"] for ln in shipped.json()["lines"]] == [36]
    lot_moved = cli("move", f"(01){CELL_CASE_GTIN}(10)L1", "--to", "A2", "--json")
    assert [(ln["lot"], ln["qty"]) for ln in lot_moved.json()["lines"]] == [("L1", 50)]
    # a list of scans: a case and a box of screws, shipped together
    listed = cli("scan", "--then", "ship-to", "GLOBEX", "--json",
                 input=f"(01){CASE_GTIN}\n(01){BOX_GTIN}\n")  # fmt: skip
    assert listed.exit_code == 0, listed.stderr
    done = json.loads(listed.stdout.strip().splitlines()[-1])
    assert done["kind"] == "ship" and sum(ln["qty"] for ln in done["lines"]) == 156
    assert sum(_stock(cli, "SCREW").values()) == 444 - 36 - 156
    assert cli("verify").exit_code == 0


def test_quantities_typed_in_packs_with_the_pack_option(packed: Cli, refused) -> None:
    cli = packed
    got = cli("receive", "SCREW", "--to", "A1", "--qty", "3", "--pack", "case", "--json")
    assert [ln["qty"] for ln in got.json()["lines"]] == [432]
    one = cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--pack", "case", "--json")
    assert [ln["qty"] for ln in one.json()["lines"]] == [50]  # one pack without --qty
    moved = cli("move", "SCREW", "CELL@L1", "--from", "A1", "--to", "A2", "--qty", "1",
                "--pack", "case", "--json")  # fmt: skip
    assert moved.exit_code == 0, moved.stderr
    assert sorted((ln["item"], ln["qty"]) for ln in moved.json()["lines"]) == [
        ("CELL", 50), ("SCREW", 144),
    ]  # fmt: skip
    shipped = cli("ship", "SCREW", "--from", "A1", "--to", "ACME", "--qty", "2", "--pack",
                  "box", "--json")  # fmt: skip
    assert [ln["qty"] for ln in shipped.json()["lines"]] == [24]
    one = cli("move", "CELL@L1", "--to", "A1", "--pack", "case", "--json")  # one pack
    assert [(ln["from"], ln["qty"]) for ln in one.json()["lines"]] == [("WH/A2", 50)]
    adjusted = cli("adjust", "SCREW", "--at", "A2", "--counted", "2", "--pack", "case",
                   "--json")  # fmt: skip
    assert [(ln["from"], ln["qty"]) for ln in adjusted.json()["lines"]] == [("ADJUSTMENT", 144)]
    assert _stock(cli, "SCREW") == {("A1", None): 432 - 144 - 24, ("A2", None): 288}
    # refused: a pack the item does not have, a pack's quantity of a unit, a bad name
    refused("move", "SCREW", "--from", "A1", "--to", "A2", "--qty", "1", "--pack", "pallet",
            match="no pack 'pallet'")  # fmt: skip
    refused("ship", "CELL@L1", "--to", "ACME", "--qty", "1", "--pack", "box",
            match="CELL has no pack 'box'")  # fmt: skip
    refused("receive", "SCREW", "--to", "A1", "--qty", "1", "--pack", "2 cases",
            match="a pack's name is a word")  # fmt: skip
    refused("receive", "PCB", "--to", "A1", "--serials", "S1..S2", "--pack", "box",
            match="serials are received one by one")  # fmt: skip
    refused("receive", "--scan", f"(01){CASE_GTIN}(30)2", "--qty", "3", "--to", "A1",
            match="disagrees with the scan's 288")  # fmt: skip
    agreed = cli("receive", "--scan", f"(01){CASE_GTIN}(30)2", "--qty", "2", "--pack", "case",
                 "--to", "A1")  # fmt: skip
    assert agreed.exit_code == 0, agreed.stderr
    refused("receive", "--scan", f"(01){CASE_GTIN}(21)S1", "--to", "A1",
            match="a case has no serial")  # fmt: skip
    assert cli("verify").exit_code == 0


def test_a_quantity_not_whole_is_refused_for_an_item_counted_in_eaches(
    packed: Cli, refused
) -> None:
    cli = packed
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "100").exit_code == 0
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "10").exit_code == 0
    refused("receive", "SCREW", "--to", "A1", "--qty", "2.5", match="not a whole number")
    refused("move", "SCREW", "--to", "A2", "--qty", "0.5", match="counted in whole EA")
    refused("ship", "CELL@L1", "--to", "ACME", "--qty", "1.25", match="not a whole number")
    refused("scrap", "SCREW", "--reason", "bent", "--qty", "0.1", match="not a whole number")
    refused("adjust", "SCREW", "--at", "A1", "--counted", "99.5", match="not a whole number")
    refused("po", "create", "SUP", "--line", "SCREW:2.5", match="not a whole number")
    listed = cli("scan", "--then", "move-to", "A2", input="SCREW=0.5\n")
    assert "not a whole number" in listed.stderr + listed.stdout
    # an item kept in a unit that takes fractions takes them
    assert cli("item", "set", "SCREW", "--uom", "kg").exit_code == 0
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "2.5").exit_code == 0
    assert _stock(cli, "SCREW") == {("A1", None): 102.5}
    assert cli("verify").exit_code == 0


def test_stock_shows_the_packs_beside_the_base_quantity(packed: Cli) -> None:
    cli = packed
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "40").exit_code == 0
    assert cli("receive", "SCREW", "--to", "A2", "--qty", "150").exit_code == 0
    assert cli("receive", "PCB", "--to", "A1", "--serials", "S1..S3").exit_code == 0
    rows = {r["location"]: r for r in cli("stock", "--item", "SCREW", "--json").json()}
    assert rows["A1"]["qty"] == 40 and rows["A1"]["uom"] == "EA"
    assert rows["A1"]["packs"] == [
        {"name": "case", "qty": 144, "count": 0, "remainder": 40},
        {"name": "box", "qty": 12, "count": 3, "remainder": 4},
    ]
    assert rows["A2"]["packs"][0] == {"name": "case", "qty": 144, "count": 1, "remainder": 6}
    pcb = cli("stock", "--item", "PCB", "--json").json()
    assert pcb[0]["qty"] == 3 and pcb[0]["packs"] == []
    table = cli("stock", "--item", "SCREW").stdout
    assert "40 (3 box + 4)" in table and "150 (1 case + 6)" in table
    assert "total: SCREW 190 EA" in table
    valued = {r["item"]: r for r in cli("valuation", "--json").json()["rows"]}
    assert valued["SCREW"]["qty"] == 190 and valued["SCREW"]["packs"][0]["count"] == 1
    assert valued["PCB"]["packs"] == []
    by_location = cli("valuation", "--by", "location", "--json").json()["rows"]
    assert all("packs" not in r for r in by_location)
    assert "190 (1 case + 3 box + 10)" in cli("valuation").stdout
    where = {r["location"]: r for r in cli("where", "SCREW", "--json").json()}
    assert where["A2"]["packs"][0] == {"name": "case", "qty": 144, "count": 1, "remainder": 6}
    assert "150 (1 case + 6)" in cli("where", "SCREW").stdout
    assert cli("where", "PCB:S1", "--json").json()[0].get("packs") in (None, [])


def test_purchase_order_lines_in_packs_are_kept_and_received_in_base_units(
    packed: Cli, refused
) -> None:
    cli = packed
    made = cli("po", "create", "SUP", "--line", "SCREW:2:30.00:case", "--line", "SCREW:10",
               "--line", "CELL:3::case", "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    lines = {ln["line"]: ln for ln in made.json()["lines"]}
    assert (lines[1]["qty"], lines[1]["pack"], lines[1]["packs"], lines[1]["pack_qty"]) == (
        288, "case", 2, 144,
    )  # fmt: skip
    assert lines[1]["pack_price"] == 30 and lines[1]["value"] == 60  # 2 cases at 30, exactly
    assert lines[1]["price"] == pytest.approx(30 / 144, abs=1e-6)  # a screw's price
    assert (lines[2]["qty"], lines[2]["pack"], lines[2]["packs"]) == (10, None, None)
    assert (lines[3]["qty"], lines[3]["pack"], lines[3]["packs"]) == (150, "case", 3)
    po = str(made.json()["id"])
    shown = cli("po", "show", po).stdout
    assert "case" in shown and "288" in shown
    got = cli("receive", "SCREW", "--to", "A1", "--po", po, "--qty", "1", "--pack", "case")
    assert got.exit_code == 0, got.stderr
    after = {ln["line"]: ln for ln in cli("po", "show", po, "--json").json()["lines"]}
    assert (after[1]["received"], after[1]["open_qty"]) == (144, 144)
    refused("receive", "SCREW", "--to", "A1", "--po", po, "--qty", "2", "--pack", "case",
            match="over-receipt")  # fmt: skip
    refused("item", "pack", "remove", "CELL", "case", match="used by purchase order")
    refused("po", "create", "SUP", "--line", "SCREW:2:1:pallet", match="no pack 'pallet'")
    refused("po", "create", "SUP", "--line", "SCREW:2:abc", match="no pack 'abc'")
    assert cli("verify").exit_code == 0


def test_sales_order_lines_in_packs_are_reserved_and_shipped_in_base_units(
    packed: Cli, refused
) -> None:
    cli = packed
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "3", "--pack", "case").exit_code == 0
    assert cli("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "200").exit_code == 0
    made = cli("so", "create", "ACME", "--line", "SCREW:2:45.00:case", "--line", "SCREW:5",
               "--line", "CELL@L1:3::case", "--confirm", "--json")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    lines = {ln["line"]: ln for ln in made.json()["lines"]}
    assert (lines[1]["qty"], lines[1]["pack"], lines[1]["packs"], lines[1]["pack_qty"]) == (
        288, "case", 2, 144)  # fmt: skip
    assert lines[1]["pack_price"] == 45 and lines[1]["value"] == 90  # 2 cases at 45, exactly
    assert lines[1]["price"] == pytest.approx(45 / 144, abs=1e-6)  # a screw's price
    assert (lines[2]["qty"], lines[2]["pack"], lines[2]["packs"]) == (5, None, None)
    assert (lines[3]["qty"], lines[3]["pack"], lines[3]["packs"], lines[3]["reserved"]) == (
        150, "case", 3, 150)  # fmt: skip
    assert [ln["reserved"] for ln in lines.values()] == [288, 5, 150]  # in base units
    shown = cli("so", "show", "1").stdout
    assert "case" in shown and "288" in shown
    assert cli("ship", "--so", "1").exit_code == 0
    assert _stock(cli, "SCREW") == {("A1", None): 432 - 293}
    refused("item", "pack", "remove", "CELL", "case", match="used by sales order 1")
    refused("so", "create", "ACME", "--line", "SCREW:2:1:pallet", match="no pack 'pallet'")
    refused("so", "create", "ACME", "--line", "SCREW:1.5", match="whole")
    assert cli("verify").exit_code == 0


def test_the_python_facade_converts_to_base_units(packed: Cli, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        assert tl.to_base("SCREW", 3, "case") == Decimal(432)
        assert tl.to_base("SCREW", "5") == Decimal(5)
        with pytest.raises(InvalidInput, match="not a whole number"):
            tl.to_base("SCREW", "1.5")
        with pytest.raises(NotFound, match="no pack 'crate'"):
            tl.to_base("SCREW", 1, "crate")
        tl.receive("SCREW", to="A1", qty=2, pack="box")
        tl.move("SCREW", to="A2", qty=1, pack="box")
        tl.ship("SCREW", to="ACME", qty=1, pack="box", from_="A2")
        assert tl.adjust("SCREW", at_location="A1", counted=1, pack="box") is None
        rows = tl.stock(item="SCREW")
        assert [(r["location"], r["qty"]) for r in rows] == [("A1", 12)]
        assert rows[0]["packs"][1] == {"name": "box", "qty": 12, "count": 1, "remainder": 0}
        assert [p["name"] for p in tl.packs("SCREW")] == ["case", "box"]
        assert tl.verify().ok


def test_packs_over_the_api(packed: Cli, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator")
        tl.add_user("plan", role="planner")
        tl.add_user("viewer", role="viewer")
        tokens = {n: tl.create_token(n)["token"] for n in ("clerk", "plan", "viewer")}
    auth = {n: {"Authorization": f"Bearer {t}"} for n, t in tokens.items()}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        listed = client.get("/api/v1/items/SCREW/packs", headers=auth["viewer"])
        assert listed.status_code == 200
        assert [(p["name"], p["qty"]) for p in listed.json()] == [("case", 144), ("box", 12)]
        made = client.post("/api/v1/items/SCREW/packs", headers=auth["plan"],
                           json={"name": "pallet", "qty": 40, "of": "case"})  # fmt: skip
        assert made.status_code == 201, made.json()
        assert (made.json()["qty"], made.json()["of"]) == (5760, "case")
        assert client.post("/api/v1/items/SCREW/packs", headers=auth["clerk"],
                           json={"name": "bag", "qty": 5}).status_code == 403  # fmt: skip
        before = snapshot(db_url)
        for body, status in [
            ({"name": "bag", "qty": 0}, 422),
            ({"name": "bag", "qty": 1.5}, 422),
            ({"name": "case", "qty": 10}, 409),
            ({"name": "bag", "qty": 10, "gtin": BOX_GTIN}, 409),
            ({"name": "bag", "qty": 10, "bogus": 1}, 422),
        ]:
            answer = client.post("/api/v1/items/SCREW/packs", headers=auth["plan"], json=body)
            assert answer.status_code == status, (body, answer.json())
            assert answer.headers["content-type"] == "application/problem+json"
        assert client.get("/api/v1/items/NOPE/packs", headers=auth["viewer"]).status_code == 404
        in_cases = {"item": "SCREW", "to": "A1", "qty": 2, "pack": "case"}
        received = client.post("/api/v1/operations/receive", headers=auth["clerk"], json=in_cases)
        assert received.status_code == 201, received.json()
        assert [ln["qty"] for ln in received.json()["lines"]] == [288]
        refused = client.post("/api/v1/operations/move", headers=auth["clerk"],
                              json={"refs": ["SCREW"], "to": "A2", "qty": 0.5})  # fmt: skip
        assert refused.status_code == 422 and "whole" in refused.json()["detail"]
        scanned = client.post("/api/v1/operations/ship", headers=auth["clerk"],
                              json={"refs": [f"(01){CASE_GTIN}"], "to": "ACME"})  # fmt: skip
        assert [ln["qty"] for ln in scanned.json()["lines"]] == [144]
        stock = client.get("/api/v1/stock", headers=auth["viewer"], params={"item": "SCREW"})
        assert stock.status_code == 200
        shown = [(p["name"], p["qty"], p["count"], p["remainder"])
                 for p in stock.json()["items"][0]["packs"]]  # fmt: skip
        assert shown == [("pallet", 5760, 0, 144), ("case", 144, 1, 0), ("box", 12, 12, 0)]
        removed = client.delete("/api/v1/items/SCREW/packs/pallet", headers=auth["plan"])
        assert removed.status_code == 200 and removed.json()["name"] == "pallet"
        gone = client.delete("/api/v1/items/SCREW/packs/pallet", headers=auth["plan"])
        assert gone.status_code == 404
    with tracelot.connect(db_url) as tl:
        assert [(r["location"], r["qty"]) for r in tl.stock(item="SCREW")] == [("A1", 144)]
        assert tl.verify().ok
    assert before != snapshot(db_url)  # the receipt and shipment after the refusals


def test_pack_arithmetic_is_exact() -> None:
    packs = [Pack("box", Decimal(12)), Pack("case", Decimal(144))]
    assert packs_text(Decimal(40), packs) == "40 (3 box + 4)"
    assert packs_text(Decimal(150), packs) == "150 (1 case + 6)"
    assert packs_text(Decimal(300), packs) == "300 (2 case + 1 box)"
    assert packs_text(Decimal(5), packs) == "5"
    assert packs_text(Decimal("2.5"), [Pack("bag", Decimal("0.5"))]) == "2.5 (5 bag)"
    assert in_packs(Decimal(0), packs)[0] == {
        "name": "case", "qty": Decimal(144), "count": 0, "remainder": 0,
    }  # fmt: skip
