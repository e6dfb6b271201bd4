"""An EPCIS document as the import reads it: the objects, facts and events it names,
what its master data and ILMD say (`Knowledge`), and the problems found (`Checked`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tracelot.domain.epc import Ident
from tracelot.domain.errors import InvalidInput
from tracelot.services.epcis.vocabulary import NAMESPACE

EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
ACTIONS = ("OBSERVE", "ADD", "DELETE")
#: tracelot's own attributes, and the CBV's master data ones, however they are written;
#: a partner's attributes in other namespaces are not tracelot's and are left alone
_OWN = ("tracelot:", NAMESPACE)
_CBV = ("cbvmda:", "urn:epcglobal:cbv:mda:", "urn:epcglobal:cbv:mda#", "https://ref.gs1.org/cbv/")
#: problems listed at most (a document of nonsense is not listed whole)
MAX_PROBLEMS = 1_000


def local_name(name: Any) -> str:
    """The local name of a vocabulary term, however it is written (bare word, CURIE,
    URN or web URI): `cbvmda:lotNumber`, `urn:epcglobal:cbv:mda#lotNumber` -> lotNumber."""
    text = str(name).rstrip("/")
    return re.split(r"[#:/]", text)[-1].removeprefix("BizStep-").removeprefix("Disp-")


def attribute_name(name: Any) -> str | None:
    """The local name of a tracelot or CBV attribute; None for anyone else's."""
    text = str(name)
    return local_name(text).removeprefix("cbvmda-") if text.startswith(_OWN + _CBV) else None


def read_document(data: bytes | str) -> dict[str, Any]:
    """Parse a JSON-LD document (refused with the parser's reason if it is not JSON)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"not a JSON document: {str(exc)[:200]}") from None
    if not isinstance(doc, dict):
        raise InvalidInput("an EPCIS document is a JSON object")
    return doc


@dataclass
class Obj:
    """One object an event names: a unit (EPC), or a quantity of a lot or an item."""

    ident: Ident
    item: str | None = None  # the tracelot item code, once resolved
    qty: Decimal | None = None  # a class's quantity (None: an EPC, or a class named alone)

    @property
    def ref(self) -> str:
        if self.ident.serial is not None:
            return f"{self.item}:{self.ident.serial}"
        if self.ident.lot is not None:
            return f"{self.item}@{self.ident.lot}"
        return str(self.item)

    @property
    def key(self) -> tuple[str, str]:
        return (self.ident.gtin or self.ident.code or "", self.ident.serial or self.ident.lot or "")


@dataclass
class Facts:
    """What is known of a unit or lot from the master data and ILMD: its lot (a unit's),
    expiry, manufacture date and the supplier's lot code."""

    lot: str | None = None
    expires: dt.date | None = None
    made: dt.date | None = None
    supplier_lot: str | None = None

    def learn(self, other: Facts) -> None:
        """Take what `other` knows and this does not."""
        for name in ("lot", "expires", "made", "supplier_lot"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))


@dataclass
class Event:
    """An event of the document, read and checked."""

    index: int  # its place in the document, from 1
    type: str
    event_id: str
    time: dt.datetime
    action: str | None
    step: str | None
    disposition: str | None
    location: str | None  # the tracelot location it happened at (None: a partner's place)
    place: str | None  # its bizLocation (or readPoint) as given
    objects: list[Obj] = field(default_factory=list)
    inputs: list[Obj] = field(default_factory=list)
    outputs: list[Obj] = field(default_factory=list)
    parent: Ident | None = None
    sources: dict[str, list[str]] = field(default_factory=dict)
    destinations: dict[str, list[str]] = field(default_factory=dict)
    reference: str | None = None
    note: str | None = None
    costs: dict[str, Decimal] = field(default_factory=dict)  # URI -> cost apiece (a receipt's)
    skip: str | None = None  # why it is skipped (imported before, twice in the document)
    # an error declaration on it: when, and why (what is voided of it on import)
    declared_at: dt.datetime | None = None
    declared_why: str | None = None

    @property
    def label(self) -> str:
        return f"event {self.index}, {self.type}" + (f" {self.step}" if self.step else "")


@dataclass
class Knowledge:
    """What the document's master data and ILMD say about items, lots, units, places and
    parties, and what its aggregations put in which logistic unit."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> attributes
    gtins: dict[str, str] = field(default_factory=dict)  # GTIN -> code
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    glns: dict[str, str] = field(default_factory=dict)
    parties: dict[str, dict[str, Any]] = field(default_factory=dict)
    lots: dict[tuple[str, str], Facts] = field(default_factory=dict)
    units: dict[tuple[str, str], Facts] = field(default_factory=dict)
    contents: dict[str, list[Obj]] = field(default_factory=dict)  # SSCC -> what it holds

    def facts(self, obj: Obj) -> Facts:
        """What is known of an object: a unit's own facts, then its lot's."""
        if obj.ident.kind == "unit":
            found = Facts()
            found.learn(self.units.get(obj.key, Facts()))
            lot = obj.ident.lot or found.lot
            if lot is not None:
                found.lot = lot
                found.learn(self.lots.get((obj.key[0], lot), Facts()))
            return found
        found = Facts(lot=obj.ident.lot)
        found.learn(self.lots.get(obj.key, Facts()))
        return found


@dataclass
class Checked:
    """A document read and checked: its problems (nothing is written if there are any),
    or its events, ready to write."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    know: Knowledge = field(default_factory=Knowledge)

    def problem(self, event: int | None, where: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"event": event, "field": where, "reason": reason})
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append({"event": None, "field": "", "reason": "and more problems"})

    @property
    def full(self) -> bool:
        return len(self.problems) > MAX_PROBLEMS

    def summary(self, *, written: bool, effects: list[dict[str, Any]] | None = None) -> dict:
        skipped = [e for e in self.events if e.skip]
        return {
            "events": len(self.events),
            "skipped": len(skipped),
            "written": written,
            "problems": self.problems,
            "effects": effects or [],
        }


def dicts_of(checked: Checked, index: int | None, where: str, value: Any) -> list[dict[str, Any]]:
    """A list of JSON objects, as the schema wants it (else a problem, and none)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        checked.problem(index, where, f"{where} is a list of objects")
        return []
    return value


def texts_of(checked: Checked, index: int | None, where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        checked.problem(index, where, f"{where} is a list of identifiers (strings)")
        return []
    return value
