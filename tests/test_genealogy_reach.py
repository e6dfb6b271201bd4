"""The genealogy's closure (`genealogy_reach`): written with every link, filled by its
migration on an existing database, read by the forward trace, checked by `verify`."""

import io

import pytest
from conftest import BACKEND
from sqlalchemy import create_engine, event, text

import tracelot
from tracelot.store.schema import SCHEMA_REVISION, alembic_config


@pytest.fixture
def plant(tl: tracelot.Tracelot) -> tracelot.Tracelot:
    """Cells of lot L1 in boards, boards in devices; then a device's board is replaced
    by one built later of lot L2."""
    tl.add_location("WH")
    tl.add_location("LINE", kind="production")
    tl.add_item("CELL", name="Cell", tracking="lot")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.receive("CELL", to="WH", lot="L1", qty=10)
    tl.receive("CELL", to="WH", lot="L2", qty=10)
    tl.build("PCB", to="WH", serial="B1", consume=["CELL@L1=2"])
    tl.build("PCB", to="WH", serial="B2", consume=["CELL@L1=2"])
    tl.build("DEV", to="WH", serial="D1", consume=["PCB:B1"])
    tl.build("DEV", to="WH", serial="D2", consume=["PCB:B2"])
    tl.build("PCB", to="WH", serial="B3", consume=["CELL@L2=2"])
    tl.replace("DEV:D1", remove="PCB:B1", install="PCB:B3", to="WH")
    return tl


def listed(tl: tracelot.Tracelot, ref: str) -> list[str]:
    """What the forward affected list names (a lot once, whatever its places), as `trace
    forward --csv` writes it."""
    out = io.StringIO()
    tl.write_affected(out, "forward", ref, fmt="csv")
    rows = [line.split(",") for line in out.getvalue().splitlines()[1:]]
    return sorted({f"{r[0]}:{r[1]}" if r[1] else f"{r[0]}@{r[2]}" for r in rows})


def reach_rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM genealogy_reach ORDER BY 1, 2, 3, 4")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_a_lot_reaches_everything_built_of_it_however_deep(plant: tracelot.Tracelot) -> None:
    assert listed(plant, "CELL@L1") == ["CELL@L1", "DEV:D1", "DEV:D2", "PCB:B1", "PCB:B2"]


def test_a_part_installed_by_a_repair_reaches_the_assembly(
    plant: tracelot.Tracelot,
) -> None:
    # B3 and its lot were built after D1: the repair links them into D1 (its own closure
    # rows reach past the repaired unit)
    assert listed(plant, "CELL@L2") == ["CELL@L2", "DEV:D1", "PCB:B3"]
    assert listed(plant, "PCB:B3") == ["DEV:D1", "PCB:B3"]
    # the trace follows links past and present: the board taken out still reached D1
    assert "DEV:D1" in listed(plant, "PCB:B1")
    assert plant.verify().ok


def test_more_made_into_a_lot_reaches_what_the_lot_went_into(plant: tracelot.Tracelot) -> None:
    plant.add_item("MIX", name="Mix", tracking="lot")
    plant.add_item("CELL2", name="Other cell", tracking="lot")
    plant.receive("CELL2", to="WH", lot="X1", qty=5)
    plant.build("MIX", to="WH", lot="M1", qty=4, consume=["CELL@L1=1"])
    plant.build("PCB", to="WH", serial="B4", consume=["MIX@M1=2"])
    # more of lot M1, made of X1 after B4 was built of M1: a trace follows the lot to B4
    plant.build("MIX", to="WH", lot="M1", qty=4, consume=["CELL2@X1=1"])
    assert listed(plant, "CELL2@X1") == ["CELL2@X1", "MIX@M1", "PCB:B4"]
    assert plant.verify().ok


def test_the_list_is_the_trees(plant: tracelot.Tracelot) -> None:
    for ref in ("CELL@L1", "CELL@L2", "PCB:B1", "PCB:B2", "PCB:B3", "DEV:D1"):
        tree = plant.trace_forward(ref).affected
        assert listed(plant, ref) == sorted({
            f"{r['item']}:{r['serial']}" if r["serial"] else f"{r['item']}@{r['lot']}"
            for r in tree
        }), ref  # fmt: skip


def test_the_migration_fills_the_closure_of_an_existing_database(
    plant: tracelot.Tracelot, db_url: str
) -> None:
    from alembic import command

    kept = reach_rows(db_url)
    assert len(kept) == 9  # L1: B1, B2, D1, D2; L2: B3, D1; B1: D1; B2: D2; B3: D1
    plant.close()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0024")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), SCHEMA_REVISION)
    engine.dispose()
    assert reach_rows(db_url) == kept
    with tracelot.connect(db_url) as again:
        assert listed(again, "CELL@L2") == ["CELL@L2", "DEV:D1", "PCB:B3"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("DELETE FROM genealogy_reach WHERE to_kind = 'unit' AND to_id = "
         "(SELECT id FROM units WHERE serial = 'D2')", "closure lacks lot"),
        ("INSERT INTO genealogy_reach VALUES ('unit', (SELECT id FROM units WHERE serial = 'B2'),"
         " 'unit', (SELECT id FROM units WHERE serial = 'D1'))", "which no link makes"),
    ],
)  # fmt: skip
def test_verify_finds_a_closure_that_is_not_what_the_links_make(
    plant: tracelot.Tracelot, db_url: str, change: str, problem: str
) -> None:
    assert plant.verify().ok
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(change))
    engine.dispose()
    problems = plant.verify().problems
    assert problems and all("genealogy's closure" in p for p in problems), problems
    assert any(problem in p for p in problems), problems


