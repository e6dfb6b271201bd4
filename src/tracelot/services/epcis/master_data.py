"""The master data an export's events name (items, lots, units, locations, parties),
read once from the database and described once in `epcisHeader.epcisMasterData`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, select

from tracelot.domain.epc import item_uri, location_uri, lot_uri, party_uri, un_cefact, unit_uri
from tracelot.domain.values import qty_number
from tracelot.services.epcis.vocabulary import (
    EXPIRY,
    LOT_NUMBER,
    VTYPE_CLASS,
    VTYPE_LOCATION,
    VTYPE_PARTY,
    VTYPE_UNIT,
)
from tracelot.store.bulk import id_in
from tracelot.store.tables import item_gtins, items, locations, lots, parties, units


class Names:
    """The master data the exported events name, read once and described once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.items = {r.id: r for r in conn.execute(select(items))}
        # an item's own GTIN, else the first one added to it
        self.gtins = {r.item_id: r.gtin for r in conn.execute(
            select(item_gtins.c.item_id, func.min(item_gtins.c.gtin).label("gtin"))
            .group_by(item_gtins.c.item_id))}  # fmt: skip
        self.gtins.update({r.id: r.gtin for r in self.items.values() if r.gtin})
        self.locations = {r.id: r for r in conn.execute(select(locations))}
        self.parties = {r.id: r for r in conn.execute(select(parties))}
        self.lots: dict[int, Row] = {}
        self.units: dict[int, Row] = {}
        self.used_items: set[int] = set()
        self.used_locations: set[int] = set()
        self.used_parties: set[int] = set()

    def load(self, unit_ids: Iterable[int], lot_ids: Iterable[int]) -> None:
        unit_ids = [i for i in set(unit_ids) if i not in self.units]
        if unit_ids:
            query = select(units).where(id_in(self.conn, units.c.id, unit_ids))
            self.units.update({r.id: r for r in self.conn.execute(query)})
        lot_ids = {*lot_ids, *(u.lot_id for u in self.units.values() if u.lot_id)}
        lot_ids = [i for i in lot_ids if i not in self.lots]
        if lot_ids:
            query = select(lots).where(id_in(self.conn, lots.c.id, lot_ids))
            self.lots.update({r.id: r for r in self.conn.execute(query)})

    def obj(self, item_id: int, lot_id: int | None, unit_id: int | None) -> str:
        """The URI of a unit, a lot, or an item."""
        item = self.items[item_id]
        self.used_items.add(item_id)
        if unit_id is not None:
            unit = self.units[unit_id]
            self._party(unit.supplier_id)
            return unit_uri(item.code, self.gtins.get(item.id), unit.serial)
        if lot_id is not None:
            self._party(self.lots[lot_id].supplier_id)
            return lot_uri(item.code, self.gtins.get(item.id), self.lots[lot_id].code)
        return item_uri(item.code, self.gtins.get(item.id))

    def quantity(self, item_id: int, lot_id: int | None, qty: Decimal | None) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": self.obj(item_id, lot_id, None)}
        if qty is not None:
            element["quantity"] = qty_number(qty)
            element["uom"] = un_cefact(self.items[item_id].uom)
        return element

    def location(self, location_id: int) -> str:
        loc = self.locations[location_id]
        while loc is not None and loc.id not in self.used_locations:
            self.used_locations.add(loc.id)
            loc = self.locations.get(loc.parent_id) if loc.parent_id else None
        loc = self.locations[location_id]
        return location_uri(loc.code, loc.gln)

    def party(self, party_id: int) -> str:
        self._party(party_id)
        return party_uri(self.parties[party_id].code)

    def _party(self, party_id: int | None) -> None:
        if party_id is not None:
            self.used_parties.add(party_id)

    def master_data(self) -> dict[str, Any]:
        classes = [self._item_element(self.items[i]) for i in sorted(self.used_items)]
        classes += [self._lot_element(lot) for lot in self.lots.values()]
        unit_elements = [e for u in self.units.values() if (e := self._unit_element(u))]
        places = [self._location_element(self.locations[i]) for i in sorted(self.used_locations)]
        people = [self._party_element(self.parties[i]) for i in sorted(self.used_parties)]
        vocabularies = [
            (VTYPE_CLASS, classes),
            (VTYPE_UNIT, unit_elements),
            (VTYPE_LOCATION, places),
            (VTYPE_PARTY, people),
        ]
        return {
            "vocabularyList": [
                {"type": vtype, "vocabularyElementList": elements}
                for vtype, elements in vocabularies
                if elements
            ]
        }

    def _item_element(self, item: Row) -> dict[str, Any]:
        return _element(
            item_uri(item.code, self.gtins.get(item.id)),
            code=item.code,
            name=item.name,
            tracking=item.tracking,
            uom=item.uom,
            gtin=self.gtins.get(item.id),
            shelfLifeDays=item.shelf_life_days,
        )

    def _lot_element(self, lot: Row) -> dict[str, Any]:
        item = self.items[lot.item_id]
        return _element(
            lot_uri(item.code, self.gtins.get(item.id), lot.code),
            **{LOT_NUMBER: lot.code, EXPIRY: lot.expires},
            made=lot.made,
            supplier=self._code(lot.supplier_id),
            supplierLot=lot.supplier_lot,
        )

    def _unit_element(self, unit: Row) -> dict[str, Any] | None:
        lot = self.lots[unit.lot_id].code if unit.lot_id else None
        attributes = {
            LOT_NUMBER: lot,
            EXPIRY: unit.expires,
            "made": unit.made,
            "supplier": self._code(unit.supplier_id),
            "supplierLot": unit.supplier_lot,
        }
        if not any(v is not None for v in attributes.values()):
            return None
        item = self.items[unit.item_id]
        return _element(unit_uri(item.code, self.gtins.get(item.id), unit.serial), **attributes)

    def _location_element(self, loc: Row) -> dict[str, Any]:
        parent = self.locations[loc.parent_id].code if loc.parent_id else None
        return _element(
            location_uri(loc.code, loc.gln),
            code=loc.code,
            name=loc.name,
            kind=loc.kind,
            parent=parent,
            gln=loc.gln,
        )

    def _party_element(self, party: Row) -> dict[str, Any]:
        return _element(party_uri(party.code), code=party.code, name=party.name, kind=party.kind)

    def _code(self, party_id: int | None) -> str | None:
        return self.parties[party_id].code if party_id is not None else None


def _element(uri: str, **attributes: Any) -> dict[str, Any]:
    """A master data element; attributes without a prefix are tracelot's."""
    return {
        "id": uri,
        "attributes": [
            {"id": name if ":" in name else f"tracelot:{name}", "attribute": _json(value)}
            for name, value in attributes.items()
            if value is not None
        ],
    }


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
