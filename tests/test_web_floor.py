"""The pages on the warehouse floor (issue 21) in a real browser, as tests/test_web.py does:
Debian's Chromium driven by Playwright against a real `tracelot serve`.

Every page at a phone's 390x844 and a desk's 1366x900: no sideways scrolling, the menu
collapsed on the phone, and axe-core (from npm, pinned in package.json; `make assets`
installs it) finds no critical or serious violation. Then the floor's tasks: scan
feedback, a list that survives going offline and a session's end and is booked once,
scan anywhere, receiving against a purchase order, shipping against a reference.
With TRACELOT_SCREENSHOTS=DIR, each page is kept as DIR/floor-NAME-phone.png (and -desk).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from playwright.sync_api import Browser, Page, expect
from test_web import (  # noqa: F401
    GTIN,
    PASSWORD,
    _no_csp_violations,
    _watch_csp,
    browser,
    log_in,
    playwright,
    scan,
    site,
)

import tracelot

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


def _ok(cli: Cli, *args: str) -> None:
    out = cli(*args)
    assert out.exit_code == 0, out.stderr


@pytest.fixture
def world(setup_basics: Cli) -> Cli:
    """Stock of every kind, a build, a shipment, a purchase order, a recall."""
    cli = setup_basics
    _ok(cli, "receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0012", "--supplier", "CELLCO")
    _ok(cli, "receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "50", "--supplier",
        "CELLCO", "--supplier-lot", "CC-77", "--expires", "2031-01-31")  # fmt: skip
    _ok(cli, "receive", "SCREW", "--to", "A2", "--qty", "500")
    _ok(cli, "build", "DEV", "--serial", "D1", "--to", "A2", "--consume", "PCB:SN0001",
        "--consume", "CELL@L1=4")  # fmt: skip
    _ok(cli, "ship", "DEV:D1", "--to", "ACME", "--reference", "SO-1001")
    _ok(cli, "po", "create", "CELLCO", "--line", "CELL:100:2")
    _ok(cli, "recall", "open", "--reason", "bad cells", "--supplier", "CELLCO",
        "--supplier-lot", "CC-77")  # fmt: skip
    return cli


#: every page a user reaches (an admin sees them all)
PAGES = [
    "/", "/items", "/items/PCB", "/items/PCB/edit", "/stock", "/trace",
    "/trace?ref=CELL@L1&direction=forward", "/recalls", "/recalls/new", "/recalls/1",
    "/counts", "/inspections", "/transfers", "/reports/turnover", "/reports/reorder",
    "/reports/expiring", "/reports/excess", "/reports/abc", "/scan/receive", "/scan/move-to",
    "/scan/ship-to", "/scan/consume-into", "/do/return", "/do/return-to-supplier", "/do/scrap",
    "/do/adjust", "/locations", "/locations/A1", "/locations/A1/edit", "/parties",
    "/parties/ACME/edit", "/labels", "/admin", "/changes", "/units/PCB/SN0002",
    "/units/DEV/D1", "/lots/CELL/L1", "/operations/1", "/purchase-orders",
    "/purchase-orders/1", "/find?q=nothing-like-this",
]  # fmt: skip


def _name(address: str) -> str:
    return address.strip("/").replace("/", "-").replace("?", "-").split("&")[0] or "dashboard"


def _axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's critical and serious violations on the page (run through the DevTools
    protocol, as a test's script: the page's Content-Security-Policy stays as it is)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make assets` (npm ci installs axe-core)")
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['critical', 'serious'].includes(v.impact))"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return found


def _shoot(page: Page, name: str) -> None:
    folder = os.environ.get("TRACELOT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"floor-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", ["phone", "desk"])
def test_every_page_fits_the_screen_and_passes_axe(browser, site, world, size) -> None:  # noqa: F811
    """No page scrolls sideways at 390 px (nor at 1366 px), and none has a critical or
    serious accessibility violation, at either size."""
    viewport = PHONE if size == "phone" else DESK
    page = log_in(browser, site, "boss", **viewport)
    wide, faults = {}, {}
    for address in PAGES:
        answer = page.goto(address)
        assert answer is not None and answer.status == 200, (address, answer and answer.status)
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[address] = overflow
        found = _axe(page)
        if found:
            faults[address] = found
        _shoot(page, f"{_name(address)}-{size}")
    assert not wide, f"pages wider than the screen (px too wide): {wide}"
    assert not faults, json.dumps(faults, indent=1)


def test_the_phone_menu_is_collapsed_and_the_scan_box_above_the_fold(browser, site) -> None:  # noqa: F811
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/receive")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_hidden()
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 130, header  # the brand, the menu button and the Find box
    box = page.get_by_test_id("scan").bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] / 2, box  # the top half of the screen
    small = page.evaluate(
        """() => [...document.querySelectorAll('main button, main input:not([type=hidden]),'
           + ' main select, header button, header input')]
          .filter(e => e.offsetParent !== null && e.type !== 'checkbox')
          .filter(e => e.getBoundingClientRect().height < 44)
          .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert not small, small  # every control of the Receive form is a thumb's target
    page.get_by_test_id("menu-toggle").click()
    expect(menu).to_be_visible()
    page.get_by_role("link", name="Stock", exact=True).click()
    expect(page).to_have_url(f"{site}/stock")
    page.set_viewport_size(DESK)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # a desk: always open
    expect(page.get_by_test_id("menu-toggle")).to_be_hidden()
