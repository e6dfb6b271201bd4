"""Sending stock back to its supplier: through the CLI and the API, on the ledger."""

from collections.abc import Iterator

import pytest
from conftest import Cli
from fastapi.testclient import TestClient

import tracelot
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN001..SN005", "--supplier", "CELLCO"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "40", "--supplier", "CELLCO"),
        ("receive", "SCREW", "--to", "A1", "--qty", "100"),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr
    return cli


def _value(cli: Cli) -> float:
    return cli("valuation", "--json").json()["total"]["value"]


def test_a_unit_and_part_of_a_lot_go_back_to_the_supplier_with_their_value(stocked: Cli) -> None:
    cli = stocked
    before = _value(cli)
    out = cli(
        "return-to-supplier", "PCB:SN001", "--to", "CELLCO", "--reason", "faulty",
        "--reference", "RMA-7", "--json",
    )  # fmt: skip
    assert out.exit_code == 0, out.stderr
    done = out.json()
    assert done["kind"] == "supplier_return" and done["reference"] == "RMA-7"
    assert [(ln["from"], ln["to"]) for ln in done["lines"]] == [("WH/A1", "SUPPLIER")]
    unit = cli("where", "PCB:SN001", "--json").json()[0]
    assert (unit["status"], unit["supplier"], unit["supplier_name"], unit["customer"]) == (
        "returned_to_supplier",
        "CELLCO",
        "Cell Co",
        None,
    )
    assert _value(cli) == pytest.approx(before - 12.5)  # the unit's cost left stock
    assert cli("return-to-supplier", "CELL@L1", "--qty", "15", "--to", "CELLCO").exit_code == 0
    rows = cli("where", "CELL@L1", "--json").json()
    assert {(r["location_path"], r["qty"], r["status"], r["supplier"]) for r in rows} == {
        ("WH/A1", 25, "in_stock", None),
        ("SUPPLIER", 15, "returned_to_supplier", "CELLCO"),
    }
    assert _value(cli) == pytest.approx(before - 12.5 - 30)
    last = cli("history", "PCB:SN001", "--json").json()[-1]
    assert (last["kind"], last["party"], last["note"]) == ("supplier_return", "CELLCO", "faulty")
    assert cli("verify").exit_code == 0


def test_held_stock_may_go_back_to_its_supplier(stocked: Cli) -> None:
    cli = stocked
    opened = cli("recall", "open", "CELL@L1", "PCB:SN002", "--reason", "bad cells", "--json")
    assert opened.exit_code == 0, opened.stderr
    out = cli("return-to-supplier", "PCB:SN002", "CELL@L1", "--to", "CELLCO", "--json")
    assert out.exit_code == 0, out.stderr
    assert len(out.json()["lines"]) == 2
    assert cli("where", "PCB:SN002", "--json").json()[0]["status"] == "returned_to_supplier"
    rows = cli("where", "CELL@L1", "--json").json()
    assert [(r["location"], r["qty"]) for r in rows] == [("SUPPLIER", 40)]
    affected = cli("trace", "forward", "CELL@L1", "--json").json()["affected"]
    assert {(r["lot"], r["status"], r["supplier"]) for r in affected} == {
        ("L1", "returned_to_supplier", "CELLCO")
    }
    assert cli("verify").exit_code == 0


def test_refusals_change_nothing(stocked: Cli, refused) -> None:
    cli = stocked
    refused("return-to-supplier", "PCB:SN001", "--to", "ACME", match="not a supplier")
    refused("return-to-supplier", "PCB:SN001", "--to", "NOBODY", match="unknown supplier")
    refused("return-to-supplier", "CELL@L1", "--qty", "41", "--to", "CELLCO", match="not enough")
    refused("return-to-supplier", "SCREW", "--to", "CELLCO", match="give --qty")
    assert cli("ship", "PCB:SN003", "--to", "ACME").exit_code == 0
    refused("return-to-supplier", "PCB:SN003", "--to", "CELLCO", match="already shipped to ACME")
    assert cli("return-to-supplier", "PCB:SN004", "--to", "CELLCO").exit_code == 0
    refused("return-to-supplier", "PCB:SN004", "--to", "CELLCO", match="already returned")
    refused("return-to-supplier", "PCB:SN005", "PCB:SN004", "--to", "CELLCO", match="PCB:SN004")
    assert cli("where", "PCB:SN005", "--json").json()[0]["status"] == "in_stock"
    assert cli("verify").exit_code == 0


@pytest.fixture
def client(stocked: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with tracelot.connect(db_url) as tl:
        tl.add_user("op", role="operator")
        tl.add_user("viewer", role="viewer")
        tokens = {name: tl.create_token(name)["token"] for name in ("op", "viewer")}
    with TestClient(create_app(Settings(database_url=db_url))) as api:
        yield api, {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def test_the_api_returns_to_a_supplier_for_an_operator(client, stocked: Cli) -> None:
    api, headers = client
    url = f"{PREFIX}/operations/return-to-supplier"
    body = {"refs": ["SCREW"], "to": "CELLCO", "qty": 10, "from": "A1", "reason": "wrong size"}
    assert api.post(url, json=body, headers=headers["viewer"]).status_code == 403
    answer = api.post(url, json=body, headers=headers["op"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "supplier_return"
    too_much = api.post(url, json={**body, "qty": 1000}, headers=headers["op"])
    assert too_much.status_code == 409, too_much.text
    not_supplier = api.post(url, json={**body, "to": "ACME"}, headers=headers["op"])
    assert not_supplier.status_code in (404, 409, 422), not_supplier.text
    rows = stocked("stock", "--item", "SCREW", "--json").json()
    assert [(r["location_path"], r["qty"]) for r in rows] == [("WH/A1", 90)]
    assert stocked("verify").exit_code == 0
