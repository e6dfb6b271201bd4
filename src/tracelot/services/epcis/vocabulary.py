"""The names EPCIS documents use, written and read alike: the JSON-LD context,
vocabulary types, tracelot's own attributes, and times as events write them."""

from __future__ import annotations

import datetime as dt
from typing import Any

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: tracelot's namespace, for its master data attributes and event fields
NAMESPACE = "urn:tracelot:epcis:"
CONTEXT: list[Any] = [GS1_CONTEXT, {"tracelot": NAMESPACE}]

VTYPE_CLASS = "urn:epcglobal:epcis:vtype:EPCClass"
VTYPE_LOCATION = "urn:epcglobal:epcis:vtype:BusinessLocation"
VTYPE_PARTY = "urn:epcglobal:epcis:vtype:SourceDest"
VTYPE_UNIT = "tracelot:Unit"  # a serialized unit's own attributes (expiry, lot, supplier)

EXPIRY = "cbvmda:itemExpirationDate"
LOT_NUMBER = "cbvmda:lotNumber"
NOTE = "tracelot:note"
REFERENCE = "tracelot:reference"  # the business transaction type of a reference
UNIT_COST = "tracelot:unitCost"  # on a receipt: what each object cost apiece
OPERATION = "tracelot:operation"  # the tracelot operation an event comes from
VOID_REASON = "tracelot:voidReason"  # an error declaration's: why the operation was voided
VOID_OPERATION = "tracelot:voidOperation"  # an error declaration's: the void that made it


def timestamp(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    # milliseconds, as is usual, unless the moment has finer ones (kept: a round trip
    # gives the same times)
    spec = "milliseconds" if moment.microsecond % 1000 == 0 else "microseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
