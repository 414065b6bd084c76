"""What the plugin shows on forum pages, through the forum's extension hooks.
Each hook loads what a whole page needs in a fixed number of queries."""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from community_commerce.models import Claim, Merchant, Offer
from community_commerce.services.offer_state import live_states


def merchant_badges(user_ids) -> dict:
    verified = Merchant.objects.filter(user_id__in=list(user_ids), status=Merchant.Status.VERIFIED)
    return {
        user_id: [{"label": _("Merchant: %(name)s") % {"name": name}, "css": "merchant"}]
        for user_id, name in verified.values_list("user_id", "display_name")
    }


def thread_offer_ids(thread_ids) -> dict:
    ids: dict[int, list[int]] = {tid: [] for tid in thread_ids}
    for offer_id, thread_id in Offer.objects.filter(thread_id__in=list(thread_ids)).values_list("id", "thread_id"):
        ids.setdefault(thread_id, []).append(offer_id)
    return {tid: {"offers": sorted(offer_ids)} for tid, offer_ids in ids.items()}


def thread_offer_panel(request, thread) -> str:
    """The offer cards at the top of a thread, with the claim forms."""
    user = request.user
    offers = list(Offer.objects.filter(thread_id=thread.pk).select_related("merchant").order_by("id"))
    may_add = (
        user.is_authenticated
        and thread.author_id == user.pk
        and thread.category.commerce_enabled
        and Merchant.objects.filter(user=user, status=Merchant.Status.VERIFIED).exists()
    )
    if not offers and not may_add:
        return ""
    now = timezone.now()
    states = live_states(offers, now=now)
    mine = {}
    if user.is_authenticated and offers:
        for claim in Claim.objects.filter(offer__in=offers, buyer=user).select_related("order").order_by("id"):
            mine.setdefault(claim.offer_id, []).append(claim)
    held = {offer_id: sum(c.quantity for c in claims if c.status in Claim.HOLDING) for offer_id, claims in mine.items()}
    cards = [
        {
            "offer": offer,
            "state": state,
            "my_claims": mine.get(offer.pk, []),
            "is_merchant": offer.merchant.user_id == user.pk,
            "held": held.get(offer.pk, 0),
            "can_take": None if offer.per_user_limit is None else max(offer.per_user_limit - held.get(offer.pk, 0), 0),
        }
        for offer, state in zip(offers, states, strict=True)
    ]
    return render_to_string(
        "community_commerce/thread_offers.html", {"cards": cards, "thread": thread, "may_add": may_add}, request=request
    )


def profile_merchant_panel(request, member) -> str:
    """On a profile: the member's shop, and for their own profile the way to apply or manage it."""
    merchant = Merchant.objects.filter(user=member).first()
    own = request.user.is_authenticated and request.user.pk == member.pk
    if merchant is None and not own:
        return ""
    return render_to_string(
        "community_commerce/profile_panel.html", {"merchant": merchant, "own": own, "member": member}, request=request
    )
