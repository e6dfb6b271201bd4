"""Expiry through the command line and the API: the expiring report (lots and units, soonest
first, with their value), `expire` holding what has expired once, and picking lists that
are first-expiry-first-out and pass over held, expired and quarantined stock.

Dates are relative to today (UTC), which is what expiry is judged by."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import Cli, snapshot
from fastapi.testclient import TestClient

import tracelot
from tracelot.server import Settings, create_app
from tracelot.services.tabular import EXPIRING_COLUMNS

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    """CELL (standard cost 2) in lots: LA expired 5 days ago, LB in 10 days at 3 each, LC
    in 100 days, LD without expiry, LE in 5 days in quarantine, LF in 2 days and held;
    PCB units X1, X2 expiring in 3 days at 7 each."""
    cli = setup_basics
    for args in [
        ("receive", "CELL", "--to", "A1", "--lot", "LA", "--qty", "10", "--expires", day(-5)),
        ("receive", "CELL", "--to", "A2", "--lot", "LB", "--qty", "20", "--expires", day(10),
         "--cost", "3"),
        ("receive", "CELL", "--to", "A1", "--lot", "LC", "--qty", "5", "--expires", day(100)),
        ("receive", "CELL", "--to", "A1", "--lot", "LD", "--qty", "50"),
        ("receive", "CELL", "--to", "QUAR", "--lot", "LE", "--qty", "8", "--expires", day(5)),
        ("receive", "CELL", "--to", "A1", "--lot", "LF", "--qty", "4", "--expires", day(2)),
        ("hold", "CELL@LF", "--reason", "smells odd"),
        ("receive", "PCB", "--to", "A1", "--serials", "X1,X2", "--expires", day(3),
         "--cost", "7"),
    ]:  # fmt: skip
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return cli


def test_the_expiring_report_lists_lots_and_units_soonest_first_with_value(stocked: Cli) -> None:
    """Within 30 days: LA (10 x 2 = 20, expired), LF (4 x 2 = 8, held), X1 and X2 (7 each),
    LE (8 x 2 = 16, in quarantine: still on hand), LB (20 x 3 = 60); 118 in all."""
    report = stocked("report", "expiring", "--within", "30d", "--json").json()
    got = [(r["item"], r["lot"] or r["serial"], r["qty"], r["days_left"], r["value"])
           for r in report["rows"]]  # fmt: skip
    assert got == [
        ("CELL", "LA", 10, -5, 20),
        ("CELL", "LF", 4, 2, 8),
        ("PCB", "X1", 1, 3, 7),
        ("PCB", "X2", 1, 3, 7),
        ("CELL", "LE", 8, 5, 16),
        ("CELL", "LB", 20, 10, 60),
    ]
    assert report["value"] == 118 and report["expired_rows"] == 1
    assert [r["held"] for r in report["rows"]] == [False, True, False, False, False, False]
    assert report["rows"][0]["expired"] and report["rows"][0]["location_path"] == "WH/A1"

    expired_only = stocked("report", "expiring", "--within", "0", "--json").json()
    assert [r["lot"] for r in expired_only["rows"]] == ["LA"]
    table = stocked("report", "expiring", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert list(rows[0]) == EXPIRING_COLUMNS and len(rows) == 6
    assert rows[0]["expires"] == day(-5) and rows[0]["value"] == "20"


def test_bad_periods_are_refused(stocked: Cli, refused) -> None:
    refused("report", "expiring", "--within", "soon", match="a number of days")
    refused("report", "expiring", "--within", "-3d", match="a number of days")


def test_expire_holds_what_has_expired_once(stocked: Cli, refused, db_url: str) -> None:
    refused("ship", "CELL@LA", "--to", "ACME", "--qty", "1", match="expired")  # before expire
    assert stocked("receive", "PCB", "--to", "A2", "--serials", "Y1",
                   "--expires", day(-1)).exit_code == 0  # fmt: skip
    done = stocked("expire", "--json").json()
    assert [h["ref"] for h in done["held"]] == ["CELL@LA", "PCB:Y1"]
    assert done["operation"] is not None
    holds = {h["lot"] or h["serial"]: h["reason"] for h in stocked("holds", "--json").json()}
    assert holds["LA"] == f"expired {day(-5)}" and holds["Y1"] == f"expired {day(-1)}"
    before = snapshot(db_url)
    again = stocked("expire", "--json").json()
    assert again == {"operation": None, "held": []}
    assert snapshot(db_url) == before, "a second run changes nothing"
    refused("ship", "PCB:Y1", "--to", "ACME", match="expired")
    assert stocked("verify").exit_code == 0


def test_pick_is_first_expiry_first_out_past_held_expired_and_quarantine(
    stocked: Cli, refused, db_url: str
) -> None:
    """30 CELL: LA is expired, LF held, LE in quarantine; so LB 20 (in 10 days), LC 5
    (in 100 days), then 5 of LD, which has no expiry."""
    before = snapshot(db_url)
    plan = stocked("pick", "CELL", "--qty", "30", "--json").json()
    assert [(x["lot"], x["location"], x["qty"]) for x in plan["lines"]] == [
        ("LB", "A2", 20), ("LC", "A1", 5), ("LD", "A1", 5)
    ]  # fmt: skip
    units = stocked("pick", "PCB", "--qty", "2", "--json").json()
    assert [x["serial"] for x in units["lines"]] == ["X1", "X2"]
    only = stocked("pick", "CELL", "--qty", "3", "--from", "QUAR", "--json").json()
    assert [(x["lot"], x["qty"]) for x in only["lines"]] == [("LE", 3)]  # named: allowed
    assert snapshot(db_url) == before, "a picking list changes nothing"
    refused("pick", "CELL", "--qty", "100", match="not enough CELL")
    refused("pick", "PCB", "--qty", "3", match="not enough PCB")
    refused("pick", "PCB", "--qty", "1.5", match="whole number")
    refused("pick", "CELL", "--qty", "0", match="greater than zero")


def test_expiry_over_http(stocked: Cli, db_url: str) -> None:
    with tracelot.connect(db_url) as tl:
        tl.add_user("q", role="quality")
        token = tl.create_token("q")["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(Settings(database_url=db_url))) as client:
        report = client.get("/api/v1/reports/expiring", params={"within_days": 30},
                            headers=headers).json()  # fmt: skip
        assert report["value"] == 118 and len(report["rows"]) == 6
        text = client.get("/api/v1/reports/expiring", params={"format": "csv"}, headers=headers)
        assert text.headers["content-type"].startswith("text/csv")
        assert text.text.splitlines()[0] == ",".join(EXPIRING_COLUMNS)
        plan = client.get("/api/v1/pick", params={"item": "CELL", "qty": 25}, headers=headers)
        assert [x["lot"] for x in plan.json()["lines"]] == ["LB", "LC"]
        held = client.post("/api/v1/expire", headers=headers).json()
        assert [h["ref"] for h in held["held"]] == ["CELL@LA"]
        short = client.get("/api/v1/pick", params={"item": "CELL", "qty": 999}, headers=headers)
        assert short.status_code == 409 and short.json()["code"] == "insufficient_stock"
