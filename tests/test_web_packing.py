"""The cases and pallets pages (issue 20) in a real browser, as tests/test_web.py does:
Debian's Chromium driven by Playwright against a real `tracelot serve`."""

from __future__ import annotations

import pytest
from conftest import Cli
from playwright.sync_api import expect
from test_web import _no_csp_violations, browser, log_in, playwright, site  # noqa: F401

import tracelot


def _ok(cli: Cli, *args: str) -> None:
    out = cli(*args)
    assert out.exit_code == 0, out.stderr


@pytest.fixture
def stocked(setup_basics: Cli) -> Cli:
    cli = setup_basics
    _ok(cli, "receive", "PCB", "--to", "A1", "--serials", "S1..S4")
    _ok(cli, "receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "20")
    _ok(cli, "settings", "set", "gs1_company_prefix", "0614141")
    return cli


def test_a_case_is_packed_shown_and_unpacked_by_scanning(browser, site, stocked, db_url) -> None:  # noqa: F811
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Cases", exact=True).click()
    expect(page.get_by_test_id("logistic-units")).to_contain_text("No cases or pallets")
    page.get_by_test_id("refs").fill("PCB:S1\nPCB:S2\nCELL@L1=500")
    page.get_by_test_id("pack").click()
    expect(page.get_by_test_id("error")).to_contain_text("not enough CELL@L1")
    with tracelot.connect(db_url) as tl:
        assert tl.logistic_units() == []  # refused: nothing done
    page.get_by_test_id("refs").fill("PCB:S1\nPCB:S2\nCELL@L1=5")
    page.get_by_test_id("pack").click()
    expect(page).to_have_url(f"{site}/sscc/1")
    expect(page.get_by_test_id("sscc")).to_have_text("006141410000000012")
    expect(page.get_by_test_id("contents")).to_contain_text("PCB:S1")
    expect(page.get_by_test_id("contents")).to_contain_text("5 CELL@L1")
    page.get_by_test_id("refs").fill("PCB:S1")
    page.get_by_test_id("unpack").click()
    expect(page.get_by_test_id("done")).to_contain_text("unpack")
    expect(page.get_by_test_id("contents")).not_to_contain_text("PCB:S1")
    page.goto("/sscc/006141410000000012")  # by its SSCC too
    expect(page.get_by_test_id("where")).to_contain_text("WH/A1")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:S2")[0]["sscc"] == "006141410000000012"
        assert tl.where("PCB:S1")[0]["sscc"] is None
        assert tl.verify().ok
    viewer = log_in(browser, site, "reader")
    viewer.goto("/sscc/1")
    expect(viewer.get_by_test_id("contents")).to_contain_text("PCB:S2")
    expect(viewer.get_by_test_id("unpack")).to_have_count(0)
    viewer.goto("/sscc")
    expect(viewer.get_by_test_id("pack")).to_have_count(0)


def test_a_shipments_page_links_its_packing_slip(browser, site, stocked, db_url) -> None:  # noqa: F811
    """A shipment of a case: its operation page links the packing slip, a PDF that names
    the case's SSCC and what it held; a move has no slip."""
    import pypdfium2

    with tracelot.connect(db_url, user="clerk") as tl:
        case = tl.pack("PCB:S1", "CELL@L1=5", new="case")["sscc"]
        moved = tl.move("PCB:S2", to="A2").id
        shipped = tl.ship(case, to="ACME", reference="SO-5").id
    page = log_in(browser, site, "reader")
    page.goto(f"/operations/{moved}")
    expect(page.get_by_test_id("kind")).to_have_text("move")
    expect(page.get_by_test_id("slip")).to_have_count(0)
    page.goto(f"/operations/{shipped}")
    link = page.get_by_test_id("slip")
    answer = page.request.get(f"{site}{link.get_attribute('href')}")
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(answer.body())
    text = "".join(p.get_textpage().get_text_range() for p in document)
    document.close()
    assert case in text and "S1" in text and "L1" in text
    assert page.request.get(f"{site}/operations/{moved}/slip.pdf").status == 404
