"""The pages on the warehouse floor (issue 21) in a real browser, as tests/test_web.py does:
Debian's Chromium driven by Playwright against a real `tracelot serve`.

Every page at a phone's 390x844 and a desk's 1366x900: no sideways scrolling, the menu
collapsed on the phone, and axe-core (from npm, pinned in package.json; `make assets`
installs it) finds no critical or serious violation. Then the floor's tasks: scan
feedback, a list that survives going offline and a session's end and is booked once,
scan anywhere, receiving against a purchase order, shipping against a reference.
With TRACELOT_SCREENSHOTS=DIR, each page is kept as DIR/floor-NAME-phone.png (and -desk).
"""

# ruff: noqa: F811 (the fixtures of test_web, imported, are the tests' arguments)
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli
from playwright.sync_api import Page, expect
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
from tracelot.domain.errors import NotFound

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
    # issue 20: a pack size, a sales order with its stock reserved, a case
    _ok(cli, "item", "pack", "add", "SCREW", "--name", "box", "--qty", "100")
    _ok(cli, "so", "create", "GLOBEX", "--line", "SCREW:120:0.05", "--line", "CELL:6",
        "--reference", "PO-GLOBEX-7", "--confirm")  # fmt: skip
    _ok(cli, "settings", "set", "gs1_company_prefix", "0614141")
    _ok(cli, "pack", "PCB:SN0010", "PCB:SN0011", "--new", "case")
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
    "/orders", "/orders/1", "/orders/1/pick", "/sscc", "/sscc/1", "/items/SCREW",
    "/items/SCREW/packs",
]  # fmt: skip


#: the pages kept as screenshots (docs/screenshots, `make screenshots`)
SHOTS = {"/", "/scan/receive", "/lots/CELL/L1", "/purchase-orders/1", "/stock", "/recalls/1"}


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
def test_every_page_fits_the_screen_and_passes_axe(browser, site, world, size) -> None:
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
        if address in SHOTS:
            _shoot(page, f"{_name(address)}-{size}")
    assert not wide, f"pages wider than the screen (px too wide): {wide}"
    assert not faults, json.dumps(faults, indent=1)


def test_the_phone_menu_is_collapsed_and_the_scan_box_above_the_fold(browser, site) -> None:
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


def _label(serial: str) -> str:
    return f"(01){GTIN}(21){serial}"


def _receipts(db_url: str) -> list[int]:
    """The receive operations of boards: how often a list was booked."""
    with tracelot.connect(db_url) as tl:
        units = [f"PCB:{u['serial']}" for u in tl.stock(item="PCB", serials=True)]
        return sorted(
            {h["operation"] for u in units for h in tl.history(u) if h["kind"] == "receive"}
        )


def test_each_scan_sounds_and_the_newest_row_is_on_top(browser, site, db_url) -> None:
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/receive")
    page.get_by_test_id("to").fill("A1")
    page.get_by_test_id("to").press("Enter")  # Enter moves on, to the scan box
    expect(page.get_by_test_id("scan")).to_be_focused()
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("0 scanned")
    scan(page, _label("F1"), _label("F2"))
    body = page.locator("body")
    expect(body).to_have_attribute("data-sound", "accepted")
    rows = page.get_by_test_id("list").locator("tbody tr")
    expect(rows.first).to_contain_text("F2")  # the newest on top
    expect(rows.last).to_contain_text("F1")
    scan(page, _label("F1"))  # again
    expect(body).to_have_attribute("data-sound", "refused")
    expect(page.get_by_test_id("error")).to_contain_text("scanned twice")
    page.get_by_test_id("scan").fill("9" * 10_000)  # a runaway scanner
    page.get_by_test_id("scan").press("Enter")
    expect(page.get_by_test_id("error")).to_contain_text("at most 2000 characters")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("2 scanned")
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("1 scanned")
    expect(page.get_by_test_id("scan")).to_be_focused()  # the cursor back in the scan box
    mute = page.get_by_test_id("mute")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("scan")).to_be_focused()
    page.reload()  # muted for this user, and the list kept in the browser
    expect(page.get_by_test_id("mute")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("1 scanned")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("receive #")
    page.reload()  # committed: nothing left to restore
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("0 scanned")
    with tracelot.connect(db_url) as tl:
        assert [u["serial"] for u in tl.stock(item="PCB", serials=True)] == ["F1"]


def test_enter_in_a_form_moves_to_the_next_field(browser, site, setup_basics, db_url) -> None:
    _ok(setup_basics, "receive", "PCB", "--to", "A1", "--serials", "R1")
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/do/scrap")
    page.get_by_test_id("ref").fill(_label("R1"))
    page.get_by_test_id("ref").press("Enter")  # the scanner's Enter: on to the reason
    expect(page.get_by_test_id("reason")).to_be_focused()
    page.keyboard.type("dropped")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("qty")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("from")).to_be_focused()
    page.keyboard.press("Enter")  # the last field submits
    expect(page.get_by_test_id("done")).to_contain_text("scrap #")
    with tracelot.connect(db_url) as tl:
        assert tl.stock(item="PCB") == []


