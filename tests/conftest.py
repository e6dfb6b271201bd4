"""Fixtures: a migrated, empty tracelot database per test, on SQLite or PostgreSQL.

The suite runs on SQLite by default. With TRACELOT_TEST_DATABASE_URL set to a
PostgreSQL server URL (postgresql+psycopg://user@host:port/db), every test runs
there instead: the schema is migrated once, and each test starts from emptied tables.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import tracelot
from tracelot.cli.main import app
from tracelot.store.tables import metadata

PG_URL = os.environ.get("TRACELOT_TEST_DATABASE_URL", "")
# the API's secret key file, made by the first app that starts: the tests' own, not ~/.config
os.environ.setdefault(
    "TRACELOT_SECRET_FILE", str(Path(tempfile.mkdtemp(prefix="tracelot-test-")) / "secret_key")
)
BACKEND = "postgresql" if PG_URL.startswith("postgresql") else "sqlite"


def pytest_report_header() -> str:
    return f"tracelot test database: {BACKEND}" + (f" ({PG_URL})" if PG_URL else "")


def _recreate_pg_database(name: str) -> str:
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """A migrated database made once: a file to copy on SQLite; on PostgreSQL a database
    of this pytest-xdist worker's own, so that workers never empty each other's tables."""
    if BACKEND == "postgresql":
        url = _recreate_pg_database(f"{make_url(PG_URL).database}_{worker_id}")
        with tracelot.connect(url) as tl:
            tl.init()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    with tracelot.connect(f"sqlite:///{path}") as tl:
        tl.init()
    return str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> str:
    """The URL of a migrated database with no data but the virtual locations."""
    return reset_database(_template, tmp_path)


def reset_database(_template: str, tmp_path: Path) -> str:
    """Empty the worker's PostgreSQL database, or copy the SQLite template afresh."""
    if BACKEND == "postgresql":
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        engine = create_engine(_template)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        with tracelot.connect(_template) as tl:
            tl.init()  # puts the virtual locations back
        return _template
    path = tmp_path / "tracelot.db"
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copy(_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database with no schema at all."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"tracelot_fresh_{uuid.uuid4().hex[:8]}"
    yield _recreate_pg_database(name)
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def tl(db_url: str) -> Iterator[tracelot.Tracelot]:
    """The Python API on the test database, acting as user `tester`."""
    with tracelot.connect(db_url, user="tester") as handle:
        yield handle


@pytest.fixture
def fresh_tracelot(_template: str, tmp_path: Path) -> Callable[[], AbstractContextManager]:
    """A factory of fresh databases, each opened as the Python API (for hypothesis, which
    runs many examples in one test): `with fresh_tracelot() as tl: ...`."""

    @contextmanager
    def make() -> Iterator[tracelot.Tracelot]:
        url = reset_database(_template, tmp_path)
        with tracelot.connect(url, user="prop") as handle:
            yield handle

    return make


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):  # noqa: ANN201
        return json.loads(self.stdout)


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(db_url: str) -> Cli:
    """Run `tracelot ARGS...` in-process against the test database."""
    runner = CliRunner()

    def run(*args: str, user: str = "tester", input: str | bytes | None = None) -> Outcome:  # noqa: A002
        result = runner.invoke(
            app, ["--db", db_url, "--user", user, *args], input=input, catch_exceptions=False
        )
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


