"""JSON API: team buys (shared/API.md "Points and games"). Thin: parse, call services/teams.py,
serialize. Open a team (the opener's claim), join one (a claim), read a team or an offer's teams."""

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from community_commerce.api.pages import page_of
from community_commerce.api.router import claim_data
from community_commerce.api.schemas import ClaimIn, ClaimOut, whole
from community_commerce.api.types import BODY, WRITE, Id, Page, errors, per_page
from community_commerce.models import Offer, Team
from community_commerce.services import teams
from community_commerce.services.claim import MAX_QUANTITY

router = Router(tags=["points and games"])

PerPage = per_page(100)
TeamStatus = Literal[tuple(Team.Status.values)]


class TeamOut(Schema):
    id: int
    offer: int
    url: str = Field(description="The team's page (share it, or the member's own /r/<code> link to it).")
    size: int = Field(description="The team's size (the offer's team_size when it was opened).")
    members: int
    needed: int = Field(description="Seats still free: size - members.")
    status: TeamStatus
    created_at: datetime
    expires_at: datetime = Field(description="It fails unless it fills by then (at the latest the offer's end).")
    closed_at: datetime | None


class TeamPage(Schema):
    items: list[TeamOut]
    count: int


class JoinIn(Schema):
    quantity: whole(MAX_QUANTITY) = None
    coupon: str | None = Field(None, description="A coupon code (spaces and case do not matter).")
    ref: str | None = Field(None, description="The code of the share link the app was opened with (/r/<code>).")


def team_data(request, team) -> dict:
    return {
        "id": team.pk,
        "offer": team.offer_id,
        "url": request.build_absolute_uri(teams.team_url(team)),
        "size": team.size,
        "members": team.members,
        "needed": team.needed,
        "status": team.status,
        "created_at": team.created_at,
        "expires_at": team.expires_at,
        "closed_at": team.closed_at,
    }


@router.get("/teams/{team_id}", response={200: TeamOut, **errors(400, 404)}, auth=None)
def get_team(request, team_id: Id):
    """Anyone may read a team."""
    return team_data(request, get_object_or_404(Team, pk=team_id))


@router.get("/offers/{offer_id}/teams", response={200: TeamPage, **errors(400, 404)}, auth=None)
def offer_teams(request, offer_id: Id, status: TeamStatus | None = None, page: Page = 1, per_page: PerPage = 20):
    """A team buy's teams, oldest first. ``status=open``: those that can still be joined (open and
    not expired)."""
    get_object_or_404(Offer, pk=offer_id)
    found = Team.objects.filter(offer_id=offer_id).order_by("created_at", "id")
    if status == Team.Status.OPEN:
        found = found.filter(status=status, expires_at__gt=timezone.now())
    elif status:
        found = found.filter(status=status)
    items, count = page_of(found, page, per_page)
    return {"items": [team_data(request, t) for t in items], "count": count}


@router.post("/offers/{offer_id}/teams", response={200: TeamOut, 201: TeamOut, **errors(400, WRITE, 404, 409, BODY)})
def open_team(request, offer_id: Id, payload: ClaimIn):
    """Open a team: the opener's claim. 201 with the team; 200 with the first one when the
    idempotency key was used before. 409 `not_enough_stock` when the stock left cannot seat a
    full team, `not_a_team_buy`, `closed`, `not_started`, `limit_exceeded`; 403 `own_offer`."""
    team = teams.open_team(
        offer_id=offer_id, leader=request.auth, quantity=payload.quantity, idempotency_key=payload.idempotency_key,
        coupon=payload.coupon, ref=payload.ref,
    )  # fmt: skip
    return Status(200 if team.replayed else 201, team_data(request, team))


@router.post("/teams/{team_id}/join", response={201: ClaimOut, **errors(400, WRITE, 404, 409, BODY)})
def join_team(request, team_id: Id, payload: JoinIn):
    """Take a seat: 201 with the member's claim (`ordered`, with its order, when this seat filled
    the team). 409 `team_full`, `team_closed` (its time is up, or it failed or completed),
    `already_in_team`, `sold_out`, `limit_exceeded`; 403 `own_offer`."""
    claim = teams.join_team(
        team_id=team_id, member=request.auth, quantity=payload.quantity, coupon=payload.coupon, ref=payload.ref
    )
    return Status(201, claim_data(claim))
