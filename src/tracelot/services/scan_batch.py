"""A batch of scans: each scan checked as it comes, the whole list committed at the end.

What a scanner session does (`tracelot scan --then ...`, the scan-first forms of the web
pages): every scan is resolved at once and either joins the running list or is refused
with the reason (already shipped, held, scanned twice, a serial already known ...),
without losing the list; the list then becomes one operation: a receipt (one per item,
lot and expiry, in one transaction), a move, a shipment or a build.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from tracelot.domain.commands import Ship
from tracelot.domain.errors import InvalidInput, NotAvailable, TracelotError, WrongKind
from tracelot.domain.refs import parse_ref, split_consume
from tracelot.domain.scan import is_only_a_scan
from tracelot.domain.values import normalize
from tracelot.services import movement, production, receiving, shipping, uom
from tracelot.services.ledger import now
from tracelot.services.lookup import Target
from tracelot.services.order_shipping import ship_order
from tracelot.services.picking import take_quantity
from tracelot.services.resolver import read
from tracelot.services.results import OperationResult
from tracelot.services.scan import Receipt, blank, identified, receipt_of, said

MODES = ("identify", "receive", "move-to", "ship-to", "consume-into")
#: scans into a stock count are recorded one by one as they come (services/counts.py)
MODES += ("count",)
#: picks of a sales order too (services/order_picking.py, issue 20)
MODES += ("pick",)
USABLE = ("in_stock", "wip")


@dataclass
class Entry:
    """One scan that joined the list."""

    input: str
    shown: dict[str, Any]  # what `identify` says of it
    ref: str | None = None  # ITEM:SERIAL, ITEM@LOT or ITEM
    qty: Decimal | None = None
    receipt: Receipt | None = None  # receive mode: what the barcode says to receive
    target: Target | None = None  # the unit, lot or item it names (read when checked)


def accept(conn: Connection, mode: str, text: str, batch: Sequence[Entry]) -> Entry:
    """Check one scan for the batch: the entry to add, or a refusal saying why."""
    if mode not in MODES:
        raise InvalidInput(f"--then must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "count":
        raise InvalidInput("scans into a count are recorded as they come: count scan N")
    if mode == "pick":
        raise InvalidInput("picks are confirmed as they come: so pick-scan N")
    if mode == "receive":
        scan = read(conn, text)
        receipt = receipt_of(conn, scan)
        serials = receipt.serials or []
        for other in batch:
            if serials and other.receipt is not None and other.receipt.item.id == receipt.item.id:
                if serials == other.receipt.serials:
                    raise InvalidInput(f"{receipt.item.code}:{serials[0]} is scanned twice")
        ref = f"{receipt.item.code}:{serials[0]}" if serials else receipt.item.code
        shown = said(scan, blank(text)) | {  # what is to come in, not (yet) what is known
            "ok": True,
            "kind": "unit" if serials else "lot" if receipt.lot else "item",
            "item": receipt.item.code,
            "item_name": receipt.item.name,
            "lot": receipt.lot,
            "qty": receipt.qty,
            "pack": receipt.pack,  # a pack's GTIN: `qty` is its base units
            "expiry": receipt.expires,
            "status": "to receive",
        }
        return Entry(text, shown, ref, Decimal(receipt.qty), receipt)
    typed_qty = None
    if not is_only_a_scan(text) and "=" in text:  # CELL@L1=5 typed by hand
        text, typed_qty = split_consume(text)
    shown, found = identified(conn, text)
    if found is None:
        raise InvalidInput(shown["error"])
    if mode == "identify":
        return Entry(text, shown)
    if found.lu is not None and mode in ("move-to", "ship-to"):  # a case: all it holds
        if any(e.ref == found.lu.sscc for e in batch):
            raise InvalidInput(f"SSCC {found.lu.sscc} is scanned twice")
        if shown["status"] not in USABLE:
            raise NotAvailable(f"SSCC {found.lu.sscc} is {shown['status']}")
        return Entry(text, shown, found.lu.sscc)
    if found.item is None:
        raise WrongKind(f"{text!r} names a {shown['kind']}: scan units, lots or items")
    target = found.target
    ref = str(target.ref)
    if any(e.ref == ref for e in batch) and target.unit is not None:
        raise InvalidInput(f"{ref} is scanned twice")
    if target.unit is not None:
        if mode != "move-to" and shown["status"] not in USABLE:
            raise NotAvailable(f"{ref} is {shown['status']}")
        if mode != "move-to" and shown["held"]:
            raise NotAvailable(f"{ref} is held")
        return Entry(text, shown, ref, target=target)
    qty = typed_qty if typed_qty is not None else shown["qty"]
    if qty is None:
        raise InvalidInput(f"how many of {ref}? scan a label with a count (30 or 37), or type "
                           f"{ref}=QTY")  # fmt: skip
    uom.check_quantity(conn, target.item.id, Decimal(qty))  # whole for an item in eaches
    # what the list holds of this lot or item must be there to take: on hand, and for a
    # shipment or a build neither held nor expired (the commit would refuse it)
    wanted = Decimal(qty) + sum((e.qty or Decimal(0) for e in batch if e.ref == ref), Decimal(0))
    take_quantity(conn, target, wanted, today=now().date(),
                  for_use=mode != "move-to", allow_expired=mode == "move-to")  # fmt: skip
    return Entry(text, shown, ref, Decimal(qty), target=target)


def rebuild(conn: Connection, mode: str, texts: Sequence[str]) -> Rebuilt:
    """A list kept between scans (a web form's), checked again as a whole in one
    transaction: the entries that still stand (and the scans they came from), and each
    scan that no longer does (a unit shipped meanwhile ...) with why."""
    found = Rebuilt()
    for text in texts:
        try:
            found.batch.append(accept(conn, mode, text, found.batch))
            found.scans.append(text)
        except TracelotError as exc:
            found.dropped.append((text, str(exc)))
    return found


@dataclass
class Rebuilt:
    batch: list[Entry] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)  # as scanned (`CELL@L1=5` keeps its qty)
    dropped: list[tuple[str, str]] = field(default_factory=list)


def commit(
    conn: Connection,
    *,
    user: str,
    mode: str,
    batch: Sequence[Entry],
    target: str | None = None,
    to: str | None = None,
    reference: str | None = None,
    supplier: str | None = None,
    po: int | None = None,
    so: int | None = None,
) -> list[OperationResult]:
    """The batch as operations, in one transaction: all of it, or nothing. A receipt may
    name its `supplier` or purchase order (`po`): a label's lot is then also kept as the
    supplier's lot, so a recall of that supplier lot finds it. A shipment may go against
    a sales order (`so`): each line is checked as `ship --so N` checks it."""
    if (supplier is not None or po is not None) and mode != "receive":
        raise InvalidInput("only a receipt names a supplier or a purchase order")
    if so is not None and mode != "ship-to":
        raise InvalidInput("only a shipment goes against a sales order (--then ship-to --so N)")
    if not batch:
        raise InvalidInput("nothing was scanned")
    common = {"user": user, "reference": reference}
    if mode == "receive":
        if to is None:
            raise InvalidInput("receive by scanning needs --to LOC")
        return _receive(conn, batch, to=to, supplier=supplier, po=po, **common)
    if mode == "ship-to" and so is not None:  # against the order: each line checked
        texts = [str(ref) if qty is None else f"{ref}={normalize(qty)}"
                 for ref, qty in _merged(batch).items()]  # fmt: skip
        command = Ship(refs=tuple(texts), so=so, to=target or to, reference=reference)
        return [ship_order(conn, command, user=user)]
    if mode in ("move-to", "ship-to"):
        where = target or to
        if where is None:
            raise InvalidInput(f"--then {mode} needs where: {mode} LOC")
        merged = _merged(batch)
        refs: list[Any] = list(merged)  # parsed: read again in this transaction, not re-parsed
        qtys = list(merged.values())
        fn = movement.move if mode == "move-to" else shipping.ship
        return [fn(conn, refs=refs, qtys=qtys, to=where, **common)]
    if mode == "consume-into":
        if target is None or to is None:
            raise InvalidInput("--then consume-into needs the output (ITEM:SERIAL) and --to LOC")
        output = parse_ref(target)
        if output.kind != "unit":
            raise WrongKind(f"consume into a unit to build (ITEM:SERIAL), not {target}")
        consume = [
            str(ref) if qty is None else f"{ref}={qty}" for ref, qty in _merged(batch).items()
        ]
        return [
            production.build(
                conn, item=output.code, serial=output.key, to=to, consume=consume, **common
            )  # fmt: skip
        ]
    raise InvalidInput(f"--then {mode} commits nothing")


def _merged(batch: Sequence[Entry]) -> dict[Any, Decimal | None]:
    """Each unit once, and each lot or item once with the quantities scanned added up
    (two cartons of one lot)."""
    merged: dict[Any, Decimal | None] = {}
    for e in batch:
        if e.shown.get("kind") == "sscc":  # a case's SSCC: moved or shipped whole
            merged[e.ref] = None
            continue
        ref = e.target.ref if e.target is not None else parse_ref(e.ref or "")
        merged[ref] = None if e.qty is None else (merged.get(ref) or Decimal(0)) + e.qty
    return merged


def _receive(
    conn: Connection,
    batch: Sequence[Entry],
    *,
    user: str,
    to: str,
    reference: str | None,
    supplier: str | None = None,
    po: int | None = None,
) -> list[OperationResult]:
    """One receipt per item, lot and dates: the serials of each together."""
    groups: dict[tuple, list[Receipt]] = defaultdict(list)
    for e in batch:
        r = e.receipt
        if r is None:
            raise InvalidInput(f"{e.input!r} was not scanned to receive")
        # by code: a list kept between transactions (the CLI's) reads the item again
        groups[(r.item.code, r.lot, r.expires, r.made)].append(r)
    results = []
    for (item, lot, expires, made), receipts in groups.items():
        serials = [s for r in receipts for s in (r.serials or [])]
        qty = sum((Decimal(r.qty) for r in receipts), Decimal(0))
        results.append(
            receiving.receive(
                conn,
                user=user,
                item=item,
                to=to,
                lot=lot,
                expires=expires,
                made=made,
                serials=serials or None,
                qty=None if serials else qty,
                ref=reference,
                supplier=supplier,
                po=po,
                supplier_lot=lot if (supplier is not None or po is not None) else None,
            )  # fmt: skip
        )
    return results


def receive_scanned(
    conn: Connection,
    *,
    user: str,
    scan: str,
    to: str,
    item: str | None = None,
    qty: Decimal | str | int | None = None,
    lot: str | None = None,
    serials: list[str] | None = None,
    expires: Any = None,
    made: Any = None,
    pack: str | None = None,
    **options: Any,
) -> OperationResult:
    """`receive --scan`: item, lot, serial, dates and count from the supplier's barcode;
    what is given beside it must agree with it."""
    if serials is not None and len(serials) != 1:
        raise InvalidInput("a scan names one unit: give no --serials, or the one it holds")
    receipt = receipt_of(conn, scan, qty=qty, lot=lot, serial=(serials or [None])[0],
                         expires=expires, made=made, pack=pack)  # fmt: skip
    if item is not None and item != receipt.item.code:
        raise InvalidInput(f"the scan names item {receipt.item.code}, not {item}")
    # the item's row as the scan found it: receiving does not look it up again
    return receiving.receive(conn, user=user, to=to, **receipt.arguments(), **options)
