"""Migrations one at a time, newer schemas named, full disks and read-only storage said so."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BACKEND, Cli, snapshot
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError

import tracelot
from tracelot.domain.errors import InvalidInput
from tracelot.store.schema import SCHEMA_REVISION


def test_three_inits_at_once_migrate_once_and_make_one_admin(fresh_url: str) -> None:
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "tracelot", "--db", fresh_url, "init", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=180), *p.communicate()) for p in started]
    for code, _stdout, stderr in outcomes:
        assert code == 0, stderr
        assert "Traceback" not in stderr
    answers = [json.loads(stdout) for _code, stdout, _stderr in outcomes]
    assert {a["schema"] for a in answers} == {SCHEMA_REVISION}
    assert sorted(a["admin_created"] is not None for a in answers) == [False, False, True]
    with tracelot.connect(fresh_url) as tl:
        assert tl.verify().ok
        assert [u["user"] for u in tl.users()] == ["admin"]


@pytest.fixture
def newer_schema(db_url: str) -> Iterator[str]:
    """The test database, as a newer tracelot (schema 0099) would leave it."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    try:
        yield db_url
    finally:  # the PostgreSQL worker's database serves the next tests
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE alembic_version SET version_num = '{SCHEMA_REVISION}'"))
        engine.dispose()


def test_init_on_a_newer_tracelots_database_names_it_and_changes_nothing(
    newer_schema: str, cli: Cli
) -> None:
    before = snapshot(newer_schema)
    said = (
        "this database was written by a newer tracelot "
        f"(schema 0099; this tracelot knows {SCHEMA_REVISION})"
    )
    for args in (("init",), ("stock",), ("item", "add", "X", "--name", "x", "--tracking", "none")):
        out = cli(*args)
        assert out.exit_code == 1, args
        assert said in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert "run `tracelot init`" not in out.stderr
    assert snapshot(newer_schema) == before


def test_the_api_names_a_newer_tracelots_database(newer_schema: str) -> None:
    from fastapi.testclient import TestClient

    from tracelot.server import Settings, create_app

    with TestClient(create_app(Settings(database_url=newer_schema))) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "newer tracelot" in answer.text


@pytest.fixture
def full_disk() -> Iterator[None]:
    """Every SQLite connection opened from here on finds its disk full a few pages on
    (SQLite's max_page_count: the file may not grow past it)."""

    def on_connect(dbapi_connection: object, _record: object) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 2}")

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


@pytest.mark.skipif(BACKEND != "sqlite", reason="a full disk is simulated on SQLite only")
def test_a_full_disk_is_named_nothing_is_written_and_reads_still_work(
    setup_basics: Cli, db_url: str, full_disk: None
) -> None:
    cli = setup_basics
    before = snapshot(db_url)
    out = cli("receive", "PCB", "--serials", "S0001..S3000", "--to", "A1")
    assert out.exit_code == 1
    assert out.stderr.startswith("error: the disk holding the database is full"), out.stderr
    assert "savepoint" not in out.stderr and "Traceback" not in out.stderr
    assert snapshot(db_url) == before
    assert cli("stock", "--json").exit_code == 0
    with tracelot.connect(db_url, user="tester") as tl:
        with pytest.raises(tracelot.TracelotError, match="disk holding the database is full"):
            with tl.atomic():  # inside a savepoint, as imports and the demo run
                tl.receive("PCB", to="A1", serials=[f"T{i:04d}" for i in range(3000)])


