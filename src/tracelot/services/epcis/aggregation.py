"""EPCIS AggregationEvents of packing (issue 20): a `pack` is an ADD and an `unpack` a
DELETE of what went into or out of each case or pallet (parentID its SSCC, as GS1
Digital Link: `https://id.gs1.org/00/...`); a shipment's cases and pallets are OBSERVE
events of shipping, each naming what it holds, beside the shipment's ObjectEvent. On
import these are noted (a partner's aggregation makes its SSCC's contents known, so that
its shipment can be received by a scan of the SSCC)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, select

from tracelot.domain.status import OperationKind
from tracelot.services.epcis.master_data import Names
from tracelot.store.bulk import id_in
from tracelot.store.tables import logistic_units, lu_contents, lu_lines, lu_moves

Event = dict[str, Any]
KINDS = (OperationKind.PACK, OperationKind.UNPACK, OperationKind.SHIP)


def sscc_uri(sscc: str) -> str:
    """An SSCC as a GS1 Digital Link URI, as exports write every identifier (CONVENTIONS;
    an import reads the EPC URN `urn:epc:id:sscc:...` too)."""
    return f"https://id.gs1.org/00/{sscc}"


class Aggregations:
    """The packing lines and shipped cases of the operations exported, read at once."""

    def __init__(self, conn: Connection, ops: Sequence[Row]) -> None:
        self.conn = conn
        wanted = [op.id for op in ops if op.kind in KINDS]
        self.lines: dict[int, list[Row]] = defaultdict(list)
        self.shipped: dict[int, list[int]] = defaultdict(list)
        self.ssccs: dict[int, str] = {}
        self.contents: dict[int, list[Row]] = defaultdict(list)
        if not wanted:
            return
        for r in conn.execute(select(lu_lines).where(id_in(conn, lu_lines.c.operation_id, wanted))
                              .order_by(lu_lines.c.id)):  # fmt: skip
            self.lines[r.operation_id].append(r)
        for r in conn.execute(select(lu_moves).where(id_in(conn, lu_moves.c.operation_id, wanted))
                              .order_by(lu_moves.c.id)):  # fmt: skip
            self.shipped[r.operation_id].append(r.lu_id)
        shipped = sorted({i for ids in self.shipped.values() for i in ids})
        if shipped:
            for r in conn.execute(select(lu_contents).where(id_in(conn, lu_contents.c.lu_id,
                                                                  shipped))
                                  .order_by(lu_contents.c.id)):  # fmt: skip
                self.contents[r.lu_id].append(r)
        lu_ids = {r.lu_id for rows in self.lines.values() for r in rows}
        lu_ids |= {r.child_lu_id for rows in self.lines.values() for r in rows if r.child_lu_id}
        lu_ids |= set(shipped)
        lu_ids |= {r.child_lu_id for rows in self.contents.values() for r in rows if r.child_lu_id}
        if lu_ids:
            self.ssccs = dict(conn.execute(
                select(logistic_units.c.id, logistic_units.c.sscc)
                .where(id_in(conn, logistic_units.c.id, sorted(lu_ids)))
            ).all())  # fmt: skip

    def load(self, names: Names) -> None:
        """Tell the master data the units and lots the events will name."""
        rows = [r for rs in (*self.lines.values(), *self.contents.values()) for r in rs]
        names.load([r.unit_id for r in rows if r.unit_id], [r.lot_id for r in rows if r.lot_id])

    def uri(self, lu_id: int) -> str:
        return sscc_uri(self.ssccs[lu_id])

    def events(self, names: Names, op: Row, base: Callable[[Row, str], Event],
               tail: Callable[[Names, Row, Event], Event]) -> list[Event]:  # fmt: skip
        """The AggregationEvents of one operation (none for other kinds)."""
        out: list[Event] = []
        if op.kind in (OperationKind.PACK, OperationKind.UNPACK):
            by_lu: dict[int, list[Row]] = defaultdict(list)
            for r in self.lines[op.id]:
                by_lu[r.lu_id].append(r)
            for lu_id, rows in by_lu.items():
                event = base(op, "AggregationEvent")
                event["parentID"] = self.uri(lu_id)
                event.update(self._children(names, rows))
                event["action"] = "ADD" if rows[0].added else "DELETE"
                event["bizStep"] = "packing" if rows[0].added else "unpacking"
                event["disposition"] = "in_progress"
                out.append(tail(names, op, event))
        elif op.kind == OperationKind.SHIP:
            for lu_id in self.shipped[op.id]:
                event = base(op, "AggregationEvent")
                event["parentID"] = self.uri(lu_id)
                event.update(self._children(names, self.contents[lu_id]))
                event["action"] = "OBSERVE"
                event["bizStep"] = "shipping"
                event["disposition"] = "in_transit"
                if op.party_id is not None:
                    event["destinationList"] = [
                        {"type": "owning_party", "destination": names.party(op.party_id)}
                    ]
                out.append(tail(names, op, event))
        return out

    def _children(self, names: Names, rows: Sequence[Row]) -> Event:
        epcs: list[str] = []
        amounts: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
        for r in rows:
            if r.child_lu_id is not None:
                epcs.append(self.uri(r.child_lu_id))
            elif r.unit_id is not None:
                epcs.append(names.obj(r.item_id, r.lot_id, r.unit_id))
            else:
                amounts[(r.item_id, r.lot_id)] += Decimal(r.qty)
        body: Event = {"childEPCs": epcs}
        if amounts:
            body["childQuantityList"] = [names.quantity(i, lot, q)
                                         for (i, lot), q in amounts.items()]  # fmt: skip
        return body
