"""Use cases, one module per capability; each public call is one transaction."""
