"""What a process keeps of the database between transactions (locations), and what the
database enforces so that it may: a location's code, parent and kind never change, no
location is deleted, and every other change, a restore or a re-created schema gives the
database another identity, which drops what was kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import BACKEND, reset_database
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

import tracelot
from tracelot.store.engine import identity_token, kept

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the sqlite3 backup API")
postgresql_only = pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL")


def _with_bins(db_url: str) -> tracelot.Tracelot:
    tl = tracelot.connect(db_url)
    tl.add_location("WH", kind="warehouse")
    tl.add_location("A1", parent="WH")
    tl.add_item("BOLT", name="Bolt", tracking="none")
    return tl


def _token(db_url: str) -> str | None:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        found = identity_token(conn)
    engine.dispose()
    return found


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE locations SET code = 'B9' WHERE code = 'A1'",
        "UPDATE locations SET parent_id = NULL WHERE code = 'A1'",
        "UPDATE locations SET kind = 'production' WHERE code = 'A1'",
        "DELETE FROM locations WHERE code = 'A1'",
    ],
)
def test_the_database_refuses_to_change_a_locations_code_parent_or_kind(
    db_url: str, statement: str
) -> None:
    """By hand: a location's parent and kind change only through `location set`
    (migration 0017), its code never, and no location is deleted."""
    _with_bins(db_url).close()
    engine = create_engine(db_url)
    refused = "code of a location never changes|parent and kind of a location change only"
    with pytest.raises(DBAPIError, match=refused):
        with engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_a_new_location_or_a_new_name_gives_the_database_another_identity(db_url: str) -> None:
    tl = _with_bins(db_url)
    first = _token(db_url)
    assert first
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE locations SET name = 'Aisle 1' WHERE code = 'A1'"))
    engine.dispose()
    renamed = _token(db_url)
    tl.add_location("A2", parent="WH")
    assert len({first, renamed, _token(db_url)}) == 3
    assert [r["name"] for r in tl.locations() if r["location"] == "A1"] == ["Aisle 1"]
    tl.close()


def _receive_into(tl: tracelot.Tracelot, where: str) -> str:
    return tl.receive("BOLT", to=where, qty=1).lines[0].to_location


@sqlite_only
def test_a_backup_restored_under_a_running_process_leaves_no_stale_location(
    db_url: str, tmp_path: Path
) -> None:
    """The process (an API server's engine) keeps bin B1; the file is restored from a
    backup taken before B1 existed, and another bin takes B1's id: the process must not
    put stock into B1, nor call C1's stock B1's."""
    live = Path(db_url.removeprefix("sqlite:///"))
    server = _with_bins(db_url)
    backup = tmp_path / "backup.db"
    with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    server.add_location("B1", parent="WH")
    assert _receive_into(server, "B1") == "WH/B1"
    b1 = kept(server.engine).by_code["B1"]
    assert b1.path == "WH/B1"  # the process keeps it

    with sqlite3.connect(backup) as source, sqlite3.connect(live) as target:
        source.backup(target)  # restored into the live file, the process still running
    with tracelot.connect(db_url) as other:
        other.add_location("C1", parent="WH")  # takes the id B1 had
    engine = create_engine(db_url)
    with engine.connect() as conn:
        c1_id = conn.execute(text("SELECT id FROM locations WHERE code = 'C1'")).scalar()
    engine.dispose()
    assert c1_id == b1.id

    with pytest.raises(tracelot.TracelotError, match="unknown location 'B1'"):
        server.receive("BOLT", to="B1", qty=1)
    assert _receive_into(server, "C1") == "WH/C1"
    assert {r["location_path"] for r in server.where("BOLT")} == {"WH/C1"}
    server.close()


@postgresql_only
def test_a_schema_emptied_and_made_again_under_a_running_process_leaves_no_stale_location(
    _template: str, tmp_path: Path
) -> None:
    db_url = reset_database(_template, tmp_path)
    server = _with_bins(db_url)
    server.add_location("B1", parent="WH")
    assert _receive_into(server, "B1") == "WH/B1"
    b1 = kept(server.engine).by_code["B1"]

    reset_database(_template, tmp_path)  # TRUNCATE ... RESTART IDENTITY, init again
    with tracelot.connect(db_url) as other:
        other.add_location("WH", kind="warehouse")
        other.add_location("A1", parent="WH")
        other.add_location("C1", parent="WH")
        other.add_item("BOLT", name="Bolt", tracking="none")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        c1_id = conn.execute(text("SELECT id FROM locations WHERE code = 'C1'")).scalar()
    engine.dispose()
    assert c1_id == b1.id

    with pytest.raises(tracelot.TracelotError, match="unknown location 'B1'"):
        server.receive("BOLT", to="B1", qty=1)
    assert _receive_into(server, "C1") == "WH/C1"
    server.close()