def run_process(
    *args: str, db: str, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tracelot ARGS...` as a real process, the way a user does."""
    return subprocess.run(
        [sys.executable, "-m", "tracelot", "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        env={**os.environ, "TRACELOT_USER": "proc"},
    )


#: the states fixtures build, made once per worker by their fixture's own commands and
#: then put back into each test's database (a SQLite file, or PostgreSQL's rows)
_STATES: dict[str, object] = {}


def from_state(name: str, db_url: str, tmp_path_factory: pytest.TempPathFactory,
               build: Callable[[], None]) -> None:  # fmt: skip
    """Bring the test's fresh database (`db_url`, not opened yet) to the state `build`
    makes: built by `build` the first time in this worker, and copied from then on (a
    dozen commands cost a second and a half a test; a copy, milliseconds)."""
    kept = _STATES.get(name)
    if kept is None:
        build()
        _STATES[name] = _keep_state(db_url, tmp_path_factory.mktemp("state") / f"{name}.db")
        return
    if BACKEND == "sqlite":
        path = Path(make_url(db_url).database or "")
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(str(kept), path)
        return
    _put_rows(db_url, kept)  # type: ignore[arg-type]


def _keep_state(db_url: str, copy: Path) -> object:
    if BACKEND == "sqlite":  # the backup API copies what the WAL holds too
        source = sqlite3.connect(make_url(db_url).database or "")
        target = sqlite3.connect(copy)
        source.backup(target)
        target.close()
        source.close()
        return copy
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in metadata.sorted_tables if t.name != "database_identity"}  # fmt: skip
    engine.dispose()
    return rows


def _put_rows(db_url: str, rows: dict[str, list[dict]]) -> None:
    """Empty every table and insert the rows kept; each table's id sequence goes on after
    them. The locations' trigger gives the database a new identity token."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in metadata.sorted_tables:
            kept = rows.get(table.name)
            if kept:
                conn.execute(table.insert(), kept)
                if "id" in table.c and isinstance(kept[0].get("id"), int):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                      f"'id'), (SELECT max(id) FROM {table.name}))"))  # fmt: skip
    engine.dispose()


@pytest.fixture
def setup_basics(cli: Cli, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A small world: a warehouse with bins, a line, suppliers, customers, four items."""
    from_state("basics", db_url, tmp_path_factory, lambda: _basics(cli))
    return cli


def _basics(cli: Cli) -> None:
    for args in [
        ("location", "add", "WH", "--kind", "warehouse", "--name", "Main warehouse"),
        ("location", "add", "A1", "--parent", "WH"),
        ("location", "add", "A2", "--parent", "WH"),
        ("location", "add", "LINE", "--kind", "production"),
        ("location", "add", "QUAR", "--kind", "quarantine"),
        ("party", "add", "CELLCO", "--name", "Cell Co", "--kind", "supplier"),
        ("party", "add", "ACME", "--name", "Acme Corp", "--kind", "customer"),
        ("party", "add", "GLOBEX", "--name", "Globex", "--kind", "customer"),
        ("item", "add", "PCB", "--name", "Main board", "--tracking", "serial", "--cost", "12.5"),
        ("item", "add", "CELL", "--name", "Li-ion cell", "--tracking", "lot", "--cost", "2"),
        ("item", "add", "SCREW", "--name", "M3 screw", "--tracking", "none", "--cost", "0.01"),
        ("item", "add", "DEV", "--name", "Device", "--tracking", "serial"),
    ]:
        outcome = cli(*args)
        assert outcome.exit_code == 0, outcome.stderr


def snapshot(url: str) -> dict[str, object]:
    """Every row of every table: to prove that a refused command changed nothing."""
    engine = create_engine(url)
    with engine.connect() as conn:
        state = {
            t.name: sorted(map(tuple, conn.execute(t.select()).all()), key=repr)
            for t in metadata.sorted_tables
        }
    engine.dispose()
    return state


@pytest.fixture
def refused(cli: Cli, db_url: str) -> Callable[..., Outcome]:
    """Run a command that must be refused: exit 1, `error: ...` naming `match`, no change."""

    def check(*args: str, match: str) -> Outcome:
        before = snapshot(db_url)
        outcome = cli(*args)
        assert outcome.exit_code == 1, (outcome.stdout, outcome.stderr)
        assert outcome.stderr.startswith("error: "), outcome.stderr
        assert match.lower() in outcome.stderr.lower(), outcome.stderr
        assert "Traceback" not in outcome.stderr
        assert snapshot(db_url) == before, "a refused command changed the database"
        return outcome

    return check


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(db_url: str, log_path: Path, workers: int = 1) -> Iterator[str]:
    """A real `tracelot serve` process on loopback, up and answering; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "tracelot", "--db", db_url, "serve", "--port", str(port)]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(200):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            else:
                pytest.fail("tracelot serve did not come up: " + log_path.read_text())
            yield base
        finally:
            server.terminate()
            server.wait(timeout=20)


@pytest.fixture
def shipped_world(tl: tracelot.Tracelot, cli: Cli) -> Cli:
    """Cells of supplier lot CC-9 inside packs inside devices: some shipped, some not."""
    tl.add_location("WH", kind="warehouse")
    tl.add_location("LINE", kind="production")
    tl.add_location("QUAR", kind="quarantine")
    tl.add_party("CELLCO", name="Cell Co", kind="supplier")
    tl.add_party("ACME", name="Acme Corp", kind="customer")
    tl.add_party("GLOBEX", name="Globex", kind="customer")
    tl.add_item("CELL", name="Cell", tracking="lot")
    tl.add_item("PCB", name="Board", tracking="serial")
    tl.add_item("PACK", name="Pack", tracking="serial")
    tl.add_item("DEV", name="Device", tracking="serial")
    tl.receive(
        "CELL", to="WH", lot="L1", qty=40, supplier="CELLCO", supplier_lot="CC-9", made="2030-01-10"
    )
    tl.receive(
        "CELL",
        to="WH",
        lot="L9",
        qty=40,
        supplier="CELLCO",
        supplier_lot="CC-10",
        made="2030-03-01",
    )
    tl.receive("PCB", to="WH", serials="B1..B6")
    for i in range(1, 5):
        tl.build("PACK", to="LINE", serial=f"P{i}", consume=["CELL@L1=4"])
        tl.build("DEV", to="LINE", serial=f"D{i}", consume=[f"PACK:P{i}", f"PCB:B{i}"])
    tl.build("DEV", to="LINE", serial="D9", consume=["CELL@L9=4", "PCB:B5"])
    tl.ship("DEV:D1", "DEV:D2", to="ACME", reference="SO-1")
    tl.ship("DEV:D3", to="GLOBEX", reference="SO-2")
    return cli


@pytest.fixture(scope="session")
def judge(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """GS1's Barcode Syntax Engine, built with the C compiler (skipped without one)."""
    import gs1_engine

    if gs1_engine.compiler() is None:
        pytest.skip("no C compiler (cc or gcc): GS1's engine cannot be built to judge")
    library = gs1_engine.build(tmp_path_factory.mktemp("gs1-engine"))
    return gs1_engine.Judge(gs1_engine.binding(library))
