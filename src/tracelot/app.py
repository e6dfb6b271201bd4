"""The Python API: `tracelot.connect(url)` returns a `Tracelot` whose methods are the services.

This is the composition root: the engine is built here from a URL, never at import,
and each method is one transaction around one service call (or a savepoint inside the
transaction of an `atomic()` block).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import getpass
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import Connection, Engine, inspect

from tracelot.domain.commands import (
    Adjust,
    Build,
    BuildRun,
    CancelCount,
    CancelSalesOrder,
    CloseRecall,
    ConfirmSalesOrder,
    CountScans,
    CreateSalesOrder,
    ExtendRecall,
    Hold,
    InspectFail,
    InspectPass,
    MarkRecall,
    Move,
    OpenRecall,
    Pack,
    PickScans,
    PostCount,
    Receive,
    ReceiveTransfer,
    Release,
    Replace,
    ReserveSalesOrder,
    Return,
    ReturnToSupplier,
    Scrap,
    Ship,
    StartCount,
    Transfer,
    Unpack,
    Void,
)
from tracelot.domain.contacts import Contact
from tracelot.domain.errors import (
    CannotWrite,
    Conflict,
    NotFound,
    TracelotError,
    Unauthenticated,
)
from tracelot.services import affected as affected_rows
from tracelot.services import (
    analytics,
    catalog,
    expiry,
    idempotency,
    inquiry,
    inspection,
    masterdata,
    movement,
    order_picking,
    pack_reports,
    packing,
    planning,
    production,
    purchasing,
    receiving,
    scan_batch,
    shipping,
    spreadsheets,
    uom,
    users,
)
from tracelot.services import counts as counting
from tracelot.services import holds as holding
from tracelot.services import labels as labeling
from tracelot.services import orders as ordering
from tracelot.services import recalls as recalling
from tracelot.services import scan as scanning
from tracelot.services import settings as settings_service
from tracelot.services import trace as tracing
from tracelot.services import transfers as transferring
from tracelot.services import verify as verifying
from tracelot.services import voids as voiding
from tracelot.services.ledger import Progress
from tracelot.services.planning_defaults import DEFAULTS
from tracelot.services.results import OperationResult
from tracelot.services.trace import Trace
from tracelot.services.verify import VerifyReport
from tracelot.store import schema
from tracelot.store.engine import (
    cache,
    database_url,
    lone_read,
    make_engine,
    serialize,
    transaction,
)

if TYPE_CHECKING:
    from tracelot.services.mail import MailSettings

T = TypeVar("T")
Qty = Decimal | str | int
#: An operation's command (tracelot.domain.commands), as `Tracelot.run` takes it.
Command = (
    Receive
    | Move
    | Build
    | BuildRun
    | Ship
    | ReturnToSupplier
    | Return
    | Scrap
    | Adjust
    | Replace
    | Hold
    | Release
    | OpenRecall
    | ExtendRecall
    | MarkRecall
    | CloseRecall
    | Void
)


def _receive_scanned(
    conn: Connection, *, command: Receive, user: str, at: dt.datetime | None = None
) -> OperationResult:
    """A receipt of what a supplier's barcode names (`receive --scan`)."""
    c = command
    assert c.scan is not None
    return scan_batch.receive_scanned(
        conn, user=user, scan=c.scan, to=c.to, item=c.item, qty=c.qty, lot=c.lot,
        serials=list(c.serials) if c.serials is not None else None, expires=c.expires,
        made=c.made, supplier=c.supplier, supplier_lot=c.supplier_lot, cost=c.cost,
        reference=c.reference, note=c.note, at=at, po=c.po, pack=c.pack,
    )  # fmt: skip


#: The service that does each command but a receipt (`Tracelot.run`).
_HANDLERS: dict[type, Callable[..., Any]] = {
    Move: movement.handle_move,
    Build: production.handle_build,
    BuildRun: production.handle_build_run,
    Ship: shipping.handle_ship,
    Return: shipping.handle_return,
    ReturnToSupplier: shipping.handle_return_to_supplier,
    Scrap: movement.handle_scrap,
    Adjust: movement.handle_adjust,
    Replace: production.handle_replace,
    Hold: holding.handle_hold,
    Release: holding.handle_release,
    OpenRecall: recalling.handle_open_recall,
    ExtendRecall: recalling.handle_extend_recall,
    MarkRecall: recalling.handle_mark_recall,
    CloseRecall: recalling.handle_close_recall,
    Void: voiding.handle_void,
    StartCount: counting.handle_start,
    CountScans: counting.handle_scans,
    PostCount: counting.handle_post,
    CancelCount: counting.handle_cancel,
    InspectPass: inspection.pass_,
    InspectFail: inspection.fail,
    Transfer: transferring.send,
    ReceiveTransfer: transferring.receive,
    Pack: packing.handle_pack,
    Unpack: packing.handle_unpack,
}
# issue 20: sales orders, reservations and picking
_HANDLERS |= {
    CreateSalesOrder: ordering.handle_create,
    ConfirmSalesOrder: ordering.handle_confirm,
    ReserveSalesOrder: ordering.handle_reserve,
    CancelSalesOrder: ordering.handle_cancel,
    PickScans: order_picking.handle_pick,
}


