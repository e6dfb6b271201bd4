"""tracelot: inventory with serial-number and lot traceability.

import tracelot
db = tracelot.connect("sqlite:///tracelot.db")
db.receive("PCB", to="A1", serials="SN0001..SN0100")
db.where("PCB:SN0042")
"""

from typing import TYPE_CHECKING, Any

from tracelot.domain.errors import TracelotError

if TYPE_CHECKING:
    from tracelot.app import Tracelot, connect

__version__ = "0.1.0"
__all__ = ["Tracelot", "TracelotError", "connect"]


def __getattr__(name: str) -> Any:
    """`Tracelot` and `connect` load the facade (and the services) on first use, so that
    importing a part of tracelot, such as its command line, does not load all of it."""
    if name in ("Tracelot", "connect"):
        from tracelot import app

        globals()[name] = value = getattr(app, name)
        return value
    raise AttributeError(f"module 'tracelot' has no attribute {name!r}")
