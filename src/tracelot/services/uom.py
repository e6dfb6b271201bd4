"""Units of measure and pack sizes: an item's packaging levels, and quantities in them.

An item is kept in its base unit (`items.uom`). A packaging level (`item pack add ITEM
--name case --qty 144 [--gtin G]`) is a number of base units, exactly; a scan of its
GTIN names that many base units, and a quantity typed with `--pack case` is a count of
cases. Stock, reports and valuation stay in base units, with the packs beside them.
`to_base` is the one conversion every caller uses (receipts, moves, shipments,
adjustments, purchase and sales order lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from tracelot.domain.errors import AlreadyExists, InvalidInput, NotAvailable, NotFound
from tracelot.domain.scan import looks_like_scan
from tracelot.domain.uom import Pack, check_pack_name, check_whole, in_packs, pack_qty
from tracelot.domain.values import format_qty, parse_gtin, parse_qty
from tracelot.services.ledger import now
from tracelot.services.lookup import Target, item_by_id, pack_by_gtin
from tracelot.services.masterdata import record
from tracelot.services.resolver import item_named, names_a_unit, sscc_in, targets_named
from tracelot.store.tables import item_gtins, item_packs, items, po_lines, so_lines


def _item(conn: Connection, item: Row | str) -> Row:
    return item_named(conn, item) if isinstance(item, str) else item


def packs_of(conn: Connection, item: Row | str) -> list[Row]:
    """An item's packaging levels, largest first."""
    row = _item(conn, item)
    return list(
        conn.execute(
            select(item_packs)
            .where(item_packs.c.item_id == row.id)
            .order_by(item_packs.c.qty.desc(), item_packs.c.name)
        )
    )


def pack_named(conn: Connection, item: Row | str, name: str) -> Row:
    """One of an item's packaging levels, by name (refused, with the ones it has)."""
    row = _item(conn, item)
    wanted = check_pack_name(name)
    found = conn.execute(
        select(item_packs).where(item_packs.c.item_id == row.id, item_packs.c.name == wanted)
    ).first()
    if found is None:
        names = ", ".join(p.name for p in packs_of(conn, row)) or "none"
        raise NotFound(
            f"item {row.code} has no pack {wanted!r} (its packs: {names}; add one with "
            f"`tracelot item pack add {row.code} --name {wanted} --qty N`)"
        )
    return found


def to_base(
    conn: Connection, item: Row | str, qty: Decimal | str | int, pack: str | None = None
) -> Decimal:
    """A quantity in an item's base unit: `qty` itself, or `qty` packs named `pack`
    (exact); refused when it is not whole for an item counted in eaches."""
    row = _item(conn, item)
    quantity = qty if isinstance(qty, Decimal) else parse_qty(qty)
    if pack is not None:
        quantity = quantity * pack_named(conn, row, pack).qty
    return check_whole(quantity, item=row.code, uom=row.uom)


def check_quantity(conn: Connection, item_id: int, qty: Decimal) -> None:
    """Refuse a quantity that is not whole for an item counted in eaches."""
    if qty != qty.to_integral_value():
        row = item_by_id(conn, item_id)
        check_whole(qty, item=row.code, uom=row.uom)


def quantities(
    conn: Connection,
    refs: Sequence[str],
    qty: Decimal | None,
    pack: str | None,
    qtys: Sequence[Decimal | None] | None = None,
) -> list[Decimal | None] | None:
    """The quantity of each REF in base units, for a move or a shipment: `qty` packs with
    `pack` (one pack without `qty`), and a scan of a pack's GTIN its packs' base units
    (unless `qty` is given).
    None when neither a pack nor a scan is named (the quantities stand as they are)."""
    if pack is None and qtys is None and not any(looks_like_scan(r) for r in refs):
        return None
    # what a case holds is its own, and a unit is one: neither is resolved here (the
    # operation resolves them), the others to see whether a pack's GTIN was scanned
    own_qty = [sscc_in(conn, r) is not None or names_a_unit(r) for r in refs]
    named = iter(targets_named(conn, [r for r, own in zip(refs, own_qty, strict=True)
                                      if not own]))  # fmt: skip
    found: list[Decimal | None] = []
    for i, as_named in enumerate(own_qty):
        own = qtys[i] if qtys is not None and qtys[i] is not None else qty
        if as_named:
            found.append(own)
            continue
        target: Target = next(named)
        if pack is not None and target.unit is None:  # one pack without a quantity
            own = to_base(conn, target.item, own if own is not None else Decimal(1), pack)
        elif own is None and target.qty is not None:
            own = target.qty  # a scan of a pack's GTIN
        found.append(own)
    return found


