"""Master data edited in a browser (issue 19 point 3): a planner or admin changes an item,
a location and a party from their forms, deactivates and reactivates them; the item's
page lists its changes; a refusal is said on the page and changes nothing; an operator
gets no form."""

from __future__ import annotations

from playwright.sync_api import expect
from test_web import _no_csp_violations, browser, log_in, playwright, site  # noqa: F401

import tracelot


def test_master_data_is_edited_deactivated_and_its_changes_shown(
    browser,  # noqa: F811
    site,  # noqa: F811
    setup_basics,
    db_url,
) -> None:
    cli = setup_basics
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "5").exit_code == 0
    planner = log_in(browser, site, "plan")
    planner.goto("/items/PCB")
    planner.get_by_test_id("edit").click()
    expect(planner).to_have_url(f"{site}/items/PCB/edit")
    planner.get_by_test_id("field-name").fill("Main board v2")
    planner.get_by_test_id("field-uom").fill("PCS")
    planner.get_by_test_id("save").click()
    expect(planner).to_have_url(f"{site}/items/PCB")
    changes = planner.get_by_test_id("changes")
    expect(changes).to_contain_text("Main board v2")
    expect(changes).to_contain_text("PCS")
    expect(changes).to_contain_text("plan")
    # a bad value is refused on the page, nothing changed
    planner.goto("/items/PCB/edit")
    planner.get_by_test_id("field-gtin").fill("123")
    planner.get_by_test_id("save").click()
    expect(planner.get_by_test_id("error")).to_contain_text("GTIN")
    # deactivated, then refused in an operation, then reactivated
    planner.goto("/items/CELL/edit")
    planner.get_by_test_id("deactivate-reason").fill("replaced by CELL2")
    planner.get_by_test_id("deactivate").click()
    expect(planner.get_by_test_id("inactive-reason")).to_contain_text("replaced by CELL2")
    refused = cli("move", "CELL@L1", "--to", "A2", "--qty", "1")
    assert refused.exit_code == 1 and "replaced by CELL2" in refused.stderr
    planner.get_by_test_id("reactivate").click()
    expect(planner.get_by_test_id("deactivate-form")).to_be_visible()
    # a location: renamed and moved; one holding stock refuses deactivation on the page
    planner.goto("/locations")
    planner.get_by_test_id("edit-A2").click()
    planner.get_by_test_id("field-name").fill("Aisle 2")
    planner.get_by_test_id("field-pick_sequence").fill("7")
    planner.get_by_test_id("save").click()
    expect(planner.get_by_test_id("field-name")).to_have_value("Aisle 2")
    planner.goto("/locations/A1/edit")
    planner.get_by_test_id("deactivate-reason").fill("rack removed")
    planner.get_by_test_id("deactivate").click()
    expect(planner.get_by_test_id("error")).to_contain_text("holds stock")
    # a party
    planner.goto("/parties")
    planner.get_by_test_id("edit-ACME").click()
    planner.get_by_test_id("field-email").fill("qa@acme.example")
    planner.get_by_test_id("save").click()
    expect(planner.get_by_test_id("field-email")).to_have_value("qa@acme.example")
    planner.goto("/changes?party=ACME")
    expect(planner.get_by_test_id("changes")).to_contain_text("qa@acme.example")
    # an operator sees no form and may not post one
    clerk = log_in(browser, site, "clerk")
    clerk.goto("/items/PCB")
    expect(clerk.get_by_test_id("edit")).to_have_count(0)
    expect(clerk.get_by_test_id("changes")).to_contain_text("PCS")
    assert clerk.goto("/items/PCB/edit").status == 403
    assert clerk.request.post(f"{site}/items/PCB/deactivate", form={"reason": "x"}).status == 403
    with tracelot.connect(db_url) as tl:
        assert tl.item("PCB")["uom"] == "PCS" and tl.item("PCB")["gtin"] is None
        assert tl.item("CELL")["active"] is True
        located = {r["location"]: r for r in tl.locations()}
        assert located["A2"]["pick_sequence"] == 7 and located["A1"]["active"] is True
        assert tl.verify().ok
