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


def _plan(tmp_path, text: str) -> str:
    path = tmp_path / "plan.csv"
    path.write_text(text)
    return str(path)


def test_a_production_run_builds_every_output_in_one_operation(parts: Cli, tmp_path) -> None:
    cli = parts
    plan = _plan(
        tmp_path,
        "serial,consume\n"
        "D1,PCB:SN001 CELL=2 SCREW=4\n"
        "D2,PCB:SN002;CELL=2;SCREW=4\n"
        "D3,PCB:SN003 CELL=2 SCREW=4\n",
    )
    out = cli("build-run", "DEV", "--to", "LINE", "--plan", plan, "--ref", "WO-7", "--json")
    assert out.exit_code == 0, out.stderr
    op = out.json()
    assert op["outputs"] == ["DEV:D1", "DEV:D2", "DEV:D3"]
    assert op["reference"] == "WO-7"
    # the run's 6 cells are picked together: the 3 of C2 at LINE first, then 3 of C1
    cells = sorted((ln["lot"], ln["qty"]) for ln in op["lines"] if ln["item"] == "CELL")
    assert cells == [("C1", 3), ("C2", 3)]
    # ... and shared out in plan order: D2 got the last of C2 and the first of C1
    used = {}
    for serial in ("D1", "D2", "D3"):
        tree = cli("trace", "backward", f"DEV:{serial}", "--json").json()
        used[serial] = sorted(
            (n["lot"], n["qty"]) for n in tree["roots"][0]["inputs"] if n["item"] == "CELL"
        )
    assert used == {"D1": [("C2", 2)], "D2": [("C1", 1), ("C2", 1)], "D3": [("C1", 2)]}
    for serial, status in [("D1", "wip"), ("SN002", "consumed"), ("SN004", "in_stock")]:
        ref = f"DEV:{serial}" if serial.startswith("D") else f"PCB:{serial}"
        assert cli("where", ref, "--json").json()[0]["status"] == status
    where_c2 = cli("where", "CELL@C2", "--json").json()
    assert [(r["status"], r["qty"]) for r in where_c2] == [("consumed", 3)]
    assert cli("verify").exit_code == 0


def test_each_output_of_a_run_costs_what_it_consumed(parts: Cli, tl) -> None:
    result = tl.build_run(
        "DEV",
        to="LINE",
        outputs=[
            {"serial": "D1", "consume": ["PCB:SN001", "CELL=2"]},
            {"serial": "D2", "consume": "PCB:SN002 CELL=2"},
        ],
    )
    assert result.outputs == ["DEV:D1", "DEV:D2"]
    with tl.engine.connect() as conn:
        costs = dict(conn.execute(select(units.c.serial, units.c.unit_cost)).all())
    # D1: board 10 + 2 cells of C2 at 3; D2: board 10 + 1 of C2 at 3 + 1 of C1 at 2
    assert (costs["D1"], costs["D2"]) == (16, 15)


def test_a_bad_production_run_is_refused_whole(parts: Cli, refused, tmp_path) -> None:
    def run(text: str, match: str) -> None:
        refused("build-run", "DEV", "--to", "LINE", "--plan", _plan(tmp_path, text), match=match)

    run("serial,consume\nD1,PCB:SN001\nD2,PCB:SN001\n", "PCB:SN001 is consumed twice: by DEV:D1")
    run("serial,consume\nD1,PCB:SN001\nD1,PCB:SN002\n", "DEV:D1 is built twice in one run")
    run("serial,consume\nD1,PCB:SN001 CELL=5\nD2,PCB:SN002 CELL=5\n", "not enough CELL")
    run("serial,consume\nD1,PCB:SN001\nD2,\n", "output 2: a build consumes something")
    run("serial,colour,consume\nD1,red,PCB:SN001\n", "plan line 2: an output has no field 'colour'")
    run("serial,consume\nD1,PCB:SN001\nD2,PCB:NOPE\n", "unknown unit PCB:NOPE")
    run("", "the plan is empty")
    run("serial,consume\n", "a production run builds something")
    parts("build", "DEV", "--to", "LINE", "--serial", "D9", "--consume", "PCB:SN005")
    run("serial,consume\nD1,PCB:SN001\nD9,PCB:SN002\n", "already has serial D9")
