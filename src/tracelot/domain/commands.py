"""The operations as commands: one typed, checked, immutable value per operation.

The CLI, the API and the Python facade each build the command of an operation and hand
it to its service, so an operation's parameters are spelled here once. Whatever can be
checked without the database is checked when the command is made (serials expanded into
a list, quantities as exact positive decimals, dates, required fields, lengths), and a
bad value is refused there with InvalidInput: exit 1 on the command line, 422 from the
API, and nothing changed.

Field names are the CLI's options in snake_case (`--supplier-lot` is `supplier_lot`,
`--from` is `from_`) and the API's body fields. `reference` is a business reference (an
order, a delivery note); `ref` and `refs` are REFs (CONVENTIONS: `ITEM:SERIAL`,
`ITEM@LOT`, a code or a scan). Who acts, and when, travel beside the command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from tracelot.domain.errors import InvalidInput
from tracelot.domain.serials import count_serials, parse_serials
from tracelot.domain.uom import check_pack_name
from tracelot.domain.values import parse_date, parse_money, parse_qty, refuse_nul

# The longest text of each kind an operation takes, alike from the CLI, the API (its
# schema says `maxLength`) and the pages: the ledger is append-only, so what is stored
# is stored for ever.

#: A business reference is stored in 200 characters (operations.reference).
REFERENCE_LENGTH = 200
#: A REF (or a scan of one) is at most this long, as the API's `Ref` says.
REF_LENGTH = 4000
#: Names of locations, parties, items and lots are codes of at most 64 characters; a
#: field naming one may also hold a scan, so it is held to a REF's length.
TEXT_LENGTH = REF_LENGTH
#: An operation's note.
NOTE_LENGTH = 4000
#: The reason of a hold, a scrap, a recall, a return or a recall's closing.
REASON_LENGTH = 1000
#: A recall mark's disposition word.
DISPOSITION_LENGTH = 64

# What one request over HTTP may name: well below what the command line takes (a range
# of up to `serials.MAX_RANGE`), so that no request holds the write lock for minutes.

#: Serials in one request over HTTP (a receipt's list or range).
HTTP_MAX_SERIALS = 100_000
#: REFs in one request over HTTP (a move's, a ship's, a recall's list).
HTTP_MAX_REFS = 10_000
#: Serials in one receipt done as a job over HTTP (in parts: see api.routes.jobs).
JOB_MAX_SERIALS = 2_000_000


# -- checks ---------------------------------------------------------------------------------


def _set(command: object, name: str, value: object) -> None:
    object.__setattr__(command, name, value)


def _required(value: object, what: str, *, length: int = TEXT_LENGTH) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"{what} must not be empty")
    if len(text) > length:
        raise InvalidInput(f"{what} is longer than {length:,} characters")
    refuse_nul(text, what=what)
    return text


def _optional(value: object, what: str, *, length: int = TEXT_LENGTH) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text, not {value!r}")
    if len(value) > length:
        raise InvalidInput(f"{what} is longer than {length:,} characters")
    refuse_nul(value, what=what)
    return value


def _reference(value: object) -> str | None:
    return _optional(value, "reference", length=REFERENCE_LENGTH)


def _qty(value: object, what: str = "quantity") -> Decimal | None:
    return None if value is None else parse_qty(value, what=what)


def _date(value: object, what: str) -> dt.date | None:
    return None if value is None else parse_date(value, what=what)


def _refs(values: object, what: str, *, required: bool = True) -> tuple[str, ...]:
    if isinstance(values, str):  # one REF, not the letters of one
        values = [values]
    if not isinstance(values, Iterable):
        raise InvalidInput(f"{what} must be a list of references")
    refs = tuple(_required(v, "a reference", length=REF_LENGTH) for v in values)
    if required and not refs:
        raise InvalidInput(f"name {what}")
    return refs


def _pack(value: object) -> str | None:
    """A pack's name (`--pack case`): the quantity given is a count of that pack."""
    return None if value is None else check_pack_name(value)


