"""Event IDs: the CBV 2.0 event hash of each event (the epcis-event-hash-generator
package), computed with the JSON-LD contexts it ships: nothing is fetched from the network."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any

from tracelot.services.epcis.vocabulary import CONTEXT, GS1_CONTEXT, timestamp

# the JSON-LD contexts the hash generator ships, by URL: nothing is fetched from the network
_CONTEXT_FILES = {
    GS1_CONTEXT: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
}
LOCAL_CONTEXTS = tuple(_CONTEXT_FILES)


@cache
def _context(url: str) -> str:
    name = _CONTEXT_FILES.get(url)
    if name is None:
        raise ValueError(f"tracelot fetches no JSON-LD context from the network ({url})")
    return resources.files("epcis_event_hash_generator").joinpath(name).read_text()


def _load_context(url: str, options: Any = None) -> dict[str, Any]:
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(_context(url))}  # fmt: skip


def set_event_ids(events: list[dict[str, Any]]) -> None:
    """Give each event its CBV 2.0 event hash as its ID."""
    for event, event_id in zip(events, event_hashes(events), strict=True):
        event["eventID"] = event_id


def _to_millisecond(text: Any) -> Any:
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return text  # the generator says what is wrong with it
    if moment.tzinfo is None:
        return text
    micro = round(moment.microsecond, -3)  # as the generator rounds, with the carry
    moment = moment.replace(microsecond=0) + dt.timedelta(microseconds=micro)
    return timestamp(moment)


def event_hashes(events: list[dict[str, Any]], context: list[Any] = CONTEXT) -> list[str]:
    """The CBV 2.0 event hash of each event (as the hash generator computes it)."""
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    if not events:
        return []
    jsonld.set_document_loader(_load_context)  # after the package set its own (online) one
    # the hash is of the time in milliseconds; the generator's own rounding fails on a
    # time within half a millisecond of the next second, so it gets it rounded already
    events = [{**e, "eventTime": _to_millisecond(e["eventTime"])} for e in events]
    document = {"@context": context, "epcisBody": {"eventList": events}}
    parsed = json_to_py.event_list_from_epcis_document_json(json.loads(json.dumps(document)))
    prehashes = hash_generator.derive_prehashes_from_events(parsed)
    if len(prehashes) != len(events):  # the generator skips an event it cannot read
        raise RuntimeError("the event hash generator could not read every event")
    return hash_generator.calculate_hashes_from_pre_hashes(prehashes)
