"""Spreadsheet interchange: importing items, locations, parties and opening stock from
CSV or XLSX files, and exporting them (and the ledger) as CSV, XLSX or JSON.

An import reads the whole file, matches its headers tolerantly (case, spaces, common
synonyms), and checks every row before writing any: every problem is listed with its
row, column and reason, and a file with a problem writes nothing. A good file is
written in one transaction. Opening stock is received from the supplier named on the
row (or none) into the row's location, one receipt per item, location, lot, expiry,
cost and supplier, so that 100,000 serial rows are a few set-based receipts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from tracelot.domain.contacts import LIMITS as CONTACT_LIMITS
from tracelot.domain.contacts import Contact
from tracelot.domain.errors import InvalidInput, TracelotError
from tracelot.domain.serials import parse_serials
from tracelot.domain.status import USER_LOCATION_KINDS, Tracking
from tracelot.domain.values import (
    check_code,
    check_gs1_keys,
    check_name,
    normalize,
    parse_date,
    parse_gln,
    parse_gtin,
    parse_money,
    parse_qty,
    qty_number,
)
from tracelot.services import catalog, receiving
from tracelot.services.ledger import in_days
from tracelot.services.spreadsheet_columns import COLUMNS, EXPORTS, KINDS
from tracelot.services.tabular import csv_lines, csv_value
from tracelot.store.bulk import existing_serials
from tracelot.store.tables import cost_layers, items, locations, lots, parties, units


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@dataclass
class Table:
    """A file read: its header mapping and its rows, keyed by tracelot's column names."""

    kind: str
    mapping: dict[str, str]  # the file's header -> tracelot's column
    ignored: list[str]
    rows: list[dict[str, str]]


@dataclass
class Checked:
    kind: str
    rows: int
    mapping: dict[str, str]
    ignored: list[str]
    problems: list[dict[str, Any]] = field(default_factory=list)
    work: list[Any] = field(default_factory=list)

    def problem(self, row: int, column: str, reason: str) -> None:
        self.problems.append({"row": row, "column": column, "reason": reason})

    def summary(self, *, written: bool) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "mapping": self.mapping,
            "ignored": self.ignored,
            "ok": not self.problems,
            "written": written,
            "problems": self.problems,
        }


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"import what? one of {', '.join(KINDS)}, not {kind!r}")
    return kind


def read_table(kind: str, name: str, data: bytes) -> Table:
    """The rows of a CSV or XLSX file (by its name's suffix), headers matched to `kind`'s
    columns: exactly, case and spacing aside, or by a common synonym."""
    check_kind(kind)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text") from None
        try:
            records = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise InvalidInput(f"{name} is not a readable CSV file: {exc}") from None
    elif suffix == "xlsx":
        records = _xlsx_records(name, data)
    else:
        raise InvalidInput(f"import reads .csv or .xlsx files, not {name!r}")
    records = [r for r in records if any((c or "").strip() for c in r)]
    if not records:
        raise InvalidInput(f"{name} is empty: it needs a header row")
    header, *body = records
    names = {}
    for column in COLUMNS[kind]:
        for alias in (column.name, *column.synonyms):
            names.setdefault(_key(alias), column.name)
    mapping, ignored, positions = {}, [], {}
    for index, title in enumerate(header):
        target = names.get(_key(title or ""))
        if target is None or target in positions:
            ignored.append(title)
            continue
        mapping[title] = target
        positions[target] = index
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in positions]
    if missing:
        raise InvalidInput(
            f"{name}: no column for {', '.join(missing)} (the header has {', '.join(header)})"
        )
    rows = [
        {col: (rec[i].strip() if i < len(rec) and rec[i] is not None else "")
         for col, i in positions.items()}
        for rec in body
    ]  # fmt: skip
    return Table(kind, mapping, ignored, rows)


def _xlsx_records(name: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # loaded only for spreadsheets

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (openpyxl raises many kinds on a bad file)
        raise InvalidInput(f"{name} is not a readable .xlsx workbook: {exc}") from None
    sheet = book.worksheets[0]
    records = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return records


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def template(kind: str) -> str:
    """The documented CSV template of a kind: its header, and a comment row per column."""
    check_kind(kind)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in COLUMNS[kind]])
    return out.getvalue()


def describe(kind: str) -> list[dict[str, Any]]:
    """What each column of a kind means (the template's documentation)."""
    return [
        {"column": c.name, "required": c.required, "also": list(c.synonyms), "meaning": c.help}
        for c in COLUMNS[check_kind(kind)]
    ]


# -- checking -------------------------------------------------------------------------------


