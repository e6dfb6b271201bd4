"""Holds and recalls, end to end through the CLI."""

import csv
import io

from conftest import Cli


def test_a_hold_stops_shipping_and_consuming_until_released(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    assert cli("hold", "DEV:D4", "--reason", "scratched").exit_code == 0
    assert cli("where", "DEV:D4", "--json").json()[0]["held"] is True
    refused("ship", "DEV:D4", "--to", "ACME", match="held and can not be shipped or consumed")
    assert cli("hold", "CELL@L1", "--reason", "swelling").exit_code == 0
    refused(
        "build",
        "PACK",
        "--to",
        "LINE",
        "--serial",
        "P7",
        "--consume",
        "CELL@L1=1",
        match="hold #2, swelling",
    )
    # picking among lots passes over the held one
    out = cli("build", "PACK", "--to", "LINE", "--serial", "P8", "--consume", "CELL=2", "--json")
    assert [ln["lot"] for ln in out.json()["lines"] if ln["item"] == "CELL"] == ["L9"]
    assert {h["reason"] for h in cli("holds", "--json").json()} == {"scratched", "swelling"}
    assert cli("release", "DEV:D4").exit_code == 0
    assert cli("ship", "DEV:D4", "--to", "ACME").exit_code == 0
    refused("release", "DEV:D4", match="not on hold")
    refused("hold", "DEV:D1", "--reason", " ", match="reason")


def test_a_recall_of_a_supplier_lot_finds_and_holds_everything(shipped_world: Cli) -> None:
    cli = shipped_world
    out = cli(
        "recall",
        "open",
        "--supplier",
        "CELLCO",
        "--supplier-lot",
        "CC-9",
        "--reason",
        "cell swelling",
        "--quarantine",
        "QUAR",
        "--json",
    )
    assert out.exit_code == 0, out.stderr
    recall = out.json()
    assert recall["recall"] == 1 and recall["status"] == "open"
    # the lot's stock and D4 (at the line) are now held in quarantine, and listed there
    assert recall["by_status"] == {"in_stock": 2, "consumed": 5, "shipped": 3}
    assert {
        (i["item"], i["location_path"]) for i in recall["items"] if i["status"] == "in_stock"
    } == {("CELL", "QUAR"), ("DEV", "QUAR")}
    assert recall["open"] == 5  # the lot's stock, D4 at the line, and three shipped devices
    notify = [(n["customer"], n["serial"], n["shipment_ref"]) for n in recall["notify"]]
    assert notify == [("ACME", "D1", "SO-1"), ("ACME", "D2", "SO-1"), ("GLOBEX", "D3", "SO-2")]
    # what we still have is held and in quarantine; D9 (other lot) is untouched
    d4 = cli("where", "DEV:D4", "--json").json()[0]
    assert (d4["location_path"], d4["held"]) == ("QUAR", True)
    assert cli("where", "DEV:D9", "--json").json()[0]["held"] is False
    cells = cli("where", "CELL@L1", "--json").json()
    assert [
        (c["location_path"], c["qty"], c["held"]) for c in cells if c["status"] == "in_stock"
    ] == [("QUAR", 24, True)]
    listed = cli("recall", "list", "--json").json()
    assert [(r["recall"], r["status"], r["affected"], r["open"]) for r in listed] == [
        (1, "open", 10, 5)
    ]


def test_working_a_recall_to_closure(shipped_world: Cli, refused, tmp_path) -> None:
    cli = shipped_world
    cli("recall", "open", "CELL@L1", "--reason", "swelling")
    refused("recall", "open", "CELL@L1", "--reason", "again", match="recall 1 is already open")
    path = tmp_path / "notify.csv"
    assert cli("recall", "notify-list", "1", "--csv", str(path)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert [(r["customer"], r["serial"]) for r in rows] == [
        ("ACME", "D1"),
        ("ACME", "D2"),
        ("GLOBEX", "D3"),
    ]
    refused("recall", "close", "1", match="5 affected items without a disposition")
    refused("recall", "mark", "1", "DEV:D9", "--as", "located", match="not in recall 1")
    refused("recall", "mark", "1", "DEV:D1", "--as", "lost", match="disposition must be one of")
    refused("recall", "mark", "7", "DEV:D1", "--as", "located", match="no recall 7")
    # a return from the customer is matched to the recall, and the unit is held again
    assert cli("return", "DEV:D1", "--from", "ACME", "--to", "QUAR").exit_code == 0
    d1 = cli("where", "DEV:D1", "--json").json()[0]
    assert d1["held"] is True
    items = {
        (i["serial"], i["disposition"])
        for i in cli("recall", "show", "1", "--json").json()["items"]
        if i["serial"]
    }
    assert ("D1", "returned") in items
    # D4 is reworked: its pack swapped for one built of another lot's cells
    cli("build", "PACK", "--to", "QUAR", "--serial", "P5", "--consume", "CELL@L9=4")
    out = cli("replace", "DEV:D4", "--remove", "PACK:P4", "--install", "PACK:P5", "--json")
    assert out.exit_code == 0, out.stderr
    repair = str(out.json()["id"])
    for *args, disposition in [
        ("DEV:D2", "located"),
        ("DEV:D3", "located"),
        ("DEV:D4", "--operation", repair, "reworked"),
        ("CELL@L1", "scrapped"),
    ]:
        assert cli("recall", "mark", "1", *args, "--as", disposition).exit_code == 0
    assert cli("recall", "mark", "1", "DEV:D4", "--as", "cleared").exit_code == 0
    assert cli("where", "DEV:D4", "--json").json()[0]["held"] is False
    closed = cli("recall", "close", "1", "--json")
    assert closed.exit_code == 0 and closed.json()["status"] == "closed"
    # closing released nothing more: what was cleared was released when marked, and the
    # returned unit and the scrapped lot stay held
    held = {(h["item"], h["serial"], h["lot"]) for h in cli("holds", "--json").json()}
    assert held == {("DEV", "D1", None), ("CELL", None, "L1")}
    cells = cli("where", "CELL@L1", "--json").json()
    assert not [c for c in cells if c["status"] in ("in_stock", "wip")]  # scrapped, on the ledger
    assert cli("verify").exit_code == 0
    refused("recall", "mark", "1", "DEV:D2", "--as", "located", match="closed")


def test_a_recall_may_be_closed_by_force_with_a_reason(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    cli("recall", "open", "CELL@L1", "--reason", "swelling")
    refused("recall", "close", "1", "--force", match="needs a --reason")
    assert cli("recall", "close", "1", "--force", "--reason", "supplier withdrew").exit_code == 0
    assert cli("recall", "show", "1", "--json").json()["close_reason"] == "supplier withdrew"


def test_recall_scopes_by_serial_range_and_date_range(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    out = cli("recall", "open", "--item", "PCB", "--serials", "B1..B2", "--reason", "x", "--json")
    assert {i["serial"] for i in out.json()["items"]} == {"B1", "B2", "D1", "D2"}
    out = cli(
        "recall",
        "open",
        "--item",
        "CELL",
        "--made-between",
        "2030-02-01",
        "2030-03-31",
        "--reason",
        "y",
        "--json",
    )
    assert {i["serial"] for i in out.json()["items"] if i["serial"]} == {"D9"}
    refused(
        "recall",
        "open",
        "--item",
        "PCB",
        "--serials",
        "B1..B99",
        "--reason",
        "z",
        match="has no serial B7",
    )
    refused(
        "recall",
        "open",
        "--item",
        "CELL",
        "--made-between",
        "2020-01-01",
        "2020-02-01",
        "--reason",
        "z",
        match="scope is empty",
    )
    refused("recall", "open", "--reason", "z", match="scope is empty")
    refused("recall", "open", "CELL@L1", match="reason")
    refused("recall", "open", "--serials", "B1", "--reason", "z", match="needs --item")


def test_extending_a_recall_adds_scope(shipped_world: Cli) -> None:
    cli = shipped_world
    cli("recall", "open", "DEV:D1", "--reason", "noise")
    out = cli("recall", "extend", "1", "DEV:D9", "--json")
    assert out.exit_code == 0, out.stderr
    assert {i["serial"] for i in out.json()["items"]} == {"D1", "D9"}
    assert out.json()["scope"]["refs"] == ["DEV:D1", "DEV:D9"]
    assert cli("where", "DEV:D9", "--json").json()[0]["held"] is True
