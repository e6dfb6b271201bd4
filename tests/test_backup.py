"""Backups while writers run, restores into empty databases only, copies between backends."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import BACKEND, Cli, run_process, snapshot
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

import tracelot
from tracelot.cli.main import app
from tracelot.store.schema import SCHEMA_REVISION, alembic_config
from tracelot.store.tables import operations


def _tracelot(url: str, *args: str) -> tuple[int, str, str]:
    """`tracelot --db URL ARGS...` in-process, as the cli fixture runs it on another database."""
    result = CliRunner().invoke(app, ["--db", url, "--user", "tester", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _operation_ids(url: str) -> set[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(operations.c.id)).scalars())
    finally:
        engine.dispose()


def test_a_backup_taken_while_eight_writers_work_restores_every_operation_committed_before_it(
    setup_basics: Cli, db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    cli = setup_basics
    for n in range(8):
        assert (
            cli("item", "add", f"W{n}", "--name", f"writer {n}", "--tracking", "serial").exit_code
            == 0
        )
    committed: list[tuple[float, int]] = []  # (when the commit had returned, operation id)
    lock = threading.Lock()
    stop = threading.Event()
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with tracelot.connect(db_url, user=f"writer{n}") as tl:
                i = 0
                while not stop.is_set():
                    i += 1
                    done = tl.receive(f"W{n}", to="A1", serials=[f"S{i:05d}"], note=f"w{n}")
                    with lock:
                        committed.append((time.monotonic(), done.id))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in writers:
        thread.start()
    try:
        while len(committed) < 40 and not failures:
            time.sleep(0.05)
        began = time.monotonic()
        with lock:
            before = {op for at, op in committed if at < began}
        made = run_process("backup", str(tmp_path / "backup.db"), "--json", db=db_url)
        time.sleep(0.3)  # writers go on after the backup as well
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert not failures, failures
    assert made.returncode == 0, made.stderr
    manifest = json.loads(made.stdout)
    assert manifest["schema"] == SCHEMA_REVISION
    assert len(committed) > len(before) > 0
    record = json.loads((tmp_path / "backup.db.json").read_text())
    assert record["counts"] == manifest["counts"] and record["sha256"] == manifest["sha256"]

    code, stdout, stderr = _tracelot(fresh_url, "restore", str(tmp_path / "backup.db"), "--json")
    assert code == 0, stderr
    restored = json.loads(stdout)
    assert restored["verify"]["ok"] and restored["verify"]["problems"] == []
    found = _operation_ids(fresh_url)
    assert before <= found, sorted(before - found)[:10]
    assert restored["counts"]["operations"] == manifest["counts"]["operations"] == len(found)
    assert restored["last_operation"]["id"] == manifest["last_operation"]["id"] == max(found)
    assert len(found) < len(_operation_ids(db_url))  # the writers went on after it
    code, stdout, _ = _tracelot(fresh_url, "verify", "--json")
    assert code == 0 and json.loads(stdout)["ok"]


def test_the_record_beside_a_backup_says_what_it_holds(setup_basics: Cli, tmp_path: Path) -> None:
    cli = setup_basics
    cli("receive", "PCB", "--serials", "S1..S3", "--to", "A1")
    cli("receive", "CELL", "--lot", "L1", "--qty", "10", "--to", "A1")
    out = cli("backup", str(tmp_path / "b"), "--json")
    assert out.exit_code == 0, out.stderr
    made = out.json()
    record = json.loads((tmp_path / "b.json").read_text())
    assert record["format"] == "tracelot-backup" and record["backend"] == BACKEND
    assert record["schema"] == SCHEMA_REVISION and record["sha256"] == made["sha256"]
    counts = record["counts"]
    assert (counts["items"], counts["units"], counts["lots"]) == (4, 3, 1)
    assert (counts["operations"], counts["moves"], counts["parties"]) == (2, 4, 3)
    assert record["last_operation"]["id"] == 2
    again = cli("backup", str(tmp_path / "b"))
    assert again.exit_code == 1 and "exists" in again.stderr and "--force" in again.stderr
    assert cli("backup", str(tmp_path / "b"), "--force").exit_code == 0


def test_a_restore_into_a_database_that_holds_data_is_refused_and_changes_nothing(
    setup_basics: Cli, db_url: str, tmp_path: Path
) -> None:
    cli = setup_basics
    cli("receive", "PCB", "--serials", "S1..S3", "--to", "A1")
    assert cli("backup", str(tmp_path / "b")).exit_code == 0
    cli("receive", "PCB", "--serials", "S4", "--to", "A1")
    before = snapshot(db_url)
    out = cli("restore", str(tmp_path / "b"))
    assert out.exit_code == 1
    assert "empty database only" in out.stderr and "it holds" in out.stderr
    assert "4 items" in out.stderr and "nothing was changed" in out.stderr
    assert "Traceback" not in out.stderr
    assert snapshot(db_url) == before


def test_a_restore_into_a_database_that_init_made_replaces_it(
    setup_basics: Cli, fresh_url: str, tmp_path: Path
) -> None:
    setup_basics("receive", "PCB", "--serials", "S1..S3", "--to", "A1")
    assert setup_basics("backup", str(tmp_path / "b")).exit_code == 0
    assert _tracelot(fresh_url, "init")[0] == 0  # its first admin is all it holds
    code, stdout, stderr = _tracelot(fresh_url, "restore", str(tmp_path / "b"), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["counts"]["units"] == 3
    code, stdout, _ = _tracelot(fresh_url, "where", "PCB:S2", "--json")
    assert code == 0 and "A1" in stdout


def _sqlite_backup(tmp_path: Path, revision: str | None = None) -> Path:
    """A SQLite database with a receipt, backed up (at `revision` if given: an older
    tracelot's schema, made by migrating no further)."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    if revision is None:
        assert _tracelot(url, "init")[0] == 0
        for args in (("location", "add", "A1"),
                     ("item", "add", "PCB", "--name", "board", "--tracking", "serial"),
                     ("receive", "PCB", "--serials", "S1..S3", "--to", "A1")):  # fmt: skip
            assert _tracelot(url, *args)[0] == 0
    else:
        from alembic import command

        engine = create_engine(url)
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
        engine.dispose()
    code, _, stderr = _tracelot(url, "backup", str(tmp_path / "backup.db"))
    assert code == 0, stderr
    return tmp_path / "backup.db"


def test_a_backup_of_a_newer_tracelot_is_refused_and_changes_nothing(
    fresh_url: str, tmp_path: Path
) -> None:
    path = _sqlite_backup(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()
    (tmp_path / "backup.db.json").unlink()
    code, _, stderr = _tracelot(fresh_url, "restore", str(path))
    assert code == 1
    assert "written by a newer tracelot (schema 0099; this tracelot knows " in stderr
    assert "Traceback" not in stderr
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table'")
            if BACKEND == "sqlite"
            else text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
    engine.dispose()
    assert tables == []


def test_a_damaged_backup_is_refused_by_its_record(fresh_url: str, tmp_path: Path) -> None:
    path = _sqlite_backup(tmp_path)
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size - 10)
        fh.write(b"0123456789")
    code, _, stderr = _tracelot(fresh_url, "restore", str(path))
    assert code == 1 and "SHA-256 differs" in stderr


def test_an_older_tracelots_backup_is_restored_then_migrated(
    fresh_url: str, tmp_path: Path
) -> None:
    path = _sqlite_backup(tmp_path, revision="0010")
    assert json.loads((tmp_path / "backup.db.json").read_text())["schema"] == "0010"
    code, stdout, stderr = _tracelot(fresh_url, "restore", str(path), "--json")
    assert code == 0, stderr
    done = json.loads(stdout)
    assert done["backup_schema"] == "0010" and done["migrated"] is True
    assert done["schema"] == SCHEMA_REVISION and done["verify"]["ok"]


def test_copy_into_an_empty_database_with_verify_on_both(
    setup_basics: Cli, db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    cli = setup_basics
    cli("receive", "PCB", "--serials", "S1..S5", "--to", "A1")
    cli("receive", "CELL", "--lot", "L1", "--qty", "100", "--to", "A1", "--expires", "2031-01-31")
    cli("ship", "PCB:S1", "--to", "ACME")
    out = cli("copy", "--to", fresh_url, "--json")
    assert out.exit_code == 0, out.stderr
    done = out.json()
    assert done["source"]["verify"]["ok"] and done["target"]["verify"]["ok"]
    assert done["source"]["counts"] == done["target"]["counts"]
    code, stdout, _ = _tracelot(fresh_url, "stock", "--json")
    assert json.loads(stdout) == cli("stock", "--json").json()
    # the copy takes new operations: its ids go on after the copied ones
    code, stdout, stderr = _tracelot(fresh_url, "receive", "PCB", "--serials", "S6",
                                     "--to", "A1", "--json")  # fmt: skip
    assert code == 0, stderr
    assert json.loads(stdout)["id"] == 4
    again = cli("copy", "--to", fresh_url)
    assert again.exit_code == 1 and "not empty" in again.stderr


@pytest.mark.skipif(BACKEND != "postgresql", reason="needs TRACELOT_TEST_DATABASE_URL (PostgreSQL)")
def test_sqlite_is_copied_to_postgresql_and_back(fresh_url: str, tmp_path: Path) -> None:
    first = f"sqlite:///{tmp_path / 'first.db'}"
    for args in (("init",), ("location", "add", "A1"),
                 ("party", "add", "ACME", "--name", "Acme", "--kind", "customer"),
                 ("item", "add", "PCB", "--name", "board", "--tracking", "serial"),
                 ("item", "add", "CELL", "--name", "cell", "--tracking", "lot", "--uom", "kg"),
                 ("receive", "PCB", "--serials", "S1..S4", "--to", "A1"),
                 ("receive", "CELL", "--lot", "L1", "--qty", "2.5", "--to", "A1"),
                 ("ship", "PCB:S2", "--to", "ACME", "--note", "naïve ✓")):  # fmt: skip
        assert _tracelot(first, *args)[0] == 0, args
    code, stdout, stderr = _tracelot(first, "copy", "--to", fresh_url, "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["target"]["verify"]["ok"]
    back = f"sqlite:///{tmp_path / 'back.db'}"
    code, stdout, stderr = _tracelot(fresh_url, "copy", "--to", back, "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["target"]["verify"]["ok"]
    for args in (("stock", "--json"), ("history", "PCB:S2", "--json")):
        assert _tracelot(back, *args)[1] == _tracelot(first, *args)[1]
    assert _tracelot(fresh_url, "stock", "--json")[1] == _tracelot(first, "stock", "--json")[1]


@pytest.mark.skipif(BACKEND != "postgresql", reason="needs TRACELOT_TEST_DATABASE_URL (PostgreSQL)")
def test_a_backup_on_postgresql_without_pg_dump_says_so(db_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tracelot", "--db", db_url, "backup", str(tmp_path / "b.dump")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 1
    assert "pg_dump was not found on PATH" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "b.dump").exists()


def test_a_backup_to_a_directory_that_does_not_exist_says_so(
    setup_basics: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "b.db"
    out = setup_basics("backup", str(target))
    assert out.exit_code == 1
    assert out.stderr.strip() == f"error: cannot write {target}: No such file or directory"
