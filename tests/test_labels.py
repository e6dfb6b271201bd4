"""Labels: the PDF is rendered to an image, decoded by a real decoder (zxing-cpp), and each
symbol's content is scanned back into tracelot, which must name the labelled thing."""

from __future__ import annotations

import io
import json
import re
import socket
import threading
from pathlib import Path

import pypdfium2
import pytest
import sqlalchemy
import zplkit
import zxingcpp
from conftest import Cli
from PIL import Image

from tracelot.domain.values import gtin_check_digit

DEV_GTIN = "0950600013435" + str(gtin_check_digit("0950600013435"))
GLN = "061414100001" + str(gtin_check_digit("061414100001"))


@pytest.fixture
def world(setup_basics: Cli) -> Cli:
    cli = setup_basics
    for args in [
        ("item", "add", "SCANNER", "--name", "Handheld scanner", "--tracking", "serial",
         "--gtin", DEV_GTIN),
        ("location", "add", "DOCK", "--parent", "WH", "--gln", GLN),
        ("receive", "SCANNER", "--to", "A1", "--serials", "HX-001,HX-002"),
        ("receive", "PCB", "--to", "A1", "--serials", "SN0001"),
        ("receive", "CELL", "--to", "A2", "--lot", "L7", "--qty", "40", "--expires",
         "2027-06-30"),
    ]:  # fmt: skip
        outcome = cli(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return cli


def decode_pdf(path: Path, dpi: int = 203) -> list[list[zxingcpp.Barcode]]:
    """Every page at a thermal printer's 203 dpi, decoded: the symbols on each page."""
    pages = []
    for page in pypdfium2.PdfDocument(path):
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        pages.append(zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain))
    return pages


def pdf_text(path: Path) -> list[str]:
    """The text of each page."""
    return [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(path)]


def scanned(cli: Cli, symbols: list[zxingcpp.Barcode]) -> list[dict]:
    """What tracelot makes of the decoder's output: symbology identifier and content."""
    lines = "".join(s.symbology_identifier + s.text + "\n" for s in symbols)
    outcome = cli("scan", "--json", input=lines)
    return [json.loads(line) for line in outcome.stdout.splitlines()]


def name(result: dict) -> str:
    if result["kind"] == "location":
        return result["location"]
    key = f":{result['serial']}" if result["kind"] == "unit" else f"@{result['lot']}"
    return result["item"] + key


def test_single_labels_decode_back_to_what_they_label(world: Cli, tmp_path: Path) -> None:
    refs = ["SCANNER:HX-001", "PCB:SN0001", "CELL@L7", "A1", "DOCK"]
    pdf = tmp_path / "labels.pdf"
    outcome = world("label", *refs, "--size", "50x25mm", "--out", str(pdf))
    assert outcome.exit_code == 0, outcome.stderr
    pages = decode_pdf(pdf)
    assert [len(p) for p in pages] == [1] * len(refs)
    symbols = [p[0] for p in pages]
    # GS1 symbols say so: a GS1 DataMatrix for an item with a GTIN, GS1-128 for a GLN
    assert [s.symbology_identifier for s in symbols] == ["]d2", "]d1", "]d1", "]C0", "]C1"]
    assert symbols[0].content_type == zxingcpp.ContentType.GS1
    assert symbols[0].text == f"01{DEV_GTIN}21HX-001"
    assert symbols[4].text == f"414{GLN}"
    results = scanned(world, symbols)
    assert [r["ok"] for r in results] == [True] * len(refs), results
    assert [name(r) for r in results] == refs
    assert results[0]["ais"] == {"01": DEV_GTIN, "21": "HX-001"}
    assert results[2]["expiry"] == "2027-06-30"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_sheet_of_labels_decodes_whole(world: Cli, tmp_path: Path, paper: str) -> None:
    refs = ["SCANNER:HX-001", "SCANNER:HX-002", "PCB:SN0001", "CELL@L7", "A1", "A2", "DOCK"]
    pdf = tmp_path / "sheet.pdf"
    outcome = world("label", *refs, "--layout", "sheet", "--paper", paper, "--rows", "3",
                    "--cols", "2", "--out", str(pdf))  # fmt: skip
    assert outcome.exit_code == 0, outcome.stderr
    pages = decode_pdf(pdf)
    assert [len(p) for p in pages] == [6, 1]  # 3 x 2 a sheet
    got = sorted(name(r) for r in scanned(world, [s for p in pages for s in p]))
    assert got == sorted(refs)


def test_one_symbol_as_png_and_svg(world: Cli, tmp_path: Path) -> None:
    png, svg = tmp_path / "s.png", tmp_path / "s.svg"
    assert world("label", "SCANNER:HX-002", "--png", str(png), "--svg", str(svg)).exit_code == 0
    (symbol,) = zxingcpp.read_barcodes(Image.open(png), text_mode=zxingcpp.TextMode.Plain)
    assert (symbol.symbology_identifier, symbol.text) == ("]d2", f"01{DEV_GTIN}21HX-002")
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_receiving_prints_labels_for_what_came_in(world: Cli, tmp_path: Path) -> None:
    pdf = tmp_path / "in.pdf"
    outcome = world("receive", "PCB", "--to", "A1", "--serials", "SN0100..SN0102", "--label",
                    str(pdf))  # fmt: skip
    assert outcome.exit_code == 0, outcome.stderr
    symbols = [p[0] for p in decode_pdf(pdf)]
    assert [name(r) for r in scanned(world, symbols)] == ["PCB:SN0100", "PCB:SN0101", "PCB:SN0102"]