def check(conn: Connection, table: Table) -> Checked:
    """Every problem of every row, and the work a good file makes."""
    checked = Checked(table.kind, len(table.rows), table.mapping, table.ignored)
    {"items": _check_items, "locations": _check_locations, "parties": _check_parties,
     "stock": _check_stock}[table.kind](conn, table, checked)  # fmt: skip
    return checked


def _field(checked: Checked, number: int, column: str, parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except TracelotError as exc:
        checked.problem(number, column, str(exc))
        return None


def _rows(table: Table) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number in the file, the row): the header is row 1."""
    return ((n, row) for n, row in enumerate(table.rows, start=2))


def _existing(conn: Connection, column: Any) -> set[str]:
    return set(conn.execute(select(column)).scalars())


def _new_code(
    checked: Checked, n: int, row: dict[str, str], what: str, taken: set, seen: dict
) -> str | None:
    """The row's code, when it is well-formed and new: not in the database, nor on an
    earlier row of the file."""
    code = _field(checked, n, "code", lambda: check_code(row["code"], what="code"))
    if code in taken:
        checked.problem(n, "code", f"{what} {code} already exists")
    elif code in seen:
        checked.problem(n, "code", f"{what} {code} is also on row {seen[code]}")
    seen.setdefault(code, n)
    return code


def _check_items(conn: Connection, table: Table, checked: Checked) -> None:
    taken, gtins, seen = _existing(conn, items.c.code), _existing(conn, items.c.gtin), {}
    for n, row in _rows(table):
        code = _new_code(checked, n, row, "item", taken, seen)
        if not row.get("name"):
            checked.problem(n, "name", "an item needs a name")
        else:
            _field(checked, n, "name", lambda row=row: check_name(row["name"], what="the name"))
        tracking = (row.get("tracking") or "none").lower()
        if tracking not in {t.value for t in Tracking}:
            checked.problem(
                n, "tracking", f"tracking must be none, lot or serial, not {tracking!r}"
            )
        gtin = None
        if row.get("gtin"):
            gtin = _field(checked, n, "gtin", lambda row=row: parse_gtin(row["gtin"]))
            if gtin in gtins:
                checked.problem(n, "gtin", f"GTIN {gtin} already names an item")
            gtins.add(gtin)
        shelf = None
        if row.get("shelf_life_days"):
            shelf = _field(checked, n, "shelf_life_days", lambda row=row: _days(row))
        cost = None
        if row.get("cost"):
            cost = _field(checked, n, "cost", lambda row=row: parse_money(row["cost"]))
        checked.work.append(
            {"code": code, "name": row.get("name"), "tracking": tracking, "gtin": gtin,
             "uom": row.get("uom") or "EA", "shelf_life_days": shelf, "cost": cost,
             "category": row.get("category") or None}
        )  # fmt: skip


def _days(row: dict[str, str]) -> int:
    text = row["shelf_life_days"]
    if not text.isdigit() or not 0 < int(text) <= 36500:
        raise InvalidInput(f"shelf life must be a whole number of days, not {text!r}")
    return int(text)


def _check_locations(conn: Connection, table: Table, checked: Checked) -> None:
    taken = _existing(conn, locations.c.code)
    kinds = {k.value for k in USER_LOCATION_KINDS}
    virtual = set(conn.execute(select(locations.c.code).where(locations.c.virtual)).scalars())
    in_file = {row["code"]: n for n, row in _rows(table)}
    seen: dict[str, int] = {}
    for n, row in _rows(table):
        code = _new_code(checked, n, row, "location", taken, seen)
        parent = row.get("parent") or None
        if parent and parent in virtual:
            checked.problem(n, "parent", f"{parent} is virtual and can not hold locations")
        elif parent and parent not in taken and parent not in in_file:
            checked.problem(n, "parent", f"unknown parent location {parent!r}")
        kind = (row.get("kind") or "bin").lower()
        if kind not in kinds:
            checked.problem(n, "kind", f"kind must be one of {', '.join(sorted(kinds))}")
        gln = None
        if row.get("gln"):
            gln = _field(checked, n, "gln", lambda row=row: parse_gln(row["gln"]))
        if row.get("name"):
            _field(checked, n, "name", lambda row=row: check_name(row["name"], what="the name"))
        checked.work.append({"code": code, "name": row.get("name") or None, "parent": parent,
                             "kind": kind, "gln": gln})  # fmt: skip
    _refuse_cycles(checked, {w["code"]: w["parent"] for w in checked.work}, in_file)
    checked.work = _parents_first(checked.work)


def _refuse_cycles(checked: Checked, parents: dict[str, str | None], rows: dict) -> None:
    for code in parents:
        seen, here = {code}, parents.get(code)
        while here in parents:
            if here in seen:
                checked.problem(rows[code], "parent", f"{code} is inside itself")
                break
            seen.add(here)
            here = parents[here]


def _parents_first(work: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_code = {w["code"]: w for w in work}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(w: dict[str, Any], depth: int = 0) -> None:
        if w["code"] in placed or depth > len(work):
            return
        parent = by_code.get(w["parent"] or "")
        if parent is not None:
            place(parent, depth + 1)
        placed.add(w["code"])
        ordered.append(w)

    for w in work:
        place(w)
    return ordered


def _check_parties(conn: Connection, table: Table, checked: Checked) -> None:
    taken, seen = _existing(conn, parties.c.code), {}
    for n, row in _rows(table):
        code = _new_code(checked, n, row, "party", taken, seen)
        if not row.get("name"):
            checked.problem(n, "name", "a party needs a name")
        else:
            _field(checked, n, "name", lambda row=row: check_name(row["name"], what="the name"))
        kind = (row.get("kind") or "").lower()
        if kind not in ("supplier", "customer"):
            checked.problem(n, "kind", f"kind must be supplier or customer, not {kind!r}")
        details = {}
        for name in CONTACT_LIMITS:
            try:  # each detail on its own: every problem is named by its column
                details[name] = getattr(Contact.checked(**{name: row.get(name)}), name)
            except InvalidInput as exc:
                checked.problem(n, name, exc.message)
        contact = Contact(**{k: details.get(k) for k in CONTACT_LIMITS})
        checked.work.append(
            {"code": code, "name": row.get("name"), "kind": kind, "contact": contact}
        )


@dataclass
class Receipt(receiving.Incoming):
    """Opening stock of one item at one location, one lot, expiry, cost and supplier: the
    line of a bulk receipt it makes, and the file's rows that make it."""

    serials: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def _check_stock(conn: Connection, table: Table, checked: Checked) -> None:
    columns = (items.c.code, items.c.id, items.c.tracking, items.c.gtin)
    item_rows = {r.code: r for r in conn.execute(select(*columns))}
    real = set(conn.execute(select(locations.c.code).where(~locations.c.virtual)).scalars())
    suppliers = set(
        conn.execute(select(parties.c.code).where(parties.c.kind == "supplier")).scalars()
    )
    receipts: dict[tuple, Receipt] = {}
    serial_rows: dict[tuple[str, str], int] = {}
    # a lot has one expiry: the database's, else that of its first row in the file
    lot_expiry: dict[tuple[str, str], tuple[dt.date | None, int]] = {
        (code, lot): (expires, 0)
        for code, lot, expires in conn.execute(
            select(items.c.code, lots.c.code, lots.c.expires).join(
                items, items.c.id == lots.c.item_id
            )
        )
    }
    for n, row in _rows(table):
        item = item_rows.get(row["item"])
        if item is None:
            checked.problem(n, "item", f"unknown item {row['item']!r}")
        if row["location"] not in real:
            checked.problem(n, "location", f"unknown location {row['location']!r}")
        qty = _field(checked, n, "qty", lambda row=row: parse_qty(row["qty"])) if row.get(
            "qty") else None  # fmt: skip
        lot = row.get("lot") or None
        if lot is not None:
            _field(checked, n, "lot", lambda lot=lot: check_code(lot, what="lot code"))
        serials: list[str] = []
        if row.get("serial"):
            serials = _field(checked, n, "serial", lambda row=row: parse_serials(row["serial"]))
            serials = serials or []
        expires = _date(checked, n, row, "expires")
        made = _date(checked, n, row, "made")
        cost = _field(checked, n, "cost", lambda row=row: parse_money(row["cost"])) if row.get(
            "cost") else None  # fmt: skip
        supplier = row.get("supplier") or None
        if supplier is not None and supplier not in suppliers:
            checked.problem(n, "supplier", f"unknown supplier {supplier!r}")
        if item is None:
            continue
        if item.gtin:  # new lots and serials go into the item's GS1 barcodes
            if serials:
                _field(checked, n, "serial", lambda item=item, serials=serials: check_gs1_keys(
                    serials, what="serial", item=item.code))  # fmt: skip
            if lot is not None and lot_expiry.get((item.code, lot), (None, n))[1] != 0:
                _field(checked, n, "lot", lambda item=item, lot=lot: check_gs1_keys(
                    [lot], what="lot code", item=item.code))  # fmt: skip
        tracking = item.tracking
        if tracking == Tracking.SERIAL:
            if not serials:
                checked.problem(n, "serial", f"{item.code} is serial-tracked: give its serial")
            elif qty is not None and qty != len(serials):
                checked.problem(n, "qty", f"{normalize(qty)} disagrees with {len(serials)} "
                                          "serials")  # fmt: skip
            for serial in serials:
                first = serial_rows.setdefault((item.code, serial), n)
                if first != n:
                    checked.problem(n, "serial", f"{item.code}:{serial} is also on row {first}")
        else:
            if serials:
                checked.problem(n, "serial", f"{item.code} is not serial-tracked")
            if not row.get("qty"):
                checked.problem(n, "qty", "give the quantity")
        if tracking == Tracking.LOT and lot is None:
            checked.problem(n, "lot", f"{item.code} is lot-tracked: give its lot")
        if tracking == Tracking.NONE and lot is not None:
            checked.problem(n, "lot", f"{item.code} is not lot-tracked")
        if lot is not None:
            known, first = lot_expiry.setdefault((item.code, lot), (expires, n))
            if expires is not None and known is not None and known != expires:
                where = f"row {first}" if first else "the database"
                checked.problem(n, "expires", f"lot {item.code}@{lot} expires {known} "
                                              f"({where}), not {expires}")  # fmt: skip
            elif expires is not None and known is None and first == 0:
                checked.problem(n, "expires", f"lot {item.code}@{lot} has no expiry: a "
                                              "receipt can not give it one")  # fmt: skip
        key = (item.code, row["location"], lot, expires, made, cost, supplier,
               row.get("supplier_lot") or None)  # fmt: skip
        receipt = receipts.get(key)
        if receipt is None:
            receipt = receipts[key] = Receipt(
                item=item.code, to=row["location"], lot=lot, qty=Decimal(0), expires=expires,
                made=made, cost=cost, supplier=supplier, supplier_lot=key[-1],
            )  # fmt: skip
        receipt.serials += serials
        receipt.qty += qty if tracking != Tracking.SERIAL and qty is not None else 0
        receipt.rows.append(n)
    by_item: dict[str, list[str]] = {}
    for item_code, serial in serial_rows:
        by_item.setdefault(item_code, []).append(serial)
    for item_code, wanted in by_item.items():
        for serial in existing_serials(conn, item_rows[item_code].id, wanted):
            checked.problem(serial_rows[(item_code, serial)], "serial",
                            f"{item_code}:{serial} already exists")  # fmt: skip
    checked.work = list(receipts.values())


