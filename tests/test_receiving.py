"""Receiving from suppliers through the CLI, and every refusal it gives."""

from conftest import Cli


def test_receiving_serials_records_each_unit_at_its_bin(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli(
        "receive",
        "PCB",
        "--to",
        "A1",
        "--serials",
        "SN0001..SN0100",
        "--supplier",
        "CELLCO",
        "--supplier-lot",
        "PH-77",
        "--cost",
        "11.25",
        "--ref",
        "PO-1",
        "--json",
    )
    assert out.exit_code == 0, out.stderr
    op = out.json()
    assert op["kind"] == "receive" and op["party"] == "CELLCO" and op["reference"] == "PO-1"
    assert op["lines"][0]["from"] == "SUPPLIER" and op["lines"][0]["to"] == "WH/A1"
    assert op["lines"][0]["serials"][:2] == ["SN0001", "SN0002"]
    units = cli("stock", "--serials", "--item", "PCB", "--json").json()
    assert len(units) == 100 and {u["location_path"] for u in units} == {"WH/A1"}
    where = cli("where", "PCB:SN0042", "--json").json()
    assert (
        where[0] | {"item": "PCB", "serial": "SN0042", "status": "in_stock", "qty": 1} == where[0]
    )


def test_a_lot_receipt_records_expiry_and_supplier_lot(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli(
        "receive",
        "CELL",
        "--to",
        "A2",
        "--lot",
        "L1",
        "--qty",
        "500",
        "--expires",
        "2031-06-30",
        "--made",
        "2026-01-15",
        "--supplier",
        "CELLCO",
        "--supplier-lot",
        "CC-9",
    )
    assert out.exit_code == 0, out.stderr
    rows = cli("stock", "--lot", "L1", "--json").json()
    assert [(r["item"], r["lot"], r["qty"], r["expires"]) for r in rows] == [
        ("CELL", "L1", 500, "2031-06-30")
    ]


def test_receiving_more_of_an_existing_lot_adds_to_it(setup_basics: Cli) -> None:
    cli = setup_basics
    assert cli("item", "set", "CELL", "--uom", "kg").exit_code == 0  # EA takes whole ones
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "10").exit_code == 0
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "2.5").exit_code == 0
    assert cli("stock", "--item", "CELL", "--json").json()[0]["qty"] == 12.5


def test_a_serial_tracked_item_may_carry_a_lot_too(setup_basics: Cli) -> None:
    cli = setup_basics
    out = cli(
        "receive",
        "PCB",
        "--to",
        "A1",
        "--lot",
        "B7",
        "--serials",
        "P1,P2,P3",
        "--expires",
        "2030-01-31",
    )
    assert out.exit_code == 0, out.stderr
    unit = cli("where", "PCB:P2", "--json").json()[0]
    assert unit["lot"] == "B7" and unit["expires"] == "2030-01-31"
    assert cli("where", "PCB@B7", "--json").json()[0]["qty"] == 3


def test_a_plain_quantity_of_an_untracked_item(setup_basics: Cli) -> None:
    cli = setup_basics
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "1000").exit_code == 0
    out = cli("stock", "--location", "WH", "--json").json()
    assert [(r["item"], r["qty"], r["lot"]) for r in out] == [("SCREW", 1000, None)]


def test_shelf_life_gives_an_expiry_when_none_is_given(cli: Cli) -> None:
    cli("location", "add", "B1")
    cli("item", "add", "GLUE", "--name", "Glue", "--tracking", "lot", "--shelf-life-days", "30")
    assert (
        cli(
            "receive", "GLUE", "--to", "B1", "--lot", "G1", "--qty", "5", "--made", "2030-01-01"
        ).exit_code
        == 0
    )
    assert cli("where", "GLUE@G1", "--json").json()[0]["expires"] == "2030-01-31"


def test_a_serial_tracked_receipt_without_serials_is_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "PCB", "--to", "A1", "--qty", "5", match="give --serials")


def test_a_quantity_that_disagrees_with_the_serials_is_refused(setup_basics: Cli, refused) -> None:
    refused(
        "receive",
        "PCB",
        "--to",
        "A1",
        "--serials",
        "S1..S3",
        "--qty",
        "4",
        match="disagrees with the 3 serials",
    )


