"""Incoming inspection (issue 19, point 4): what is received of an item that needs it is
held, awaiting inspection, in the receiving warehouse's quarantine; `inspect pass`
releases it (and puts it away), `inspect fail` keeps it held and returns it to the
supplier or scraps it; results are kept per unit or lot with inspector and notes. Through
the CLI, the API and the Python API; refusals change nothing; `verify` stays clean."""

from collections.abc import Callable, Iterator

import pytest
from conftest import Cli, Outcome
from fastapi.testclient import TestClient

import tracelot
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"
GTIN = "09506000134352"


@pytest.fixture
def inspected(setup_basics: Cli) -> Cli:
    """The basic world with a quarantine in WH, a second supplier, and PCB and CELL
    needing inspection on receipt (CELL not from TRUSTED)."""
    cli = setup_basics
    for args in [
        ("location", "add", "WHQ", "--parent", "WH", "--kind", "quarantine"),
        ("party", "add", "TRUSTED", "--name", "Trusted", "--kind", "supplier"),
        ("item", "set", "PCB", "--inspect-on-receipt"),
        ("item", "set", "CELL", "--inspect-on-receipt"),
        ("item", "set", "CELL", "--no-inspect-on-receipt", "--inspect-supplier", "TRUSTED"),
        ("item", "gtin", "add", "PCB", GTIN),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr
    return cli


def _ok(out: Outcome) -> Outcome:
    assert out.exit_code == 0, out.stderr
    return out


def test_what_needs_inspection_is_received_held_in_its_warehouses_quarantine(
    inspected: Cli,
) -> None:
    cli = inspected
    shown = _ok(cli("item", "show", "PCB", "--json")).json()
    assert shown["inspect_on_receipt"] is True
    assert _ok(cli("item", "show", "CELL", "--json")).json()["inspect_on_receipt_from"] == {
        "TRUSTED": False
    }
    done = _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1..S3", "--supplier",
                   "CELLCO", "--json")).json()  # fmt: skip
    assert [ln["to"] for ln in done["lines"]] == ["WH/WHQ"]
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (unit["location_path"], unit["status"], unit["held"]) == ("WH/WHQ", "in_stock", True)
    assert [h["reason"] for h in unit["holds"]] == ["awaiting inspection"]
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "40", "--supplier", "CELLCO"))
    _ok(cli("receive", "CELL", "--to", "A2", "--lot", "L2", "--qty", "5", "--supplier", "TRUSTED"))
    waiting = _ok(cli("inspect", "list", "--json")).json()
    shown = [(r["ref"], r["qty"], r["location_path"], r["supplier"], r["status"]) for r in waiting]
    assert shown == [
        ("PCB:S1", 1, "WH/WHQ", "CELLCO", "waiting"),
        ("PCB:S2", 1, "WH/WHQ", "CELLCO", "waiting"),
        ("PCB:S3", 1, "WH/WHQ", "CELLCO", "waiting"),
        ("CELL@L1", 40, "WH/WHQ", "CELLCO", "waiting"),
    ]  # fmt: skip
    assert all(r["age_hours"] == 0 and r["received_by"] == "tester" for r in waiting)
    table = _ok(cli("inspect", "list"))
    assert "PCB" in table.stdout and "age" in table.stdout
    # trusted supplier's lot: put where asked, not held
    lot2 = _ok(cli("where", "CELL@L2", "--json")).json()[0]
    assert (lot2["location_path"], lot2["held"]) == ("WH/A2", False)
    # awaiting inspection: not to pick, build or ship
    for args, why in [
        (("ship", "PCB:S1", "--to", "ACME"), "held"),
        (("build", "DEV", "--to", "LINE", "--serial", "D1", "--consume", "PCB:S2"), "held"),
        (("ship", "CELL@L1", "--to", "ACME", "--qty", "1"), "held"),
    ]:
        out = cli(*args)
        assert out.exit_code == 1 and why in out.stderr, out.stderr
    picked = cli("pick", "--item", "CELL", "--qty", "3", "--json")
    assert "L1" not in picked.stdout
    assert _ok(cli("verify")).exit_code == 0