def _positive_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise InvalidInput(f"{what} must be a whole number from 1, not {value!r}")
    return value


# -- stock operations -----------------------------------------------------------------------


@dataclass(frozen=True)
class Receive:
    """Receive from a supplier: serials (a list, a range or a mix), a lot quantity or a
    plain quantity of `item`; or what a supplier's barcode (`scan`) names."""

    to: str
    item: str | None = None
    qty: Decimal | None = None
    lot: str | None = None
    serials: tuple[str, ...] | None = None
    expires: dt.date | None = None
    made: dt.date | None = None
    supplier: str | None = None
    supplier_lot: str | None = None
    cost: Decimal | None = None
    po: int | None = None
    scan: str | None = None
    reference: str | None = None
    note: str | None = None
    pack: str | None = None  # `qty` is a count of this pack of the item (services.uom)

    def __post_init__(self) -> None:
        _set(self, "pack", _pack(self.pack))
        _set(self, "to", _required(self.to, "--to (the location received into)"))
        if self.item is None and self.scan is None:
            raise InvalidInput("name the ITEM, or give --scan")
        _set(self, "item", None if self.item is None else _required(self.item, "item"))
        _set(self, "scan", None if self.scan is None else _required(self.scan, "scan"))
        _set(self, "qty", _qty(self.qty))
        if self.serials is not None:
            _set(self, "serials", tuple(parse_serials(self.serials)))
        _set(self, "expires", _date(self.expires, "expiry date"))
        _set(self, "made", _date(self.made, "manufacture date"))
        if self.made and self.expires and self.expires < self.made:
            raise InvalidInput(f"expiry {self.expires} is before the manufacture date {self.made}")
        _set(self, "cost", None if self.cost is None else parse_money(self.cost))
        if self.po is not None:
            _set(self, "po", _positive_id(self.po, "purchase order"))
        for name in ("lot", "supplier", "supplier_lot"):
            _set(self, name, _optional(getattr(self, name), name.replace("_", " ")))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))
        _set(self, "reference", _reference(self.reference))


