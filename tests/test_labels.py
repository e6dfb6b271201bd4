"""Labels: the PDF is rendered to an image, decoded by a real decoder (zxing-cpp), and each
symbol's content is scanned back into tracelot, which must name the labelled thing."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2
import pytest
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


def decode_pdf(path: Path) -> list[list[zxingcpp.Barcode]]:
    """Every page at 300 dpi, decoded: the symbols found on each page."""
    pages = []
    for page in pypdfium2.PdfDocument(path):
        image = page.render(scale=300 / 72).to_pil().convert("L")
        pages.append(zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain))
    return pages


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
