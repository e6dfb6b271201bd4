"""Transfers between sites with the stock in transit (issue 19, point 5): sent, the stock
leaves the source's available stock and sits in transit (still counted, visible in
`where` with its transfer, from, to and since); received at the destination all at once,
in parts or by scanning, with what never arrived booked as a difference. Through the
CLI, the API and the Python API; refusals change nothing; `verify` stays clean."""

import threading
from collections.abc import Callable, Iterator

import pytest
from conftest import Cli, Outcome, from_state
from fastapi.testclient import TestClient

import tracelot
from tracelot.domain.errors import TracelotError
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"
GTIN = "09506000134352"


@pytest.fixture
def two_sites(setup_basics: Cli, db_url: str, tmp_path_factory) -> Cli:
    """The basic world with stock at WH, and a second warehouse WH2 with bins B1, B2."""
    from_state("two_sites", db_url, tmp_path_factory, lambda: _two_sites(setup_basics))
    return setup_basics


def _two_sites(cli: Cli) -> None:
    for args in [
        ("location", "add", "WH2", "--kind", "warehouse", "--name", "North"),
        ("location", "add", "B1", "--parent", "WH2"),
        ("location", "add", "B2", "--parent", "WH2"),
        ("item", "gtin", "add", "PCB", GTIN),
        ("receive", "PCB", "--to", "A1", "--serials", "S1..S5", "--supplier", "CELLCO"),
        ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "60", "--expires", "2099-01-01"),
        ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "40"),
        ("receive", "CELL", "--to", "A1", "--lot", "OLD", "--qty", "5", "--expires", "2020-01-01"),
        ("receive", "SCREW", "--to", "A2", "--qty", "1000"),
    ]:
        out = cli(*args)
        assert out.exit_code == 0, out.stderr


def _ok(out: Outcome) -> Outcome:
    assert out.exit_code == 0, out.stderr
    return out


def _value(cli: Cli) -> float:
    return _ok(cli("valuation", "--json")).json()["total"]["value"]


def _available_at(cli: Cli, item: str, site: str) -> float:
    rows = _ok(cli("stock", "--item", item, "--location", site, "--json")).json()
    return sum(r["qty"] for r in rows)


def test_sent_stock_is_in_transit_counted_and_where_names_the_transfer(two_sites: Cli) -> None:
    cli = two_sites
    before = _value(cli)
    sent = _ok(cli("transfer", "PCB:S1", "PCB:S2", "CELL@L1=70", "SCREW", "--qty", "100",
                   "--from", "WH", "--to", "WH2", "--carrier", "DHL", "--reference", "TR-9",
                   "--json")).json()  # fmt: skip
    assert (sent["transfer"], sent["status"], sent["from"], sent["to"]) == (1, "open", "WH", "WH2")
    assert (sent["kind"], sent["carrier"], sent["reference"]) == ("transfer", "DHL", "TR-9")
    assert {(ln["item"], ln["from"], ln["to"], ln["qty"]) for ln in sent["lines"]} == {
        ("PCB", "WH/A1", "TRANSIT", 2),
        ("CELL", "WH/A1", "TRANSIT", 60),  # first expiry first: A1's L1 ends 2099
        ("CELL", "WH/A2", "TRANSIT", 10),
        ("SCREW", "WH/A2", "TRANSIT", 100),
    }
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (unit["status"], unit["transfer"], unit["from"], unit["to"]) == (
        "in_transit", 1, "WH", "WH2",
    )  # fmt: skip
    assert unit["since"] == sent["occurred_at"]
    table = _ok(cli("where", "PCB:S1")).stdout
    assert "in_transit" in table and "WH2" in table
    lot = {(r["location_path"], r["status"], r.get("transfer")): r["qty"]
           for r in _ok(cli("where", "CELL@L1", "--json")).json()}  # fmt: skip
    assert lot == {("TRANSIT", "in_transit", 1): 70, ("WH/A2", "in_stock", None): 30}
    assert _available_at(cli, "CELL", "WH") == 35  # 30 of L1, 5 of the expired OLD
    assert _available_at(cli, "SCREW", "WH") == 900
    assert _value(cli) == pytest.approx(before)  # still ours, still counted
    stock = _ok(cli("stock", "--item", "SCREW", "--json")).json()
    assert {(r["location_path"], r["status"]) for r in stock} == {
        ("WH/A2", "in_stock"), ("TRANSIT", "in_transit"),
    }  # fmt: skip
    listed = _ok(cli("transfer", "list", "--json")).json()
    assert [(r["transfer"], r["carrier"], r["lines"], r["in_transit"], r["age_hours"])
            for r in listed] == [(1, "DHL", 4, 172, 0)]  # fmt: skip
    assert "DHL" in _ok(cli("transfer", "list")).stdout
    # in transit: not at any site, so not to ship, move or pick
    for args, why in [
        (("ship", "PCB:S1", "--to", "ACME"), "in_transit"),
        (("move", "PCB:S1", "--to", "A2"), "in_transit"),
        (("ship", "SCREW", "--to", "ACME", "--qty", "950"), "not enough"),
        (("move", "SCREW", "--to", "TRANSIT", "--qty", "1", "--from", "A2"), "in transit"),
        (("receive", "SCREW", "--to", "TRANSIT", "--qty", "1"), "in transit"),
    ]:
        out = cli(*args)
        assert out.exit_code == 1 and why in out.stderr, (args, out.stderr)
    assert _ok(cli("verify")).exit_code == 0