@dataclass(frozen=True)
class Move:
    """Move units, or a quantity of lots or untracked items, to another location."""

    refs: tuple[str, ...]
    to: str
    from_: str | None = None
    qty: Decimal | None = None
    reference: str | None = None
    note: str | None = None
    pack: str | None = None  # `qty` is a count of this pack of each item (services.uom)

    def __post_init__(self) -> None:
        _set(self, "pack", _pack(self.pack))
        _set(self, "refs", _refs(self.refs, "what to move"))
        _set(self, "to", _required(self.to, "--to (the destination)"))
        _set(self, "from_", _optional(self.from_, "--from"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class Ship:
    """Ship units, or a quantity of a lot or item, to a customer (`to`); with `so`, against
    that sales order (its customer; without `refs`, what was picked for it, else what is
    reserved for it)."""

    refs: tuple[str, ...] = ()
    to: str | None = None
    from_: str | None = None
    qty: Decimal | None = None
    reference: str | None = None
    note: str | None = None
    pack: str | None = None  # `qty` is a count of this pack of each item (services.uom)
    so: int | None = None

    def __post_init__(self) -> None:
        _set(self, "pack", _pack(self.pack))
        if self.so is not None:
            _set(self, "so", _positive_id(self.so, "sales order"))
        _set(self, "refs", _refs(self.refs, "what to ship", required=self.so is None))
        if self.so is None or self.to is not None:
            _set(self, "to", _required(self.to, "--to (the customer)"))
        _set(self, "from_", _optional(self.from_, "--from"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class ReturnToSupplier:
    """Send units, or a quantity of a lot or item, back to a supplier (`to`); held stock
    may go back (a recall's answer), stock already gone may not."""

    refs: tuple[str, ...]
    to: str
    from_: str | None = None
    qty: Decimal | None = None
    reason: str | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        _set(self, "refs", _refs(self.refs, "what to return to the supplier"))
        _set(self, "to", _required(self.to, "--to (the supplier)"))
        _set(self, "from_", _optional(self.from_, "--from"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "reason", _optional(self.reason, "--reason", length=REASON_LENGTH))
        _set(self, "reference", _reference(self.reference))


@dataclass(frozen=True)
class Return:
    """Take back from a customer (`from_`) what was shipped to them, into `to`."""

    ref: str
    from_: str
    to: str
    qty: Decimal | None = None
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "ref", _required(self.ref, "the reference returned", length=REF_LENGTH))
        _set(self, "from_", _required(self.from_, "--from (the customer)"))
        _set(self, "to", _required(self.to, "--to (the location taken back into)"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class Scrap:
    """Scrap a unit or a quantity, with a reason (kept as the operation's note)."""

    ref: str
    reason: str
    from_: str | None = None
    qty: Decimal | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        _set(self, "ref", _required(self.ref, "the reference scrapped", length=REF_LENGTH))
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("give a --reason for scrapping")
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))
        _set(self, "from_", _optional(self.from_, "--from"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "reference", _reference(self.reference))


@dataclass(frozen=True)
class Adjust:
    """Correct the balance of `item` (and `lot`) at a location (`at`) to a counted
    quantity, against the adjustment location; with `subtree`, the count is of the
    location and every location below it."""

    item: str
    at: str
    counted: Decimal
    lot: str | None = None
    reference: str | None = None
    note: str | None = None
    subtree: bool = False
    pack: str | None = None  # `counted` is a count of this pack of the item (services.uom)

    def __post_init__(self) -> None:
        _set(self, "pack", _pack(self.pack))
        _set(self, "item", _required(self.item, "item"))
        _set(self, "at", _required(self.at, "--at (the location counted)"))
        _set(self, "counted", parse_qty(self.counted, what="counted quantity", allow_zero=True))
        _set(self, "lot", _optional(self.lot, "lot"))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class Output:
    """One output of a production run: a serial, or a lot and quantity (or a quantity of
    an untracked item), and the components it consumes (each `REF[=QTY]`)."""

    consume: Sequence[str]
    serial: str | None = None
    lot: str | None = None
    qty: Decimal | str | int | None = None
    expires: dt.date | str | None = None


@dataclass(frozen=True)
class Build:
    """Build an assembly: consume components (each `REF[=QTY]`), produce the output
    (a serial, or a lot and quantity) at `to`, and record its genealogy."""

    item: str
    to: str
    consume: tuple[str, ...]
    serial: str | None = None
    lot: str | None = None
    qty: Decimal | None = None
    expires: dt.date | None = None
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "item", _required(self.item, "item"))
        _set(self, "to", _required(self.to, "--to (where the output goes)"))
        _set(self, "consume", _refs(self.consume, "the components to --consume"))
        _set(self, "serial", _optional(self.serial, "serial"))
        _set(self, "lot", _optional(self.lot, "lot"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "expires", _date(self.expires, "expiry date"))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class BuildRun:
    """A production run: many outputs of one item at `to` in one operation, each with its
    own components (an `Output`, or a mapping of its fields)."""

    item: str
    to: str
    outputs: tuple[Output | Mapping[str, object], ...]
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "item", _required(self.item, "item"))
        _set(self, "to", _required(self.to, "--to (where the outputs go)"))
        _set(self, "outputs", tuple(self.outputs))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class Replace:
    """Repair a built unit (`assembly`): take a component unit out (`remove`), put
    another in (`install`); the removed one goes to `to` (beside it) or is scrapped."""

    assembly: str
    remove: str
    install: str
    to: str | None = None
    scrap: bool = False
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "assembly", _required(self.assembly, "the assembly", length=REF_LENGTH))
        _set(self, "remove", _required(self.remove, "--remove", length=REF_LENGTH))
        _set(self, "install", _required(self.install, "--install", length=REF_LENGTH))
        _set(self, "to", _optional(self.to, "--to"))
        if not isinstance(self.scrap, bool):
            raise InvalidInput(f"scrap must be true or false, not {self.scrap!r}")
        if self.scrap and self.to:
            raise InvalidInput("give --to or --scrap, not both")
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


# -- quality ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Hold a unit or lot, with a reason: neither shipped nor consumed until released."""

    ref: str
    reason: str

    def __post_init__(self) -> None:
        _set(self, "ref", _required(self.ref, "the reference held", length=REF_LENGTH))
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("give a --reason for the hold")
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))


@dataclass(frozen=True)
class Release:
    """Release the holds on a unit or lot."""

    ref: str
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "ref", _required(self.ref, "the reference released", length=REF_LENGTH))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class OpenRecall:
    """Open a recall of a scope: REFs, a supplier's lot, or an item's serial list or range
    or its units made between two dates; what is on hand may go to `quarantine`."""

    reason: str
    refs: tuple[str, ...] = ()
    supplier: str | None = None
    supplier_lot: str | None = None
    item: str | None = None
    serials: str | None = None
    made_between: tuple[dt.date, dt.date] | None = None
    quarantine: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("give a --reason for the recall")
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))
        _set(self, "refs", _refs(self.refs, "what to recall", required=False))
        for name in ("supplier", "supplier_lot", "item", "quarantine"):
            _set(self, name, _optional(getattr(self, name), name.replace("_", " ")))
        if (self.serials or self.made_between) and not self.item:
            raise InvalidInput("a serial or date range needs --item")
        if self.serials is not None:
            serials = self.serials if isinstance(self.serials, str) else ",".join(self.serials)
            parse_serials(serials)  # refused here if malformed; the scope keeps the text
            _set(self, "serials", serials)
        if self.made_between is not None:
            first, last = self.made_between
            _set(self, "made_between", (parse_date(first, what="date"),
                                        parse_date(last, what="date")))  # fmt: skip


