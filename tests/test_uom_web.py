"""An item's packs in a browser (issue 20, point 4): a planner adds a pack on the item's
page (a refusal is said on the page and changes nothing) and removes one; the page shows
the stock with its packs beside it; an operator sees the packs but no form."""

from __future__ import annotations

from playwright.sync_api import expect
from test_web import _no_csp_violations, browser, log_in, playwright, site  # noqa: F401

import tracelot


def test_packs_are_added_shown_and_removed_on_the_item_page(
    browser,  # noqa: F811
    site,  # noqa: F811
    setup_basics,
    db_url,
) -> None:
    cli = setup_basics
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "40").exit_code == 0
    planner = log_in(browser, site, "plan")
    planner.goto("/items/SCREW")
    packs = planner.get_by_test_id("packs")
    expect(packs).to_contain_text("No packs")
    planner.get_by_test_id("pack-name").fill("box")
    planner.get_by_test_id("pack-qty").fill("12")
    planner.get_by_test_id("pack-add").click()
    expect(planner).to_have_url(f"{site}/items/SCREW")
    expect(planner.get_by_test_id("pack-box")).to_contain_text("12")
    expect(planner.locator("main")).to_contain_text("40 (3 box + 4)")
    # a case of 12 boxes, then one refused: its quantity is not whole in eaches
    planner.get_by_test_id("pack-name").fill("case")
    planner.get_by_test_id("pack-qty").fill("12")
    planner.get_by_test_id("pack-of").fill("box")
    planner.get_by_test_id("pack-add").click()
    expect(planner.get_by_test_id("pack-case")).to_contain_text("144")
    planner.get_by_test_id("pack-name").fill("bag")
    planner.get_by_test_id("pack-qty").fill("2.5")
    planner.get_by_test_id("pack-add").click()
    expect(planner.get_by_test_id("pack-error")).to_contain_text("not a whole number")
    expect(planner.get_by_test_id("pack-name")).to_have_value("bag")
    # removing: the box is refused while the case is given in boxes
    planner.goto("/items/SCREW")
    planner.get_by_test_id("remove-box").click()
    expect(planner.get_by_test_id("pack-error")).to_contain_text("remove case first")
    planner.get_by_test_id("remove-case").click()
    expect(planner).to_have_url(f"{site}/items/SCREW")
    expect(planner.get_by_test_id("pack-case")).to_have_count(0)
    expect(planner.get_by_test_id("changes")).to_contain_text("case = 144 EA (12 box)")
    # an operator sees the packs, no form, and may not post one
    clerk = log_in(browser, site, "clerk")
    clerk.goto("/items/SCREW")
    expect(clerk.get_by_test_id("pack-box")).to_be_visible()
    expect(clerk.get_by_test_id("pack-form")).to_have_count(0)
    assert clerk.goto("/items/SCREW/packs").status == 200
    posted = clerk.request.post(f"{site}/items/SCREW/packs", form={"name": "x", "qty": "1"})
    assert posted.status == 403
    with tracelot.connect(db_url) as tl:
        assert [(p["name"], p["qty"]) for p in tl.packs("SCREW")] == [("box", 12)]
        assert tl.verify().ok