def test_offline_scans_queue_and_a_dropped_commit_is_booked_once(browser, site, db_url) -> None:
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/receive")
    page.get_by_test_id("to").fill("A1")
    scan(page, _label("OF1"))
    page.context.set_offline(True)
    box, notice = page.get_by_test_id("scan"), page.get_by_test_id("net-notice")
    for serial in ("OF2", "OF3"):
        box.fill(_label(serial))
        box.press("Enter")
        expect(box).to_have_value("")
    expect(notice).to_contain_text("Offline: 2 scans queued")
    expect(page.get_by_test_id("list").locator("tr.queued")).to_have_count(2)
    expect(page.get_by_test_id("list").locator("tbody tr").first).to_contain_text("OF3")
    page.get_by_test_id("commit").click()
    expect(notice).to_contain_text("nothing was booked")
    assert _receipts(db_url) == []
    page.context.set_offline(False)  # back: the queue is sent and checked
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("3 scanned")
    expect(page.get_by_test_id("list").locator("tr.queued")).to_have_count(0)

    # the commit reaches the server, but its answer is lost on the way back
    dropped: list[str] = []

    def drop_the_answer(route: Any) -> None:
        if "action=commit" in (route.request.post_data or "") and not dropped:
            route.fetch()  # the server books it ...
            dropped.append(route.request.url)
            route.abort("connectionreset")  # ... and the browser never hears
        else:
            route.continue_()

    page.route("**/scan/receive", drop_the_answer)
    page.get_by_test_id("commit").click()
    expect(notice).to_contain_text("may or may not be booked")
    assert dropped and len(_receipts(db_url)) == 1
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("3 scanned")  # kept
    page.get_by_test_id("commit").click()  # again: the same key, answered as the first time
    expect(page.get_by_test_id("done")).to_contain_text(f"receive #{_receipts(db_url)[0]}")
    assert len(_receipts(db_url)) == 1
    with tracelot.connect(db_url) as tl:
        serials = sorted(u["serial"] for u in tl.stock(item="PCB", serials=True))
        assert serials == ["OF1", "OF2", "OF3"]
        assert tl.verify().ok


def test_after_the_session_ends_a_new_login_keeps_the_list(browser, site, db_url) -> None:
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/receive")
    page.get_by_test_id("to").fill("A1")
    scan(page, _label("SE1"), _label("SE2"))
    page.context.clear_cookies()  # the session ends (expired, or the server restarted)
    box = page.get_by_test_id("scan")
    box.fill(_label("SE3"))
    box.press("Enter")
    expect(page).to_have_url(f"{site}/login?next=/scan/receive")
    page.get_by_label("User name").fill("clerk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site}/scan/receive")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("3 scanned")
    expect(page.get_by_test_id("to")).to_have_value("A1")
    expect(page.get_by_test_id("net-notice")).to_contain_text("kept in this browser")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("receive #")
    assert len(_receipts(db_url)) == 1
    with tracelot.connect(db_url) as tl:
        assert sorted(u["serial"] for u in tl.stock(item="PCB", serials=True)) == [
            "SE1", "SE2", "SE3"]  # fmt: skip