@dataclass(frozen=True)
class ExtendRecall:
    """Add REFs to an open recall's scope."""

    recall_id: int
    refs: tuple[str, ...]

    def __post_init__(self) -> None:
        _set(self, "recall_id", _positive_id(self.recall_id, "recall"))
        _set(self, "refs", _refs(self.refs, "what to add to the recall"))


@dataclass(frozen=True)
class MarkRecall:
    """Record what became of a recall's affected units and lots (`disposition`): those
    named (`refs`), narrowed to (or, without refs, all of) those at a location (`at`)
    or of a customer. `reworked` names the repair or build that reworked them
    (`operation`)."""

    recall_id: int
    refs: tuple[str, ...]
    disposition: str
    at: str | None = None
    customer: str | None = None
    to: str | None = None
    operation: int | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "recall_id", _positive_id(self.recall_id, "recall"))
        _set(self, "refs", _refs(self.refs, "what to mark", required=False))
        _set(self, "to", _optional(self.to, "--to"))
        disposition = _required(self.disposition, "disposition", length=DISPOSITION_LENGTH)
        _set(self, "disposition", disposition)
        _set(self, "at", _optional(self.at, "--at"))
        _set(self, "customer", _optional(self.customer, "--customer"))
        if self.operation is not None:
            _set(self, "operation", _positive_id(self.operation, "operation"))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class CloseRecall:
    """Close a recall (by `force`, with a reason, while affected items are open)."""

    recall_id: int
    force: bool = False
    reason: str | None = None

    def __post_init__(self) -> None:
        _set(self, "recall_id", _positive_id(self.recall_id, "recall"))
        _set(self, "reason", _optional(self.reason, "reason", length=REASON_LENGTH))


# -- corrections ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Void:
    """Void an operation (`operation`, its id): a new operation of kind `void` undoes each
    of its lines exactly; the original stays on the ledger, marked voided."""

    operation: int
    reason: str

    def __post_init__(self) -> None:
        operation = self.operation
        if isinstance(operation, str) and operation.strip().isdigit():  # the CLI's text
            operation = int(operation.strip())
        _set(self, "operation", _positive_id(operation, "operation"))
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("give a --reason for the void")
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))


