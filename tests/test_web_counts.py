# ruff: noqa: F811 - the browser fixtures are imported from test_web and named as parameters
"""The count pages in a browser: two counters scanning different bins of one blind count
at once, neither seeing the expected figures; quality sees the variances and posts them."""

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


def test_two_counters_scan_bins_of_a_blind_count_and_quality_posts_it(
    browser,
    site,
    setup_basics,
    db_url,
) -> None:
    for args in (("receive", "PCB", "--to", "A1", "--serials", "SN01..SN03"),
                 ("receive", "CELL", "--to", "A2", "--lot", "L1", "--qty", "100")):  # fmt: skip
        assert setup_basics(*args).exit_code == 0
    with tracelot.connect(db_url) as tl:
        tl.add_user("clerk2", role="operator", password="a-long-test-password")
    ann = log_in(browser, site, "clerk")
    ann.goto("/counts")
    ann.get_by_label("Location (with everything below it)").fill("WH")
    ann.get_by_label("Blind (counters do not see the expected figures)").check()
    ann.get_by_role("button", name="Start a count").click()
    expect(ann).to_have_url(f"{site}/counts/1")
    bob = log_in(browser, site, "clerk2")
    bob.goto("/counts/1")
    _scan(ann, "A1")
    _scan(bob, "A2")
    _scan(ann, "PCB:SN01")
    _scan(bob, "CELL@L1=97")
    _scan(ann, "PCB:SN02")
    expect(ann.get_by_test_id("at")).to_have_value("A1")
    expect(bob.get_by_test_id("at")).to_have_value("A2")
    _scan(ann, "PCB:SN02")
    expect(ann.get_by_test_id("error")).to_contain_text("counted already")
    bob.reload()
    expect(bob.get_by_test_id("status")).to_contain_text("3 scans by 2 counter(s)")
    expect(bob.get_by_test_id("hidden")).to_be_visible()
    expect(bob.get_by_test_id("variances")).to_have_count(0)
    qa = log_in(browser, site, "qa")
    qa.goto("/counts/1")
    variances = qa.get_by_test_id("variances")
    expect(variances).to_contain_text("SN03")
    expect(variances).to_contain_text("-3")
    expect(qa.get_by_test_id("net")).to_contain_text("-18.5")
    qa.get_by_role("button", name="Post the count").click()
    expect(qa.get_by_test_id("status")).to_contain_text("posted as operation")
    with tracelot.connect(db_url) as tl:
        assert tl.verify().problems == []
        stock = {(r["item"], r["location"]): r["qty"] for r in tl.stock()}
        assert stock[("CELL", "A2")] == 97 and stock[("PCB", "A1")] == 2