def test_received_in_parts_and_completed_with_the_difference_booked(two_sites: Cli) -> None:
    cli = two_sites
    before = _value(cli)
    _ok(cli("transfer", "PCB:S1", "PCB:S2", "CELL@L1=50", "--from", "WH", "--to", "WH2"))
    part = _ok(cli("transfer", "receive", "1", "CELL@L1=30", f"(01){GTIN}(21)S1", "--to", "B1",
                   "--json", user="north")).json()  # fmt: skip
    assert (part["kind"], part["status"], part["user"], part["differences"]) == (
        "transfer_receive", "open", "north", [],
    )  # fmt: skip
    assert {(ln["item"], ln["from"], ln["to"], ln["qty"]) for ln in part["lines"]} == {
        ("PCB", "TRANSIT", "WH2/B1", 1),
        ("CELL", "TRANSIT", "WH2/B1", 30),
    }
    assert [(o["item"], o["lot"], o["serial"], o["outstanding"]) for o in part["outstanding"]] == [
        ("CELL", "L1", None, 20),
        ("PCB", None, "S2", 1),
    ]
    assert _ok(cli("where", "PCB:S1", "--json")).json()[0]["location_path"] == "WH2/B1"
    last = _ok(cli("transfer", "receive", "1", "CELL@L1", "--qty", "15", "--complete", "--to",
                   "B2", "--json")).json()  # fmt: skip
    assert last["status"] == "received"
    assert [(d["item"], d["lot"], d["serial"], d["sent"], d["received"], d["missing"])
            for d in last["differences"]] == [
        ("CELL", "L1", None, 50, 45, 5),
        ("PCB", None, "S2", 1, 0, 1),
    ]  # fmt: skip
    assert {(ln["item"], ln["to"], ln["qty"]) for ln in last["lines"]} == {
        ("CELL", "WH2/B2", 15),
        ("CELL", "ADJUSTMENT", 5),
        ("PCB", "ADJUSTMENT", 1),
    }
    text = _ok(cli("transfer", "show", "1")).stdout
    assert "received" in text and "S2" in text
    shown = _ok(cli("transfer", "show", "1", "--json")).json()
    assert len(shown["receipts"]) == 2 and shown["closed_operation"] == last["id"]
    assert _ok(cli("where", "PCB:S2", "--json")).json()[0]["status"] == "adjusted_out"
    assert _value(cli) == pytest.approx(before - 12.5 - 5 * 2)  # what was lost left stock
    assert _ok(cli("transfer", "list", "--json")).json() == []
    assert [r["status"] for r in _ok(cli("transfer", "list", "--all", "--json")).json()] == [
        "received"
    ]
    assert _ok(cli("verify")).exit_code == 0


def test_received_whole_and_numbered_like_recalls(two_sites: Cli) -> None:
    cli = two_sites
    for serial in ("S1", "S2", "S3"):
        _ok(cli("transfer", f"PCB:{serial}", "--from", "A1", "--to", "WH2"))
    assert [r["transfer"] for r in _ok(cli("transfer", "list", "--json")).json()] == [1, 2, 3]
    done = _ok(cli("transfer", "receive", "2", "--json")).json()
    assert (done["status"], done["differences"], done["outstanding"]) == ("received", [], [])
    assert _ok(cli("where", "PCB:S2", "--json")).json()[0]["location_path"] == "WH2"
    nothing = _ok(cli("transfer", "receive", "3", "--complete", "--json")).json()
    assert [d["serial"] for d in nothing["differences"]] == ["S3"]
    assert _ok(cli("verify")).exit_code == 0


