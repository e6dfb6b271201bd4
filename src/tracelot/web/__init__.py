"""The web pages (server-rendered, htmx-enhanced) on top of the same services."""
