"""The ledger and its projections: stock, where, history, verify, append-only, schema."""

import pytest
from conftest import Cli, run_process
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

import tracelot
from tracelot.store import schema


@pytest.fixture
def busy(setup_basics: Cli) -> Cli:
    cli = setup_basics
    cli("location", "add", "B", "--parent", "WH", "--kind", "zone")
    cli("location", "add", "B1", "--parent", "B")
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN001..SN004", "--lot", "PL1"),
        ("receive", "CELL", "--to", "B1", "--lot", "C1", "--qty", "40", "--supplier", "CELLCO"),
        ("item", "set", "SCREW", "--uom", "kg"),  # in EA, 12.5 is refused (issue 20)
        ("receive", "SCREW", "--to", "A2", "--qty", "12.5"),
        ("move", "PCB:SN002", "--to", "B1"),
        (
            "build",
            "DEV",
            "--to",
            "LINE",
            "--serial",
            "D1",
            "--consume",
            "PCB:SN001",
            "--consume",
            "CELL@C1=4",
        ),
        ("ship", "DEV:D1", "--to", "ACME", "--ref", "SO-1"),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr
    return cli


def test_stock_counts_units_per_location_and_lists_them_on_request(busy: Cli) -> None:
    rows = busy("stock", "--item", "PCB", "--json").json()
    assert [(r["location_path"], r["lot"], r["qty"], r["status"]) for r in rows] == [
        ("WH/A1", "PL1", 2, "in_stock"),
        ("WH/B/B1", "PL1", 1, "in_stock"),
    ]
    units = busy("stock", "--item", "PCB", "--serials", "--json").json()
    assert [u["serial"] for u in units] == ["SN003", "SN004", "SN002"]


def test_stock_of_a_location_includes_everything_below_it(busy: Cli) -> None:
    rows = busy("stock", "--location", "B", "--json").json()
    assert {(r["item"], r["location_path"], r["qty"]) for r in rows} == {
        ("CELL", "WH/B/B1", 36),
        ("PCB", "WH/B/B1", 1),
    }
    everything = busy("stock", "--location", "WH", "--json").json()
    assert {r["item"] for r in everything} == {"CELL", "PCB", "SCREW"}


def test_stock_table_shows_totals(busy: Cli) -> None:
    out = busy("stock", "--item", "PCB")
    assert out.exit_code == 0 and "total: PCB 3 EA" in out.stdout


def test_where_of_a_lot_shows_what_was_consumed(busy: Cli) -> None:
    rows = busy("where", "CELL@C1", "--json").json()
    assert [(r["location_path"], r["status"], r["qty"]) for r in rows] == [
        ("WH/B/B1", "in_stock", 36),
        ("PRODUCTION", "consumed", 4),
    ]


def test_history_of_a_lot_groups_its_operations(busy: Cli) -> None:
    rows = busy("history", "CELL@C1", "--json").json()
    assert [(r["kind"], r["from"], r["to"], r["qty"], r["party"]) for r in rows] == [
        ("receive", "SUPPLIER", "WH/B/B1", 40, "CELLCO"),
        ("build", "WH/B/B1", "PRODUCTION", 4, None),
    ]
    assert all(r["at"].endswith("+00:00") for r in rows)


def test_history_of_a_built_and_shipped_unit(busy: Cli) -> None:
    rows = busy("history", "DEV:D1", "--json").json()
    assert [(r["kind"], r["from"], r["to"], r["reference"]) for r in rows] == [
        ("build", "PRODUCTION", "LINE", None),
        ("ship", "LINE", "CUSTOMER", "SO-1"),
    ]
    table = busy("history", "DEV:D1")
    assert table.exit_code == 0 and "SO-1" in table.stdout


def test_unknown_references_in_questions_are_refused(busy: Cli, refused) -> None:
    refused("where", "PCB:NOPE", match="unknown unit PCB:NOPE")
    refused("where", "SCREW:1", match="not serial-tracked")
    refused("history", "CELL@NOPE", match="has no lot")
    refused("stock", "--location", "NOWHERE", match="unknown location")


def test_verify_passes_on_a_consistent_database(busy: Cli) -> None:
    out = busy("verify", "--json")
    assert out.exit_code == 0 and out.json()["ok"] is True and out.json()["moves"] > 0


def test_verify_finds_a_projection_that_disagrees_with_the_ledger(busy: Cli, db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET qty = qty + 1 WHERE lot_id IS NULL"))
        conn.execute(
            text(
                "UPDATE units SET location_id = (SELECT id FROM locations "
                "WHERE code = 'A2') WHERE serial = 'SN003'"
            )
        )
    engine.dispose()
    out = busy("verify", "--json")
    assert out.exit_code == 1
    problems = "\n".join(out.json()["problems"])
    assert "balance of SCREW at WH/A2: ledger says 12.5, projection says 13.5" in problems
    assert "conservation" in problems
    assert "unit PCB:SN003: ledger puts it at WH/A1, projection at WH/A2" in problems


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE moves SET qty = 2",
        "DELETE FROM moves",
        "UPDATE operations SET user_name = 'x'",
        "DELETE FROM operations",
    ],
)
def test_the_database_refuses_to_change_the_ledger(busy: Cli, db_url: str, statement: str) -> None:
    engine = create_engine(db_url)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_the_schema_revision_is_the_newest_migration() -> None:
    assert schema.head_revision() == schema.SCHEMA_REVISION


@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_migrations_create_exactly_the_tables_of_the_code(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tracelot.store.tables import metadata

    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [d for d in diff if "uq_stock_item_location_lot" not in repr(d)] == []


def test_init_creates_the_schema_and_is_idempotent(fresh_url: str) -> None:
    first = run_process("init", db=fresh_url)
    assert first.returncode == 0, first.stderr
    again = run_process("init", db=fresh_url)
    assert again.returncode == 0, again.stderr
    with tracelot.connect(fresh_url) as tl:
        codes = {loc["location"] for loc in tl.locations(include_virtual=True)}
    assert codes == {"SUPPLIER", "CUSTOMER", "PRODUCTION", "SCRAP", "ADJUSTMENT"}


def test_commands_on_a_database_without_schema_ask_for_init(fresh_url: str) -> None:
    out = run_process("stock", db=fresh_url)
    assert out.returncode == 1 and out.stderr.startswith("error: no tracelot database")
    assert "Traceback" not in out.stderr


def test_the_database_url_comes_from_the_environment(db_url: str, tmp_path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRACELOT_DATABASE_URL": db_url, "TRACELOT_USER": "envuser"}
    (tmp_path / "elsewhere").mkdir()
    subprocess.run(
        [sys.executable, "-m", "tracelot", "location", "add", "E1"],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path / "elsewhere",
    )
    subprocess.run(
        [sys.executable, "-m", "tracelot", "item", "add", "X", "--name", "X", "--tracking", "none"],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path / "elsewhere",
    )
    subprocess.run(
        [sys.executable, "-m", "tracelot", "receive", "X", "--to", "E1", "--qty", "1"],
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path / "elsewhere",
    )
    with tracelot.connect(db_url) as tl:
        assert tl.history("X")[0]["user"] == "envuser"
    assert not (tmp_path / "elsewhere" / "tracelot.db").exists()
