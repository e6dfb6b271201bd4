"""Moving, shipping, returning, scrapping and adjusting, through the CLI."""

import pytest
from conftest import Cli

import tracelot
from tracelot.domain.errors import NotAvailable, NotFound


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN001..SN010"),
        ("receive", "CELL", "--to", "A1", "--lot", "OLD", "--qty", "50", "--expires", "2099-01-31"),
        ("receive", "CELL", "--to", "A2", "--lot", "NEW", "--qty", "50", "--expires", "2099-12-31"),
        ("receive", "CELL", "--to", "A2", "--lot", "GONE", "--qty", "5", "--expires", "2020-01-01"),
        ("receive", "SCREW", "--to", "A1", "--qty", "100"),
        ("receive", "SCREW", "--to", "A2", "--qty", "100"),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr
    return cli


def qty_at(cli: Cli, ref_args: tuple[str, ...]) -> dict[tuple[str, str | None], float]:
    rows = cli("stock", *ref_args, "--json").json()
    return {(r["location_path"], r["lot"]): r["qty"] for r in rows}


def test_moving_a_unit_changes_where_it_is_and_its_history(stocked: Cli) -> None:
    cli = stocked
    out = cli("move", "PCB:SN003", "--to", "LINE", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["lines"] == [
        {"item": "PCB", "lot": None, "from": "WH/A1", "to": "LINE", "qty": 1, "serials": ["SN003"]}
    ]
    where = cli("where", "PCB:SN003", "--json").json()[0]
    assert (where["location_path"], where["status"]) == ("LINE", "wip")
    steps = [
        (h["kind"], h["from"], h["to"], h["user"])
        for h in cli("history", "PCB:SN003", "--json").json()
    ]
    assert steps == [
        ("receive", "SUPPLIER", "WH/A1", "tester"),
        ("move", "WH/A1", "LINE", "tester"),
    ]


def test_moving_part_of_a_lot_splits_the_balance(stocked: Cli) -> None:
    cli = stocked
    assert cli("move", "CELL@OLD", "--to", "A2", "--qty", "20").exit_code == 0
    assert qty_at(cli, ("--lot", "OLD")) == {("WH/A1", "OLD"): 30, ("WH/A2", "OLD"): 20}


def test_moving_a_whole_lot_from_its_only_location(stocked: Cli) -> None:
    cli = stocked
    assert cli("move", "CELL@OLD", "--to", "QUAR").exit_code == 0
    assert qty_at(cli, ("--lot", "OLD")) == {("QUAR", "OLD"): 50}


def test_a_lot_at_several_locations_needs_from_or_qty(stocked: Cli, refused) -> None:
    stocked("move", "CELL@OLD", "--to", "A2", "--qty", "1")
    refused("move", "CELL@OLD", "--to", "QUAR", match="several locations")


def test_an_expired_lot_may_still_be_moved_to_quarantine(stocked: Cli) -> None:
    assert stocked("move", "CELL@GONE", "--to", "QUAR").exit_code == 0


def test_moving_more_than_is_there_is_refused(stocked: Cli, refused) -> None:
    refused("move", "CELL@OLD", "--to", "A2", "--qty", "51", match="not enough CELL@OLD")
    refused(
        "move",
        "SCREW",
        "--to",
        "LINE",
        "--from",
        "A1",
        "--qty",
        "101",
        match="not enough SCREW at WH/A1",
    )


def test_moving_a_unit_from_a_place_it_is_not_is_refused(stocked: Cli, refused) -> None:
    refused("move", "PCB:SN001", "--to", "LINE", "--from", "A2", match="is at WH/A1, not at WH/A2")


def test_a_unit_quantity_other_than_one_is_refused(stocked: Cli, refused) -> None:
    refused("move", "PCB:SN001", "--to", "LINE", "--qty", "2", match="quantity is 1")


def test_references_of_the_wrong_kind_are_refused(stocked: Cli, refused) -> None:
    refused("move", "SCREW:S1", "--to", "A2", match="not serial-tracked")
    refused("move", "SCREW@L1", "--to", "A2", match="not lot-tracked")
    refused("move", "CELL@NOPE", "--to", "A2", match="has no lot 'NOPE'")
    refused("move", "PCB:NOPE", "--to", "A2", match="unknown unit PCB:NOPE")
    refused("move", "PCB", "--to", "A2", "--qty", "1", match="serial-tracked")


def test_shipping_a_quantity_picks_first_expiry_first_out(stocked: Cli) -> None:
    cli = stocked
    out = cli("ship", "CELL", "--qty", "60", "--to", "ACME", "--ref", "SO-1", "--json")
    assert out.exit_code == 0, out.stderr
    taken = [(ln["lot"], ln["from"], ln["qty"]) for ln in out.json()["lines"]]
    # OLD expires first; GONE has expired and is never picked
    assert taken == [("OLD", "WH/A1", 50), ("NEW", "WH/A2", 10)]
    rows = cli("where", "CELL@OLD", "--json").json()
    assert [(r["status"], r["customer"], r["qty"]) for r in rows] == [("shipped", "ACME", 50)]


def test_shipping_untracked_stock_breaks_ties_by_location_code(stocked: Cli) -> None:
    out = stocked("ship", "SCREW", "--qty", "150", "--to", "ACME", "--json").json()
    assert [(ln["from"], ln["qty"]) for ln in out["lines"]] == [("WH/A1", 100), ("WH/A2", 50)]


def test_shipping_units_names_the_customer(stocked: Cli) -> None:
    cli = stocked
    out = cli("ship", "PCB:SN001", "PCB:SN002", "--to", "GLOBEX", "--ref", "SO-9")
    assert out.exit_code == 0, out.stderr
    unit = cli("where", "PCB:SN002", "--json").json()[0]
    assert (unit["status"], unit["customer"], unit["customer_name"]) == (
        "shipped",
        "GLOBEX",
        "Globex",
    )
    last = cli("history", "PCB:SN002", "--json").json()[-1]
    assert (last["kind"], last["party"], last["reference"]) == ("ship", "GLOBEX", "SO-9")


def test_shipping_a_unit_twice_is_refused(stocked: Cli, refused) -> None:
    assert stocked("ship", "PCB:SN001", "--to", "ACME").exit_code == 0
    refused("ship", "PCB:SN001", "--to", "GLOBEX", match="already shipped to ACME")


def test_shipping_expired_stock_is_refused(stocked: Cli, refused) -> None:
    refused("ship", "CELL@GONE", "--qty", "1", "--to", "ACME", match="expired 2020-01-01")


def test_shipping_to_an_unknown_or_non_customer_is_refused(stocked: Cli, refused) -> None:
    refused("ship", "PCB:SN001", "--to", "NOBODY", match="unknown customer")
    refused("ship", "PCB:SN001", "--to", "CELLCO", match="not a customer")


def test_one_bad_reference_refuses_the_whole_shipment(stocked: Cli, refused) -> None:
    refused("ship", "PCB:SN001", "PCB:SN999", "--to", "ACME", match="unknown unit PCB:SN999")
    assert stocked("where", "PCB:SN001", "--json").json()[0]["status"] == "in_stock"


def test_a_shipped_unit_comes_back_with_a_return(stocked: Cli, refused) -> None:
    cli = stocked
    cli("ship", "PCB:SN005", "--to", "ACME")
    refused(
        "return", "PCB:SN005", "--from", "GLOBEX", "--to", "QUAR", match="not at customer GLOBEX"
    )
    assert cli("return", "PCB:SN005", "--from", "ACME", "--to", "QUAR").exit_code == 0
    unit = cli("where", "PCB:SN005", "--json").json()[0]
    assert (unit["location_path"], unit["status"], unit["customer"]) == ("QUAR", "in_stock", None)
    refused("return", "PCB:SN005", "--from", "ACME", "--to", "QUAR", match="not at customer")


def test_a_lot_return_is_limited_to_what_the_customer_has(stocked: Cli, refused) -> None:
    cli = stocked
    cli("ship", "CELL@NEW", "--qty", "8", "--to", "ACME")
    refused(
        "return",
        "CELL@NEW",
        "--from",
        "ACME",
        "--to",
        "A2",
        "--qty",
        "9",
        match="ACME has 8 of CELL@NEW",
    )
    assert cli("return", "CELL@NEW", "--from", "ACME", "--to", "A2", "--qty", "3").exit_code == 0
    rows = cli("where", "CELL@NEW", "--json").json()
    assert {(r["location_path"], r["qty"]) for r in rows} == {("WH/A2", 45), ("CUSTOMER", 5)}


def test_scrapping_records_the_reason(stocked: Cli, refused) -> None:
    cli = stocked
    refused("scrap", "PCB:SN007", "--reason", " ", match="reason")
    assert cli("scrap", "PCB:SN007", "--reason", "cracked").exit_code == 0
    assert cli("where", "PCB:SN007", "--json").json()[0]["status"] == "scrapped"
    assert cli("history", "PCB:SN007", "--json").json()[-1]["note"] == "cracked"
    assert cli("scrap", "CELL@GONE", "--reason", "expired").exit_code == 0
    refused("scrap", "PCB:SN007", "--reason", "again", match="already scrapped")
    refused("scrap", "SCREW", "--qty", "500", "--reason", "x", match="not enough SCREW")


def test_a_count_correction_posts_the_difference_to_adjustment(stocked: Cli, refused) -> None:
    cli = stocked
    out = cli("adjust", "SCREW", "--at", "A1", "--counted", "97", "--json").json()
    assert [(ln["from"], ln["to"], ln["qty"]) for ln in out["lines"]] == [
        ("WH/A1", "ADJUSTMENT", 3)
    ]
    out = cli("adjust", "CELL", "--at", "A2", "--lot", "NEW", "--counted", "52", "--json").json()
    assert [(ln["from"], ln["to"], ln["qty"]) for ln in out["lines"]] == [
        ("ADJUSTMENT", "WH/A2", 2)
    ]
    same = cli("adjust", "SCREW", "--at", "A1", "--counted", "97")
    assert same.exit_code == 0 and "nothing to adjust" in same.stdout
    refused("adjust", "SCREW", "--at", "A1", "--counted", "-1", match="must be greater")
    refused("adjust", "CELL", "--at", "A1", "--counted", "3", match="give --lot")
    refused("adjust", "PCB", "--at", "A1", "--counted", "3", match="serial-tracked")
    assert cli("verify").exit_code == 0


def test_a_count_at_a_warehouse_is_refused_or_counts_its_whole_subtree(
    stocked: Cli, refused
) -> None:
    """SCREW: 100 in WH/A1 and 100 in WH/A2. Counting 1 at WH would have added 1 beside
    the 200 below it: refused. With --subtree, 210 counted adds 10 at WH itself; then 150
    counted takes 60: WH's own 10 first, then 50 from A1 (path order)."""
    cli = stocked
    refused("adjust", "SCREW", "--at", "WH", "--counted", "1", match="count a bin")
    more = cli("adjust", "SCREW", "--at", "WH", "--counted", "210", "--subtree", "--json")
    assert [(ln["from"], ln["to"], ln["qty"]) for ln in more.json()["lines"]] == [
        ("ADJUSTMENT", "WH", 10)
    ]
    less = cli("adjust", "SCREW", "--at", "WH", "--counted", "150", "--subtree", "--json")
    assert [(ln["from"], ln["to"], ln["qty"]) for ln in less.json()["lines"]] == [
        ("WH", "ADJUSTMENT", 10), ("WH/A1", "ADJUSTMENT", 50)
    ]  # fmt: skip
    assert qty_at(cli, ("--item", "SCREW")) == {("WH/A1", None): 50, ("WH/A2", None): 100}
    same = cli("adjust", "SCREW", "--at", "WH", "--counted", "150", "--subtree")
    assert "nothing to adjust" in same.stdout
    assert cli("verify").exit_code == 0


def test_a_malformed_command_line_exits_with_two(stocked: Cli) -> None:
    assert stocked("ship", "--to", "ACME").exit_code == 2
    assert stocked("move", "PCB:SN001").exit_code == 2


def test_atomic_keeps_all_of_a_block_or_none(tl: tracelot.Tracelot) -> None:
    tl.add_location("WH")
    tl.add_location("LINE", kind="production")
    tl.add_party("ACME", name="Acme", kind="customer")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.receive("PCB", to="WH", serials="B1..B4")
    with tl.atomic():
        tl.build("DEV", to="LINE", serial="D1", consume=["PCB:B1", "PCB:B2"])
        with pytest.raises(NotAvailable, match="already consumed in DEV:D1"):
            tl.build("DEV", to="LINE", serial="D2", consume=["PCB:B3", "PCB:B1"])
        tl.ship("DEV:D1", to="ACME")  # a refusal caught inside the block undid only itself
    assert tl.where("PCB:B3")[0]["status"] == "in_stock"
    assert tl.where("DEV:D1")[0]["customer"] == "ACME"
    with pytest.raises(RuntimeError), tl.atomic():
        tl.build("DEV", to="LINE", serial="D3", consume=["PCB:B3"])
        tl.ship("PCB:B4", to="ACME")
        raise RuntimeError("the block fails")
    assert [r["status"] for r in tl.where("PCB:B3") + tl.where("PCB:B4")] == ["in_stock"] * 2
    with pytest.raises(NotFound):
        tl.where("DEV:D3")
    assert tl.verify().ok


def test_a_put_away_moves_many_references_in_one_operation(stocked: Cli, refused) -> None:
    cli = stocked
    out = cli("move", "PCB:SN001", "PCB:SN002", "CELL@OLD", "--to", "A2", "--qty", "10", "--json")
    assert out.exit_code == 0, out.stderr
    lines = {(ln["item"], ln["lot"], ln["to"], ln["qty"]) for ln in out.json()["lines"]}
    assert lines == {("PCB", None, "WH/A2", 2), ("CELL", "OLD", "WH/A2", 10)}
    assert {
        r["serial"] for r in cli("stock", "--location", "A2", "--serials", "--json").json()
    } >= {
        "SN001",
        "SN002",
    }
    refused("move", "PCB:SN003", "PCB:SN003", "--to", "A2", match="PCB:SN003 is named twice")
    refused("move", "PCB:SN003", "PCB:SN001", "--to", "A2", match="PCB:SN001 is already at WH/A2")