def test_the_python_api_and_an_epcis_export_of_transfers(two_sites: Cli, tl) -> None:
    sent = tl.transfer("PCB:S4", "CELL@L1", from_="WH", to="WH2", qty=5, carrier="van")
    assert sent["transfer"] == 1 and tl.transfers()[0]["carrier"] == "van"
    got = tl.transfer_receive(1, "PCB:S4", to="B1")
    assert got["status"] == "open"
    assert tl.transfer_show(1)["lines"][0]["outstanding"] == 5
    tl.transfer_receive(1)
    assert tl.transfer_show(1)["status"] == "received"
    assert tl.epcis_export()  # transfers are moves on the ledger: exported as such
    assert tl.verify().ok


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("transfer", "PCB:S1", "--from", "WH", "--to", "WH"), "same site"),
        (("transfer", "PCB:S1", "--from", "WH", "--to", "A1"), "same site"),
        (("transfer", "PCB:S1", "--from", "WH2", "--to", "WH"), "not at site WH2"),
        (("transfer", "PCB:S3", "--from", "WH", "--to", "WH2"), "held"),
        (("transfer", "CELL@OLD", "--from", "WH", "--to", "WH2", "--qty", "1"), "expired"),
        (("transfer", "CELL@L1", "--from", "WH", "--to", "WH2", "--qty", "101"), "not enough"),
        (("transfer", "CELL", "--from", "WH", "--to", "WH2", "--qty", "1"), "lot-tracked"),
        (("transfer", "PCB", "--from", "WH", "--to", "WH2"), "serial-tracked"),
        (("transfer", "PCB:S1", "PCB:S1", "--from", "WH", "--to", "WH2"), "named twice"),
        (("transfer", "PCB:S9", "--from", "WH", "--to", "WH2"), "unknown unit"),
        (("transfer", "PCB:S1", "--from", "WH", "--to", "NOWHERE"), "unknown location"),
        (("transfer", "PCB:S1", "--from", "WH", "--to", "SUPPLIER"), "virtual"),
        (("transfer", "SCREW", "--from", "WH", "--to", "WH2", "--qty", "-1"), "quantity"),
        (("transfer", "receive", "9"), "no transfer 9"),
        (("transfer", "receive", "1", "--to", "A1"), "receive it there"),
        (("transfer", "receive", "1", "CELL@L1=11"), "only 10"),
        (("transfer", "receive", "1", "PCB:S2"), "not on transfer 1"),
        (("transfer", "receive", "1", "CELL"), "name the lots or units"),
        (("transfer", "receive", "1", "--qty", "1"), "name them"),
        (("transfer", "receive", "2"), "received already"),
        (("transfer", "receive", "0"), "from 1"),
        (("move", "PCB:S1", "--to", "TRANSIT"), "in transit"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    two_sites: Cli, refused: Callable[..., Outcome], args: tuple[str, ...], match: str
) -> None:
    cli = two_sites
    _ok(cli("hold", "PCB:S3", "--reason", "suspect"))
    _ok(cli("transfer", "PCB:S5", "CELL@L1=10", "--from", "WH", "--to", "WH2"))  # transfer 1
    _ok(cli("transfer", "PCB:S4", "--from", "WH", "--to", "WH2"))
    _ok(cli("transfer", "receive", "2"))  # transfer 2, received
    refused(*args, match=match)


