# ruff: noqa: F811 - the browser fixtures are imported from test_web and named as parameters
"""The sales order pages in a browser (issue 20): a planner takes an order and confirms it
(its stock reserved); a picker on a phone scans it, refused a wrong item, a wrong lot and
an expired unit with the reason and shown the lines still short; the order's page ships
what was picked and the order is shipped."""

from __future__ import annotations

from playwright.sync_api import expect
from test_web import (  # noqa: F401 - the browser fixtures of the web tests
    _no_csp_violations,
    browser,
    log_in,
    playwright,
    site,
)

import tracelot


def _scan(page, text: str) -> None:
    box = page.get_by_test_id("scan")
    box.fill(text)
    with page.expect_navigation():  # the form posts, and its answer is the page again
        box.press("Enter")


def test_an_order_is_taken_picked_on_a_phone_and_shipped(browser, site, setup_basics,
                                                         db_url) -> None:  # fmt: skip
    for args in (("receive", "PCB", "--to", "A1", "--serials", "S1..S3"),
                 ("receive", "PCB", "--to", "A1", "--serials", "X1", "--expires", "2020-01-01"),
                 ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "30",
                  "--expires", "2090-01-01"),
                 ("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "30",
                  "--expires", "2095-01-01")):  # fmt: skip
        assert setup_basics(*args).exit_code == 0
    planner = log_in(browser, site, "plan")
    planner.goto("/orders")
    planner.get_by_label("Customer").fill("ACME")
    planner.get_by_label("Lines (ITEM:QTY[:PRICE], one a line)").fill("PCB:2:150\nCELL:20")
    planner.get_by_label("Reference").fill("PO-77")
    planner.get_by_role("button", name="Take the order").click()
    expect(planner).to_have_url(f"{site}/orders/1")
    expect(planner.get_by_test_id("status")).to_contain_text("draft")
    planner.get_by_role("button", name="Confirm (reserve its stock)").click()
    expect(planner.get_by_test_id("status")).to_contain_text("open")
    expect(planner.get_by_test_id("reservations")).to_contain_text("L1")
    planner.goto("/orders")
    planner.get_by_label("Customer").fill("NOBODY")
    planner.get_by_label("Lines (ITEM:QTY[:PRICE], one a line)").fill("PCB:1")
    planner.get_by_role("button", name="Take the order").click()
    expect(planner.get_by_test_id("error")).to_contain_text("NOBODY")
    expect(planner.get_by_test_id("orders")).to_contain_text("PO-77")

    phone = log_in(browser, site, "clerk", width=390, height=844)
    phone.goto("/orders/1/pick")
    expect(phone.get_by_test_id("walk")).to_contain_text("WH/A2")  # L1 first: it expires first
    _scan(phone, "DEV:D1")
    expect(phone.get_by_test_id("error")).to_contain_text("DEV")
    _scan(phone, "PCB:X1")
    expect(phone.get_by_test_id("error")).to_contain_text("expired")
    _scan(phone, "CELL@L2=5")
    expect(phone.get_by_test_id("error")).to_contain_text("wrong lot")
    _scan(phone, "PCB:S1")
    expect(phone.get_by_test_id("said")).to_contain_text("picked 1 PCB:S1")
    _scan(phone, "CELL@L1=20")
    expect(phone.get_by_test_id("progress")).to_contain_text("20")
    expect(phone.get_by_test_id("progress").locator("tr.short")).to_have_count(1)  # PCB: 1 short
    phone.goto("/orders/1")
    phone.get_by_role("button", name="Ship what was picked").click()
    expect(phone.get_by_test_id("shipped")).to_contain_text("operation")
    expect(phone.get_by_test_id("status")).to_contain_text("partly_shipped")
    phone.goto("/orders/1/pick")
    _scan(phone, "PCB:S2")
    phone.goto("/orders/1")
    phone.get_by_role("button", name="Ship what was picked").click()
    expect(phone.get_by_test_id("status")).to_contain_text("shipped")
    expect(phone.get_by_test_id("shipments")).to_contain_text("2")
    reader = log_in(browser, site, "reader")
    reader.goto("/orders/1")
    expect(reader.get_by_role("button", name="Cancel the order")).to_have_count(0)
    with tracelot.connect(db_url) as tl:
        assert tl.sales_order(1)["status"] == "shipped"
        assert tl.verify().ok
