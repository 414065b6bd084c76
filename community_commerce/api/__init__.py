"""The commerce part of the JSON API v1; config/api.py mounts ``router`` at /api/v1/."""

from community_commerce.api.router import router

__all__ = ["router"]
