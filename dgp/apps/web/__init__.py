"""The web app: the JSON API under /api/v1, /health, /metrics and /openapi.json."""

from dgp.apps.web.app import create_app

__all__ = ["create_app"]
