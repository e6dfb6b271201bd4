"""The tables of tracelot (SQLAlchemy Core).

Master data: items, locations, parties, lots, units. The ledger: operations and
their moves (append-only). Projections, rebuildable from the ledger: `stock`
(balance per item, location and lot) and the current location of each unit.
Genealogy: links from build outputs to their inputs.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

from tracelot.store.types import Exact, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("tracking", String(10), nullable=False),
    Column("gtin", String(14), unique=True),
    Column("uom", String(16), nullable=False, server_default="EA"),
    Column("shelf_life_days", Integer),
    Column("standard_cost", Exact),
    Column("created_at", UtcDateTime, nullable=False),
    # planning: grouping for reports, the preferred supplier and lead time, the costs of
    # ordering (per order) and holding (a yearly rate of the unit cost), order limits
    Column("category", String(64)),
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("lead_time_days", Integer),
    Column("ordering_cost", Exact),
    Column("holding_rate", Exact),
    Column("min_qty", Exact),
    Column("max_qty", Exact),
    Column("pack_size", Exact),
    # master data that can change (migration 0017): an inactive one is refused for new
    # operations, with its reason, and kept for history, reports and traces
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("inactive_reason", Text),
    CheckConstraint("tracking IN ('none', 'lot', 'serial')", name="tracking"),
)

# the lead time of an item from one supplier, configured
item_suppliers = Table(
    "item_suppliers",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("supplier_id", Integer, ForeignKey("parties.id"), primary_key=True),
    Column("lead_time_days", Integer),
)

# every GTIN that names an item: its own (items.gtin) and its suppliers'
item_gtins = Table(
    "item_gtins",
    metadata,
    Column("gtin", String(14), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", Integer, ForeignKey("locations.id")),
    Column("path", String(1000), nullable=False, unique=True),
    Column("virtual", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("gln", String(13), unique=True),  # a GS1 location number, to scan (AI 414)
    # master data that can change (migration 0017): an inactive one is refused for new
    # operations, with its reason, and kept for history, reports and traces
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("inactive_reason", Text),
    Column("pick_sequence", Integer),  # its place in the walking order of a pick
)

#: One row: a random token that every change of the locations renews (triggers of
#: migration 0009, which also refuse changes of a location's code, parent and kind). A
#: process keeps the locations it read under the token; another token drops them.
database_identity = Table(
    "database_identity",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(32), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)

parties = Table(
    "parties",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # whom to write to (a recall's notices): all optional
    Column("contact_name", String(200)),
    Column("email", String(320)),
    Column("phone", String(64)),
    Column("address", Text),
    # master data that can change (migration 0017): an inactive one is refused for new
    # operations, with its reason, and kept for history, reports and traces
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("inactive_reason", Text),
    CheckConstraint("kind IN ('supplier', 'customer')", name="kind"),
)

operations = Table(
    "operations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False, index=True),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("reference", String(200)),
    Column("note", Text),
    Column("party_id", Integer, ForeignKey("parties.id"), index=True),
)

lots = Table(
    "lots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("expires", Date),
    Column("made", Date),
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("supplier_lot", String(64)),
    Column("unit_cost", Exact),
    Column("created_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    UniqueConstraint("item_id", "code"),
    Index(None, "supplier_id", "supplier_lot"),
)

units = Table(
    "units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    # projection: where the unit is now, and the customer it went to when shipped
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("party_id", Integer, ForeignKey("parties.id")),
    # what the unit came with
    Column("expires", Date),
    Column("made", Date),
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("supplier_lot", String(64)),
    Column("unit_cost", Exact),
    Column("created_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    UniqueConstraint("item_id", "serial"),
    Index(None, "supplier_id", "supplier_lot"),  # trace and recall of a supplier's lot
)

moves = Table(
    "moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("from_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", Exact, nullable=False),
    # what the line moved cost (see services/costing.py)
    Column("value", Exact),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("from_location_id <> to_location_id", name="from_to_differ"),
    # a lot's moves, and what of it went where (back to its supplier: migration 0024)
    Index(None, "lot_id", "to_location_id"),
)

# first-in-first-out cost of lots and untracked items at each location: what came in,
# at what unit cost, and how much of it is still there (a projection of the ledger's
# valued lines). A transfer takes layers at its source and adds them at its destination
# with their cost and their place in the queue (`seq`: the id of the layer they came in as)
cost_layers = Table(
    "cost_layers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("seq", Integer),
    Column("operation_id", Integer, ForeignKey("operations.id")),
    Column("qty_in", Exact, nullable=False),
    Column("qty_left", Exact, nullable=False),
    Column("unit_cost", Exact, nullable=False),
    Index(None, "item_id", "lot_id", "id"),  # the newest cost of an item or lot
    # partial (WHERE qty_left > 0) as migration 0007 makes it; not said here, because
    # dialect arguments load their dialects' modules at import: PostgreSQL's took 0.05 to
    # 0.2 s of every command on SQLite (docs/performance.md, "Start-up")
    Index("ix_cost_layers_open", "item_id", "lot_id", "location_id"),
)

stock = Table(
    "stock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("qty", Exact, nullable=False),
    Index(None, "location_id"),
    Index(None, "lot_id"),
)
# one balance per item, location and lot; a NULL lot counts as one value here
Index(
    "uq_stock_item_location_lot",
    stock.c.item_id,
    stock.c.location_id,
    func.coalesce(stock.c.lot_id, 0),
    unique=True,
)

genealogy = Table(
    "genealogy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    # the output of the build: a unit, or a lot (of an output quantity)
    Column("parent_item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("parent_unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("parent_lot_id", Integer, ForeignKey("lots.id"), index=True),
    # an input: a unit, a quantity of a lot, or a quantity of an untracked item
    Column("child_item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("child_unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("child_lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("qty", Exact, nullable=False),
    # a repair that took this input out of its assembly (set once, by `replace`)
    Column("removed_op_id", Integer, ForeignKey("operations.id")),
)

# every node a forward trace from a unit or lot reaches, however deep, through the links
# past and present (a closure of the genealogy: `store.reach`); kinds 'unit', 'lot', 'item'
genealogy_reach = Table(
    "genealogy_reach",
    metadata,
    Column("from_kind", String(4), primary_key=True),
    Column("from_id", Integer, primary_key=True),
    Column("to_kind", String(4), primary_key=True),
    Column("to_id", Integer, primary_key=True),
    Index("ix_genealogy_reach_to", "to_kind", "to_id"),
    sqlite_with_rowid=False,
)

recalls = Table(
    "recalls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("status", String(10), nullable=False),
    # what was asked for (JSON) and the roots it resolved to, as "unit:ID" / "lot:ID"
    Column("scope", Text, nullable=False),
    Column("roots", Text, nullable=False),
    Column("opened_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    Column("closed_op_id", Integer, ForeignKey("operations.id")),
    Column("close_reason", Text),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)

# a recall's notice to each customer: when its letter was written, when it was sent (a
# customer sent to is never sent to again), and the last failure
recall_notices = Table(
    "recall_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recall_id", Integer, ForeignKey("recalls.id"), nullable=False),
    Column("customer_id", Integer, ForeignKey("parties.id"), nullable=False),
    Column("written_at", UtcDateTime),
    Column("written_by", String(100)),
    Column("sent_at", UtcDateTime),
    Column("sent_by", String(100)),
    Column("sent_to", String(320)),
    Column("claimed_at", UtcDateTime),  # a sender is at it (two at once send once)
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("failed_at", UtcDateTime),
    Column("error", Text),
    UniqueConstraint("recall_id", "customer_id"),
)

holds = Table(
    "holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("reason", Text, nullable=False),
    Column("recall_id", Integer, ForeignKey("recalls.id"), index=True),
    Column("placed_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    Column("released_op_id", Integer, ForeignKey("operations.id")),
)

recall_items = Table(
    "recall_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recall_id", Integer, ForeignKey("recalls.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    # frozen as of opening: how much, where, in what status, with which customer
    Column("qty", Exact, nullable=False),
    Column("status", String(32), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("customer_id", Integer, ForeignKey("parties.id")),
    Column("shipment_ref", String(200)),
    Column("shipment_date", UtcDateTime),
    Column("needs_action", Boolean, nullable=False),
    Column("disposition", String(32)),
    Column("disposition_op_id", Integer, ForeignKey("operations.id")),
    # `reworked`: the repair (or build) that reworked it
    Column("rework_op_id", Integer, ForeignKey("operations.id")),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200)),  # argon2; none: the user works with tokens only
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("inactive_reason", Text),  # why it was disabled (migration 0017)
    CheckConstraint("role IN ('viewer', 'operator', 'quality', 'planner', 'admin')", name="role"),
)

# API tokens: random, shown once, kept as their SHA-256 digest
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),  # the first characters, to tell tokens apart
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("kind", String(16), nullable=False, server_default="api"),  # api, or a web session
)

# every login attempt, to limit them per user name and address
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempts_user_name_address_at", "user_name", "address", "at"),
)

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("supplier_id", Integer, ForeignKey("parties.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("expected", Date),
    Column("note", Text),
    Column("user_name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ordered_at", UtcDateTime),  # when it was sent (opened); a draft has none
    Column("closed_at", UtcDateTime),
    CheckConstraint("status IN ('draft', 'open', 'closed')", name="status"),
)

po_lines = Table(
    "po_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_id", Integer, ForeignKey("purchase_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("qty", Exact, nullable=False),
    Column("price", Exact),
    Column("received", Exact, nullable=False, server_default="0"),
    # ordered in a pack (migration 0020): its name, its size then, and the price of one
    # (`qty` and `price` stay in the item's base unit)
    Column("pack", String(32)),
    Column("pack_qty", Exact),
    Column("pack_price", Exact),
    UniqueConstraint("po_id", "line_no"),
    CheckConstraint("qty > 0", name="qty_positive"),
)

# each receipt against a purchase order line: how much, by which operation
po_receipts = Table(
    "po_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_line_id", Integer, ForeignKey("po_lines.id"), nullable=False, index=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False),
    Column("qty", Exact, nullable=False),
)

# the answer given to an operation sent with an Idempotency-Key, to give it again
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_digest", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# each EPCIS event imported, by its event ID (given, or the CBV event hash): a document
# imported twice skips what it brought the first time
epcis_events = Table(
    "epcis_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(300), nullable=False, unique=True),
    Column("event_type", String(32), nullable=False),
    Column("biz_step", String(200)),
    Column("event_time", UtcDateTime, nullable=False),
    Column("operation_id", Integer, ForeignKey("operations.id")),  # the first it made
    Column("asn_id", Integer, ForeignKey("asns.id")),
    Column("effect", String(300), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
)

# an advance shipping notice: a supplier's shipping event, to be received with
# `receive --asn` (or by scanning the pallet's SSCC)
asns = Table(
    "asns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(300), nullable=False),
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("sender", String(300)),  # the source party's identifier, as the event gave it
    Column("sscc", String(18), index=True),
    Column("shipped_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("received_op_id", Integer, ForeignKey("operations.id")),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("status IN ('open', 'received')", name="status"),
)

asn_lines = Table(
    "asn_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("asn_id", Integer, ForeignKey("asns.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot", String(64)),
    Column("serial", String(64)),
    Column("qty", Exact, nullable=False),
    Column("expires", Date),
    Column("made", Date),
)

# big work asked for over HTTP, done in the background while the client polls
jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # receive, import, verify
    Column("status", String(16), nullable=False),  # queued, running, done, failed
    Column("user_name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("done", BigInteger, nullable=False, server_default="0"),
    Column("total", BigInteger, nullable=False, server_default="0"),
    Column("result", Text),  # JSON
    Column("error", Text),
)

# each operation voided: the operation of kind `void` that reversed it, and why. An
# operation is voided at most once (of two racing voids, the unique index fails one)
voids = Table(
    "voids",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("void_op_id", Integer, ForeignKey("operations.id"), nullable=False, unique=True),
    Column("voided_op_id", Integer, ForeignKey("operations.id"), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
)
# -- stock counts (issue 19): a count of a location's subtree, what the ledger expected
# there when it started, and what its counters scanned (where and when)
counts = Table(
    "counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("blind", Boolean, nullable=False, server_default="0"),
    Column("items", Text),  # the items counted (JSON list of codes); none: every item
    Column("note", Text),
    Column("started_at", UtcDateTime, nullable=False),
    Column("started_by", String(100), nullable=False),
    Column("posted_at", UtcDateTime),
    Column("posted_by", String(100)),
    Column("posted_op_id", Integer, ForeignKey("operations.id")),
    Column("variances", Text),  # what posting booked (JSON), as `count show` gives it
    Column("cancelled_at", UtcDateTime),  # a count cancelled books nothing (migration 0022)
    Column("cancelled_by", String(100)),
    Column("cancel_reason", Text),
    CheckConstraint("status IN ('open', 'posted', 'cancelled')", name="status"),
)

# the ledger's balances (a row per unit, or per item, location and lot) when the count began
count_expected = Table(
    "count_expected",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("count_id", Integer, ForeignKey("counts.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", Exact, nullable=False),
)

# each scan into a count: what, how many, where it was scanned, when and by whom, and where
# the ledger had it at that moment (a unit's location, a quantity's balance at that bin)
count_scans = Table(
    "count_scans",
    metadata,
    Column("id", Integer, primary_key=True),
    # by count: the unique index by count and unit below serves (migration 0022)
    Column("count_id", Integer, ForeignKey("counts.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", Exact, nullable=False),
    Column("ledger_location_id", Integer, ForeignKey("locations.id")),
    Column("ledger_qty", Exact),
    Column("scanned_at", UtcDateTime, nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("input", Text),
    CheckConstraint("qty > 0", name="qty_positive"),
)
# a unit is counted once in a count
Index("uq_count_scans_count_id_unit_id", count_scans.c.count_id, count_scans.c.unit_id,
      unique=True)  # fmt: skip
# -- issue 19: incoming inspection and transfers (migration 0016) ---------------------------

# an item that needs inspecting on receipt: from every supplier (supplier_id NULL) or from
# one (which says yes or no for that supplier, whatever the item's own rule); the newest
# rule of an item and supplier is the one that holds
inspection_rules = Table(
    "inspection_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("inspect", Boolean, nullable=False),
)

# a unit or a lot's receipt held for inspection, and then its result: who, when, notes
inspections = Table(
    "inspections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("qty", Exact, nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),  # quarantine
    Column("supplier_id", Integer, ForeignKey("parties.id")),
    Column("hold_id", Integer, ForeignKey("holds.id"), nullable=False, index=True),
    Column("received_op_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    Column("status", String(10), nullable=False),
    Column("result_op_id", Integer, ForeignKey("operations.id")),
    Column("inspector", String(100)),
    Column("decided_at", UtcDateTime),
    Column("note", Text),
    Column("reason", Text),
    Column("disposition", String(32)),  # released, returned_to_supplier, scrapped
    CheckConstraint("status IN ('waiting', 'passed', 'failed', 'voided')", name="status"),
    Index(None, "status", "id"),
)

# a transfer between two sites: numbered like recalls, open until received
transfers = Table(
    "transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(10), nullable=False),
    Column("from_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("transit_location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("carrier", String(200)),
    Column("reference", String(200)),
    Column("sent_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    Column("closed_op_id", Integer, ForeignKey("operations.id")),
    CheckConstraint("status IN ('open', 'received')", name="status"),
    Index(None, "status", "id"),
)

# what a transfer carries: a unit, or a quantity of a lot or untracked item; what of it
# was received, and what was booked missing when the transfer was completed
transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transfer_id", Integer, ForeignKey("transfers.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("qty", Exact, nullable=False),
    Column("received", Exact, nullable=False, server_default="0"),
    Column("missing", Exact, nullable=False, server_default="0"),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("received >= 0 AND missing >= 0 AND received + missing <= qty", name="within"),
)

# each receipt of a transfer (an operation of kind transfer_receive)
transfer_receipts = Table(
    "transfer_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transfer_id", Integer, ForeignKey("transfers.id"), nullable=False, index=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False),
)


# -- master data that can change, with its history (issue 19, migration 0017) ----------

#: every change to master data, one row per field: an add (each field's `after`), a set,
#: a deactivation (`active` true -> false, with its reason) and a reactivation
changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity", String(10), nullable=False),
    Column("code", String(64), nullable=False),
    Column("field", String(32), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("user_name", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("reason", Text),
    Index(None, "entity", "code"),
    CheckConstraint("entity IN ('item', 'location', 'party', 'user')", name="entity"),
)

#: the locations tracelot re-parents in the open transaction: the trigger of migration
#: 0017 lets a change of parent, kind and path pass for them only
location_edits = Table(
    "location_edits",
    metadata,
    Column("location_id", Integer, primary_key=True, autoincrement=False),
)


# -- units of measure and pack sizes (migration 0020) -----------------------------------------

# an item's packaging levels: a box of 12, a case of 144 (`qty` in the item's base unit;
# `of_name` and `of_count` say how it was given: a case of 12 boxes), each maybe with a
# GTIN of its own, which a scan reads as `qty` base units
item_packs = Table(
    "item_packs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("name", String(32), nullable=False),
    Column("qty", Exact, nullable=False),
    Column("gtin", String(14), unique=True),
    Column("of_name", String(32)),
    Column("of_count", Exact),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id", "name"),
    CheckConstraint("qty > 0", name="qty_positive"),
)
# -- issue 20: sales orders, their reservations, picks and shipments (migration 0018) -------

#: a customer's order, numbered like recalls: a draft until confirmed (which reserves its
#: stock), open, partly shipped, shipped; or cancelled (its reservations released)
sales_orders = Table(
    "sales_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("parties.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("ship_by", Date),
    Column("reference", String(200)),
    Column("note", Text),
    Column("user_name", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    CheckConstraint(
        "status IN ('draft', 'open', 'partly_shipped', 'shipped', 'cancelled')", name="status"
    ),
    Index(None, "status", "id"),
)

#: a line of an order: an item (or one lot of it), how many, at what price, and how many
#: have been shipped against it
so_lines = Table(
    "so_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_id", Integer, ForeignKey("sales_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False, index=True),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("qty", Exact, nullable=False),
    Column("price", Exact),
    Column("shipped", Exact, nullable=False, server_default="0"),
    # ordered in a pack (migration 0023), as purchase order lines are
    Column("pack", String(32)),
    Column("pack_qty", Exact),
    Column("pack_price", Exact),
    UniqueConstraint("so_id", "line_no"),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("shipped >= 0 AND shipped <= qty", name="shipped_within"),
)

#: stock held for an order line: a unit, or a quantity of a balance (item, location, lot).
#: No other operation takes it (services/picking.py); shipping the line uses it up
reservations = Table(
    "reservations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_id", Integer, ForeignKey("sales_orders.id"), nullable=False, index=True),
    Column("so_line_id", Integer, ForeignKey("so_lines.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("unit_id", Integer, ForeignKey("units.id"), unique=True),
    Column("qty", Exact, nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
    Index(None, "item_id", "location_id"),
)

#: what a picker confirmed taking for an order line (by scanning), until it is shipped
so_picks = Table(
    "so_picks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_id", Integer, ForeignKey("sales_orders.id"), nullable=False, index=True),
    Column("so_line_id", Integer, ForeignKey("so_lines.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("lot_id", Integer, ForeignKey("lots.id")),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("qty", Exact, nullable=False),
    Column("picked_at", UtcDateTime, nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("shipped_op_id", Integer, ForeignKey("operations.id")),
    CheckConstraint("qty > 0", name="qty_positive"),
)

#: each shipment against an order line: how much, by which operation
so_shipments = Table(
    "so_shipments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("so_line_id", Integer, ForeignKey("so_lines.id"), nullable=False, index=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    Column("qty", Exact, nullable=False),
)

# -- issue 20, packing (migration 0019): database-wide settings, logistic units ----------

#: database-wide settings (`tracelot settings set KEY VALUE`): a key in snake_case, its value
settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("user_name", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

#: a logistic unit (a case or a pallet) with its SSCC, numbered like recalls. Where it is
#: (a projection: the place of what it holds) and the customer it went to once shipped
logistic_units = Table(
    "logistic_units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sscc", String(18), unique=True),  # set in the transaction that makes the row
    Column("kind", String(10), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("party_id", Integer, ForeignKey("parties.id")),
    Column("created_op_id", Integer, ForeignKey("operations.id"), nullable=False),
    CheckConstraint("kind IN ('case', 'pallet')", name="kind"),
)

#: what each logistic unit holds now (a projection of `lu_lines`): a unit, a quantity of
#: a lot or untracked item, or another logistic unit (`child_lu_id`), nested to any depth
lu_contents = Table(
    "lu_contents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("lu_id", Integer, ForeignKey("logistic_units.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("unit_id", Integer, ForeignKey("units.id"), unique=True),
    Column("child_lu_id", Integer, ForeignKey("logistic_units.id"), unique=True),
    Column("qty", Exact, nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
    Index(None, "item_id", "lot_id"),
)

#: the ledger of packing (append-only): each line of a `pack` or `unpack` operation puts
#: something into a logistic unit (`added`) or takes it out
lu_lines = Table(
    "lu_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    Column("lu_id", Integer, ForeignKey("logistic_units.id"), nullable=False, index=True),
    Column("added", Boolean, nullable=False),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("lot_id", Integer, ForeignKey("lots.id"), index=True),
    Column("unit_id", Integer, ForeignKey("units.id"), index=True),
    Column("child_lu_id", Integer, ForeignKey("logistic_units.id"), index=True),
    Column("qty", Exact, nullable=False),
    CheckConstraint("qty > 0", name="qty_positive"),
)

#: the cases and pallets each move or shipment took along (`outermost`: named by it, not
#: inside another it took): a shipment's SSCCs, for its packing slip and EPCIS events; and
#: where each was, for a void of the move (null in rows written before 0026). A void of a
#: move or shipment writes rows too, for the cases it takes back
lu_moves = Table(
    "lu_moves",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operation_id", Integer, ForeignKey("operations.id"), nullable=False, index=True),
    Column("lu_id", Integer, ForeignKey("logistic_units.id"), nullable=False, index=True),
    Column("outermost", Boolean, nullable=False),
    Column("from_location_id", Integer, ForeignKey("locations.id")),
)
