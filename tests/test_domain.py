"""Pure rules: references, serial ranges, quantities, dates, GTINs (no database)."""

import datetime as dt
from decimal import Decimal

import pytest

from tracelot.domain.errors import InvalidInput
from tracelot.domain.refs import Ref, parse_consume, parse_ref
from tracelot.domain.serials import parse_serials
from tracelot.domain.status import Status, status_at
from tracelot.domain.values import normalize, parse_date, parse_gtin, parse_qty


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PCB:SN1", Ref("unit", "PCB", "SN1")),
        ("CELL@L1", Ref("lot", "CELL", "L1")),
        ("CELL", Ref("code", "CELL")),
        ("A:B@C", Ref("unit", "A", "B@C")),  # the first separator wins
        ("A@B:C", Ref("lot", "A", "B:C")),
        (" PCB:SN1 ", Ref("unit", "PCB", "SN1")),
    ],
)
def test_a_reference_splits_at_its_first_separator(text: str, expected: Ref) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize("text", ["", ":SN1", "PCB:", "@L1", "CELL@"])
def test_a_reference_without_both_sides_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_ref(text)


def test_a_consume_spec_takes_an_optional_quantity() -> None:
    assert parse_consume("CELL@L1=4") == (Ref("lot", "CELL", "L1"), Decimal(4))
    assert parse_consume("PCB:S1") == (Ref("unit", "PCB", "S1"), None)
    with pytest.raises(InvalidInput):
        parse_consume("CELL@L1=-2")


def test_a_serial_range_keeps_its_zero_padding() -> None:
    serials = parse_serials("SN0001..SN0100")
    assert len(serials) == 100
    assert serials[0] == "SN0001" and serials[9] == "SN0010" and serials[-1] == "SN0100"


def test_a_serial_list_may_mix_single_serials_and_ranges() -> None:
    assert parse_serials("A1,B07..B09, C") == ["A1", "B07", "B08", "B09", "C"]


def test_an_unpadded_range_counts_past_a_power_of_ten() -> None:
    assert parse_serials("X8..X11") == ["X8", "X9", "X10", "X11"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("SN0010..SN0001", "backwards"),
        ("AB01..CD05", "prefix"),
        ("SN..SNX", "digits"),
        ("S1,S2,S1", "repeated"),
        ("S1,,S2", "empty"),
        ("S98..S99,S99", "repeated"),
        ("SN9..SN10x", "digits"),
        ("A1,B:2", "may hold only"),
    ],
)
def test_bad_serial_specs_are_refused_with_a_reason(spec: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_serials(spec)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", Decimal(5)), ("2.5", Decimal("2.5")), (3, Decimal(3)), ("0.000001", Decimal("1E-6"))],
)
def test_quantities_are_exact_decimals(value: object, expected: Decimal) -> None:
    assert parse_qty(value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "abc", "NaN", "Infinity", "1.0000001", True, ""])
def test_zero_negative_and_non_numeric_quantities_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput):
        parse_qty(value)


def test_normalize_drops_trailing_zeros_without_exponents() -> None:
    assert str(normalize(Decimal("100.000"))) == "100"
    assert str(normalize(Decimal("2.50"))) == "2.5"


def test_dates_are_iso_dates() -> None:
    assert parse_date("2030-01-31") == dt.date(2030, 1, 31)
    for bad in ["2030-02-30", "31/01/2030", "tomorrow"]:
        with pytest.raises(InvalidInput, match="not a date"):
            parse_date(bad)


@pytest.mark.parametrize("gtin", ["09506000134352", "9506000134352", "4006381333931", "96385074"])
def test_valid_gtins_are_kept_as_fourteen_digits(gtin: str) -> None:
    assert parse_gtin(gtin) == gtin.zfill(14)


@pytest.mark.parametrize("gtin", ["09506000134353", "4006381333932", "123", "abcdefghijklm"])
def test_gtins_with_a_bad_check_digit_or_length_are_refused(gtin: str) -> None:
    with pytest.raises(InvalidInput, match="GTIN"):
        parse_gtin(gtin)


def test_status_follows_the_kind_of_location() -> None:
    assert status_at("bin") == Status.IN_STOCK
    assert status_at("production") == Status.WIP
    assert status_at("customer") == Status.SHIPPED
    assert status_at("assembly") == Status.CONSUMED
    assert status_at("scrap") == Status.SCRAPPED