def base_refs(conn: Connection, refs: Sequence[str]) -> list[Any]:
    """REFs as their resolved references (a scan read once; a unit stays a unit)."""
    return [t.ref for t in targets_named(conn, list(refs))]


# -- packaging levels: master data ------------------------------------------------------------


def add_pack(
    conn: Connection,
    *,
    user: str,
    item: str,
    name: str,
    qty: Decimal | str | int | None = None,
    of: str | None = None,
    gtin: str | None = None,
) -> dict[str, Any]:
    """Add a packaging level to an item: `qty` base units (or, with `of`, `qty` of its
    pack `of`: a case of 12 boxes), maybe with a GTIN of its own (unique across items
    and packs)."""
    row = item_named(conn, item)
    pack_name = check_pack_name(name)
    if qty is None:
        raise InvalidInput("give --qty: how many base units (or --of packs) the pack holds")
    inner = pack_named(conn, row, of) if of is not None else None
    size = pack_qty(qty, of_count=qty if inner is not None else None,
                    of_qty=inner.qty if inner is not None else None)  # fmt: skip
    check_whole(size, item=row.code, uom=row.uom)
    gtin14 = parse_gtin(gtin) if gtin is not None and gtin.strip() else None
    if conn.execute(
        select(item_packs.c.id).where(
            item_packs.c.item_id == row.id, item_packs.c.name == pack_name
        )
    ).first():
        raise AlreadyExists(f"item {row.code} has a pack {pack_name!r} already")
    if gtin14 is not None:
        refuse_taken_gtin(conn, gtin14)
    conn.execute(
        insert(item_packs).values(
            item_id=row.id,
            name=pack_name,
            qty=size,
            gtin=gtin14,
            of_name=inner.name if inner is not None else None,
            of_count=parse_qty(qty) if inner is not None else None,
            created_at=now(),
        )
    )
    added = pack_named(conn, row, pack_name)
    shown = pack_dict(row, added)
    record(conn, "item", row.code, {"pack": None}, {"pack": _described(shown)}, user=user)
    return shown


def list_packs(conn: Connection, *, item: str) -> list[dict[str, Any]]:
    """An item's packaging levels, largest first."""
    row = item_named(conn, item)
    return [pack_dict(row, p) for p in packs_of(conn, row)]


def remove_pack(conn: Connection, *, user: str, item: str, name: str) -> dict[str, Any]:
    """Remove a packaging level; refused while a purchase or sales order line is in it or
    another level is given in it."""
    row = item_named(conn, item)
    pack = pack_named(conn, row, name)
    for order, lines in (("purchase order", po_lines.c.po_id), ("sales order", so_lines.c.so_id)):
        used = conn.execute(
            select(lines)
            .where(lines.table.c.item_id == row.id, lines.table.c.pack == pack.name)
            .order_by(lines)
            .limit(1)
        ).scalar()
        if used is not None:
            raise NotAvailable(
                f"pack {pack.name} of {row.code} is used by {order} {used}: it stays"
            )
    outer = conn.execute(
        select(item_packs.c.name)
        .where(item_packs.c.item_id == row.id, item_packs.c.of_name == pack.name)
        .order_by(item_packs.c.name)
        .limit(1)
    ).scalar()
    if outer is not None:
        raise NotAvailable(
            f"pack {outer} of {row.code} is given in packs of {pack.name}: remove {outer} first"
        )
    shown = pack_dict(row, pack)
    conn.execute(delete(item_packs).where(item_packs.c.id == pack.id))
    record(conn, "item", row.code, {"pack": _described(shown)}, {"pack": None}, user=user)
    return shown


