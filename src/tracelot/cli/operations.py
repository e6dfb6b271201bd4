"""Stock operations: receive, move, build, ship, return, scrap, adjust."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracelot.cli.common import JsonOpt, NoteOpt, OldRefOpt, ReferenceOpt, db, reference_of
from tracelot.cli.output import err, operation, out, print_json
from tracelot.cli.scanning import write_labels

if TYPE_CHECKING:
    from tracelot.services.ledger import Progress as ProgressFn

#: Receipts of at least this many serials show a progress bar.
PROGRESS_FROM = 50_000

Qty = Annotated[str | None, typer.Option("--qty", help="Quantity (exact decimal).")]
From = Annotated[str | None, typer.Option("--from", help="Take from this location only.")]
Pack = Annotated[
    str | None,
    typer.Option("--pack", help="The quantity is a count of this pack (case, box): see item pack."),
]


@contextmanager
def progress_bar(
    total: int, label: str, threshold: int = PROGRESS_FROM
) -> Iterator["ProgressFn | None"]:
    if total < threshold:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err.real(), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task(label, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def receive(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Location received into.")],
    item: Annotated[str | None, typer.Argument(help="The item (a scan names it).")] = None,
    scan: Annotated[
        str | None,
        typer.Option("--scan", help="A supplier's barcode: item, lot, serial, dates, count."),
    ] = None,
    qty: Qty = None,
    lot: Annotated[str | None, typer.Option("--lot", help="Lot code.")] = None,
    serials: Annotated[
        str | None, typer.Option("--serials", help="A list A1,A2 or a range SN0001..SN0500.")
    ] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="Expiry date.")] = None,
    made: Annotated[str | None, typer.Option("--made", help="Manufacture date.")] = None,
    supplier: Annotated[str | None, typer.Option("--supplier")] = None,
    supplier_lot: Annotated[str | None, typer.Option("--supplier-lot")] = None,
    cost: Annotated[str | None, typer.Option("--cost", help="Unit cost.")] = None,
    po: Annotated[
        int | None, typer.Option("--po", help="Against this purchase order (its supplier, price).")
    ] = None,
    asn: Annotated[
        str | None,
        typer.Option(
            "--asn",
            help="What an advance shipping notice announced (its number or "
            "a scan of the pallet's SSCC).",
        ),
    ] = None,
    keep_packed: Annotated[
        bool,
        typer.Option("--keep-packed", help="With --asn of a pallet: keep it whole, a logistic "
                     "unit with its SSCC holding what came in (docs/packing.md)."),
    ] = False,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    label: Annotated[
        Path | None, typer.Option("--label", help="Also write labels of what came in (PDF).")
    ] = None,
    as_json: JsonOpt = False,
    pack: Pack = None,
) -> None:  # fmt: skip
    """Receive from a supplier: serials, a lot quantity, or a plain quantity; what a
    supplier's barcode says (--scan); or what an advance shipping notice announced (--asn)."""
    from tracelot.domain.commands import Receive

    if asn is not None:
        if item is not None or scan is not None:
            raise typer.BadParameter("--asn receives what the notice lists: name no ITEM")
        results = db(ctx).receive_asn(asn, to=to, keep_packed=keep_packed)
        if as_json:
            print_json([r.to_dict() for r in results])
        for result in [] if as_json else results:
            operation(result, as_json=False)
        return
    if keep_packed:
        raise typer.BadParameter("--keep-packed keeps the pallet of an ASN whole: give --asn")
    if item is None and scan is None:
        raise typer.BadParameter("name the ITEM, or give --scan", param_hint="ITEM")
    command = Receive(
        to=to, item=item, qty=qty, lot=lot, serials=serials or None, expires=expires, made=made,
        supplier=supplier, supplier_lot=supplier_lot, cost=cost, po=po, scan=scan,
        reference=reference_of(reference, old_ref), note=note, pack=pack,
    )  # fmt: skip
    with progress_bar(len(command.serials or ()), f"receiving {item}") as progress:
        result = db(ctx).run(command, progress=progress)
    operation(result, as_json=as_json)
    if label is not None:
        if result.refs():
            write_labels(db(ctx), result.refs(), label)
        else:
            err.print(f"no labels: {item} is tracked by neither lot nor serial", markup=False)


