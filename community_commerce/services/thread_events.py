"""Thread events kept by the plugin, for forums without a place for them (ForumAdapter's
default post_thread_event): shown in the thread's offer panel, in each reader's language,
loaded in the panel's own offers query."""

import json
from datetime import UTC

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from community_commerce.models import ThreadEvent
from community_commerce.services.offer_state import JSONList


def _moment(value):
    """A timestamp read back from JSON (ISO from PostgreSQL, UTC text from SQLite)."""
    moment = parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def post(*, thread_id, message, params=None) -> ThreadEvent:
    return ThreadEvent.objects.create(thread_id=thread_id, message=str(message), params=dict(params or {}))


def with_events(offers):
    """Offers annotated with their thread's events (``thread_events_json``): the panel's
    one query brings them along."""
    rows = (
        ThreadEvent.objects.filter(thread_id=OuterRef("thread_id"))
        .order_by()
        .values("thread_id")
        .annotate(rows=JSONList(JSONObject(id=F("id"), message=F("message"), params=F("params"), at=F("created_at"))))
        .values("rows")
    )
    return offers.annotate(thread_events_json=Subquery(rows, output_field=JSONList.output_field))


def events_of(offers) -> list[ThreadEvent]:
    """The thread events annotated by :func:`with_events` on a thread's offers, oldest first."""
    for offer in offers:
        rows = getattr(offer, "thread_events_json", None) or []
        if isinstance(rows, str):  # SQLite hands the array back as text
            rows = json.loads(rows)
        events = []
        for row in sorted(rows, key=lambda r: r["id"]):
            params = row["params"]
            params = json.loads(params) if isinstance(params, str) else params
            event = ThreadEvent(pk=row["id"], thread_id=offer.thread_id, message=row["message"], params=params or {})
            event.created_at = _moment(row["at"])
            events.append(event)
        return events  # every offer of the thread carries the same events
    return []
