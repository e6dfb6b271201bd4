"""What a spreadsheet of each kind holds: the kinds imported and exported, and the columns
of each (apart from the import and export code, so that the command line can name them
in its commands without loading the database layer)."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("items", "locations", "parties", "stock")
EXPORTS = (*KINDS, "ledger")
FORMATS = ("csv", "xlsx", "json")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    help: str = ""


#: each kind's columns: the template's header, in order, and the names also understood
COLUMNS: dict[str, list[Column]] = {
    "items": [
        Column("code", True, ("item", "item code", "sku", "part", "part number"), "unique"),
        Column("name", True, ("description", "item name"), "what it is called"),
        Column("tracking", False, ("tracked", "tracking type"), "none, lot or serial"),
        Column("gtin", False, ("ean", "upc", "barcode"), "GTIN-8/12/13/14"),
        Column("uom", False, ("unit", "unit of measure"), "EA unless given"),
        Column("shelf_life_days", False, ("shelf life", "shelf life days"), "days"),
        Column("cost", False, ("standard cost", "unit cost", "price"), "standard unit cost"),
        Column("category", False, ("group", "item group"), "for the reports"),
    ],
    "locations": [
        Column("code", True, ("location", "location code", "bin"), "unique in the tree"),
        Column("name", False, ("description", "location name")),
        Column("parent", False, ("parent code", "parent location", "in")),
        Column(
            "kind", False, ("type", "location type"), "warehouse, zone, bin, quarantine, production"
        ),  # fmt: skip
        Column("gln", False, ("global location number",), "GS1 GLN"),
    ],
    "parties": [
        Column("code", True, ("party", "partner", "supplier", "customer", "account")),
        Column("name", True, ("company", "party name")),
        Column("kind", True, ("type", "role"), "supplier or customer"),
        Column("contact_name", False, ("contact", "contact person", "attention")),
        Column("email", False, ("e-mail", "email address", "mail")),
        Column("phone", False, ("telephone", "phone number", "tel")),
        Column("address", False, ("postal address", "mailing address")),
    ],
    "stock": [
        Column("item", True, ("item code", "sku", "part", "part number", "code")),
        Column("location", True, ("bin", "location code", "to", "warehouse")),
        Column("qty", False, ("quantity", "count", "on hand"), "1 for each serial"),
        Column("lot", False, ("lot code", "lot number", "batch", "batch number")),
        Column("serial", False, ("serials", "serial number", "sn"), "a serial or A001..A100"),
        Column("expires", False, ("expiry", "expiry date", "best before", "use by")),
        Column("made", False, ("manufactured", "production date", "made on")),
        Column("cost", False, ("unit cost", "price"), "unit cost"),
        Column("supplier", False, ("vendor",)),
        Column("supplier_lot", False, ("supplier lot", "vendor lot")),
    ],
}
