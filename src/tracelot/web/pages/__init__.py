"""The web pages: server-rendered (Jinja2), made quicker by htmx where it is there, and
usable without it (every form posts and gets a whole page). They call the same
`Tracelot` as the API and the command line, as the logged-in user; the session is the
one `tracelot.http` keeps for both (a cookie and its CSRF token), and the role decides
what a page shows and what the server does: a page or a button a role may not use is not
shown, and is refused.

One module per family of pages, each with its router; `common` holds what they share
(templates, the menu, the user and role a page needs, the error pages).
"""

from __future__ import annotations

from typing import Any


def install(app: Any) -> None:
    """Add the pages, their static files and their error pages to the app (after the
    API: the error pages hand the API's paths to the API's own handlers)."""
    from fastapi.staticfiles import StaticFiles

    from tracelot.web.pages import (
        admin,
        catalog,
        common,
        counts,
        dashboard,
        find,
        flow,
        labels,
        login,
        masterdata,
        masterdata_add,
        operations,
        orders,
        packing,
        purchasing,
        recalls,
        reports,
        stock,
        trace,
        voids,
    )

    families = (login, dashboard, catalog, trace, operations, recalls, reports, labels, admin,
                stock, voids, counts, flow, masterdata, orders, packing)  # fmt: skip
    from tracelot.web.pages import packs  # issue 20: an item's packs

    families += (packs,)
    families += (find, purchasing, masterdata_add)  # issue 21
    for family in families:
        app.include_router(family.router)
    app.mount("/assets", StaticFiles(directory=common.HERE / "static"), name="assets")
    common.install_errors(app)
