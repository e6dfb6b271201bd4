"""Pictures of the reports (matplotlib): turnover by item, the ABC Pareto curve, an expiry
calendar, and an item's stock level against its reorder point.

Each chart takes a report as the services return it and gives the bytes of a PNG or SVG
file. Marks carry ids in the SVG (`bar-ITEM`, `day-2030-01-31`, `level`, `reorder-point`)
and text stays text, so a test (or a web page) can find what a chart shows.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
MAX_WEEKS = 26  # of an expiry calendar
EXPIRED_WEEKS = 8  # of expired stock drawn on its days in it
_CLASS_COLOURS = {"A": "#1b7837", "B": "#f1a340", "C": "#998ec3"}


@functools.cache
def _matplotlib() -> Any:
    """matplotlib, loaded at the first chart drawn (importing it takes a second, which
    every server start and every command would pay otherwise), set once for the process
    (figures are made without pyplot, which is not thread-safe: the API draws in its
    worker threads)."""
    import matplotlib
    import matplotlib.figure
    import matplotlib.patches

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text as <text>, not paths
            "svg.hashsalt": "tracelot",  # the same ids on every run
            "font.size": 9,
        }
    )
    return matplotlib


def chart_format(path: str) -> str:
    """png or svg, by the file's suffix; refused for anything else."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if suffix not in FORMATS:
        from tracelot.domain.errors import InvalidInput

        raise InvalidInput(f"a chart is written as .png or .svg, not {path!r}")
    return suffix


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _render(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buffer, format=fmt, dpi=120, bbox_inches="tight", metadata=metadata)
    return buffer.getvalue()


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = _matplotlib().figure.Figure(figsize=(width, height))
    return fig, fig.subplots()


def turnover_chart(report: dict[str, Any], *, top: int = 15, fmt: str = "png") -> bytes:
    """Turnover of the `top` items that issued the most, with their days of inventory."""
    rows = [r for r in report["rows"] if r.get("turnover") is not None][:top]
    label_key = {"item": "item", "category": "category", "location": "location"}[report["by"]]
    fig, ax = _figure(7, 0.4 * max(len(rows), 3) + 1.2)
    labels = [str(r[label_key] or "(none)") for r in rows]
    values = [float(r["turnover"]) for r in rows]
    bars = ax.barh(labels, values, color="#2166ac")
    for bar, row, label in zip(bars, rows, labels, strict=True):
        bar.set_gid(f"bar-{label}")
        days = row["days_of_inventory"]
        ax.annotate(f"{row['turnover']}x, {days} days" if days is not None else "",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0), textcoords="offset points", va="center")  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlabel("inventory turnover (cost of goods issued / average inventory value)")
    ax.set_title(f"Turnover by {report['by']}, {report['from']} to {report['to']}")
    if not rows:
        ax.text(0.5, 0.5, "nothing issued in this period", ha="center",
                transform=ax.transAxes)  # fmt: skip
    return _render(fig, fmt)


def abc_chart(report: dict[str, Any], *, top: int = 30, fmt: str = "png") -> bytes:
    """The Pareto curve: issue value per item (bars coloured by class) and its
    cumulative share, with the class limits."""
    rows = [r for r in report["rows"] if r["issued_value"] > 0][:top]
    fig, ax = _figure(8, 4)
    labels = [r["item"] for r in rows]
    bars = ax.bar(labels, [float(r["issued_value"]) for r in rows],
                  color=[_CLASS_COLOURS[r["class"]] for r in rows])  # fmt: skip
    for bar, row in zip(bars, rows, strict=True):
        bar.set_gid(f"bar-{row['item']}")
    ax.set_ylabel("value issued")
    ax.tick_params(axis="x", rotation=60)
    share = ax.twinx()
    (curve,) = share.plot(labels, [float(r["cumulative_share"]) * 100 for r in rows],
                          color="black", marker="o", markersize=3)  # fmt: skip
    curve.set_gid("cumulative-share")
    for limit in (report["a"], report["b"]):
        share.axhline(limit * 100, color="grey", linestyle="--", linewidth=0.8)
    share.set_ylim(0, 105)
    share.set_ylabel("cumulative share of value (%)")
    counts = report["total"]["classes"]
    ax.set_title(f"ABC: A {counts['A']}, B {counts['B']}, C {counts['C']} items "
                 f"({report['from']} to {report['to']})")  # fmt: skip
    return _render(fig, fmt)