def test_a_run_whose_outputs_feed_each_other_reaches_both(plant: tracelot.Tracelot) -> None:
    plant.add_item("MIX", name="Mix", tracking="lot")
    plant.build("MIX", to="WH", lot="M1", qty=5, consume=["CELL@L2=1"])
    # one run: more of M1 made of L1, and M2 made of M1: L1 reaches M2 through M1
    plant.build_run("MIX", to="WH", outputs=[
        {"lot": "M1", "qty": 3, "consume": ["CELL@L1=1"]},
        {"lot": "M2", "qty": 2, "consume": ["MIX@M1=1"]},
    ])  # fmt: skip
    assert {"MIX@M1", "MIX@M2"} <= set(listed(plant, "CELL@L1"))
    assert plant.verify().ok


def test_a_loop_of_links_past_and_present_is_traced_and_checked(
    tl: tracelot.Tracelot, db_url: str
) -> None:
    """A board taken out of a device, then the device built into the board: the links
    past and present go round, and the closure with them."""
    tl.add_location("WH")
    tl.add_item("COMP", name="Component", tracking="serial")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.receive("COMP", to="WH", serials="C1..C3")
    tl.build("PCB", to="WH", serial="B1", consume=["COMP:C1"])
    tl.build("PCB", to="WH", serial="B2", consume=["COMP:C2"])
    tl.build("DEV", to="WH", serial="D1", consume=["PCB:B1"])
    tl.replace("DEV:D1", remove="PCB:B1", install="PCB:B2", to="WH")
    tl.replace("PCB:B1", remove="COMP:C1", install="DEV:D1", to="WH")
    for ref in ("COMP:C1", "PCB:B1", "DEV:D1", "PCB:B2"):
        tree = {f"{r['item']}:{r['serial']}" for r in tl.trace_forward(ref).affected}
        assert listed(tl, ref) == sorted(tree), ref
    assert tl.verify().ok
    # rows about the loop that hold each other up, and nothing else: still found
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO genealogy_reach SELECT 'unit', c.id, 'unit', u.id FROM units c, units u"
            " WHERE c.serial = 'C3' AND u.serial IN ('B1', 'D1')"
        ))  # fmt: skip
    engine.dispose()
    problems = tl.verify().problems
    assert len(problems) == 2 and all("which no link makes" in p for p in problems), problems


def test_trace_forward_csv_through_the_cli_reads_the_closure(plant, cli, db_url) -> None:  # noqa: ANN001
    def devices() -> list[str]:
        out = cli("trace", "forward", "CELL@L1", "--csv")
        assert out.exit_code == 0, out.stderr
        return sorted({line.split(",")[1] for line in out.stdout.splitlines()[1:] if line})

    assert devices() == ["", "B1", "B2", "D1", "D2"]
    engine = create_engine(db_url)  # a row taken out of the closure is gone from the list
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM genealogy_reach WHERE from_kind = 'lot' AND to_id = "
                          "(SELECT id FROM units WHERE serial = 'D2')"))  # fmt: skip
    engine.dispose()
    assert devices() == ["", "B1", "B2", "D1"]


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's page cache")
def test_a_list_is_sorted_in_a_larger_cache_given_back_after(plant: tracelot.Tracelot) -> None:
    """SQLite's sorter spills to files beyond the page cache: an affected list and a
    recall's frozen list are sorted with 16 MiB of it, and the connection goes back to
    the pool with its own size (a pooled connection keeping 16 MiB would hold eight
    times the memory at rest)."""
    ran: list[str] = []
    back: list[int] = []

    @event.listens_for(plant.engine, "checkout")
    def trace(dbapi_connection, *_) -> None:  # noqa: ANN001
        dbapi_connection.set_trace_callback(ran.append)

    @event.listens_for(plant.engine, "checkin")
    def size(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.set_trace_callback(None)
        back.append(dbapi_connection.execute("PRAGMA cache_size").fetchone()[0])

    assert "DEV:D2" in listed(plant, "CELL@L1")
    plant.recall_open(reason="supplier notice", refs=["CELL@L1"])
    with plant.engine.connect() as conn:
        own = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    assert own != -16_384 and back and set(back) == {own}
    sorted_lists = [k for k, sql in enumerate(ran) if "ORDER BY item" in sql]
    assert len(sorted_lists) == 2  # the CSV list, the recall's frozen list
    for k in sorted_lists:
        assert ran[k - 1] == "PRAGMA cache_size = -16384"
        assert ran[k + 1] == f"PRAGMA cache_size = {own}"