def default_user() -> str:
    """The acting user: $TRACELOT_USER, else the operating system's login name."""
    try:
        return os.environ.get("TRACELOT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Tracelot:
    """A tracelot database, and the operations and questions it answers."""

    def __init__(self, engine: Engine, *, user: str | None = None) -> None:
        self.engine = engine
        self.user = user or default_user()
        self._schema_checked = False
        self._batch: Connection | None = None
        self._user_enabled = False  # found enabled a moment ago: the next write asks no more

    # -- plumbing ---------------------------------------------------------------------

    def _run(self, fn: Callable[..., T], *, write: bool, **kwargs: Any) -> T:
        if self._batch is not None:  # inside `atomic()`: a savepoint undoes a refusal
            with self._batch.begin_nested():
                return fn(self._batch, **kwargs)
        if not self._schema_checked:
            self.check_schema()
        with transaction(self.engine, write=write) as conn:
            if write:
                self._vouch(conn)
            return fn(conn, **kwargs)

    def _vouch(self, conn: Connection) -> None:
        """Tell the first write transaction that the acting user is enabled, when a
        request's token or session has just said so (`acting_as`): its operation does not
        read the user again. Only the first: later ones (a job the request queued, whose
        parts run after it) read the user, who may have been disabled since."""
        if self._user_enabled:
            self._user_enabled = False
            cache(conn).users_checked[self.user] = (False, None)

    @contextmanager
    def atomic(self) -> Iterator[Tracelot]:
        """Run every call in the block as one transaction: all of it is kept, or none.

        An exception leaving the block rolls all of it back; an operation refused inside
        it and caught there changes nothing, and the others stand. Inside a block the
        calls also share what they read of the master data, so many operations run
        faster together (a production run, an import, the demo).
        """
        if self._batch is not None:
            yield self
            return
        if not self._schema_checked:
            self.check_schema()
        with transaction(self.engine, write=True) as conn:
            self._vouch(conn)
            self._batch = conn
            try:
                yield self
            finally:
                self._batch = None

    def acting_as(self, user: str, *, enabled: bool = False) -> Tracelot:
        """The same database, with operations recorded as `user`'s (an API request's).
        `enabled`: the caller has just found the user enabled (the request's token or
        session was read with its user), so its next write transaction does not ask again."""
        other = Tracelot(self.engine, user=user)
        other._schema_checked = self._schema_checked
        other._user_enabled = enabled
        return other

    def authenticate(self, name: str, password: str) -> Any:
        """The user, when the password is theirs and they are enabled; else None."""
        return self._run(users.authenticate, write=False, name=name, password=password)

    def login(self, name: str, password: str, *, address: str = "local") -> dict[str, Any]:
        """A web session for the right password (its token is in the answer, once).
        Refused (Unauthenticated) for a wrong one, which is counted: too many failures
        for a user name from an address are refused for a while (TooManyAttempts)."""
        user = self._run(
            users.check_login, write=False, name=name, password=password, address=address
        )
        session = self._run(users.start_session, write=True, name=name, address=address, user=user)
        if session is None:  # refused after the attempt was written down
            raise Unauthenticated("wrong user name or password, or the user is disabled")
        return session

    def logout(self, token: str) -> None:
        self._run(users.end_session, write=True, token=token)

    def user_of_token(self, token: str) -> Any:
        """The enabled user of a valid API token (its last use noted once a minute)."""
        if self._batch is not None or not self._schema_checked:
            row = self._run(users.user_of_token, write=False, token=token)
        else:  # every request asks: one statement, no transaction around it
            with lone_read(self.engine) as conn:
                row = users.user_of_token(conn, token)
        if row is not None and users.stale_use(row):
            try:
                self._run(users.note_use, write=True, token_id=row.token_id)
            except Conflict:  # a busy moment: the next request notes it
                pass
        return row

    def once(
        self, user_id: int, key: str | None, digest: str, status: int, fn: Callable[[Tracelot], Any]
    ) -> tuple[int, Any]:
        """Run `fn` (an operation, returning its JSON answer) once per idempotency key: a
        request sent again with the key gets the first answer and does nothing."""
        if key is None:  # nothing to remember: the operation's own transaction suffices
            return status, fn(self)
        found = self._run(
            idempotency.answered, write=False, user_id=user_id, key=key, digest=digest
        )
        if found is not None:
            return found
        with self.atomic() as batch:
            body = fn(batch)
            batch._run(idempotency.remember, write=True, user_id=user_id, key=key,
                       digest=digest, status=status, body=body)  # fmt: skip
        return status, body

    def _op(self, fn: Callable[..., T], **kwargs: Any) -> T:
        return self._run(fn, write=True, user=self.user, **kwargs)

    def check_schema(self) -> None:
        """Refuse to work on a database that `tracelot init` has not brought up to date."""
        schema.check(schema.current_revision(self.engine), repr(self.engine.url))
        self._schema_checked = True

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Tracelot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- setup and master data --------------------------------------------------------

    def init(self) -> str:
        """Create or migrate the database and its virtual locations; returns the revision."""
        schema.upgrade(self.engine)
        with transaction(self.engine, write=True) as conn:
            serialize(conn, schema.MIGRATION_LOCK)  # another `init` at once waits, then finds them
            catalog.ensure_virtual_locations(conn)
        self._schema_checked = True
        return schema.current_revision(self.engine) or ""

    def ensure_admin(self, name: str = "admin", password: str | None = None) -> str | None:
        """The first admin user, when there are no users yet: returns its password (the one
        given, or a generated one) to show once; None when users exist already."""
        return self._run(users.ensure_admin, write=True, name=name, password=password)

    def add_user(self, name: str, *, role: str, password: str | None = None) -> dict[str, Any]:
        return self._recorded("user", name, users.add_user, role=role, password=password)

    def users(self) -> list[dict[str, Any]]:
        return self._run(users.list_users, write=False)

    def set_role(self, name: str, role: str) -> dict[str, Any]:
        return self._recorded("user", name, users.set_role, role=role)

    def disable_user(self, name: str) -> dict[str, Any]:
        return self._recorded("user", name, users.disable_user)

    def create_token(
        self, user: str, *, name: str | None = None, expires_days: int | None = None
    ) -> dict[str, Any]:
        """A new API token: the answer holds the token, which is kept nowhere else."""
        return self._run(
            users.create_token, write=True, user=user, name=name, expires_days=expires_days
        )

    def tokens(self) -> list[dict[str, Any]]:
        return self._run(users.list_tokens, write=False)

    def revoke_token(self, token_id: int) -> None:
        self._run(users.revoke_token, write=True, token_id=token_id)

    def is_initialized(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def add_item(
        self,
        code: str,
        *,
        name: str,
        tracking: str,
        gtin: str | None = None,
        uom: str = "EA",
        shelf_life_days: int | None = None,
        cost: Qty | None = None,
        category: str | None = None,
    ) -> dict[str, Any]:
        """An item: serial-, lot- or not tracked, with its GTIN, unit of measure, shelf
        life, standard cost and category."""
        return self._recorded("item", code, catalog.add_item, name=name, tracking=tracking,
                              gtin=gtin, uom=uom, shelf_life_days=shelf_life_days, cost=cost,
                              category=category)  # fmt: skip

    def items(self) -> list[dict[str, Any]]:
        return self._run(catalog.list_items, write=False)

    def item(self, code: str) -> dict[str, Any]:
        return self._run(inspection.show_item, write=False, code=code)

    def add_gtin(self, item: str, gtin: str) -> dict[str, Any]:
        """Let another GTIN (a supplier's) name an item, so that its scans find it."""
        return self._recorded("item", item, catalog.add_gtin, gtin=gtin)

    def add_location(
        self,
        code: str,
        *,
        name: str | None = None,
        parent: str | None = None,
        kind: str = "bin",
        gln: str | None = None,
    ) -> dict[str, Any]:
        """A location in the tree (a warehouse, zone, bin, production line, quarantine)."""
        return self._recorded("location", code, catalog.add_location, name=name, parent=parent,
                              kind=kind, gln=gln)  # fmt: skip

    def locations(self, *, include_virtual: bool = False) -> list[dict[str, Any]]:
        return self._run(catalog.list_locations, write=False, include_virtual=include_virtual)

    def add_party(
        self,
        code: str,
        *,
        name: str,
        kind: str,
        contact_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        """A supplier or customer, with its contact details (a recall's notices use them)."""
        contact = Contact.checked(
            contact_name=contact_name, email=email, phone=phone, address=address
        )
        return self._recorded("party", code, catalog.add_party, name=name, kind=kind,
                              contact=contact)  # fmt: skip

    def set_party(
        self,
        code: str,
        *,
        name: str | None = None,
        contact_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        """Change a party's name or contact details: what is None stays as it is, an
        empty text clears it."""
        given = {"contact_name": contact_name, "email": email, "phone": phone,
                 "address": address}  # fmt: skip
        contact = {k: v for k, v in given.items() if v is not None}
        return self._recorded("party", code, catalog.set_party, name=name, contact=contact)

    def parties(self, kind: str | None = None) -> list[dict[str, Any]]:
        return self._run(catalog.list_parties, write=False, kind=kind)

    # -- operations -------------------------------------------------------------------

    def run(
        self, command: Command, *, at: dt.datetime | None = None, progress: Progress | None = None
    ) -> Any:
        """Do an operation (a command of `tracelot.domain.commands`, checked when it was
        made) in one transaction; `at` backdates it, `progress` follows a big receipt.
        Answers what the operation's method answers."""
        if isinstance(command, Receive):
            if command.scan is not None:
                return self._op(_receive_scanned, command=command, at=at)
            return self._op(receiving.handle_receive, command=command, at=at, progress=progress)
        return self._op(_HANDLERS[type(command)], command=command, at=at)

    def receive(
        self,
        item: str,
        *,
        to: str,
        qty: Qty | None = None,
        lot: str | None = None,
        serials: str | Sequence[str] | None = None,
        expires: dt.date | str | None = None,
        made: dt.date | str | None = None,
        supplier: str | None = None,
        supplier_lot: str | None = None,
        cost: Qty | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        po: int | None = None,
        progress: Progress | None = None,
        ref: str | None = None,
        pack: str | None = None,
    ) -> OperationResult:
        """Receive serials (a list, a range or a mix), a lot quantity, or a plain quantity;
        with `po`, against that purchase order. `reference` is your business reference
        (`ref` is its old name, still taken). With `pack`, `qty` counts that pack."""
        command = Receive(
            item=item, to=to, qty=qty, lot=lot, serials=serials, expires=expires, made=made,
            supplier=supplier, supplier_lot=supplier_lot, cost=cost, po=po,
            reference=reference if reference is not None else ref, note=note, pack=pack,
        )  # fmt: skip
        return self.run(command, at=at, progress=progress)

    def receive_scan(
        self,
        scan: str,
        *,
        to: str,
        item: str | None = None,
        qty: Qty | None = None,
        lot: str | None = None,
        serials: str | Sequence[str] | None = None,
        expires: dt.date | str | None = None,
        made: dt.date | str | None = None,
        supplier: str | None = None,
        supplier_lot: str | None = None,
        cost: Qty | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        po: int | None = None,
        ref: str | None = None,
        pack: str | None = None,
    ) -> OperationResult:
        """Receive what a supplier's GS1 barcode names: item, lot, serial, expiry, count.
        Options of `receive` given beside it must agree with the scan."""
        command = Receive(
            scan=scan, to=to, item=item, qty=qty, lot=lot, serials=serials, expires=expires,
            made=made, supplier=supplier, supplier_lot=supplier_lot, cost=cost, po=po,
            reference=reference if reference is not None else ref, note=note, pack=pack,
        )  # fmt: skip
        return self.run(command, at=at)

    def move(
        self,
        *refs: str,
        to: str,
        from_: str | None = None,
        qty: Qty | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        pack: str | None = None,
    ) -> OperationResult:
        """Move units, or a quantity of lots or untracked items, in one operation (with
        `pack`, `qty` counts that pack)."""
        command = Move(refs=refs, to=to, from_=from_, qty=qty, reference=reference, note=note,
                       pack=pack)  # fmt: skip
        return self.run(command, at=at)

    def build(
        self,
        item: str,
        *,
        to: str,
        consume: Sequence[str],
        serial: str | None = None,
        lot: str | None = None,
        qty: Qty | None = None,
        expires: dt.date | str | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
    ) -> OperationResult:
        """Build an assembly from components (`REF[=QTY]` each)."""
        command = Build(
            item=item, to=to, consume=consume, serial=serial, lot=lot, qty=qty, expires=expires,
            reference=reference, note=note,
        )  # fmt: skip
        return self.run(command, at=at)

    def build_run(
        self,
        item: str,
        *,
        to: str,
        outputs: Sequence[production.Output | dict[str, Any]],
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
    ) -> OperationResult:
        """A production run: many outputs of one item in one operation, each with its own
        components (`Output(consume=[...], serial=...)`, or a dict of the same fields)."""
        command = BuildRun(item=item, to=to, outputs=tuple(outputs), reference=reference, note=note)
        return self.run(command, at=at)

    def ship(
        self,
        *refs: str,
        to: str | None = None,
        qty: Qty | None = None,
        from_: str | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        pack: str | None = None,
        so: int | None = None,
    ) -> OperationResult:
        """Ship units, or a quantity of a lot or item, to a customer (with `pack`, `qty`
        counts that pack); with `so`, against that sales order (without `refs`: what was
        picked for it, else what is reserved)."""
        command = Ship(refs=refs, to=to, qty=qty, from_=from_, reference=reference, note=note,
                       pack=pack, so=so)  # fmt: skip
        return self.run(command, at=at)

    def return_to_supplier(
        self,
        *refs: str,
        to: str,
        qty: Qty | None = None,
        from_: str | None = None,
        reason: str | None = None,
        reference: str | None = None,
        at: dt.datetime | None = None,
    ) -> OperationResult:
        """Send units, or a quantity of a lot or item, back to a supplier."""
        command = ReturnToSupplier(
            refs=refs, to=to, qty=qty, from_=from_, reason=reason, reference=reference
        )
        return self.run(command, at=at)

    def return_(
        self,
        ref: str,
        *,
        from_customer: str,
        to: str,
        qty: Qty | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
    ) -> OperationResult:
        """Take back from a customer what was shipped to them."""
        command = Return(
            ref=ref, from_=from_customer, to=to, qty=qty, reference=reference, note=note
        )
        return self.run(command, at=at)

    def scrap(
        self,
        ref: str,
        *,
        reason: str,
        qty: Qty | None = None,
        from_: str | None = None,
        reference: str | None = None,
        at: dt.datetime | None = None,
    ) -> OperationResult:
        """Scrap a unit or a quantity, with a reason."""
        command = Scrap(ref=ref, reason=reason, qty=qty, from_=from_, reference=reference)
        return self.run(command, at=at)

    def adjust(
        self,
        item: str,
        *,
        at_location: str,
        counted: Qty,
        lot: str | None = None,
        reference: str | None = None,
        note: str | None = None,
        at: dt.datetime | None = None,
        subtree: bool = False,
        pack: str | None = None,
    ) -> OperationResult | None:
        """Correct a balance to a counted quantity; None when the count matches. With
        `subtree`, the count is of the location and everything below it; with `pack`,
        `counted` counts that pack."""
        command = Adjust(item=item, at=at_location, counted=counted, lot=lot,
                         reference=reference, note=note, subtree=subtree, pack=pack)  # fmt: skip
        return self.run(command, at=at)

    def replace(self, assembly: str, *, remove: str, install: str, to: str | None = None,
                scrap: bool = False, reference: str | None = None, note: str | None = None,
                at: dt.datetime | None = None) -> OperationResult:  # fmt: skip
        """Repair a built unit: swap one component unit for another."""
        command = Replace(assembly=assembly, remove=remove, install=install, to=to, scrap=scrap,
                          reference=reference, note=note)  # fmt: skip
        return self.run(command, at=at)

    # -- expiry -----------------------------------------------------------------------

    def expiring(self, *, within_days: int = 30, today: dt.date | None = None) -> dict[str, Any]:
        """What expires within `within_days` (or has expired): where, how much, the value."""
        return self._run(expiry.expiring, write=False, within_days=within_days,
                         today=today or inquiry.today())  # fmt: skip

    def expire(self, *, today: dt.date | None = None) -> dict[str, Any]:
        """Hold every expired lot and unit not held for it yet (safe to run daily)."""
        return self._op(expiry.expire, today=today or inquiry.today())

    def pick(
        self,
        item: str,
        *,
        qty: Decimal | str | int,
        lot: str | None = None,
        from_location: str | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Which lots and bins (or units) to pick `qty` of an item from, first-expiry-first-out."""
        return self._run(expiry.pick, write=False, item=item, qty=qty, lot=lot,
                         from_location=from_location, today=today or inquiry.today())  # fmt: skip

    # -- inventory control ------------------------------------------------------------

    def valuation(self, *, as_of: dt.date | str | None = None, by: str = "item") -> dict[str, Any]:
        """Quantity and value on hand at the end of a day (today), by item, location or lot."""
        day = analytics.report_day(as_of, "--as-of") or inquiry.today()
        return self._run(
            pack_reports.valuation, write=False, as_of=day, by=by
        )  # with packs (issue 20)

    def value_by_day(self, *, days: int = 90) -> dict[str, Any]:
        """The stock's value at the end of each of the last `days` days."""
        end = inquiry.today()
        start = end - dt.timedelta(days=days - 1)
        return self._run(analytics.value_by_day, write=False, start=start, end=end)

    def turnover(self, *, start: dt.date | str | None = None, end: dt.date | str | None = None,
                 by: str = "item") -> dict[str, Any]:  # fmt: skip
        """Inventory turnover and days of inventory over a period (the last 365 days)."""
        first, last = analytics.period(start, end, inquiry.today())
        return self._run(analytics.turnover, write=False, start=first, end=last, by=by)

    def abc(self, *, start: dt.date | str | None = None, end: dt.date | str | None = None,
            a: float = 0.8, b: float = 0.95) -> dict[str, Any]:  # fmt: skip
        """ABC classes of the items by the value they issued over a period."""
        first, last = analytics.period(start, end, inquiry.today())
        return self._run(analytics.abc, write=False, start=first, end=last, a=a, b=b)

    def excess(self, *, days_of_cover: int = 90, idle_days: int = 180,
               lookback_days: int = 90) -> dict[str, Any]:  # fmt: skip
        """Stock beyond some days of demand, and stock that has not moved for long."""
        return self._run(analytics.excess, write=False, today=inquiry.today(),
                         days_of_cover=days_of_cover, idle_days=idle_days,
                         lookback_days=lookback_days)  # fmt: skip

    def level(self, item: str, *, start: dt.date | str | None = None,
              end: dt.date | str | None = None) -> dict[str, Any]:  # fmt: skip
        """An item's closing stock on each day of a period (the last 90 days)."""
        first, last = analytics.period(start, end, inquiry.today(), days=90)
        return self._run(planning.level, write=False, item=item, start=first, end=last,
                         today=inquiry.today())  # fmt: skip

    def reorder(
        self,
        *,
        create_po: bool = False,
        service_level: float = DEFAULTS["service_level"],
        lookback_days: int = DEFAULTS["lookback_days"],
        lead_time_days: int = DEFAULTS["lead_time_days"],
        ordering_cost: Qty = DEFAULTS["ordering_cost"],
        holding_rate: Qty = DEFAULTS["holding_rate"],
        every_item: bool = False,
    ) -> dict[str, Any]:
        """Items at or below their reorder point, with what to order (or make); with
        `every_item`, every item; `create_po` drafts purchase orders of the suggestions to
        buy (one per supplier)."""
        report = self._run(planning.reorder, write=False, today=inquiry.today(),
                           service_level=service_level, lookback_days=lookback_days,
                           lead_time_days=lead_time_days, ordering_cost=ordering_cost,
                           holding_rate=holding_rate, every_item=every_item)  # fmt: skip
        if create_po:  # the report is read first: writers do not wait for its scans
            report["created"] = self._op(planning.draft_orders, rows=report["rows"])
        return report

    def set_item(
        self,
        code: str,
        *,
        name: str | None = None,
        cost: Qty | None = None,
        category: str | None = None,
        supplier: str | None = None,
        lead_time_days: int | None = None,
        ordering_cost: Qty | None = None,
        holding_rate: Qty | None = None,
        min_qty: Qty | None = None,
        max_qty: Qty | None = None,
        pack_size: Qty | None = None,
        uom: str | None = None,
        shelf_life_days: int | None = None,
        tracking: str | None = None,
        gtin: str | None = None,
    ) -> dict[str, Any]:
        """Change an item's name, cost, category and planning attributes, its unit of
        measure, shelf life and own GTIN (empty: none), and its tracking while the ledger
        has nothing of it (what is None stays as it is)."""
        return self._recorded("item", code, masterdata.set_item, name=name, cost=cost,
                              category=category, supplier=supplier,
                              lead_time_days=lead_time_days, ordering_cost=ordering_cost,
                              holding_rate=holding_rate, min_qty=min_qty, max_qty=max_qty,
                              pack_size=pack_size, uom=uom, shelf_life_days=shelf_life_days,
                              tracking=tracking, gtin=gtin)  # fmt: skip

    def po_create(self, supplier: str, *, lines: Sequence[Any], expected: Any = None,
                  note: str | None = None, draft: bool = False,
                  ordered: Any = None) -> dict[str, Any]:  # fmt: skip
        """A purchase order (lines `ITEM:QTY[:PRICE]`), open unless `draft`."""
        return self._op(purchasing.create, supplier=supplier, lines=list(lines),
                        expected=expected, note=note, draft=draft, ordered=ordered)  # fmt: skip

    def purchase_orders(self, *, status: str | None = None) -> list[dict[str, Any]]:
        return self._run(purchasing.list_orders, write=False, status=status)

    def purchase_order(self, po_id: int) -> dict[str, Any]:
        return self._run(purchasing.show, write=False, po_id=po_id)

    def po_open(self, po_id: int) -> dict[str, Any]:
        return self._run(purchasing.open_order, write=True, po_id=po_id)

    def po_close(self, po_id: int) -> dict[str, Any]:
        return self._run(purchasing.close, write=True, po_id=po_id)

    # -- spreadsheets ------------------------------------------------------------------

    def import_file(self, kind: str, name: str, data: bytes, *, dry_run: bool = False,
                    progress: Progress | None = None) -> dict[str, Any]:  # fmt: skip
        """Import a CSV or XLSX file of items, locations, parties or opening stock: every
        row is checked first; any problem and nothing is written (the answer lists them),
        else all of it is written in one transaction."""
        table = spreadsheets.read_table(kind, name, data)
        checked = self._run(spreadsheets.check, write=False, table=table)
        if checked.problems or dry_run:
            return checked.summary(written=False)
        self._op(spreadsheets.write, checked=checked, name=name, progress=progress)
        return checked.summary(written=True)

    def export(self, kind: str, *, fmt: str = "csv", start: dt.date | str | None = None,
               end: dt.date | str | None = None) -> bytes:  # fmt: skip
        """Items, locations, parties, stock (as importable opening stock) or the ledger as
        CSV, XLSX or JSON."""
        first, last = analytics.report_day(start, "--from"), analytics.report_day(end, "--to")

        def render(conn: Connection) -> bytes:
            columns, rows = spreadsheets.export_rows(conn, kind, start=first, end=last)
            return spreadsheets.render(columns, rows, fmt)

        return self._run(render, write=False)

    # -- EPCIS -------------------------------------------------------------------------

    def epcis_export(self, *, start: dt.date | str | None = None, end: dt.date | str | None = None,
                     ref: str | None = None) -> dict[str, Any]:  # fmt: skip
        """The operations of a period (or of one unit, lot or item) as an EPCIS 2.0
        document, with the master data its events name."""
        from tracelot.services import epcis  # loaded by the EPCIS commands only

        first, last = analytics.report_day(start, "--from"), analytics.report_day(end, "--to")
        return self._run(epcis.export, write=False, start=first, end=last, ref=ref)

    def epcis_events(
        self,
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
        """The events a query selects (the standard's query parameters), as an EPCIS
        query document."""
        from tracelot.services import epcis

        return self._run(epcis.query, write=False, event_types=event_types, since=since,
                         until=until, biz_steps=biz_steps, dispositions=dispositions,
                         biz_locations=biz_locations, any_epc=any_epc,
                         any_class=any_class)  # fmt: skip

    def epcis_import(self, data: bytes | str | dict[str, Any], *, dry_run: bool = False,
                     progress: Progress | None = None) -> dict[str, Any]:  # fmt: skip
        """Import an EPCIS document: all of it is checked first (any problem and nothing is
        written: the answer lists them), then written in one transaction."""
        from tracelot.services import epcis

        doc = data if isinstance(data, dict) else epcis.read_document(data)
        checked = self._run(epcis.check, write=False, doc=doc)
        if checked.problems:
            return checked.summary(written=False)
        return self._op(epcis.write, checked=checked, dry_run=dry_run, progress=progress)

    def asns(self, *, status: str | None = None) -> list[dict[str, Any]]:
        from tracelot.services import epcis

        return self._run(epcis.list_asns, write=False, status=status)

    def asn(self, asn: str | int) -> dict[str, Any]:
        from tracelot.services import epcis

        return self._run(epcis.show_asn, write=False, asn=asn)

    def receive_asn(self, asn: str | int, *, to: str, at: dt.datetime | None = None,
                    keep_packed: bool = False) -> list[OperationResult]:  # fmt: skip
        """Receive what an advance shipping notice announced (its number, or a scan of
        its pallet's SSCC): one receipt per item and lot; `keep_packed` keeps the pallet
        whole, a logistic unit with its SSCC holding what came in (issue 20)."""
        from tracelot.services import epcis

        return self._op(epcis.receive_asn, asn=asn, to=to, at=at, keep_packed=keep_packed)

    # -- questions --------------------------------------------------------------------

    def stock(
        self,
        *,
        item: str | None = None,
        location: str | None = None,
        lot: str | None = None,
        serials: bool = False,
    ) -> list[dict[str, Any]]:
        """Stock on hand: one row per item, location and lot, or per unit with `serials`."""
        return self._run(  # with the packs beside each quantity (issue 20)
            pack_reports.stock_rows,
            write=False,
            item=item,
            location=location,
            lot=lot,
            serials=serials,
        )

    def iter_stock(
        self,
        *,
        item: str | None = None,
        location: str | None = None,
        lot: str | None = None,
        serials: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The rows of `stock()`, read from the database as they are consumed (constant
        memory at any size). Bad filters are refused at once, before the first row."""
        return self._stream(inquiry.iter_stock, stream=self._batch is None, item=item,
                            location=location, lot=lot, serials=serials)  # fmt: skip

    def _stream(self, fn: Callable[..., Iterator[T]], **kwargs: Any) -> Iterator[T]:
        """What `fn` yields, read as it is consumed, in a transaction held until the last
        (or until the iterator is dropped); what `fn` refuses is refused at once."""
        if self._batch is not None:
            return fn(self._batch, **kwargs)
        if not self._schema_checked:
            self.check_schema()
        held = ExitStack()
        conn = held.enter_context(transaction(self.engine, write=False))
        try:
            rows = fn(conn, **kwargs)
        except BaseException as exc:  # named as the transaction names it (a busy
            held.__exit__(type(exc), exc, exc.__traceback__)  # database: a conflict)
            raise

        def rows_then_close() -> Iterator[T]:
            with held:
                yield from rows

        return rows_then_close()

    def where(self, ref: str) -> list[dict[str, Any]]:
        """Where a unit, lot or item is now."""
        return self._run(pack_reports.where, write=False, ref=ref)  # with packs (issue 20)

    def label_pdf(
        self,
        refs: Sequence[str],
        *,
        layout: str = "single",
        size: str = "50x25mm",
        paper: str = "a4",
        rows: int = 8,
        cols: int = 3,
    ) -> bytes:
        """Print-ready labels of units, lots and locations as a PDF (see services.labels:
        `layout` single or sheet, `size` such as 50x25mm, `paper` a4 or letter, `rows`,
        `cols`)."""
        found = self._run(labeling.labels_for, write=False, refs=list(refs))
        return labeling.render_pdf(found, layout=layout, size=size, paper=paper, rows=rows,
                                   cols=cols)  # fmt: skip

    def label_zpl(self, refs: Sequence[str], *, size: str = "50x25mm", dpi: int = 203) -> bytes:
        """The labels of units, lots and locations in ZPL II for a thermal printer of
        `dpi` (203 or 300) dots an inch, each of `size`."""
        found = self._run(labeling.labels_for, write=False, refs=list(refs))
        return labeling.render_zpl(found, size=size, dpi=dpi)

    def label_warnings(self, refs: Sequence[str]) -> list[str]:
        """What the labels of `refs` say of themselves: a lot or serial GS1 does not allow
        (made before its item had a GTIN) is labelled with tracelot's own code."""
        found = self._run(labeling.labels_for, write=False, refs=list(refs))
        return [f"{label.ref}: {label.warning}" for label in found if label.warning]

    @staticmethod
    def send_to_printer(address: str, data: bytes) -> str:
        """Send labels (ZPL) to a printer's raw port: HOST, HOST:PORT (9100 by default)."""
        from tracelot.services import printer

        return printer.send(address, data)

    def label_symbol(self, ref: str, *, fmt: str = "png") -> bytes:
        """The symbol of one label alone, as PNG or SVG."""
        (label,) = self._run(labeling.labels_for, write=False, refs=[ref])
        return labeling.symbol_svg(label) if fmt == "svg" else labeling.symbol_png(label)

    def scan_accept(
        self, mode: str, scan: str, batch: Sequence[scan_batch.Entry]
    ) -> scan_batch.Entry:
        """Check one scan of a batch (`mode` identify, receive, move-to, ship-to or
        consume-into): the entry to add to it, or a refusal that says why."""
        return self._run(scan_batch.accept, write=False, mode=mode, text=scan, batch=batch)

    def scan_rebuild(self, mode: str, scans: Sequence[str]) -> scan_batch.Rebuilt:
        """A kept list of scans checked again: what stands, and what no longer does (why)."""
        return self._run(scan_batch.rebuild, write=False, mode=mode, texts=list(scans))

    def scan_commit(
        self,
        mode: str,
        batch: Sequence[scan_batch.Entry],
        *,
        target: str | None = None,
        to: str | None = None,
        reference: str | None = None,
        supplier: str | None = None,
        po: int | None = None,
        so: int | None = None,
    ) -> list[OperationResult]:
        """A batch of scans as operations, all or nothing (`target`, `to`, `reference`; a
        receipt's `supplier` or purchase order `po`, the labels' lots kept as the supplier's;
        a shipment against sales order `so`)."""
        return self._op(scan_batch.commit, mode=mode, batch=batch, target=target, to=to,
                        reference=reference, supplier=supplier, po=po, so=so)  # fmt: skip

    def identify(self, scan: str) -> dict[str, Any]:
        """What a scan (or a code typed by hand) names, where that is, what is wrong."""
        return self._run(scanning.identify, write=False, text=scan)

    def identify_each(self, scans: Sequence[str]) -> list[dict[str, Any]]:
        """`identify` for many scans at once, read in one transaction (a scanner's batch,
        a file of scans): a refused scan gives its error and the others are read."""
        return self._run(scanning.identify_each, write=False, texts=scans)

    def recent_operations(self, *, limit: int = 20) -> list[dict[str, Any]]:
        """The latest operations, newest first."""
        return self._run(inquiry.recent_operations, write=False, limit=limit)

    def history(self, ref: str) -> list[dict[str, Any]]:
        """The timeline of a unit, lot or item."""
        return self._run(inquiry.history, write=False, ref=ref)

    def trace_backward(
        self, ref: str, *, depth: int | None = None, as_of: dt.date | str | None = None
    ) -> Trace:
        """Every component and supplier lot that went into a unit or lot (at `as_of`)."""
        return self._run(
            tracing.trace, write=False, direction="backward", refs=[ref], depth=depth, as_of=as_of
        )

    def trace_forward(
        self,
        *refs: str,
        supplier: str | None = None,
        supplier_lot: str | None = None,
        depth: int | None = None,
        as_of: dt.date | str | None = None,
    ) -> Trace:
        """Everything made from units or lots (or a supplier's lot), and where it is now."""
        return self._run(
            tracing.trace,
            write=False,
            direction="forward",
            refs=list(refs),
            supplier=supplier,
            supplier_lot=supplier_lot,
            depth=depth,
            as_of=as_of,
        )

    def write_affected(
        self,
        out: affected_rows.Writable,
        direction: tracing.Direction,
        *refs: str,
        fmt: Literal["csv", "jsonl"] = "csv",
        supplier: str | None = None,
        supplier_lot: str | None = None,
        depth: int | None = None,
        as_of: dt.date | str | None = None,
    ) -> int:
        """Write a trace's affected list (every unit and lot reached, where it is now) to
        `out` as CSV or JSON Lines, straight from the database, without building its tree;
        return how many rows. A recall of a million units is written as it is read."""
        count = 0
        for text, rows in self._affected_texts(direction, refs, fmt, supplier=supplier,
                                               supplier_lot=supplier_lot, depth=depth,
                                               as_of=as_of):  # fmt: skip
            out.write(text)
            count += rows
        return count

    def iter_affected(
        self,
        direction: tracing.Direction,
        *refs: str,
        fmt: Literal["csv", "jsonl"] = "csv",
        supplier: str | None = None,
        supplier_lot: str | None = None,
        depth: int | None = None,
        as_of: dt.date | str | None = None,
    ) -> Iterator[str]:
        """`write_affected`'s text, a batch of rows at a time as the database gives them
        (an answer that streams a recall of a million units). Bad input is refused at
        once, before the first text."""
        texts = self._affected_texts(
            direction,
            refs,
            fmt,
            supplier=supplier,
            supplier_lot=supplier_lot,
            depth=depth,
            as_of=as_of,
        )
        return (text for text, _ in texts)

    def _affected_texts(
        self, direction: tracing.Direction, refs: Sequence[str], fmt: str, **scope: Any
    ) -> Iterator[tuple[str, int]]:
        return self._stream(affected_rows.texts, direction=direction, fmt=fmt, refs=list(refs),
                            **scope)  # fmt: skip

    def trace_overview(
        self,
        direction: tracing.Direction,
        *refs: str,
        levels: int = 4,
        status: str = "",
        customer: str = "",
        offset: int = 0,
        limit: int = 50,
        list_up_to: int | None = None,
    ) -> dict[str, Any]:
        """What a page shows of a big trace: its tree to `levels` (`trace`; its own list
        only up to `list_up_to` nodes), how many units and lots it reached by status and
        customer, and a page of its rows (`rows`, of `matching`)."""
        return self._run(
            affected_rows.trace_overview, write=False, direction=direction, refs=list(refs),
            levels=levels, status=status, customer=customer, offset=offset, limit=limit,
            list_up_to=list_up_to,
        )  # fmt: skip

    def hold(self, ref: str, *, reason: str, at: dt.datetime | None = None) -> dict[str, Any]:
        """Hold a unit or lot: it can be neither shipped nor consumed until released."""
        return self.run(Hold(ref=ref, reason=reason), at=at)

    def release(
        self, ref: str, *, note: str | None = None, at: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Release the holds on a unit or lot."""
        return self.run(Release(ref=ref, note=note), at=at)

    def holds(self) -> list[dict[str, Any]]:
        """Every open hold."""
        return self._run(holding.list_holds, write=False)

    def recall_open(self, *, reason: str, refs: Sequence[str] = (), supplier: str | None = None,
                    supplier_lot: str | None = None, item: str | None = None,
                    serials: str | None = None,
                    made_between: tuple[dt.date | str, dt.date | str] | None = None,
                    quarantine: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Open a recall: trace its scope forward, freeze the affected list, hold stock."""
        command = OpenRecall(reason=reason, refs=tuple(refs), supplier=supplier,
                             supplier_lot=supplier_lot, item=item, serials=serials,
                             made_between=made_between, quarantine=quarantine)  # fmt: skip
        return self.run(command)

    def recall_extend(self, recall_id: int, *refs: str) -> dict[str, Any]:
        """Add references to an open recall's scope."""
        return self.run(ExtendRecall(recall_id=recall_id, refs=refs))

    def recall_preview(self, *, refs: Sequence[str] = (), supplier: str | None = None,
                       supplier_lot: str | None = None, item: str | None = None,
                       serials: str | None = None,
                       made_between: tuple[str, str] | None = None,
                       quarantine: str | None = None) -> dict[str, Any]:  # fmt: skip
        """What `recall_open` of this scope would list and whom it would notify (nothing
        is written)."""
        return self._run(recalling.preview, write=False, refs=list(refs), supplier=supplier,
                         supplier_lot=supplier_lot, item=item, serials=serials,
                         made_between=made_between, quarantine=quarantine)  # fmt: skip

    def recall_mark(
        self,
        recall_id: int,
        *refs: str,
        disposition: str,
        at: str | None = None,
        customer: str | None = None,
        to: str | None = None,
        operation: int | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record what became of affected units and lots (`scrapped` scraps them,
        `returned-to-supplier` sends them back, `reworked` names the repair `operation`,
        `cleared` releases their holds)."""
        command = MarkRecall(
            recall_id=recall_id, refs=refs, disposition=disposition, at=at, customer=customer,
            to=to, operation=operation, note=note,
        )  # fmt: skip
        return self.run(command)

    def recall_close(self, recall_id: int, *, force: bool = False,
                     reason: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Close a recall (by force, with a reason, while items are open)."""
        return self.run(CloseRecall(recall_id=recall_id, force=force, reason=reason))

    def recall_notices(
        self,
        recall_id: int,
        *,
        out_dir: Path | None = None,
        send: bool = False,
        mail: MailSettings | None = None,
    ) -> dict[str, Any]:
        """Write the recall's letter to each customer it reached (a PDF each, into
        `out_dir`), and with `send` email each customer not sent to yet through the mail
        server (`mail`, else the installation's settings). Each send is recorded as it
        happens: a failure is kept with its reason and retried by the next run."""
        from tracelot.services import notices
        from tracelot.services.mail import MailSettings

        server = (mail or MailSettings.from_environment()) if send else None
        found = self._run(notices.letters, write=False, recall_id=recall_id)
        written, sent, failed, already = [], [], [], []
        for letter in found:
            pdf = notices.render_pdf(letter, sender=server.sender if server else None)
            if out_dir is not None:
                written.append(str(_write_file(out_dir / letter.filename, pdf)))
            if server is None:
                continue
            if letter.state.get("sent_at"):
                already.append(letter.customer)
                continue
            where = {"recall_id": recall_id, "customer": letter.customer}
            if not letter.contact.email:
                self._run(notices.claim, write=True, **where)
                error = f"no email address for {letter.customer}: `tracelot party set "
                error += f"{letter.customer} --email ...`, then run this again"
                self._run(notices.record_failed, write=True, error=error, **where)
                failed.append({"customer": letter.customer, "error": error})
                continue
            if not self._run(notices.claim, write=True, **where):
                already.append(letter.customer)  # another run is sending it
                continue
            (outcome,) = server.send([notices.message(letter, pdf, sender=server.sender)])
            if outcome is None:
                self._run(notices.record_sent, write=True, to=letter.contact.email,
                          user=self.user, **where)  # fmt: skip
                sent.append(letter.customer)
            else:
                self._run(notices.record_failed, write=True, error=str(outcome), **where)
                failed.append({"customer": letter.customer, "error": str(outcome)})
        if out_dir is not None and found:
            self._run(notices.record_written, write=True, recall_id=recall_id,
                      customers=[ltr.customer for ltr in found], user=self.user)  # fmt: skip
        return {
            "recall": recall_id,
            "written": written,
            "sent": sent,
            "failed": failed,
            "already_sent": already,
            "notices": self._run(notices.notice_rows, write=False, recall_id=recall_id),
        }

    def recall_letter(self, recall_id: int, customer: str) -> bytes:
        """The recall's letter to one customer, as a PDF."""
        from tracelot.services import notices

        for letter in self._run(notices.letters, write=False, recall_id=recall_id):
            if letter.customer == customer:
                return notices.render_pdf(letter)
        raise NotFound(f"recall {recall_id} reached no customer {customer!r}")

    def recalls(self) -> list[dict[str, Any]]:
        return self._run(recalling.list_recalls, write=False)

    def recall(self, recall_id: int) -> dict[str, Any]:
        """A recall's scope, counts, affected items, notification list and notices."""
        from tracelot.services import notices

        return self._run(notices.show_recall_and_notices, write=False, recall_id=recall_id)

    def verify(self) -> VerifyReport:
        """Replay the ledger and compare it with the projections."""
        return self._run(verifying.verify, write=False)

    # -- jobs: big work over HTTP, done in the background --------------------------------

    def job_create(self, kind: str, *, total: int = 0) -> dict[str, Any]:
        """A new job (queued) of `kind` (receive, import, verify), asked for by this user."""
        from tracelot.services import jobs

        return self._op(jobs.create, kind=kind, total=total)

    def job(self, job_id: int, *, anyone: bool = False) -> dict[str, Any]:
        """A job's state: status, progress, answer or error (this user's, unless `anyone`)."""
        from tracelot.services import jobs

        return self._run(jobs.show, write=False, job_id=job_id,
                         user=None if anyone else self.user)  # fmt: skip

    def job_run(self, job_id: int, work: Callable[[Progress], Any]) -> None:
        """Do `work` as job `job_id`: started, its progress kept (between its
        transactions: a receipt's chunks), its answer or its refusal kept."""
        from tracelot.services import jobs

        self._run(jobs.start, write=True, job_id=job_id)

        def progress(done: int, total: int) -> None:
            self._run(jobs.progress, write=True, job_id=job_id, done=done, total=total)

        try:
            result = work(progress)
        except TracelotError as exc:
            self._run(jobs.finish, write=True, job_id=job_id, error=exc.message)
            return
        except Exception as exc:
            self._run(jobs.finish, write=True, job_id=job_id,
                      error=f"the job failed: {type(exc).__name__}")  # fmt: skip
            raise
        self._run(jobs.finish, write=True, job_id=job_id, result=result)

    def receive_in_parts(
        self, command: Receive, *, part: int = 50_000, progress: Progress | None = None
    ) -> list[OperationResult]:
        """A receipt of many serials as receipts of `part` serials each, each its own
        transaction, so that other writers get their turn between them (a job's). What
        would be refused half way (a serial the item has already) is refused first."""
        serials = command.serials or ()
        if len(serials) <= part or command.scan is not None:
            return [self.run(command)]
        self._run(receiving.refuse_taken_serials, write=False, item=command.item,
                  serials=serials)  # fmt: skip
        done = []
        for start in range(0, len(serials), part):
            chunk = serials[start : start + part]
            done.append(self.run(dataclasses.replace(command, serials=chunk)))
            if progress is not None:
                progress(min(start + part, len(serials)), len(serials))
        return done

    # -- backups, restores and copies -------------------------------------------------

    def backup(self, path: Path | str, *, force: bool = False) -> dict[str, Any]:
        """A consistent copy of the database in `path` (writers may run meanwhile), and
        what it holds (schema, last operation, counts) in `path`.json beside it."""
        from tracelot.services import backup as backing

        return backing.backup(self.engine, Path(path), force=force)

    def restore(self, path: Path | str) -> dict[str, Any]:
        """Restore a backup into this database, which must be empty; an older backup is
        migrated; the answer holds `verify`'s report."""
        from tracelot.services import backup as backing

        return backing.restore(self.engine, Path(path))

    def copy_to(self, url: str) -> dict[str, Any]:
        """Copy every row of this database into the empty database at `url` (SQLite or
        PostgreSQL, either way), with `verify` on both."""
        from tracelot.services import backup as backing

        target = make_engine(url)
        try:
            return backing.copy_database(self.engine, target)
        finally:
            target.dispose()

    # -- corrections ------------------------------------------------------------------

    def void(
        self, operation: int, *, reason: str, at: dt.datetime | None = None
    ) -> OperationResult:
        """Void an operation: a new operation of kind `void` undoes each of its lines
        exactly; refused (naming them) when later operations depend on it."""
        return self.run(Void(operation=operation, reason=reason), at=at)

    def operation(self, operation: int) -> OperationResult:
        """An operation and its lines, with the void that voided it (`voided_by`) or the
        operation it voids (`voids`)."""
        return self._run(voiding.operation, write=False, op_id=operation)

    # -- master data that can change, with its history (issue 19) ---------------------

    def _recorded(
        self, entity: str, code: str, change: Callable[..., dict[str, Any]], **kwargs: Any
    ) -> dict[str, Any]:
        """A change to master data in one transaction, with its rows in the change log."""
        return self._run(masterdata.recorded, write=True, entity=entity, code=code,
                         user=self.user, change=change, **kwargs)  # fmt: skip

    def set_location(
        self,
        code: str,
        *,
        name: str | None = None,
        parent: str | None = None,
        kind: str | None = None,
        gln: str | None = None,
        pick_sequence: int | None = None,
    ) -> dict[str, Any]:
        """Change a location's name, parent (empty: top level), kind, GLN (empty: none) or
        place in the walking order; its code never changes."""
        return self._recorded("location", code, masterdata.set_location, name=name,
                              parent=parent, kind=kind, gln=gln,
                              pick_sequence=pick_sequence)  # fmt: skip

    def set_user(self, name: str, *, role: str | None = None) -> dict[str, Any]:
        """Change a user's role."""
        return self._recorded("user", name, masterdata.set_user, role=role)

    def deactivate(self, entity: str, code: str, *, reason: str) -> dict[str, Any]:
        """Deactivate an item, location, party or user (`entity`): refused for new
        operations from now on, with the reason; kept for history, reports and traces."""
        deactivate = functools.partial(masterdata.deactivate, entity=entity)
        return self._recorded(entity, code, deactivate, reason=reason)

    def reactivate(self, entity: str, code: str) -> dict[str, Any]:
        """Make an inactive item, location, party or user usable again."""
        return self._recorded(entity, code, functools.partial(masterdata.reactivate, entity=entity))

    def changes(
        self,
        *,
        item: str | None = None,
        location: str | None = None,
        party: str | None = None,
        user: str | None = None,
        since: dt.date | str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The change log of master data (`entity`, `code`, `field`, `before`, `after`,
        `user`, `at`, `reason`), oldest first: of one item, location, party or user."""
        return self._run(masterdata.list_changes, write=False, item=item, location=location,
                         party=party, user=user, since=since, limit=limit)  # fmt: skip

    # -- stock counts (issue 19) ------------------------------------------------------

    def count_start(
        self, at: str, *, items: Sequence[str] = (), blind: bool = False, note: str | None = None
    ) -> dict[str, Any]:
        """Open a count of a location and everything below it (of `items` only, or all),
        with what the ledger expects there now; `blind` hides that from counters."""
        return self.run(StartCount(at=at, items=tuple(items), blind=blind, note=note))

    def count_scan(
        self, count_id: int, scans: Sequence[str], *, at: str | None = None
    ) -> dict[str, Any]:
        """Record scans into an open count (all or none), found at `at` (a location of the
        count) or at the location last scanned in the list."""
        return self.run(CountScans(count_id=count_id, scans=tuple(scans), at=at))

    def count_post(self, count_id: int, *, note: str | None = None) -> dict[str, Any]:
        """Book a count's variances in one operation; a count is posted once."""
        return self.run(PostCount(count_id=count_id, note=note))

    def count_cancel(self, count_id: int, *, reason: str) -> dict[str, Any]:
        """Cancel an open count: nothing is booked; its scans stay on record."""
        return self.run(CancelCount(count_id=count_id, reason=reason))

    def count_show(self, count_id: int, *, reveal: bool | None = None) -> dict[str, Any]:
        """A count and its variances. A blind count's expected figures are shown when
        `reveal`; by default, when the acting user is a quality or admin user."""
        if reveal is None:
            role = self._run(counting.role_of, write=False, user=self.user)
            reveal = role in counting.POSTERS
        return self._run(counting.show_count, write=False, count_id=count_id, reveal=reveal)

    def counts(self) -> list[dict[str, Any]]:
        """Every count, newest first."""
        return self._run(counting.list_counts, write=False)

    def count_report(self, count_id: int, *, fmt: str = "csv") -> bytes:
        """The auditor's report of a count (its expected figures always): CSV or PDF."""
        return self._run(counting.report, write=False, count_id=count_id, fmt=fmt)

    # -- issue 19: incoming inspection and transfers ------------------------------------

    def item_set_inspection(
        self, code: str, *, inspect: bool, supplier: str | None = None
    ) -> dict[str, Any]:
        """Say whether what is received of an item (from every supplier, or from one)
        waits, held, in quarantine for inspection."""
        return self._run(inspection.set_rule, write=True, item=code, inspect=inspect,
                         supplier=supplier)  # fmt: skip

    def inspect_pass(
        self, *refs: str, note: str | None = None, to: str | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Pass the inspection of units or lots: released, and put away at `to` if given."""
        return self.run(InspectPass(refs=refs, note=note, to=to), at=at)

    def inspect_fail(
        self, *refs: str, reason: str, return_to_supplier: bool = False, scrap: bool = False,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Fail the inspection of units or lots: kept held, and returned to their supplier
        or scrapped."""
        command = InspectFail(refs=refs, reason=reason, return_to_supplier=return_to_supplier,
                              scrap=scrap)  # fmt: skip
        return self.run(command, at=at)

    def inspections(self, *, all_: bool = False) -> list[dict[str, Any]]:
        """What waits for inspection, oldest first, with its age (`all_`: results too)."""
        return self._run(inspection.list_inspections, write=False, all_=all_)

    def transfer(
        self, *refs: str, from_: str, to: str, qty: Qty | None = None,
        carrier: str | None = None, reference: str | None = None, note: str | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send stock from one site to another: it is in transit until received."""
        command = Transfer(refs=refs, from_=from_, to=to, qty=qty, carrier=carrier,
                           reference=reference, note=note)  # fmt: skip
        return self.run(command, at=at)

    def transfer_receive(
        self, transfer_id: int, *refs: str, to: str | None = None, qty: Qty | None = None,
        complete: bool = False, note: str | None = None, at: dt.datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Receive a transfer at its destination: all of it, or what `refs` name; with
        `complete`, what did not arrive is booked as a difference."""
        command = ReceiveTransfer(transfer_id=transfer_id, refs=refs, to=to, qty=qty,
                                  complete=complete, note=note)  # fmt: skip
        return self.run(command, at=at)

    def transfers(self, *, all_: bool = False) -> list[dict[str, Any]]:
        """Open transfers (`all_`: every one), oldest first, with their age."""
        return self._run(transferring.list_transfers, write=False, all_=all_)

    def transfer_show(self, transfer_id: int) -> dict[str, Any]:
        """A transfer, its lines (sent, received, missing, in transit) and its receipts."""
        return self._run(transferring.show, write=False, transfer_id=transfer_id)

    # -- issue 20: units of measure and pack sizes --------------------------------------

    def pack_add(
        self, item: str, *, name: str, qty: Qty, of: str | None = None, gtin: str | None = None
    ) -> dict[str, Any]:
        """Add a packaging level to an item: `qty` base units (or `qty` of its pack `of`),
        maybe with a GTIN of its own, which a scan reads as that many base units."""
        return self._op(uom.add_pack, item=item, name=name, qty=qty, of=of, gtin=gtin)

    def packs(self, item: str) -> list[dict[str, Any]]:
        """An item's packaging levels, largest first."""
        return self._run(uom.list_packs, write=False, item=item)

    def pack_remove(self, item: str, name: str) -> dict[str, Any]:
        """Remove a packaging level (refused while an order line is in it)."""
        return self._op(uom.remove_pack, item=item, name=name)

    def to_base(self, item: str, qty: Qty, pack: str | None = None) -> Decimal:
        """A quantity of an item in its base unit (`qty` packs named `pack`), exactly."""
        return self._run(uom.to_base, write=False, item=item, qty=qty, pack=pack)

    # -- issue 20: sales orders, reservations and picking -----------------------------

    def so_create(
        self, customer: str, *, lines: Sequence[str], ship_by: dt.date | str | None = None,
        reference: str | None = None, note: str | None = None, confirm: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """A sales order (lines `ITEM:QTY[:PRICE]`, `ITEM@LOT:QTY[:PRICE]`): a draft, or
        confirmed and its stock reserved with `confirm`."""
        command = CreateSalesOrder(customer=customer, lines=tuple(lines), ship_by=ship_by,
                                   reference=reference, note=note, confirm=confirm)  # fmt: skip
        return self.run(command)

    def so_confirm(self, so_id: int, *refs: str) -> dict[str, Any]:
        """Confirm a draft order: its stock is reserved, the units and lots `refs` name
        first (`ITEM@LOT=QTY`), the rest first-expiry-first-out."""
        return self.run(ConfirmSalesOrder(so_id=so_id, refs=refs))

    def so_reserve(self, so_id: int, *refs: str) -> dict[str, Any]:
        """Reserve named units and lots (`ITEM@LOT=QTY`) for an open order, or without
        `refs` what its lines still need."""
        return self.run(ReserveSalesOrder(so_id=so_id, refs=refs))

    def so_cancel(self, so_id: int, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel an order (what is left of it): its reservations are released."""
        return self.run(CancelSalesOrder(so_id=so_id, reason=reason))

    def sales_orders(
        self, *, status: str | None = None, customer: str | None = None
    ) -> list[dict[str, Any]]:
        """Every sales order (of a status, of a customer), in number order."""
        return self._run(ordering.list_orders, write=False, status=status, customer=customer)

    def sales_order(self, so_id: int) -> dict[str, Any]:
        """An order: its lines (ordered, reserved, picked, shipped, backorder), what is
        reserved for it, and its shipments."""
        return self._run(ordering.show, write=False, so_id=so_id)

    def so_pick_list(self, so_id: int, *, today: dt.date | None = None) -> dict[str, Any]:
        """An order's pick list in walking order, and its lines short (with why)."""
        return self._run(order_picking.pick_list, write=False, so_id=so_id,
                         today=today or inquiry.today())  # fmt: skip

    def so_pick_pdf(self, so_id: int) -> bytes:
        """An order's pick list as a printable PDF."""
        return order_picking.render_pdf(self.so_pick_list(so_id))

    def so_pick(self, so_id: int, scans: Sequence[str], *, at: str | None = None) -> dict[str, Any]:
        """Confirm picks for an order by scanning (all or none), from `at` if given."""
        return self.run(PickScans(so_id=so_id, scans=tuple(scans), at=at))

    def so_pick_progress(self, so_id: int) -> dict[str, Any]:
        """How far an order's picking is: each line, and those short."""
        return self._run(order_picking.progress, write=False, so_id=so_id)

    # -- issue 20, packing: settings and logistic units (cases and pallets with SSCCs) ----

    def settings(self) -> list[dict[str, Any]]:
        """The database-wide settings, set or not."""
        return self._run(settings_service.show, write=False)

    def set_setting(self, key: str, value: str) -> dict[str, Any]:
        """Set a database-wide setting (`gs1_company_prefix`, ...), checked for its key."""
        return self._run(settings_service.set_, write=True, key=key, value=value, user=self.user)

    def pack(
        self, *refs: str, into: str | None = None, new: str | None = None,
        at_location: str | None = None, reference: str | None = None, note: str | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Pack units, lot quantities (`ITEM@LOT=QTY`) and cases into a case or pallet:
        `into` one (its SSCC) or a `new` one (`case`, `pallet`) made at `at_location`."""
        command = Pack(refs=refs, into=into, new=new, at=at_location, reference=reference,
                       note=note)  # fmt: skip
        return self.run(command, at=at)

    def unpack(self, sscc: str, *refs: str, note: str | None = None,
               at: dt.datetime | None = None) -> dict[str, Any]:  # fmt: skip
        """Take out of a case what `refs` name, or all it holds."""
        return self.run(Unpack(sscc=sscc, refs=refs, note=note), at=at)

    def logistic_units(self, *, all_: bool = False) -> list[dict[str, Any]]:
        """The cases and pallets on hand (`all_`: shipped ones too), by number."""
        return self._run(packing.list_lus, write=False, all_=all_)

    def logistic_unit(self, lu: str | int) -> dict[str, Any]:
        """A case or pallet (by number, SSCC or scan) and what it holds, nested."""
        return self._run(packing.show, write=False, lu=lu)

    def shipment_cases(self, operation: int) -> list[dict[str, Any]]:
        """The cases and pallets a shipment took, each with what it holds."""
        return self._run(packing.shipment_cases, write=False, op_id=operation)

    def sscc_label_pdf(self, lu: str | int, *, size: str = "100x150mm") -> bytes:
        """The SSCC label of a case or pallet: GS1-128 of (00), with (02)+(37) for a case
        of one item, and its human-readable text."""
        from tracelot.services import pack_documents

        found = self._run(pack_documents.sscc_label, write=False, lu=lu)
        return labeling.render_pdf([found], size=size)

    def packing_slip(self, operation: int) -> bytes:
        """A shipment's packing slip (PDF): its SSCCs, items, lots and serials."""
        from tracelot.services import pack_documents

        slip = self._run(pack_documents.packing_slip, write=False, op_id=operation)
        return pack_documents.render_slip(slip)

    # -- scan anywhere (issue 21) ----------------------------------------------------------

    def find(self, text: str) -> dict[str, Any]:
        """What any scan or code names (a unit, lot, item, location, party, supplier lot,
        purchase order, recall, operation): `choices`, and the resolver's answer `scan`."""
        from tracelot.services import find as finding

        return self._run(finding.find, write=False, text=text)

    def bill_of_materials(self, item: str) -> dict[str, Any]:
        """What goes into a build of `item`: the components of its latest build, each with
        its quantity per unit built."""
        from tracelot.services import find as finding

        return self._run(finding.bill_of_materials, write=False, item=item)


def _write_file(path: Path, data: bytes) -> Path:
    """Write a file (its directory made if missing), or refuse: `cannot write PATH: why`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise CannotWrite(exc.filename or path, exc) from None
    return path


def connect(url: str | None = None, *, user: str | None = None, **engine_kwargs: Any) -> Tracelot:
    """Open a tracelot database (SQLite file or PostgreSQL URL); see `database_url`."""
    return Tracelot(make_engine(database_url(url), **engine_kwargs), user=user)
