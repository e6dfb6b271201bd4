"""The defaults of the reorder report's parameters, apart from the planning code so that
the command line can show them in its help without loading the database layer."""

from __future__ import annotations

from decimal import Decimal

DEFAULTS = {
    "service_level": 0.95,
    "lookback_days": 90,
    "lead_time_days": 14,
    "ordering_cost": Decimal(50),
    "holding_rate": Decimal("0.25"),
}
