"""The web pages in a real browser: Debian's Chromium driven by Playwright against a real
`tracelot serve` process on loopback. Each test does what a person at the page does
(types scans into the scan box, presses Enter, clicks) and then asserts both what the
page shows and what the database holds.

With TRACELOT_SCREENSHOTS=DIR the tests also keep screenshots of the main pages there
(`make screenshots` writes them to docs/screenshots for the README)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import from_state, serving
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

import tracelot

GTIN = "09506000134352"  # the boards' GTIN: a supplier's GS1 label names them
PASSWORD = "a-long-test-password"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def chromium_path() -> str:
    found = os.environ.get("TRACELOT_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("the browser tests need Chromium: apt-get install chromium (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:  # one per process: Playwright's sync API does not nest
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=ARGS)
    yield launched
    launched.close()


@pytest.fixture
def site(setup_basics, db_url: str, tmp_path: Path, tmp_path_factory) -> Iterator[str]:
    """tracelot serving the basic world, with a user of each role that the tests use."""

    def users() -> None:
        with tracelot.connect(db_url) as tl:
            for name, role in (
                ("boss", "admin"),
                ("clerk", "operator"),
                ("reader", "viewer"),
                ("qa", "quality"),
                ("plan", "planner"),
            ):
                tl.add_user(name, role=role, password=PASSWORD)
        assert setup_basics("item", "gtin", "add", "PCB", GTIN).exit_code == 0

    from_state("site", db_url, tmp_path_factory, users)
    with serving(db_url, tmp_path / "serve.log") as base:
        yield base


#: what the browser refused under the pages' Content-Security-Policy, test by test
CSP_VIOLATIONS: list[str] = []


@pytest.fixture(autouse=True)
def _no_csp_violations() -> Iterator[None]:
    """Every page works under its Content-Security-Policy: the browser refuses nothing."""
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS


def _watch_csp(message: Any) -> None:
    if "Content Security Policy" in message.text:
        CSP_VIOLATIONS.append(f"{message.location.get('url')}: {message.text}")


def log_in(browser: Browser, base: str, name: str, width: int = 1100, height: int = 900) -> Page:
    page = browser.new_page(base_url=base, viewport={"width": width, "height": height})
    page.on("console", _watch_csp)
    page.goto("/items")  # a page behind the login: it sends us there, and back after
    expect(page).to_have_url(f"{base}/login?next=/items")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/items")
    return page


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("TRACELOT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def scan(page: Page, *texts: str) -> None:
    """What a keyboard-wedge scanner does: the text, then Enter; each answered before
    the next (the list says how many were scanned)."""
    box = page.get_by_test_id("scan")
    for text in texts:
        before = page.get_by_test_id("list").locator("caption").inner_text()
        box.fill(text)
        box.press("Enter")
        expect(box).to_have_value("")  # answered: the box is emptied for the next scan
        page.wait_for_function(
            "before => document.querySelector('[data-testid=list] caption').innerText !== before"
            " || document.querySelector('[data-testid=error]')",
            arg=before,
        )


def test_a_wrong_password_is_refused_and_the_right_one_shows_who(browser, site, db_url) -> None:
    page = browser.new_page(base_url=site)
    page.goto("/login")
    page.get_by_label("User name").fill("boss")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong user name or password")
    page = log_in(browser, site, "boss")
    expect(page.get_by_test_id("who")).to_have_text("boss (admin)")
    page.goto("/")
    expect(page.get_by_test_id("stock-value")).to_have_text("0.00")
    expect(page.get_by_test_id("value-chart").locator("svg")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{site}/login")
    page.goto("/")
    expect(page).to_have_url(f"{site}/login?next=/")


def test_receiving_twenty_serials_by_scanning_refuses_a_duplicate(browser, site, db_url) -> None:
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Receive", exact=True).click()
    page.get_by_test_id("to").fill("A1")
    labels = [f"(01){GTIN}(21)SN{n:04d}" for n in range(1, 21)]
    scan(page, *labels[:10])
    scan(page, labels[4])  # the fifth label again
    expect(page.get_by_test_id("error")).to_contain_text("scanned twice")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("10 scanned")
    expect(page.get_by_test_id("list")).to_contain_text("PCB")
    shoot(page, "scan-form")
    scan(page, *labels[10:], "(01)09506000134352")  # a GTIN alone says no serial
    expect(page.get_by_test_id("error")).to_be_visible()
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("20 scanned")
    scan(page, "(01)09506000134352(21)SN9999")
    page.get_by_test_id("undo").click()  # that one was not meant
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("20 scanned")
    with tracelot.connect(db_url) as tl:
        assert tl.stock(item="PCB") == []  # nothing until the list is committed
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("receive #")
    with tracelot.connect(db_url) as tl:
        units = tl.stock(item="PCB", serials=True)
        assert sorted(u["serial"] for u in units) == [f"SN{n:04d}" for n in range(1, 21)]
        assert {u["location"] for u in units} == {"A1"}
        assert tl.verify().ok


def test_build_ship_and_trace_a_lot_to_the_customer(browser, site, setup_basics, db_url) -> None:
    cli = setup_basics
    for args in (("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003"),
                 ("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "50",
                  "--supplier", "CELLCO", "--supplier-lot", "CC-77")):  # fmt: skip
        assert cli(*args).exit_code == 0
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Build", exact=True).click()
    page.get_by_test_id("target").fill("DEV:D1")
    page.get_by_test_id("to").fill("A2")
    scan(page, f"(01){GTIN}(21)SN0002", "CELL@L1=4")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("2 scanned")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("build #")
    page.get_by_role("link", name="Ship", exact=True).click()
    page.get_by_test_id("to").fill("ACME")
    scan(page, "DEV:D1")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("ship #")

    page.get_by_role("link", name="Trace", exact=True).click()
    page.get_by_label("Unit, lot or scan").fill("CELL@L1")
    page.get_by_role("button", name="Trace", exact=True).click()
    affected = page.get_by_test_id("affected")
    expect(affected.get_by_role("row").filter(has_text="D1")).to_contain_text("ACME")
    expect(affected.get_by_role("row").filter(has_text="D1")).to_contain_text("shipped")
    page.goto("/units/DEV/D1")
    expect(page.get_by_test_id("status")).to_have_text("shipped")
    expect(page.get_by_test_id("made-of")).to_contain_text("SN0002")
    expect(page.get_by_test_id("history")).to_contain_text("ship")
    with tracelot.connect(db_url) as tl:
        [where] = tl.where("DEV:D1")
        assert (where["status"], where["customer"]) == ("shipped", "ACME")
        inputs = {c["ref"] for c in tl.trace_backward("DEV:D1").to_dict()["roots"][0]["inputs"]}
        assert inputs == {"PCB:SN0002", "CELL@L1"}
        assert [r["qty"] for r in tl.stock(item="CELL")] == [46]


def test_a_viewer_sees_no_operation_pages_and_the_server_refuses_them(browser, site) -> None:
    page = log_in(browser, site, "reader")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Trace", exact=True)).to_be_visible()
    for label in ("Receive", "Move", "Ship", "Build"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(0)
    answer = page.goto("/scan/receive")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("may not use this page")


def test_a_change_without_the_sessions_csrf_token_is_refused(site, db_url) -> None:
    with httpx.Client(base_url=site) as client:
        client.post("/login", data={"name": "clerk", "password": PASSWORD})
        forged = client.post("/scan/receive", data={"scan": f"(01){GTIN}(21)X1", "to": "A1",
                                                    "action": "commit", "scans": "x"})  # fmt: skip
        assert forged.status_code == 403 and "out of date" in forged.text
    with tracelot.connect(db_url) as tl:
        assert tl.stock(item="PCB") == []


def test_a_recall_is_previewed_opened_and_lists_the_customers(
    browser, site, setup_basics, db_url
) -> None:
    cli = setup_basics
    for args in (("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "50"),
                 ("receive", "CELL", "--to", "A1", "--lot", "L2", "--qty", "50"),
                 ("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0002"),
                 ("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", "PCB:SN0001",
                  "--consume", "CELL@L1=2"),
                 ("build", "DEV", "--to", "A1", "--serial", "D2", "--consume", "PCB:SN0002",
                  "--consume", "CELL@L2=2"),
                 ("ship", "DEV:D1", "--to", "ACME", "--ref", "SO-7"),
                 ("ship", "DEV:D2", "--to", "GLOBEX", "--ref", "SO-8")):  # fmt: skip
        assert cli(*args).exit_code == 0, args
    page = log_in(browser, site, "qa")
    page.get_by_role("link", name="Recalls", exact=True).click()
    page.get_by_role("link", name="Open a recall…").click()
    page.get_by_test_id("reason").fill("swelling cells")
    page.get_by_test_id("refs").fill("CELL@L1")
    page.get_by_test_id("preview").click()
    preview = page.get_by_test_id("preview-result")
    expect(preview).to_contain_text("It reaches 3 units and lots")  # the lot, in D1, D1 shipped
    expect(preview.get_by_test_id("notify")).to_contain_text("ACME")
    expect(preview.get_by_test_id("notify")).not_to_contain_text("GLOBEX")
    with tracelot.connect(db_url) as tl:
        assert tl.recalls() == [] and tl.holds() == []  # a preview keeps nothing
    page.get_by_test_id("open").click()
    expect(page).to_have_url(f"{site}/recalls/1")
    notify = page.get_by_test_id("notify")
    expect(notify.get_by_role("row").filter(has_text="ACME")).to_contain_text("SO-7")
    expect(notify.get_by_role("row").filter(has_text="ACME")).to_contain_text("D1")
    expect(page.get_by_test_id("progress")).to_contain_text("open")
    shoot(page, "recall")
    csv = page.request.get(page.get_by_test_id("notify-csv").get_attribute("href"))
    assert csv.status == 200 and "ACME" in csv.text() and "SO-7" in csv.text()
    # the notices: ACME's letter as a PDF; sending without a mail server says so
    notices = page.get_by_test_id("notices")
    expect(notices.get_by_role("row").filter(has_text="ACME")).to_contain_text("not written")
    letter = page.request.get(page.get_by_test_id("letter-ACME").get_attribute("href"))
    assert letter.status == 200 and letter.body().startswith(b"%PDF")
    page.get_by_test_id("send-notices").click()
    expect(page.get_by_role("alert")).to_contain_text("no mail server is set up")
    with tracelot.connect(db_url) as tl:
        [recall] = tl.recalls()
        assert (recall["recall"], recall["status"], recall["affected"]) == (1, "open", 3)
        assert [n["serial"] for n in tl.recall(1)["notify"]] == ["D1"]
        assert [(h["item"], h["lot"], h["recall"]) for h in tl.holds()] == [("CELL", "L1", 1)]


def test_a_recall_is_marked_in_bulk_and_closed_and_stock_goes_back_to_the_supplier(
    browser, site, setup_basics, db_url
) -> None:
    cli = setup_basics
    for args in (("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "50",
                  "--supplier", "CELLCO"),
                 ("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003"),
                 ("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", "PCB:SN0001",
                  "--consume", "CELL@L1=2"),
                 ("build", "DEV", "--to", "A1", "--serial", "D2", "--consume", "PCB:SN0002",
                  "--consume", "CELL@L1=2"),
                 ("ship", "DEV:D1", "--to", "ACME", "--ref", "SO-7"),
                 ("recall", "open", "CELL@L1", "--reason", "swelling")):  # fmt: skip
        assert cli(*args).exit_code == 0, args
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="To supplier", exact=True).click()
    page.get_by_test_id("ref").fill("PCB:SN0003")
    page.get_by_test_id("supplier").fill("CELLCO")
    page.get_by_test_id("reference").fill("RMA-1")
    page.get_by_role("button", name="Return to a supplier").click()
    expect(page.get_by_test_id("done")).to_contain_text("supplier_return #")
    page.get_by_test_id("ref").fill("PCB:SN0003")  # gone already: refused, nothing done
    page.get_by_test_id("supplier").fill("CELLCO")
    page.get_by_role("button", name="Return to a supplier").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    with tracelot.connect(db_url) as tl:
        [where] = tl.where("PCB:SN0003")
        assert (where["status"], where["supplier"]) == ("returned_to_supplier", "CELLCO")
    page = log_in(browser, site, "qa")
    page.goto("/recalls/1")
    expect(page.get_by_test_id("progress")).to_contain_text("3 open")
    bulk = page.get_by_test_id("bulk-mark")
    bulk.get_by_test_id("bulk-refs").fill("DEV:D1\nDEV:D2\n")
    bulk.get_by_test_id("bulk-disposition").select_option("located")
    bulk.get_by_test_id("bulk-submit").click()
    expect(page.get_by_test_id("progress")).to_contain_text("2 located")
    bulk = page.get_by_test_id("bulk-mark")  # a reworked mark names its repair
    bulk.get_by_test_id("bulk-at").fill("A1")
    bulk.get_by_test_id("bulk-disposition").select_option("reworked")
    bulk.get_by_test_id("bulk-submit").click()
    expect(page.get_by_role("alert")).to_contain_text("give --operation")
    bulk = page.get_by_test_id("bulk-mark")  # everything at A1: the lot's stock and D2
    bulk.get_by_test_id("bulk-at").fill("A1")
    bulk.get_by_test_id("bulk-disposition").select_option("cleared")
    bulk.get_by_test_id("bulk-submit").click()
    # open first, then the dispositions in their own order, whatever order the rows come in
    expect(page.get_by_test_id("progress")).to_have_text("1 located2 cleared")
    expect(page.get_by_test_id("close")).to_contain_text("Every affected unit and lot")
    page.get_by_test_id("close-submit").click()
    expect(page.locator("h1")).to_contain_text("closed")
    with tracelot.connect(db_url) as tl:
        recall = tl.recall(1)
        assert recall["status"] == "closed"
        assert recall["by_disposition"] == {"located": 1, "cleared": 2}
        assert tl.holds() == [] and tl.verify().ok


def test_reports_show_tables_and_charts_and_draft_orders(browser, site, setup_basics, db_url):
    cli = setup_basics
    assert cli("item", "set", "SCREW", "--supplier", "CELLCO", "--min", "500").exit_code == 0
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "100").exit_code == 0
    assert cli("ship", "SCREW", "--to", "ACME", "--qty", "60").exit_code == 0
    for args in (("receive", "PCB", "--to", "A1", "--serials", "SN0001"),  # DEV is made here
                 ("build", "DEV", "--to", "A1", "--serial", "D1", "--consume", "PCB:SN0001",
                  "--consume", "SCREW=4"),
                 ("item", "set", "DEV", "--min", "3")):  # fmt: skip
        assert cli(*args).exit_code == 0, args
    page = log_in(browser, site, "plan")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.locator("figure.chart svg")).to_be_visible()  # turnover by item
    expect(page.get_by_test_id("report")).to_contain_text("SCREW")
    page.get_by_role("link", name="Reorder", exact=True).click()
    expect(page.get_by_test_id("report")).to_contain_text("SCREW")
    make = page.get_by_test_id("report").get_by_role("row").filter(has_text="DEV")
    expect(make).to_contain_text("make")
    expect(make).to_contain_text("PCB × 2, SCREW × 8")  # making 2 (1 on hand, min 3), per its build
    page.get_by_test_id("draft-orders").click()
    with tracelot.connect(db_url) as tl:
        [order] = tl.purchase_orders(status="draft")
        assert order["supplier"] == "CELLCO"
    drafted = page.get_by_role("status")
    expect(drafted).to_contain_text(f"purchase order {order['id']} (CELLCO). To make here: DEV.")


def test_single_operations_refuse_bad_input_and_then_do_it(browser, site, setup_basics, db_url):
    cli = setup_basics
    assert cli("receive", "PCB", "--to", "A1", "--serials", "SN0001").exit_code == 0
    assert cli("receive", "SCREW", "--to", "A1", "--qty", "50").exit_code == 0
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Scrap", exact=True).click()
    page.get_by_test_id("ref").fill(f"(01){GTIN}(21)SN0001")  # the unit's label, scanned
    page.get_by_role("button", name="Scrap").click()
    expect(page.get_by_test_id("error")).to_contain_text("reason")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:SN0001")[0]["status"] == "in_stock"  # refused: nothing done
    page.get_by_test_id("reason").fill("cracked")
    page.get_by_role("button", name="Scrap").click()
    expect(page.get_by_test_id("done")).to_contain_text("scrap #")
    page.get_by_role("link", name="Count", exact=True).click()
    page.get_by_test_id("item").fill("SCREW")
    page.get_by_test_id("at").fill("A1")
    page.get_by_test_id("counted").fill("40")
    page.get_by_role("button", name="Count (adjust the stock)").click()
    expect(page.get_by_test_id("done")).to_contain_text("adjust #")
    with tracelot.connect(db_url) as tl:
        assert tl.where("PCB:SN0001")[0]["status"] == "scrapped"
        assert [r["qty"] for r in tl.stock(item="SCREW")] == [40]


def test_labels_open_as_a_pdf(browser, site, setup_basics) -> None:
    assert setup_basics("receive", "PCB", "--to", "A1", "--serials", "SN0001").exit_code == 0
    page = log_in(browser, site, "reader")
    page.get_by_role("link", name="Labels", exact=True).click()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{site}/labels", form={"csrf": csrf, "refs": "PCB:SN0001 A1"})
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body()[:5] == b"%PDF-"
    wrong = page.request.post(f"{site}/labels", form={"csrf": csrf, "refs": "PCB:NOPE"})
    assert wrong.status == 422 and "NOPE" in wrong.text()


def test_an_admin_adds_users_and_tokens_and_no_one_else_may(browser, site, db_url) -> None:
    page = log_in(browser, site, "boss")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_label("New user").fill("dock1")
    page.locator("form.row select[name=role]").select_option("operator")
    page.get_by_label("Password (optional").fill("another-long-password")
    page.get_by_role("button", name="Add the user").click()
    row = page.get_by_role("row").filter(has_text="dock1")
    expect(row).to_contain_text("operator")
    row.get_by_role("button", name="New token").click()
    expect(page.get_by_test_id("token")).to_contain_text("tl_")
    token = page.get_by_test_id("token").inner_text()
    answer = httpx.get(f"{site}/api/v1/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.json()["user"] == "dock1"
    mine = page.get_by_role("row").filter(has_text="boss")
    mine.get_by_label("role of boss").select_option("viewer")
    mine.get_by_role("button", name="Set role").click()
    expect(page.get_by_role("alert")).to_contain_text("the last admin")
    with tracelot.connect(db_url) as tl:
        roles = {u["user"]: u["role"] for u in tl.users()}
        assert roles["dock1"] == "operator" and roles["boss"] == "admin"
    other = log_in(browser, site, "clerk")
    assert other.goto("/admin").status == 403


def test_an_admin_sets_the_gs1_company_prefix_on_the_admin_page(browser, site, db_url) -> None:
    page = log_in(browser, site, "boss")
    page.goto("/admin")
    row = page.get_by_role("row").filter(has_text="gs1_company_prefix")
    row.get_by_label("gs1_company_prefix").fill("12345")
    row.get_by_role("button", name="Set").click()
    expect(page.get_by_role("alert")).to_contain_text("6-12 digits")
    with tracelot.connect(db_url) as tl:
        assert {s["key"]: s["value"] for s in tl.settings()}["gs1_company_prefix"] is None
    row = page.get_by_role("row").filter(has_text="gs1_company_prefix")
    row.get_by_label("gs1_company_prefix").fill("0614141")
    row.get_by_role("button", name="Set").click()
    expect(page.get_by_role("status")).to_contain_text("gs1_company_prefix is 0614141")
    expect(page.get_by_role("row").filter(has_text="gs1_company_prefix")).to_contain_text("boss")
    with tracelot.connect(db_url) as tl:
        assert {s["key"]: s["value"] for s in tl.settings()}["gs1_company_prefix"] == "0614141"


def _camera_video(path: Path, payload: str) -> Path:
    """A video file Chromium plays as its camera: a GS1 DataMatrix label on white."""
    import zxingcpp

    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
    image = symbol.to_image(scale=8)
    h, w = image.shape
    pixels = bytes(memoryview(image))
    width, height = 640, 480
    frame = bytearray(b"\xff" * (width * height))
    top, left = (height - h) // 2, (width - w) // 2
    for row in range(h):
        start = (top + row) * width + left
        frame[start : start + w] = pixels[row * w : (row + 1) * w]
    chroma = b"\x80" * (width * height // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + bytes(frame) + chroma)
    return path


def test_a_label_held_to_the_camera_is_scanned(playwright, site, db_url, tmp_path) -> None:
    video = _camera_video(tmp_path / "camera.y4m", f"(01){GTIN}(21)CAM001")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]  # fmt: skip
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=[*ARGS, *camera])
    try:
        page = log_in(browser, site, "clerk")
        page.context.grant_permissions(["camera"], origin=site)
        page.get_by_role("link", name="Receive", exact=True).click()
        page.get_by_test_id("to").fill("A1")
        page.get_by_test_id("camera").click()
        list_ = page.get_by_test_id("list")
        expect(list_).to_contain_text("CAM001", timeout=30_000)
        expect(list_.locator("caption")).to_have_text("1 scanned")  # read once
        page.get_by_test_id("camera").click()  # stop it
        page.get_by_test_id("commit").click()
        expect(page.get_by_test_id("done")).to_contain_text("receive #")
    finally:
        browser.close()
    with tracelot.connect(db_url) as tl:
        assert [u["serial"] for u in tl.stock(item="PCB", serials=True)] == ["CAM001"]


def test_the_scan_form_fits_a_phone_and_works_from_the_keyboard(browser, site, db_url) -> None:
    page = log_in(browser, site, "clerk", width=390, height=844)
    page.goto("/scan/receive")
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than the phone"
    box = page.get_by_test_id("scan")
    expect(box).to_be_focused()  # the cursor waits in the scan box
    assert box.bounding_box()["height"] >= 44  # a target a thumb can hit
    page.keyboard.press("Shift+Tab")  # to the location field, by keyboard alone
    page.keyboard.type("A1")
    page.keyboard.press("Tab")
    page.keyboard.type(f"(01){GTIN}(21)PH1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("list")).to_contain_text("PH1")
    page.get_by_test_id("commit").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done")).to_contain_text("receive #")
    with tracelot.connect(db_url) as tl:
        assert [u["serial"] for u in tl.stock(item="PCB", serials=True)] == ["PH1"]


def test_the_demos_pages_show_its_story(browser, cli, db_url, tmp_path) -> None:
    """The demo data set through the pages: the dashboard's figures are the reports',
    a repaired scanner's page shows its past board, a supplier lot's trace reaches the
    customers (and the README's screenshots are made here)."""
    assert cli("demo").exit_code == 0
    with tracelot.connect(db_url) as tl:
        tl.add_user("boss", role="admin", password=PASSWORD)
        value = tl.valuation()["total"]["value"]
    with serving(db_url, tmp_path / "serve.log") as base:
        page = log_in(browser, base, "boss", width=1280)
        page.goto("/")
        expect(page.get_by_test_id("stock-value")).to_have_text(f"{value:,.2f}")
        expect(page.get_by_role("link", name="DEV", exact=True)).to_be_visible()  # reorder due
        shoot(page, "dashboard")
        assert (
            cli("receive", "SCREW", "--to", "WH-A-01", "--qty", "100", "--cost", "1").exit_code == 0
        )
        page.reload()  # the report figures are kept a minute ...
        expect(page.get_by_test_id("stock-value")).to_have_text(f"{value:,.2f}")
        page.get_by_test_id("refresh").click()  # ... or asked for anew
        expect(page.get_by_test_id("stock-value")).to_have_text(f"{value + 100:,.2f}")
        page.goto("/units/DEV/HX2-00007")
        expect(page.get_by_test_id("made-of")).to_contain_text("PCB-000007")
        expect(page.get_by_text("taken out")).to_be_visible()  # the board the repair replaced
        shoot(page, "unit")
        page.get_by_test_id("made-of").locator("svg a").filter(has_text="PCB-000081").click()
        expect(page).to_have_url(f"{base}/units/PCB/PCB-000081")  # the graph's nodes link
        page.goto("/stock?item=DEV&units=true")
        expect(
            page.get_by_test_id("stock").get_by_role("link", name="DEV:HX2-00063")
        ).to_be_visible()
        page.goto("/trace?ref=CELL@CL-101&direction=forward")
        affected = page.get_by_test_id("affected")
        expect(affected).to_contain_text("NORDRETAIL")
        shoot(page, "trace")
        for name in ("turnover", "reorder", "expiring", "excess", "abc"):
            answer = page.goto(f"/reports/{name}")
            assert answer is not None and answer.status == 200, name


def test_the_lists_link_to_their_pages_and_odd_addresses_get_pages(browser, site, setup_basics):
    cli = setup_basics
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L1", "--qty", "5").exit_code == 0
    page = log_in(browser, site, "reader")
    page.get_by_label("Find").fill("cell")
    page.get_by_role("button", name="Show").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(2)  # the header and CELL
    table.get_by_role("link", name="CELL", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("CELL")
    page.get_by_role("link", name="L1", exact=True).click()
    expect(page).to_have_url(f"{site}/lots/CELL/L1")
    expect(page.get_by_test_id("where")).to_have_text("WH/A1")
    page.goto("/locations?q=a1")
    tree = page.get_by_test_id("locations")
    expect(tree).to_contain_text("WH")  # the branch above the match stays
    expect(tree).not_to_contain_text("QUAR")
    tree.get_by_role("link", name="A1", exact=True).click()
    expect(page.get_by_test_id("stock")).to_contain_text("CELL")
    page.goto("/parties?kind=customer")
    expect(page.get_by_test_id("parties")).to_contain_text("ACME")
    expect(page.get_by_test_id("parties")).not_to_contain_text("CELLCO")
    for address, status in (("/reports/nope", 404), ("/recalls/abc", 422),
                            ("/recalls/99999999999999999999", 422), ("/units/PCB/NOPE", 404),
                            ("/items?limit=0", 422)):  # fmt: skip
        answer = page.goto(address)
        assert answer is not None and answer.status == status, address
        assert answer.headers["content-type"].startswith("text/html"), address
        expect(page.get_by_role("alert")).to_be_visible()


def test_a_scan_that_no_longer_stands_is_dropped_with_its_reason(
    browser, site, setup_basics, db_url
) -> None:
    cli = setup_basics
    assert cli("receive", "PCB", "--to", "A1", "--serials", "SN0001..SN0003").exit_code == 0
    page = log_in(browser, site, "clerk")
    page.get_by_role("link", name="Ship", exact=True).click()
    page.get_by_test_id("to").fill("ACME")
    scan(page, "PCB:SN0001", "PCB:SN0002")
    assert cli("ship", "PCB:SN0001", "--to", "GLOBEX").exit_code == 0  # meanwhile, elsewhere
    scan(page, "PCB:SN0003")
    expect(page.get_by_test_id("error")).to_contain_text("PCB:SN0001")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("2 scanned")
    assert cli("move", "PCB:SN0002", "--to", "A2").exit_code == 0  # still there, to ship
    assert cli("scrap", "PCB:SN0003", "--reason", "dropped").exit_code == 0  # no longer
    page.get_by_test_id("commit").click()  # refused whole: the list is not what was seen
    expect(page.get_by_test_id("error")).to_contain_text("nothing was done")
    expect(page.get_by_test_id("list").locator("caption")).to_have_text("1 scanned")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("done")).to_contain_text("ship #")
    with tracelot.connect(db_url) as tl:
        assert tl.stock(item="PCB", serials=True) == []
        assert tl.where("PCB:SN0002")[0]["customer"] == "ACME"
        assert tl.where("PCB:SN0001")[0]["customer"] == "GLOBEX"
        assert tl.where("PCB:SN0003")[0]["status"] == "scrapped"


def test_nul_characters_are_refused_and_change_nothing(site, setup_basics, db_url) -> None:
    assert setup_basics("receive", "SCREW", "--to", "A1", "--qty", "5").exit_code == 0
    with httpx.Client(base_url=site) as client:
        client.post("/login", data={"name": "clerk", "password": PASSWORD})
        form = client.get("/do/scrap").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        answer = client.post("/do/scrap", data={"csrf": csrf, "ref": "SCREW", "qty": "1",
                                                "reason": "bad\x00nul", "from": "A1"})  # fmt: skip
        assert answer.status_code == 422 and "NUL" in answer.text
        login = client.post("/login", data={"name": "clerk\x00", "password": PASSWORD})
        assert login.status_code == 422 and "NUL" in login.text
    with tracelot.connect(db_url) as tl:
        assert [r["qty"] for r in tl.stock(item="SCREW")] == [5]


def test_a_commit_sent_twice_is_done_once(site, setup_basics, db_url) -> None:
    assert setup_basics("receive", "SCREW", "--to", "A1", "--qty", "50").exit_code == 0
    with httpx.Client(base_url=site) as client:
        client.post("/login", data={"name": "clerk", "password": PASSWORD})
        form = client.get("/scan/ship-to").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        once = form.split('name="once" value="')[1].split('"')[0]
        sent = {
            "csrf": csrf,
            "once": once,
            "to": "ACME",
            "action": "commit",
            "scans": ["SCREW=5", "SCREW=3"],
        }  # two cartons of one item, added up
        first = client.post("/scan/ship-to", data=sent)
        again = client.post("/scan/ship-to", data=sent)  # a double click, a reload
        assert "ship #" in first.text and "ship #" in again.text
    with tracelot.connect(db_url) as tl:
        assert [r["qty"] for r in tl.stock(item="SCREW")] == [42]  # 8 shipped, once
