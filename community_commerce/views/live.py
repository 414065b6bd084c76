"""The live offer card: the fragment an offer's card polls while the offer runs.

The answer is the whole card (offer_card.html, the template the thread page
uses), in two parts:

* the live part (status, price, progress, stock, buyers, countdowns, outcome)
  is the same for every reader. It is cached for LIVE_SECONDS per offer,
  language and time zone, and never past the next moment it changes by the
  clock (the start, the end, a Dutch drop), so a crowd polling every few
  seconds costs the database two queries per offer per LIVE_SECONDS;
* the reader's part (their claims and orders, the claim, withdraw, remind or
  cancel form, with its CSRF token) is rendered for each request and never
  cached: one query (their claims), none for a visitor.

Polling the whole card keeps it coherent: when a scheduled offer opens the
claim form appears, when it closes the forms go and the outcome and the
reader's orders show. A final card carries no ``hx-get``/``hx-trigger``, so
htmx stops polling when it swaps it in; htmx requests for a final offer are
also answered with status 286, htmx's own "stop polling".
"""

import math
from datetime import timedelta

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from community_commerce import display
from community_commerce.models import Offer
from community_commerce.services import card_coupons
from community_commerce.services.offer_state import live_states

LIVE_SECONDS = 2
STOP_POLLING = 286  # htmx cancels the polling of an element that gets this status


def live_cache_key(offer_id) -> str:
    return f"cc:offer-live:{offer_id}:{get_language()}:{timezone.get_current_timezone_name()}"


def _next_change(state, now):
    """The first moment after ``now`` at which the clock alone changes the live part."""
    moments = [state["starts_at"], state["ends_at"], state.get("next_price_at")]
    return min((m for m in moments if m is not None and m > now), default=None)


def shared_part(offer_id, *, now) -> dict:
    """The live part of an offer's card, from the cache or made and cached:
    {"offer", "state", "clock", "html", "until"}. Two queries when made."""
    key = live_cache_key(offer_id)
    entry = cache.get(key)
    if entry is not None and entry["until"] > now:
        return entry
    offer = (
        card_coupons.with_coupons(Offer.objects.select_related("merchant", "merchant__reputation"))
        .filter(pk=offer_id)
        .first()
    )
    if offer is None:
        raise Http404
    state = live_states([offer], now=now)[0]
    clock = display.offer_card(offer, state, {})["clock"]
    html = render_to_string("community_commerce/offer_live.html", {"offer": offer, "state": state, "clock": clock})
    until = now + timedelta(seconds=LIVE_SECONDS)
    change = _next_change(state, now)
    if change is not None and change < until:
        until = change
    entry = {"offer": offer, "state": state, "clock": clock, "html": html, "until": until}
    cache.set(key, entry, timeout=max(1, math.ceil((until - now).total_seconds())))
    return entry


@require_GET
def offer_fragment(request, pk):
    """The card of offer ``pk`` as its poll wants it: shared live part + this reader's part."""
    now = timezone.now()
    shared = shared_part(pk, now=now)
    offer, state = shared["offer"], shared["state"]
    part = display.viewer_parts(request.user, [offer])[offer.pk]
    card = display.offer_card(offer, state, part, live_html=mark_safe(shared["html"]))  # noqa: S308 (our own render)
    html = render_to_string(
        "community_commerce/offer_card.html",
        {
            "card": card,
            "server_now": display.iso(timezone.now()),
            "user": request.user,
            "csrf_token": get_token(request) if request.user.is_authenticated else "",  # a visitor gets no form
        },
    )
    final = not card["polls"]
    response = HttpResponse(html.strip(), status=STOP_POLLING if final and request.headers.get("HX-Request") else 200)
    add_never_cache_headers(response)
    return response