def test_a_serial_that_already_exists_is_refused_by_name(setup_basics: Cli, refused) -> None:
    cli = setup_basics
    assert cli("receive", "PCB", "--to", "A1", "--serials", "S001..S010").exit_code == 0
    out = refused(
        "receive", "PCB", "--to", "A2", "--serials", "S009..S020", match="already has serial"
    )
    assert "S009" in out.stderr and "S010" in out.stderr


def test_a_serial_repeated_in_one_request_is_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "PCB", "--to", "A1", "--serials", "S1,S2,S1", match="repeated")


def test_a_lot_tracked_receipt_without_a_lot_is_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "CELL", "--to", "A1", "--qty", "5", match="give --lot")


def test_serials_for_an_untracked_item_are_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "SCREW", "--to", "A1", "--serials", "X1", match="not serial-tracked")
    refused("receive", "SCREW", "--to", "A1", "--qty", "1", "--lot", "L", match="not lot-tracked")


def test_bad_quantities_are_refused(setup_basics: Cli, refused) -> None:
    for qty in ["0", "-3", "ten", "1e400", "nan"]:
        refused("receive", "SCREW", "--to", "A1", "--qty", qty, match="quantity")


def test_unknown_item_location_and_supplier_are_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "NOPE", "--to", "A1", "--qty", "1", match="unknown item 'NOPE'")
    refused("receive", "SCREW", "--to", "Z9", "--qty", "1", match="unknown location 'Z9'")
    refused(
        "receive", "SCREW", "--to", "A1", "--qty", "1", "--supplier", "X", match="unknown supplier"
    )
    refused(
        "receive",
        "SCREW",
        "--to",
        "A1",
        "--qty",
        "1",
        "--supplier",
        "ACME",
        match="is a customer, not a supplier",
    )


def test_receiving_into_a_virtual_location_is_refused(setup_basics: Cli, refused) -> None:
    refused("receive", "SCREW", "--to", "CUSTOMER", "--qty", "1", match="virtual")


def test_bad_dates_and_an_expiry_before_manufacture_are_refused(setup_basics: Cli, refused) -> None:
    refused(
        "receive",
        "CELL",
        "--to",
        "A1",
        "--lot",
        "L",
        "--qty",
        "1",
        "--expires",
        "2030-13-01",
        match="not a date",
    )
    refused(
        "receive",
        "CELL",
        "--to",
        "A1",
        "--lot",
        "L",
        "--qty",
        "1",
        "--made",
        "2030-05-01",
        "--expires",
        "2030-04-01",
        match="before the manufacture date",
    )


def test_a_lot_received_again_with_another_expiry_is_refused(setup_basics: Cli, refused) -> None:
    cli = setup_basics
    cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "1", "--expires", "2030-01-01")
    refused(
        "receive",
        "CELL",
        "--to",
        "A1",
        "--lot",
        "L1",
        "--qty",
        "1",
        "--expires",
        "2031-01-01",
        match="expires 2030-01-01",
    )
    # a lot received without an expiry does not get one, however old, by a later receipt
    cli("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "1")
    refused("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "1", "--expires",
            "2020-01-01", match="has no expiry")  # fmt: skip
    # the same expiry again is taken
    again = cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "1", "--expires",
                "2030-01-01")  # fmt: skip
    assert again.exit_code == 0, again.stderr


def test_a_big_receipt_through_the_python_api_reports_progress(tl) -> None:
    tl.add_location("BIG")
    tl.add_item("TAG", name="Tag", tracking="serial")
    seen: list[tuple[int, int]] = []
    tl.receive(
        "TAG",
        to="BIG",
        serials="T000001..T150000",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (150_000, 150_000) and len(seen) >= 2
    assert tl.stock(item="TAG")[0]["qty"] == 150_000
    assert tl.verify().ok


def test_a_big_receipt_on_the_command_line_shows_its_progress_bar(cli: Cli) -> None:
    # from 50,000 serials the CLI draws a progress bar on stderr; it once crashed there
    cli("location", "add", "BIG")
    cli("item", "add", "TAG", "--name", "Tag", "--tracking", "serial")
    out = cli("receive", "TAG", "--to", "BIG", "--serials", "T000001..T050000", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["lines"][0]["qty"] == 50_000
