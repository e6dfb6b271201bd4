"""Stock counts by scanning (issue 19, point 1): started, scanned into by several counters,
shown with variances and their values, posted once as one operation, reconciled by time
when stock moves during the count, blind for counters, reported for the auditor; through
the command line, the API and the Python API, with bad input refused and nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import Cli, snapshot
from fastapi.testclient import TestClient

import tracelot
from tracelot.domain.errors import Conflict, InvalidInput, WrongKind
from tracelot.server import Settings, create_app

PREFIX = "/api/v1"


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    """PCB SN01..SN05 in A1, SN06 in QUAR (outside WH), a lot of 100 cells and 50 screws
    in A2."""
    cli = setup_basics
    for args in [
        ("receive", "PCB", "--to", "A1", "--serials", "SN01..SN05"),
        ("receive", "PCB", "--to", "QUAR", "--serials", "SN06"),
        ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "100"),
        ("receive", "SCREW", "--to", "A2", "--qty", "50"),
    ]:
        done = cli(*args)
        assert done.exit_code == 0, done.stderr
    return cli


def _verify_clean(db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        assert tl.verify().problems == []


def test_a_count_scanned_by_the_command_line_shows_variances_and_posts_them_once(
    stocked: Cli, db_url: str
) -> None:
    cli = stocked
    started = cli("count", "start", "--at", "WH", "--json")
    assert started.exit_code == 0, started.stderr
    n = started.json()["count"]
    assert started.json()["status"] == "open" and started.json()["location"] == "WH"
    scans = "A1\nPCB:SN01\nPCB:SN02\nPCB:SN06\nA2\nPCB:SN03\nCELL@L1=90\nSCREW=55\n"
    scanned = cli("scan", "--then", "count", str(n), "--json", input=scans)
    assert scanned.exit_code == 0, scanned.stderr
    lines = [line for line in scanned.stdout.splitlines() if line]
    assert len(lines) == 8
    shown = cli("count", "show", str(n), "--json").json()
    assert [m["serial"] for m in shown["missing"]] == ["SN04", "SN05"]
    assert all(m["value"] == 12.5 for m in shown["missing"])
    found = {f["serial"]: f for f in shown["found"]}
    assert found["SN06"]["ledger_location"] == "QUAR" and found["SN06"]["location"] == "A1"
    assert found["SN03"]["ledger_location"] == "A1" and found["SN03"]["location"] == "A2"
    quantities = {(q["item"], q["lot"]): q for q in shown["quantities"]}
    assert quantities[("CELL", "L1")]["difference"] == -10
    assert quantities[("CELL", "L1")]["value"] == -20
    assert quantities[("SCREW", None)]["difference"] == 5
    assert quantities[("SCREW", None)]["value"] == 0.05
    by_item = {r["item"]: r for r in shown["by_item"]}
    assert by_item["PCB"]["difference"] == -2 and by_item["PCB"]["value"] == -25
    posted = cli("count", "post", str(n), "--json", user="qa")
    assert posted.exit_code == 0, posted.stderr
    op = posted.json()["operation"]
    assert posted.json()["status"] == "posted" and op
    history = cli("history", "PCB:SN06", "--json").json()
    assert history[-1]["operation"] == op
    where = {r["serial"]: r["location"] for r in cli("stock", "--serials", "--json").json()
             if r["item"] == "PCB"}  # fmt: skip
    assert where == {"SN01": "A1", "SN02": "A1", "SN03": "A2", "SN06": "A1"}
    stock = {(r["item"], r["location"]): r["qty"] for r in cli("stock", "--json").json()}
    assert stock[("CELL", "A2")] == 90 and stock[("SCREW", "A2")] == 55
    again = cli("count", "post", str(n))
    assert again.exit_code == 1 and "posted already" in again.stderr
    listed = cli("count", "list", "--json").json()
    assert listed[0]["count"] == n and listed[0]["status"] == "posted"
    # what was booked stays as it was, whatever moves later
    cli("move", "PCB:SN01", "--to", "QUAR")
    assert cli("count", "show", str(n), "--json").json()["missing"] == shown["missing"]
    _verify_clean(db_url)


def test_stock_moved_during_a_count_is_judged_by_the_ledger_at_its_scan(
    stocked: Cli, db_url: str
) -> None:
    assert stocked("stock").exit_code == 0
    with tracelot.connect(db_url, user="counter") as tl:
        n = tl.count_start("WH")["count"]
        # moved out before it was counted: not missing
        tl.move("PCB:SN05", to="QUAR")
        # counted, then moved out: present, and not found again or missing
        tl.count_scan(n, ["PCB:SN01"], at="A1")
        tl.move("PCB:SN01", to="QUAR")
        # moved in from outside, then counted where it now is: present, not found
        tl.move("PCB:SN06", to="A2")
        tl.count_scan(n, ["PCB:SN06"], at="A2")
        # 20 cells taken after 100 were counted: no difference
        tl.count_scan(n, ["CELL@L1=100"], at="A2")
        tl.move("CELL@L1", to="QUAR", qty=20)
        # 10 screws taken before they were counted, 40 counted: no difference
        tl.move("SCREW", to="QUAR", qty=10)
        tl.count_scan(n, ["SCREW=40"], at="A2")
        tl.count_scan(n, ["A1", "PCB:SN02", "PCB:SN03", "PCB:SN04"])
        shown = tl.count_show(n, reveal=True)
        assert shown["missing"] == [] and shown["found"] == []
        assert all(q["difference"] == 0 for q in shown["quantities"])
        assert {m["serial"] for m in shown["moved"]} == {"SN05"}
        posted = tl.count_post(n)
        assert posted["operation"] is None and posted["status"] == "posted"
        stock = {(r["item"], r["location"]): r["qty"] for r in tl.stock()}
        assert stock[("CELL", "A2")] == 80 and stock[("SCREW", "A2")] == 40
    _verify_clean(db_url)


def test_several_counters_on_different_bins_of_one_count(stocked: Cli, db_url: str) -> None:
    stocked("count", "start", "--at", "WH")
    first = stocked("count", "scan", "1", "PCB:SN01", "PCB:SN02", "--at", "A1", user="ann")
    second = stocked("count", "scan", "1", "A2", "CELL@L1=60", "CELL@L1=40", user="bob")
    assert first.exit_code == 0 and second.exit_code == 0, (first.stderr, second.stderr)
    shown = stocked("count", "show", "1", "--json").json()
    assert shown["counters"] == 2 and shown["scans"] == 4
    cells = [q for q in shown["quantities"] if q["item"] == "CELL"]
    assert cells[0]["counted"] == 100 and cells[0]["difference"] == 0


def test_bad_scans_and_bad_counts_are_refused_and_change_nothing(stocked: Cli, refused) -> None:
    stocked("count", "start", "--at", "WH", "--item", "PCB")
    stocked("count", "scan", "1", "PCB:SN01", "--at", "A1")
    refused("count", "scan", "1", "PCB:SN01", match="counted already")
    refused("count", "scan", "1", "PCB:SN02", "PCB:SN02", match="scanned twice")
    refused("count", "scan", "1", "CELL@L1=5", match="not counted in count 1")
    refused("count", "scan", "1", "PCB:SN02", "--at", "LINE", match="not in count 1")
    refused("count", "scan", "1", "PCB:NOPE", match="NOPE")
    refused("count", "scan", "9", "PCB:SN02", match="no count 9")
    refused("count", "start", "--at", "A1", match="count 1 of WH is open")
    refused("count", "start", "--at", "NOWHERE", match="NOWHERE")
    refused("count", "start", "--at", "SCRAP", match="virtual")
    refused("count", "start", "--at", "A2", "--item", "NOPE", match="NOPE")
    refused("count", "show", "7", match="no count 7")
    refused("count", "post", "7", match="no count 7")
    # a whole list is refused for one bad scan in it
    refused("count", "scan", "1", "PCB:SN02", "PCB:SN03=2", match="one unit")
    stocked("count", "start", "--at", "QUAR")
    refused("count", "scan", "2", "CELL@L1", match="how many")
    refused("count", "scan", "2", "CELL=5", match="lot-tracked")
    refused("count", "scan", "2", "PCB=5", match="serial-tracked")
    stocked("count", "post", "2")
    refused("count", "scan", "2", "SCREW=1", match="posted")
    scan = stocked("scan", "--then", "count", "x", input="PCB:SN02\n")
    assert scan.exit_code == 2


def test_a_blind_count_hides_expected_figures_from_counters_not_from_the_poster(
    stocked: Cli, db_url: str
) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk", role="operator")
        tl.add_user("qa", role="quality")
    started = stocked("count", "start", "--at", "A1", "--blind", "--json", user="clerk")
    assert started.json()["hidden"] is True and "missing" not in started.json()
    stocked("count", "scan", "1", "PCB:SN01", user="clerk")
    counter = stocked("count", "show", "1", "--json", user="clerk").json()
    assert counter["hidden"] is True and "missing" not in counter and "by_item" not in counter
    assert counter["counted"][0]["qty"] == 1
    poster = stocked("count", "show", "1", "--json", user="qa").json()
    assert poster["hidden"] is False and len(poster["missing"]) == 4


@pytest.fixture
def api(stocked: Cli, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    with tracelot.connect(db_url) as tl:
        heads = {}
        for role in ("viewer", "operator", "quality"):
            tl.add_user(f"u_{role}", role=role)
            heads[role] = {"Authorization": f"Bearer {tl.create_token(f'u_{role}')['token']}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        yield client, heads


def test_counts_over_http_by_operators_posted_by_quality(api, db_url: str) -> None:
    client, heads = api
    op, qa, viewer = heads["operator"], heads["quality"], heads["viewer"]
    started = client.post(f"{PREFIX}/counts", headers=op, json={"at": "WH", "blind": True})
    assert started.status_code == 201, started.json()
    n = started.json()["count"]
    assert started.json()["hidden"] is True
    body = {"scans": ["A1", "PCB:SN01", "PCB:SN02", "A2", "SCREW=50"]}
    scans = client.post(f"{PREFIX}/counts/{n}/scans", headers=op, json=body)
    assert scans.status_code == 201, scans.json()
    assert scans.json()["recorded"] == 3 and scans.json()["scans"][2]["location"] == "A2"
    before = snapshot(db_url)
    bad = client.post(f"{PREFIX}/counts/{n}/scans", headers=op,
                      json={"scans": ["PCB:SN03", "PCB:SN01"]})  # fmt: skip
    assert bad.status_code in (409, 422) and "counted already" in bad.json()["detail"]
    assert snapshot(db_url) == before
    hidden = client.get(f"{PREFIX}/counts/{n}", headers=op).json()
    assert hidden["hidden"] is True and "missing" not in hidden
    assert client.get(f"{PREFIX}/counts/{n}", headers=viewer).json()["hidden"] is True
    shown = client.get(f"{PREFIX}/counts/{n}", headers=qa).json()
    assert [m["serial"] for m in shown["missing"]] == ["SN03", "SN04", "SN05"]
    assert client.post(f"{PREFIX}/counts/{n}/post", headers=op, json={}).status_code == 403
    assert client.get(f"{PREFIX}/counts/{n}/report", headers=op).status_code == 403
    posted = client.post(f"{PREFIX}/counts/{n}/post", headers=qa, json={"note": "Q4"})
    assert posted.status_code == 200, posted.json()
    assert posted.json()["operation"] and posted.json()["total"]["missing"] == 3
    again = client.post(f"{PREFIX}/counts/{n}/post", headers=qa, json={})
    assert again.status_code == 409 and "posted already" in again.json()["detail"]
    csv = client.get(f"{PREFIX}/counts/{n}/report", headers=qa, params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.splitlines()
    assert rows[0].startswith("kind,item,item_name,serial")
    assert sum(r.startswith("missing,PCB") for r in rows) == 3
    pdf = client.get(f"{PREFIX}/counts/{n}/report", headers=qa, params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    listed = client.get(f"{PREFIX}/counts", headers=viewer).json()
    assert listed[0]["count"] == n and listed[0]["status"] == "posted"
    _verify_clean(db_url)


def test_the_report_is_written_as_csv_and_pdf_from_the_command_line(stocked: Cli, tmp_path) -> None:
    stocked("count", "start", "--at", "A2")
    stocked("count", "scan", "1", "CELL@L1=99", "SCREW=50", "--at", "A2")
    stocked("count", "post", "1")
    csv_path, pdf_path = tmp_path / "count.csv", tmp_path / "count.pdf"
    assert stocked("count", "report", "1", "--out", str(csv_path)).exit_code == 0
    lines = csv_path.read_text().splitlines()
    assert lines[1] == "quantity,CELL,Li-ion cell,,L1,A2,WH/A2,,100,99,-1,2,-2"
    assert len(lines) == 2
    done = stocked("count", "report", "1", "--out", str(pdf_path), "--json")
    assert done.json()["format"] == "pdf" and pdf_path.read_bytes().startswith(b"%PDF")


def test_the_python_api_refuses_bad_counts_with_clear_errors(stocked: Cli, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        n = tl.count_start("WH", items=["CELL"])["count"]
        with pytest.raises(WrongKind, match="not counted"):
            tl.count_scan(n, ["SCREW=1"])
        with pytest.raises(InvalidInput, match="greater than zero"):
            tl.count_scan(n, ["CELL@L1=0"])
        tl.count_scan(n, ["CELL@L1=100.5"], at="A2")
        shown = tl.count_show(n)
        assert shown["quantities"][0]["difference"] == Decimal("0.5")
        tl.count_post(n)
        with pytest.raises(Conflict, match="posted already"):
            tl.count_post(n)
        assert tl.verify().problems == []


def test_a_count_is_cancelled_books_nothing_and_takes_no_more_scans(
    stocked: Cli, db_url: str, refused
) -> None:
    stocked("count", "start", "--at", "A1")
    stocked("count", "scan", "1", "PCB:SN01")
    refused("count", "cancel", "1", "--reason", "", match="--reason")
    before = stocked("stock", "--json").json()
    cancelled = stocked("count", "cancel", "1", "--reason", "started on the wrong bin", "--json")
    assert cancelled.exit_code == 0, cancelled.stderr
    shown = cancelled.json()
    assert shown["status"] == "cancelled" and shown["cancel_reason"] == "started on the wrong bin"
    assert stocked("stock", "--json").json() == before
    refused("count", "scan", "1", "PCB:SN02", match="cancelled")
    refused("count", "post", "1", match="cancelled")
    refused("count", "cancel", "1", "--reason", "again", match="cancelled")
    text = stocked("count", "show", "1")
    assert text.exit_code == 0 and "started on the wrong bin" in text.stderr
    assert stocked("count", "show", "1", "--json").json()["counted"][0]["qty"] == 1
    # a cancelled count is no longer open: the place can be counted again
    assert stocked("count", "start", "--at", "WH").exit_code == 0
    stocked("count", "post", "2")
    refused("count", "cancel", "2", "--reason", "too late", match="posted")
    _verify_clean(db_url)


def test_a_unit_scanned_above_its_bin_is_counted_in_its_bin(stocked: Cli, refused) -> None:
    """A counter who scans no bin counts at the count's root: what the ledger has in a bin
    below it is present there, not found at the root; a quantity kept in a bin below must
    be counted at that bin."""
    stocked("count", "start", "--at", "WH")
    # the set-based batch and the scan-by-scan path (a lot in the list) agree
    done = stocked("count", "scan", "1", "PCB:SN01", "PCB:SN02", "--json")
    assert done.exit_code == 0, done.stderr
    assert {s["location"] for s in done.json()["scans"]} == {"A1"}
    mixed = stocked("count", "scan", "1", "PCB:SN03", "A2", "CELL@L1=100", "--json")
    assert mixed.exit_code == 0, mixed.stderr
    assert [s["location"] for s in mixed.json()["scans"]] == ["A1", "A2"]
    refused("count", "scan", "1", "SCREW=50", match="kept below WH (at WH/A2)")
    shown = stocked("count", "show", "1", "--json").json()
    assert shown["found"] == [] and shown["present"] == 3
    assert [m["serial"] for m in shown["missing"]] == ["SN04", "SN05"]


def test_a_batch_read_at_once_refuses_as_the_scan_by_scan_path_does(
    stocked: Cli, db_url: str, refused
) -> None:
    """The set-based path for a batch of ITEM:SERIAL gives way to the scan-by-scan one on
    any doubt: the refusal names the bad scan, and nothing of the batch is recorded."""
    stocked("count", "start", "--at", "WH")
    stocked("receive", "PCB", "--to", "A1", "--serials", "SN10..SN12")
    stocked("ship", "PCB:SN12", "--to", "ACME")
    refused("count", "scan", "1", "PCB:SN01", "PCB:SN99", "PCB:SN02", match="SN99")
    refused("count", "scan", "1", "PCB:SN01", "PCB:SN12", match="shipped")
    refused("count", "scan", "1", "PCB:SN10", "A1", "PCB:SN10", match="scanned twice")
    done = stocked("count", "scan", "1", "A1", "PCB:SN10", "PCB:SN11", "A2", "PCB:SN01")
    assert done.exit_code == 0, done.stderr
    refused("count", "scan", "1", "PCB:SN02", "PCB:SN11", match="counted already")
    shown = stocked("count", "show", "1", "--json").json()
    assert shown["scans"] == 3 and [f["serial"] for f in shown["found"]] == ["SN01"]
    _verify_clean(db_url)


def test_a_batch_sent_again_with_its_idempotency_key_is_recorded_once(api, db_url: str) -> None:
    client, heads = api
    op, qa = heads["operator"], heads["quality"]
    n = client.post(f"{PREFIX}/counts", headers=op, json={"at": "WH"}).json()["count"]
    key = {**op, "Idempotency-Key": "batch-1"}
    body = {"scans": ["PCB:SN01", "PCB:SN02"], "at": "A1"}
    first = client.post(f"{PREFIX}/counts/{n}/scans", headers=key, json=body)
    again = client.post(f"{PREFIX}/counts/{n}/scans", headers=key, json=body)
    assert first.status_code == again.status_code == 201, (first.json(), again.json())
    assert again.json() == first.json()
    assert client.get(f"{PREFIX}/counts/{n}", headers=qa).json()["scans"] == 2
    other = client.post(f"{PREFIX}/counts/{n}/scans", headers=key, json={"scans": ["PCB:SN03"]})
    assert other.status_code == 422, other.json()
    cancelled = client.post(f"{PREFIX}/counts/{n}/cancel", headers=op, json={"reason": "x"})
    assert cancelled.status_code == 403
    cancelled = client.post(f"{PREFIX}/counts/{n}/cancel", headers=qa, json={"reason": "x"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"{PREFIX}/counts/{n}/cancel", headers=qa,
                       json={"reason": "x"}).status_code == 409  # fmt: skip


def test_overlapping_counts_started_at_once_open_one(db_url: str, stocked: Cli) -> None:
    """Of two counts of overlapping places started at the same moment, one opens; on
    PostgreSQL counts start one at a time, on SQLite writes do."""
    import threading

    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def start(at: str) -> None:
        with tracelot.connect(db_url) as tl:
            barrier.wait()
            try:
                outcomes.append(tl.count_start(at)["count"])
            except Conflict as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=start, args=(at,)) for at in ("WH", "A1")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"], outcomes
    with tracelot.connect(db_url) as tl:
        assert [c["status"] for c in tl.counts()] == ["open"]
