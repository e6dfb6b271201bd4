"""`tracelot so ...`: sales orders, their reservations and picking.

A picker scans with `tracelot scan --then pick N` (or `so pick-scan N SCAN...`); the
order is shipped with `tracelot ship --so N` (what was picked, by default)."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracelot.cli.common import (
    JsonOpt,
    NoteOpt,
    OldRefOpt,
    ReferenceOpt,
    db,
    reference_of,
    scan_session,
    write_output,
)
from tracelot.cli.output import err, out, print_json, print_json_line, table, text

if TYPE_CHECKING:
    from tracelot.app import Tracelot

so_app = typer.Typer(help="Sales orders: reservations, picking, shipping.", no_args_is_help=True)
SoId = Annotated[int, typer.Argument(help="The sales order's number.")]
LIST_COLUMNS = ["id", "customer", "status", "ship_by", "reference", "lines", "qty", "reserved",
                "shipped"]  # fmt: skip
LINE_COLUMNS = ["line", "item", "lot", "qty", "price", "reserved", "picked", "shipped",
                "backorder"]  # fmt: skip


@so_app.command("create")
def so_create(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="The customer.")],
    lines: Annotated[
        list[str],
        typer.Option(
            "--line",
            help="ITEM:QTY[:PRICE][:PACK] (ITEM@LOT:QTY for one lot; with "
            "a PACK such as case, QTY counts packs and PRICE is a pack's); repeat.",
        ),
    ],
    ship_by: Annotated[str | None, typer.Option("--ship-by", help="The date to ship by.")] = None,
    reference: ReferenceOpt = None,
    old_ref: OldRefOpt = None,
    note: NoteOpt = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Confirm it at once (its stock reserved).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take a customer's order: a draft, or confirmed with its stock reserved (--confirm)."""
    from tracelot.domain.commands import CreateSalesOrder

    command = CreateSalesOrder(customer=customer, lines=tuple(lines), ship_by=ship_by,
                               reference=reference_of(reference, old_ref), note=note,
                               confirm=confirm)  # fmt: skip
    show(db(ctx).run(command), as_json)


