"""`tracelot scan`: scans from standard input, one per line, as a wedge scanner types them."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from tracelot.cli.common import JsonOpt, db
from tracelot.cli.output import err, out, print_json_line, text


def scan(
    ctx: typer.Context,
    then: Annotated[
        str, typer.Option("--then", help="What to do with the scans: identify (the default).")
    ] = "identify",
    as_json: JsonOpt = False,
) -> None:
    """Read scans from standard input, one per line, and say what each names.

    Each scan is shown as it comes (item, lot, serial, expiry, where it is now); a bad
    scan is refused with the reason and the session goes on. Exits 1 if any scan was
    not ok.
    """
    if then != "identify":
        raise typer.BadParameter(
            f"--then {then!r}: only identify is supported", param_hint="--then"
        )
    tracelot = db(ctx)
    counts = {"ok": 0, "refused": 0}
    for line in sys.stdin:
        payload = line.rstrip("\r\n")
        if not payload.strip():
            continue
        result = tracelot.identify(payload)
        counts["ok" if result["ok"] else "refused"] += 1
        if as_json:
            print_json_line(result)
        else:
            out.print(_line(result), markup=False)
            err.print(f"  [{counts['ok']} ok, {counts['refused']} refused]", markup=False)
    if counts["refused"]:
        raise typer.Exit(1)


def _line(r: dict[str, Any]) -> str:
    """One scan for people: what it names and where, or why not."""
    if r["kind"] == "location":
        what = f"location {r['location_path']}"
    elif r["kind"] in ("unit", "lot", "item") and r["item"]:
        key = f":{r['serial']}" if r["serial"] else f"@{r['lot']}" if r["lot"] else ""
        what = f"{r['kind']} {r['item']}{key}"
        if r["item_name"]:
            what += f" ({r['item_name']})"
        if r["expiry"]:
            what += f" expires {text(r['expiry'])}"
        if r["qty"] is not None and r["kind"] != "unit":
            what += f" qty {text(r['qty'])}"
        if r["location_path"]:
            what += f" at {r['location_path']}"
        if r["status"]:
            what += f", {r['status']}"
        if r["held"]:
            what += ", HELD"
    else:
        what = r["kind"] or "scan"
    if not r["ok"]:
        return f"refused  {r['input']!r}: {r['error']}"
    notes = "".join(f"  (warning: {w})" for w in r["warnings"])
    return f"ok       {what}{notes}"


def register(app: typer.Typer) -> None:
    app.command("scan")(scan)
