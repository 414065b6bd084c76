"""The offer as the claim path needs it, cached for a few seconds.

A crowd claiming one offer should not read the same row from the database
thousands of times. A stale snapshot is safe: the stock UPDATE checks the
offer's revision and that it is neither closed nor cancelled, so the database
still decides; every change of an offer forgets its snapshot as well.
"""

from django.core.cache import cache
from django.db import transaction

from community_commerce.models import Offer

TTL_SECONDS = 3
FIELDS = (
    "id", "kind", "thread_id", "merchant_id", "title", "currency", "starts_at", "ends_at", "stock",
    "per_user_limit", "terms", "status", "revision", "closed_at",
)  # fmt: skip


def _key(offer_id) -> str:
    return f"cc:offer-snapshot:{offer_id}"


def get(offer_id) -> Offer | None:
    """An unsaved-looking Offer with the fields a claim reads, plus ``merchant_user_id``."""
    data = cache.get(_key(offer_id))
    if data is None:
        data = Offer.objects.filter(pk=offer_id).values(*FIELDS, "merchant__user_id").first()
        if data is None:
            return None
        cache.set(_key(offer_id), data, TTL_SECONDS)
    fields = dict(data)
    merchant_user_id = fields.pop("merchant__user_id")
    offer = Offer(**fields)
    offer._state.adding = False
    offer._state.db = "default"
    offer.merchant_user_id = merchant_user_id
    return offer


def forget(offer_id) -> None:
    """Drop the snapshot now and again after the current transaction commits."""
    cache.delete(_key(offer_id))
    transaction.on_commit(lambda: cache.delete(_key(offer_id)))