#: Every operation's command (the API's request models and the CLI's commands are
#: checked against these by tests/test_commands.py).
COMMANDS: tuple[type, ...] = (
    Receive, Move, Ship, ReturnToSupplier, Return, Scrap, Adjust, Build, BuildRun, Replace,
    Hold, Release, OpenRecall, ExtendRecall, MarkRecall, CloseRecall, Void,
)  # fmt: skip


def field_names(command: type) -> list[str]:
    """The fields of a command, in order."""
    return [f.name for f in fields(command)]


def from_fields(command: type, values: Mapping[str, Any]) -> Any:
    """A command made from a mapping holding (at least) its fields: an API body."""
    return command(**{name: values[name] for name in field_names(command) if name in values})


def check_http_size(values: Mapping[str, Any]) -> None:
    """Refuse a request over HTTP too big for one (the command line takes more), before its
    command is made: more than HTTP_MAX_SERIALS serials (a range is counted, not
    expanded) or HTTP_MAX_REFS references, naming the limit."""
    serials = values.get("serials")
    if serials is not None and count_serials(serials) > HTTP_MAX_SERIALS:
        raise InvalidInput(
            f"{count_serials(serials):,} serials: at most {HTTP_MAX_SERIALS:,} in one request "
            "over HTTP (receive more in several requests, or with the command line)"
        )
    for name in ("refs", "consume"):
        refs = values.get(name)
        if isinstance(refs, list | tuple) and len(refs) > HTTP_MAX_REFS:
            raise InvalidInput(
                f"{len(refs):,} references: at most {HTTP_MAX_REFS:,} in one request over HTTP"
            )


__all__ = [
    "COMMANDS", "Adjust", "Build", "BuildRun", "CloseRecall", "ExtendRecall", "Hold",
    "MarkRecall", "Move", "OpenRecall", "Output", "Receive", "Release", "Replace", "Return",
    "ReturnToSupplier", "Scrap", "Ship", "Void", "check_http_size", "field_names",
    "from_fields",
]  # fmt: skip


# -- stock counts (issue 19) -----------------------------------------------------------------


@dataclass(frozen=True)
class StartCount:
    """Open a count of a location and everything below it (`at`), of some items only
    (`items`) or all; a `blind` count hides the expected figures from its counters."""

    at: str
    items: tuple[str, ...] = ()
    blind: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "at", _required(self.at, "--at"))
        _set(self, "items", _refs(self.items, "the items to count", required=False))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))
        if not isinstance(self.blind, bool):
            raise InvalidInput(f"blind must be true or false, not {self.blind!r}")


# -- issue 19: incoming inspection and transfers ----------------------------------------------


@dataclass(frozen=True)
class InspectPass:
    """Pass the incoming inspection of units or lots (`refs`): their holds are released,
    and with `to` they are put away there."""

    refs: tuple[str, ...]
    note: str | None = None
    to: str | None = None

    def __post_init__(self) -> None:
        _set(self, "refs", _refs(self.refs, "what passed inspection"))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))
        _set(self, "to", _optional(self.to, "--to"))


@dataclass(frozen=True)
class InspectFail:
    """Fail the incoming inspection of units or lots (`refs`), with a reason: they stay
    held and go back to their supplier (`return_to_supplier`) or are scrapped (`scrap`)."""

    refs: tuple[str, ...]
    reason: str
    return_to_supplier: bool = False
    scrap: bool = False

    def __post_init__(self) -> None:
        _set(self, "refs", _refs(self.refs, "what failed inspection"))
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("give a --reason for failing the inspection")
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))
        if bool(self.return_to_supplier) == bool(self.scrap):
            raise InvalidInput("say what becomes of it: --return-to-supplier or --scrap")


