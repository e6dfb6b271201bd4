"""Roles, and what each may do: the permission table the API enforces (and the docs show).

Every route of the API names one capability; a user's role grants a set of them.
"""

from __future__ import annotations

from tracelot.domain.errors import InvalidInput

ROLES = ("viewer", "operator", "quality", "planner", "admin")

#: capability -> (what it covers, the roles that have it)
CAPABILITIES: dict[str, tuple[str, frozenset[str]]] = {
    "read": ("read everything: stock, units, lots, history, traces", frozenset(ROLES)),
    "scan": ("resolve scans", frozenset({"operator", "quality", "admin"})),
    "operate": (
        "stock operations: receive, move, build, ship, return, scrap, adjust",
        frozenset({"operator", "admin"}),
    ),
    "quality": ("holds, recalls, trace exports, verify, voids", frozenset({"quality", "admin"})),
    # quality too: issue 19 has master data kept by quality or admin (and planners keep
    # the items they plan)
    "master_data": (
        "items (with their costs and planning attributes), GTINs, locations, parties",
        frozenset({"quality", "planner", "admin"}),
    ),
    "plan": (
        "purchase orders, drafting them from the reorder report",
        frozenset({"planner", "admin"}),
    ),
    "admin": ("users, tokens, settings, imports", frozenset({"admin"})),
}

# stock counts (issue 19): counted by operators; posted by quality (its `quality` capability)
CAPABILITIES["count"] = (
    "stock counts: start them, scan into them",
    frozenset({"operator", "quality", "admin"}),
)
# issue 19: incoming inspection is done by operators (and quality), as docs/api.md says
CAPABILITIES["inspect"] = (
    "incoming inspection: pass or fail what awaits it",
    frozenset({"operator", "quality", "admin"}),
)

# issue 20: sales orders are taken by operators, planners and admins; picking and shipping
# them is an operator's (`operate`)
CAPABILITIES["sell"] = (
    "sales orders: create, confirm, reserve stock for them, cancel",
    frozenset({"operator", "planner", "admin"}),
)


def may(role: str, capability: str) -> bool:
    return role in CAPABILITIES[capability][1]


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role
