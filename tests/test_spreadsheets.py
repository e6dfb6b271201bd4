"""Spreadsheet import and export through the command line: tolerant headers, every
problem listed with its row and column and nothing written, one transaction for a good
file, CSV and XLSX, and a round trip that gives the same stock."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

import tracelot

ITEMS = """Item Code,Description,Tracking,EAN,Unit Cost,Shelf life,Colour
PCB,Main board,serial,,12.5,,green
CELL,Li-ion cell,lot,,2,730,
GLUE,Adhesive,none,09506000134352,0.5,,
"""
LOCATIONS = "code,parent,type\nA1,WH,bin\nWH,,warehouse\nQ,,quarantine\n"
PARTIES = "Code,Company,Role\nCELLCO,Cell Co,supplier\nACME,Acme,customer\n"
STOCK = """SKU,Bin,Quantity,Batch,Serial Number,Expiry Date,Unit cost,Vendor
PCB,A1,,,SN001..SN005,,12,CELLCO
PCB,Q,,,SN006,,13,
CELL,A1,40,L1,,2030-01-01,2.1,CELLCO
GLUE,WH,12,,,,,
GLUE,WH,3,,,,0.75,
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def loaded(cli, tmp_path: Path):
    for kind, text in (("items", ITEMS), ("locations", LOCATIONS), ("parties", PARTIES),
                       ("stock", STOCK)):  # fmt: skip
        out = cli("import", kind, _write(tmp_path, f"{kind}.csv", text), "--json")
        assert out.exit_code == 0, out.stdout + out.stderr
        summary = out.json()
        assert summary["ok"] and summary["written"], summary
    return cli


def test_a_good_file_is_imported_with_its_headers_matched(loaded, cli, tmp_path) -> None:
    out = cli("import", "items", _write(tmp_path, "more.csv", "SKU,Name\nTAPE,Tape\n"), "--json")
    assert out.json()["mapping"] == {"SKU": "code", "Name": "name"}
    first = cli("import", "items", _write(tmp_path, "i.csv", "code,name,colour\nX,X,red\n"))
    assert "ignored columns: colour" in first.stderr
    assert "columns: " in first.stderr
    stock = {(r["item"], r["location"], r["lot"]): r["qty"] for r in cli("stock", "--json").json()}
    assert stock == {("PCB", "A1", None): 5, ("PCB", "Q", None): 1, ("CELL", "A1", "L1"): 40,
                     ("GLUE", "WH", None): 15}  # fmt: skip
    assert cli("item", "show", "CELL", "--json").json()["shelf_life_days"] == 730
    paths = [r["location_path"] for r in cli("location", "list", "--json").json()]
    assert paths == ["Q", "WH", "WH/A1"]  # the child came before its parent in the file
    value = cli("valuation", "--json").json()["total"]["value"]
    assert value == 5 * 12 + 13 + 40 * 2.1 + 12 * 0.5 + 3 * 0.75
    assert cli("where", "CELL@L1", "--json").json()[0]["expires"] == "2030-01-01"


def test_every_problem_is_listed_and_nothing_is_written(loaded, cli, tmp_path, refused):
    bad = _write(tmp_path, "bad.csv", (
        "item,location,qty,lot,serial,expires\n"
        "PCB,A1,,,SN001,\n"          # 2: already exists
        "PCB,A1,,,SN100..SN101,\n"   # 3: good
        "PCB,A1,,,SN101,\n"          # 4: twice in the file
        "CELL,A1,5,,,\n"             # 5: no lot
        "NOPE,NOWHERE,1,,,\n"        # 6: unknown item and location
        "GLUE,WH,x,,,2030-02-30\n"   # 7: bad quantity and date
        "CELL,A1,5,L1,,2031-01-01\n" # 8: L1 expires 2030-01-01 in the database
    ))  # fmt: skip
    out = refused("import", "stock", bad, match="nothing written")
    problems = {(p[0], p[1]) for p in _problem_rows(out.stdout)}
    wanted = {(2, "serial"), (4, "serial"), (5, "lot"), (6, "item"), (6, "location"),
              (7, "qty"), (7, "expires"), (8, "expires")}  # fmt: skip
    assert problems >= wanted, out.stdout
    assert (3, "serial") not in problems
    as_json = cli("import", "stock", bad, "--json")
    assert as_json.exit_code == 1 and as_json.json()["written"] is False
    reasons = [p["reason"] for p in as_json.json()["problems"]]
    assert "PCB:SN001 already exists" in reasons and "PCB:SN101 is also on row 3" in reasons
    refused("import", "items", _write(tmp_path, "noname.csv", "code\nZ\n"),
            match="no column for name")  # fmt: skip
    refused("import", "parties", _write(tmp_path, "p.txt", "x"), match=".csv or .xlsx")
    refused("import", "locations", _write(tmp_path, "loop.csv", "code,parent\nL1,L2\nL2,L1\n"),
            match="nothing written")  # fmt: skip
    dry = cli("import", "stock", _write(tmp_path, "dry.csv", "item,location,qty\nGLUE,WH,1\n"),
              "--dry-run", "--json")  # fmt: skip
    assert dry.exit_code == 0 and dry.json() == {**dry.json(), "ok": True, "written": False}