@dataclass(frozen=True)
class Transfer:
    """Send units, or quantities of lots or items, from one site to another: they leave
    the source's available stock and are in transit until received."""

    refs: tuple[str, ...]
    from_: str
    to: str
    qty: Decimal | None = None
    carrier: str | None = None
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "refs", _refs(self.refs, "what to transfer"))
        _set(self, "from_", _required(self.from_, "--from (the site sending)"))
        _set(self, "to", _required(self.to, "--to (the site receiving)"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "carrier", _optional(self.carrier, "--carrier", length=REFERENCE_LENGTH))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class CountScans:
    """Record scans into an open count: units, lots and items with their quantity
    (`REF=QTY` typed by hand, or AI 30/37 in a scan), each where it was found: at `at`
    (a location of the count), or after a scan of a location in the list, at that one."""

    count_id: int
    scans: tuple[str, ...]
    at: str | None = None

    def __post_init__(self) -> None:
        _set(self, "count_id", _positive_id(self.count_id, "count"))
        _set(self, "scans", _refs(self.scans, "what was counted (scans)"))
        _set(self, "at", _optional(self.at, "--at"))


@dataclass(frozen=True)
class PostCount:
    """Book a count's variances in one operation (missing stock to ADJUSTMENT, units found
    moved here, quantity differences adjusted); a count is posted once."""

    count_id: int
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "count_id", _positive_id(self.count_id, "count"))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class CancelCount:
    """Cancel an open count: it books nothing and takes no more scans; what was scanned
    stays on record with the reason."""

    count_id: int
    reason: str

    def __post_init__(self) -> None:
        _set(self, "count_id", _positive_id(self.count_id, "count"))
        _set(self, "reason", _required(self.reason, "--reason", length=REASON_LENGTH))


COUNT_COMMANDS: tuple[type, ...] = (StartCount, CountScans, PostCount, CancelCount)
COMMANDS = COMMANDS + COUNT_COMMANDS
__all__ += ["COUNT_COMMANDS", "CancelCount", "CountScans", "PostCount", "StartCount"]


@dataclass(frozen=True)
class ReceiveTransfer:
    """Receive a transfer (`transfer_id`) at its destination, into `to` (a location of the
    destination site; the site itself by default): everything still in transit, or what
    `refs` name (`ITEM@LOT=QTY`, scans), partly if need be; `complete` closes it, booking
    what did not arrive as a difference."""

    transfer_id: int
    refs: tuple[str, ...] = ()
    to: str | None = None
    qty: Decimal | None = None
    complete: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "transfer_id", _positive_id(self.transfer_id, "transfer"))
        _set(self, "refs", _refs(self.refs, "what arrived", required=False))
        _set(self, "to", _optional(self.to, "--to"))
        _set(self, "qty", _qty(self.qty))
        _set(self, "complete", bool(self.complete))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


COMMANDS += (InspectPass, InspectFail, Transfer, ReceiveTransfer)
__all__ += ["InspectFail", "InspectPass", "ReceiveTransfer", "Transfer"]


# -- issue 20: sales orders, reservations and picking ------------------------------------------


@dataclass(frozen=True)
class CreateSalesOrder:
    """A sales order of `lines` (`ITEM:QTY[:PRICE]`, or `ITEM@LOT:QTY[:PRICE]` for one lot)
    to a customer: a draft, unless `confirm` (which reserves its stock at once)."""

    customer: str
    lines: tuple[str, ...]
    ship_by: dt.date | None = None
    reference: str | None = None
    note: str | None = None
    confirm: bool = False

    def __post_init__(self) -> None:
        _set(self, "customer", _required(self.customer, "the customer"))
        _set(self, "lines", _refs(self.lines, "what is ordered: --line ITEM:QTY[:PRICE]"))
        _set(self, "ship_by", _date(self.ship_by, "--ship-by"))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))
        if not isinstance(self.confirm, bool):
            raise InvalidInput(f"confirm must be true or false, not {self.confirm!r}")


