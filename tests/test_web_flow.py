"""The inspection and transfer pages (issue 19) in a real browser, as tests/test_web.py
does: Debian's Chromium driven by Playwright against a real `tracelot serve`."""

from __future__ import annotations

import pytest
from conftest import Cli
from playwright.sync_api import expect
from test_web import GTIN, _no_csp_violations, browser, log_in, playwright, site  # noqa: F401

import tracelot


def _ok(cli: Cli, *args: str) -> None:
    out = cli(*args)
    assert out.exit_code == 0, out.stderr


@pytest.fixture
def waiting(setup_basics: Cli) -> Cli:
    cli = setup_basics
    _ok(cli, "location", "add", "WHQ", "--parent", "WH", "--kind", "quarantine")
    _ok(cli, "item", "set", "PCB", "--inspect-on-receipt")
    _ok(cli, "receive", "PCB", "--to", "A1", "--serials", "S1..S3", "--supplier", "CELLCO")
    return cli


def test_an_inspector_passes_and_fails_what_waits(browser, site, waiting, db_url) -> None:  # noqa: F811
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Inspect", exact=True).click()
    expect(page.get_by_test_id("waiting").locator("caption")).to_have_text("3 awaiting inspection")
    expect(page.get_by_test_id("waiting")).to_contain_text("WH/WHQ")
    page.get_by_test_id("refs").fill(f"PCB:S1\n(01){GTIN}(21)S2")  # typed, and a label scanned
    page.get_by_test_id("to").fill("A2")
    page.get_by_test_id("note").fill("looks fine")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_test_id("done")).to_contain_text("PCB:S1 passed")
    expect(page.get_by_test_id("waiting").locator("caption")).to_have_text("1 awaiting inspection")
    page.get_by_test_id("refs").fill("PCB:S3")
    page.get_by_test_id("fail").check()
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_test_id("error")).to_contain_text("reason")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:S3")[0]["held"] is True  # refused: nothing done
        assert tl.where("PCB:S1")[0]["location_path"] == "WH/A2"
    page.get_by_test_id("reason").fill("cracked")
    page.get_by_test_id("disposition").select_option("scrap")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_test_id("done")).to_contain_text("PCB:S3 failed")
    expect(page.get_by_test_id("waiting")).to_contain_text("Nothing awaits inspection")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:S3")[0]["status"] == "scrapped"
        results = {r["ref"]: (r["inspector"], r["status"]) for r in tl.inspections(all_=True)}
        assert results["PCB:S1"] == ("clerk", "passed")
        assert results["PCB:S3"] == ("clerk", "failed")
        assert tl.verify().ok
    viewer = log_in(browser, site, "reader")
    expect(viewer.get_by_role("link", name="Inspect", exact=True)).to_have_count(0)
    viewer.goto("/inspections")
    expect(viewer.locator("main")).to_contain_text("may not use this page")


def test_a_transfer_is_sent_and_received_by_scanning(browser, site, setup_basics, db_url) -> None:  # noqa: F811
    cli = setup_basics
    _ok(cli, "location", "add", "WH2", "--kind", "warehouse")
    _ok(cli, "location", "add", "B1", "--parent", "WH2")
    _ok(cli, "receive", "PCB", "--to", "A1", "--serials", "S1,S2")
    _ok(cli, "receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "20")
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Transfers", exact=True).click()
    expect(page.get_by_test_id("transfers")).to_contain_text("No open transfers")
    page.get_by_test_id("refs").fill("PCB:S1\nPCB:S2\nCELL@L1=10")
    page.get_by_test_id("from").fill("WH")
    page.get_by_test_id("to").fill("WH")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_test_id("error")).to_contain_text("same site")
    page.get_by_test_id("to").fill("WH2")
    page.get_by_test_id("carrier").fill("DHL")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(f"{site}/transfers/1")
    expect(page.get_by_test_id("status")).to_have_text("open")
    expect(page.get_by_test_id("summary")).to_contain_text("DHL")
    page.get_by_test_id("refs").fill(f"(01){GTIN}(21)S1\nCELL@L1=8")
    page.get_by_test_id("to").fill("A1")  # not at the destination: refused
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_test_id("error")).to_contain_text("receive it there")
    page.get_by_test_id("to").fill("B1")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_test_id("done")).to_contain_text("transfer_receive #")
    expect(page.get_by_test_id("status")).to_have_text("open")
    page.get_by_test_id("refs").fill("")
    page.get_by_test_id("complete").check()
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_test_id("done")).to_contain_text("missing 2 CELL@L1")
    expect(page.get_by_test_id("done")).to_contain_text("missing 1 PCB:S2")
    expect(page.get_by_test_id("status")).to_have_text("received")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:S1")[0]["location_path"] == "WH2/B1"
        assert tl.where("PCB:S2")[0]["status"] == "adjusted_out"
        assert tl.verify().ok
    page.get_by_role("link", name="Transfers", exact=True).click()
    expect(page.get_by_test_id("transfers")).to_contain_text("No open transfers")
