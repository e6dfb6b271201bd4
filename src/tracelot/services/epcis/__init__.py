"""EPCIS 2.0: tracelot's operations out as events, and partners' events (or tracelot's
own, from another database) in.

Out: `export` writes the operations of a period (or of one unit, lot or item) as a
JSON-LD document with the master data its events name; `query` selects events with the
standard's simple event query. Each event's ID is its CBV 2.0 event hash (`hashes`).

In: `read_document` parses a document, `check` checks all of it (`checks`, with what its
identifiers name from `resolving`), and `write` writes it in one savepoint (`capture`):
events at tracelot's locations are replayed as operations (`replay`), a partner's
shipment becomes an advance shipping notice and a partner's transformation extends the
genealogy (`partners`); the notices are found, listed and received by `asn`.
"""

from tracelot.services.epcis.asn import find_asn, list_asns, receive_asn, show_asn
from tracelot.services.epcis.capture import write
from tracelot.services.epcis.checks import check
from tracelot.services.epcis.document import Checked, read_document
from tracelot.services.epcis.export import export
from tracelot.services.epcis.hashes import event_hashes, set_event_ids
from tracelot.services.epcis.query import query

__all__ = [
    "Checked",
    "check",
    "event_hashes",
    "export",
    "find_asn",
    "list_asns",
    "query",
    "read_document",
    "receive_asn",
    "set_event_ids",
    "show_asn",
    "write",
]