@dataclass(frozen=True)
class ConfirmSalesOrder:
    """Confirm a draft order: its stock is reserved, the units and lots `refs` name first
    (a lot as `ITEM@LOT=QTY`), the rest first-expiry-first-out (what cannot be reserved yet
    stays unreserved, and `so reserve N` tries again)."""

    so_id: int
    refs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "so_id", _positive_id(self.so_id, "sales order"))
        _set(self, "refs", _refs(self.refs, "what to reserve", required=False))


@dataclass(frozen=True)
class ReserveSalesOrder:
    """Reserve stock for an open order: the units and lots `refs` name (a lot as
    `ITEM@LOT=QTY`, or as much of it as its line still needs), or without `refs` what its
    lines still need, first-expiry-first-out."""

    so_id: int
    refs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "so_id", _positive_id(self.so_id, "sales order"))
        _set(self, "refs", _refs(self.refs, "what to reserve", required=False))


@dataclass(frozen=True)
class CancelSalesOrder:
    """Cancel an order that has shipped nothing: its reservations are released."""

    so_id: int
    reason: str | None = None

    def __post_init__(self) -> None:
        _set(self, "so_id", _positive_id(self.so_id, "sales order"))
        _set(self, "reason", _optional(self.reason, "--reason", length=REASON_LENGTH))


@dataclass(frozen=True)
class PickScans:
    """Confirm picks for an order by scanning: each unit or lot (`ITEM@LOT=QTY`, or AI
    30/37) is checked against the order's lines and reservations; a wrong item, lot, or an
    expired or held unit is refused with the reason. `at`: the bin picked from."""

    so_id: int
    scans: tuple[str, ...]
    at: str | None = None

    def __post_init__(self) -> None:
        _set(self, "so_id", _positive_id(self.so_id, "sales order"))
        _set(self, "scans", _refs(self.scans, "what was picked (scans)"))
        _set(self, "at", _optional(self.at, "--at"))


ORDER_COMMANDS: tuple[type, ...] = (
    CreateSalesOrder, ConfirmSalesOrder, ReserveSalesOrder, CancelSalesOrder, PickScans,
)  # fmt: skip
COMMANDS += ORDER_COMMANDS
__all__ += ["CancelSalesOrder", "ConfirmSalesOrder", "CreateSalesOrder", "ORDER_COMMANDS",
            "PickScans", "ReserveSalesOrder"]  # fmt: skip
# -- issue 20, packing: logistic units with SSCCs ---------------------------------------------


@dataclass(frozen=True)
class Pack:
    """Put units, lot quantities (`ITEM@LOT=QTY`) and other cases (their SSCCs) into a
    logistic unit: an existing one (`into`, its SSCC) or a new case or pallet (`new`),
    made at `at` (a location; by default where what it holds is)."""

    refs: tuple[str, ...]
    into: str | None = None
    new: str | None = None
    at: str | None = None
    reference: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "refs", _refs(self.refs, "what to pack"))
        _set(self, "into", _optional(self.into, "--into"))
        _set(self, "new", _optional(self.new, "--new"))
        if (self.into is None) == (self.new is None):
            raise InvalidInput("say where to pack: --into SSCC, or --new case|pallet")
        if self.new is not None and self.new not in ("case", "pallet"):
            raise InvalidInput(f"--new {self.new!r}: a new logistic unit is a case or a pallet")
        _set(self, "at", _optional(self.at, "--at"))
        _set(self, "reference", _reference(self.reference))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


@dataclass(frozen=True)
class Unpack:
    """Take things out of a logistic unit (`sscc`): what `refs` name (units, `ITEM@LOT=QTY`,
    inner SSCCs), or everything it holds."""

    sscc: str
    refs: tuple[str, ...] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        _set(self, "sscc", _required(self.sscc, "the SSCC to unpack"))
        _set(self, "refs", _refs(self.refs, "what to take out", required=False))
        _set(self, "note", _optional(self.note, "note", length=NOTE_LENGTH))


COMMANDS += (Pack, Unpack)
__all__ += ["Pack", "Unpack"]
