"""The standard's simple event query over the exported events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from tracelot.services.epcis.export import export
from tracelot.services.epcis.vocabulary import CONTEXT

_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def query(
    conn: Connection,
    *,
    event_types: Sequence[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    biz_steps: Sequence[str] = (),
    dispositions: Sequence[str] = (),
    biz_locations: Sequence[str] = (),
    any_epc: Sequence[str] = (),
    any_class: Sequence[str] = (),
) -> dict[str, Any]:
    """The events a simple event query selects (eventType, GE_eventTime, LT_eventTime,
    EQ_bizStep, EQ_disposition, EQ_bizLocation, MATCH_anyEPC, MATCH_anyEPCClass; each a
    list of values any of which matches), as an EPCIS query document (which, by the
    schema, carries no master data: `export` does)."""
    document = export(
        conn,
        start=since.astimezone(dt.UTC).date() if since else None,
        end=until.astimezone(dt.UTC).date() if until else None,
    )
    selected = []
    for event in document["epcisBody"]["eventList"]:
        moment = dt.datetime.fromisoformat(event["eventTime"])
        epcs = {e for name in _EPC_LISTS for e in event.get(name, [])}
        classes = {q["epcClass"] for name in _CLASS_LISTS for q in event.get(name, [])}
        if (
            (not event_types or event["type"] in event_types)
            and (since is None or moment >= since)
            and (until is None or moment < until)
            and (not biz_steps or event.get("bizStep") in biz_steps)
            and (not dispositions or event.get("disposition") in dispositions)
            and (not biz_locations or event.get("bizLocation", {}).get("id") in biz_locations)
            and (not any_epc or epcs & set(any_epc))
            and (not any_class or classes & set(any_class))
        ):
            selected.append(event)
    return {
        "@context": CONTEXT,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": document["creationDate"],
        "epcisBody": {
            "queryResults": {
                "queryName": "SimpleEventQuery",
                "resultsBody": {"eventList": selected},
            }
        },
    }