def refuse_taken_gtin(conn: Connection, gtin14: str) -> None:
    """A GTIN names one item or one pack: refuse one already taken."""
    taken = conn.execute(
        select(items.c.code).join(item_gtins, item_gtins.c.item_id == items.c.id)
        .where(item_gtins.c.gtin == gtin14)
    ).first()  # fmt: skip
    if taken is None:
        taken = conn.execute(select(items.c.code).where(items.c.gtin == gtin14)).first()
    if taken is not None:
        raise AlreadyExists(f"GTIN {gtin14} already belongs to item {taken.code}")
    pack = pack_by_gtin(conn, gtin14)
    if pack is not None:
        owner = item_by_id(conn, pack.item_id)
        raise AlreadyExists(f"GTIN {gtin14} already belongs to pack {pack.name} of {owner.code}")


def pack_dict(item: Row, pack: Row) -> dict[str, Any]:
    """A packaging level as JSON shows it."""
    return {
        "item": item.code,
        "name": pack.name,
        "qty": pack.qty,
        "uom": item.uom,
        "gtin": pack.gtin,
        "of": pack.of_name,
        "of_count": pack.of_count,
    }


def _described(shown: dict[str, Any]) -> str:
    text = f"{shown['name']} = {format_qty(shown['qty'])} {shown['uom']}"
    if shown["of"] is not None:
        text += f" ({format_qty(shown['of_count'])} {shown['of']})"
    return text + (f", GTIN {shown['gtin']}" if shown["gtin"] else "")


# -- quantities shown in packs ----------------------------------------------------------------


def packs_by_item(conn: Connection, item_ids: Iterable[int]) -> dict[int, list[Pack]]:
    """The packaging levels of these items, by item id."""
    wanted = set(item_ids)
    if not wanted:
        return {}
    found: dict[int, list[Pack]] = {}
    query = select(item_packs.c.item_id, item_packs.c.name, item_packs.c.qty).where(
        item_packs.c.item_id.in_(wanted)
    )
    for item_id, name, qty in conn.execute(query):
        found.setdefault(item_id, []).append(Pack(name, Decimal(qty)))
    return found


def with_packs(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of stock (each with `item` and `qty`) with `packs` beside the quantity: each
    level of the item, how many whole packs and what remains."""
    codes = {r["item"] for r in rows if r.get("serial") is None and "item" in r}
    if not codes:
        return rows
    ids = dict(conn.execute(select(items.c.code, items.c.id).where(items.c.code.in_(codes))).all())
    levels = packs_by_item(conn, ids.values())
    for r in rows:
        if r.get("serial") is None and "item" in r:
            packs = levels.get(ids.get(r["item"], 0), [])
            r["packs"] = in_packs(Decimal(r["qty"]), packs)
    return rows


# -- order lines in packs -----------------------------------------------------------------


_IN_PACK = ("pack", "pack_qty", "pack_price")


def ordered_in(
    conn: Connection, item: Row, qty: Decimal, price: Decimal | None, pack: str | None
) -> tuple[Decimal, Decimal | None, dict[str, Any]]:
    """An order line's quantity and unit price in base units, and what it was ordered in:
    `qty` packs at `price` a pack (the base price rounded to six places: the line's value
    is the packs times the pack's price, exactly). Refused when not whole in eaches."""
    if pack is None:
        return check_whole(qty, item=item.code, uom=item.uom), price, dict.fromkeys(_IN_PACK)
    level = pack_named(conn, item, pack)
    size = Decimal(level.qty)
    base_price = None if price is None else (price / size).quantize(Decimal("0.000001"))
    in_pack = {"pack": level.name, "pack_qty": size, "pack_price": price}
    return to_base(conn, item, qty, pack), base_price, in_pack


def line_in_pack(line: Row) -> dict[str, Any]:
    """An order line's pack, as its JSON shows it beside the base quantities: the pack,
    its size, the packs ordered and the price of one pack (None when in base units)."""
    if line.pack is None:
        return {"pack": None, "pack_qty": None, "packs": None, "pack_price": None}
    size = Decimal(line.pack_qty)
    packs = Decimal(line.qty) / size  # exact: the line was ordered as a count of packs
    shown = {"pack": line.pack, "pack_qty": size, "packs": packs, "pack_price": line.pack_price}
    if line.pack_price is not None:  # the value of the packs at their price, exactly
        shown["value"] = packs * Decimal(line.pack_price)
    return shown