def test_two_receipts_of_one_transfer_at_once_leave_one_winner(two_sites: Cli, db_url: str) -> None:
    cli = two_sites
    _ok(cli("transfer", "PCB:S1", "PCB:S2", "--from", "WH", "--to", "WH2"))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def receive(bin_: str) -> None:
        with tracelot.connect(db_url, user=f"at-{bin_}") as tl:
            start.wait()
            try:
                tl.transfer_receive(1, to=bin_)
                outcomes.append("ok")
            except TracelotError as exc:
                outcomes.append(exc.message)

    threads = [threading.Thread(target=receive, args=(b,)) for b in ("B1", "B2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and len(outcomes) == 2, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert "received already" in loser or "conflict" in loser
    places = {
        _ok(cli("where", f"PCB:{s}", "--json")).json()[0]["location_path"] for s in ("S1", "S2")
    }
    assert len(places) == 1
    assert _ok(cli("verify")).exit_code == 0


@pytest.fixture
def api(two_sites: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with tracelot.connect(db_url) as tl:
        tokens = {}
        for role in ("viewer", "operator", "quality"):
            tl.add_user(f"u_{role}", role=role)
            tokens[role] = tl.create_token(f"u_{role}")["token"]
    app = create_app(Settings(database_url=db_url))
    with TestClient(app) as client:
        yield client, {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}


def test_over_http_operators_send_and_receive_and_everyone_reads(api, db_url: str) -> None:
    client, auth = api
    body = {"refs": ["PCB:S1", "CELL@L1=20"], "from": "WH", "to": "WH2", "carrier": "DHL"}
    assert client.post(f"{PREFIX}/transfers", json=body, headers=auth["quality"]).status_code == 403
    sent = client.post(f"{PREFIX}/transfers", json=body,
                       headers=auth["operator"] | {"Idempotency-Key": "tr-1"})  # fmt: skip
    assert sent.status_code == 201, sent.json()
    assert (sent.json()["transfer"], sent.json()["status"]) == (1, "open")
    again = client.post(f"{PREFIX}/transfers", json=body,
                        headers=auth["operator"] | {"Idempotency-Key": "tr-1"})  # fmt: skip
    assert again.status_code == 201 and again.json() == sent.json()  # done once
    listed = client.get(f"{PREFIX}/transfers", headers=auth["viewer"]).json()
    assert [r["transfer"] for r in listed] == [1]
    where = client.get(f"{PREFIX}/where", params={"ref": "PCB:S1"}, headers=auth["viewer"])
    assert where.json()[0]["status"] == "in_transit"
    too_much = client.post(f"{PREFIX}/transfers/1/receive", headers=auth["operator"],
                           json={"refs": ["CELL@L1"], "qty": 21})  # fmt: skip
    assert too_much.status_code == 422 and "only 20" in too_much.json()["detail"]
    bad = client.post(f"{PREFIX}/transfers/1/receive", headers=auth["operator"],
                      json={"refs": ["CELL@L1"], "qty": -3})  # fmt: skip
    assert bad.status_code == 422
    last = {"refs": ["CELL@L1=18", "PCB:S1"], "to": "B2", "complete": True}
    got = client.post(f"{PREFIX}/transfers/1/receive", headers=auth["operator"], json=last)
    assert got.status_code == 201, got.json()
    assert [(d["lot"], d["missing"]) for d in got.json()["differences"]] == [("L1", 2)]
    shown = client.get(f"{PREFIX}/transfers/1", headers=auth["viewer"]).json()
    assert shown["status"] == "received"
    assert client.get(f"{PREFIX}/transfers/7", headers=auth["viewer"]).status_code == 404
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:S1")[0]["location_path"] == "WH2/B2"
        assert tl.verify().ok


def test_a_scanner_at_the_destination_feeds_the_receipt(two_sites: Cli) -> None:
    cli = two_sites
    _ok(cli("transfer", "PCB:S1", "PCB:S2", "CELL@L1=10", "--from", "WH", "--to", "WH2"))
    scans = f"(01){GTIN}(21)S1\n\nCELL@L1=4\n"  # a keyboard-wedge scanner: one a line
    done = _ok(cli("transfer", "receive", "1", "-", "--to", "B1", "--json", input=scans)).json()
    assert {(ln["item"], ln["qty"]) for ln in done["lines"]} == {("PCB", 1), ("CELL", 4)}
    assert [(o["item"], o["outstanding"]) for o in done["outstanding"]] == [("CELL", 6), ("PCB", 1)]
    text = _ok(cli("transfer", "receive", "1", "--complete")).stdout
    assert "missing 6 CELL@L1" in text and "missing 1 PCB:S2" in text


def test_a_recall_holds_stock_in_transit_and_it_arrives_held(two_sites: Cli) -> None:
    cli = two_sites
    _ok(cli("transfer", "PCB:S1", "CELL@L1=10", "--from", "WH", "--to", "WH2"))
    opened = _ok(cli("recall", "open", "PCB:S1", "CELL@L1", "--reason", "bad batch", "--json"))
    recall = opened.json()["recall"]
    items = {(r["item"], r["status"]): r for r in _ok(cli("recall", "show", str(recall),
                                                          "--json")).json()["items"]}  # fmt: skip
    assert items[("PCB", "in_transit")]["needs_action"] is True
    assert _ok(cli("where", "PCB:S1", "--json")).json()[0]["held"] is True
    _ok(cli("transfer", "receive", "1", "--to", "B1"))
    unit = _ok(cli("where", "PCB:S1", "--json")).json()[0]
    assert (unit["location_path"], unit["held"]) == ("WH2/B1", True)
    assert cli("ship", "PCB:S1", "--to", "ACME").exit_code == 1
    assert _ok(cli("verify")).exit_code == 0


def test_a_unit_in_transit_cannot_be_counted(two_sites: Cli, refused) -> None:
    # a count at the source would book it out of transit, and the transfer never arrive
    cli = two_sites
    _ok(cli("transfer", "PCB:S1", "--from", "WH", "--to", "WH2"))
    _ok(cli("count", "start", "--at", "WH", "--item", "PCB"))
    refused("count", "scan", "1", "--at", "A1", "PCB:S1", match="in transit")
    _ok(cli("transfer", "receive", "1", "--to", "B1"))
    assert _ok(cli("verify", "--json")).json()["ok"]
