"""Recall dispositions that act, marked in bulk: through the CLI and the API."""

from conftest import Cli
from fastapi.testclient import TestClient

import tracelot
from tracelot.server import Settings, create_app


def _opened(cli: Cli) -> dict:
    out = cli("recall", "open", "CELL@L1", "--reason", "swelling", "--quarantine", "QUAR", "--json")
    assert out.exit_code == 0, out.stderr
    return out.json()


def test_show_counts_by_customer_and_by_disposition(shipped_world: Cli) -> None:
    recall = _opened(shipped_world)
    assert recall["by_customer"] == {"ACME": 2, "GLOBEX": 1}
    assert recall["by_disposition"] == {"open": 5}


def test_marking_many_references_at_once_in_one_operation(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    _opened(cli)
    refused("recall", "mark", "1", "DEV:D2", "DEV:D9", "--as", "located", match="not in recall")
    refused("recall", "mark", "1", "--as", "located", match="name what to mark")
    out = cli("recall", "mark", "1", "DEV:D2", "DEV:D3", "--as", "located", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["by_disposition"] == {"located": 2, "open": 3}


def test_marking_scans_read_from_standard_input(shipped_world: Cli) -> None:
    cli = shipped_world
    _opened(cli)
    out = cli("recall", "mark", "1", "-", "--as", "located", "--json", input="DEV:D1\n\nDEV:D2\n")
    assert out.exit_code == 0, out.stderr
    assert out.json()["by_disposition"] == {"located": 2, "open": 3}
    marked = {i["serial"] for i in out.json()["items"] if i["disposition"] == "located"}
    assert marked == {"D1", "D2"}


def test_reworked_names_the_repair_that_reworked_it(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    _opened(cli)
    refused("recall", "mark", "1", "DEV:D4", "--as", "reworked", match="give --operation")
    refused("recall", "mark", "1", "DEV:D4", "--as", "reworked", "--operation", "9999",
            match="no operation 9999")  # fmt: skip
    refused("recall", "mark", "1", "DEV:D4", "--as", "located", "--operation", "1",
            match="of reworked only")  # fmt: skip
    ship = cli("history", "DEV:D1", "--json").json()[-1]["operation"]
    refused("recall", "mark", "1", "DEV:D4", "--as", "reworked", "--operation", str(ship),
            match="not a repair")  # fmt: skip
    cli("build", "PACK", "--to", "QUAR", "--serial", "P5", "--consume", "CELL@L9=4")
    out = cli("replace", "DEV:D4", "--remove", "PACK:P4", "--install", "PACK:P5", "--json")
    assert out.exit_code == 0, out.stderr
    repair = str(out.json()["id"])
    refused("recall", "mark", "1", "DEV:D4", "DEV:D3", "--as", "reworked", "--operation", repair,
            match="did not rework DEV:D3")  # fmt: skip
    out = cli("recall", "mark", "1", "DEV:D4", "--as", "reworked", "--operation", repair, "--json")
    assert out.exit_code == 0, out.stderr
    (d4,) = [i for i in out.json()["items"] if i["serial"] == "D4"]
    assert (d4["disposition"], d4["rework_operation"]) == ("reworked", int(repair))
    assert cli("where", "DEV:D4", "--json").json()[0]["held"] is True  # until cleared
    assert cli("verify").exit_code == 0


def test_marking_by_customer_and_by_location(shipped_world: Cli) -> None:
    cli = shipped_world
    _opened(cli)
    out = cli("recall", "mark", "1", "--customer", "ACME", "--as", "located", "--json")
    assert out.exit_code == 0, out.stderr
    items = {(i["serial"], i["disposition"]) for i in out.json()["items"] if i["serial"]}
    assert {("D1", "located"), ("D2", "located")} <= items and ("D3", None) in items
    out = cli("recall", "mark", "1", "--at", "QUAR", "--as", "cleared", "--json")
    assert out.exit_code == 0, out.stderr
    assert cli("where", "DEV:D4", "--json").json()[0]["held"] is False


def test_returned_is_refused_for_a_unit_still_at_the_customer(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    _opened(cli)
    refused("recall", "mark", "1", "DEV:D3", "--as", "returned", match="still at the customer")
    assert cli("return", "DEV:D3", "--from", "GLOBEX", "--to", "QUAR").exit_code == 0
    assert cli("recall", "mark", "1", "DEV:D3", "--as", "returned").exit_code == 0
    assert cli("where", "DEV:D3", "--json").json()[0]["held"] is True


def test_scrapped_scraps_what_is_on_hand_and_stays_scrapped(shipped_world: Cli) -> None:
    cli = shipped_world
    _opened(cli)
    out = cli("recall", "mark", "1", "CELL@L1", "DEV:D4", "--as", "scrapped")
    assert out.exit_code == 0, out.stderr
    assert cli("where", "DEV:D4", "--json").json()[0]["status"] == "scrapped"
    cells = cli("where", "CELL@L1", "--json").json()
    assert [(c["location"], c["qty"]) for c in cells if c["status"] == "scrapped"] == [
        ("SCRAP", 24)
    ]
    assert "scrap" in [h["kind"] for h in cli("history", "DEV:D4", "--json").json()]
    closed = cli("recall", "close", "1", "--force", "--reason", "done")
    assert closed.exit_code == 0, closed.stderr
    assert cli("where", "DEV:D4", "--json").json()[0]["status"] == "scrapped"
    assert cli("verify").exit_code == 0


def test_the_api_marks_refs_or_one_ref(shipped_world: Cli, db_url: str) -> None:
    _opened(shipped_world)
    with tracelot.connect(db_url) as tl:
        tl.add_user("qa", role="quality")
        token = tl.create_token("qa")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        url = "/api/v1/recalls/1/marks"
        both = client.post(
            url, json={"refs": ["DEV:D1", "DEV:D2"], "disposition": "located"}, headers=headers
        )
        assert both.status_code == 200, both.text
        one = client.post(url, json={"ref": "DEV:D3", "disposition": "located"}, headers=headers)
        assert one.status_code == 200, one.text
        assert one.json()["by_disposition"] == {"located": 3, "open": 2}
        bad = client.post(
            url, json={"ref": "DEV:D4", "disposition": "reworked", "operation": 1}, headers=headers
        )
        assert bad.status_code == 422 and "not a repair" in bad.json()["detail"], bad.text


def test_returned_to_supplier_sends_the_stock_back(shipped_world: Cli, refused) -> None:
    cli = shipped_world
    out = cli("recall", "open", "--supplier", "CELLCO", "--supplier-lot", "CC-9", "--reason", "bad")
    assert out.exit_code == 0, out.stderr
    refused("recall", "mark", "1", "CELL@L1", "--as", "returned-to-supplier", "--to", "ACME",
            match="not a supplier")  # fmt: skip
    out = cli("recall", "mark", "1", "CELL@L1", "--as", "returned-to-supplier", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["by_disposition"]["returned-to-supplier"] == 1
    cells = cli("where", "CELL@L1", "--json").json()
    assert [(c["status"], c["supplier"], c["qty"]) for c in cells if c["supplier"]] == [
        ("returned_to_supplier", "CELLCO", 24)
    ]
    assert cli("verify").exit_code == 0


def test_returned_to_supplier_of_a_recall_by_reference_needs_to(
    shipped_world: Cli, refused
) -> None:
    cli = shipped_world
    _opened(cli)
    refused("recall", "mark", "1", "CELL@L1", "--as", "returned-to-supplier", match="give --to")
    out = cli("recall", "mark", "1", "CELL@L1", "--as", "returned-to-supplier", "--to", "CELLCO")
    assert out.exit_code == 0, out.stderr