def expiry_calendar(report: dict[str, Any], *, fmt: str = "png") -> bytes:
    """A calendar of the weeks ahead: each day coloured by the value that expires on it,
    half a year at most. What has expired already is drawn on its own day (edged in red),
    from the week of the oldest expiry up to `EXPIRED_WEEKS` back; anything older is
    added up in the title."""
    today, until = _date(report["today"]), _date(report["until"])
    until = min(until, today + dt.timedelta(days=7 * MAX_WEEKS - 1 - today.weekday()))
    oldest = min((_date(row["expires"]) for row in report["rows"]), default=today)
    start = max(min(oldest, today), today - dt.timedelta(weeks=EXPIRED_WEEKS))
    by_day: dict[dt.date, Decimal] = {}
    older = Decimal(0)
    for row in report["rows"]:
        day, value = _date(row["expires"]), Decimal(row["value"] or 0)
        if day < start:
            older += value
        elif day <= until:
            by_day[day] = by_day.get(day, Decimal(0)) + value
    first = start - dt.timedelta(days=start.weekday())
    weeks = (until - first).days // 7 + 1
    fig, ax = _figure(2 + 0.9 * 7, 0.5 * weeks + 1.2)
    top = float(max(by_day.values(), default=Decimal(0))) or 1.0
    cmap = _matplotlib().colormaps["OrRd"]
    for n in range(weeks * 7):
        day = first + dt.timedelta(days=n)
        week, weekday = divmod(n, 7)
        value = by_day.get(day)
        inside = start <= day <= until
        colour = cmap(0.15 + 0.85 * float(value) / top) if value else (
            "white" if inside else "#f0f0f0")  # fmt: skip
        cell = _matplotlib().patches.Rectangle((weekday, week), 0.95, 0.95, facecolor=colour,
                         edgecolor="#b2182b" if value and day < today else colour,
                         linewidth=1.5)  # fmt: skip
        cell.set_gid(f"day-{day.isoformat()}")
        ax.add_patch(cell)
        label = day.strftime("%d %b") + (" today" if day == today else "")
        ax.text(weekday + 0.05, week + 0.3, label, fontsize=7)
        if value:
            amount = ax.text(weekday + 0.05, week + 0.75, f"{value:,.0f}", fontsize=7)
            amount.set_gid(f"value-{day.isoformat()}")
    ax.set_xlim(0, 7)
    ax.set_ylim(weeks, 0)
    ax.set_xticks([n + 0.5 for n in range(7)], ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
                                                "Sun"])  # fmt: skip
    ax.set_yticks([])
    title = f"Value expiring by day, {start} to {until}"
    if older:
        title += f" (and {older:,.0f} expired before {start})"
    ax.set_title(title)
    return _render(fig, fmt)


def level_chart(report: dict[str, Any], *, fmt: str = "png") -> bytes:
    """An item's stock on hand day by day, with its reorder point and safety stock."""
    reorder_point, safety_stock = report.get("reorder_point"), report.get("safety_stock")
    days = [dt.date.fromisoformat(r["date"]) for r in report["rows"]]
    qty = [float(r["qty"]) for r in report["rows"]]
    fig, ax = _figure(8, 3.5)
    (line,) = ax.step(days, qty, where="post", color="#2166ac", label="on hand")
    line.set_gid("level")
    for value, name, style in ((reorder_point, "reorder point", "--"),
                               (safety_stock, "safety stock", ":")):  # fmt: skip
        if value is not None:
            mark = ax.axhline(float(value), color="#b2182b", linestyle=style, label=name)
            mark.set_gid(name.replace(" ", "-"))
    ax.set_ylabel(f"{report['item']} on hand")
    ax.set_title(f"{report['item']} ({report['item_name']}), {report['from']} to "
                 f"{report['to']}")  # fmt: skip
    ax.legend(loc="upper right")
    fig.autofmt_xdate()
    return _render(fig, fmt)


def value_chart(report: dict[str, Any], *, fmt: str = "png") -> bytes:
    """The value of the stock on hand at the end of each day."""
    days = [dt.date.fromisoformat(r["date"]) for r in report["rows"]]
    values = [float(r["value"]) for r in report["rows"]]
    fig, ax = _figure(8, 3)
    (line,) = ax.step(days, values, where="post", color="#2166ac")
    line.set_gid("stock-value")
    ax.set_ylabel("stock value")
    ax.set_ylim(bottom=0)
    ax.set_title(f"Stock value, {report['from']} to {report['to']}")
    fig.autofmt_xdate()
    return _render(fig, fmt)