def test_passing_releases_it_and_puts_it_away_with_the_inspector_and_note(inspected: Cli) -> None:
    cli = inspected
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1..S3", "--supplier", "CELLCO"))
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "40", "--supplier", "CELLCO"))
    scanned = f"(01){GTIN}(21)S1"  # the unit's label, scanned
    done = _ok(cli("inspect", "pass", scanned, "CELL@L1", "--to", "A2", "--note", "all good",
                   "--json", user="ines")).json()  # fmt: skip
    assert done["kind"] == "inspect" and done["note"] == "all good"
    assert {(ln["item"], ln["from"], ln["to"], ln["qty"]) for ln in done["lines"]} == {
        ("PCB", "WH/WHQ", "WH/A2", 1),
        ("CELL", "WH/WHQ", "WH/A2", 40),
    }
    assert [r["result"] for r in done["inspected"]] == ["passed", "passed"]
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (unit["location_path"], unit["held"]) == ("WH/A2", False)
    # passed without --to: released where it waits
    _ok(cli("inspect", "pass", "PCB:S2"))
    assert _ok(cli("where", "PCB:S2", "--json")).json()[0]["location_path"] == "WH/WHQ"
    assert _ok(cli("ship", "PCB:S1", "PCB:S2", "--to", "ACME")).exit_code == 0
    assert _ok(cli("ship", "CELL@L1", "--to", "ACME", "--qty", "5")).exit_code == 0
    rows = _ok(cli("inspect", "list", "--all", "--json")).json()
    results = {r["ref"]: (r["status"], r["inspector"], r["note"], r["disposition"]) for r in rows}
    assert results == {
        "PCB:S1": ("passed", "ines", "all good", "released"),
        "PCB:S2": ("passed", "tester", None, "released"),
        "PCB:S3": ("waiting", None, None, None),
        "CELL@L1": ("passed", "ines", "all good", "released"),
    }
    assert [r["ref"] for r in _ok(cli("inspect", "list", "--json")).json()] == ["PCB:S3"]
    history = _ok(cli("history", "PCB:S1", "--json")).json()
    assert [h["kind"] for h in history] == ["receive", "inspect", "ship"]
    assert _ok(cli("verify")).exit_code == 0


def test_failing_keeps_it_held_and_returns_it_to_the_supplier_or_scraps_it(inspected: Cli) -> None:
    cli = inspected
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1..S3", "--supplier", "CELLCO"))
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "40", "--supplier", "CELLCO"))
    done = _ok(cli("inspect", "fail", "CELL@L1", "PCB:S1", "--reason", "wet cartons",
                   "--return-to-supplier", "--json")).json()  # fmt: skip
    assert (done["kind"], done["party"], done["note"]) == (
        "supplier_return",
        "CELLCO",
        "wet cartons",
    )
    lot = _ok(cli("where", "CELL@L1", "--json")).json()
    assert [(r["status"], r["supplier"], r["qty"], r["held"]) for r in lot] == [
        ("returned_to_supplier", "CELLCO", 40, True)
    ]
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (unit["status"], unit["supplier"], unit["held"]) == (
        "returned_to_supplier",
        "CELLCO",
        True,
    )
    scrapped = _ok(cli("inspect", "fail", "PCB:S2", "--reason", "cracked", "--scrap", "--json"))
    assert scrapped.json()["kind"] == "scrap"
    assert _ok(cli("where", "PCB:S2", "--json")).json()[0]["status"] == "scrapped"
    rows = {r["ref"]: r for r in _ok(cli("inspect", "list", "--all", "--json")).json()}
    lot_result = rows["CELL@L1"]
    assert (lot_result["status"], lot_result["reason"], lot_result["disposition"]) == (
        "failed", "wet cartons", "returned_to_supplier",
    )  # fmt: skip
    assert (rows["PCB:S2"]["disposition"], rows["PCB:S2"]["inspector"]) == ("scrapped", "tester")
    assert _ok(cli("verify")).exit_code == 0


def test_a_rule_for_one_supplier_only(setup_basics: Cli) -> None:
    cli = setup_basics
    _ok(cli("location", "add", "WHQ", "--parent", "WH", "--kind", "quarantine"))
    _ok(cli("party", "add", "SHADY", "--name", "Shady", "--kind", "supplier"))
    out = _ok(cli("item", "set", "CELL", "--inspect-on-receipt", "--inspect-supplier", "SHADY",
                  "--json")).json()  # fmt: skip
    assert (out["inspect_on_receipt"], out["inspect_on_receipt_from"]) == (False, {"SHADY": True})
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "5", "--supplier", "CELLCO"))
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "5", "--supplier", "SHADY"))
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L3", "--qty", "5"))
    assert [r["ref"] for r in _ok(cli("inspect", "list", "--json")).json()] == ["CELL@L2"]
    # stopped: the next receipt goes where it is sent
    _ok(cli("item", "set", "CELL", "--no-inspect-on-receipt", "--inspect-supplier", "SHADY"))
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L4", "--qty", "5", "--supplier", "SHADY"))
    assert _ok(cli("where", "CELL@L4", "--json")).json()[0]["location_path"] == "WH/A1"


