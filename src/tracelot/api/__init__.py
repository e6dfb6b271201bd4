"""The REST API: FastAPI routers over the services, built by `create_app(settings)`."""

from tracelot.api.app import Settings, create_app

__all__ = ["Settings", "create_app"]
