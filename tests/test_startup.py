"""The command line starts at once: importing it, `tracelot --help` and a plain look-up
load none of the heavy libraries, which load only in the commands that use them.

Each check runs a fresh interpreter (a module imported once stays imported, so only a
new process shows what a command loads)."""

import json
import subprocess
import sys

import pytest
from conftest import BACKEND, Cli

#: loaded only by the commands that need them (and never by the ones below)
HEAVY = [
    "fastapi",  # the API and the web pages: `tracelot serve`
    "starlette",
    "uvicorn",
    "pydantic",  # Typer's coercion of non-text options, and the API's schemas
    "matplotlib",  # charts: `report ... --chart`
    "reportlab",  # label PDFs
    "zxingcpp",  # barcode symbols
    "PIL",
    "openpyxl",  # XLSX import and export
    "jsonschema",
    "argon2",  # passwords: `user add`, logging in
    "pwdlib",
    "graphviz",  # trace pictures
    "epcis_event_hash_generator",  # EPCIS import and export
    "pyld",
    "requests",
    "tracelot.services.epcis",
    "tracelot.services.epcis_import",
    "alembic",  # migrations: `tracelot init`
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql",  # on SQLite
]
#: what `tracelot --help` does without: the facade, the services and the tables, and the
#: operations' commands (33 dataclasses: 12 ms, which a command loads when it runs one)
DATABASE_LAYER = ["tracelot.app", "tracelot.store.tables", "tracelot.store.engine", "rich",
                  "tracelot.domain.commands"]  # fmt: skip


def _loaded(code: str, *argv: str, stdin: str = "") -> tuple[list[str], str]:
    """The modules loaded once `code` has run in a fresh interpreter (with `argv`, and
    `stdin` on its standard input), and what it wrote to standard output."""
    dump = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.stderr.write(\n"
        "    '\\nMODULES ' + json.dumps(sorted(sys.modules))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", dump + code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        input=stdin,
    )
    head, _, modules = done.stderr.rpartition("\nMODULES ")
    assert modules, f"exit {done.returncode}: {done.stderr[-3000:]}"
    assert done.returncode == 0, head[-3000:]
    return json.loads(modules), done.stdout


def _among(loaded: list[str], names: list[str]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in loaded))


def test_importing_the_command_line_loads_no_heavy_module() -> None:
    loaded, _ = _loaded("import tracelot.cli.main")
    assert _among(loaded, HEAVY) == []


def test_importing_the_command_line_loads_neither_the_facade_nor_the_tables() -> None:
    loaded, _ = _loaded("import tracelot.cli.main")
    assert _among(loaded, DATABASE_LAYER) == []


def test_tracelot_help_runs_without_any_heavy_module_or_the_database_layer() -> None:
    code = "import sys; sys.argv[0] = 'tracelot'; from tracelot.cli.main import main; main()"
    loaded, out = _loaded(code, "--help")
    assert "Usage: tracelot" in out and "where" in out and "serve" in out
    assert _among(loaded, HEAVY + DATABASE_LAYER) == []


@pytest.mark.skipif(BACKEND != "sqlite", reason="checks what a SQLite database loads")
def test_a_look_up_loads_only_what_it_uses(cli: Cli, db_url: str) -> None:
    """`where` and `scan` on a small database: the facade and the tables, but no heavy
    library, no migration code (the schema check reads the revision) and no pydantic
    (Typer's coercion of text options is replaced, and of others left out skipped)."""
    cli("location", "add", "WH", "--kind", "warehouse")
    cli("item", "add", "PCB", "--name", "Board", "--tracking", "serial")
    assert cli("receive", "PCB", "--to", "WH", "--serials", "S1..S3").exit_code == 0
    code = "import sys; sys.argv[0] = 'tracelot'; from tracelot.cli.main import main; main()"
    for argv in (["where", "PCB:S2", "--json"], ["where", "PCB:S2"]):
        loaded, out = _loaded(code, "--db", db_url, *argv)
        assert "S2" in out
        assert _among(loaded, HEAVY) == [], argv
        assert "tracelot.app" in loaded
    # an option of another type left out (`scan --so N`) is not coerced: Typer's
    # coercion of a number loads pydantic, for a None
    loaded, out = _loaded(code, "--db", db_url, "scan", "--json", stdin="PCB:S2\n")
    assert json.loads(out)["serial"] == "S2"
    assert _among(loaded, HEAVY) == []


def test_passwords_are_hashed_on_first_use_not_at_import() -> None:
    """services.users made an argon2 hasher and hashed a random password at import
    (0.55 s); the facade loads it with every command."""
    loaded, _ = _loaded("import tracelot.app, tracelot.services.users")
    assert _among(loaded, ["argon2", "pwdlib"]) == []


def test_a_scan_still_loads_what_it_needs() -> None:
    """What is loaded late still loads: a GS1 scan parsed reads GS1's syntax dictionary."""
    code = (
        "from tracelot.domain.scan import parse_scan\n"
        "print(parse_scan('(01)09506000134352(10)L1').gtin)"
    )
    loaded, out = _loaded(code)
    assert out.strip() == "09506000134352" and "tracelot.domain.gs1_dictionary" in loaded


@pytest.mark.parametrize(
    ("argv", "kept"),
    [
        (["--db", "sqlite:///x.db", "--user", "ann", "where", "A:1"], ["where"]),
        (["--db=sqlite:///x.db", "so", "list"], ["so"]),
        (["build-run", "--help"], ["build-run"]),
        (["--help"], None),  # the list of every command
        (["wher", "A:1"], None),  # Click's "No such command 'wher'. Did you mean 'where'?"
        (["--db", "sqlite:///x.db"], None),
        (["--dbx", "where", "A:1"], None),  # no root option: Click says so, with all of them
    ],
)
def test_a_process_builds_only_the_command_it_runs(argv: list[str], kept: list[str] | None) -> None:
    """Typer reads the signature of every command it has to run one (20 ms of each
    start): `main` keeps only the one named, and all of them for anything else."""
    code = (
        "import sys, json\n"
        "from tracelot.cli import main\n"
        "every = len(main.app.registered_commands) + len(main.app.registered_groups)\n"
        "main._only_the_command_run(sys.argv[1:])\n"
        "names = [c.name for c in main.app.registered_commands]\n"
        "names += [g.name for g in main.app.registered_groups]\n"
        "print(json.dumps(None if len(names) == every else names))\n"
    )
    _, out = _loaded(code, *argv)
    assert json.loads(out) == kept


def test_commands_run_as_processes_answer_as_before(db_url: str) -> None:
    """The command named runs with its options and its help; a name that is no command
    gets Click's answer, with the commands it may have meant."""
    if BACKEND != "sqlite":
        pytest.skip("a process of its own on the SQLite test database")
    code = "import sys; sys.argv[0] = 'tracelot'; from tracelot.cli.main import main; main()"
    _, out = _loaded(code, f"--db={db_url}", "--user", "ann", "location", "add", "WH",
                     "--kind", "warehouse", "--json")  # fmt: skip
    assert json.loads(out)["location"] == "WH"
    _, out = _loaded(code, "--db", db_url, "stock", "--json")
    assert json.loads(out) == []
    _, out = _loaded(code, "where", "--help")
    assert "Usage: tracelot where" in out
    done = subprocess.run([sys.executable, "-c", code, "--db", db_url, "wher", "A:1"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "No such command 'wher'" in done.stderr and "Did you mean 'where'" in done.stderr