def test_another_user_does_not_get_the_list(browser, site, db_url) -> None:
    """The list is kept per user: whoever logs in next on this browser starts empty."""
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/receive")
    page.get_by_test_id("to").fill("A1")
    scan(page, _label("U1"))
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/scan/receive")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("0 scanned")


def test_the_header_box_opens_what_any_scan_names(browser, site, world, db_url) -> None:
    """Scan anywhere: a GS1 label, a supplier's lot, a location, a party, an order number
    open their page; a code naming several things offers them; nothing, said why."""
    page = log_in(browser, site, "reader", **PHONE)
    find = page.get_by_test_id("find")
    for text, where in [
        (_label("SN0002"), "/units/PCB/SN0002"),
        (f"]C1010{GTIN[1:]}", "/items/PCB"),  # a GTIN with its symbology identifier
        (f"https://id.gs1.org/01/{GTIN}/21/SN0003", "/units/PCB/SN0003"),  # Digital Link
        ("CC-77", "/lots/CELL/L1"),  # the supplier's lot
        ("CELL@L1", "/lots/CELL/L1"),
        ("a2", "/locations/A2"),
        ("GLOBEX", "/parties?q=GLOBEX"),
    ]:
        find.fill(text)
        find.press("Enter")
        expect(page).to_have_url(f"{site}{where}")
    with tracelot.connect(db_url) as tl:  # issue 20: a case by its SSCC, an order by number
        sscc = tl.logistic_units()[0]["sscc"]
    for text, where in [(f"(00){sscc}", f"/sscc/{sscc}"), (sscc, f"/sscc/{sscc}"),
                        ("SO 1", "/orders/1")]:  # fmt: skip
        find.fill(text)
        find.press("Enter")
        expect(page).to_have_url(f"{site}{where}")
    find.fill("1")  # purchase order 1, sales order 1, recall 1 and operation 1: choose
    find.press("Enter")
    choices = page.get_by_test_id("choices")
    expect(choices).to_contain_text("purchase order 1")
    expect(choices).to_contain_text("sales order 1")
    expect(choices).to_contain_text("recall 1")
    choices.get_by_role("link", name="purchase order 1").click()
    expect(page).to_have_url(f"{site}/purchase-orders/1")
    find.fill("(01)09506000134352(21)NOT-HERE")
    find.press("Enter")
    expect(page.get_by_test_id("find-error")).to_contain_text("Nothing matches")
    page.goto(f"/items?q={GTIN}")  # the item list finds an item by GTIN, or by a label
    expect(page.get_by_role("link", name="PCB", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="CELL", exact=True)).to_have_count(0)
    page.goto("/trace?ref=CC-77")  # a supplier's lot traced as what it names
    expect(page.get_by_test_id("affected")).to_contain_text("D1")


def test_receive_against_a_purchase_order_by_scanning_keeps_the_suppliers_lot(
    browser,
    site,
    world,
    db_url,
) -> None:
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Purchase orders", exact=True).click()
    page.get_by_test_id("purchase-orders").get_by_role("link", name="PO 1").click()
    expect(page.get_by_test_id("po-lines")).to_contain_text("CELL")
    page.get_by_test_id("receive-po").click()
    expect(page.get_by_test_id("po")).to_have_value("1")
    page.get_by_test_id("to").fill("A2")
    with tracelot.connect(db_url) as tl:
        tl.add_gtin("CELL", "09506000134369")
    scan(page, "(01)09506000134369(10)SUP-LOT-9(17)320131(30)60")  # the supplier's label
    expect(page.get_by_test_id("list")).to_contain_text("SUP-LOT-9")
    expect(page.get_by_test_id("list")).to_contain_text("2032-01-31")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("receive #")
    page.goto("/purchase-orders/1")
    expect(page.get_by_test_id("po-lines")).to_contain_text("60")
    expect(page.get_by_test_id("po-receipts")).to_contain_text("60")
    with tracelot.connect(db_url) as tl:
        [where] = tl.where("CELL@SUP-LOT-9")
        assert (where["location"], where["qty"], str(where["expires"])) == ("A2", 60, "2032-01-31")
        assert tl.purchase_order(1)["lines"][0]["received"] == 60
        # the recall wizard finds the supplier's lot
        preview = tl.recall_preview(supplier="CELLCO", supplier_lot="SUP-LOT-9")
        assert preview["affected"] == 1, preview
        assert tl.verify().ok


