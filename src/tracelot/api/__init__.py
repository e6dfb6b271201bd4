"""The REST API: FastAPI routers over the services (`api.app.create_api`). The application
that serves it, beside the web pages, is `tracelot.server.create_app(settings)`."""