def test_a_receipt_into_a_quarantine_location_waits_there(inspected: Cli) -> None:
    cli = inspected
    _ok(cli("receive", "PCB", "--to", "QUAR", "--serials", "Q1", "--supplier", "CELLCO"))
    assert _ok(cli("where", "PCB:Q1", "--json")).json()[0]["location_path"] == "QUAR"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("inspect", "pass", "PCB:S9"), "unknown unit"),
        (("inspect", "pass", "CELL@L9"), "not awaiting inspection"),
        (("inspect", "pass", "PCB"), "inspect units"),
        (("inspect", "pass", "PCB:S1", "PCB:S1"), "named twice"),
        (("inspect", "pass", "PCB:S1", "--to", "NOWHERE"), "unknown location"),
        (("inspect", "fail", "PCB:S1", "--scrap"), "reason"),
        (("inspect", "fail", "PCB:S1", "--reason", "bad"), "--return-to-supplier or --scrap"),
        (
            ("inspect", "fail", "PCB:S1", "--reason", "bad", "--scrap", "--return-to-supplier"),
            "--return-to-supplier or --scrap",
        ),  # fmt: skip
        (
            ("inspect", "fail", "PCB:N1", "--reason", "bad", "--return-to-supplier"),
            "without a supplier",
        ),
        (("item", "set", "SCREW", "--inspect-on-receipt"), "not tracked by lot or serial"),
        (("item", "set", "PCB", "--inspect-on-receipt", "--inspect-supplier", "NOBODY"), "NOBODY"),
        (
            ("receive", "PCB", "--to", "WH2BIN", "--serials", "X1", "--supplier", "CELLCO"),
            "has no quarantine location",
        ),  # fmt: skip
        (("release", "PCB:S1"), "awaits inspection"),
        (("move", "CELL@L1", "--to", "TRANSIT"), "unknown location"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    inspected: Cli, refused: Callable[..., Outcome], args: tuple[str, ...], match: str
) -> None:
    cli = inspected
    _ok(cli("location", "add", "WH2", "--kind", "warehouse"))
    _ok(cli("location", "add", "WH2BIN", "--parent", "WH2"))
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1", "--supplier", "CELLCO"))
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "N1"))  # no supplier named
    _ok(cli("receive", "CELL", "--to", "A1", "--lot", "L9", "--qty", "5", "--supplier", "TRUSTED"))
    refused(*args, match=match)


def test_the_command_line_refuses_a_supplier_without_the_rule(inspected: Cli) -> None:
    out = inspected("item", "set", "PCB", "--inspect-supplier", "CELLCO")
    assert out.exit_code == 2 and "--inspect-on-receipt" in out.stderr


def test_the_python_api_inspects_and_the_receipt_of_a_scan_waits_too(
    inspected: Cli, tl: tracelot.Tracelot
) -> None:
    scanned = tl.receive_scan(f"(01){GTIN}(21)G1", to="A1", supplier="CELLCO")
    assert scanned.lines[0].to_location == "WH/WHQ"
    assert [r["ref"] for r in tl.inspections()] == ["PCB:G1"]
    assert tl.inspect_pass("PCB:G1", to="A1")["inspected"][0]["result"] == "passed"
    assert tl.where("PCB:G1")[0]["location_path"] == "WH/A1"
    assert tl.verify().ok