def test_a_receipt_against_an_order_of_another_supplier_is_refused(
    browser, site, world, db_url
) -> None:
    page = log_in(browser, site, "clerk")
    with tracelot.connect(db_url) as tl:
        tl.add_gtin("CELL", "09506000134369")
    page.goto("/scan/receive?po=1")
    page.get_by_test_id("to").fill("A2")
    page.get_by_test_id("supplier").fill("ACME")
    scan(page, "(01)09506000134369(10)NEW1(30)5")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("1 scanned")  # kept
    with tracelot.connect(db_url) as tl, pytest.raises(NotFound):
        tl.where("CELL@NEW1")  # nothing received


def test_ship_names_its_order_and_the_recall_lists_it(browser, site, world, db_url) -> None:
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/ship-to")
    page.get_by_test_id("to").fill("GLOBEX")
    page.get_by_test_id("reference").fill("SO-2002")
    scan(page, _label("SN0005"))
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("ship #")
    with tracelot.connect(db_url) as tl:
        ship = [h for h in tl.history("PCB:SN0005") if h["kind"] == "ship"]
        assert [h["reference"] for h in ship] == ["SO-2002"]


def test_unit_lot_item_and_location_pages_print_their_labels(browser, site, world) -> None:
    page = log_in(browser, site, "clerk")
    for address in ("/units/PCB/SN0002", "/lots/CELL/L1", "/locations/A1"):
        page.goto(address)
        with page.expect_popup() as popup:
            page.get_by_test_id("print-label").click()
        pdf = popup.value
        pdf.wait_for_load_state()
        assert pdf.url.endswith("/labels")
        pdf.close()
    page.goto("/items/PCB")
    page.get_by_test_id("print-label").click()
    expect(page.get_by_test_id("label-refs")).to_have_value(
        " ".join(f"PCB:SN{n:04d}" for n in range(2, 13))
    )
    page.goto("/units/PCB/SN0002")
    page.get_by_test_id("scrap").click()
    expect(page.get_by_test_id("ref")).to_have_value("PCB:SN0002")


def test_master_data_is_added_in_the_browser(browser, site, db_url) -> None:
    page = log_in(browser, site, "plan", **PHONE)
    page.goto("/items")
    page.get_by_test_id("add-item").click()
    page.get_by_test_id("field-code").fill("VALVE")
    page.get_by_test_id("field-name").fill("Check valve")
    page.get_by_test_id("field-tracking").select_option("lot")
    page.get_by_test_id("field-gtin").fill("123")  # a bad GTIN: refused, nothing added
    page.get_by_test_id("add").click()
    expect(page.get_by_test_id("error")).to_contain_text("GTIN")
    page.get_by_test_id("field-gtin").fill("")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(f"{site}/items/VALVE")
    page.goto("/locations")
    page.get_by_test_id("add-location").click()
    page.get_by_test_id("field-code").fill("B7")
    page.get_by_test_id("field-parent").fill("WH")
    page.get_by_test_id("add").click()
    expect(page).to_have_url(f"{site}/locations/B7")
    page.goto("/parties")
    page.get_by_test_id("add-party").click()
    page.get_by_test_id("field-code").fill("INITECH")
    page.get_by_test_id("field-name").fill("Initech")
    page.get_by_test_id("field-kind").select_option("customer")
    page.get_by_test_id("add").click()
    expect(page.get_by_role("link", name="INITECH")).to_be_visible()
    with tracelot.connect(db_url) as tl:
        assert tl.item("VALVE")["tracking"] == "lot"
        assert [r["location_path"] for r in tl.locations() if r["location"] == "B7"] == ["WH/B7"]
        assert [r["name"] for r in tl.parties(kind="customer") if r["party"] == "INITECH"] == [
            "Initech"
        ]
        added = {(c["entity"], c["code"]) for c in tl.changes()}
        assert {("item", "VALVE"), ("location", "B7"), ("party", "INITECH")} <= added
    other = log_in(browser, site, "clerk")  # an operator keeps no master data
    assert other.goto("/add/items").status == 403