def _date(checked: Checked, n: int, row: dict[str, str], column: str) -> dt.date | None:
    if not row.get(column):
        return None
    return _field(checked, n, column, lambda: parse_date(row[column], what=column))


# -- writing --------------------------------------------------------------------------------


def write(
    conn: Connection,
    *,
    user: str,
    checked: Checked,
    name: str,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write what a checked file makes, in the caller's transaction."""
    if checked.kind == "stock":  # set-based: one operation (per supplier) for the file
        receiving.receive_bulk(
            conn,
            checked.work,
            user=user,
            reference=f"import {name}"[:200],
            progress=progress,
        )
        return
    done = 0
    for work in checked.work:
        if checked.kind == "items":
            catalog.add_item(conn, **work)
        elif checked.kind == "locations":
            catalog.add_location(conn, **work)
        else:
            catalog.add_party(conn, **work)
        done += 1
        if progress is not None:
            progress(done, checked.rows)


# -- exporting --------------------------------------------------------------------------------


def export_rows(
    conn: Connection, kind: str, *, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[list[str], Iterable[dict[str, Any]]]:
    """The columns and rows of an export; stock as importable opening stock (a row per
    unit, and per lot balance and cost), the ledger as its lines."""
    if kind not in EXPORTS:
        raise InvalidInput(f"export what? one of {', '.join(EXPORTS)}, not {kind!r}")
    if kind == "ledger":
        return _ledger(conn, start, end)
    columns = [c.name for c in COLUMNS[kind]]
    if kind == "items":
        return columns, (
            {"code": r.code, "name": r.name, "tracking": r.tracking, "gtin": r.gtin,
             "uom": r.uom, "shelf_life_days": r.shelf_life_days, "cost": r.standard_cost,
             "category": r.category}
            for r in conn.execute(select(items).order_by(items.c.code))
        )  # fmt: skip
    if kind == "locations":
        rows = conn.execute(select(locations).where(~locations.c.virtual)
                            .order_by(locations.c.path)).all()  # fmt: skip
        codes = {r.id: r.code for r in rows}
        return columns, (
            {"code": r.code, "name": r.name, "parent": codes.get(r.parent_id), "kind": r.kind,
             "gln": r.gln}
            for r in rows
        )  # fmt: skip
    if kind == "parties":
        return columns, (
            {
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                **{name: getattr(r, name) for name in CONTACT_LIMITS},
            }
            for r in conn.execute(select(parties).order_by(parties.c.code))  # fmt: skip
        )
    return columns, _stock(conn)


def _stock(conn: Connection) -> Iterator[dict[str, Any]]:
    codes = dict(conn.execute(select(items.c.id, items.c.code)).all())
    places = dict(conn.execute(select(locations.c.id, locations.c.code)).all())
    party = dict(conn.execute(select(parties.c.id, parties.c.code)).all())
    lot_rows = {r.id: r for r in conn.execute(select(lots))}
    for r in conn.execute(
        select(units)
        .join(locations, locations.c.id == units.c.location_id)
        .where(~locations.c.virtual)
        .order_by(units.c.item_id, units.c.serial)
    ):
        lot = lot_rows.get(r.lot_id)
        yield {
            "item": codes[r.item_id], "location": places[r.location_id], "qty": 1,
            "lot": lot.code if lot else None, "serial": r.serial,
            "expires": r.expires or (lot.expires if lot else None), "made": r.made,
            "cost": r.unit_cost, "supplier": party.get(r.supplier_id),
            "supplier_lot": r.supplier_lot,
        }  # fmt: skip
    for r in conn.execute(
        select(cost_layers)
        .where(cost_layers.c.qty_left > 0)
        .order_by(cost_layers.c.item_id, cost_layers.c.location_id, cost_layers.c.id)
    ):
        lot = lot_rows.get(r.lot_id)
        yield {
            "item": codes[r.item_id], "location": places[r.location_id], "qty": r.qty_left,
            "lot": lot.code if lot else None, "serial": None,
            "expires": lot.expires if lot else None, "made": lot.made if lot else None,
            "cost": r.unit_cost, "supplier": party.get(lot.supplier_id) if lot else None,
            "supplier_lot": lot.supplier_lot if lot else None,
        }  # fmt: skip


LEDGER_COLUMNS = [
    "operation", "kind", "occurred_at", "user", "reference", "item", "lot", "serial",
    "from_location", "to_location", "qty", "value",
]  # fmt: skip


def _ledger(
    conn: Connection, start: dt.date | None, end: dt.date | None
) -> tuple[list[str], Iterable[dict[str, Any]]]:
    from tracelot.store.tables import moves, operations

    src, dst = locations.alias("src"), locations.alias("dst")
    query = (
        select(operations.c.id, operations.c.kind, operations.c.occurred_at,
               operations.c.user_name, operations.c.reference, items.c.code.label("item"),
               lots.c.code.label("lot"), units.c.serial, src.c.code.label("src"),
               dst.c.code.label("dst"), moves.c.qty, moves.c.value)
        .select_from(moves)
        .join(operations, operations.c.id == moves.c.operation_id)
        .join(items, items.c.id == moves.c.item_id)
        .outerjoin(lots, lots.c.id == moves.c.lot_id)
        .outerjoin(units, units.c.id == moves.c.unit_id)
        .join(src, src.c.id == moves.c.from_location_id)
        .join(dst, dst.c.id == moves.c.to_location_id)
        .order_by(moves.c.id)
    )  # fmt: skip
    query = in_days(query, start, end)
    return LEDGER_COLUMNS, (
        {"operation": r.id, "kind": r.kind, "occurred_at": r.occurred_at,
         "user": r.user_name, "reference": r.reference, "item": r.item, "lot": r.lot,
         "serial": r.serial, "from_location": r.src, "to_location": r.dst, "qty": r.qty,
         "value": r.value}
        for r in conn.execute(query)
    )  # fmt: skip


def render(columns: Sequence[str], rows: Iterable[dict[str, Any]], fmt: str) -> bytes:
    """Rows as CSV, XLSX or JSON bytes."""
    if fmt == "csv":
        return "".join(csv_lines(rows, columns)).encode()
    if fmt == "json":
        return (json.dumps([{c: _json(row.get(c)) for c in columns} for row in rows],
                           indent=1) + "\n").encode()  # fmt: skip
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("tracelot")
        sheet.append(list(columns))
        for row in rows:
            sheet.append([csv_value(row.get(c)) or None for c in columns])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    raise InvalidInput(f"--format must be csv, xlsx or json, not {fmt!r}")


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return qty_number(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def read_file(path: Path) -> tuple[str, bytes]:
    try:
        return path.name, path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"can not read {path}: {exc.strerror}") from None