def test_bad_label_requests_are_refused_and_write_nothing(
    world: Cli, refused, tmp_path: Path
) -> None:
    pdf = tmp_path / "none.pdf"
    refused("label", "PCB:SN9999", "--out", str(pdf), match="unknown unit PCB:SN9999")
    refused("label", "PCB", "--out", str(pdf), match="label a unit, a lot or a location")
    refused("label", "A1", "--size", "50 by 25", "--out", str(pdf), match="label size")
    refused("label", "A1", "--size", "5x2mm", "--out", str(pdf), match="from 15x10mm")
    refused("label", "A1", "--layout", "sheet", "--paper", "a3", "--out", str(pdf), match="a4")
    refused("label", "SUPPLIER", "--out", str(pdf), match="virtual")
    assert not pdf.exists()
    assert world("label", "A1", "A2", "--png", str(tmp_path / "x.png")).exit_code == 2


GLUE_GTIN = "0950600013436" + str(gtin_check_digit("0950600013436"))


@pytest.fixture
def gs1_lots(world: Cli) -> Cli:
    """A lot-tracked item with a GTIN, and a lot of it."""
    for args in [
        ("item", "add", "GLUE", "--name", "Glue", "--tracking", "lot", "--gtin", GLUE_GTIN),
        ("receive", "GLUE", "--to", "A1", "--lot", "G-7_B", "--qty", "5", "--expires",
         "2027-01-31"),
    ]:  # fmt: skip
        outcome = world(*args)
        assert outcome.exit_code == 0, (args, outcome.stderr)
    return world


def test_every_gs1_symbol_has_its_human_readable_text(gs1_lots: Cli, tmp_path: Path) -> None:
    pdf = tmp_path / "hri.pdf"
    outcome = gs1_lots("label", "GLUE@G-7_B", "DOCK", "SCANNER:HX-001", "--out", str(pdf))
    assert outcome.exit_code == 0, outcome.stderr
    lot, dock, unit = pdf_text(pdf)
    for line in (f"(01) {GLUE_GTIN}", "(10) G-7_B", "(17) 270131"):
        assert line in lot, lot
    assert f"(414) {GLN}" in dock and "(21) HX-001" in unit
    symbols = [p[0] for p in decode_pdf(pdf)]
    assert symbols[0].text == f"01{GLUE_GTIN}10G-7_B\x1d17270131"


def test_lots_and_serials_gs1_does_not_allow_are_refused_for_items_with_a_gtin(
    gs1_lots: Cli, refused
) -> None:
    refused("receive", "GLUE", "--to", "A1", "--lot", "L+7#", "--qty", "1", match="holds #")
    refused("receive", "SCANNER", "--to", "A1", "--serials", "HX#9", match="which GS1 does not")
    refused("receive", "SCANNER", "--to", "A1", "--serials", "X" * 21, match="20 characters")
    refused("build", "SCANNER", "--to", "A1", "--serial", "B#1", "--consume", "CELL@L7=1",
            match="holds #")  # fmt: skip
    # an item without a GTIN takes them (tracelot's own payload carries any code)
    assert gs1_lots("receive", "CELL", "--to", "A1", "--lot", "L+7#", "--qty", "1").exit_code == 0


def test_a_lot_gs1_does_not_allow_from_before_the_check_is_labelled_with_tracelots_code(
    gs1_lots: Cli, db_url: str, tmp_path: Path
) -> None:
    cli = gs1_lots
    assert cli("receive", "CELL", "--to", "A1", "--lot", "L+7#", "--qty", "1").exit_code == 0
    gtin = "0950600013437" + str(gtin_check_digit("0950600013437"))
    engine = sqlalchemy.create_engine(db_url)  # CELL's GTIN given by an earlier tracelot,
    with engine.begin() as conn:  # which took such lots for items with a GTIN
        conn.execute(sqlalchemy.text("UPDATE items SET gtin = :g WHERE code = 'CELL'"), {"g": gtin})
    engine.dispose()
    pdf = tmp_path / "fallback.pdf"
    outcome = cli("label", "CELL@L+7#", "--out", str(pdf))
    assert outcome.exit_code == 0, outcome.stderr
    assert "warning: CELL@L+7#" in outcome.stderr and "tracelot's own code" in outcome.stderr
    (symbol,) = decode_pdf(pdf)[0]
    assert symbol.symbology_identifier == "]d1"  # not GS1: GS1's engine would refuse '#'
    assert [name(r) for r in scanned(cli, [symbol])] == ["CELL@L+7#"]