@so_app.command("confirm")
def so_confirm(
    ctx: typer.Context,
    so_id: SoId,
    refs: Annotated[
        list[str] | None,
        typer.Argument(help="Units ITEM:SERIAL, lots ITEM@LOT[=QTY] to reserve first."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm a draft: its stock is reserved, the units and lots named first, the rest
    first-expiry-first-out (what is short stays unreserved: `so reserve N` tries again)."""
    from tracelot.domain.commands import ConfirmSalesOrder

    show(db(ctx).run(ConfirmSalesOrder(so_id=so_id, refs=tuple(refs or ()))), as_json)


@so_app.command("reserve")
def so_reserve(
    ctx: typer.Context,
    so_id: SoId,
    refs: Annotated[
        list[str] | None,
        typer.Argument(help="Units ITEM:SERIAL, lots ITEM@LOT[=QTY] (none: FEFO)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reserve named units and lots for an open order, or what its lines still need."""
    from tracelot.domain.commands import ReserveSalesOrder

    show(db(ctx).run(ReserveSalesOrder(so_id=so_id, refs=tuple(refs or ()))), as_json)


@so_app.command("cancel")
def so_cancel(
    ctx: typer.Context,
    so_id: SoId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Cancel an order (what is left of it): its reservations are released."""
    from tracelot.domain.commands import CancelSalesOrder

    show(db(ctx).run(CancelSalesOrder(so_id=so_id, reason=reason)), as_json)


@so_app.command("list")
def so_list(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="draft, open, partly_shipped, shipped or cancelled."),
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="One customer's.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sales orders, in number order."""
    rows = db(ctx).sales_orders(status=status, customer=customer)
    if as_json:
        print_json(rows)
    else:
        table(rows, LIST_COLUMNS, numeric=("id", "lines", "qty", "reserved", "shipped"))


@so_app.command("show")
def so_show(ctx: typer.Context, so_id: SoId, as_json: JsonOpt = False) -> None:
    """An order: its lines (ordered, reserved, picked, shipped, backorder), what is
    reserved for it, and its shipments."""
    show(db(ctx).sales_order(so_id), as_json)


def show(order: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(order)
        return
    title = f"sales order {order['id']} for {order['customer']}: {order['status']}"
    if order["ship_by"]:
        title += f", ship by {text(order['ship_by'])}"
    columns = list(LINE_COLUMNS)
    if any(ln.get("pack") for ln in order["lines"]):  # lines in packs: shown in both
        columns += ["packs", "pack", "pack_price"]
    table(
        order["lines"],
        columns,
        title=title,
        numeric=("line", "qty", "price", "reserved", "picked", "shipped", "backorder", "packs",
                 "pack_price"),
    )  # fmt: skip
    if order["reservations"]:
        table(order["reservations"], ["line", "item", "lot", "serial", "location_path", "qty"],
              title="reserved", numeric=("line", "qty"))  # fmt: skip
    if order["shipments"]:
        table(order["shipments"], ["operation", "line", "qty", "occurred_at"], title="shipped",
              numeric=("operation", "line", "qty"))  # fmt: skip


@so_app.command("pick")
def so_pick(
    ctx: typer.Context,
    so_id: SoId,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the pick list as a PDF.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The order's pick list in walking order (locations' pick sequence, then code),
    first-expiry-first-out; lines short of pickable stock are listed with why. Confirm
    picks by scanning: `tracelot scan --then pick N`."""
    tracelot = db(ctx)
    shown = tracelot.so_pick_list(so_id)
    if out_file is not None:
        from tracelot.services.order_picking import render_pdf

        write_output(out_file, render_pdf(shown))
        if as_json:
            print_json({"written": str(out_file), "rows": len(shown["rows"])})
        else:
            err.print(f"pick list of sales order {so_id} written to {out_file}", markup=False)
        return
    if as_json:
        print_json(shown)
        return
    table(shown["rows"], ["seq", "location_path", "item", "lot", "serial", "expires", "qty",
                          "line"],
          title=f"pick list: sales order {so_id} for {shown['customer']}",
          numeric=("seq", "qty", "line"))  # fmt: skip
    if shown["short"]:
        table(shown["short"], ["line", "item", "qty", "reason"], title="short",
              numeric=("line", "qty"))  # fmt: skip


@so_app.command("pick-scan")
def so_pick_scan(
    ctx: typer.Context,
    so_id: SoId,
    scans: Annotated[
        list[str],
        typer.Argument(
            help="Scans or REFs picked (a lot as ITEM@LOT=QTY); a location scanned "
            "is where the next ones were picked."
        ),
    ],  # fmt: skip
    at: Annotated[str | None, typer.Option("--at", help="The bin picked from.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Confirm picks for an order, all of them or none: a wrong item or lot, an expired or
    held unit is refused with the reason."""
    from tracelot.domain.commands import PickScans

    done = db(ctx).run(PickScans(so_id=so_id, scans=tuple(scans), at=at))
    if as_json:
        print_json(done)
        return
    for p in done["picked"]:
        out.print(_said(p), markup=False)
    if done["short_lines"]:
        _short(db(ctx).so_pick_progress(so_id)["lines"])


def _said(p: dict[str, Any]) -> str:
    key = f":{p['serial']}" if p["serial"] else f"@{p['lot']}" if p["lot"] else ""
    return (f"ok       picked {text(p['qty'])} {p['item']}{key} from {p['location_path']} "
            f"(line {p['line']}, {text(p['left'])} left)")  # fmt: skip


def _short(lines: list[dict[str, Any]]) -> None:
    for ln in lines:
        if ln["short"] > 0:
            err.print(f"short: line {ln['line']} {ln['item']}: {text(ln['picked'])} of "
                      f"{text(ln['qty'] - ln['shipped'])} picked, {text(ln['short'])} "
                      "short", markup=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(so_app, name="so")


def scan_into_pick(tracelot: "Tracelot", target: str | None, *, at: str | None, as_json: bool,
                   lines: Any) -> None:  # fmt: skip
    """`tracelot scan --then pick N [--to BIN]`: each scan confirmed as a pick of order N
    as it comes; a refused scan is shown with why (wrong item, wrong lot, expired, held)
    and the session goes on. At the end, the lines still short. Exits 1 if any scan was
    refused."""
    if target is None or not target.isdigit() or int(target) < 1:
        raise typer.BadParameter("pick N: the sales order's number", param_hint="TARGET")
    so_id = int(target)

    def step(payload: str, at: str | None) -> tuple[str | None, dict, str]:
        done = tracelot.so_pick(so_id, [payload], at=at)
        if not done["picked"]:  # a location: where the next picks are
            shown = {"input": payload, "ok": True, "kind": "location", "location": done["at"]}
            return done["at"], shown, f"ok       at {done['at']}"
        picks = done["picked"]
        shown = {**picks[0], "ok": True}
        if len(picks) > 1:  # a case scanned by its SSCC: each piece of it
            shown["picked"] = picks
        return done["at"], shown, "\n".join(_said(p) for p in picks)

    refused = scan_session(tracelot, lines, step, at=at, as_json=as_json, done="picked")
    progress = tracelot.so_pick_progress(so_id)
    if as_json:
        print_json_line({"order": so_id, "short": progress["short"]})
    else:
        _short(progress["lines"])
    if refused:
        raise typer.Exit(1)


def _line(shown: dict[str, Any], said: str, as_json: bool, ok: int, refused: int) -> None:
    if as_json:
        print_json_line(shown)
    else:
        out.print(said, markup=False)
        err.print(f"  [{ok} picked, {refused} refused]", markup=False)
