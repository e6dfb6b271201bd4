"""The void in a browser: an operation's page (reached from a unit's history) shows its
lines, and to quality and admin a form that voids it; a refusal is said on the page."""

from __future__ import annotations

from playwright.sync_api import expect
from test_web import _no_csp_violations, browser, log_in, playwright, site  # noqa: F401

import tracelot


def test_an_operation_is_voided_from_its_page_and_shown_voided(
    browser,  # noqa: F811
    site,  # noqa: F811
    setup_basics,
    db_url,
) -> None:
    cli = setup_basics
    for args in (("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0002"),
                 ("move", "PCB:SN0001", "--to", "A2"),
                 ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "5")):  # fmt: skip
        assert cli(*args).exit_code == 0, args
    # an operator sees the operation, and no form to void it
    clerk = log_in(browser, site, "clerk")
    clerk.goto("/operations/2")
    expect(clerk.get_by_test_id("kind")).to_have_text("move")
    expect(clerk.get_by_test_id("lines")).to_contain_text("SN0001")
    expect(clerk.get_by_test_id("void-form")).to_have_count(0)
    assert clerk.request.post(f"{site}/operations/2/void", form={"reason": "x"}).status == 403
    # quality voids it: from the unit's history to the operation, then the form
    qa = log_in(browser, site, "qa")
    qa.goto("/units/PCB/SN0001")
    history = qa.get_by_test_id("history")
    expect(history).to_contain_text("move")
    history.get_by_role("link", name="#1", exact=True).click()
    expect(qa).to_have_url(f"{site}/operations/1")
    qa.get_by_test_id("void-reason").fill("wrong item")
    qa.get_by_test_id("void-submit").click()
    expect(qa.get_by_test_id("error")).to_contain_text("move 2 (PCB:SN0001)")
    qa.goto("/units/PCB/SN0001")
    qa.get_by_test_id("history").get_by_role("link", name="#2", exact=True).click()
    qa.get_by_test_id("void-reason").fill("put away in the wrong bin")
    qa.get_by_test_id("void-submit").click()
    expect(qa).to_have_url(f"{site}/operations/4")
    expect(qa.get_by_test_id("kind")).to_have_text("void")
    expect(qa.get_by_test_id("voids")).to_contain_text("operation 2")
    qa.get_by_role("link", name="operation 2").click()
    expect(qa.get_by_test_id("voided")).to_have_text("voided")
    expect(qa.get_by_test_id("voided-by")).to_contain_text("put away in the wrong bin")
    expect(qa.get_by_test_id("void-form")).to_have_count(0)
    qa.goto("/units/PCB/SN0001")
    expect(qa.get_by_test_id("history")).to_contain_text("voided by #4")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:SN0001")[0]["location_path"] == "WH/A1"
        assert tl.operation(2).voided_by == 4 and tl.verify().ok