def test_a_build_shows_its_bill_of_materials(browser, site, world, db_url) -> None:
    page = log_in(browser, site, "clerk", **PHONE)
    page.goto("/scan/consume-into")
    page.get_by_test_id("target").fill("DEV:D2")
    page.get_by_test_id("to").fill("A2")
    scan(page, _label("SN0003"))
    bom = page.get_by_test_id("bom")
    expect(bom).to_contain_text("1 × PCB")
    expect(bom).to_contain_text("4 × CELL")
    scan(page, "CELL@L1=4")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("build #")


def test_a_big_trace_starts_with_its_summary_and_pages_its_rows(
    browser, site, setup_basics, db_url
) -> None:
    """A supplier lot in 120 devices shipped to two customers: the lot's page stays under
    two phone screens; the trace pages its rows and each count links to its rows."""
    cli = setup_basics
    _ok(cli, "receive", "CELL", "--to", "A1", "--lot", "BIG", "--qty", "500")
    with tracelot.connect(db_url) as tl:
        for n in range(120):
            tl.build("DEV", serial=f"B{n:03d}", to="A2", consume=["CELL@BIG=2"])
        tl.ship(*[f"DEV:B{n:03d}" for n in range(80)], to="ACME")
        tl.ship(*[f"DEV:B{n:03d}" for n in range(80, 100)], to="GLOBEX")
    page = log_in(browser, site, "reader", **PHONE)
    page.goto("/lots/CELL/BIG")
    _shoot(page, "big-lot-phone")
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 2 * PHONE["height"], f"{height} px: more than two screens"
    summary = page.get_by_test_id("summary")
    expect(summary.get_by_test_id("by-customer")).to_contain_text("80 ACME")
    expect(summary.get_by_test_id("by-status")).to_contain_text(
        "21 in_stock"
    )  # the lot and 20 devices
    summary.get_by_role("link", name="20 GLOBEX").click()
    expect(page.get_by_test_id("affected").locator("tbody tr")).to_have_count(20)
    page.goto("/trace?ref=CELL@BIG")
    expect(page.get_by_test_id("affected").locator("tbody tr")).to_have_count(50)
    page.get_by_test_id("next").click()
    expect(page.locator(".pages")).to_contain_text("51–100 of")
    _shoot(page, "big-trace-phone")


def test_a_deep_trace_shows_its_first_levels_and_links_to_the_rest(
    browser, site, setup_basics, db_url
) -> None:
    """The trace page builds its tree only as deep as it shows it: a node on the last level
    with more below links to its own trace; the rows list everything, however deep."""
    _ok(setup_basics, "receive", "CELL", "--to", "A1", "--lot", "DEEP", "--qty", "10")
    with tracelot.connect(db_url) as tl:
        tl.add_item("STAGE", name="Stage", tracking="serial")
        previous = "CELL@DEEP=1"
        for n in range(1, 8):
            tl.build("STAGE", serial=f"S{n}", to="A2", consume=[previous])
            previous = f"STAGE:S{n}"
    page = log_in(browser, site, "reader")
    page.goto("/trace?ref=CELL@DEEP")
    # the lot (in stock, and consumed) and the seven stages, however deep
    expect(page.locator(".pages")).to_contain_text("of 9")
    tree = page.locator(".tree").first
    expect(tree).to_contain_text("STAGE:S4")
    expect(tree).not_to_contain_text("STAGE:S5")
    deeper = page.get_by_test_id("deeper")
    expect(deeper).to_have_count(1)
    expect(deeper).to_contain_text("1 more below")
    page.goto(deeper.get_attribute("href") or "")
    expect(page.locator("input[name=ref]")).to_have_value("STAGE:S4")
    expect(page.locator(".tree").first).to_contain_text("STAGE:S7")
    expect(page.get_by_test_id("deeper")).to_have_count(0)
    page.goto("/lots/CELL/DEEP")  # the lot's page: its tree as short, the same link
    expect(page.get_by_test_id("deeper")).to_have_count(1)
