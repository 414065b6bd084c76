"""The commerce part of the JSON API v1; config/api.py mounts ``router`` at /api/v1/.

Buyer protection (api/trust.py) goes first: its ``/orders/{id}/receive``, ``/refund``,
``/disputes`` and ``/rating`` must match before the pipeline's ``/orders/{id}/{action}``
(ninja adds a router's own paths, then its children's, in order)."""

from ninja import Router

from community_commerce.api import guesses, points, teams, trust
from community_commerce.api.router import router as _core

router = Router()
router.add_router("", trust.router)
router.add_router("", points.router)
router.add_router("", teams.router)
router.add_router("", guesses.router)
router.add_router("", _core)

__all__ = ["router"]