def zpl_fields(zpl: str) -> list[tuple[str, str]]:
    """The symbols a ZPL file asks the printer for: (command, data), GS1 data bracketed."""
    found = []
    fields = r"\^(BX|BC)([^\^]*)(?:\^BY[^\^]*)?\^FD([^\^]*)\^FS"
    for command, params, data in re.findall(fields, zpl):
        escape = params.split(",")[6] if command == "BX" and len(params.split(",")) > 6 else ""
        if escape and data.startswith(escape + "1"):
            data = data.replace(escape + "1", "\x1d")[1:]
        found.append((command, data))
    return found


@pytest.mark.parametrize("dpi", [203, 300])
def test_zpl_labels_decode_back_to_what_they_label(gs1_lots: Cli, tmp_path: Path, dpi: int) -> None:
    refs = ["SCANNER:HX-001", "GLUE@G-7_B", "PCB:SN0001", "A1", "DOCK"]
    path = tmp_path / "labels.zpl"
    outcome = gs1_lots("label", *refs, "--zpl", str(path), "--dpi", str(dpi), "--json")
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["written"] == [str(path)] and outcome.json()["labels"] == len(refs)
    zpl = path.read_text()
    assert zpl.count("^XA") == len(refs) and "^BXN" in zpl and ",D^FD(414)" in zpl
    assert (("BX", f"01{GLUE_GTIN}10G-7_B\x1d17270131")) in zpl_fields(zpl)
    width, height = round(50 / 25.4 * dpi), round(25 / 25.4 * dpi)
    document = zplkit.render(zpl.encode(), zplkit.Options(profile="specification", width=width,
                                                          height=height, dpi=dpi))  # fmt: skip
    assert len(document.labels) == len(refs)
    symbols = []
    for label in document.labels:
        image = Image.open(io.BytesIO(label.png())).convert("L")
        (symbol,) = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
        symbols.append(symbol)
    assert [s.symbology_identifier for s in symbols] == ["]d2", "]d2", "]d1", "]C0", "]C1"]
    assert [name(r) for r in scanned(gs1_lots, symbols)] == refs


def test_zpl_goes_to_the_printers_raw_port(gs1_lots: Cli, refused, tmp_path: Path) -> None:
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def printer() -> None:
            connection, _ = server.accept()
            with connection:
                while chunk := connection.recv(65536):
                    received.extend(chunk)

        thread = threading.Thread(target=printer)
        thread.start()
        path = tmp_path / "sent.zpl"
        outcome = gs1_lots("label", "GLUE@G-7_B", "DOCK", "--printer", f"127.0.0.1:{port}",
                           "--zpl", str(path), "--json")  # fmt: skip
        thread.join(10)
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.json()["sent"] == f"127.0.0.1:{port}"
    assert bytes(received) == path.read_bytes() and received.count(b"^XZ") == 2
    with socket.create_server(("127.0.0.1", 0)) as closed:
        gone = closed.getsockname()[1]
    refused("label", "DOCK", "--printer", f"127.0.0.1:{gone}", match="cannot send to the printer")
    refused("label", "DOCK", "--printer", "lp 1", match="give HOST or HOST:PORT")
    refused("label", "DOCK", "--zpl", str(tmp_path / "x.zpl"), "--dpi", "600", match="203 or 300")
    assert not (tmp_path / "x.zpl").exists()


def test_every_gs1_label_passes_gs1s_engine(gs1_lots: Cli, judge, tmp_path: Path) -> None:
    """The GS1 symbols of the PDF (at 203 dpi) and of the ZPL (rendered at 203 and 300
    dpi), as a scanner reads them, are valid to GS1's engine, with the label's AIs."""
    refs = ["SCANNER:HX-001", "GLUE@G-7_B", "DOCK"]
    wanted = [
        [("01", DEV_GTIN), ("21", "HX-001")],
        [("01", GLUE_GTIN), ("10", "G-7_B"), ("17", "270131")],
        [("414", GLN)],
    ]
    pdf, zpl = tmp_path / "gs1.pdf", tmp_path / "gs1.zpl"
    assert gs1_lots("label", *refs, "--out", str(pdf)).exit_code == 0
    symbols = [page[0] for page in decode_pdf(pdf)]
    for dpi in (203, 300):
        assert gs1_lots("label", *refs, "--zpl", str(zpl), "--dpi", str(dpi)).exit_code == 0
        width, height = round(50 / 25.4 * dpi), round(25 / 25.4 * dpi)
        options = zplkit.Options(profile="specification", width=width, height=height, dpi=dpi)
        for label in zplkit.render(zpl.read_bytes(), options).labels:
            image = Image.open(io.BytesIO(label.png())).convert("L")
            symbols += zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    assert len(symbols) == 9
    for symbol, elements in zip(symbols, wanted * 3, strict=True):
        verdict = judge.verdict(symbol.symbology_identifier + symbol.text)
        assert verdict is not None and verdict.valid, (symbol.text, verdict)
        assert list(verdict.elements) == elements
