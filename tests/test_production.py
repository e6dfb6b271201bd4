"""Building assemblies: consumption, output, genealogy, and the refusals."""

import pytest
from conftest import Cli
from sqlalchemy import create_engine, select

from tracelot.store.tables import genealogy, units


@pytest.fixture
def parts(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN001..SN005", "--cost", "10"),
        (
            "receive",
            "CELL",
            "--to",
            "A1",
            "--lot",
            "C1",
            "--qty",
            "6",
            "--cost",
            "2",
            "--expires",
            "2099-01-01",
        ),
        (
            "receive",
            "CELL",
            "--to",
            "LINE",
            "--lot",
            "C2",
            "--qty",
            "3",
            "--cost",
            "3",
            "--expires",
            "2099-06-01",
        ),
        ("receive", "CELL", "--to", "A2", "--lot", "OLD", "--qty", "9", "--expires", "2020-01-01"),
        ("receive", "SCREW", "--to", "LINE", "--qty", "100"),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr
    return cli


def test_a_build_consumes_components_and_produces_a_unit(parts: Cli) -> None:
    cli = parts
    out = cli(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "PCB:SN001",
        "--consume",
        "CELL=4",
        "--consume",
        "SCREW=4",
        "--ref",
        "WO-1",
        "--json",
    )
    assert out.exit_code == 0, out.stderr
    op = out.json()
    assert op["outputs"] == ["DEV:D1"]
    consumed = [
        (ln["item"], ln["lot"], ln["from"], ln["qty"])
        for ln in op["lines"]
        if ln["to"] == "PRODUCTION"
    ]
    # the build's own location first (C2 at LINE), then first-expiry-first-out (C1), never OLD
    assert consumed == [
        ("PCB", None, "WH/A1", 1),
        ("CELL", "C2", "LINE", 3),
        ("CELL", "C1", "WH/A1", 1),
        ("SCREW", None, "LINE", 4),
    ]
    device = cli("where", "DEV:D1", "--json").json()[0]
    assert (device["location_path"], device["status"]) == ("LINE", "wip")
    board = cli("where", "PCB:SN001", "--json").json()[0]
    assert (board["status"], board["assembly"]) == ("consumed", "DEV:D1")
    assert cli("verify").exit_code == 0


def test_a_build_records_genealogy_links_with_quantities(parts: Cli, db_url: str) -> None:
    cli = parts
    cli(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "PCB:SN001",
        "--consume",
        "CELL@C1=5",
    )
    engine = create_engine(db_url)
    with engine.connect() as conn:
        links = conn.execute(
            select(genealogy.c.child_unit_id, genealogy.c.child_lot_id, genealogy.c.qty)
        ).all()
    engine.dispose()
    assert sorted((u is not None, lot is not None, float(q)) for u, lot, q in links) == [
        (False, True, 5.0),
        (True, False, 1.0),
    ]


def test_the_output_cost_rolls_up_from_its_components(parts: Cli, tl) -> None:
    parts(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "PCB:SN001",
        "--consume",
        "CELL@C1=2",
    )
    with tl.engine.connect() as conn:
        cost = conn.execute(select(units.c.unit_cost).where(units.c.serial == "D1")).scalar_one()
    assert cost == 14  # 10 for the board + 2 x 2 for the cells


def test_a_lot_output_of_a_quantity(parts: Cli) -> None:
    cli = parts
    cli("item", "add", "PACK", "--name", "Battery pack", "--tracking", "lot")
    out = cli("build", "PACK", "--to", "A2", "--lot", "P1", "--qty", "2", "--consume", "CELL@C1=4")
    assert out.exit_code == 0, out.stderr
    assert cli("where", "PACK@P1", "--json").json()[0]["qty"] == 2


def test_consuming_its_own_output_is_refused(parts: Cli, refused) -> None:
    parts("item", "add", "PACK", "--name", "Battery pack", "--tracking", "lot")
    parts("receive", "PACK", "--to", "LINE", "--lot", "P1", "--qty", "5")
    refused(
        "build",
        "PACK",
        "--to",
        "LINE",
        "--lot",
        "P1",
        "--qty",
        "1",
        "--consume",
        "PACK@P1=1",
        match="its own output",
    )


def test_consuming_the_same_unit_twice_is_refused(parts: Cli, refused) -> None:
    refused(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "PCB:SN001",
        "--consume",
        "PCB:SN001",
        match="consumed twice",
    )


def test_consuming_a_unit_already_consumed_is_refused(parts: Cli, refused) -> None:
    parts("build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "PCB:SN001")
    refused(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D2",
        "--consume",
        "PCB:SN001",
        match="already consumed in DEV:D1",
    )


def test_an_existing_output_serial_is_refused(parts: Cli, refused) -> None:
    parts("build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "PCB:SN001")
    refused(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "PCB:SN002",
        match="already has serial D1",
    )


def test_consuming_more_than_is_there_or_expired_stock_is_refused(parts: Cli, refused) -> None:
    refused(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--consume",
        "CELL=10",
        match="not enough CELL",
    )
    refused(
        "build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "CELL@OLD=1", match="expired"
    )


def test_a_build_needs_its_output_identity_and_inputs(parts: Cli, refused) -> None:
    refused("build", "DEV", "--to", "LINE", "--consume", "PCB:SN001", match="--serial")
    refused(
        "build",
        "DEV",
        "--to",
        "LINE",
        "--serial",
        "D1",
        "--qty",
        "2",
        "--consume",
        "PCB:SN001",
        match="quantity is 1",
    )
    refused(
        "build",
        "SCREW",
        "--to",
        "LINE",
        "--serial",
        "X",
        "--consume",
        "PCB:SN001",
        match="not serial-tracked",
    )
