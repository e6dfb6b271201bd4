"""tracelot: inventory with serial-number and lot traceability.

import tracelot
db = tracelot.connect("sqlite:///tracelot.db")
db.receive("PCB", to="A1", serials="SN0001..SN0100")
db.where("PCB:SN0042")
"""

from tracelot.app import Tracelot, connect
from tracelot.domain.errors import TracelotError

__version__ = "0.1.0"
__all__ = ["Tracelot", "TracelotError", "connect"]
