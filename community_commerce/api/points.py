"""JSON API: points (shared/API.md "Points and games"). Being built (issue 13)."""

from ninja import Router

router = Router(tags=["points and games"])