def test_a_file_of_lots_is_one_operation_per_supplier(loaded, cli, tmp_path, refused) -> None:
    lines = ["item,location,qty,lot,expires,cost,supplier"]
    lines += [f"CELL,A1,{n % 7 + 1},B{n:04d},2031-0{n % 9 + 1}-01,1.5,CELLCO" for n in range(300)]
    lines += [f"CELL,WH,2,N{n:03d},,,," for n in range(20)]  # from no supplier named
    lines += ["GLUE,A1,5,,,0.25,", "CELL,A1,1,L1,,,"]  # a quantity, and more of lot L1
    out = cli("import", "stock", _write(tmp_path, "lots.csv", "\n".join(lines) + "\n"), "--json")
    assert out.exit_code == 0 and out.json()["written"], out.stdout + out.stderr
    ledger = json.loads(cli("export", "ledger", "--format", "json").stdout)
    mine = [m for m in ledger if m["reference"] == "import lots.csv"]
    assert len(mine) == 322 and len({m["operation"] for m in mine}) == 2
    stock = {(r["item"], r["location"], r["lot"]): r["qty"] for r in cli("stock", "--json").json()}
    assert stock[("CELL", "A1", "B0006")] == 7 and stock[("CELL", "A1", "L1")] == 41
    assert stock[("GLUE", "A1", None)] == 5
    assert cli("where", "CELL@B0006", "--json").json()[0]["expires"] == "2031-07-01"
    assert cli("where", "CELL@N001", "--json").json()[0]["expires"] is not None  # shelf life
    value = cli("valuation", "--json").json()["total"]["value"]
    before = 5 * 12 + 13 + 40 * 2.1 + 12 * 0.5 + 3 * 0.75
    added = sum(n % 7 + 1 for n in range(300)) * 1.5 + 20 * 2 * 2 + 5 * 0.25 + 1 * 2
    assert value == pytest.approx(before + added)
    assert cli("verify").exit_code == 0
    # a lot without an expiry does not get one from a later file
    cli("import", "items", _write(tmp_path, "bolt.csv", "code,name,tracking\nBOLT,Bolt,lot\n"))
    cli("import", "stock", _write(tmp_path, "k1.csv", "item,location,qty,lot\nBOLT,A1,1,K1\n"))
    out = refused("import", "stock", _write(tmp_path, "exp.csv", "item,location,qty,lot,expires\n"
                  "BOLT,A1,1,K1,2032-01-01\n"), match="nothing written")  # fmt: skip
    assert "has no expiry" in out.stdout


def _problem_rows(table: str) -> list[tuple[int, str]]:
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) >= 3 and cells[0].isdigit():
            rows.append((int(cells[0]), cells[1]))
    return rows