def _without_root_powers() -> list[str]:
    """A prefix that runs a command without the power to write what it may not (root
    writes read-only files: `setpriv` drops that power), or skips the test."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: read-only files stay writable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


@pytest.fixture
def read_only_copy(setup_basics: Cli, db_url: str, tmp_path: Path) -> Iterator[Path]:
    """A copy of the test database (with a receipt) whose file and directory may only be read."""
    if BACKEND != "sqlite":
        pytest.skip("read-only storage is a SQLite file's")
    setup_basics("receive", "PCB", "--serials", "S1..S3", "--to", "A1")
    folder = tmp_path / "ro"
    folder.mkdir()
    source = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(folder / "tracelot.db")
    source.backup(copy)
    copy.execute("PRAGMA journal_mode = WAL").fetchall()  # as tracelot leaves it
    source.close()
    copy.close()
    (folder / "tracelot.db").chmod(0o444)
    folder.chmod(0o555)
    try:
        yield folder / "tracelot.db"
    finally:
        folder.chmod(0o755)


def _run(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_without_root_powers(), sys.executable, "-m", "tracelot", "--db", f"sqlite:///{path}",
         *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TRACELOT_USER": "ro"},
    )  # fmt: skip


@pytest.mark.parametrize("writable_directory", [False, True])
def test_reads_work_on_a_read_only_copy_and_writes_say_it_is_read_only(
    read_only_copy: Path, writable_directory: bool
) -> None:
    if writable_directory:
        read_only_copy.parent.chmod(0o755)
    stock = _run(read_only_copy, "stock", "--json")
    assert stock.returncode == 0, stock.stderr
    assert [row["qty"] for row in json.loads(stock.stdout) if row["item"] == "PCB"] == [3]
    assert _run(read_only_copy, "verify").returncode == 0
    wrote = _run(read_only_copy, "receive", "PCB", "--serials", "S4", "--to", "A1")
    assert wrote.returncode == 1
    assert wrote.stderr.startswith("error: the database is read-only"), wrote.stderr
    assert "Traceback" not in wrote.stderr


def test_a_postgresql_engine_keeps_a_connection_for_each_request_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As many pooled connections as a server worker's requests run at once (20, or
    $TRACELOT_DB_POOL_SIZE): SQLAlchemy's 5 closed and reopened one every few requests
    under 16 clients. A count that is not a whole number above zero is refused, by name,
    before anything is opened."""
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # nothing connects to make an engine
    monkeypatch.delenv("TRACELOT_DB_POOL_SIZE", raising=False)
    with tracelot.connect(url) as tl:
        assert (tl.engine.pool.size(), tl.engine.pool._max_overflow) == (20, 20)  # type: ignore[attr-defined]
    monkeypatch.setenv("TRACELOT_DB_POOL_SIZE", "7")
    with tracelot.connect(url) as tl:
        assert tl.engine.pool.size() == 7  # type: ignore[attr-defined]
    for bad in ("0", "many", "-3"):
        monkeypatch.setenv("TRACELOT_DB_POOL_SIZE", bad)
        done = _refused_where(url)
        assert f"error: TRACELOT_DB_POOL_SIZE='{bad}': give a whole number" in done.stderr
        assert "Traceback" not in done.stderr


def _refused_where(url: str) -> subprocess.CompletedProcess[str]:
    """`tracelot --db URL where PART:U1` as a process, refused: exit 1."""
    done = subprocess.run(
        [sys.executable, "-m", "tracelot", "--db", url, "where", "PART:U1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    return done


def test_a_database_url_that_cannot_be_opened_is_refused_by_name() -> None:
    """Not a URL, or a kind of database SQLAlchemy has not: `error: ...` and exit 1, not
    SQLAlchemy's traceback; what follows the scheme (a password) is not shown."""
    for url, shown, reason in (
        ("where", "(not a URL)", "Could not parse"),
        ("postgres://ann:s3cret@db/prod", "postgres:...", "sqlalchemy.dialects:postgres"),
        ("postgresql+psycopg:/ann:s3cret@db/prod", "postgresql+psycopg:...", "Could not parse"),
        ("postgresql+psycopg://ann:s3cret@db:port/prod", "postgresql+psycopg:...", "int()"),
        ("mysql://ann:s3cret@db/prod", "mysql:...", "No module named"),
    ):
        done = _refused_where(url)
        assert f"error: the database URL {shown} cannot be opened: " in done.stderr
        assert reason in done.stderr and "sqlite:///FILE" in done.stderr
        assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    with pytest.raises(InvalidInput, match="cannot be opened"):
        tracelot.connect("not a url")
    # an option of the caller's that SQLAlchemy refuses is not said to be the URL's
    with pytest.raises(ArgumentError, match="reset_on_return"):
        tracelot.connect("sqlite:///unused.db", pool_reset_on_return="bogus")