@pytest.fixture
def api(inspected: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with tracelot.connect(db_url) as tl:
        tokens = {}
        for role in ("viewer", "operator", "quality", "planner"):
            tl.add_user(f"u_{role}", role=role)
            tokens[role] = tl.create_token(f"u_{role}")["token"]
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        yield client, {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}


def test_over_http_operators_inspect_and_planners_set_the_rule(api, db_url: str) -> None:
    client, auth = api
    rule = {"inspect_on_receipt": True}
    assert (
        client.put(
            f"{PREFIX}/items/DEV/inspection", json=rule, headers=auth["operator"]
        ).status_code
        == 403
    )
    set_ = client.put(f"{PREFIX}/items/DEV/inspection", json=rule, headers=auth["planner"])
    assert set_.status_code == 200 and set_.json()["inspect_on_receipt"] is True
    assert client.get(f"{PREFIX}/items/DEV", headers=auth["viewer"]).json()["inspect_on_receipt"]
    with tracelot.connect(db_url, user="dock") as tl:
        tl.receive("DEV", to="A1", serials="D1,D2", supplier="CELLCO")
    waiting = client.get(f"{PREFIX}/inspections", headers=auth["viewer"]).json()
    assert [r["ref"] for r in waiting] == ["DEV:D1", "DEV:D2"]
    body = {"refs": ["DEV:D1"], "note": "ok", "to": "A2"}
    assert (
        client.post(f"{PREFIX}/inspections/pass", json=body, headers=auth["viewer"]).status_code
        == 403
    )
    assert (
        client.post(f"{PREFIX}/inspections/pass", json=body, headers=auth["planner"]).status_code
        == 403
    )
    passed = client.post(f"{PREFIX}/inspections/pass", json=body, headers=auth["operator"])
    assert passed.status_code == 201, passed.json()
    assert passed.json()["inspected"][0]["ref"] == "DEV:D1"
    again = client.post(f"{PREFIX}/inspections/pass", json=body, headers=auth["operator"])
    assert again.status_code == 404 and "not awaiting inspection" in again.json()["detail"]
    bad = client.post(f"{PREFIX}/inspections/fail", headers=auth["quality"],
                      json={"refs": ["DEV:D2"], "reason": "dented"})  # fmt: skip
    assert bad.status_code == 422
    failed = client.post(f"{PREFIX}/inspections/fail", headers=auth["quality"],
                         json={"refs": ["DEV:D2"], "reason": "dented", "scrap": True})  # fmt: skip
    assert failed.status_code == 201 and failed.json()["kind"] == "scrap"
    with tracelot.connect(db_url) as tl:
        assert tl.where("DEV:D1")[0]["location_path"] == "WH/A2"
        assert tl.where("DEV:D2")[0]["status"] == "scrapped"
        assert tl.verify().ok


def test_voids_keep_inspections_true_to_the_ledger(inspected: Cli, refused: Callable) -> None:
    """A voided receipt's inspections wait no more (received again, they wait anew); a
    voided failure (its return or scrap) sends the stock back to its inspection."""
    cli = inspected
    receipt = _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1..S2", "--supplier",
                      "CELLCO", "--json")).json()["id"]  # fmt: skip
    _ok(cli("void", str(receipt), "--reason", "wrong delivery"))
    rows = {(r["ref"], r["status"]) for r in _ok(cli("inspect", "list", "--all", "--json")).json()}
    assert rows == {("PCB:S1", "voided"), ("PCB:S2", "voided")}
    assert _ok(cli("inspect", "list", "--json")).json() == []
    _ok(cli("receive", "PCB", "--to", "A1", "--serials", "S1..S2", "--supplier", "CELLCO"))
    waiting = _ok(cli("inspect", "list", "--json")).json()
    assert sorted(r["ref"] for r in waiting) == ["PCB:S1", "PCB:S2"]
    failed = _ok(cli("inspect", "fail", "PCB:S1", "--reason", "cracked", "--scrap", "--json"))
    _ok(cli("void", str(failed.json()["id"]), "--reason", "it was the other board"))
    waiting = {r["ref"]: r for r in _ok(cli("inspect", "list", "--json")).json()}
    assert sorted(waiting) == ["PCB:S1", "PCB:S2"]
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert unit["status"] != "scrapped" and unit["held"] is True
    refused("release", "PCB:S1", match="inspect pass")
    _ok(cli("inspect", "pass", "PCB:S1", "PCB:S2", "--to", "A1"))
    assert _ok(cli("inspect", "list", "--json")).json() == []
    passed = [r for r in _ok(cli("inspect", "list", "--all", "--json")).json()
              if r["status"] == "passed"]  # fmt: skip
    assert sorted(r["ref"] for r in passed) == ["PCB:S1", "PCB:S2"]
    refused("void", str(passed[0]["operation"]), "--reason", "x", match="hold it again")
    assert _ok(cli("verify")).exit_code == 0