def move(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(metavar="REF...")],
    to: Annotated[str, typer.Option("--to", help="Destination location.")],
    from_: From = None,
    qty: Qty = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
    pack: Pack = None,
) -> None:
    """Move units, or a quantity of lots or untracked items, in one operation."""
    from tracelot.domain.commands import Move

    reference = reference_of(reference, old_ref)
    command = Move(refs=refs, to=to, from_=from_, qty=qty, reference=reference, note=note,
                   pack=pack)  # fmt: skip
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def build(
    ctx: typer.Context,
    item: str,
    to: Annotated[str, typer.Option("--to", help="Where the output goes (and parts come from).")],
    consume: Annotated[
        list[str], typer.Option("--consume", help="A component REF[=QTY]; repeat for each.")
    ],
    serial: Annotated[str | None, typer.Option("--serial", help="Serial of the output.")] = None,
    lot: Annotated[str | None, typer.Option("--lot", help="Lot of the output.")] = None,
    qty: Qty = None,
    expires: Annotated[str | None, typer.Option("--expires")] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Build an assembly: consume components, produce the output, record its genealogy."""
    from tracelot.domain.commands import Build

    command = Build(
        item=item, to=to, consume=consume, serial=serial, lot=lot, qty=qty, expires=expires,
        reference=reference_of(reference, old_ref), note=note,
    )  # fmt: skip
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def build_run(
    ctx: typer.Context,
    item: str,
    to: Annotated[str, typer.Option("--to", help="Where the outputs go (and parts come from).")],
    plan: Annotated[
        Path,
        typer.Option(
            "--plan",
            exists=True,
            dir_okay=False,
            readable=True,
            help="CSV: serial (or lot and qty), expires, consume (REF[=QTY] ...), one per output.",
        ),
    ],
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A production run: build every output of a plan in one operation."""
    from tracelot.domain.commands import BuildRun
    from tracelot.services.production import read_plan

    with plan.open(newline="", encoding="utf-8-sig") as rows:
        outputs = read_plan(rows)
    reference = reference_of(reference, old_ref)
    command = BuildRun(item=item, to=to, outputs=tuple(outputs), reference=reference, note=note)
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def ship(
    ctx: typer.Context,
    refs: Annotated[
        list[str] | None, typer.Argument(help="Units ITEM:SERIAL, lots ITEM@LOT, items.")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Customer.")] = None,
    qty: Qty = None,
    from_: From = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    so: Annotated[
        int | None,
        typer.Option("--so", help="Against this sales order (no REFs: what was picked for it)."),
    ] = None,
    as_json: JsonOpt = False,
    pack: Pack = None,
) -> None:
    """Ship to a customer, or against a sales order (--so N: more than ordered is
    refused, less leaves a backorder)."""
    from tracelot.domain.commands import Ship

    if so is None and not refs:
        raise typer.BadParameter("name what to ship (or give --so N)", param_hint="REFS")
    if so is None and to is None:
        raise typer.BadParameter("give --to CUSTOMER (or --so N)", param_hint="--to")
    reference = reference_of(reference, old_ref)
    command = Ship(refs=tuple(refs or ()), to=to, qty=qty, from_=from_, reference=reference,
                   note=note, pack=pack, so=so)  # fmt: skip
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def return_to_supplier(
    ctx: typer.Context,
    refs: Annotated[list[str], typer.Argument(help="Units ITEM:SERIAL, lots ITEM@LOT, items.")],
    to: Annotated[str, typer.Option("--to", help="Supplier.")],
    qty: Qty = None,
    from_: From = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it goes back.")] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send stock back to its supplier (held stock may go: a recall's answer)."""
    from tracelot.domain.commands import ReturnToSupplier

    reference = reference_of(reference, old_ref)
    command = ReturnToSupplier(
        refs=refs, to=to, qty=qty, from_=from_, reason=reason, reference=reference
    )
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def return_(
    ctx: typer.Context,
    ref: str,
    from_: Annotated[str, typer.Option("--from", help="Customer returning it.")],
    to: Annotated[str, typer.Option("--to", help="Location taken back into.")],
    qty: Qty = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take back from a customer what was shipped to them."""
    from tracelot.domain.commands import Return

    reference = reference_of(reference, old_ref)
    command = Return(ref=ref, from_=from_, to=to, qty=qty, reference=reference, note=note)
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def scrap(
    ctx: typer.Context,
    ref: str,
    reason: Annotated[str, typer.Option("--reason", help="Why it is scrapped.")],
    qty: Qty = None,
    from_: From = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Scrap a unit or a quantity."""
    from tracelot.domain.commands import Scrap

    reference = reference_of(reference, old_ref)
    command = Scrap(ref=ref, reason=reason, qty=qty, from_=from_, reference=reference)
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def adjust(
    ctx: typer.Context,
    item: str,
    at: Annotated[str, typer.Option("--at", help="Location counted.")],
    counted: Annotated[str, typer.Option("--counted", help="Quantity counted there.")],
    lot: Annotated[str | None, typer.Option("--lot")] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    subtree: Annotated[
        bool,
        typer.Option("--subtree", help="The count is of --at and every location below it."),
    ] = False,
    as_json: JsonOpt = False,
    pack: Pack = None,
) -> None:
    """Correct a count against the adjustment location. A location with locations below
    it is refused (count a bin) unless --subtree says the count is of all of it."""
    from tracelot.domain.commands import Adjust

    reference = reference_of(reference, old_ref)
    command = Adjust(item=item, at=at, counted=counted, lot=lot, reference=reference, note=note,
                     subtree=subtree, pack=pack)  # fmt: skip
    result = db(ctx).run(command)
    if result is not None:
        operation(result, as_json=as_json)
    elif as_json:
        out.print("null")
    else:
        out.print("count matches the books: nothing to adjust")


def replace(
    ctx: typer.Context,
    assembly: str,
    remove: Annotated[str, typer.Option("--remove", help="The component unit taken out.")],
    install: Annotated[str, typer.Option("--install", help="The component unit put in.")],
    to: Annotated[
        str | None, typer.Option("--to", help="Where the removed unit goes (default: beside it).")
    ] = None,
    scrap: Annotated[bool, typer.Option("--scrap", help="Scrap the removed unit.")] = False,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Repair a built unit: swap a component; genealogy keeps both, with dates."""
    from tracelot.domain.commands import Replace

    command = Replace(
        assembly=assembly, remove=remove, install=install, to=to, scrap=scrap,
        reference=reference_of(reference, old_ref), note=note,
    )  # fmt: skip
    result = db(ctx).run(command)
    operation(result, as_json=as_json)


def register(app: typer.Typer) -> None:
    for name, fn in [
        ("receive", receive), ("move", move), ("build", build), ("build-run", build_run),
        ("ship", ship), ("return-to-supplier", return_to_supplier),
        ("return", return_), ("scrap", scrap), ("adjust", adjust), ("replace", replace),
    ]:  # fmt: skip
        app.command(name)(fn)