def test_xlsx_in_and_out(cli, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Code", "Name", "Kind", "E-mail", "Contact"])
    sheet.append(["SUP", "Supplier", "supplier", None, None])
    sheet.append(["CUS", "Customer", "customer", "qa@customer.example", "Ann Lee"])
    path = tmp_path / "parties.xlsx"
    book.save(path)
    assert cli("import", "parties", str(path)).exit_code == 0
    out = tmp_path / "out.xlsx"
    assert cli("export", "parties", "--format", "xlsx", "--out", str(out)).exit_code == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows == [
        ("code", "name", "kind", "contact_name", "email", "phone", "address"),
        ("CUS", "Customer", "customer", "Ann Lee", "qa@customer.example", None, None),
        ("SUP", "Supplier", "supplier", None, None, None, None),
    ]


def test_a_party_with_a_bad_contact_detail_is_refused_by_row_and_column(cli, tmp_path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text("code,name,kind,email,phone\nC1,One,customer,not-an-address,+1 555\n"
                    "C2,Two,customer,ok@two.example,call me\n")  # fmt: skip
    result = cli("import", "parties", str(path), "--json")
    assert result.exit_code == 1
    problems = {(p["row"], p["column"]) for p in result.json()["problems"]}
    assert problems == {(2, "email"), (3, "phone")}
    assert cli("party", "list", "--json").json() == []


def test_a_name_no_database_can_keep_is_refused_by_row(cli, tmp_path) -> None:
    """A NUL (PostgreSQL's text cannot hold one; SQLite's text functions end a string at
    it) or a name over 200 characters is a problem of its row, on every database."""
    files = [("parties", "code,name,kind", ",customer"), ("items", "code,name", ""),
             ("locations", "code,name", "")]  # fmt: skip
    for kind, header, tail in files:
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(f"{header}\nC1,Bad\x00Name{tail}\nC2,{'x' * 201}{tail}\n"
                         f"C3,Good{tail}\n".encode())  # fmt: skip
        result = cli("import", kind, str(path), "--json")
        assert result.exit_code == 1, result.stdout
        reasons = {p["row"]: (p["column"], p["reason"]) for p in result.json()["problems"]}
        assert reasons == {
            2: ("name", "the name: text cannot contain NUL (0x00) characters"),
            3: ("name", "the name is longer than 200 characters"),
        }
    assert cli("party", "list", "--json").json() == []
    assert cli("item", "list", "--json").json() == []


def test_export_and_import_into_an_empty_database_gives_the_same_stock(
    loaded, cli, tmp_path: Path, fresh_url: str
) -> None:
    loaded("ship", "PCB:SN001", "--to", "ACME")
    loaded("move", "GLUE", "--from", "WH", "--to", "A1", "--qty", "4")
    files = {}
    for kind in ("items", "locations", "parties", "stock"):
        out = cli("export", kind, "--format", "csv")
        assert out.exit_code == 0, out.stderr
        files[kind] = out.stdout
    ledger = json.loads(cli("export", "ledger", "--format", "json").stdout)
    assert {m["kind"] for m in ledger} == {"receive", "ship", "move"}
    before = cli("valuation", "--by", "location", "--json").json()["rows"]
    mine = {(r["item"], r["location"], r["lot"], r["serial"]) for r in cli(
        "stock", "--serials", "--json").json()}  # fmt: skip
    with tracelot.connect(fresh_url) as other:  # a second database
        other.init()
        for kind, text in files.items():
            summary = other.import_file(kind, f"{kind}.csv", text.encode())
            assert summary["written"], summary["problems"]
        after = other.valuation(by="location")["rows"]
        assert json.loads(json.dumps(after, default=float)) == before
        theirs = {(r["item"], r["location"], r["lot"], r["serial"])
                  for r in other.stock(serials=True)}  # fmt: skip
        assert mine == theirs and len(mine) == 5
        assert other.verify().ok


def test_templates(cli) -> None:
    out = cli("import", "template", "stock")
    assert out.stdout.splitlines()[0].startswith("item,location,qty,lot,serial,expires")
    described = cli("import", "template", "items", "--describe")
    assert "tracking" in described.stdout and "none, lot or serial" in described.stdout
    assert io.StringIO(out.stdout).readline().count(",") == 9
    assert tracelot  # the package under test


def test_imports_and_exports_over_http(loaded, tl, db_url: str) -> None:
    from fastapi.testclient import TestClient

    from tracelot.server import Settings, create_app

    tl.add_user("boss", role="admin")
    tl.add_user("reader", role="viewer")
    boss = {"Authorization": f"Bearer {tl.create_token('boss')['token']}"}
    reader = {"Authorization": f"Bearer {tl.create_token('reader')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        csv_body = b"Bin,SKU,Quantity\nA1,GLUE,5\nA1,NOPE,1\n"
        bad = client.post("/api/v1/imports/stock", content=csv_body,
                          headers={**boss, "Content-Type": "text/csv"})  # fmt: skip
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["problems"] == [
            {"row": 3, "column": "item", "reason": "unknown item 'NOPE'"}
        ]
        assert client.post("/api/v1/imports/stock", content=csv_body[:-11],
                           headers=reader).status_code == 403  # fmt: skip
        good = client.post("/api/v1/imports/stock", content=csv_body[:-11],
                           headers={**boss, "Content-Type": "text/csv"})  # fmt: skip
        assert good.status_code == 201 and good.json()["written"] is True
        exported = client.get("/api/v1/exports/stock", headers=reader)
        assert exported.headers["content-type"].startswith("text/csv")
        assert "GLUE,A1,5" in exported.text
        xlsx = client.get("/api/v1/exports/items", params={"format": "xlsx"}, headers=reader)
        assert xlsx.content[:2] == b"PK"  # a zip: the workbook
